#!/bin/sh
# Registers the unit; the service is not started: the operator sets
# /etc/smartradexd/env first, then runs `systemctl enable --now smartradexd`.
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  # An upgrade restarts a running service on the new binary.
  if systemctl is-active --quiet smartradexd; then
    systemctl restart smartradexd || true
  fi
fi

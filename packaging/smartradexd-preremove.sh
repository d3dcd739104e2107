#!/bin/sh
# Stops the service before its binary goes. The data in /var/lib/smartradexd
# (database, vault key) is kept: deleting it is the operator's decision.
set -e
# deb passes "remove" or "upgrade"; rpm passes the count of versions left
# (0 on removal).
case "$1" in
  remove|0)
    if [ -d /run/systemd/system ]; then
      systemctl disable --now smartradexd >/dev/null 2>&1 || true
    fi
    ;;
esac

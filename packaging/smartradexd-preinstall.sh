#!/bin/sh
# The dedicated user smartradexd runs as; it owns /var/lib/smartradexd.
set -e
if ! getent group smartradexd >/dev/null; then
  groupadd --system smartradexd
fi
if ! getent passwd smartradexd >/dev/null; then
  useradd --system --gid smartradexd --home-dir /var/lib/smartradexd --no-create-home \
    --shell /usr/sbin/nologin --comment "SmartradeX key service" smartradexd
fi

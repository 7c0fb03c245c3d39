#!/usr/bin/env bash
# `make serve-class` and its test put Debian's nginx in front of several app processes.
# Install it when it is missing (the same way scripts/install_chromium.sh installs Chromium).
set -euo pipefail
if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null; then
  exit 0
fi
echo "Installing Debian's nginx for make serve-class..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "error: nginx is missing and this user cannot apt-get install it." >&2
    echo "       Install the 'nginx' package, then run the command again." >&2
    exit 1
  fi
fi
$SUDO apt-get update -qq
# Only the binary is needed: deploy/serve.py runs it in the foreground with its own config;
# the package's own service stays stopped where the system does not start services.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
/usr/sbin/nginx -v

#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real, when they are missing:
# nginx (the shipped config is run), restic (backups), chromium (the UI's end-to-end tests).
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v restic >/dev/null 2>&1 || missing+=(restic)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

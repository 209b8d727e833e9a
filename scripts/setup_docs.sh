#!/usr/bin/env bash
# Chromium for the docs browser check (scripts/check_docs.py): Debian's package, installed when missing.
# Playwright drives it (its Python client is a dev requirement); Playwright's own browser download is not used.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "setup-docs: installing Debian's chromium"
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    || { echo "setup-docs: could not install chromium (apt-get install chromium); the browser check needs it" >&2; exit 1; }
fi

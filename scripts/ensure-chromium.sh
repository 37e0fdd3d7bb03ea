#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (which never downloads a browser
# here). Install the Debian package when it is missing and we may (root with apt-get).
set -euo pipefail
browser=${ETAPA_CHROMIUM:-/usr/bin/chromium}
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
else
  echo "The browser tests need Chromium at $browser: sudo apt-get install chromium" >&2
  exit 1
fi

#!/usr/bin/env bash
# The alert rules' tests (tests/deploy/test_monitoring.py) run Prometheus' promtool. Use the one
# on the PATH, or take it out of Debian's `prometheus` package into .tools/promtool (the package
# is downloaded, never installed: no Prometheus server is set up or started).
set -euo pipefail
cd "$(dirname "$0")/.."
target=.tools/promtool
{ command -v promtool >/dev/null 2>&1 || [ -x "$target" ]; } && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The alert rules' tests need promtool (Prometheus): put it on the PATH or in $target" >&2
  exit 1
fi
echo "taking promtool out of Debian's prometheus package into $target" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"  # apt's download user writes there
if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
  [ "$(id -u)" = 0 ] && apt-get update -qq
  (cd "$work" && apt-get download -qq prometheus >/dev/null)
fi
dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
mkdir -p .tools
mv "$work/usr/bin/promtool" "$target"
"$target" --version >/dev/null

#!/usr/bin/env bash
# Print the path of a uv executable, installing a pinned uv from PyPI into .tools/ if none is
# on PATH. Everything else is installed by uv from uv.lock.
set -euo pipefail
UV_VERSION=0.13.9
cd "$(dirname "$0")/.."
if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
if [ ! -x .tools/bin/uv ]; then
  # Quiet unless it fails, so that `make run`'s first line is the console's URL.
  log=$(mktemp)
  if ! { python3 -m venv .tools && .tools/bin/pip install --quiet "uv==${UV_VERSION}"; } >"$log" 2>&1; then
    echo "uv not found, and installing uv ${UV_VERSION} from PyPI into .tools/ failed:" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
echo "$PWD/.tools/bin/uv"

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
  echo "uv not found: installing uv ${UV_VERSION} from PyPI into .tools/" >&2
  python3 -m venv .tools >&2
  .tools/bin/pip install --quiet "uv==${UV_VERSION}" >&2
fi
echo "$PWD/.tools/bin/uv"

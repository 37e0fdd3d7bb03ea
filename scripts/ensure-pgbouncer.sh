#!/usr/bin/env bash
# tests/e2e/test_pgbouncer.py runs the services through a real PgBouncer (transaction
# pooling), started from Debian's binary. Install the Debian package when it is missing and we
# may (root with apt-get). Only the binary is used: the test writes its own configuration and
# starts its own process on a free port; the package's own service is not started here.
set -euo pipefail
binary=${ETAPA_PGBOUNCER:-/usr/sbin/pgbouncer}
[ -x "$binary" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's pgbouncer for the PgBouncer test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
else
  echo "The PgBouncer test needs PgBouncer at $binary: sudo apt-get install pgbouncer" >&2
  exit 1
fi

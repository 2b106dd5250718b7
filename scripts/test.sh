#!/usr/bin/env bash
# Install what the test suite needs on a fresh Debian + Python 3.11 machine, then run it.
# Debian packages: chromium (browser tests), poppler-utils (PDF checks), postgresql (store tests
# run against a throwaway server on loopback, removed afterwards), a Java runtime (Spark tests in
# local mode). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -n "$(pg_bindir)" ] || missing+=(postgresql)
command -v java >/dev/null || missing+=(default-jre-headless)  # PySpark's JVM (tests/test_spark.py)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
# PySpark is large and optional for users (journeymap[spark]); the suite runs the metrics on it.
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-spark.txt

# A throwaway PostgreSQL server for the store tests: its own data folder, loopback only.
pgdir=$(mktemp -d /tmp/journeymap-pg.XXXXXX)
PG_PASSWORD_ROLE=journeymap_password_check  # tests/test_dbsource.py creates it with a password
pgport=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
stop_pg() {
  run_pg "$(pg_bindir)/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap stop_pg EXIT
run_pg "$(pg_bindir)/initdb" -D "$pgdir/data" -U journeymap --auth=trust >/dev/null
# One role must give its password (first matching line wins), so that a wrong password is tested for real.
sed -i "1i host all $PG_PASSWORD_ROLE 127.0.0.1/32 scram-sha-256" "$pgdir/data/pg_hba.conf"
run_pg "$(pg_bindir)/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c fsync=off" start >/dev/null
export JOURNEYMAP_TEST_POSTGRES_URL="postgresql+psycopg://journeymap@127.0.0.1:$pgport/postgres"
export JOURNEYMAP_TEST_POSTGRES_PASSWORD_ROLE="$PG_PASSWORD_ROLE"

.venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Set up a fresh Debian machine for the test suite, then run it.
#   - Debian packages the tests drive for real: graphviz (the state diagram), chromium (the
#     report is opened in a headless browser) and chromium-driver (the desk is driven in it
#     by Selenium), fonts-noto-cjk (Chinese text in screenshots),
#     postgresql (the store is tested on PostgreSQL as well as SQLite);
#   - a virtual environment .venv with docflow and its test dependencies.
# Extra arguments go to pytest (e.g. scripts/test.sh -q -k calendar).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# A PostgreSQL server on its Unix socket, for the tests that run the store on PostgreSQL
# (tests/runtime/test_postgresql.py and the 2011 year): Debian's first cluster, started if it
# is down, with a superuser role for whoever runs the tests. Each test makes its own database.
if [ -z "${DOCFLOW_TEST_POSTGRES:-}" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  cluster=$(pg_lsclusters --no-header | awk 'NR == 1 {print $1, $2, $4}')
  if [ -n "$cluster" ]; then
    read -r version name status <<<"$cluster"
    [ "$status" = online ] || $sudo pg_ctlcluster "$version" "$name" start
    me=$(id -un)
    as_postgres=(runuser -u postgres --)
    [ "$(id -u)" = 0 ] || as_postgres=(sudo -u postgres)
    if ! "${as_postgres[@]}" psql -tAq -c "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1; then
      "${as_postgres[@]}" psql -q -c "CREATE ROLE \"$me\" SUPERUSER LOGIN"
    fi
    export DOCFLOW_TEST_POSTGRES="postgresql+psycopg:///postgres?host=/var/run/postgresql"
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
exec .venv/bin/python -m pytest "$@"

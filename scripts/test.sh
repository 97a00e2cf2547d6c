#!/usr/bin/env bash
# Set up a fresh Debian machine for the test suite, then run it.
#   - Debian packages the tests drive for real: graphviz (the state diagram), chromium (the
#     report is opened in a headless browser), fonts-noto-cjk (Chinese text in screenshots);
#   - a virtual environment .venv with docflow and its test dependencies.
# Extra arguments go to pytest (e.g. scripts/test.sh -q -k calendar).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
exec .venv/bin/python -m pytest "$@"

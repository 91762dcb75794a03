#!/usr/bin/env bash
# Stop set-up with one line naming what to install when Python, Node or npm is missing or too old.
set -u
python=${1:-python3}
fail() { echo "setup: $1" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 || fail "Python 3.11+ not found ($python): install python3 (Debian: apt-get install python3 python3-venv)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || fail "Python 3.11+ needed, found $("$python" -V 2>&1): install a newer python3"
"$python" -c 'import venv, ensurepip' 2>/dev/null || fail "Python venv module missing: apt-get install python3-venv"
command -v node >/dev/null 2>&1 || fail "Node.js 20+ not found: install nodejs (Debian: apt-get install nodejs npm)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
  || fail "Node.js 20+ needed, found $(node --version): install a newer nodejs"
command -v npm >/dev/null 2>&1 || fail "npm not found: install npm (Debian: apt-get install npm)"
npm_major=$(npm --version 2>/dev/null | cut -d. -f1)
[ "${npm_major:-0}" -ge 9 ] || fail "npm 9+ needed, found $(npm --version): npm install -g npm"
exit 0

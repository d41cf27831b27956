#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, so that the
# README's commands work from a fresh clone. The project's Node (24, the `node` devDependency) comes with them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js (any version 18+) with npm; the project brings its own Node 24" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi
export PATH="$PWD/node_modules/.bin:$PATH"
case "$(node -v)" in
  v24.*) ;;
  *) echo "node_modules/.bin/node is $(node -v), expected v24: run npm ci" >&2; exit 1 ;;
esac

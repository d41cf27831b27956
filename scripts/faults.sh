#!/usr/bin/env bash
# `npm run test:faults`: the fault suite (test/faults). It starts a stack of its own under /tmp on its own
# ports (never the shared one: it kills brokers and registries), runs ingest, pseudonymise and deliver as
# child processes on a seeded load, and writes its table to .local/faults/last-run.md.
#   npm run test:faults                       single-node scenarios
#   STACK_BROKERS=3 npm run test:faults       the 3-node cluster scenario (losing one broker mid-load)
# FAULTS_EVENTS, FAULTS_RATE, FAULTS_SEED change the load (defaults 2000 events, 200/s, seed 1);
# KEEP_STACK_HOME=1 keeps the stack home with every service's log. Extra arguments go to vitest (-t 'broker').
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
bash stack/stack.sh fetch >/dev/null
export FAULTS=1
# the suite's stack homes go under one folder of this run, so whatever ends the run (a failure, Ctrl-C) the
# stacks it started are stopped here; the suite stops them itself when it ends normally
FAULTS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/faults-run-XXXXXX")"
export FAULTS_TMP
cleanup() {
  for home in "$FAULTS_TMP"/*/; do
    [ -f "$home/snapshot/stack/stack.sh" ] || continue
    STACK_HOME="${home%/}" STACK_DIST="$PWD/.local/stack/dist" bash "$home/snapshot/stack/stack.sh" down >/dev/null 2>&1 || true
  done
  [ -n "${KEEP_STACK_HOME:-}" ] || rm -rf "$FAULTS_TMP"
}
trap cleanup EXIT
spec=test/faults/single-node.faults.spec.ts
[ "${STACK_BROKERS:-1}" = "3" ] && spec=test/faults/cluster.faults.spec.ts
vitest run --project faults "$spec" "$@"

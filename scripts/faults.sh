#!/usr/bin/env bash
# `npm run test:faults`: the fault suite (test/faults). It starts a stack of its own under /tmp on its own
# ports (never the shared one: it kills brokers and registries), runs ingest, pseudonymise and deliver as
# child processes on a seeded load, and writes its table to .local/faults/last-run.md.
#   npm run test:faults                       single-node scenarios
#   STACK_BROKERS=3 npm run test:faults       the 3-node cluster scenario (losing one broker mid-load)
# FAULTS_EVENTS, FAULTS_RATE, FAULTS_SEED change the load (defaults 2000 events, 200/s, seed 1).
# Extra arguments go to vitest (e.g. -t 'broker').
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
bash stack/stack.sh fetch >/dev/null
export FAULTS=1
if [ "${STACK_BROKERS:-1}" = "3" ]; then
  exec vitest run --project faults test/faults/cluster.faults.spec.ts "$@"
fi
exec vitest run --project faults test/faults/single-node.faults.spec.ts "$@"

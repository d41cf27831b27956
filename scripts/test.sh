#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs the unit tests and the integration tests. The
# integration tests find or start Kafka and the schema registry themselves (test/setup/stack.ts): they stop
# what they started, and remove from a stack they found running what the tests made in it. Service logs stay
# silent unless TEST_LOG_LEVEL is set. Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec vitest run "$@"

#!/usr/bin/env bash
# `npm start`, the main job: install what is missing, start the local stack (unless one is up) and the
# services, feed the sample register events (good and bad) through ingest and show what came out, then a
# seeded batch of generated events, and then a generated stream at a modest rate with a live view of the
# services' own figures (scripts/demo). Ctrl-C stops the stream, the services, and the stack if this script
# started it. `npm start -- --once` shows the view once, after the batch, and exits.
# DEMO_BATCH (events, default 5000) and DEMO_RATE (events/s, default 20) size the generated traffic.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
once=0
for arg in "$@"; do [ "$arg" = "--once" ] && once=1; done

bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p .local/logs

started_stack=0
if ! bash stack/stack.sh status >/dev/null 2>&1; then
  bash stack/stack.sh up
  started_stack=1
fi

# TEST pseudonym keys for local runs, made once, kept out of the repo (.local/ is git-ignored)
export PSEUDONYM_KEYS_FILE="${PSEUDONYM_KEYS_FILE:-$PWD/.local/pseudonym-keys.json}"
[ -f "$PSEUDONYM_KEYS_FILE" ] || node services/pseudonymise/src/cli/keys.ts generate --file "$PSEUDONYM_KEYS_FILE"

# ingest's internal partition key (HMAC of the person number -> Kafka key), made once and kept: another
# key would move every person to another partition. Private from creation (umask), written whole (mv).
export INGEST_PARTITION_KEY_FILE="${INGEST_PARTITION_KEY_FILE:-$PWD/.local/ingest-partition-key}"
if [ ! -f "$INGEST_PARTITION_KEY_FILE" ]; then
  (umask 077; node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))" >"$INGEST_PARTITION_KEY_FILE.tmp" \
    && mv "$INGEST_PARTITION_KEY_FILE.tmp" "$INGEST_PARTITION_KEY_FILE")
fi

# read-API tokens for local runs, one per recipient, made once (.local/ is git-ignored)
# and the /metrics token. Private from creation (umask 077 in a subshell), never chmod-ed afterwards; the
# tokens come from node's stdout into the file, never through a command line (echo is a shell builtin).
t() { node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('base64url'))"; }
if [ ! -f .local/api-tokens ]; then
  (umask 077; echo "sbb-stagemarkt:$(t),svb-kostendelersnorm:$(t),ggd-jeugdgezondheid:$(t)" > .local/api-tokens)
fi
[ -f .local/metrics-token ] || (umask 077; t > .local/metrics-token)
export DELIVER_API_TOKENS="${DELIVER_API_TOKENS:-$(cat .local/api-tokens)}"
export DELIVER_METRICS_TOKEN="${DELIVER_METRICS_TOKEN:-$(cat .local/metrics-token)}"
export DELIVER_HTTP_PORT="${DELIVER_HTTP_PORT:-8090}"
api="http://127.0.0.1:$DELIVER_HTTP_PORT"

pids=()
demo_pid=""
cleanup() {
  trap - EXIT INT TERM
  # the demo first: it stops its generator, so nothing is sent to services about to stop
  if [ -n "$demo_pid" ]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  echo "start: stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_stack" = 1 ]; then bash stack/stack.sh down; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# /health, /ready and /metrics of every service on 127.0.0.1, one port each (docs/operations.md)
export INGEST_HEALTH_PORT="${INGEST_HEALTH_PORT:-8091}"
export PSEUDONYMISE_HEALTH_PORT="${PSEUDONYMISE_HEALTH_PORT:-8092}"
export DELIVER_HEALTH_PORT="${DELIVER_HEALTH_PORT:-8093}"
health_ports=("$INGEST_HEALTH_PORT" "$PSEUDONYMISE_HEALTH_PORT" "$DELIVER_HEALTH_PORT")

for service in ingest pseudonymise deliver; do
  node "services/$service/src/main.ts" >".local/logs/$service.log" 2>&1 &
  pids+=($!)
  echo "start: $service started (pid $!, log .local/logs/$service.log)"
done

# 200 from the URL, or not (curl when there is one, else the pinned node's fetch)
answers_200() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
  fi
}

# Ready is the service's own word (GET /ready): in its consumer group with partitions assigned, and for
# deliver its projections caught up with their recipient topics. A service that exits meanwhile ends the start.
wait_ready() { # $1 = service, $2 = its pid, $3 = its health port
  echo "start: waiting for $1 to be ready (http://127.0.0.1:$3/ready)"
  for _ in $(seq 1 240); do
    answers_200 "http://127.0.0.1:$3/ready" && return 0
    kill -0 "$2" 2>/dev/null || { echo "start: $1 exited; see .local/logs/$1.log" >&2; tail -n 5 ".local/logs/$1.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "start: $1 not ready after 120s; see .local/logs/$1.log" >&2
  exit 1
}
wait_ready ingest "${pids[0]}" "${health_ports[0]}"
wait_ready pseudonymise "${pids[1]}" "${health_ports[1]}"
wait_ready deliver "${pids[2]}" "${health_ports[2]}"

# Fresh event ids per run: ingest drops ids it has seen, so a second `npm start` would otherwise show nothing
# new. The run id is the start time in base 36: epoch seconds would put ten digits in a row into every id,
# which ingest refuses (it could carry a person number).
read -r run_ms run_id < <(node -e 'const t = Date.now(); process.stdout.write(`${t} ${t.toString(36)}\n`)')
sed "s/\"eventId\":\"/\"eventId\":\"run-$run_id-/" services/ingest/fixtures/sample-events.jsonl >".local/sample-$run_id.jsonl"
cat services/ingest/fixtures/bad-events.jsonl >>".local/sample-$run_id.jsonl"
node services/ingest/src/cli/publish-jsonl.ts ".local/sample-$run_id.jsonl"
rm -f ".local/sample-$run_id.jsonl"
node scripts/summary.ts --since-ms "$run_ms"

if [ "$once" = 0 ]; then
  cat <<EOF
start: running. Ctrl-C stops everything this command started.
  read API      $api/v1/<recipient>/rows   (tokens in .local/api-tokens: Authorization: Bearer <token>)
  health        http://127.0.0.1:<port>/health, /ready, /metrics (Prometheus): ingest $INGEST_HEALTH_PORT, pseudonymise $PSEUDONYMISE_HEALTH_PORT, deliver $DELIVER_HEALTH_PORT
  feeds         feed.sbb-stagemarkt.v1, feed.svb-kostendelersnorm.v1, feed.ggd-jeugdgezondheid.v1 (compacted)
  Kafka         127.0.0.1:9092, registry http://127.0.0.1:8080/apis/ccompat/v7
  more events   npm run generate -- --total 10000 --topic register.raw.v1
EOF
fi

# The generated traffic and the view (scripts/demo/demo.ts). A seed per run, from the start time, so every
# run brings fresh event ids: even seeds for the batch, the next odd one for the live stream. Eight digits
# at most (ingest refuses nine digits in a row in an eventId).
seed=$(( (run_ms / 1000 % 45000000) * 2 ))
demo_args=(--seed "$seed" --api "$api" --batch "${DEMO_BATCH:-5000}" --rate "${DEMO_RATE:-20}")
[ "$once" = 1 ] && demo_args+=(--once)
# in the background and waited for, so a SIGTERM to this script reaches cleanup at once
node scripts/demo/demo.ts "${demo_args[@]}" &
demo_pid=$!
wait "$demo_pid"
demo_pid=""

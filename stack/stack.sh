#!/usr/bin/env bash
# The local stack without Docker: one Apache Kafka node (KRaft, broker+controller) and Apicurio Registry,
# both from Maven Central, both on 127.0.0.1.
#
#   stack/stack.sh fetch    download the artifacts (cached: ~/.m2 and .local/stack/dist)
#   stack/stack.sh up       fetch if needed, format storage on first start, start both, wait until ready
#   stack/stack.sh down     stop both; leaves no process behind
#   stack/stack.sh status   one line per component; exit 0 only when both answer
#   stack/stack.sh wipe     down, then delete data and logs (artifacts stay cached)
#
# Every setting has an env name (see README, "Local stack"). `up` and `down` are idempotent.
# STACK_DIST shares downloaded artifacts between stack homes (the stack script test uses it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_HOME="${STACK_HOME:-$ROOT/.local/stack}"
KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${STACK_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${STACK_REGISTRY_PORT:-8080}"
REGISTRY_MANAGEMENT_PORT="${STACK_REGISTRY_MANAGEMENT_PORT:-9000}"
READY_TIMEOUT="${STACK_READY_TIMEOUT:-180}"
# Apicurio 3.x is compiled for Java 21; Kafka 4.x needs Java 17. Without a Java 21+ the registry falls back
# to the 2.6.x line (Java 17), the second step of the fallback chain in the README.
APICURIO_FALLBACK_VERSION="${STACK_APICURIO_FALLBACK_VERSION:-2.6.13.Final}"

DIST="${STACK_DIST:-$STACK_HOME/dist}"
DATA="$STACK_HOME/data"
LOGS="$STACK_HOME/logs"
RUN="$STACK_HOME/run"
POM="$ROOT/stack/pom.xml"

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n 1; }
KAFKA_VERSION="$(pom_property kafka.version)"
APICURIO_VERSION="$(pom_property apicurio.version)"

java_major() { # prints the major version of the java binary $1, or 0
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
  echo "${v:-0}"
}

find_java() { # $1 = minimum major version; prints a java binary or nothing
  local want="$1" candidate
  for candidate in "${STACK_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" \
    /usr/lib/jvm/*/bin/java /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if [ "$(java_major "$candidate")" -ge "$want" ]; then echo "$candidate"; return 0; fi
  done
}

require_tools() {
  command -v java >/dev/null 2>&1 || [ -n "${STACK_JAVA:-}" ] || die "java is missing: install a JDK 17 or newer (apt install openjdk-17-jdk-headless) and retry"
  command -v mvn >/dev/null 2>&1 || die "mvn is missing: install Apache Maven (apt install maven) and retry"
  command -v curl >/dev/null 2>&1 || die "curl is missing: install curl and retry"
}

KAFKA_JAVA=""
REGISTRY_JAVA=""
REGISTRY_VERSION=""
choose_runtimes() {
  KAFKA_JAVA="$(find_java 17)"
  [ -n "$KAFKA_JAVA" ] || die "no Java 17 or newer found: Kafka $KAFKA_VERSION needs one (set STACK_JAVA to its java binary)"
  REGISTRY_JAVA="$(find_java 21)"
  if [ -n "$REGISTRY_JAVA" ]; then
    REGISTRY_VERSION="$APICURIO_VERSION"
  else
    REGISTRY_JAVA="$KAFKA_JAVA"
    REGISTRY_VERSION="$APICURIO_FALLBACK_VERSION"
    say "no Java 21+ found, using Apicurio Registry $REGISTRY_VERSION (runs on Java 17)"
  fi
}

registry_dir() { echo "$DIST/apicurio-registry-$REGISTRY_VERSION"; }
kafka_libs() { echo "$DIST/kafka-$KAFKA_VERSION/libs"; }

fetch() {
  require_tools
  choose_runtimes
  mkdir -p "$DIST"
  local libs; libs="$(kafka_libs)"
  if [ ! -f "$libs/.complete" ]; then
    say "fetching Kafka $KAFKA_VERSION and its runtime from Maven Central"
    rm -rf "$libs"
    mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >"$DIST/fetch.log" 2>&1 \
      || die "Maven could not resolve Kafka $KAFKA_VERSION (is Maven Central reachable?); see $DIST/fetch.log"
    touch "$libs/.complete"
  fi
  local reg; reg="$(registry_dir)"
  if [ ! -f "$reg/.complete" ]; then
    say "fetching Apicurio Registry $REGISTRY_VERSION from Maven Central"
    rm -rf "$reg" && mkdir -p "$reg"
    mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy \
      -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" -DoutputDirectory="$reg" >"$DIST/fetch.log" 2>&1 \
      || die "Maven could not resolve io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all; see $DIST/fetch.log"
    tar -xzf "$reg"/apicurio-registry-app-*-all.tar.gz -C "$reg"
    rm -f "$reg"/apicurio-registry-app-*-all.tar.gz
    [ -f "$reg/quarkus-run.jar" ] || die "the Apicurio archive has no quarkus-run.jar at its top level"
    touch "$reg/.complete"
  fi
}

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
kafka_ready() { port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOGS/kafka.log" 2>/dev/null; }
registry_ready() { curl -sf -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects"; }

wait_for() { # $1 = name, $2 = check function, $3 = log file
  local started=$SECONDS
  until "$2"; do
    pid_alive "$1" || die "$1 exited during start-up; last lines of $3:
$(tail -n 20 "$3" 2>/dev/null)"
    [ $((SECONDS - started)) -lt "$READY_TIMEOUT" ] || die "$1 not ready after ${READY_TIMEOUT}s (STACK_READY_TIMEOUT); see $3"
    sleep 0.5
  done
}

write_kafka_config() {
  cat >"$STACK_HOME/kafka.properties" <<EOF
# generated by stack/stack.sh: one KRaft node that is both broker and controller
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA/kafka
num.partitions=3
# one node: every internal topic must live with a single replica, or the group and
# transaction coordinators never become available
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# topics are created on purpose, with their partitions and cleanup policy (see README topic catalogue)
auto.create.topics.enable=false
EOF
}

start_kafka() {
  if pid_alive kafka; then say "kafka already running (pid $(cat "$RUN/kafka.pid"))"; return; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process: stop it or set STACK_KAFKA_PORT"
  write_kafka_config
  local cp; cp="$(kafka_libs)/*"
  if [ ! -f "$DATA/kafka/meta.properties" ]; then
    mkdir -p "$DATA/kafka"
    local cluster_id; cluster_id="$("$KAFKA_JAVA" -cp "$cp" kafka.tools.StorageTool random-uuid)"
    "$KAFKA_JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$STACK_HOME/kafka.properties" >>"$LOGS/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $LOGS/kafka-format.log"
    say "formatted Kafka storage (cluster $cluster_id)"
  fi
  : >"$LOGS/kafka.log"
  # -Dlocal.stack.home tags the process so `down` can find it even without its pid file
  nohup "$KAFKA_JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlocal.stack.home="$STACK_HOME" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$STACK_HOME/kafka.properties" >>"$LOGS/kafka.log" 2>&1 &
  echo $! >"$RUN/kafka.pid"
}

start_registry() {
  if pid_alive registry; then say "registry already running (pid $(cat "$RUN/registry.pid"))"; return; fi
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by another process: stop it or set STACK_REGISTRY_PORT"
  : >"$LOGS/registry.log"
  # Storage in Kafka (kafkasql) so schemas survive a restart of the registry, like the data they describe.
  # Canonical hashing: a schema re-registered with other whitespace keeps its id.
  APICURIO_STORAGE_KIND=kafkasql \
  APICURIO_KAFKASQL_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
  APICURIO_CCOMPAT_USE_CANONICAL_HASH=true \
  REGISTRY_CCOMPAT_USE_CANONICAL_HASH=true \
  REGISTRY_KAFKASQL_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
  QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$REGISTRY_MANAGEMENT_PORT" \
  QUARKUS_PROFILE=prod QUARKUS_LOG_CATEGORY__ORG_APACHE_KAFKA__LEVEL=WARN \
  nohup "$REGISTRY_JAVA" -Xms128m -Xmx768m -Dlocal.stack.home="$STACK_HOME" \
    -jar "$(registry_dir)/quarkus-run.jar" >>"$LOGS/registry.log" 2>&1 &
  echo $! >"$RUN/registry.pid"
}

up() {
  fetch
  mkdir -p "$DATA" "$LOGS" "$RUN"
  local t0=$SECONDS
  start_kafka
  wait_for kafka kafka_ready "$LOGS/kafka.log"
  say "kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT"
  start_registry
  wait_for registry registry_ready "$LOGS/registry.log"
  say "apicurio registry $REGISTRY_VERSION ready on http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  say "up in $((SECONDS - t0))s; logs in $LOGS"
}

stop_one() {
  local name="$1" pid
  if [ -f "$RUN/$name.pid" ]; then
    pid="$(cat "$RUN/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then say "$name did not stop in 30s, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
      say "$name stopped"
    fi
    rm -f "$RUN/$name.pid"
  fi
}

down() {
  stop_one registry   # first: it keeps its storage in Kafka
  stop_one kafka
  # anything of this stack that lost its pid file (tagged with -Dlocal.stack.home)
  if pgrep -f -- "-Dlocal.stack.home=$STACK_HOME " >/dev/null 2>&1; then
    pkill -TERM -f -- "-Dlocal.stack.home=$STACK_HOME " || true
    sleep 3
    pkill -KILL -f -- "-Dlocal.stack.home=$STACK_HOME " 2>/dev/null || true
    say "stopped stray stack processes"
  fi
  return 0
}

status() {
  local ok=0
  if pid_alive kafka && kafka_ready; then say "kafka     up   127.0.0.1:$KAFKA_PORT (pid $(cat "$RUN/kafka.pid"))"
  else say "kafka     down"; ok=1; fi
  if pid_alive registry && registry_ready; then say "registry  up   http://127.0.0.1:$REGISTRY_PORT (pid $(cat "$RUN/registry.pid"))"
  else say "registry  down"; ok=1; fi
  return $ok
}

case "${1:-}" in
  fetch) fetch ;;
  up) up ;;
  down) down ;;
  status) status ;;
  wipe) down; rm -rf "$DATA" "$LOGS" "$RUN" "$STACK_HOME/kafka.properties"; say "data and logs deleted" ;;
  *) echo "usage: stack/stack.sh fetch|up|down|status|wipe" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft; one node by default, or a cluster of STACK_BROKERS
# nodes that are each broker and controller) and Apicurio Registry, both from Maven Central, all on 127.0.0.1.
#
#   stack/stack.sh fetch            download the artifacts (cached: ~/.m2 and .local/stack/dist)
#   stack/stack.sh up               fetch if needed, format storage on first start, start all, wait until ready
#   stack/stack.sh down             stop all; leaves no process behind
#   stack/stack.sh status           one line per component; exit 0 only when all answer
#   stack/stack.sh wipe             down, then delete data, logs and credentials (artifacts stay cached)
#   stack/stack.sh env              the settings a service needs to use this stack (KAFKA_BROKERS, ...)
#   stack/stack.sh kill-broker N    SIGKILL broker N (1..STACK_BROKERS), as a crash would
#   stack/stack.sh start-broker N   start broker N again and wait until it serves
#   stack/stack.sh add-recipient R  (STACK_SECURITY=scram) a SCRAM principal for recipient R, then the ACLs again
#   stack/stack.sh remove-recipient R  (STACK_SECURITY=scram) deletes recipient R's SCRAM credential and password
#                                   file, then the ACLs again (which removes R's); refuses while agreements/R.yaml
#                                   exists and its term has not ended
#   stack/stack.sh tools-env        fetch Kafka's own tools if needed (stack/pom-tools.xml); print the java and
#                                   classpath to run them (KAFKA_TOOLS_JAVA=..., KAFKA_TOOLS_CLASSPATH=...)
#
# STACK_BROKERS=3: three nodes on 127.0.0.1, a 3-voter quorum; broker N listens on STACK_KAFKA_PORT+2(N-1)
# and its controller on STACK_CONTROLLER_PORT+2(N-1) (9092/9093, 9094/9095, 9096/9097); internal topics
# have 3 replicas and min ISR 2, and so does the registry's storage. The count is kept in the stack home
# at the first `up`; later commands read it from there (changing it needs `wipe`).
# STACK_SECURITY=scram: SASL/SCRAM-SHA-512 over TLS (SASL_SSL) on the client listeners, the
# StandardAuthorizer, one principal per service and per recipient with the ACLs of stack/acls.ts, and a
# super user `admin` for the stack and the registry. Passwords, and a test CA of the stack's own with a
# key and certificate per node that it signed (openssl; clients trust $STACK_HOME/secrets/tls/ca.pem,
# KAFKA_SSL_CA_FILE), are made at the first `up` into $STACK_HOME/secrets (0700, files 0600), never into
# the repository; `wipe` deletes them.
#
# Every setting has an env name (see README, "Local stack"). `up` and `down` are idempotent.
# STACK_REGISTRY=none starts Kafka alone. STACK_DIST shares downloaded artifacts between stack homes (the stack script test uses it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_HOME="${STACK_HOME:-$ROOT/.local/stack}"
KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${STACK_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${STACK_REGISTRY_PORT:-8080}"
REGISTRY_MANAGEMENT_PORT="${STACK_REGISTRY_MANAGEMENT_PORT:-9000}"
READY_TIMEOUT="${STACK_READY_TIMEOUT:-180}"
# none: Kafka only (tests of Kafka alone save the registry's ~30 s start)
WITH_REGISTRY="${STACK_REGISTRY:-apicurio}"
# Apicurio 3.x is compiled for Java 21; Kafka 4.x needs Java 17. Without a Java 21+ the registry falls back
# to the 2.6.x line (Java 17), the second step of the fallback chain in the README.
APICURIO_FALLBACK_VERSION="${STACK_APICURIO_FALLBACK_VERSION:-2.6.13.Final}"

DIST="${STACK_DIST:-$STACK_HOME/dist}"
DATA="$STACK_HOME/data"
LOGS="$STACK_HOME/logs"
RUN="$STACK_HOME/run"
SECRETS="$STACK_HOME/secrets"
POM="$ROOT/stack/pom.xml"
SETTINGS="$STACK_HOME/stack.settings"  # what the first `up` chose: broker count and security

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# the repository's Node (node_modules/.bin/node, the version package.json asks for) runs stack/acls.ts
NODE="$ROOT/node_modules/.bin/node"
[ -x "$NODE" ] || NODE="node"

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
tools_libs() { echo "$DIST/kafka-tools-$KAFKA_VERSION/libs"; }
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

# Kafka's own tools (ProducerPerformance, ConsumerPerformance; npm run bench:pipeline), in a directory of
# their own so that fetching them never fetches the broker again; on stdout only the two settings
tools_env() {
  require_tools
  KAFKA_JAVA="$(find_java 17)"
  [ -n "$KAFKA_JAVA" ] || die "no Java 17 or newer found: Kafka's tools $KAFKA_VERSION need one (set STACK_JAVA to its java binary)"
  local libs; libs="$(tools_libs)"
  if [ ! -f "$libs/.complete" ]; then
    say "fetching Kafka's tools $KAFKA_VERSION (org.apache.kafka:kafka-tools) from Maven Central" >&2
    mkdir -p "$DIST" && rm -rf "$libs"
    mvn -B -q -Dstyle.color=never -f "$ROOT/stack/pom-tools.xml" -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" >"$DIST/fetch-tools.log" 2>&1 \
      || die "Maven could not resolve org.apache.kafka:kafka-tools:$KAFKA_VERSION; see $DIST/fetch-tools.log"
    touch "$libs/.complete"
  fi
  echo "KAFKA_TOOLS_JAVA=$KAFKA_JAVA"
  echo "KAFKA_TOOLS_CLASSPATH=$libs/*"
}

# ---- the shape of this stack: how many nodes, which security; fixed at the first `up` ----

NODES=""
SECURITY=""
load_settings() {
  local kept_nodes="" kept_security=""
  if [ -f "$SETTINGS" ]; then
    kept_nodes="$(sed -n 's/^brokers=//p' "$SETTINGS")"
    kept_security="$(sed -n 's/^security=//p' "$SETTINGS")"
  elif [ -f "$DATA/kafka/meta.properties" ]; then
    kept_nodes=1 kept_security=none  # a home made before the stack kept its settings: one open node
  fi
  NODES="${STACK_BROKERS:-${kept_nodes:-1}}"
  SECURITY="${STACK_SECURITY:-${kept_security:-none}}"
  case "$NODES" in 1|3|5) ;; *) die "STACK_BROKERS=$NODES: expected 1, 3 or 5 (a KRaft quorum needs an odd number of voters)";; esac
  case "$SECURITY" in none|scram) ;; *) die "STACK_SECURITY=$SECURITY: expected none or scram";; esac
  if [ -n "$kept_nodes" ] && { [ "$kept_nodes" != "$NODES" ] || [ "$kept_security" != "$SECURITY" ]; }; then
    die "this stack home was made with STACK_BROKERS=$kept_nodes STACK_SECURITY=$kept_security; run \`stack/stack.sh wipe\` to change that"
  fi
}
save_settings() { printf 'brokers=%s\nsecurity=%s\n' "$NODES" "$SECURITY" >"$SETTINGS"; }

# node 1 of a single-node stack keeps the names it always had (kafka.pid, kafka.log, data/kafka)
node_name() { if [ "$NODES" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }
node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $((CONTROLLER_PORT + 2 * ($1 - 1))); }
node_config() { echo "$STACK_HOME/$(node_name "$1").properties"; }
all_nodes() { seq 1 "$NODES"; }
bootstrap_servers() { local i out=""; for i in $(all_nodes); do out="$out${out:+,}127.0.0.1:$(node_port "$i")"; done; echo "$out"; }
replicas() { if [ "$NODES" = 1 ]; then echo 1; else echo 3; fi; }
min_isr() { if [ "$NODES" = 1 ]; then echo 1; else echo 2; fi; }

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
node_ready() { port_open "$(node_port "$1")" && grep -q "Kafka Server started" "$LOGS/$(node_name "$1").log" 2>/dev/null; }
registry_ready() { curl -sf -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects"; }

wait_for() { # $1 = name, $2.. = check command; the log is $LOGS/$1.log
  local name="$1" started=$SECONDS; shift
  until "$@"; do
    pid_alive "$name" || die "$name exited during start-up; last lines of $LOGS/$name.log:
$(tail -n 20 "$LOGS/$name.log" 2>/dev/null)"
    [ $((SECONDS - started)) -lt "$READY_TIMEOUT" ] || die "$name not ready after ${READY_TIMEOUT}s (STACK_READY_TIMEOUT); see $LOGS/$name.log"
    sleep 0.5
  done
}

# ---- credentials (STACK_SECURITY=scram) ----

password_file() { echo "$SECRETS/$1.password"; }
# a new random password for a principal, 0600 from creation; an existing one is kept
make_password() {
  local file; file="$(password_file "$1")"
  [ -f "$file" ] && return 0
  (umask 077; mkdir -p "$SECRETS"; openssl rand -hex 24 | tr -d '\n' >"$file.tmp" && mv "$file.tmp" "$file")
}
password_of() { cat "$(password_file "$1")"; }
# the principals stack/acls.ts derives from the services and the agreements (admin is the stack's own)
principals() { (cd "$ROOT" && "$NODE" stack/acls.ts principals); }
# client properties for Kafka's own tools, as admin (0600: it holds the password); TLS verified against
# the stack's CA, host name included (Kafka's clients check it by default: ssl.endpoint.identification.algorithm)
admin_client_config() {
  local file="$SECRETS/admin-client.properties"
  (umask 077; cat >"$file" <<EOF
security.protocol=SASL_SSL
ssl.truststore.type=PEM
ssl.truststore.location=$(ca_cert)
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
EOF
  )
  echo "$file"
}

# ---- the stack's own test CA (STACK_SECURITY=scram) ----
# PEM files, not PKCS12 keystores: Kafka 4.1 reads a PEM key and certificate chain (ssl.keystore.type=PEM) and
# a PEM truststore, the registry's Kafka client too, and Node's TLS takes the same ca.pem; PKCS12 would need
# keytool and a store password that is one more secret to keep. The keys are unencrypted PKCS#8 (what
# Kafka's PEM loader reads without ssl.key.password), protected like the passwords: 0600 in a 0700 directory.
TLS_DIR="$SECRETS/tls"
TLS_DAYS="${STACK_TLS_DAYS:-825}"
ca_cert() { echo "$TLS_DIR/ca.pem"; }
node_keystore() { echo "$TLS_DIR/$(node_name "$1").pem"; }  # the node's key, then its certificate
# the CA at the first `up`, then a key and certificate per node signed by it (for 127.0.0.1 and localhost,
# the names clients connect to); what exists is kept, so clients keep trusting the same ca.pem
make_tls() {
  command -v openssl >/dev/null 2>&1 || die "openssl is missing: STACK_SECURITY=scram makes its own test CA with it (apt install openssl)"
  (umask 077; mkdir -p "$TLS_DIR"; chmod 700 "$SECRETS" "$TLS_DIR"
    if [ ! -f "$TLS_DIR/ca.key" ] || [ ! -f "$TLS_DIR/ca.pem" ]; then
      rm -f "$TLS_DIR"/kafka*.pem  # certificates of another CA
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_DIR/ca.key.tmp" 2>>"$LOGS/tls.log" \
        && openssl req -x509 -new -key "$TLS_DIR/ca.key.tmp" -sha256 -days "$TLS_DAYS" \
          -subj "/CN=register-feeds local stack test CA $(openssl rand -hex 4)" \
          -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
          -out "$TLS_DIR/ca.pem.tmp" 2>>"$LOGS/tls.log" \
        && mv "$TLS_DIR/ca.key.tmp" "$TLS_DIR/ca.key" && mv "$TLS_DIR/ca.pem.tmp" "$TLS_DIR/ca.pem" \
        || die "making the stack's test CA failed; see $LOGS/tls.log"
      say "made the stack's test CA: $TLS_DIR/ca.pem (valid $TLS_DAYS days)"
    fi
    local i name key ext
    for i in $(all_nodes); do
      [ -f "$(node_keystore "$i")" ] && continue
      name="$(node_name "$i")" key="$TLS_DIR/$name.key.tmp" ext="$TLS_DIR/$name.ext.tmp"
      # clientAuth too: a node is the client of the others on the same listener (inter-broker)
      printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" >"$ext"
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>>"$LOGS/tls.log" \
        && openssl req -new -key "$key" -subj "/CN=localhost/OU=$name" 2>>"$LOGS/tls.log" \
        | openssl x509 -req -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" -set_serial "0x$(openssl rand -hex 15)" \
          -days "$TLS_DAYS" -sha256 -extfile "$ext" -out "$TLS_DIR/$name.crt.tmp" 2>>"$LOGS/tls.log" \
        && cat "$key" "$TLS_DIR/$name.crt.tmp" >"$(node_keystore "$i").tmp" && mv "$(node_keystore "$i").tmp" "$(node_keystore "$i")" \
        || die "signing the certificate of $name failed; see $LOGS/tls.log"
      rm -f "$key" "$ext" "$TLS_DIR/$name.crt.tmp"
    done
  )
}

write_kafka_config() { # $1 = node
  local node="$1" voters="" i
  for i in $(all_nodes); do voters="$voters${voters:+,}$i@127.0.0.1:$(node_controller_port "$i")"; done
  local port; port="$(node_port "$node")"
  local cport; cport="$(node_controller_port "$node")"
  local r; r="$(replicas)"
  local isr; isr="$(min_isr)"
  (umask 077; {
    cat <<EOF
# generated by stack/stack.sh: node $node of $NODES, both broker and controller
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
log.dirs=$DATA/$(node_name "$node")
num.partitions=3
# internal topics: one replica on one node (or the group and transaction coordinators never become
# available); on a cluster three, of which two must have every write, so one node can be lost
offsets.topic.replication.factor=$r
transaction.state.log.replication.factor=$r
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$r
share.coordinator.state.topic.min.isr=$isr
default.replication.factor=$r
min.insync.replicas=$isr
group.initial.rebalance.delay.ms=0
# topics are created on purpose, with their partitions and cleanup policy (see README topic catalogue)
auto.create.topics.enable=false
EOF
    if [ "$SECURITY" = scram ]; then
      local admin; admin="$(password_of admin)"
      cat <<EOF
# SASL/SCRAM-SHA-512 over TLS for clients and between brokers (one listener: the brokers talk to each other
# the way clients talk to them). PLAIN (admin only) without TLS between brokers and controllers: a
# controller cannot check SCRAM credentials it keeps in the very metadata it is serving, and that listener
# is bound to 127.0.0.1 and carries no client's data or password, only the admin's, which is in this file.
listeners=SASL_SSL://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=SASL_SSL://127.0.0.1:$port
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
# this node's key and certificate (signed by the stack's CA, for 127.0.0.1 and localhost); the CA is what it
# trusts as the client of the other nodes. No client certificates: clients prove who they are with SCRAM.
ssl.keystore.type=PEM
ssl.keystore.location=$(node_keystore "$node")
ssl.truststore.type=PEM
ssl.truststore.location=$(ca_cert)
ssl.client.auth=none
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin" user_admin="$admin";
# ACLs: nothing is allowed that no ACL allows (stack/acls.ts), except to the stack's own super user
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
EOF
    else
      cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
    fi
  } >"$(node_config "$node")")
}

format_storage() { # every node, one cluster id; SCRAM credentials are written into the first metadata
  local cp; cp="$(kafka_libs)/*"
  local i need=0
  for i in $(all_nodes); do [ -f "$DATA/$(node_name "$i")/meta.properties" ] || need=1; done
  [ "$need" = 1 ] || return 0
  local cluster_id; cluster_id="$("$KAFKA_JAVA" -cp "$cp" kafka.tools.StorageTool random-uuid)"
  local scram=()
  if [ "$SECURITY" = scram ]; then
    make_tls
    local who
    for who in admin $(principals); do
      make_password "$who"
      scram+=(--add-scram "SCRAM-SHA-512=[name=$who,password=$(password_of "$who")]")
    done
  fi
  for i in $(all_nodes); do
    rm -rf "${DATA:?}/$(node_name "$i")" && mkdir -p "$DATA/$(node_name "$i")"
    write_kafka_config "$i"
    "$KAFKA_JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$(node_config "$i")" "${scram[@]}" >>"$LOGS/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage of node $i failed; see $LOGS/kafka-format.log"
  done
  save_settings
  say "formatted Kafka storage (cluster $cluster_id, $NODES node(s), security $SECURITY)"
}

start_node() { # $1 = node; does not wait
  local node="$1" name; name="$(node_name "$1")"
  if pid_alive "$name"; then say "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  port_open "$(node_port "$node")" && die "port $(node_port "$node") is taken by another process: stop it or set STACK_KAFKA_PORT"
  [ "$SECURITY" = scram ] && [ ! -f "$(password_file admin)" ] && die "credentials are missing from $SECRETS: run \`stack/stack.sh wipe\` and \`up\`"
  # a secured home made before the stack had TLS gets its CA and certificates at its next start
  if [ "$SECURITY" = scram ]; then make_tls; fi
  write_kafka_config "$node"
  local cp; cp="$(kafka_libs)/*"
  : >"$LOGS/$name.log"
  # -Dlocal.stack.home tags the process so `down` can find it even without its pid file
  nohup "$KAFKA_JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlocal.stack.home="$STACK_HOME" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$(node_config "$node")" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

start_registry() {
  if pid_alive registry; then say "registry already running (pid $(cat "$RUN/registry.pid"))"; return; fi
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by another process: stop it or set STACK_REGISTRY_PORT"
  : >"$LOGS/registry.log"
  # Quarkus reads config/application.properties from its working directory: the registry's Kafka client
  # settings go there (0600), so the admin password is on no command line and in no environment
  local home="$STACK_HOME/registry"
  mkdir -p "$home/config"
  (umask 077; {
    echo "# generated by stack/stack.sh"
    # its topics take the brokers' defaults: replication 1 on one node, 3 with min ISR 2 on a cluster
    if [ "$SECURITY" = scram ]; then
      echo "apicurio.kafka.common.security.protocol=SASL_SSL"
      echo "apicurio.kafka.common.ssl.truststore.type=PEM"
      echo "apicurio.kafka.common.ssl.truststore.location=$(ca_cert)"
      echo "apicurio.kafka.common.sasl.mechanism=SCRAM-SHA-512"
      echo "apicurio.kafka.common.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(password_of admin)\";"
    fi
  } >"$home/config/application.properties")
  # Storage in Kafka (kafkasql) so schemas survive a restart of the registry, like the data they describe.
  # Canonical hashing: a schema re-registered with other whitespace keeps its id.
  cd "$home"
  APICURIO_STORAGE_KIND=kafkasql \
  APICURIO_KAFKASQL_BOOTSTRAP_SERVERS="$(bootstrap_servers)" \
  APICURIO_CCOMPAT_USE_CANONICAL_HASH=true \
  REGISTRY_CCOMPAT_USE_CANONICAL_HASH=true \
  REGISTRY_KAFKASQL_BOOTSTRAP_SERVERS="$(bootstrap_servers)" \
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
  QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$REGISTRY_MANAGEMENT_PORT" \
  QUARKUS_PROFILE=prod QUARKUS_LOG_CATEGORY__ORG_APACHE_KAFKA__LEVEL=WARN \
  nohup "$REGISTRY_JAVA" -Xms128m -Xmx768m -Dlocal.stack.home="$STACK_HOME" \
    -jar "$(registry_dir)/quarkus-run.jar" >>"$LOGS/registry.log" 2>&1 &
  echo $! >"$RUN/registry.pid"
  cd "$ROOT"
}

# the ACLs of stack/acls.ts, applied as admin (idempotent: an ACL that exists is left as it is)
apply_acls() {
  (cd "$ROOT" && KAFKA_BROKERS="$(bootstrap_servers)" KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=admin \
    KAFKA_SASL_PASSWORD_FILE="$(password_file admin)" KAFKA_SSL_CA_FILE="$(ca_cert)" "$NODE" stack/acls.ts apply) >>"$LOGS/acls.log" 2>&1 \
    || die "applying the ACLs failed; see $LOGS/acls.log"
  say "$(tail -n 1 "$LOGS/acls.log") (stack/acls.ts)"
}

up() {
  fetch
  load_settings
  mkdir -p "$DATA" "$LOGS" "$RUN"
  local t0=$SECONDS i
  format_storage
  save_settings
  # all nodes at once: a quorum of voters elects its leader only when a majority is up
  for i in $(all_nodes); do start_node "$i"; done
  for i in $(all_nodes); do wait_for "$(node_name "$i")" node_ready "$i"; done
  if [ "$NODES" = 1 ]; then say "kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT"
  else say "kafka $KAFKA_VERSION ready on $(bootstrap_servers) ($NODES brokers, a $NODES-voter KRaft quorum)"; fi
  [ "$SECURITY" = scram ] && apply_acls
  if [ "$WITH_REGISTRY" = none ]; then say "registry not started (STACK_REGISTRY=none)"
  else
    start_registry
    wait_for registry registry_ready
    say "apicurio registry $REGISTRY_VERSION ready on http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  fi
  say "up in $((SECONDS - t0))s; logs in $LOGS"
  print_env
}

# what a service needs to use this stack; `eval "$(stack/stack.sh env)"` or an env file
print_env() {
  say "service settings for this stack (also: stack/stack.sh env):"
  env_lines | sed 's/^/  /'
}
env_lines() {
  echo "KAFKA_BROKERS=$(bootstrap_servers)"
  echo "SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
  echo "TOPIC_REPLICATION_FACTOR=$(replicas)"
  echo "TOPIC_MIN_INSYNC_REPLICAS=$(min_isr)"
  if [ "$SECURITY" = scram ]; then
    echo "KAFKA_SASL_MECHANISM=scram-sha-512"
    echo "# one principal per service: KAFKA_SASL_USERNAME=<service>, its password file:"
    echo "KAFKA_SASL_PASSWORD_FILE=$SECRETS/<service>.password"
    echo "# TLS: the brokers' certificates are signed by the stack's own test CA"
    echo "KAFKA_SSL_CA_FILE=$(ca_cert)"
  fi
}

stop_pid() { # $1 = name; TERM, then KILL after 30 s
  local name="$1" pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid="$(cat "$RUN/$name.pid")"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "$name did not stop in 30s, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  say "$name stopped"
  rm -f "$RUN/$name.pid"
}
signal_pid() { [ -f "$RUN/$1.pid" ] && kill "-$2" "$(cat "$RUN/$1.pid")" 2>/dev/null || true; }

down() {
  signal_pid registry TERM; stop_pid registry  # first: it keeps its storage in Kafka
  # every node at once: nodes stopped one by one lose their quorum and the last waits for it in vain
  local i
  for i in $(all_nodes); do signal_pid "$(node_name "$i")" TERM; done
  for i in $(all_nodes); do stop_pid "$(node_name "$i")"; done
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
  local ok=0 i name
  for i in $(all_nodes); do
    name="$(node_name "$i")"
    if pid_alive "$name" && node_ready "$i"; then say "$(printf '%-9s' "$name") up   127.0.0.1:$(node_port "$i") (pid $(cat "$RUN/$name.pid"))"
    else say "$(printf '%-9s' "$name") down"; ok=1; fi
  done
  if pid_alive registry && registry_ready; then say "registry  up   http://127.0.0.1:$REGISTRY_PORT (pid $(cat "$RUN/registry.pid"))"
  elif [ "$WITH_REGISTRY" = none ]; then say "registry  not used (STACK_REGISTRY=none)"
  else say "registry  down"; ok=1; fi
  return $ok
}

broker_arg() { # $1 = the N of kill-broker/start-broker
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "expected a broker number from 1 to $NODES"
}

kill_broker() { # SIGKILL: a crash, not a clean shutdown (no controlled leadership hand-over)
  broker_arg "$1"
  local name; name="$(node_name "$1")"
  pid_alive "$name" || { say "$name is not running"; return 0; }
  local pid; pid="$(cat "$RUN/$name.pid")"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$RUN/$name.pid"
  say "$name killed (was pid $pid)"
}

start_broker() {
  broker_arg "$1"
  mkdir -p "$LOGS" "$RUN"
  start_node "$1"
  wait_for "$(node_name "$1")" node_ready "$1"
  say "$(node_name "$1") ready on 127.0.0.1:$(node_port "$1")"
}

add_recipient() { # $1 = recipient id; its agreement (agreements/$1.yaml) says which topic it reads
  [ "$SECURITY" = scram ] || die "add-recipient needs a stack started with STACK_SECURITY=scram"
  [[ "${1:-}" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "expected a recipient id (lower-case letters, digits, hyphens)"
  (cd "$ROOT" && "$NODE" stack/acls.ts principals) | grep -qx "$1" \
    || die "no agreement for recipient $1 in agreements/ (its output topic decides what it may read): add it first"
  choose_runtimes
  make_password "$1"
  local cp; cp="$(kafka_libs)/*"
  "$KAFKA_JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" kafka.admin.ConfigCommand \
    --bootstrap-server "$(bootstrap_servers)" --command-config "$(admin_client_config)" \
    --alter --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$(password_of "$1")]" >>"$LOGS/acls.log" 2>&1 \
    || die "creating the SCRAM user $1 failed; see $LOGS/acls.log"
  apply_acls
  say "recipient $1: principal User:$1, password in $(password_file "$1") (hand it over out of band)"
}

remove_recipient() { # $1 = recipient id whose agreement has ended or is gone: no login, no ACL any more
  [ "$SECURITY" = scram ] || die "remove-recipient needs a stack started with STACK_SECURITY=scram"
  [[ "${1:-}" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "expected a recipient id (lower-case letters, digits, hyphens)"
  local state; state="$(cd "$ROOT" && "$NODE" stack/acls.ts term "$1")" || die "reading the agreements failed"
  case "$state" in
    running|not-started) die "the agreement of recipient $1 has not ended ($state): set its term.to or remove agreements/$1.yaml first" ;;
    none) { [ "$1" = admin ] || (cd "$ROOT" && "$NODE" stack/acls.ts principals) | grep -qx "$1"; } \
      && die "$1 is not a recipient but one of the system's own principals" ;;
  esac
  choose_runtimes
  local cp; cp="$(kafka_libs)/*"
  # the credential first: from now on R cannot log in; the ACLs then go at once, for sessions still open too
  if "$KAFKA_JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/stack/log4j2.properties" kafka.admin.ConfigCommand \
    --bootstrap-server "$(bootstrap_servers)" --command-config "$(admin_client_config)" \
    --alter --entity-type users --entity-name "$1" --delete-config SCRAM-SHA-512 >>"$LOGS/acls.log" 2>&1; then
    say "recipient $1: SCRAM credential deleted"
  elif tail -n 20 "$LOGS/acls.log" | grep -q 'credential that does not exist'; then
    say "recipient $1: had no SCRAM credential"
  else die "deleting the SCRAM user $1 failed; see $LOGS/acls.log"; fi
  rm -f "$(password_file "$1")"
  apply_acls
  say "recipient $1: removed (no credential, no ACL)"
}

case "${1:-}" in
  fetch) fetch ;;
  up) up ;;
  down) load_settings; down ;;
  status) load_settings; status ;;
  env) load_settings; env_lines ;;
  kill-broker) load_settings; kill_broker "${2:-}" ;;
  start-broker) require_tools; choose_runtimes; load_settings; start_broker "${2:-}" ;;
  add-recipient) load_settings; add_recipient "${2:-}" ;;
  remove-recipient) load_settings; remove_recipient "${2:-}" ;;
  tools-env) tools_env ;;
  wipe)
    # whatever this home was made with, not what the caller's environment says
    unset STACK_BROKERS STACK_SECURITY; load_settings; down
    rm -rf "$DATA" "$LOGS" "$RUN" "$SECRETS" "$SETTINGS" "$STACK_HOME/registry" "$STACK_HOME"/kafka*.properties
    say "data, logs and credentials deleted" ;;
  *) echo "usage: stack/stack.sh fetch|up|down|status|wipe|env|kill-broker N|start-broker N|add-recipient R|remove-recipient R|tools-env" >&2; exit 2 ;;
esac

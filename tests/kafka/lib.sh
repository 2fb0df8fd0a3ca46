# tests/kafka/lib.sh: what the Kafka end-to-end scenarios share (sourced by run.sh, not run): the
# throwaway PostgreSQL, kafka-mock peers, service processes, kcat as the outside producer and
# consumer, and a loopback TCP proxy that a test can freeze. Every process started here is
# recorded in $pids and stopped by run.sh's cleanup.

sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1" 2>/dev/null; }
sql_is() { [ "$(sql "$1")" = "$2" ]; }
outbox_empty() { sql_is "SELECT count(*) FROM inventory.outbox" 0; }

# stop_pid PID: SIGTERM, then SIGKILL after 10 s (a stopped process is continued first).
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -CONT "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}

# start_mock NAME [kafka-mock args...]: a new Kafka peer; sets $bootstrap and $mock_pid.
start_mock() {
    local name=$1; shift
    rm -f "$work/$name.bootstrap"
    "$repo/tools/kafka-mock/kafka-mock" --max-seconds "${KAFKA_TEST_TIMEOUT_S:-900}" --bootstrap-file "$work/$name.bootstrap" \
        "$@" >"$work/$name.log" 2>&1 &
    mock_pid=$!
    pids+=("$mock_pid")
    wait_until 10 test -s "$work/$name.bootstrap" || { cat "$work/$name.log"; return 1; }
    bootstrap=$(cat "$work/$name.bootstrap")
}

# produce TOPIC KEY PAYLOAD [PARTITION]
produce() {
    printf '%s\t%s\n' "$2" "$3" | kcat -P -b "$bootstrap" -t "$1" ${4:+-p "$4"} -K $'\t' 2>>"$work/kcat.log"
}
# produce_file TOPIC FILE [PARTITION]: one "key<TAB>payload" per line.
produce_file() {
    kcat -P -b "$bootstrap" -t "$1" ${3:+-p "$3"} -K $'\t' -l "$2" 2>>"$work/kcat.log"
}
# consume TOPIC: every message so far as JSON lines {partition, offset, key, headers, payload}.
consume() {
    kcat -C -b "$bootstrap" -t "$1" -o beginning -e -q -u \
        -f '{"partition":%p,"offset":%o,"key":"%k","headers":"%h","payload":%s}\n' 2>>"$work/kcat.log"
}
# consume_raw TOPIC: key, headers and payload of every message, tab-separated.
consume_raw() { kcat -C -b "$bootstrap" -t "$1" -o beginning -e -q -u -f '%k\t%h\t%s\n' 2>>"$work/kcat.log"; }

# start_service NAME [VAR=VALUE...]: starts the binary against $bootstrap with its log in
# $work/NAME.log; sets $last_pid and, once it listens, $base.
start_service() {
    local name=$1; shift
    local log=$work/$name.log
    : >"$log"
    env AUTH_MODE=off DATABASE_URL="${service_database_url:-postgresql://postgres@127.0.0.1:$pg_port/$database}" \
        HTTP_HOST=127.0.0.1 HTTP_PORT=0 KAFKA_BOOTSTRAP_SERVERS="$bootstrap" KAFKA_GROUP_ID="$group" \
        KAFKA_SESSION_TIMEOUT_MS=6000 KAFKA_EXTRA_CONFIG=fetch.wait.max.ms=20 "$@" "$binary" >>"$log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
    local port
    port=$(service_port "$log" "$last_pid")
    base=http://127.0.0.1:$port
    [ -n "$port" ]
}

# metric URL NAME: the value of a metric line (name with labels, exactly as exposed).
metric() { curl -s "$1/metrics" | awk -v name="$2" '$1 == name {print $2}'; }

# orders_file FILE PREFIX COUNT PRODUCT: COUNT order.created lines for PRODUCT, one unit each.
orders_file() {
    local i
    for i in $(seq "$3"); do
        printf '%s-%s\t{"orderId":"%s-%s","items":[{"productId":"%s","quantity":1}]}\n' "$2" "$i" "$2" "$i" "$4"
    done >"$1"
}

# start_proxy LISTEN_PORT TARGET_PORT: a loopback TCP proxy (python3) that a test can freeze with
# SIGSTOP; sets $proxy_pid. It ends by itself after the suite's time limit.
start_proxy() {
    python3 - "$1" "$2" "${KAFKA_TEST_TIMEOUT_S:-900}" >"$work/proxy.log" 2>&1 <<'PY' &
import socket, sys, threading, time
listen_port, target_port, lifetime = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve():
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(("127.0.0.1", target_port))
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
print("proxy ready", flush=True)
time.sleep(lifetime)
PY
    proxy_pid=$!
    pids+=("$proxy_pid")
    wait_until 10 grep -q 'proxy ready' "$work/proxy.log"
}

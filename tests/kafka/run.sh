#!/usr/bin/env bash
# tests/kafka/run.sh: end-to-end tests of the Kafka side of inventory-svc on loopback: a throwaway
# PostgreSQL 15, kafka-mock peers (librdkafka's mock cluster), the real service binary, kcat as the
# outside producer and consumer. The scenarios, in order (each in its own file beside this one):
#   basics.sh           order.created -> reservation -> inventory.updated field by field; paid,
#                       shipped, cancelled; duplicates; dead letters; redelivery to a new group
#   peers.sh            peers configured like production: nothing pre-created, and a dead-letter
#                       topic that refuses writes; a malformed message and 1,000 valid ones behind it
#   fresh_peer.sh       a restart against a fresh Kafka peer with the database kept
#   any_order.sh        order events in any order across topics; parked events expiring; re-drive
#                       of dead letters over REST
#   leadership.sh       relay takeover from a killed, a frozen and a cut-off leader; application_name
#   database_restart.sh PostgreSQL stopped under the running consumer; graceful shutdown
# Ends with one line "N passed, M failed"; exits non-zero on any failure; bounded by a watchdog.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), KAFKA_TEST_PG_PORT (25480),
#        KAFKA_TEST_PROXY_PORT (25481), KAFKA_TEST_EVENTS (3000), KAFKA_TEST_TIMEOUT_S (900)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/kafka
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
pg_port=${KAFKA_TEST_PG_PORT:-25480}
proxy_port=${KAFKA_TEST_PROXY_PORT:-25481}
stream_events=${KAFKA_TEST_EVENTS:-3000}
work=${TEST_SCRATCH_DIR:-$repo/.test}/kafka
pg_dir=$work/pg
database=kafkadb
passed=0
failed=0
pids=()

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql kcat python3
require_built "$binary"
[ -x "$repo/tools/kafka-mock/kafka-mock" ] || make -s -C "$repo/tools/kafka-mock" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

# shellcheck source=lib.sh
. "$here/lib.sh"

cleanup() {
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog "${KAFKA_TEST_TIMEOUT_S:-900}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

mkdir -p "$work"
rm -f "$work"/*.log
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"; echo "0 passed, 1 failed"; exit 1
fi
echo "# PostgreSQL on $pg_port"

for scenario in basics peers fresh_peer any_order leadership database_restart; do
    echo "# --- $scenario"
    # shellcheck source=/dev/null
    . "$here/$scenario.sh"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

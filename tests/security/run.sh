#!/usr/bin/env bash
# tests/security/run.sh: security tests of inventory-svc and pg_inventory against a throwaway
# PostgreSQL 15 (port 25490, in .test/security) and the real service binary:
#   - JWT authentication (RS256 and ES256 keys from a JWKS file and from a JWKS URL): 401 with
#     WWW-Authenticate for missing and bad tokens, 403 for missing scopes, key rotation picked up
#     after an unknown kid without restarting;
#   - the authenticated subject recorded as the actor of every ledger row;
#   - least privilege: the service logs in as a role that is only a member of inventory_admin, with
#     its URL and password read from files (scram), and cannot write any table or read the outbox;
#     the relay role can do only what the relay does;
#   - a hostile search_path: objects planted by a caller are not picked up by the API functions;
#   - secrets and tokens never reach the logs;
#   - HTTPS, and an internal listener that requires client certificates (mTLS), with real
#     certificates made by openssl and checked with curl.
# Ends with one line "N passed, M failed"; exits non-zero on any failure.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), JWT_TEST_TOOL (default
#        build/frontend/jwt_test_tool), SECURITY_TEST_PG_PORT (25490), SECURITY_TEST_JWKS_PORT (25491)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
tool=$(realpath -m "${JWT_TEST_TOOL:-$(dirname "$binary")/jwt_test_tool}")
pg_port=${SECURITY_TEST_PG_PORT:-25490}
jwks_port=${SECURITY_TEST_JWKS_PORT:-25491}
work=${TEST_SCRATCH_DIR:-$repo/.test}/security
pg_dir=$work/pg
database=secdb
issuer=https://idp.test/realms/shop
audience=inventory-svc
passed=0
failed=0
service_pid=""
jwks_server_pid=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql openssl python3
require_built "$binary" "$tool"

stop_service() {
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$service_pid" 2>/dev/null
        wait "$service_pid" 2>/dev/null
    fi
    service_pid=""
}
cleanup() {
    stop_service
    [ -n "$jwks_server_pid" ] && kill "$jwks_server_pid" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT

check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

# request METHOD URL [curl args...]: sets $status, $body, $headers.
request() {
    local method=$1 url=$2
    shift 2
    status=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' --max-time 10 -X "$method" "$@" "$url" \
        2>"$work/curl.err") || status=000
    body=$(cat "$work/body" 2>/dev/null)
    headers=$(tr -d '\r' <"$work/headers" 2>/dev/null)
}
# expect NAME STATUS [JQ_FILTER]
expect() {
    local name=$1 want=$2 filter=${3:-}
    if [ "$status" != "$want" ]; then fail "$name" "status $status, expected $want: ${body:0:300}"; return; fi
    if [ -n "$filter" ] && ! jq -e "$filter" >/dev/null 2>&1 <<<"$body"; then
        fail "$name" "body does not satisfy $filter: ${body:0:300}"; return
    fi
    pass "$name"
}
header_value() { grep -i "^$1:" <<<"$headers" | head -1 | cut -d' ' -f2-; }
sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1"; }
# sql_as ROLE PASSWORD SQL: prints the SQLSTATE on failure (VERBOSITY sqlstate), the rows otherwise.
sql_as() {
    PGPASSWORD=$2 psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U "$1" -d "$database" -v ON_ERROR_STOP=1 \
        -v VERBOSITY=sqlstate -c '\set VERBOSITY sqlstate' -c "$3" 2>&1
}
# denied NAME ROLE PASSWORD SQL: the statement fails with 42501 (insufficient_privilege).
denied() {
    local out
    out=$(sql_as "$2" "$3" "$4")
    if grep -q 42501 <<<"$out"; then pass "$1"; else fail "$1" "expected 42501, got: ${out:0:200}"; fi
}
allowed() {
    local out
    if out=$(sql_as "$2" "$3" "$4"); then pass "$1"; else fail "$1" "${out:0:200}"; fi
}

token() { "$tool" sign "$work/keys/$1.pem" "$2" "$3" "$4"; }
claims() {  # claims SUBJECT SCOPE [extra jq assignments]
    jq -cn --arg iss "$issuer" --arg aud "$audience" --arg sub "$1" --arg scope "$2" \
        "{iss: \$iss, aud: [\"account\", \$aud], sub: \$sub, scope: \$scope, exp: \"\$now+600\", nbf: \"\$now-5\"} ${3:-}"
}

# start_service LOG [VAR=VALUE...]: starts the binary with the common settings plus the given ones;
# sets $base (public listener) and $internal_port when there is one.
start_service() {
    local service_log=$1
    shift
    : >"$service_log"
    env -i PATH="$PATH" HTTP_HOST=127.0.0.1 HTTP_PORT=0 HTTP_THREADS=2 DB_POOL_SIZE=4 \
        "$@" "$binary" >>"$service_log" 2>&1 &
    service_pid=$!
    port=$(service_port "$service_log" "$service_pid")
    internal_port=$(grep -o '"internal_port":[0-9]*' "$service_log" | head -1 | cut -d: -f2)
    scheme=http
    grep -q '"tls":true' "$service_log" && scheme=https
    base=$scheme://127.0.0.1:$port
}

# --- setup ----------------------------------------------------------------------------------------
mkdir -p "$work"
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir" "$work/keys" "$work/tls" "$work/secrets" "$work/jwks"
mkdir -p "$pg_dir" "$work/keys" "$work/tls" "$work/secrets" "$work/jwks"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"
    echo "0 passed, 1 failed"
    exit 1
fi
sql "ALTER EXTENSION pg_inventory UPDATE" >/dev/null 2>&1

# Login roles, as a deployer would create them; the service and relay must use passwords (scram).
service_password="svc-$(openssl rand -hex 12)"
relay_password="relay-$(openssl rand -hex 12)"
mallory_password="mallory-$(openssl rand -hex 12)"
sql "SET password_encryption = 'scram-sha-256';
     CREATE ROLE inventory_svc LOGIN PASSWORD '$service_password' IN ROLE inventory_admin;
     CREATE ROLE outbox_relay LOGIN PASSWORD '$relay_password' IN ROLE inventory_relay;
     CREATE ROLE mallory LOGIN PASSWORD '$mallory_password' IN ROLE inventory_admin;
     CREATE SCHEMA mallory AUTHORIZATION mallory;" >/dev/null
hba=$pg_dir/data/pg_hba.conf
{
    echo "host all inventory_svc,outbox_relay,mallory 127.0.0.1/32 scram-sha-256"
    cat "$hba"
} >"$hba.new" && cat "$hba.new" >"$hba" && rm -f "$hba.new"
sql "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
printf '%s\n' "$service_password" >"$work/secrets/db-password"
printf 'postgresql://inventory_svc@127.0.0.1:%s/%s\n' "$pg_port" "$database" >"$work/secrets/database-url"
chmod 600 "$work/secrets/"*

# Keys and the JWKS (the identity provider's part), and a key the JWKS does not hold.
for key in rsa-1:RSA ec-1:EC rsa-2:RSA stranger:RSA; do
    "$tool" key "${key#*:}" >"$work/keys/${key%%:*}.pem"
done
"$tool" jwks rsa-1="$work/keys/rsa-1.pem" ec-1="$work/keys/ec-1.pem" >"$work/jwks/jwks.json"

sql "SELECT inventory_set_stock('seed', 100)" >/dev/null

# --- configuration --------------------------------------------------------------------------------
out=$(env -i DATABASE_URL=x "$binary" 2>&1); rc=$?
check "authentication is on by default: no JWKS, no start" test $rc -eq 2 -a -n "$(grep AUTH_JWKS_FILE <<<"$out")"
out=$(env -i DATABASE_URL=x AUTH_JWKS_FILE="$work/jwks/jwks.json" AUTH_AUDIENCE=a "$binary" 2>&1); rc=$?
check "AUTH_ISSUER is required" test $rc -eq 2 -a -n "$(grep AUTH_ISSUER <<<"$out")"
out=$(env -i DATABASE_URL=x AUTH_MODE=disabled "$binary" 2>&1); rc=$?
check "only AUTH_MODE=off switches authentication off" test $rc -eq 2 -a -n "$(grep AUTH_MODE <<<"$out")"
out=$(env -i DATABASE_URL_FILE=/nonexistent/url AUTH_MODE=off "$binary" 2>&1); rc=$?
check "an unreadable DATABASE_URL_FILE is named" test $rc -eq 2 -a -n "$(grep DATABASE_URL_FILE <<<"$out")"
out=$(env -i DATABASE_URL=x AUTH_MODE=off INTERNAL_HTTP_PORT=0 INTERNAL_TLS_CLIENT_CA_FILE=/x "$binary" 2>&1); rc=$?
check "client certificates need TLS" test $rc -eq 2

# --- JWT authentication, least-privilege role, secrets from files -------------------------------
log=$work/service-jwt.log
start_service "$log" AUTH_JWKS_FILE="$work/jwks/jwks.json" AUTH_ISSUER="$issuer" AUTH_AUDIENCE="$audience" \
    AUTH_JWKS_MIN_REFRESH_GAP_S=1 DATABASE_URL_FILE="$work/secrets/database-url" \
    DATABASE_PASSWORD_FILE="$work/secrets/db-password"
if [ -z "$port" ]; then fail "service started with JWT" "$(cat "$log")"; echo "$passed passed, $failed failed"; exit 1; fi
pass "service started with JWT auth, connecting as inventory_svc with secrets from files"

request GET "$base/health"; expect "GET /health needs no token" 200
request GET "$base/ready"; expect "GET /ready: the least-privilege role reaches the database" 200 '.status == "ready" and (has("warnings") | not)'
check "no auth warning on /ready with JWT" test -z "$(header_value Warning)"
check "the database role is inventory_svc" test "$(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'inventory_svc'")" -ge 1

reader=$(token rsa-1 RS256 rsa-1 "$(claims reader-rita 'openid inventory:read')")
writer=$(token rsa-1 RS256 rsa-1 "$(claims writer-bob 'inventory:write')")
admin=$(token ec-1 ES256 ec-1 "$(claims admin-alice 'inventory:admin profile')")
noscope=$(token rsa-1 RS256 rsa-1 "$(claims nobody 'openid profile')")

request GET "$base/v1/stock/seed"
expect "no token: 401" 401 '.status == 401 and .type == "/problems/unauthenticated"'
check "no token: WWW-Authenticate Bearer" test "$(header_value WWW-Authenticate)" = 'Bearer realm="inventory"'
request GET "$base/v1/stock/seed" -H "Authorization: Bearer not-a-token"
expect "garbage token: 401" 401
check "garbage token: error=invalid_token" grep -q 'error="invalid_token"' <<<"$(header_value WWW-Authenticate)"
request GET "$base/v1/stock/seed" -H "Authorization: Basic YWRtaW46YWRtaW4="
expect "Basic credentials: 401" 401
for case in "expired:|.exp = \"\$now-120\"" "not yet valid:|.nbf = \"\$now+120\"" "wrong issuer:|.iss = \"https://evil.test\"" \
            "wrong audience:|.aud = \"someone-else\"" "no subject:|del(.sub)" "no exp:|del(.exp)"; do
    name=${case%%:*}
    bad=$(token rsa-1 RS256 rsa-1 "$(claims reader-rita inventory:read "${case#*:}")")
    request GET "$base/v1/stock/seed" -H "Authorization: Bearer $bad"
    expect "$name token: 401" 401
done
bad=$(token stranger RS256 rsa-1 "$(claims reader-rita inventory:read)")
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $bad"
expect "token signed by a key outside the JWKS: 401" 401
bad=$(token rsa-1 HS256 rsa-1 "$(claims reader-rita inventory:admin)")
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $bad"
expect "HS256 token: 401" 401
bad=$(token rsa-1 none rsa-1 "$(claims reader-rita inventory:admin)")
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $bad"
expect "unsigned token (alg none): 401" 401
# The payload of a valid reader token swapped for one with the admin scope.
forged=$(cut -d. -f1 <<<"$reader").$(claims reader-rita inventory:admin | sed 's/"\$now+600"/9999999999/; s/"\$now-5"/0/' | basenc --base64url | tr -d '=\n').$(cut -d. -f3 <<<"$reader")
request PUT "$base/v1/stock/seed/main" -H "Authorization: Bearer $forged" -H 'Content-Type: application/json' -d '{"on_hand": 1}'
expect "forged payload: 401" 401

request GET "$base/v1/stock/seed" -H "Authorization: Bearer $noscope"
expect "token without inventory scopes: 403" 403 '.status == 403'
check "403: error=insufficient_scope scope=inventory:read" grep -q 'error="insufficient_scope", scope="inventory:read"' <<<"$(header_value WWW-Authenticate)"
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $reader"
expect "reader reads stock" 200 '.on_hand == 100'
request POST "$base/v1/reservations" -H "Authorization: Bearer $reader" -H 'Content-Type: application/json' \
    -d '{"order_id": "o-sec-1", "lines": [{"product_id": "seed", "quantity": 2}]}'
expect "reader cannot reserve: 403" 403
check "403 names inventory:write" grep -q 'scope="inventory:write"' <<<"$(header_value WWW-Authenticate)"
request POST "$base/v1/reservations" -H "Authorization: Bearer $writer" -H 'Content-Type: application/json' \
    -d '{"order_id": "o-sec-1", "lines": [{"product_id": "seed", "quantity": 2}]}'
expect "writer (RS256) reserves" 201
request PUT "$base/v1/stock/seed/main" -H "Authorization: Bearer $writer" -H 'Content-Type: application/json' -d '{"on_hand": 5}'
expect "writer cannot change stock: 403" 403
request POST "$base/v1/admin/expire-reservations" -H "Authorization: Bearer $writer"
expect "writer cannot run the reaper: 403" 403
request POST "$base/v1/stock/import" -H "Authorization: Bearer $writer" -H 'Content-Type: text/csv' --data-binary $'product_id,on_hand\nx,1\n'
expect "writer cannot import: 403" 403
request PUT "$base/v1/stock/gadget/main" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"on_hand": 7}'
expect "admin (ES256) sets stock" 200 '.on_hand == 7'
request POST "$base/v1/stock/gadget/main/restock" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"quantity": 3}'
expect "admin restocks" 200 '.on_hand == 10'
request POST "$base/v1/orders/o-sec-1/confirm" -H "Authorization: Bearer $admin"
expect "admin scope includes write" 200
request GET "$base/v1/stock/seed/ledger" -H "Authorization: Bearer $admin"
expect "admin scope includes read (ledger)" 200

# --- who did it -----------------------------------------------------------------------------------
check "ledger: set_stock and restock by admin-alice" \
    test "$(sql "SELECT string_agg(actor, ',' ORDER BY version) FROM inventory.ledger WHERE product_id = 'gadget'")" = "admin-alice,admin-alice"
check "ledger: the reservation by writer-bob, the confirmation by admin-alice" \
    test "$(sql "SELECT string_agg(coalesce(actor, '-'), ',' ORDER BY version) FROM inventory.ledger WHERE product_id = 'seed' AND version IN (2, 3)")" = "writer-bob,admin-alice"
check "ledger: the database user is inventory_svc" \
    test "$(sql "SELECT DISTINCT db_user FROM inventory.ledger WHERE product_id = 'gadget'")" = inventory_svc
check "ledger: the seed row (psql, no actor) has none" \
    test "$(sql "SELECT count(*) FROM inventory.ledger WHERE product_id = 'seed' AND version = 1 AND actor IS NULL")" = 1
request GET "$base/v1/stock/gadget/ledger" -H "Authorization: Bearer $reader"
expect "the ledger route shows the actor" 200 '[.items[].actor] == ["admin-alice", "admin-alice"]'
check "the actor does not stick to the pooled connection" \
    test "$(sql_as inventory_svc "$service_password" "SELECT coalesce(nullif(current_setting('inventory.actor', true), ''), 'none')")" = none

# --- key rotation (JWKS file) ---------------------------------------------------------------------
rotated=$(token rsa-2 RS256 rsa-2 "$(claims writer-bob inventory:read)")
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $rotated"
expect "token with a kid not in the JWKS yet: 401 at once" 401
"$tool" jwks rsa-1="$work/keys/rsa-1.pem" ec-1="$work/keys/ec-1.pem" rsa-2="$work/keys/rsa-2.pem" >"$work/jwks/jwks.json.new"
mv "$work/jwks/jwks.json.new" "$work/jwks/jwks.json"
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $rotated"  # asks the refresher again
for _ in $(seq 40); do
    request GET "$base/v1/stock/seed" -H "Authorization: Bearer $rotated"
    [ "$status" = 200 ] && break
    sleep 0.1
done
expect "the rotated key is used after the background refresh" 200

# --- secrets never reach the logs -----------------------------------------------------------------
check "the database password is not in the log" test -z "$(grep -F "$service_password" "$log")"
check "no bearer token is in the log" test -z "$(grep -F -e "$(cut -d. -f3 <<<"$admin")" -e "$(cut -d. -f3 <<<"$writer")" "$log")"
check "the request log names the subject" grep -q '"subject":"admin-alice"' "$log"
stop_service

# A wrong password: the service stays up but unready, and the log does not show the password.
printf 'wrong-%s\n' "$service_password" >"$work/secrets/db-password-wrong"
log=$work/service-badpass.log
start_service "$log" AUTH_MODE=off DATABASE_URL_FILE="$work/secrets/database-url" \
    DATABASE_PASSWORD_FILE="$work/secrets/db-password-wrong" DB_CONNECT_TIMEOUT_S=2
request GET "$base/ready"; expect "wrong database password: unready (503)" 503
request GET "$base/v1/stock/seed"; expect "wrong database password: stock reads 503" 503
check "the wrong password is not in the log" test -z "$(grep -F "wrong-$service_password" "$log" "$work/body")"
stop_service

# --- auth off, only explicitly, with warnings ------------------------------------------------------
log=$work/service-off.log
start_service "$log" AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database"
check "AUTH_MODE=off: warning at start" grep -q '"level":"warn".*authentication is off' "$log"
request GET "$base/ready"
expect "AUTH_MODE=off: /ready warns" 200 '.warnings[0] | test("authentication is off")'
check "AUTH_MODE=off: Warning header on /ready" grep -q 'authentication is off' <<<"$(header_value Warning)"
request PUT "$base/v1/stock/anon/main" -H 'Content-Type: application/json' -d '{"on_hand": 1}'
expect "AUTH_MODE=off: no token needed" 200
check "AUTH_MODE=off: no actor recorded" test "$(sql "SELECT count(*) FROM inventory.ledger WHERE product_id = 'anon' AND actor IS NULL")" = 1
stop_service

# --- public stock reads ----------------------------------------------------------------------------
log=$work/service-public.log
start_service "$log" AUTH_JWKS_FILE="$work/jwks/jwks.json" AUTH_ISSUER="$issuer" AUTH_AUDIENCE="$audience" \
    AUTH_PUBLIC_STOCK_READS=true DATABASE_URL_FILE="$work/secrets/database-url" DATABASE_PASSWORD_FILE="$work/secrets/db-password"
request GET "$base/v1/stock/seed"; expect "public stock reads: stock without a token" 200
request GET "$base/v1/stock/seed/availability?quantity=1"; expect "public stock reads: availability without a token" 200
request GET "$base/v1/stock/seed/ledger"; expect "public stock reads: the ledger still needs a token" 401
request GET "$base/v1/orders/o-sec-1/reservations"; expect "public stock reads: reservations still need a token" 401
stop_service

# --- JWKS URL, refreshed in the background ----------------------------------------------------------
"$tool" jwks rsa-1="$work/keys/rsa-1.pem" >"$work/jwks/served.json"
(cd "$work/jwks" && exec python3 -m http.server "$jwks_port" --bind 127.0.0.1 >"$work/jwks-server.log" 2>&1) &
jwks_server_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$jwks_port/served.json" >/dev/null && break; sleep 0.1; done
log=$work/service-url.log
start_service "$log" AUTH_JWKS_URL="http://127.0.0.1:$jwks_port/served.json" AUTH_ISSUER="$issuer" AUTH_AUDIENCE="$audience" \
    AUTH_JWKS_MIN_REFRESH_GAP_S=1 DATABASE_URL_FILE="$work/secrets/database-url" DATABASE_PASSWORD_FILE="$work/secrets/db-password"
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $reader"
expect "JWKS URL: a token signed by a published key works" 200
ec_token=$(token ec-1 ES256 ec-1 "$(claims reader-rita inventory:read)")
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $ec_token"
expect "JWKS URL: a key not published yet is refused at once" 401
"$tool" jwks rsa-1="$work/keys/rsa-1.pem" ec-1="$work/keys/ec-1.pem" >"$work/jwks/served.json.new"
mv "$work/jwks/served.json.new" "$work/jwks/served.json"
for _ in $(seq 40); do
    request GET "$base/v1/stock/seed" -H "Authorization: Bearer $ec_token"
    [ "$status" = 200 ] && break
    sleep 0.1
done
expect "JWKS URL: the newly published key is fetched and used" 200
unknown=$(token stranger RS256 unknown-kid "$(claims x inventory:read)")
sleep 1.1  # past the refresh gap, so the burst may cause one fetch
fetches=$(grep -c '"message":"jwks"' "$log")
burst=()
for _ in $(seq 30); do
    curl -s -o /dev/null --max-time 5 -H "Authorization: Bearer $unknown" "$base/v1/stock/seed" &
    burst+=($!)
done
wait "${burst[@]}"
sleep 0.3
check "a burst of unknown kids does not hammer the identity provider" test $(( $(grep -c '"message":"jwks"' "$log") - fetches )) -le 2
kill "$jwks_server_pid" 2>/dev/null; wait "$jwks_server_pid" 2>/dev/null; jwks_server_pid=""
request GET "$base/v1/stock/seed" -H "Authorization: Bearer $reader"
expect "JWKS URL down: cached keys keep working" 200
stop_service

# --- least privilege in the database ----------------------------------------------------------------
for table in inventory.stock inventory.reservations inventory.ledger inventory.outbox inventory.consumer_offsets inventory.dead_letters; do
    denied "service role cannot DELETE FROM $table" inventory_svc "$service_password" "DELETE FROM $table"
    denied "service role cannot TRUNCATE $table" inventory_svc "$service_password" "TRUNCATE $table"
done
denied "service role cannot INSERT INTO inventory.stock" inventory_svc "$service_password" \
    "INSERT INTO inventory.stock (product_id, warehouse, on_hand) VALUES ('x', 'main', 1)"
denied "service role cannot UPDATE inventory.stock" inventory_svc "$service_password" "UPDATE inventory.stock SET on_hand = on_hand + 1"
denied "service role cannot UPDATE inventory.reservations" inventory_svc "$service_password" "UPDATE inventory.reservations SET quantity = 1"
denied "service role cannot INSERT INTO inventory.ledger" inventory_svc "$service_password" \
    "INSERT INTO inventory.ledger SELECT * FROM inventory.ledger LIMIT 1"
denied "service role cannot UPDATE inventory.ledger" inventory_svc "$service_password" "UPDATE inventory.ledger SET actor = 'someone-else'"
denied "service role cannot INSERT INTO inventory.outbox" inventory_svc "$service_password" \
    "INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, payload, warehouse, version)
     VALUES (gen_random_uuid(), 'stock', 'seed', 'forged', '{}', 'main', 99)"
denied "service role cannot read the outbox" inventory_svc "$service_password" "SELECT count(*) FROM inventory.outbox"
denied "service role cannot fetch outbox events" inventory_svc "$service_password" "SELECT count(*) FROM inventory_outbox_fetch(10)"
denied "service role cannot acknowledge outbox events" inventory_svc "$service_password" "SELECT inventory_outbox_ack(ARRAY[1::bigint])"
denied "service role cannot schedule the reaper" inventory_svc "$service_password" "SELECT inventory_schedule_reaper('* * * * *')"
denied "service role cannot create tables in public" inventory_svc "$service_password" "CREATE TABLE public.planted (x int)"
denied "service role cannot create objects in schema inventory" inventory_svc "$service_password" "CREATE TABLE inventory.planted (x int)"
allowed "service role calls the API (restock)" inventory_svc "$service_password" "SELECT on_hand FROM inventory_restock('seed', 1)"
allowed "service role reads stock levels" inventory_svc "$service_password" "SELECT count(*) FROM inventory_stock_levels"

allowed "relay role fetches outbox events" outbox_relay "$relay_password" "SELECT count(*) FROM inventory_outbox_fetch(10)"
allowed "relay role acknowledges outbox events" outbox_relay "$relay_password" "SELECT inventory_outbox_ack(ARRAY[]::bigint[])"
denied "relay role cannot read the outbox table" outbox_relay "$relay_password" "SELECT count(*) FROM inventory.outbox"
denied "relay role cannot delete from the outbox table" outbox_relay "$relay_password" "DELETE FROM inventory.outbox"
denied "relay role cannot read stock" outbox_relay "$relay_password" "SELECT count(*) FROM inventory.stock"
denied "relay role cannot read the stock view" outbox_relay "$relay_password" "SELECT count(*) FROM inventory_stock_levels"
denied "relay role cannot reserve" outbox_relay "$relay_password" "SELECT * FROM inventory_reserve('o-relay', 'seed', 1)"
denied "relay role cannot change stock" outbox_relay "$relay_password" "SELECT * FROM inventory_restock('seed', 1)"
denied "relay role cannot read the ledger" outbox_relay "$relay_password" "SELECT count(*) FROM inventory.ledger"

check "SECURITY DEFINER functions all pin search_path" test "$(sql "
    SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_inventory'
    WHERE p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')")" = 0
check "PUBLIC may execute no pg_inventory function" test "$(sql "
    SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_inventory'
    WHERE has_function_privilege('public', p.oid, 'EXECUTE')")" = 0

# --- hostile search_path ----------------------------------------------------------------------------
# mallory may call the admin API and owns a schema. She plants operators and functions that shadow
# pg_catalog's (her schema comes first on her search_path, even before pg_catalog) and that raise
# when anyone calls them. The API functions run as their owner with a pinned search_path and must
# not pick them up; nor must the reaper job's procedure, which runs as its caller but names every
# operator and function with its schema.
sql_as mallory "$mallory_password" "
CREATE FUNCTION mallory.trap_text(text, text) RETURNS boolean LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: text ='; END\$\$;
CREATE FUNCTION mallory.trap_bigint(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: bigint comparison'; END\$\$;
CREATE FUNCTION mallory.trap_plus(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: bigint +'; END\$\$;
CREATE OPERATOR mallory.= (LEFTARG = text, RIGHTARG = text, FUNCTION = mallory.trap_text);
CREATE OPERATOR mallory.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.trap_bigint);
CREATE OPERATOR mallory.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.trap_bigint);
CREATE OPERATOR mallory.>= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.trap_bigint);
CREATE OPERATOR mallory.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.trap_plus);
CREATE OPERATOR mallory.- (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.trap_plus);
CREATE FUNCTION mallory.trap_integer(integer, integer) RETURNS boolean LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: integer comparison'; END\$\$;
CREATE FUNCTION mallory.trap_time(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: timestamptz comparison'; END\$\$;
CREATE FUNCTION mallory.trap_later(timestamptz, interval) RETURNS timestamptz LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: timestamptz +'; END\$\$;
CREATE OPERATOR mallory.< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = mallory.trap_integer);
CREATE OPERATOR mallory.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = mallory.trap_integer);
CREATE OPERATOR mallory.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = mallory.trap_time);
CREATE OPERATOR mallory.+ (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = mallory.trap_later);
CREATE FUNCTION mallory.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: clock_timestamp()'; END\$\$;
CREATE FUNCTION mallory.now() RETURNS timestamptz LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: now()'; END\$\$;
CREATE FUNCTION mallory.gen_random_uuid() RETURNS uuid LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: gen_random_uuid()'; END\$\$;
CREATE FUNCTION mallory.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: current_setting()'; END\$\$;
CREATE FUNCTION mallory.nullif(text, text) RETURNS text LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'mallory trap: nullif()'; END\$\$;
CREATE TABLE mallory.stock (product_id text, warehouse text, on_hand bigint, reserved bigint);
CREATE TABLE mallory.ledger (x int);
CREATE TABLE mallory.outbox (x int);" >"$work/mallory.log" 2>&1
hostile="-c search_path=mallory,pg_catalog,public"
out=$(PGOPTIONS=$hostile sql_as mallory "$mallory_password" "SELECT 'a'::text = 'a'::text")
check "the trap is live: mallory's = shadows pg_catalog's on her search_path" grep -q P0001 <<<"$out"
for call in "SELECT on_hand FROM inventory_set_stock('trap-product', 10)" \
            "SELECT on_hand FROM inventory_restock('trap-product', 5)" \
            "SELECT on_hand FROM inventory_adjust('trap-product', -1, 'count')" \
            "SELECT count(*) FROM inventory_reserve('trap-order', 'trap-product', 2)" \
            "SELECT count(*) FROM inventory_reserve_order('trap-order-2', '[{\"product_id\": \"trap-product\", \"quantity\": 1}]')" \
            "SELECT count(*) FROM inventory_confirm_order('trap-order')" \
            "SELECT count(*) FROM inventory_ship_order('trap-order')" \
            "SELECT count(*) FROM inventory_release_order('trap-order-2')" \
            "SELECT inventory_available('trap-product')" \
            "SELECT inventory_check('trap-product', 1)" \
            "SELECT inventory_expire_reservations(10)" \
            "CALL inventory_expire_overdue(1, 10)"; do
    # the session starts with the hostile search_path, so each call is a statement of its own (a
    # procedure that commits cannot run inside the implicit transaction of a multi-statement string)
    out=$(PGOPTIONS=$hostile sql_as mallory "$mallory_password" "$call")
    status=$?
    label=${call#* }
    if [ $status -eq 0 ] && ! grep -q P0001 <<<"$out"; then pass "hostile search_path ignored: ${label:0:60}"
    else fail "hostile search_path ignored: ${label:0:60}" "${out:0:200}"; fi
done
check "mallory's planted tables stayed empty" test "$(sql "SELECT (SELECT count(*) FROM mallory.stock) + (SELECT count(*) FROM mallory.ledger) + (SELECT count(*) FROM mallory.outbox)")" = 0
check "the calls reached the real tables" test "$(sql "SELECT on_hand FROM inventory.stock WHERE product_id = 'trap-product'")" = 12
check "ledger records mallory as the database user" test "$(sql "SELECT count(DISTINCT db_user) FROM inventory.ledger WHERE product_id = 'trap-product' AND db_user = 'mallory'")" = 1

# --- TLS and mTLS ---------------------------------------------------------------------------------
tls=$work/tls
make_certificate() {  # NAME CA_NAME SUBJECT [SAN]
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/$1.key" -out "$tls/$1.csr" -subj "$3" 2>/dev/null
    if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\n' "$4" >"$tls/$1.ext"; else : >"$tls/$1.ext"; fi
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$2.crt" -CAkey "$tls/$2.key" -CAcreateserial -days 2 \
        -extfile "$tls/$1.ext" -out "$tls/$1.crt" 2>/dev/null
}
for ca in ca rogue-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/$ca.key" -out "$tls/$ca.crt" \
        -days 2 -subj "/CN=inventory test $ca" 2>/dev/null
done
make_certificate server ca "/CN=inventory-svc" "IP:127.0.0.1,DNS:localhost"
make_certificate client ca "/CN=order-service"
make_certificate rogue rogue-ca "/CN=order-service"
check "openssl made the test certificates" test -s "$tls/server.crt" -a -s "$tls/client.crt" -a -s "$tls/rogue.crt"

log=$work/service-tls.log
start_service "$log" AUTH_JWKS_FILE="$work/jwks/jwks.json" AUTH_ISSUER="$issuer" AUTH_AUDIENCE="$audience" \
    DATABASE_URL_FILE="$work/secrets/database-url" DATABASE_PASSWORD_FILE="$work/secrets/db-password" \
    TLS_CERT_FILE="$tls/server.crt" TLS_KEY_FILE="$tls/server.key" INTERNAL_HTTP_PORT=0 \
    INTERNAL_TLS_CLIENT_CA_FILE="$tls/ca.crt"
if [ -z "$port" ] || [ -z "$internal_port" ]; then fail "service started with TLS and an internal listener" "$(tail -5 "$log")"; else
    pass "service started with HTTPS and an mTLS internal listener"
    internal=https://127.0.0.1:$internal_port
    request GET "$base/health" --cacert "$tls/ca.crt"
    expect "HTTPS: /health over TLS, server certificate verified" 200
    request GET "$base/v1/stock/seed" --cacert "$tls/ca.crt" -H "Authorization: Bearer $reader"
    expect "HTTPS: reads with a token" 200
    request GET "http://127.0.0.1:$port/health"
    check "HTTPS: plain HTTP gets no answer" test "$status" != 200
    request GET "$base/health"
    check "HTTPS: a client that does not trust the CA refuses the server" test "$status" = 000
    request PUT "$base/v1/stock/tls-product/main" --cacert "$tls/ca.crt" -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/json' -d '{"on_hand": 3}'
    expect "public listener refuses admin routes when an internal listener exists" 403 '.detail | test("internal listener")'
    request POST "$base/v1/reservations" --cacert "$tls/ca.crt" -H "Authorization: Bearer $writer" \
        -H 'Content-Type: application/json' -d '{"order_id": "o-tls", "lines": [{"product_id": "seed", "quantity": 1}]}'
    expect "public listener refuses write routes when an internal listener exists" 403
    request GET "$internal/health" --cacert "$tls/ca.crt"
    check "mTLS: no client certificate, no connection" test "$status" = 000
    request GET "$internal/health" --cacert "$tls/ca.crt" --cert "$tls/rogue.crt" --key "$tls/rogue.key"
    check "mTLS: a certificate from another CA is refused" test "$status" = 000
    request PUT "$internal/v1/stock/tls-product/main" --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
        -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"on_hand": 3}'
    expect "mTLS: a client certificate from the CA and an admin token change stock" 200 '.on_hand == 3'
    request POST "$internal/v1/reservations" --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
        -H "Authorization: Bearer $writer" -H 'Content-Type: application/json' \
        -d '{"order_id": "o-tls", "lines": [{"product_id": "tls-product", "quantity": 1}]}'
    expect "mTLS: reservations on the internal listener" 201
    request PUT "$internal/v1/stock/tls-product/main" --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
        -H 'Content-Type: application/json' -d '{"on_hand": 9}'
    expect "mTLS: a client certificate alone is not enough, the token is still required" 401
    # Clients that stall or abandon a handshake: the service must survive them (SIGPIPE).
    for target in "$port" "$internal_port"; do
        (exec 3<>"/dev/tcp/127.0.0.1/$target"; printf '\x16\x03\x01\x00\x05hello' >&3; sleep 1) 2>/dev/null
        (exec 3<>"/dev/tcp/127.0.0.1/$target"; sleep 0.5) 2>/dev/null
    done
    sleep 0.3
    check "TLS: abandoned handshakes do not kill the service" kill -0 "$service_pid"
    request GET "$base/health" --cacert "$tls/ca.crt"
    expect "HTTPS: the service is healthy after the refused handshakes" 200
fi
stop_service

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

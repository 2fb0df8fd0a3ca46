#!/usr/bin/env bash
# tests/docs/run.sh: the interactive API page GET /docs, as a newcomer's browser sees it. Starts a
# throwaway PostgreSQL 15 (port 25620, in .test/docs) and the real service with JWT authentication
# on (a JWKS file made by jwt_test_tool), checks the page and its assets over HTTP (media types,
# cache rules, Content-Security-Policy, public without a token), then opens /docs in headless Debian
# Chromium (browse.mjs, playwright-core pinned by package-lock.json): the page must render every
# route of /openapi.json, load nothing from anywhere but the service, and let a caller try a
# protected route, refused without a token and answered once a token is given to Authorize.
# Screenshots: docs.png and docs-try-it-out.png in the scratch directory.
# Ends with one line "N passed, M failed"; exits non-zero on any failure; bounded by a watchdog.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), JWT_TEST_TOOL (default
#        build/frontend/jwt_test_tool), DOCS_TEST_PG_PORT (25620), CHROMIUM (/usr/bin/chromium),
#        DOCS_TEST_TIMEOUT_S (300)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
tool=$(realpath -m "${JWT_TEST_TOOL:-$(dirname "$binary")/jwt_test_tool}")
chromium=${CHROMIUM:-/usr/bin/chromium}
pg_port=${DOCS_TEST_PG_PORT:-25620}
work=${TEST_SCRATCH_DIR:-$repo/.test}/docs
pg_dir=$work/pg
database=docsdb
issuer=https://idp.test/realms/shop
audience=inventory-svc
passed=0
failed=0
service_pid=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql node npm
require_built "$binary" "$tool" "$chromium"

cleanup() {
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$service_pid" 2>/dev/null
    fi
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog "${DOCS_TEST_TIMEOUT_S:-300}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

# request PATH [curl args...]: sets $status, $body_file, $headers for a GET.
request() {
    local target=$base$1
    shift
    body_file=$work/body
    status=$(curl -sS -o "$body_file" -D "$work/headers" -w '%{http_code}' --max-time 10 "$@" "$target" 2>"$work/curl.err") ||
        status=000
    headers=$(tr -d '\r' <"$work/headers" 2>/dev/null)
}
header_value() { grep -i "^$1:" <<<"$headers" | head -1 | cut -d' ' -f2-; }

# --- setup: database, keys, service --------------------------------------------------------------
mkdir -p "$work"
chmod 755 "$work"
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir" "$work/keys" "$work"/*.png
mkdir -p "$pg_dir" "$work/keys"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"
    echo "0 passed, 1 failed"
    exit 1
fi
PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" \
    -c "ALTER EXTENSION pg_inventory UPDATE" -c "SELECT FROM inventory_set_stock('docs-demo', 7, 'main', 'Demo mug')" >/dev/null

"$tool" key RSA >"$work/keys/rsa.pem"
"$tool" jwks rsa="$work/keys/rsa.pem" >"$work/keys/jwks.json"
claims=$(jq -cn --arg iss "$issuer" --arg aud "$audience" \
    '{iss: $iss, aud: $aud, sub: "docs-reader", scope: "inventory:read", exp: "$now+600", nbf: "$now-5"}')
token=$("$tool" sign "$work/keys/rsa.pem" RS256 rsa "$claims")

log=$work/service.log
env -i PATH="$PATH" HTTP_HOST=127.0.0.1 HTTP_PORT=0 HTTP_THREADS=2 DB_POOL_SIZE=2 \
    DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" \
    AUTH_MODE=jwt AUTH_JWKS_FILE="$work/keys/jwks.json" AUTH_ISSUER="$issuer" AUTH_AUDIENCE="$audience" \
    "$binary" >"$log" 2>&1 &
service_pid=$!
port=""
wait_until 10 grep -q '"listening"' "$log" && port=$(grep -m1 '"listening"' "$log" | sed -nE 's/.*"port":([0-9]+).*/\1/p')
if [ -z "$port" ]; then
    tail -n 5 "$log"
    echo "0 passed, 1 failed"
    exit 1
fi
base=http://127.0.0.1:$port

# --- the page and its assets over HTTP -----------------------------------------------------------
request /docs
check_equal "GET /docs without a token: 200 (public, like /openapi.json)" "$status" 200
check_equal "GET /docs is text/html in UTF-8" "$(header_value Content-Type)" "text/html; charset=utf-8"
check_equal "GET /docs is revalidated on every visit (it names the current assets)" "$(header_value Cache-Control)" no-cache
csp=$(header_value Content-Security-Policy)
if [[ $csp == *"script-src 'self'"* && $csp == *"connect-src 'self'"* && $csp == *"default-src 'none'"* ]]; then
    pass "GET /docs may run only its own scripts and talk only to the service (Content-Security-Policy)"
else
    fail "GET /docs may run only its own scripts and talk only to the service (Content-Security-Policy)" "'$csp'"
fi
mapfile -t assets < <(grep -oE '(href|src)="docs/[^"]+"' "$body_file" | sed -E 's/^(href|src)="docs\/(.*)"$/\2/')
if grep -qE '(href|src)="(https?:)?//' "$body_file"; then
    fail "the page loads nothing from another host" "$(grep -oE '(href|src)="(https?:)?//[^"]*"' "$body_file" | head -3 | tr '\n' ' ')"
else
    pass "the page loads nothing from another host (${#assets[@]} assets under /docs/)"
fi
asset_problems=""
for asset in "${assets[@]}"; do
    request "/docs/$asset"
    type=$(header_value Content-Type)
    case $asset in
        *.js) wanted="text/javascript; charset=utf-8" ;;
        *.css) wanted="text/css; charset=utf-8" ;;
        *.png) wanted="image/png" ;;
        *) wanted="?" ;;
    esac
    if [ "$status" != 200 ] || [ "$type" != "$wanted" ] || [ ! -s "$body_file" ] ||
        [ "$(header_value Cache-Control)" != "public, max-age=31536000, immutable" ] ||
        [ "$(header_value X-Content-Type-Options)" != nosniff ]; then
        asset_problems+="$asset: $status $type '$(header_value Cache-Control)'; "
    fi
done
if [ ${#assets[@]} -ge 4 ] && [ -z "$asset_problems" ]; then
    pass "every asset the page names: 200, its media type, nosniff, cached for good under a content-hashed name"
else
    fail "every asset the page names: 200, its media type, nosniff, cached for good under a content-hashed name" \
        "${#assets[@]} assets; $asset_problems"
fi
bundle=$(printf '%s\n' "${assets[@]}" | grep '^swagger-ui-bundle\.' | head -1)
request "/docs/$bundle"
if cmp -s "$body_file" "$(dirname "$binary")/api-docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js"; then
    pass "/docs/$bundle is byte for byte swagger-ui-bundle.js of the pinned npm package"
else
    fail "/docs/$bundle is byte for byte swagger-ui-bundle.js of the pinned npm package" "$(wc -c <"$body_file") bytes"
fi
request /docs/swagger-ui-NOTICE.txt
if [ "$status" = 200 ] && grep -q SmartBear "$body_file" && [ "$(header_value Cache-Control)" = no-cache ]; then
    pass "Swagger UI's licence notice travels with the binary (/docs/swagger-ui-NOTICE.txt)"
else
    fail "Swagger UI's licence notice travels with the binary (/docs/swagger-ui-NOTICE.txt)" "status $status"
fi
request /docs/no-such-file.js
if [ "$status" = 404 ] && [ "$(header_value Content-Type)" = application/problem+json ]; then
    pass "an unknown file under /docs/: 404 problem+json"
else
    fail "an unknown file under /docs/: 404 problem+json" "status $status, $(header_value Content-Type)"
fi
request /v1/stock/docs-demo
if [ "$status" = 401 ] && [[ "$(header_value WWW-Authenticate)" == Bearer* ]]; then
    pass "a protected route still asks for a bearer token (401 with WWW-Authenticate)"
else
    fail "a protected route still asks for a bearer token (401 with WWW-Authenticate)" "status $status"
fi

# --- the page in a real browser --------------------------------------------------------------------
if [ ! -d "$here/node_modules/playwright-core" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    if ! (cd "$here" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
        fail "npm ci installed playwright-core" "$(tail -n 3 "$work/npm.log" | tr '\n' ' ')"
        echo "$passed passed, $failed failed"
        exit 1
    fi
fi
rm -rf "$work/chromium-profile" "$work/browser-totals"
timeout 180 node "$here/browse.mjs" --url "$base/docs" --token "$token" --product docs-demo \
    --chromium "$chromium" --profile "$work/chromium-profile" --screenshots "$work" --totals "$work/browser-totals"
if read -r browser_passed browser_failed <"$work/browser-totals" 2>/dev/null; then
    passed=$((passed + browser_passed))
    failed=$((failed + browser_failed))
else
    fail "browser checks (browse.mjs)" "did not finish"
fi
echo "screenshots: $work/docs.png $work/docs-try-it-out.png"

kill "$watchdog" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

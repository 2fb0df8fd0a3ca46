# tests/lib/harness.sh: the small harness the shell test suites share (sourced, not run). Each suite
# sets passed=0 and failed=0, reports with pass/fail, and ends with "$passed passed, $failed failed".

# require_tools TOOL... ends the suite as one failed check when a tool is not on PATH.
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "${0##*/}: $tool is required" >&2; echo "0 passed, 1 failed"; exit 1; }
    done
}

# require_built FILE... ends the suite as one failed check when a program it runs is missing.
require_built() {
    local file
    for file in "$@"; do
        [ -x "$file" ] || { echo "${0##*/}: no executable $file (make build makes it; make deps installs the rest)" >&2
                            echo "0 passed, 1 failed"; exit 1; }
    done
}

# pass NAME records a passing check.
pass() { passed=$((passed + 1)); echo "ok   - $1"; }

# fail NAME [DETAIL] records a failing check.
fail() { failed=$((failed + 1)); echo "FAIL - $1${2:+: $2}"; }

# check_equal NAME ACTUAL EXPECTED passes when the two strings are equal.
check_equal() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', expected '$3'"; fi; }

# wait_until SECONDS COMMAND...: true when COMMAND succeeds within SECONDS.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

# start_watchdog SECONDS ends the suite (TERM to this shell) when it runs longer than SECONDS; stop it
# with `kill "$watchdog"`. Its sleep holds none of the suite's output descriptors, so a reader of
# the suite's output (run-tests.sh pipes every suite through tee) sees the end at once.
start_watchdog() {
    (
        sleep "$1" </dev/null >/dev/null 2>&1
        echo "run.sh: timed out after $1 s" >&2
        kill -TERM $$
    ) &
    watchdog=$!
}

# service_port LOG [PID] prints the port inventory-svc announced in its log ("port":N), waiting up
# to 10 s for the line, and no longer once process PID (when given) has ended; prints nothing when
# it never came.
service_port() {
    local port="" _
    for _ in $(seq 100); do
        port=$(grep -o '"port":[0-9]*' "$1" | head -1 | cut -d: -f2)
        [ -n "$port" ] && break
        [ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "$port"
}

#!/usr/bin/env bash
# tests/run-local/run.sh: `make run` (scripts/run-local.sh) after the bad exits a newcomer causes.
# Each run starts in a session of its own (setsid), as a terminal would start it, with its own data
# directory (RUN_DIR in the scratch directory) and ports; "Ctrl-C" and "the terminal closed" are
# SIGINT and SIGHUP to that session's process group, as the terminal sends them. Cases:
#   - `make run | head -n 5`: the pipeline ends and leaves nothing running;
#   - `run-local.sh | head -n 5`: the run outlives the cut of its own output (writes fail with EPIPE)
#     and Ctrl-C still stops everything, PostgreSQL included; a stale pid file naming an unrelated
#     process leaves that process alone;
#   - `make run | tee` with tee gone first, then Ctrl-C: everything stops;
#   - kill -9 of make and run-local: the next `make run` stops the leftover service and kafka-mock
#     (pid files), reuses the PostgreSQL still running on its own port without restarting it (even
#     when RUN_PG_PORT now says otherwise), keeps the data; a second run beside it is refused and
#     harms nothing; SIGTERM to make stops everything;
#   - kill -9 of the whole session (PostgreSQL survives, being a daemon): the next run reuses it;
#   - SIGHUP (terminal closed) with the output pipe gone: everything stops.
# Ends with one line "N passed, M failed"; exits non-zero on any failure; bounded by a watchdog.
#   env: RUN_PG_PORT (25630; the recovery case also names the port after the one in use), RUN_HTTP_PORT (25635),
#        RUN_LOCAL_TEST_TIMEOUT_S (900)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
work=${TEST_SCRATCH_DIR:-$repo/.test}/run-local
run_dir=$work/run
pg_port=${RUN_PG_PORT:-25630}
http_port=${RUN_HTTP_PORT:-25635}
service_binary=$repo/build/frontend/inventory-svc
mock_binary=$repo/tools/kafka-mock/kafka-mock
passed=0
failed=0
sessions=()
sleeper=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql setsid make

# The runs see a fresh `make`, not the jobserver of a `make test` around this suite.
unset MAKEFLAGS MFLAGS MAKELEVEL
export RUN_DIR=$run_dir RUN_PG_PORT=$pg_port RUN_HTTP_PORT=$http_port

# runs_program PID BINARY: PID is a live process executing BINARY.
runs_program() {
    local executable
    executable=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [ "$executable" = "$2" ] || [ "$executable" = "$2 (deleted)" ]
}
# session_processes SID: the live processes of a session (zombies awaiting their parent don't
# count), one pid a line.
session_processes() { ps -e -o pid=,sid=,stat= | awk -v sid="$1" '$2 == sid && $3 !~ /^Z/ { print $1 }'; }
# program_gone SID NAME: no process of the session is called NAME.
program_gone() { ! ps -e -o sid=,stat=,comm= | awk -v sid="$1" -v name="$2" '$1 == sid && $2 !~ /^Z/ && $3 == name { found = 1 } END { exit !found }'; }
pid_in() { cat "$run_dir/$1" 2>/dev/null; }
postmaster_pid() { head -n 1 "$run_dir/pg/data/postmaster.pid" 2>/dev/null; }
postgres_running() { "$repo/scripts/pg-cluster.sh" port "$run_dir/pg" >/dev/null 2>&1; }

cleanup() {
    for session in "${sessions[@]}"; do kill -KILL -- "-$session" 2>/dev/null; done
    for file in inventory-svc.pid kafka-mock.pid; do
        pid=$(pid_in "$file")
        [ -n "$pid" ] && { runs_program "$pid" "$service_binary" || runs_program "$pid" "$mock_binary"; } && kill -KILL "$pid"
    done
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$run_dir/pg" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog "${RUN_LOCAL_TEST_TIMEOUT_S:-900}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

# start_session NAME COMMAND: runs COMMAND (a bash command line, from the repository) in a new
# session; sets $session (its id, which is also its process group) and records it for cleanup.
# The session gets the signal dispositions of a terminal's: when this suite itself runs in the
# background or under nohup, SIGINT or SIGHUP arrive ignored, and an ignored signal is inherited
# through exec and cannot be trapped again by a shell, so nothing would react to Ctrl-C or hangup.
start_session() {
    rm -f "$run_dir/service.log"
    (cd "$repo" && exec python3 -c 'import os, signal, sys
for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
    signal.signal(number, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' setsid bash -c "$2" >"$work/$1.session.log" 2>&1 </dev/null) &
    session=$!
    sessions+=("$session")
    # the session exists once setsid has run: until then it has no process and looks gone
    wait_until 10 session_started "$session"
}
session_started() { [ "$(ps -o sid= -p "$1" | tr -d ' ')" = "$1" ] || ! kill -0 "$1" 2>/dev/null; }

# wait_serving SECONDS: the run's service answers /health; sets $service_port.
wait_serving() {
    local deadline=$((SECONDS + $1))
    service_port=""
    while [ $SECONDS -lt $deadline ]; do
        service_port=$(grep -m1 -o '"port":[0-9]*' "$run_dir/service.log" 2>/dev/null | cut -d: -f2)
        if [ -n "$service_port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$service_port/health")" = 200 ]; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# session_gone SID: every process of the session has ended; wait_session_gone SID SECONDS waits for it.
session_gone() { [ -z "$(session_processes "$1")" ]; }
wait_session_gone() { wait_until "$2" session_gone "$1"; }

# check_all_stopped NAME SESSION SERVICE_PID MOCK_PID: the session is gone, the service, kafka-mock
# and PostgreSQL are stopped and the pid files removed.
check_all_stopped() {
    local name=$1 leftovers=""
    wait_session_gone "$2" 60 || leftovers+="session processes $(session_processes "$2" | tr '\n' ' '); "
    [ -n "$3" ] && runs_program "$3" "$service_binary" && leftovers+="inventory-svc $3; "
    [ -n "$4" ] && runs_program "$4" "$mock_binary" && leftovers+="kafka-mock $4; "
    postgres_running && leftovers+="PostgreSQL on $run_dir/pg; "
    for file in inventory-svc.pid kafka-mock.pid run-local.pid; do
        [ -e "$run_dir/$file" ] && leftovers+="$file; "
    done
    if [ -z "$leftovers" ]; then pass "$name"; else fail "$name" "left: $leftovers"; fi
}

mkdir -p "$work"
chmod 755 "$work"
"$repo/scripts/pg-cluster.sh" stop "$run_dir/pg" >/dev/null 2>&1
rm -rf "$run_dir" "$work"/*.log "$work"/*.out

# --- make run | head -n 5 ----------------------------------------------------------------------------
start_session make-head "make run | head -n 5 >'$work/make-head.out'"
if wait_session_gone "$session" 300; then
    check_equal "make run | head -n 5: the pipeline ends by itself after five lines" "$(wc -l <"$work/make-head.out")" 5
else
    fail "make run | head -n 5: the pipeline ends by itself after five lines" "still running after 300 s"
fi
check_all_stopped "make run | head -n 5: nothing is left running" "$session" "$(pid_in inventory-svc.pid)" "$(pid_in kafka-mock.pid)"

# --- run-local.sh | head -n 5, then Ctrl-C --------------------------------------------------------------
sleep 600 &
sleeper=$!
mkdir -p "$run_dir"
echo "$sleeper" >"$run_dir/inventory-svc.pid"
start_session local-head "scripts/run-local.sh | head -n 5 >'$work/local-head.out'"
if wait_serving 120; then
    pass "run-local.sh | head -n 5: the service starts"
    service_pid=$(pid_in inventory-svc.pid)
    mock_pid=$(pid_in kafka-mock.pid)
    wait_until 30 program_gone "$session" head
    sleep 1
    if [ "$(wc -l <"$work/local-head.out")" = 5 ] && runs_program "$service_pid" "$service_binary" &&
        [ -n "$(session_processes "$session")" ] &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$service_port/docs")" = 200 ]; then
        pass "run-local.sh | head -n 5: the run goes on serving after head has gone (it took 5 lines)"
    else
        fail "run-local.sh | head -n 5: the run goes on serving after head has gone (it took 5 lines)" \
            "$(wc -l <"$work/local-head.out") lines; $(tail -n 3 "$work/local-head.session.log" | tr '\n' ' ')"
    fi
    if kill -0 "$sleeper" 2>/dev/null; then
        pass "a stale pid file naming another program leaves that process alone"
    else
        fail "a stale pid file naming another program leaves that process alone" "pid $sleeper was killed"
    fi
    kill -INT -- "-$session"
    check_all_stopped "run-local.sh | head -n 5, then Ctrl-C: service, kafka-mock and PostgreSQL stop" "$session" "$service_pid" "$mock_pid"
else
    fail "run-local.sh | head -n 5: the service starts" "$(tail -n 5 "$work/local-head.session.log" | tr '\n' ' ')"
fi
kill "$sleeper" 2>/dev/null
sleeper=""

# --- make run | tee, tee gone first, then Ctrl-C ------------------------------------------------------
start_session make-tee "make run 2>&1 | tee '$work/make-tee.out'"
if wait_serving 300; then
    service_pid=$(pid_in inventory-svc.pid)
    mock_pid=$(pid_in kafka-mock.pid)
    kill -INT "$(ps -e -o pid=,sid=,comm= | awk -v sid="$session" '$2 == sid && $3 == "tee" { print $1 }')"
    wait_until 10 program_gone "$session" tee
    kill -INT -- "-$session"
    check_all_stopped "make run | tee, tee interrupted first, then Ctrl-C: everything stops" "$session" "$service_pid" "$mock_pid"
    if grep -q 'stopping PostgreSQL' "$work/make-tee.out"; then
        fail "make run | tee: the clean-up wrote nowhere (tee was gone)" "tee saw it"
    else
        pass "make run | tee: the clean-up ran although its output pipe was gone"
    fi
else
    fail "make run | tee: the service starts" "$(tail -n 5 "$work/make-tee.session.log" | tr '\n' ' ')"
fi

# --- kill -9 of make and run-local; the next make run recovers ----------------------------------------
start_session make-first "make run"
if wait_serving 300; then
    first_service=$(pid_in inventory-svc.pid)
    first_mock=$(pid_in kafka-mock.pid)
    first_postmaster=$(postmaster_pid)
    first_pg_port=$("$repo/scripts/pg-cluster.sh" port "$run_dir/pg")
    run_local=$(pid_in run-local.pid)
    make_pid=$(ps -o ppid= -p "$run_local" | tr -d ' ')
    kill -KILL "$run_local" "$make_pid"
    sleep 0.5
    if runs_program "$first_service" "$service_binary" && runs_program "$first_mock" "$mock_binary" && postgres_running; then
        pass "kill -9 of make and run-local leaves the service, kafka-mock and PostgreSQL running (the bad exit)"
    else
        fail "kill -9 of make and run-local leaves the service, kafka-mock and PostgreSQL running (the bad exit)" \
            "service $first_service, mock $first_mock"
    fi
    start_session make-second "RUN_PG_PORT=$((first_pg_port + 1)) make run"
    if wait_serving 300; then
        pass "the next make run starts"
        second_log=$work/make-second.session.log
        if grep -q "stopping the inventory-svc a previous run left running (pid $first_service)" "$second_log" &&
            grep -q "stopping the kafka-mock a previous run left running (pid $first_mock)" "$second_log" &&
            ! runs_program "$first_service" "$service_binary" && ! runs_program "$first_mock" "$mock_binary"; then
            pass "it found the leftover inventory-svc and kafka-mock by their pid files and stopped them"
        else
            fail "it found the leftover inventory-svc and kafka-mock by their pid files and stopped them" \
                "$(grep 'previous run' "$second_log" | tr '\n' ' ')"
        fi
        if [ "$(postmaster_pid)" = "$first_postmaster" ] && [ "$("$repo/scripts/pg-cluster.sh" port "$run_dir/pg")" = "$first_pg_port" ] &&
            grep -q "reusing the PostgreSQL already running on 127.0.0.1:$first_pg_port" "$second_log"; then
            pass "it reused the running PostgreSQL on its own port $first_pg_port, not restarted (RUN_PG_PORT said $((first_pg_port + 1)))"
        else
            fail "it reused the running PostgreSQL on its own port $first_pg_port, not restarted (RUN_PG_PORT said $((first_pg_port + 1)))" \
                "postmaster $first_postmaster -> $(postmaster_pid); $(grep PostgreSQL "$second_log" | tr '\n' ' ')"
        fi
        stock=$(curl -s --max-time 5 "http://127.0.0.1:$service_port/v1/stock?limit=1000" | jq '.items | length')
        check_equal "the data of the first run is served again (sample stock rows)" "$stock" "$(($(wc -l <"$repo/sample/stock.csv") - 1))"

        second_service=$(pid_in inventory-svc.pid)
        second_mock=$(pid_in kafka-mock.pid)
        rejected=$(cd "$repo" && timeout 60 scripts/run-local.sh 2>&1 </dev/null)
        rejected_status=$?
        if [ "$rejected_status" = 1 ] && grep -q "another make run" <<<"$rejected" && postgres_running &&
            runs_program "$second_service" "$service_binary" &&
            [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$service_port/health")" = 200 ]; then
            pass "a second run on the same data directory is refused and leaves the running one alone"
        else
            fail "a second run on the same data directory is refused and leaves the running one alone" \
                "exit $rejected_status: $(tr '\n' ' ' <<<"$rejected" | cut -c1-300)"
        fi

        second_make=$(ps -o ppid= -p "$(pid_in run-local.pid)" | tr -d ' ')
        kill -TERM "$second_make"
        check_all_stopped "SIGTERM to make stops the service, kafka-mock and PostgreSQL" "$session" "$second_service" "$second_mock"
    else
        fail "the next make run starts" "$(tail -n 5 "$work/make-second.session.log" | tr '\n' ' ')"
    fi
else
    fail "make run starts" "$(tail -n 5 "$work/make-first.session.log" | tr '\n' ' ')"
fi

# --- kill -9 of the whole session: only PostgreSQL survives; the next run reuses it -------------------------
start_session local-killed "scripts/run-local.sh"
if wait_serving 120; then
    first_postmaster=$(postmaster_pid)
    kill -KILL -- "-$session"
    wait_session_gone "$session" 10
    start_session local-after-kill "scripts/run-local.sh"
    if wait_serving 120 && [ "$(postmaster_pid)" = "$first_postmaster" ] &&
        grep -q "reusing the PostgreSQL already running" "$work/local-after-kill.session.log"; then
        pass "after kill -9 of the whole session the next run reuses the PostgreSQL left running"
    else
        fail "after kill -9 of the whole session the next run reuses the PostgreSQL left running" \
            "$(tail -n 5 "$work/local-after-kill.session.log" | tr '\n' ' ')"
    fi

    # --- SIGHUP: the terminal closed, taking the output pipe with it ---------------------------------------
    kill -INT -- "-$session"
    wait_session_gone "$session" 60
    start_session make-hup "make run 2>&1 | tee '$work/make-hup.out'"
    if wait_serving 300; then
        service_pid=$(pid_in inventory-svc.pid)
        mock_pid=$(pid_in kafka-mock.pid)
        kill -HUP -- "-$session"
        check_all_stopped "SIGHUP to make run | tee (terminal closed): everything stops" "$session" "$service_pid" "$mock_pid"
    else
        fail "make run | tee for SIGHUP: the service starts" "$(tail -n 5 "$work/make-hup.session.log" | tr '\n' ' ')"
    fi
else
    fail "run-local.sh starts" "$(tail -n 5 "$work/local-killed.session.log" | tr '\n' ' ')"
fi

kill "$watchdog" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# fuzz/run.sh: builds the libFuzzer targets with clang-14 (ASan + UBSan) in build/fuzz, replays
# every saved regression input, then fuzzes each target for FUZZ_SECONDS (default 10: the short run
# of `make test`; `make fuzz` runs it longer). A crash is saved under fuzz/regressions/<target>/ so
# it is replayed from then on; turn it into a unit test when fixing it.
# Ends with one line "N passed, M failed"; exits non-zero on any failure.
#   env: FUZZ_SECONDS (10), FUZZ_BUILD_DIR (build/fuzz), FUZZ_JOBS (make -j, 2)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_dir=$repo/frontend/fuzz
build=$(realpath -m "${FUZZ_BUILD_DIR:-$repo/build/fuzz}")
seconds=${FUZZ_SECONDS:-10}
targets=(fuzz_request_pipeline fuzz_bearer_token fuzz_jwks fuzz_order_event)
passed=0
failed=0

command -v clang++-14 >/dev/null || { echo "run.sh: clang++-14 is required" >&2; echo "0 passed, 1 failed"; exit 1; }
if ! { cmake -S "$repo/frontend" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
        -DINVENTORY_FUZZ=ON -DINVENTORY_BUILD_TESTS=OFF >"$build.configure.log" 2>&1 &&
       cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target "${targets[@]}" >"$build.build.log" 2>&1; }; then
    tail -30 "$build.configure.log" "$build.build.log" 2>/dev/null
    echo "0 passed, 1 failed"
    exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for target in "${targets[@]}"; do
    regressions=$fuzz_dir/regressions/$target
    mkdir -p "$regressions"
    if compgen -G "$regressions/*" >/dev/null; then
        if "$build/fuzz/$target" "$regressions"/* >"$build/$target.regressions.log" 2>&1; then
            echo "ok   - $target replays $(find "$regressions" -type f ! -name .keep | wc -l) regression input(s)"; passed=$((passed + 1))
        else
            echo "FAIL - $target regression inputs (log: $build/$target.regressions.log)"; failed=$((failed + 1))
        fi
    fi
    # The seed corpus stays read-only in the tree; new inputs go to a scratch corpus in the build.
    scratch=$build/corpus/$target
    mkdir -p "$scratch"
    if "$build/fuzz/$target" "$scratch" "$fuzz_dir/corpus/$target" -max_total_time="$seconds" -max_len=65536 \
            -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$regressions/" -print_final_stats=1 \
            >"$build/$target.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$')
        echo "ok   - $target: ${runs:-?} inputs in ${seconds}s, no crash"; passed=$((passed + 1))
    else
        echo "FAIL - $target crashed; the input is in $regressions/ (log: $build/$target.log)"
        grep -m5 -E 'ERROR|runtime error|SUMMARY' "$build/$target.log"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# make fuzz: run each libFuzzer harness for a bounded time and print one summary line each.
#   tests/fuzz/run.sh BUILD_DIR SECONDS NAME...
# Seeds come from tests/fuzz/corpus/<name>/ (never written to); what a run finds goes to
# BUILD_DIR/fuzz/corpus/<name>/, crashes to BUILD_DIR/fuzz/crash/<name>/, the full log to
# BUILD_DIR/fuzz/<name>.log. Exits 1 if any harness crashed.
set -u
B=$1 SECONDS_EACH=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
status=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
printf '%-10s %10s %8s %8s %8s %s\n' harness execs cov ft corpus crashes
for name in "$@"; do
    bin=$B/fuzz/lf/$name
    work=$B/fuzz/corpus/$name crash=$B/fuzz/crash/$name log=$B/fuzz/$name.log
    mkdir -p "$work" "$crash"
    dict=()
    [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
    # -rss_limit_mb: a harness that needs more than this for a 64 KiB input has found a bug
    mark=$B/fuzz/$name.start
    : >"$mark" # crashes of earlier runs stay in $crash: only this run's are counted
    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$crash/" "${dict[@]}" \
        "$work" "$here/corpus/$name" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    crashes=$(find "$crash" -type f -newer "$mark" | wc -l)
    printf '%-10s %10s %8s %8s %8s %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        echo "# $name: exit $rc; see $log" >&2
        grep -E 'ERROR|property failed|SUMMARY|==[0-9]+==' "$log" | head -5 | sed 's/^/#   /' >&2
    fi
done
exit $status

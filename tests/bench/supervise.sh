#!/bin/bash
# make bench (supervise): the cost of a whole city of idle connectors on one host under
# `gdx supervise`, each figure beside a baseline measured in the same run:
#   - start-up: seconds from the supervisor's start until every one of N connectors (a config
#     per system of examples/xiangcheng/inventory.yaml, all file-kind on empty drop folders,
#     tests/it/supgen.py --all-file) reported running, beside the same for one connector;
#   - memory per idle connector: resident (VmRSS, anonymous and file-backed) and proportional
#     (Pss from /proc/PID/smaps_rollup: shared pages split among the processes sharing them),
#     and the total for N, beside a bare `sleep` process and beside one connector run alone
#     (no supervisor);
#   - CPU at idle over a window: per connector (mean and max) and in total, and the
#     supervisor's own, beside the same `sleep` (goal: a quiet connector under 0.1% of a core).
# Nothing here is asserted: the figures are printed (Markdown on stdout and in
# build/bench/supervise.md) with machine lines `bench: NAME=VALUE baseline=... ratio=...`.
#
# Environment: BENCH_SUP_IDLE_S (CPU window, default 30), BENCH_SUP_SETTLE_S (wait after the
# start before measuring, default 10), BENCH_KEEP=1 keeps the work directory.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GDX_BUILD:-$ROOT/build}
GDX=$BUILD/gdx
PY=/usr/bin/python3
OUT=$ROOT/build/bench
W=$OUT/supervise-work
INV=$ROOT/examples/xiangcheng/inventory.yaml
IDLE_S=${BENCH_SUP_IDLE_S:-30}
SETTLE_S=${BENCH_SUP_SETTLE_S:-10}
PIDS=()
TCK=1000000000 # cpu_ns_of counts ns per second

log() { echo "bench: ... $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}
cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
[ -x "$GDX" ] || die "missing $GDX"
$PY -c 'import yaml' 2>/dev/null || die "python3-yaml is missing"
rm -rf "$W"
mkdir -p "$W"
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

"$GDX" broker --no-topics --bootstrap-file "$W/bootstrap" --log-level warn >"$W/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
[ -s "$W/bootstrap" ] || die "broker did not start"
export GDX_BOOTSTRAP=$(cat "$W/bootstrap")

# per-process figures: kB of VmRSS RssAnon RssFile Pss, threads
mem_of() {
    local p=$1
    awk '$1 == "VmRSS:" { r = $2 } $1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 }
         $1 == "Threads:" { t = $2 } END { printf "%d %d %d ", r, a, f }' "/proc/$p/status"
    awk '$1 == "Pss:" { printf "%d ", $2 }' "/proc/$p/smaps_rollup"
    awk '$1 == "Threads:" { print $2 }' "/proc/$p/status"
}
# CPU time of a process in ns: the sum over its threads of /proc/PID/task/TID/schedstat (the
# scheduler's run time, far finer than the 10 ms ticks of /proc/PID/stat)
cpu_ns_of() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# supervise DIR NAME: start a supervisor of DIR, wait until all its configs run; sets SV_PID,
# SV_URL, START_S (supervisor start to the last "running") and STARTUP_MS_MAX (longest spawn
# to running of one connector)
supervise() {
    local dir=$1 name=$2 n
    n=$(ls "$dir" | wc -l)
    "$GDX" supervise --listen 127.0.0.1:0 --url-file "$W/$name.url" --state-dir "$W/$name-state" \
        --no-inventory "$dir" >"$W/$name.out" 2>"$W/$name.log" &
    SV_PID=$!
    PIDS+=($SV_PID)
    for _ in $(seq 6000); do
        [ "$(grep -c 'connector=supervise msg=running' "$W/$name.log")" -ge "$n" ] && break
        sleep 0.1
    done
    [ "$(grep -c 'connector=supervise msg=running' "$W/$name.log")" -ge "$n" ] ||
        die "$name: not every connector reported running (see $W/$name.log)"
    SV_URL=$(cat "$W/$name.url")
    read -r START_S STARTUP_MS_MAX < <($PY - "$W/$name.log" <<'PY'
import re, sys
from datetime import datetime
t0 = last = None
worst = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if "connector=supervise " not in line:
        continue
    ts = datetime.fromisoformat(re.match(r"ts=(\S+)", line).group(1))
    if " msg=supervising " in line and t0 is None:
        t0 = ts
    if " msg=running " in line:
        last = ts
        worst = max(worst, int(re.search(r"startup_ms=(\d+)", line).group(1)))
print("%.3f" % (last - t0).total_seconds(), worst)
PY
)
}

# --- baselines: a bare sleep; one connector alone; one connector supervised
sleep 100000 &
SLEEP=$!
PIDS+=($SLEEP)
$PY "$ROOT/tests/it/supgen.py" "$INV" "$W/all" --root "$W" --all-file ||
    die "cannot generate the configs"
N=$(ls "$W/all" | wc -l)
mkdir -p "$W/one"
first=$(ls "$W/all" | head -1)
cp "$W/all/$first" "$W/one/"
sed -e "s#state.dir: .*#state.dir: $W/alone-state#" "$W/all/$first" >"$W/alone.yaml"
"$GDX" connector run -c "$W/alone.yaml" 2>"$W/alone.log" &
ALONE=$!
PIDS+=($ALONE)

log "one connector under the supervisor"
supervise "$W/one" one
ONE_S=$START_S
ONE_MAX=$STARTUP_MS_MAX
kill -TERM "$SV_PID"
wait "$SV_PID"

log "$N connectors under the supervisor"
supervise "$W/all" all
ALL_S=$START_S
ALL_MAX=$STARTUP_MS_MAX
log "all $N running after $ALL_S s; settling ${SETTLE_S} s, then ${IDLE_S} s of idle CPU"
sleep "$SETTLE_S"

kids=$(pgrep -P "$SV_PID" | sort -n)
nk=$(echo "$kids" | wc -w)
[ "$nk" = "$N" ] || log "warning: $nk children, $N configs"
declare -A T0
for p in $kids $SV_PID $SLEEP $ALONE; do T0[$p]=$(cpu_ns_of "$p"); done
t_start=$(date +%s%N)
sleep "$IDLE_S"
t_end=$(date +%s%N)
secs=$(calc "($t_end - $t_start) / 1e9")
declare -A DT
for p in $kids $SV_PID $SLEEP $ALONE; do DT[$p]=$(($(cpu_ns_of "$p") - ${T0[$p]})); done

# memory, after the window (idle all along)
: >"$W/mem.txt"
for p in $kids; do echo "$(mem_of "$p") ${DT[$p]}" >>"$W/mem.txt"; done
read -r S_RSS S_ANON S_FILE S_PSS S_THR <<<"$(mem_of "$SLEEP")"
read -r A_RSS A_ANON A_FILE A_PSS A_THR <<<"$(mem_of "$ALONE")"
read -r V_RSS V_ANON V_FILE V_PSS V_THR <<<"$(mem_of "$SV_PID")"
read -r M_RSS M_ANON M_FILE M_PSS M_THR X_RSS X_PSS T_RSS T_PSS C_MEAN C_MAX C_SUM <<<"$(awk \
    -v tck="$TCK" -v secs="$secs" '
    { r += $1; a += $2; f += $3; p += $4; t += $5; n++
      if ($1 > xr) xr = $1; if ($4 > xp) xp = $4
      c = $6 / tck / secs * 100; cs += c; if (c > cm) cm = c }
    END { printf "%.0f %.0f %.0f %.0f %.1f %d %d %d %d %.4f %.4f %.4f",
          r / n, a / n, f / n, p / n, t / n, xr, xp, r, p, cs / n, cm, cs }' "$W/mem.txt")"
cpu_of() { calc "${DT[$1]} / $TCK / $secs * 100"; }
SV_CPU=$(cpu_of "$SV_PID")
SLEEP_CPU=$(cpu_of "$SLEEP")
ALONE_CPU=$(cpu_of "$ALONE")
mib() { calc "$1 / 1024"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "none" }'; }
met_lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? "yes" : "no" }'; }

{
    echo "# gdx supervise: a city of idle connectors on one host"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$GDX" --version), $N connectors (one per" \
        "system of the inventory, file-kind on empty drop folders, poll.interval.ms 1 s) and the" \
        "embedded broker on this host. Load average before / after: $LOAD0 /" \
        "$(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)."
    echo
    echo "| figure | gdx | baseline | ratio |"
    echo "|---|---:|---:|---:|"
    echo "| start-up: supervisor start to all $N running (s) | $ALL_S | one connector: $ONE_S |" \
        "$(ratio "$ALL_S" "$ONE_S") |"
    echo "| longest spawn-to-running of one connector during that start (ms) | $ALL_MAX |" \
        "alone: $ONE_MAX | $(ratio "$ALL_MAX" "$ONE_MAX") |"
    echo "| resident memory per idle connector, mean (MiB) | $(mib "$M_RSS") (anon" \
        "$(mib "$M_ANON"), file $(mib "$M_FILE")) | sleep: $(mib "$S_RSS"); alone:" \
        "$(mib "$A_RSS") | $(ratio "$M_RSS" "$S_RSS") / $(ratio "$M_RSS" "$A_RSS") |"
    echo "| proportional memory (Pss) per idle connector, mean (MiB) | $(mib "$M_PSS") |" \
        "sleep: $(mib "$S_PSS"); alone: $(mib "$A_PSS") | $(ratio "$M_PSS" "$S_PSS") /" \
        "$(ratio "$M_PSS" "$A_PSS") |"
    echo "| largest connector: RSS / Pss (MiB) | $(mib "$X_RSS") / $(mib "$X_PSS") | goal: RSS < 10 |" \
        "$(calc "$X_RSS / 10240") of goal |"
    echo "| all $N connectors: RSS sum / Pss sum (MiB) | $(mib "$T_RSS") / $(mib "$T_PSS") |" \
        "$N sleeps: $(mib $((S_RSS * N))) / $(mib $((S_PSS * N))) | $(ratio "$T_PSS" $((S_PSS * N))) (Pss) |"
    echo "| threads per connector (mean) | $M_THR | alone: $A_THR | |"
    echo "| CPU at idle per connector over ${secs} s, mean / max (% of a core) | $C_MEAN / $C_MAX |" \
        "sleep: $SLEEP_CPU; alone: $ALONE_CPU | goal < 0.1: $(met_lt "$C_MAX" 0.1) |"
    echo "| CPU at idle, all $N connectors together (% of a core) | $C_SUM | | |"
    echo "| the supervisor: CPU at idle (%) / RSS / Pss (MiB) / threads | $SV_CPU / $(mib "$V_RSS") /" \
        "$(mib "$V_PSS") / $V_THR | sleep: $SLEEP_CPU / $(mib "$S_RSS") / $(mib "$S_PSS") | |"
} | tee "$OUT/supervise.md"
echo
line() { echo "bench: $*"; }
line "supervise.start_all_s=$ALL_S baseline=$ONE_S ratio=$(ratio "$ALL_S" "$ONE_S") connectors=$N"
line "supervise.idle_rss_kib=$M_RSS baseline=$S_RSS ratio=$(ratio "$M_RSS" "$S_RSS") alone_kib=$A_RSS" \
    "max_kib=$X_RSS goal=<10240 met=$(met_lt "$X_RSS" 10240)"
line "supervise.idle_pss_kib=$M_PSS baseline=$S_PSS ratio=$(ratio "$M_PSS" "$S_PSS") alone_kib=$A_PSS"
line "supervise.total_rss_kib=$T_RSS total_pss_kib=$T_PSS baseline_pss_kib=$((S_PSS * N))" \
    "ratio=$(ratio "$T_PSS" $((S_PSS * N)))"
line "supervise.idle_cpu_pct_max=$C_MAX mean=$C_MEAN total=$C_SUM baseline=$SLEEP_CPU" \
    "alone=$ALONE_CPU goal=<0.1 met=$(met_lt "$C_MAX" 0.1) window_s=$secs"
line "supervise.supervisor_cpu_pct=$SV_CPU rss_kib=$V_RSS pss_kib=$V_PSS baseline=$SLEEP_CPU"
exit 0

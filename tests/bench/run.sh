#!/bin/bash
# make bench: the file connector's throughput and memory, each figure beside a raw librdkafka
# baseline measured in the same run on the same embedded cluster, printed as a ratio.
#
#   1. at-least-once: CSV (GB18030) -> Avro -> `gdx broker`, acks=all, default batch sizes,
#      beside bench-produce sending as many records of the same average key, value and header
#      size without transactions; twice: with the protection of examples/demo (mask, token,
#      SM4 encrypt, scrub) and with the least a work-order config may state (the one spi field
#      dropped). The connector's peak resident memory under load, and its resident memory
#      when idle on an empty folder.
#   2. exactly-once: the connector's transactional rate beside bench-produce -x B (one
#      transaction per B records) and beside its own at-least-once rate, for each
#      batch.max.records B of the curve (batch.max.bytes and batch.max.ms lifted, so that B
#      is what closes a batch), with the least protection, so that the curve shows the cost
#      of the runtime and its transactions rather than of SM4 and HMAC-SM3.
#
# On a shared machine a rate moves with the load of the moment, so every figure with a goal
# and its baseline are measured in BENCH_ROUNDS interleaved rounds (baseline, connector,
# connector, baseline, ...): the figure is the median of its rounds, its ratio the median of
# the rounds' own ratios (each taken under the same load), printed with the lowest and highest
# round ratio as its spread and with the load average before and after.
#
# Results: a Markdown table on stdout and in build/bench/results.md, plus one machine line per
# figure: `bench: NAME=VALUE baseline=... ratio=... goal=... met=yes|no [spread=LO-HI ...]`.
#
# Environment:
#   BENCH_ROWS=N         rows of the work-order file (default 1000000)
#   BENCH_BATCHES="..."  batch.max.records values of the curve (default "500 2000 10000 50000")
#   BENCH_CURVE_ROWS=N   rows per curve point (default 250000, at most BENCH_ROWS)
#   BENCH_PROFILE=1      also `perf record` one at-least-once run and print the hotspots
#   BENCH_ROUNDS=N       interleaved rounds of each goal figure and its baseline (default 3)
#   BENCH_RAW_REPEAT=N   runs of each raw baseline within a round, the best counts (default 1)
#   BENCH_KEEP=1         keep build/bench/work (logs, configs)
#   BENCH_PY_ROWS=N      rows for the Python pipeline peer (default 20000; it runs ~2,500/s)
#   BENCH_KCAT_ROWS=N    pre-encoded records for the kcat -P peer (default 200000)
# `gdx broker` sets TCP_NODELAY on its connections itself (lib/gdx_broker.c): no shim.
# Every raw baseline is also run with glibc.malloc.mxfast=0, the allocator setting gdx
# itself uses (bin/gdx.c), as a second ratio beside the goal's.
# Exactly-once runs use offsets.after.delivery: false, the production default (the offset
# record goes with the batch); one more point measures the mock's safe default (true).
# The generated data is cached in build/bench/data (delete it to regenerate).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${GDX_BUILD:-$ROOT/build}
GDX=$BUILD/gdx
TOOLS=$BUILD/tools
PY=/usr/bin/python3
ROWS=${BENCH_ROWS:-1000000}
BATCHES=${BENCH_BATCHES:-"500 2000 10000 50000"}
CURVE_ROWS=${BENCH_CURVE_ROWS:-$((ROWS < 250000 ? ROWS : 250000))}
OUT=$ROOT/build/bench
W=$OUT/work
DATA=$OUT/data
RESULTS=$OUT/results.md
BROKER=
IDLE=

log() { echo "bench: ... $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}
cleanup() {
    [ -n "$IDLE" ] && kill -TERM "$IDLE" 2>/dev/null && wait "$IDLE" 2>/dev/null
    [ -n "$BROKER" ] && kill -TERM "$BROKER" 2>/dev/null && wait "$BROKER" 2>/dev/null
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        rm -rf "$W"
    else
        echo "bench: kept $W" >&2
    fi
}
trap cleanup EXIT

for f in "$GDX" "$TOOLS/bench-produce" "$TOOLS/bench-sizes" /usr/bin/time; do
    [ -x "$f" ] ||
        die "'$f' is missing (run through 'make bench'; /usr/bin/time is Debian's 'time')"
done
rm -rf "$W"
mkdir -p "$W" "$DATA"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# the figures of the goals are measured in ROUNDS interleaved rounds (BENCH_ROUNDS, default 3)
ROUNDS=${BENCH_ROUNDS:-3}
loadavg() { cut -d' ' -f1 /proc/loadavg; }
# median of the numbers on stdin (whitespace separated)
median() { tr ' ' '\n' | grep . | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratios "C1 C2 ..." "B1 B2 ...": the median, lowest and highest of the rounds' Ci / Bi
ratios() { awk -v c="$1" -v b="$2" 'BEGIN { n = split(c, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) { r[i] = x[i] / y[i] }
    for (i = 2; i <= n; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]
        r[j + 1] = v }
    m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
    printf "%.3f %.3f %.3f\n", m, r[1], r[n] }'; }

# awk arithmetic: calc 'EXPR' prints the value with up to 3 decimals
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# ratio A B met-when: 'ge' (A/B >= goal) or 'le' (A/B <= goal)
met() { awk -v r="$1" -v g="$2" -v how="$3" \
    'BEGIN { print ((how == "ge" ? r + 1e-9 >= g : r <= g + 1e-9) ? "yes" : "no") }'; }

# ---------------------------------------------------------------------------------------
# data: one GB18030 work-order export of ROWS rows (and a smaller one for the curve)
gen() {
    local rows=$1 f=$DATA/workorders-$1.csv
    if [ ! -s "$f" ]; then
        log "generating $rows work orders (GB18030, cached in $DATA)"
        $PY "$ROOT/examples/gen_sample.py" --kind workorders --rows "$rows" --encoding gb18030 \
            --seed 20260920 --out "$f.tmp" 2>/dev/null && mv "$f.tmp" "$f" ||
            die "cannot generate the sample data"
    fi
    echo "$f"
}
SRC=$(gen "$ROWS")
CURVE_SRC=$SRC
[ "$CURVE_ROWS" != "$ROWS" ] && CURVE_SRC=$(gen "$CURVE_ROWS")
SRC_BYTES=$(stat -c %s "$SRC")
CURVE_BYTES=$(stat -c %s "$CURVE_SRC")

# ---------------------------------------------------------------------------------------
# the embedded cluster: the connector and the raw producer write one topic of 64 partitions
# (the mock keeps only ~5 MiB per partition, which bounds the broker's memory; nobody consumes
# during the bench; bench-sizes samples the newest records, i.e. the last run's)
"$GDX" broker --bootstrap-file "$W/bootstrap" \
    --topics "$ROOT/broker-config/topics.yaml" \
    --topic gdx.bench:64 --log-level warn >"$W/broker.log" 2>&1 &
BROKER=$!
for _ in $(seq 200); do [ -s "$W/bootstrap" ] && break; sleep 0.1; done
[ -s "$W/bootstrap" ] || { cat "$W/broker.log" >&2; die "the embedded broker did not start"; }
BOOTSTRAP=$(cat "$W/bootstrap")

mkdir -p "$W/keys"
"$GDX" keygen --sm4 "$W/keys/city-token.key" >/dev/null 2>&1 &&
    "$GDX" keygen --sm4 "$W/keys/hotline12345.key" >/dev/null 2>&1 || die "gdx keygen failed"

# conf NAME DELIVERY MAX_RECORDS [MAX_BYTES MAX_MS [PROTECT [AFTER_DELIVERY]]]: a connector
# config with its own
# id, drop folder and state; the work-order mapping and protection of examples/demo
# (PROTECT=min: only the spi field, dropped)
conf() {
    local name=$1 delivery=$2 maxrec=$3 maxbytes=${4:-} maxms=${5:-} protect=${6:-demo}
    local after=${7:-false} encode=${8:-auto}
    local d=$W/$name
    mkdir -p "$d/drop" "$d/state"
    {
        cat <<YAML
connector:
  id: bench.$name
  kind: file
kafka:
  bootstrap.servers: $BOOTSTRAP
topic: gdx.bench
schema: $ROOT/schemas/hotline12345/workorder.avsc
key: order_no
delivery: $delivery
offsets.after.delivery: $after
encode.thread: $encode
state.dir: $d/state
log.level: info
YAML
        if [ -n "$maxrec" ]; then
            echo "batch:"
            echo "  max.records: $maxrec"
            [ -n "$maxbytes" ] && echo "  max.bytes: $maxbytes"
            [ -n "$maxms" ] && echo "  max.ms: $maxms"
        fi
        cat <<'YAML'
fields:
  order_no: 工单编号
  channel: 来电渠道
  received_at: { column: 受理时间, format: "%Y-%m-%d %H:%M:%S" }
  caller_name: 来电人
  caller_phone: 联系电话
  caller_id_no: 身份证号
  category: 诉求分类
  subcategory: 诉求子类
  title: 标题
  content: 诉求内容
  address: 事发地址
  grid_code: 网格编码
  handling_unit: 承办单位
  deadline: { column: 办理时限, format: "%Y-%m-%d %H:%M:%S" }
  status: 办理状态
  urgency: 紧急程度
  amount_involved: 涉及金额
  satisfaction: 满意度
  reply: 回复内容
YAML
        if [ "$protect" = min ]; then
            printf 'protect:\n  caller_id_no: drop\n'
        else
            printf 'protect:\n  caller_name: mask\n  caller_phone: token\n'
            printf '  caller_id_no: encrypt\n  content: scrub\n'
        fi
        # dead letters are sealed with the department's key in both cases
        printf 'keys:\n  token.key.file: %s\n  encrypt.key.file: %s\n' \
            "$W/keys/city-token.key" "$W/keys/hotline12345.key"
        echo "source:"
        echo "  path: $d/drop"
        echo "  format: csv"
        echo "  encoding: gb18030"
    } >"$d/c.yaml"
    echo "$d"
}

# run_conn DIR SRC ROWS [perf]: run the connector with --once on a hard link of SRC; sets
# C_RATE (records/s over the connector's own elapsed time, start of reading to the last
# commit), C_SECS, C_BATCHES, C_RSS (peak resident KiB)
run_conn() {
    local d=$1 src=$2 rows=$3 prof=${4:-}
    ln "$src" "$d/drop/data.csv" 2>/dev/null || cp "$src" "$d/drop/data.csv"
    touch "$d/drop/data.csv.ok"
    if [ -n "$prof" ]; then
        perf record -F 499 --call-graph dwarf,16384 -o "$W/perf.data" -- \
            "$GDX" connector run --once -c "$d/c.yaml" \
            2>"$d/run.log" >/dev/null || die "connector failed under perf: see $d/run.log"
        echo "Maximum resident set size (kbytes): 0" >"$d/time.txt"
    else
        /usr/bin/time -v -o "$d/time.txt" "$GDX" connector run --once -c "$d/c.yaml" \
            2>"$d/run.log" >/dev/null ||
            { tail -5 "$d/run.log" >&2; die "connector run in '$d' failed"; }
    fi
    local line
    line=$(grep 'msg=stopped' "$d/run.log" | tail -1)
    local recs=${line#*records=}
    recs=${recs%% *}
    local dead=${line#*dead=}
    dead=${dead%% *}
    local ms=${line#*elapsed_ms=}
    ms=${ms%% *}
    C_BATCHES=${line#*batches=}
    C_BATCHES=${C_BATCHES%% *}
    [ "$recs" = "$rows" ] && [ "$dead" = 0 ] ||
        die "connector in '$d' sent records=$recs dead=$dead, expected $rows and 0"
    C_SECS=$(calc "$ms / 1000")
    C_RATE=$(calc "$rows / ($ms / 1000)")
    C_RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$d/time.txt")
}

# run_raw NAME ROWS [TXN_BATCH [SYNC_BATCH]]: bench-produce with the connector's record shape
# ($VAL, $HDRS); sets R_RATE
run_raw() {
    local name=$1 rows=$2 txn=${3:-} sync=${4:-}
    local args=(-b "$BOOTSTRAP" -t gdx.bench -n "$rows" -k "$rows" -s "$VAL" -H "$HDRS")
    [ -n "$txn" ] && args+=(-x "$txn")
    [ -n "$sync" ] && args+=(-S "$sync")
    # the best of BENCH_RAW_REPEAT runs (default 1: the rounds take care of the noise)
    R_RATE=0
    for i in $(seq "${BENCH_RAW_REPEAT:-1}"); do
        env ${RAW_ENV:-} "$TOOLS/bench-produce" "${args[@]}" -i "gdx-bench-raw-$name-$i" \
            >>"$W/raw-$name.txt" \
            2>"$W/raw-$name.err" ||
            { cat "$W/raw-$name.err" >&2; die "bench-produce $name failed"; }
        local r
        r=$(tail -1 "$W/raw-$name.txt" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
        [ -n "$r" ] || die "bench-produce $name printed no rate"
        R_RATE=$(awk -v a="$R_RATE" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
    done
}

rss_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------------------------------
# 1. idle: the connector on an empty folder for 5 s
d=$(conf idle at-least-once "")
log "idle connector on an empty folder for 5 s"
"$GDX" connector run -c "$d/c.yaml" 2>"$d/run.log" >/dev/null &
IDLE=$!
sleep 2
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
IDLE_T0=$(cpu_ticks "$IDLE")
sleep 5
IDLE_T1=$(cpu_ticks "$IDLE")
IDLE_CPU_MS=$(( (IDLE_T1 - IDLE_T0) * 1000 / $(getconf CLK_TCK) ))
IDLE_RSS=$(rss_of "$IDLE" VmRSS)
IDLE_HWM=$(rss_of "$IDLE" VmHWM)
IDLE_ANON=$(rss_of "$IDLE" RssAnon)
IDLE_FILE=$(rss_of "$IDLE" RssFile)
IDLE_THREADS=$(rss_of "$IDLE" Threads)
IDLE_PSS=$(awk '$1 == "Pss:" { print $2 }' "/proc/$IDLE/smaps_rollup" 2>/dev/null)
IDLE_PRIV=$(awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" { s += $2 } END { print s }' \
    "/proc/$IDLE/smaps_rollup" 2>/dev/null)
kill -TERM "$IDLE" 2>/dev/null
wait "$IDLE" 2>/dev/null
IDLE=
[ -n "$IDLE_RSS" ] || die "the idle connector exited early: $(tail -3 "$d/run.log")"

# ---------------------------------------------------------------------------------------
# 2. at-least-once with default batches, for each protection: connector, the record shape it
# produced (sampled from the newest records), then the raw baseline with that shape. The
# connector and its baseline run interleaved for ROUNDS rounds (the order alternating), so
# that both see the same load; each figure is the median of its rounds, its ratio the median
# of the rounds' ratios, printed with their spread (lowest and highest round ratio).
SAMPLE=$((ROWS / 2 < 20000 ? ROWS / 2 : 20000))
declare -A A_RATE A_RAW A_RAWM A_SYNC A_SECS A_RSS A_KEY A_VAL A_HDR A_HCNT A_REC A_THR
declare -A A_R A_LO A_HI A_LOAD
# gdx turns glibc's fastbins off (bin/gdx.c); the raw producer measured once more with the same
# allocator setting shows how much of a ratio that setting makes
MXFAST0="GLIBC_TUNABLES=glibc.malloc.mxfast=0"
for p in demo min; do
    log "connector, at-least-once, default batches, protect=$p," \
        "$ROWS rows ($((SRC_BYTES / 1000000)) MB), $ROUNDS rounds beside the raw producer"
    conns="" raws="" secs="" rss=0 l0=$(loadavg)
    for r in $(seq "$ROUNDS"); do
        d=$(conf "alo-$p-r$r" at-least-once "" "" "" "$p")
        if [ "$r" -gt 1 ] && [ $((r % 2)) = 0 ]; then
            run_raw "alo-$p" "$ROWS"
            raws="$raws $R_RATE"
        fi
        run_conn "$d" "$SRC" "$ROWS"
        conns="$conns $C_RATE" secs="$secs $C_SECS"
        [ "$C_RSS" -gt "$rss" ] && rss=$C_RSS
        if [ "$r" = 1 ]; then
            "$TOOLS/bench-sizes" -b "$BOOTSTRAP" -t gdx.bench -n "$SAMPLE" >"$W/sizes-$p.txt" ||
                die "cannot sample the connector's records"
            read -r k v h c < <(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
                f[kv[1]] = kv[2] } print f["key_avg"], f["value_avg"], f["headers_avg"],
                f["header_count_avg"] }' "$W/sizes-$p.txt")
            [ -n "${c:-}" ] || die "bench-sizes printed no sizes: $(cat "$W/sizes-$p.txt")"
            A_KEY[$p]=$k A_VAL[$p]=$v A_HDR[$p]=$h A_HCNT[$p]=$c A_REC[$p]=$(calc "$k + $v + $h")
            VAL=$(printf '%.0f' "$v")
            HDRS="$(printf '%.0f' "$c"):$(printf '%.0f' "$h")"
            log "protect=$p records: key $k B, value $v B, $c headers $h B"
        fi
        if [ "$r" = 1 ] || [ $((r % 2)) = 1 ]; then
            run_raw "alo-$p" "$ROWS"
            raws="$raws $R_RATE"
        fi
    done
    A_RATE[$p]=$(echo "$conns" | median) A_RAW[$p]=$(echo "$raws" | median)
    A_SECS[$p]=$(echo "$secs" | median) A_RSS[$p]=$rss
    read -r A_R[$p] A_LO[$p] A_HI[$p] < <(ratios "$conns" "$raws")
    A_LOAD[$p]="$l0->$(loadavg)"
    log "protect=$p: connector$conns; raw$raws; ratio ${A_R[$p]} (${A_LO[$p]}-${A_HI[$p]})"
    # not goals, once each: without the encode thread (encode.thread: auto turns it on from
    # 2 CPUs), the raw producer with gdx's allocator setting, and waiting for delivery reports
    d=$(conf "alo-$p-thr" at-least-once "" "" "" "$p" false false)
    run_conn "$d" "$SRC" "$ROWS"
    A_THR[$p]=$C_RATE
    RAW_ENV=$MXFAST0 run_raw "alo-m-$p" "$ROWS"
    A_RAWM[$p]=$R_RATE
    run_raw "sync-$p" "$ROWS" "" 10000
    A_SYNC[$p]=$R_RATE
done
BROKER_RSS_MID=$(rss_of "$BROKER" VmRSS)

# ---------------------------------------------------------------------------------------
# 3. the batch curve (least protection, its record shape): raw transactional and connector
# exactly-once interleaved for ROUNDS rounds, then connector at-least-once once
declare -A CV_RAW CV_RAWM CV_EOS CV_ALO CV_EOS_RSS CV_ALO_RSS CV_EOS_B CV_R CV_LO CV_HI CV_LOAD
for b in $BATCHES; do
    log "batch.max.records=$b: raw transactional and connector exactly-once ($ROUNDS rounds)," \
        "at-least-once ($CURVE_ROWS rows)"
    conns="" raws="" rss=0 l0=$(loadavg)
    for r in $(seq "$ROUNDS"); do
        d=$(conf "eos$b-r$r" exactly-once "$b" 1GiB 60s min)
        if [ $((r % 2)) = 1 ]; then
            run_raw "x$b" "$CURVE_ROWS" "$b"
            raws="$raws $R_RATE"
        fi
        run_conn "$d" "$CURVE_SRC" "$CURVE_ROWS"
        conns="$conns $C_RATE"
        [ "$C_RSS" -gt "$rss" ] && rss=$C_RSS
        if [ $((r % 2)) = 0 ]; then
            run_raw "x$b" "$CURVE_ROWS" "$b"
            raws="$raws $R_RATE"
        fi
    done
    CV_EOS[$b]=$(echo "$conns" | median) CV_RAW[$b]=$(echo "$raws" | median)
    CV_EOS_RSS[$b]=$rss CV_EOS_B[$b]=$C_BATCHES
    read -r CV_R[$b] CV_LO[$b] CV_HI[$b] < <(ratios "$conns" "$raws")
    CV_LOAD[$b]="$l0->$(loadavg)"
    log "exactly-once $b: connector$conns; raw$raws; ratio ${CV_R[$b]} (${CV_LO[$b]}-${CV_HI[$b]})"
    RAW_ENV=$MXFAST0 run_raw "x-m$b" "$CURVE_ROWS" "$b"
    CV_RAWM[$b]=$R_RATE
    d=$(conf "alo$b" at-least-once "$b" 1GiB 60s min)
    run_conn "$d" "$CURVE_SRC" "$CURVE_ROWS"
    CV_ALO[$b]=$C_RATE CV_ALO_RSS[$b]=$C_RSS
done
# the mock's safe placement (offsets.after.delivery: true, its default on the mock) at 10000
SAFE_B=10000
d=$(conf "eos-safe" exactly-once "$SAFE_B" 1GiB 60s min true)
log "batch.max.records=$SAFE_B, offsets.after.delivery: true ($CURVE_ROWS rows)"
run_conn "$d" "$CURVE_SRC" "$CURVE_ROWS"
EOS_SAFE=$C_RATE

# ---------------------------------------------------------------------------------------
# 4. peers: kcat -P sending the connector's own records (pre-encoded, as many headers of the
# same size), and the same job in Python (csv -> python3-avro -> confluent-kafka)
KCAT_ROWS=${BENCH_KCAT_ROWS:-200000}
[ "$KCAT_ROWS" -gt "$ROWS" ] && KCAT_ROWS=$ROWS
PY_ROWS=${BENCH_PY_ROWS:-20000}
KCAT_RATE=0 PY_RATE=0
if command -v kcat >/dev/null; then
    log "kcat -P: $KCAT_ROWS pre-encoded records of the connector (drop shape)"
    $PY "$ROOT/tests/tools/bench-peers.py" dump -b "$BOOTSTRAP" -t gdx.bench -n "$KCAT_ROWS" \
        -o "$W/kcat.in" >"$W/kcat-dump.txt" || die "cannot dump records for kcat"
    KN=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' "$W/kcat-dump.txt")
    hn=$(printf '%.0f' "${A_HCNT[min]}")
    hv=$(awk -v b="${A_HDR[min]}" -v n="$hn" 'BEGIN { printf "%d", b / n - 10 }')
    hval=$(head -c "$hv" /dev/zero | tr '\0' x)
    hargs=()
    for i in $(seq "$hn"); do hargs+=(-H "gdx.h$i=$hval"); done
    t0=$(date +%s.%N)
    kcat -P -b "$BOOTSTRAP" -t gdx.bench -K $'\xff\xfe\xfd\xfc' -D $'\xfc\xfd\xfe\xff' \
        "${hargs[@]}" -X enable.idempotence=true -X acks=all -X linger.ms=5 \
        -X partitioner=murmur2_random -l "$W/kcat.in" 2>"$W/kcat.err" ||
        die "kcat -P failed: $(tail -3 "$W/kcat.err")"
    t1=$(date +%s.%N)
    KCAT_RATE=$(calc "$KN / ($t1 - $t0)")
else
    log "kcat is not installed (Debian kafkacat): no kcat peer"
fi
log "Python pipeline: $PY_ROWS rows of the same file"
$PY "$ROOT/tests/tools/bench-peers.py" pipeline -b "$BOOTSTRAP" -t gdx.bench \
    -s "$ROOT/schemas/hotline12345/workorder.avsc" -i "$SRC" -n "$PY_ROWS" >"$W/py.txt" ||
    die "the Python pipeline failed"
PY_RATE=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' "$W/py.txt")

BROKER_RSS=$(rss_of "$BROKER" VmRSS)
BROKER_HWM=$(rss_of "$BROKER" VmHWM)

# ---------------------------------------------------------------------------------------
# report
mb() { calc "$1 / 1000000"; }
int() { printf '%.0f' "$1"; }
PEAK_RSS=$((A_RSS[demo] > A_RSS[min] ? A_RSS[demo] : A_RSS[min]))
{
    echo "# gdx bench results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$GDX" --version 2>/dev/null | head -1)," \
        "librdkafka $(pkg-config --modversion rdkafka 2>/dev/null), embedded cluster" \
        "(\`gdx broker\`: 3 mock brokers with TCP_NODELAY, topic of 64 partitions), acks=all, idempotent" \
        "producer. Load average before / after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)" \
        "(other work on the machine skews every figure; the ratios less so)."
    echo "Source: $ROWS work orders (examples/gen_sample.py), GB18030 CSV, $SRC_BYTES bytes" \
        "($(calc "$SRC_BYTES / $ROWS") B/row). Baseline: tests/tools/bench-produce.c, raw" \
        "librdkafka with the runtime's producer settings, pre-encoded records of the connector's" \
        "average key, value and header sizes. Connector rates are over its own elapsed time" \
        "(first read to last commit); the baseline's from first produce to last delivery report."
    echo
    echo "## 1. At-least-once (default batches: 10000 records / 8 MiB / 1 s)"
    echo
    echo "| figure | protect as examples/demo | protect: caller_id_no drop only |" \
        "raw librdkafka (demo shape / drop shape) | ratio (demo / drop) | goal | met |"
    echo "|---|---:|---:|---:|---:|---:|:-:|"
    rd=${A_R[demo]}
    rm_=${A_R[min]}
    echo "| records/s (median of $ROUNDS rounds; ratio: median of the rounds' ratios, lowest–highest" \
        "in brackets; load average ${A_LOAD[demo]} / ${A_LOAD[min]}) | $(int "${A_RATE[demo]}") |" \
        "$(int "${A_RATE[min]}") | $(int "${A_RAW[demo]}") / $(int "${A_RAW[min]}") |" \
        "$rd (${A_LO[demo]}–${A_HI[demo]}) / $rm_ (${A_LO[min]}–${A_HI[min]}) | ≥ 0.50 / ≥ 0.70 |" \
        "$(met "$rd" 0.5 ge) / $(met "$rm_" 0.7 ge) |"
    echo "| connector with encode.thread: false (one thread reads, maps, protects and encodes)," \
        "records/s | $(int "${A_THR[demo]}") | $(int "${A_THR[min]}") | $(int "${A_RAW[demo]}") /" \
        "$(int "${A_RAW[min]}") | $(calc "${A_THR[demo]} / ${A_RAW[demo]}") /" \
        "$(calc "${A_THR[min]} / ${A_RAW[min]}") | | |"
    echo "| raw with gdx's allocator setting (glibc.malloc.mxfast=0), same shapes | | |" \
        "$(int "${A_RAWM[demo]}") / $(int "${A_RAWM[min]}") |" \
        "$(calc "${A_RATE[demo]} / ${A_RAWM[demo]}") /" \
        "$(calc "${A_RATE[min]} / ${A_RAWM[min]}") | | |"
    echo "| raw, waiting for all delivery reports every 10000 records (bench-produce -S) | | |" \
        "$(int "${A_SYNC[demo]}") / $(int "${A_SYNC[min]}") |" \
        "$(calc "${A_RATE[demo]} / ${A_SYNC[demo]}") /" \
        "$(calc "${A_RATE[min]} / ${A_SYNC[min]}") | | |"
    echo "| source MB/s (GB18030 CSV) | $(mb "$SRC_BYTES / ${A_SECS[demo]}") |" \
        "$(mb "$SRC_BYTES / ${A_SECS[min]}") | – | | | |"
    echo "| produced MB/s, Avro values | $(mb "${A_RATE[demo]} * ${A_VAL[demo]}") |" \
        "$(mb "${A_RATE[min]} * ${A_VAL[min]}") | $(mb "${A_RAW[demo]} * ${A_VAL[demo]}") /" \
        "$(mb "${A_RAW[min]} * ${A_VAL[min]}") | $rd / $rm_ | | |"
    echo "| produced MB/s, key + value + headers | $(mb "${A_RATE[demo]} * ${A_REC[demo]}") |" \
        "$(mb "${A_RATE[min]} * ${A_REC[min]}") | $(mb "${A_RAW[demo]} * ${A_REC[demo]}") /" \
        "$(mb "${A_RAW[min]} * ${A_REC[min]}") | $rd / $rm_ | | |"
    echo "| record: key + value + headers (B) | ${A_KEY[demo]} + ${A_VAL[demo]} +" \
        "${A_HDR[demo]} (${A_HCNT[demo]}) | ${A_KEY[min]} + ${A_VAL[min]} + ${A_HDR[min]}" \
        "(${A_HCNT[min]}) | same | | | |"
    echo "| seconds for $ROWS rows | ${A_SECS[demo]} | ${A_SECS[min]} |" \
        "$(calc "$ROWS / ${A_RAW[demo]}") / $(calc "$ROWS / ${A_RAW[min]}") | | | |"
    echo "| peak resident memory under load (VmHWM) | $((A_RSS[demo] / 1024)) MiB |" \
        "$((A_RSS[min] / 1024)) MiB | | $(calc "$PEAK_RSS / 65536") of limit | < 64 MiB |" \
        "$(met "$PEAK_RSS" 65536 le) |"
    echo "| idle resident memory, empty folder after 5 s (VmRSS) | $(calc "$IDLE_RSS / 1024")" \
        "MiB (anonymous $(calc "$IDLE_ANON / 1024") MiB, file-backed $(calc "$IDLE_FILE / 1024")" \
        "MiB, proportional set size $(calc "${IDLE_PSS:-0} / 1024") MiB," \
        "$IDLE_THREADS threads) | | | $(calc "$IDLE_RSS / 10240") of limit | < 10 MiB |" \
        "$(met "$IDLE_RSS" 10240 le) |"
    echo "| idle private memory (Private_Clean + Private_Dirty: what this process alone holds;" \
        "shared library pages are counted once per host) | $(calc "${IDLE_PRIV:-0} / 1024") MiB |" \
        "| | $(calc "${IDLE_PRIV:-0} / 10240") of limit | < 10 MiB | $(met "${IDLE_PRIV:-0}" 10240 le) |"
    echo "| idle CPU over 5 s | $IDLE_CPU_MS ms | | | | 0 (ticks of $((1000 / $(getconf CLK_TCK))) ms) |" \
        "$([ "$IDLE_CPU_MS" -le 20 ] && echo yes || echo no) |"
    echo
    echo "## 2. Exactly-once by batch.max.records"
    echo
    echo "$CURVE_ROWS rows per point; protect: caller_id_no drop only; batch.max.bytes 1GiB and" \
        "batch.max.ms 60s, so that max.records closes every batch. Raw: bench-produce -x B," \
        "one transaction per B records, same record shape. Goal: exactly-once ≥ 0.80 of raw" \
        "transactional. Raw and exactly-once rates: medians of $ROUNDS interleaved rounds; the" \
        "ratio is the median of the rounds' ratios (lowest–highest)."
    echo
    echo "| batch.max.records | raw txn rec/s | gdx exactly-once rec/s | ratio to raw txn | met" \
        "| raw txn, mxfast=0 | ratio to it | gdx at-least-once rec/s | exactly-once / at-least-once" \
        "| peak RSS eos / alo (MiB) | transactions | load average |"
    echo "|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---|"
    for b in $BATCHES; do
        r=${CV_R[$b]}
        echo "| $b | $(int "${CV_RAW[$b]}") | $(int "${CV_EOS[$b]}") |" \
            "$r (${CV_LO[$b]}–${CV_HI[$b]}) | $(met "$r" 0.8 ge) |" \
            "$(int "${CV_RAWM[$b]}") | $(calc "${CV_EOS[$b]} / ${CV_RAWM[$b]}") |" \
            "$(int "${CV_ALO[$b]}") | $(calc "${CV_EOS[$b]} / ${CV_ALO[$b]}") |" \
            "$((CV_EOS_RSS[$b] / 1024)) / $((CV_ALO_RSS[$b] / 1024)) | ${CV_EOS_B[$b]} |" \
            "${CV_LOAD[$b]} |"
    done
    echo
    echo "Placement of the offset record (offsets.after.delivery) at $SAFE_B records:" \
        "false (production default, above) $(int "${CV_EOS[$SAFE_B]:-0}") rec/s, true (the" \
        "mock's default) $(int "$EOS_SAFE") rec/s."
    echo
    echo "## 3. Peers"
    echo
    echo "| peer | records/s | connector (drop only, at-least-once) ÷ peer |"
    echo "|---|---:|---:|"
    echo "| kcat -P, $KCAT_ROWS pre-encoded records of the connector, same header count and" \
        "size | $(int "$KCAT_RATE") | $(calc "${A_RATE[min]} / ($KCAT_RATE + 1e-9)") |"
    echo "| Python: csv -> python3-avro -> confluent-kafka, $PY_ROWS rows of the same file |" \
        "$(int "${PY_RATE:-0}") | $(calc "${A_RATE[min]} / (${PY_RATE:-0} + 1e-9)") |"
    echo
    echo "Embedded broker resident memory: $((BROKER_RSS_MID / 1024)) MiB after section 1," \
        "$((BROKER_RSS / 1024)) MiB at the end (peak $((BROKER_HWM / 1024)) MiB)."
} >"$RESULTS"
cat "$RESULTS"
echo

# machine lines: bench: NAME=VALUE baseline=... ratio=... [goal=... met=...]
line() { echo "bench: $*"; }
for p in demo min; do
    r=${A_R[$p]}
    g=$([ "$p" = demo ] && echo 0.50 || echo 0.70)
    line "file.alo.$p.records_per_s=$(int "${A_RATE[$p]}") baseline=$(int "${A_RAW[$p]}")" \
        "ratio=$r goal=$g met=$(met "$r" "$g" ge) spread=${A_LO[$p]}-${A_HI[$p]}" \
        "rounds=$ROUNDS load=${A_LOAD[$p]}"
    line "file.alo.$p.encode_thread_off.records_per_s=$(int "${A_THR[$p]}")" \
        "baseline=$(int "${A_RAW[$p]}") ratio=$(calc "${A_THR[$p]} / ${A_RAW[$p]}")"
    line "file.alo.$p.vs_raw_mxfast0.records_per_s=$(int "${A_RATE[$p]}")" \
        "baseline=$(int "${A_RAWM[$p]}") ratio=$(calc "${A_RATE[$p]} / ${A_RAWM[$p]}")"
    line "file.alo.$p.vs_sync10000.records_per_s=$(int "${A_RATE[$p]}")" \
        "baseline=$(int "${A_SYNC[$p]}") ratio=$(calc "${A_RATE[$p]} / ${A_SYNC[$p]}")"
    line "file.alo.$p.source_mb_per_s=$(mb "$SRC_BYTES / ${A_SECS[$p]}") baseline=none ratio=none"
    line "file.alo.$p.value_mb_per_s=$(mb "${A_RATE[$p]} * ${A_VAL[$p]}")" \
        "baseline=$(mb "${A_RAW[$p]} * ${A_VAL[$p]}") ratio=$r"
    line "file.alo.$p.record_mb_per_s=$(mb "${A_RATE[$p]} * ${A_REC[$p]}")" \
        "baseline=$(mb "${A_RAW[$p]} * ${A_REC[$p]}") ratio=$r"
    line "file.alo.$p.peak_rss_kib=${A_RSS[$p]} baseline=65536" \
        "ratio=$(calc "${A_RSS[$p]} / 65536") goal=<65536 met=$(met "${A_RSS[$p]}" 65536 le)"
done
line "file.idle_rss_kib=$IDLE_RSS baseline=10240 ratio=$(calc "$IDLE_RSS / 10240")" \
    "goal=<10240 met=$(met "$IDLE_RSS" 10240 le) anon_kib=$IDLE_ANON file_kib=$IDLE_FILE" \
    "pss_kib=${IDLE_PSS:-0}"
line "file.idle_private_kib=${IDLE_PRIV:-0} baseline=10240 ratio=$(calc "${IDLE_PRIV:-0} / 10240")" \
    "goal=<10240 met=$(met "${IDLE_PRIV:-0}" 10240 le)"
line "file.idle_cpu_ms_5s=$IDLE_CPU_MS baseline=0 ratio=none goal=0 met=$([ "$IDLE_CPU_MS" -le 20 ] && echo yes || echo no)"
for b in $BATCHES; do
    r=${CV_R[$b]}
    line "file.eos.b$b.records_per_s=$(int "${CV_EOS[$b]}") baseline=$(int "${CV_RAW[$b]}")" \
        "ratio=$r goal=0.80 met=$(met "$r" 0.8 ge) spread=${CV_LO[$b]}-${CV_HI[$b]}" \
        "rounds=$ROUNDS load=${CV_LOAD[$b]}"
    line "file.eos.b$b.vs_raw_mxfast0.records_per_s=$(int "${CV_EOS[$b]}")" \
        "baseline=$(int "${CV_RAWM[$b]}") ratio=$(calc "${CV_EOS[$b]} / ${CV_RAWM[$b]}")"
    line "file.eos_vs_alo.b$b.records_per_s=$(int "${CV_EOS[$b]}")" \
        "baseline=$(int "${CV_ALO[$b]}") ratio=$(calc "${CV_EOS[$b]} / ${CV_ALO[$b]}")"
    line "file.eos.b$b.peak_rss_kib=${CV_EOS_RSS[$b]} baseline=65536" \
        "ratio=$(calc "${CV_EOS_RSS[$b]} / 65536")"
done
line "file.eos.b$SAFE_B.after_delivery.records_per_s=$(int "$EOS_SAFE")" \
    "baseline=$(int "${CV_RAW[$SAFE_B]:-0}") ratio=$(calc "$EOS_SAFE / (${CV_RAW[$SAFE_B]:-0} + 1e-9)")"
line "peer.kcat.records_per_s=$(int "${A_RATE[min]}") baseline=$(int "$KCAT_RATE")" \
    "ratio=$(calc "${A_RATE[min]} / ($KCAT_RATE + 1e-9)")"
line "peer.python.records_per_s=$(int "${A_RATE[min]}") baseline=$(int "${PY_RATE:-0}")" \
    "ratio=$(calc "${A_RATE[min]} / (${PY_RATE:-0} + 1e-9)")"
line "broker.rss_kib=$BROKER_RSS baseline=none ratio=none peak=$BROKER_HWM"

# ---------------------------------------------------------------------------------------
# the other measurements, each beside its own baseline: field protection per record, the
# SQL connector, the uplink, the audit trail
{
echo
echo "## field protection: cost per record beside plain encoding"
"$TOOLS/bench-protect" "$ROOT/schemas/hotline12345/workorder.avsc" 100000
if [ "${BENCH_SKIP_SQL:-0}" != 1 ] && [ -f "$ROOT/tests/bench/sql.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/sql.sh" || log "sql bench failed"
fi
if [ "${BENCH_SKIP_UPLINK:-0}" != 1 ] && [ -f "$ROOT/tests/bench/uplink.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/uplink.sh" || log "uplink bench failed"
fi
if [ -f "$ROOT/tests/bench/audit.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/audit.sh" || log "audit bench failed"
fi
if [ "${BENCH_SKIP_SUPERVISE:-0}" != 1 ] && [ -f "$ROOT/tests/bench/supervise.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/supervise.sh" || log "supervise bench failed"
fi

} | tee "$OUT/more.txt"

# ---------------------------------------------------------------------------------------
# optional: profile one at-least-once run (demo protection) with perf
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    if command -v perf >/dev/null; then
        log "profiling one at-least-once run (protect=demo) with perf"
        d=$(conf prof at-least-once "" "" "" demo)
        run_conn "$d" "$CURVE_SRC" "$CURVE_ROWS" perf
        echo
        echo "## perf: the connector's main thread, inclusive time by function"
        perf report -i "$W/perf.data" --children --comm gdx -g none --sort symbol --stdio \
            2>/dev/null | grep '%' | grep -v '\[k\]' | grep -v ' 0x' | head -40
    else
        log "perf is not installed; no profile"
    fi
fi
if [ -f "$ROOT/tests/bench/exec.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/exec.sh" || log "exec bench failed"
fi
# the http and webhook connectors (tests/bench/http.sh)
if [ "${BENCH_SKIP_HTTP:-0}" != 1 ] && [ -f "$ROOT/tests/bench/http.sh" ]; then
    echo
    GDX_BUILD=$BUILD bash "$ROOT/tests/bench/http.sh" || log "http bench failed"
fi
# ---------------------------------------------------------------------------------------
# one screen: every figure with a goal, beside its baseline
{
    echo
    echo "## Summary ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Load average at the start: $LOAD0; now: $(cut -d' ' -f1-3 /proc/loadavg). Figures with a" \
        "spread are medians of $ROUNDS interleaved rounds (BENCH_ROUNDS); the spread is the" \
        "lowest–highest ratio of a round, the load the 1-minute average before and after them."
    echo
    echo "| figure | measured | baseline | ratio | spread | goal | met | load |"
    echo "|---|---:|---:|---:|---:|---:|:-:|---|"
    {
        for p in demo min; do
            r=${A_R[$p]}
            g=$([ "$p" = demo ] && echo 0.50 || echo 0.70)
            echo "file.alo.$p.records_per_s=$(int "${A_RATE[$p]}") baseline=$(int "${A_RAW[$p]}") ratio=$r goal=$g met=$(met "$r" "$g" ge) spread=${A_LO[$p]}-${A_HI[$p]} load=${A_LOAD[$p]}"
            echo "file.alo.$p.vs_raw_mxfast0=$(int "${A_RATE[$p]}") baseline=$(int "${A_RAWM[$p]}") ratio=$(calc "${A_RATE[$p]} / ${A_RAWM[$p]}") goal=- met=-"
            echo "file.alo.$p.encode_thread_off=$(int "${A_THR[$p]}") baseline=$(int "${A_RAW[$p]}") ratio=$(calc "${A_THR[$p]} / ${A_RAW[$p]}") goal=- met=-"
        done
        for b in $BATCHES; do
            r=${CV_R[$b]}
            echo "file.eos.b$b.records_per_s=$(int "${CV_EOS[$b]}") baseline=$(int "${CV_RAW[$b]}") ratio=$r goal=0.80 met=$(met "$r" 0.8 ge) spread=${CV_LO[$b]}-${CV_HI[$b]} load=${CV_LOAD[$b]}"
            echo "file.eos.b$b.vs_raw_mxfast0=$(int "${CV_EOS[$b]}") baseline=$(int "${CV_RAWM[$b]}") ratio=$(calc "${CV_EOS[$b]} / ${CV_RAWM[$b]}") goal=- met=-"
        done
        echo "file.peak_rss_kib=$PEAK_RSS baseline=65536 ratio=$(calc "$PEAK_RSS / 65536") goal=<1 met=$(met "$PEAK_RSS" 65536 le)"
        echo "file.idle_rss_kib=$IDLE_RSS baseline=10240 ratio=$(calc "$IDLE_RSS / 10240") goal=<1 met=$(met "$IDLE_RSS" 10240 le)"
        echo "file.idle_private_kib=${IDLE_PRIV:-0} baseline=10240 ratio=$(calc "${IDLE_PRIV:-0} / 10240") goal=<1 met=$(met "${IDLE_PRIV:-0}" 10240 le)"
        echo "file.idle_cpu_ms_5s=$IDLE_CPU_MS baseline=0 ratio=- goal=0 met=$([ "$IDLE_CPU_MS" -le 20 ] && echo yes || echo no)"
        echo "peer.kcat=$(int "${A_RATE[min]}") baseline=$(int "$KCAT_RATE") ratio=$(calc "${A_RATE[min]} / ($KCAT_RATE + 1e-9)") goal=- met=-"
        echo "peer.python=$(int "${A_RATE[min]}") baseline=$(int "${PY_RATE:-0}") ratio=$(calc "${A_RATE[min]} / (${PY_RATE:-0} + 1e-9)") goal=- met=-"
        grep -E '^bench: (sql\.|uplink_)' "$OUT/more.txt" | sed 's/^bench: //'
    } | awk '{
        split($1, nv, "=")
        f["baseline"] = f["ratio"] = f["goal"] = f["met"] = f["spread"] = f["load"] = "-"
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", nv[1], nv[2], f["baseline"],
            f["ratio"], f["spread"], f["goal"], f["met"], f["load"] }'
} | tee -a "$RESULTS"
exit 0

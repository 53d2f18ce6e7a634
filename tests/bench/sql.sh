#!/bin/bash
# The sql connector's throughput (make bench): 1,000,000 rows from PostgreSQL and from SQLite
# to the embedded Kafka, each beside two baselines measured in the same run on the same
# machine: the raw read rate of the same query without Kafka (psql COPY / the sqlite3 shell
# writing to /dev/null), and the raw transactional producer (bench-produce -x) at the same
# batch size with records of the same size. Goal: at least 70% of the lower baseline.
#
# Prints a Markdown table and one machine line per source:
#   bench: sql.SOURCE.rows_per_s=R baseline=min(A,P) ratio=R/min(A,P) goal=0.70 met=yes|no
#     read_per_s=A produce_per_s=P
#
# The connector and the raw producer run interleaved for BENCH_ROUNDS rounds (default 3); the
# ratio is the median of the rounds' ratios, printed with the lowest and highest.
#
# Environment: BENCH_SQL_ROWS (default 1000000), BENCH_SQL_BATCH (default 10000), BENCH_ROUNDS.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export GDX_BUILD=${GDX_BUILD:-$ROOT/build}
. "$ROOT/tests/lib.sh"
. "$ROOT/tests/it/dbserver.sh"
TOOLS=$GDX_BUILD/tools
ROWS=${BENCH_SQL_ROWS:-1000000}
B=${BENCH_SQL_BATCH:-10000}
PY=/usr/bin/python3
RESULTS=()

die() {
    echo "bench: error: $*" >&2
    exit 1
}
for f in "$GDX" "$TOOLS/bench-produce"; do
    [ -x "$f" ] || die "'$f' is missing (run through 'make bench')"
done
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

"$GDX" broker --bootstrap-file "$T/bootstrap" \
    --topics "$ROOT/broker-config/topics.yaml" --topic gdx.bench.sql:64 \
    --topic gdx.bench.sql.raw:64 --log-level warn >"$T/broker.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/bootstrap" || die "the embedded broker did not start"
BOOTSTRAP=$(cat "$T/bootstrap")
export BOOTSTRAP GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

# run_connector NAME CONFIG: the connector draining the table; sets C_RATE
run_connector() {
    local t0 t1
    t0=$(now)
    "$GDX" connector run --once -c "$2" 2>"$T/$1.log" || die "connector $1 failed (see $T/$1.log)"
    t1=$(now)
    C_RATE=$(rate "$ROWS" "$t0" "$t1")
}

# run_raw NAME: bench-produce with records of the connector's size, transactions of B
run_raw() {
    "$TOOLS/bench-produce" -b "$BOOTSTRAP" -t gdx.bench.sql.raw -n "$ROWS" -k "$ROWS" -s 170 \
        -H 8:420 -x "$B" -i "gdx-bench-sql-$1" >"$T/raw-$1.txt" 2>"$T/raw-$1.err" ||
        die "bench-produce failed: $(cat "$T/raw-$1.err")"
    P_RATE=$(tail -1 "$T/raw-$1.txt" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
    P_RATE=${P_RATE%.*}
    # the same with the allocator setting gdx uses (glibc fastbins off, bin/gdx.c), once
    case $1 in *-1) ;; *) return 0 ;; esac
    GLIBC_TUNABLES=glibc.malloc.mxfast=0 "$TOOLS/bench-produce" -b "$BOOTSTRAP" \
        -t gdx.bench.sql.raw -n "$ROWS" -k "$ROWS" -s 170 -H 8:420 -x "$B" \
        -i "gdx-bench-sql-$1-m" >"$T/raw-m-$1.txt" 2>"$T/raw-m-$1.err" ||
        die "bench-produce failed: $(cat "$T/raw-m-$1.err")"
    PM_RATE=$(tail -1 "$T/raw-m-$1.txt" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
    PM_RATE=${PM_RATE%.*}
}

median() { tr ' ' '\n' | grep . | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# rounds NAME CONFIG-PREFIX ID-PREFIX CONFIG-ARGS...: the connector and the raw transactional
# producer interleaved for ROUNDS rounds (BENCH_ROUNDS, default 3; the order alternating),
# each connector run under an id of its own (its position starts empty); sets C_RATE and
# P_RATE (medians), PM_RATE (once, mxfast=0) and RATIOS (each round's C / min(read, P))
rounds() {
    local name=$1 cfg=$2 id=$3 r c p
    shift 3
    local cs="" ps=""
    L0=$(cut -d' ' -f1 /proc/loadavg)
    RATIOS=""
    for r in $(seq "${BENCH_ROUNDS:-3}"); do
        sql_config_bench "$cfg-$r.yaml" "$id$r" "$@"
        if [ $((r % 2)) = 1 ]; then
            run_raw "$name-$r"; p=$P_RATE
            run_connector "$name-$r" "$cfg-$r.yaml"; c=$C_RATE
        else
            run_connector "$name-$r" "$cfg-$r.yaml"; c=$C_RATE
            run_raw "$name-$r"; p=$P_RATE
        fi
        cs="$cs $c" ps="$ps $p"
        RATIOS="$RATIOS $(awk -v c="$c" -v a="$R_RATE" -v b="$p" \
            'BEGIN { printf "%.3f", c / (a < b ? a : b) }')"
    done
    L1=$(cut -d' ' -f1 /proc/loadavg)
    C_RATE=$(echo "$cs" | median)
    P_RATE=$(echo "$ps" | median)
    echo "bench: ... $name: connector$cs; raw txn$ps; ratios$RATIOS" >&2
}

report() {
    local name=$1 c=$2 r=$3 p=$4
    local low ratio met lo hi
    low=$(awk -v a="$r" -v b="$p" 'BEGIN { print (a < b ? a : b) }')
    ratio=$(echo "$RATIOS" | median)
    ratio=$(awk -v x="$ratio" 'BEGIN { printf "%.3f", x }')
    lo=$(echo "$RATIOS" | tr ' ' '\n' | grep . | sort -g | head -1)
    hi=$(echo "$RATIOS" | tr ' ' '\n' | grep . | sort -g | tail -1)
    met=$(awk -v x="$ratio" 'BEGIN { print (x >= 0.7 ? "yes" : "no") }')
    RESULTS+=("| $name | $c | $r | $p | $ratio ($lo–$hi; load $L0->$L1) | $met |")
    echo "bench: sql.$name.rows_per_s=$c baseline=$low ratio=$ratio goal=0.70 met=$met" \
        "spread=$lo-$hi rounds=${BENCH_ROUNDS:-3} load=$L0->$L1 read_per_s=$r produce_per_s=$p"
    lowm=$(awk -v a="$r" -v b="$PM_RATE" 'BEGIN { print (a < b ? a : b) }')
    echo "bench: sql.$name.vs_raw_mxfast0.rows_per_s=$c baseline=$lowm" \
        "ratio=$(awk -v c="$c" -v l="$lowm" 'BEGIN { printf "%.3f", c / l }')" \
        "produce_mxfast0_per_s=$PM_RATE"
}

sql_config_bench() {
    TOPIC=gdx.bench.sql BATCH_RECORDS=$B BATCH_MAX_MS=60s BATCH_MAX_BYTES=256MiB \
        sql_config "$@" "fetch.rows: $B" "timestamp.delay.ms: 0" "table: workorder" \
        "timestamp.column: updated_at" "incrementing.column: id" "snapshot.count: false"
    sed -i 's/^poll.interval.ms: .*/log.level: warn/' "$1"
    echo "offsets.after.delivery: false" >>"$1" # the production default
}

# --- SQLite
if command -v sqlite3 >/dev/null; then
    echo "bench: ... sqlite: $ROWS rows" >&2
    sqlite3 "$T/bench.db" <<SQL
CREATE TABLE workorder (id INTEGER PRIMARY KEY, order_no TEXT NOT NULL, title TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, amount DECIMAL(12,2), due_date DATE, urgent BOOLEAN,
  updated_at DATETIME NOT NULL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $ROWS)
INSERT INTO workorder SELECT i, printf('GD20260920%07d', i), '噪音扰民 项城市千佛阁街道第' || i || '号',
  1, printf('%d.%02d', i % 100000, i % 100), '2026-10-01', i % 2,
  strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime', '-1 day', '+' || (i / 20) || ' seconds') FROM s;
CREATE INDEX workorder_ts ON workorder(updated_at, id);
SQL
    t0=$(now)
    sqlite3 "$T/bench.db" "SELECT * FROM workorder ORDER BY updated_at, id" >/dev/null
    t1=$(now)
    R_RATE=$(rate "$ROWS" "$t0" "$t1")
    rounds sqlite "$T/sqlite" bench.sqlite "database: $T/bench.db"
    report sqlite "$C_RATE" "$R_RATE" "$P_RATE"
fi

# --- PostgreSQL
if start_pg; then
    echo "bench: ... postgresql: $ROWS rows" >&2
    pg_sql <<SQL
CREATE TABLE workorder (id bigserial PRIMARY KEY, order_no text NOT NULL, title text NOT NULL,
  version int NOT NULL DEFAULT 1, amount numeric(14,2), due_date date, urgent boolean,
  updated_at timestamp NOT NULL);
INSERT INTO workorder (order_no, title, amount, due_date, urgent, updated_at)
  SELECT 'GD20260920' || lpad(i::text, 7, '0'), '噪音扰民 项城市千佛阁街道第' || i || '号',
         (i % 100000) + 0.25, DATE '2026-10-01', i % 2 = 0,
         now() - interval '1 day' + i * interval '50 ms' FROM generate_series(1, $ROWS) i;
CREATE INDEX workorder_ts ON workorder (updated_at, id);
ANALYZE workorder;
ALTER USER postgres PASSWORD 'bench';
SQL
    t0=$(now)
    pg_sql -c "COPY (SELECT * FROM workorder ORDER BY updated_at, id) TO STDOUT" >/dev/null
    t1=$(now)
    R_RATE=$(rate "$ROWS" "$t0" "$t1")
    rounds postgresql "$T/pg" bench.pg "driver: postgresql" "host: 127.0.0.1" \
        "port: $PGPORT" "database: postgres" "user: postgres" "password: bench"
    report postgresql "$C_RATE" "$R_RATE" "$P_RATE"
else
    echo "bench: ... postgresql: cannot start a server, skipped" >&2
fi

echo
echo "### sql connector, $ROWS rows, batches of $B (exactly-once), medians of ${BENCH_ROUNDS:-3} interleaved rounds"
echo
echo "| source | connector rows/s | raw read rows/s | raw transactional produce rows/s | ratio to the lower | ≥ 0.7 |"
echo "|---|---|---|---|---|---|"
for r in "${RESULTS[@]}"; do
    echo "$r"
done

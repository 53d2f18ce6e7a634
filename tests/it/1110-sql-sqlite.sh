#!/bin/bash
# The sql connector on SQLite files (the demo's databases) and through the SQLite ODBC
# driver: check reports the source; a nullable cursor column is refused by check and by run,
# naming it; a 200,000-row snapshot survives SIGKILL mid-way and lands exactly once; rows
# sharing one timestamp across batch boundaries are neither lost nor repeated, in both
# timestamp modes; a custom query and bulk mode work; ODBC reads the same table.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/dbserver.sh"
PY=/usr/bin/python3
N=${SQL_ROWS:-200000}
command -v sqlite3 >/dev/null || skip_all "sqlite3 shell not installed"

start_broker --topic gdx.test.sql.big:64 --topic gdx.test.sql.same:8 --topic gdx.test.sql.ts:8 \
    --topic gdx.test.sql.odbc:8 --topic gdx.test.sql.bulk:8 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
DB=$T/wo.db

sqlite3 "$DB" <<SQL
CREATE TABLE workorder (id INTEGER PRIMARY KEY, order_no TEXT NOT NULL, title TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, amount DECIMAL(12,2), due_date DATE, urgent BOOLEAN,
  updated_at DATETIME NOT NULL);
CREATE INDEX workorder_ts ON workorder(updated_at);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N)
INSERT INTO workorder SELECT i, printf('GD20260920%06d', i), '噪音扰民 项城市第' || i || '号',
  1, printf('%d.%02d', i % 100000, i % 100), '2026-10-01', i % 2,
  strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime', '-2 hours', '+' || (i / 50) || ' seconds')
  FROM s;
CREATE TABLE nullable_ts (id INTEGER PRIMARY KEY, order_no TEXT, title TEXT, version INTEGER,
  updated_at DATETIME);
-- one timestamp shared by 3000 rows, then a second one shared by 1500
CREATE TABLE same_ts (id INTEGER PRIMARY KEY, order_no TEXT NOT NULL, title TEXT NOT NULL,
  version INTEGER NOT NULL, updated_at DATETIME NOT NULL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 4500)
INSERT INTO same_ts SELECT i, printf('GD20260921%06d', i), '同一时刻 第' || i || '条', 1,
  CASE WHEN i <= 3000 THEN '2026-09-21 08:00:00.000' ELSE '2026-09-21 08:00:01.000' END FROM s;
SQL

TOPIC=gdx.test.sql.big
sql_config "$T/big.yaml" test.sqlbig "database: $DB" "table: workorder" \
    "timestamp.column: updated_at" "incrementing.column: id" "timestamp.delay.ms: 1s" \
    "fetch.rows: 2000"

"$GDX" connector check -c "$T/big.yaml" >"$T/check.out" 2>&1
is "$?" 0 "check passes on a good table"
ok "check names the cursor columns as NOT NULL and indexed" \
    grep -q "timestamp.column 'updated_at': NOT NULL, indexed" "$T/check.out"
ok "check reports the select privilege" grep -q "select on table 'workorder': ok" "$T/check.out"

# --- a nullable cursor column is refused, naming it, by check and by run
TOPIC=gdx.test.sql.same
sql_config "$T/null.yaml" test.sqlnull "database: $DB" "table: nullable_ts" \
    "timestamp.column: updated_at" "incrementing.column: id"
"$GDX" connector check -c "$T/null.yaml" >"$T/null-check.out" 2>&1
rc=$?
ok "check refuses a nullable timestamp column" test "$rc" -ne 0
ok "check names the nullable column" grep -q "timestamp.column 'updated_at' of table 'nullable_ts' is nullable" "$T/null-check.out"
timeout 30 "$GDX" connector run --once -c "$T/null.yaml" >"$T/null-run.out" 2>&1
is "$?" 78 "run refuses a nullable cursor column as a configuration error"
ok "run names the nullable column" grep -q "'updated_at' of table 'nullable_ts' is nullable" "$T/null-run.out"

# --- the default mode needs both cursor columns; a bad timezone is refused
sql_config "$T/nocol.yaml" test.sqlnocol "database: $DB" "table: workorder" \
    "timestamp.column: updated_at"
"$GDX" connector check -c "$T/nocol.yaml" >"$T/nocol.out" 2>&1
is "$?" 78 "a missing incrementing.column is a configuration error"
ok "the error says which key is missing" grep -q "needs 'incrementing.column'" "$T/nocol.out"

# --- 200,000-row snapshot, killed mid-way, resumed, exactly once
"$GDX" connector run -c "$T/big.yaml" 2>"$T/big1.log" &
pid=$!
wait_for 60 offsets_have '"test.sqlbig".*"snap":\['
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"$GDX" tail --from-beginning _gdx.offsets 2>/dev/null | grep test.sqlbig | tail -1 >"$T/off-mid.json"
ok "the position records snapshot progress mid-way" grep -q '"snap":\[[0-9]' "$T/off-mid.json"
timeout 240 "$GDX" connector run --once -c "$T/big.yaml" 2>"$T/big2.log"
is "$?" 0 "the restarted connector finishes the snapshot"
ok "the restart resumes the snapshot instead of starting over" \
    grep -q 'resuming.*snap' "$T/big2.log"
ok "snapshot progress is logged with a rate" grep -q 'rows/s' "$T/big2.log"
sqlite3 -json "$DB" "SELECT id, version, title, amount FROM workorder" | $PY -c '
import json, sys
for r in json.load(sys.stdin):
    print(json.dumps(r, ensure_ascii=False))' >"$T/expect-big.jsonl"
out=$(sql_check "$T/expect-big.jsonl" gdx.test.sql.big test.sqlbig)
is "$?" 0 "200,000 rows after SIGKILL mid-snapshot, exactly once: $out"

# --- rows sharing one timestamp across batch boundaries, killed between batches
for mode in timestamp+incrementing timestamp; do
    TOPIC=gdx.test.sql.same
    cid=test.same1
    [ "$mode" = timestamp ] && { TOPIC=gdx.test.sql.ts; cid=test.same2; }
    BATCH_RECORDS=700 sql_config "$T/same-$cid.yaml" $cid "database: $DB" "table: same_ts" \
        "mode: $mode" "timestamp.column: updated_at" "incrementing.column: id" \
        "timestamp.delay.ms: 0" "fetch.rows: 500"
    # batch.max.ms 1s and 700 rows per batch: stop after the first few batches
    "$GDX" connector run -c "$T/same-$cid.yaml" 2>"$T/same-$cid-1.log" &
    pid=$!
    wait_for 30 offsets_have "\"$cid\""
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    timeout 60 "$GDX" connector run --once -c "$T/same-$cid.yaml" 2>"$T/same-$cid-2.log"
    is "$?" 0 "$mode: the restarted connector drains the table"
    sqlite3 -json "$T/wo.db" "SELECT id, version, title FROM same_ts" | $PY -c '
import json, sys
for r in json.load(sys.stdin):
    print(json.dumps(r, ensure_ascii=False))' >"$T/expect-same.jsonl"
    out=$(sql_check "$T/expect-same.jsonl" $TOPIC $cid)
    is "$?" 0 "$mode: 4,500 rows on two timestamps, batches of 700, exactly once: $out"
done
# in timestamp mode a batch ends only between two timestamps
"$GDX" tail --from-beginning _gdx.offsets 2>/dev/null | grep '"test.same2"' |
    grep -v '"ts":"2026-09-21 08:00:0[01].000"' | grep -c '"ts"' >"$T/ts-mid.count"
is "$(cat "$T/ts-mid.count")" 0 "timestamp mode: every committed position holds a complete timestamp"

# --- custom query, bulk mode: a read-only view of the rows, all of them once
TOPIC=gdx.test.sql.bulk
sql_config "$T/bulk.yaml" test.sqlbulk "database: $DB" \
    "query: SELECT id, order_no, title, version, updated_at FROM same_ts WHERE id <= 1000" \
    "mode: bulk" "incrementing.column: id" "fetch.rows: 300"
timeout 60 "$GDX" connector run --once -c "$T/bulk.yaml" 2>"$T/bulk.log"
is "$?" 0 "bulk mode with a custom query drains"
sqlite3 -json "$DB" "SELECT id, version, title FROM same_ts WHERE id <= 1000" | $PY -c '
import json, sys
for r in json.load(sys.stdin):
    print(json.dumps(r, ensure_ascii=False))' >"$T/expect-bulk.jsonl"
out=$(sql_check "$T/expect-bulk.jsonl" gdx.test.sql.bulk test.sqlbulk)
is "$?" 0 "bulk pass of a custom query, exactly once: $out"

# --- ODBC through the SQLite ODBC driver (stands in for vendor drivers)
drv=$(ls /usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so /usr/lib/*/odbc/libsqlite3odbc.so 2>/dev/null | head -1)
if [ -n "$drv" ]; then
    mkdir -p "$T/odbc"
    cat >"$T/odbc/odbcinst.ini" <<INI
[SQLite3]
Description = SQLite3 ODBC driver
Driver = $drv
INI
    # the SQLite ODBC driver leaks a few small objects per connection, and unixODBC unloads it
    # before the leak sanitizer could name it: leaks are not checked for this driver (the
    # psqlODBC case of 1120 checks the ODBC backend's own memory)
    [ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
    cat >"$T/odbc/odbc.ini" <<INI
[workorders]
Driver = SQLite3
Database = $DB
INI
    export ODBCSYSINI=$T/odbc ODBCINI=$T/odbc/odbc.ini
    TOPIC=gdx.test.sql.odbc
    sql_config "$T/odbc.yaml" test.sqlodbc "driver: odbc" "database: workorders" \
        "table: same_ts" "mode: incrementing" "incrementing.column: id" "fetch.rows: 1000"
    "$GDX" connector check -c "$T/odbc.yaml" >"$T/odbc-check.out" 2>&1
    is "$?" 0 "check passes through ODBC"
    ok "check through ODBC names the driver's database" grep -q "reachable: SQLite" "$T/odbc-check.out"
    timeout 60 "$GDX" connector run --once -c "$T/odbc.yaml" 2>"$T/odbc.log"
    is "$?" 0 "odbc connector drains"
    out=$(sql_check "$T/expect-same.jsonl" gdx.test.sql.odbc test.sqlodbc)
    is "$?" 0 "4,500 rows through the SQLite ODBC driver, exactly once: $out"
else
    diag "libsqliteodbc not installed: ODBC case skipped"
fi
done_testing

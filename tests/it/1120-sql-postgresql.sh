#!/bin/bash
# The sql connector on a real PostgreSQL 15 (a throwaway server in the test's folder), read
# through a read-only account whose password comes from the environment: a snapshot killed
# with SIGKILL mid-way; inserts and updates while it captures, including a transaction held
# open far longer than a poll interval whose rows commit late (the delay covers it); the
# database restarted mid-capture; an out-of-range decimal goes to the dead letter topic
# naming the column and the row; psqlODBC reads the same table. Every case is checked
# against the table's final content: each row version at most once, the final ones all there.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/dbserver.sh"
PY=/usr/bin/python3
N=${SQL_PG_ROWS:-40000}

start_pg || skip_all "cannot start a PostgreSQL server"
start_broker --topic gdx.test.pg:32 --topic gdx.test.pg.odbc:8 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
export PGTEST_PASSWORD="Rd-$$-项城"

pg_sql <<SQL
CREATE TABLE workorder (
  id bigserial PRIMARY KEY,
  order_no text NOT NULL,
  title text NOT NULL,
  version int NOT NULL DEFAULT 1,
  amount numeric(14,2),
  due_date date,
  urgent boolean,
  updated_at timestamp NOT NULL DEFAULT now());
CREATE INDEX workorder_ts ON workorder (updated_at, id);
INSERT INTO workorder (order_no, title, amount, due_date, urgent, updated_at)
  SELECT 'GD20260920' || lpad(i::text, 6, '0'), '垃圾清运 项城市第' || i || '号', (i % 100000) + 0.25,
         DATE '2026-10-01' + (i % 30), i % 3 = 0, now() - interval '1 hour' + i * interval '1 ms'
  FROM generate_series(1, $N) i;
-- one amount beyond the schema's precision 12: a dead letter, not a stop
UPDATE workorder SET amount = 123456789012.50 WHERE id = 777;
CREATE ROLE gdx_reader LOGIN PASSWORD '$PGTEST_PASSWORD';
GRANT USAGE ON SCHEMA public TO gdx_reader;
GRANT SELECT ON workorder TO gdx_reader;
CREATE TABLE secret_table (id int PRIMARY KEY, updated_at timestamp NOT NULL);
SQL
if [ "$?" != 0 ]; then fail "test database set up"; done_testing; fi
pass "test database set up"

TOPIC=gdx.test.pg
sql_config "$T/pg.yaml" test.pg "driver: postgresql" "host: 127.0.0.1" "port: $PGPORT" \
    "database: postgres" "user: gdx_reader" "password: \${PGTEST_PASSWORD}" "table: workorder" \
    "timestamp.column: updated_at" "incrementing.column: id" "timestamp.delay.ms: 4s" \
    "fetch.rows: 2000" "statement.timeout.ms: 20s"

"$GDX" connector check -c "$T/pg.yaml" >"$T/check.out" 2>&1
is "$?" 0 "check passes with the read-only account"
ok "check reports the server" grep -q "database reachable: PostgreSQL 15" "$T/check.out"
ok "check reports the cursor columns" grep -q "incrementing.column 'id': NOT NULL, indexed" "$T/check.out"

# no SELECT privilege: check says which table
sed 's/table: workorder/table: secret_table/' "$T/pg.yaml" >"$T/noperm.yaml"
"$GDX" connector check -c "$T/noperm.yaml" >"$T/noperm.out" 2>&1
ok "check fails without SELECT privilege" test "$?" -ne 0
ok "check names the table it cannot read" grep -q "cannot read table 'secret_table'.*permission denied" "$T/noperm.out"

# --- snapshot, killed mid-way
"$GDX" connector run -c "$T/pg.yaml" 2>"$T/run1.log" &
pid=$!
wait_for 60 offsets_have '"test.pg".*"snap":\['
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
ok "killed mid-snapshot" offsets_have '"test.pg".*"snap":\[[0-9]+,'

# --- resumed, with writers: inserts, updates, and a transaction held open 2.5 s
"$GDX" connector run -c "$T/pg.yaml" 2>"$T/run2.log" &
cpid=$!
PIDS+=($cpid)
(
    for i in $(seq 1 40); do
        pg_sql -c "INSERT INTO workorder (order_no, title, amount, urgent)
                   SELECT 'GD20260922' || lpad(($i * 100 + g)::text, 6, '0'), '占道经营 第' || g || '号',
                          g + 0.5, true FROM generate_series(1, 50) g;
                   UPDATE workorder SET version = version + 1, updated_at = now(),
                          title = title || '（已派单）'
                    WHERE id IN (SELECT (random() * $N)::int + 1 FROM generate_series(1, 30));" \
            >/dev/null 2>&1
        sleep 0.1
    done
) &
wpid=$!
(
    sleep 0.5
    pg_sql -c "BEGIN;
               INSERT INTO workorder (order_no, title) SELECT 'GD20260923' || lpad(g::text, 6, '0'),
                      '长事务 第' || g || '号' FROM generate_series(1, 200) g;
               SELECT pg_sleep(2.5);
               COMMIT;" >/dev/null 2>&1
) &
lpid=$!
wait $lpid
ok "the long transaction's rows were committed" \
    test "$(pg_sql -tA -c "SELECT count(*) FROM workorder WHERE order_no LIKE 'GD20260923%'")" = 200
sleep 0.5
restart_pg
ok "database restarted mid-capture" test "$?" = 0
wait $wpid
sleep 1
kill -TERM $cpid
wait $cpid
is "$?" 0 "connector stops cleanly on SIGTERM"
ok "connector retried while the database was down" grep -q "source temporarily failing" "$T/run2.log"

# drain what the delay held back
timeout 120 "$GDX" connector run --once -c "$T/pg.yaml" 2>"$T/run3.log"
is "$?" 0 "final run drains the table"

pg_sql -tA -c "SELECT row_to_json(t) FROM (SELECT id, version, title, amount::text AS amount
               FROM workorder WHERE id <> 777 ORDER BY id) t" >"$T/expect.jsonl"
out=$(sql_check "$T/expect.jsonl" gdx.test.pg test.pg)
is "$?" 0 "kill, restart, concurrent writes, late commit: every final row once: $out"

# --- the bad decimal: dead letter naming the column and the row
"$GDX" tail -b "$BOOTSTRAP" -H --from-beginning _gdx.dlq.test.pg >"$T/dlq.jsonl" 2>/dev/null
$PY - "$T/dlq.jsonl" >"$T/dlq.out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
hit = [r for r in rows if r["headers"].get("gdx.src.pos") == "table:workorder:id=777"]
print(len(hit), hit[0]["headers"].get("gdx.error.field") if hit else "-",
      "precision" in hit[0]["headers"].get("gdx.error.reason", "") if hit else "-")
PYEOF
read -r ndlq field why <"$T/dlq.out"
ok "the out-of-range decimal is a dead letter at table:workorder:id=777" test "${ndlq:-0}" -ge 1
is "$field" amount "the dead letter names the column"
is "$why" True "the dead letter says the precision is exceeded"

ok "the password never reaches the logs" bash -c "! grep -qF '$PGTEST_PASSWORD' '$T'/run*.log '$T/check.out'"

# --- psqlODBC on the same table
drv=$(ls /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so /usr/lib/*/odbc/psqlodbcw.so 2>/dev/null | head -1)
if [ -n "$drv" ]; then
    mkdir -p "$T/odbc"
    cat >"$T/odbc/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Driver = $drv
INI
    cat >"$T/odbc/odbc.ini" <<INI
[hotline]
Driver = PostgreSQL Unicode
Servername = 127.0.0.1
Port = $PGPORT
Database = postgres
INI
    export ODBCSYSINI=$T/odbc ODBCINI=$T/odbc/odbc.ini
    TOPIC=gdx.test.pg.odbc
    sql_config "$T/odbc.yaml" test.pgodbc "driver: odbc" "database: hotline" \
        "user: gdx_reader" "password: \${PGTEST_PASSWORD}" "table: workorder" \
        "timestamp.column: updated_at" "incrementing.column: id" "timestamp.delay.ms: 0" \
        "fetch.rows: 5000"
    "$GDX" connector check -c "$T/odbc.yaml" >"$T/odbc-check.out" 2>&1
    is "$?" 0 "check passes through psqlODBC"
    ok "the odbc dialect is detected" grep -q "driver odbc, dialect postgresql" "$T/odbc-check.out"
    timeout 120 "$GDX" connector run --once -c "$T/odbc.yaml" 2>"$T/odbc.log"
    is "$?" 0 "odbc run drains"
    out=$(sql_check "$T/expect.jsonl" gdx.test.pg.odbc test.pgodbc)
    is "$?" 0 "psqlODBC: every row once with its final version: $out"
else
    diag "psqlODBC not installed: ODBC case skipped"
fi
done_testing

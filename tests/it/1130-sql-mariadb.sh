#!/bin/bash
# The sql connector on a real MariaDB (a throwaway server in the test's folder, permissive
# sql_mode so it holds zero dates), with a read-only account whose password is in a file:
# a GBK table arrives as UTF-8; a `0000-00-00` date goes to the dead letter topic naming the
# column and the row; inserts and updates during capture; the server killed and restarted
# mid-capture; SIGKILL of the connector; every final row exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/dbserver.sh"
PY=/usr/bin/python3
N=${SQL_MY_ROWS:-30000}

start_mariadb || skip_all "cannot start a MariaDB server"
start_broker --topic gdx.test.my:32 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
printf 'My-%s-只读\n' $$ >"$T/reader.pw"
chmod 600 "$T/reader.pw"
PW=$(head -1 "$T/reader.pw")

my_sql <<SQL
CREATE DATABASE hotline;
USE hotline;
-- a departmental table kept in GBK, as older systems do
CREATE TABLE workorder (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_no varchar(32) NOT NULL,
  title varchar(200) NOT NULL,
  version int NOT NULL DEFAULT 1,
  amount decimal(14,2),
  due_date date,
  urgent tinyint(1),
  updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY workorder_ts (updated_at, id)
) DEFAULT CHARSET=gbk;
INSERT INTO workorder (id, order_no, title, amount, due_date, urgent, updated_at)
  SELECT seq, CONCAT('GD20260920', LPAD(seq, 6, '0')), CONCAT('拖欠工资 项城市第', seq, '号'),
         (seq % 100000) + 0.75, DATE '2026-10-01' + INTERVAL (seq % 30) DAY, seq % 2,
         NOW(6) - INTERVAL 1 HOUR + INTERVAL seq * 1000 MICROSECOND
  FROM seq_1_to_$N;
UPDATE workorder SET due_date = '0000-00-00' WHERE id = 555;
CREATE USER 'gdx_reader'@'127.0.0.1' IDENTIFIED BY '$PW';
GRANT SELECT ON hotline.workorder TO 'gdx_reader'@'127.0.0.1';
SQL
if [ "$?" != 0 ]; then fail "test database set up"; done_testing; fi
pass "test database set up"
is "$(my_sql -N -e "SELECT due_date FROM hotline.workorder WHERE id = 555")" 0000-00-00 \
    "the server holds a zero date"

TOPIC=gdx.test.my
sql_config "$T/my.yaml" test.my "driver: mysql" "host: 127.0.0.1" "port: $MY_PORT" \
    "database: hotline" "user: gdx_reader" "password.file: $T/reader.pw" "table: workorder" \
    "timestamp.column: updated_at" "incrementing.column: id" "timestamp.delay.ms: 3s" \
    "fetch.rows: 2000"

"$GDX" connector check -c "$T/my.yaml" >"$T/check.out" 2>&1
is "$?" 0 "check passes with the read-only account"
ok "check reports the server" grep -q "database reachable: .*MariaDB" "$T/check.out"
ok "check reports the cursor columns" grep -q "timestamp.column 'updated_at': NOT NULL, indexed" "$T/check.out"

"$GDX" connector run -c "$T/my.yaml" 2>"$T/run1.log" &
pid=$!
wait_for 60 offsets_have '"test.my".*"snap":\['
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null

"$GDX" connector run -c "$T/my.yaml" 2>"$T/run2.log" &
cpid=$!
PIDS+=($cpid)
(
    for i in $(seq 1 30); do
        my_sql hotline -e "INSERT INTO workorder (order_no, title, amount, urgent)
                   SELECT CONCAT('GD20260922', LPAD($i * 100 + seq, 6, '0')), CONCAT('占道经营 第', seq, '号'),
                          seq + 0.5, 1 FROM seq_1_to_40;
                   UPDATE workorder SET version = version + 1, updated_at = NOW(6),
                          title = CONCAT(title, '（已办结）')
                    WHERE id IN (SELECT FLOOR(1 + RAND() * $N) FROM seq_1_to_20);" >/dev/null 2>&1
        sleep 0.1
    done
) &
wpid=$!
sleep 2
restart_mariadb
ok "database restarted mid-capture" test "$?" = 0
wait $wpid
kill -TERM $cpid
wait $cpid
is "$?" 0 "connector stops cleanly on SIGTERM"
ok "connector retried while the database was down" grep -q "source temporarily failing" "$T/run2.log"
timeout 120 "$GDX" connector run --once -c "$T/my.yaml" 2>"$T/run3.log"
is "$?" 0 "final run drains the table"

my_sql -N hotline -e "SELECT JSON_OBJECT('id', id, 'version', version, 'title', title,
                      'amount', CAST(amount AS CHAR)) FROM workorder WHERE id <> 555" >"$T/expect.jsonl"
out=$(sql_check "$T/expect.jsonl" gdx.test.my test.my)
is "$?" 0 "GBK table, kill, restart, concurrent writes: every final row once: $out"

"$GDX" tail -b "$BOOTSTRAP" -H --from-beginning _gdx.dlq.test.my >"$T/dlq.jsonl" 2>/dev/null
$PY - "$T/dlq.jsonl" >"$T/dlq.out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
hit = [r for r in rows if r["headers"].get("gdx.src.pos") == "table:workorder:id=555"]
print(len(hit), hit[0]["headers"].get("gdx.error.field") if hit else "-")
PYEOF
read -r ndlq field <"$T/dlq.out"
ok "the zero date is a dead letter at table:workorder:id=555" test "${ndlq:-0}" -ge 1
is "$field" due_date "the dead letter names the column"
ok "the password never reaches the logs" bash -c "! grep -qF '$PW' '$T'/run*.log '$T/check.out'"
done_testing

# tests/it/dbserver.sh - throwaway PostgreSQL and MariaDB servers for the sql connector tests.
#
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/dbserver.sh"
#   start_pg  || skip_all "..."    # PGPORT, PG_DATA; pg_sql runs psql as the superuser
#   start_mariadb || skip_all ...   # MY_PORT, MY_SOCK; my_sql runs the mariadb client as root
#   restart_pg / restart_mariadb    # an abrupt restart (immediate stop, then start)
#
# Every server lives in the test's temporary directory ($T), listens on 127.0.0.1 on a free
# port, and is stopped when the test exits, pass or fail. PostgreSQL refuses to run as root
# (CI runs as root), so it runs as the unprivileged user `gdxtest`, created when missing.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
DB_CLEANUP=()

db_cleanup() {
    local c
    for c in "${DB_CLEANUP[@]:-}"; do
        [ -n "$c" ] && eval "$c" >/dev/null 2>&1
    done
}
trap 'db_cleanup; tap_cleanup' EXIT

# A free TCP port on loopback.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Run a command as the unprivileged database user when we are root.
db_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u gdxtest -- "$@"
    else
        "$@"
    fi
}

db_user() {
    [ "$(id -u)" = 0 ] || return 0
    # tests run two at a time (make test): the other may have created the user meanwhile
    id gdxtest >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin gdxtest \
        2>/dev/null || id gdxtest >/dev/null 2>&1
}

start_pg() {
    [ -x "$PG_BIN/initdb" ] || { echo "# no PostgreSQL server binaries (apt-get install postgresql)"; return 1; }
    db_user || return 1
    chmod 755 "$T"
    PG_DIR=$T/pg
    PG_DATA=$PG_DIR/data
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown gdxtest "$PG_DIR"
    # the superuser over the socket without a password; over TCP (the connector) passwords
    if ! db_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --no-locale \
        >"$PG_DIR/initdb.log" 2>&1; then
        echo "# initdb failed:"; sed 's/^/#   /' "$PG_DIR/initdb.log" | tail -5; return 1
    fi
    PGPORT=$(free_port)
    export PGPORT
    pg_start_server || return 1
    DB_CLEANUP+=("db_as '$PG_BIN/pg_ctl' -D '$PG_DATA' -m immediate stop")
}

pg_start_server() {
    if ! db_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-p $PGPORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
        start >"$PG_DIR/pg_ctl.log" 2>&1; then
        echo "# postgresql did not start:"; tail -5 "$PG_DIR/server.log" | sed 's/^/#   /'; return 1
    fi
}

pg_sql() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PGPORT" -U postgres -d postgres "$@"
}

stop_pg() {
    db_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m "${1:-fast}" -w stop >/dev/null 2>&1
}

restart_pg() {
    stop_pg immediate
    pg_start_server
}

start_mariadb() {
    command -v mariadbd >/dev/null || { echo "# no MariaDB server (apt-get install mariadb-server)"; return 1; }
    MY_DIR=$T/my
    mkdir -p "$MY_DIR/data"
    if ! mariadb-install-db --no-defaults --datadir="$MY_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=normal --skip-test-db >"$MY_DIR/install.log" 2>&1; then
        echo "# mariadb-install-db failed:"; tail -5 "$MY_DIR/install.log" | sed 's/^/#   /'; return 1
    fi
    MY_PORT=$(free_port)
    MY_SOCK=$MY_DIR/sock
    export MY_PORT MY_SOCK
    my_start_server || return 1
    DB_CLEANUP+=("kill -9 \$(cat '$MY_DIR/pid' 2>/dev/null)")
}

my_start_server() {
    mariadbd --no-defaults --datadir="$MY_DIR/data" --socket="$MY_SOCK" --port="$MY_PORT" \
        --bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$MY_DIR/pid" \
        --log-error="$MY_DIR/error.log" --sql-mode='' --skip-log-bin \
        --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
        --character-set-server=utf8mb4 >/dev/null 2>&1 &
    disown $! 2>/dev/null
    local i=0
    until mariadb --no-defaults -uroot -S "$MY_SOCK" -e 'SELECT 1' >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -ge 300 ]; then
            echo "# mariadb did not start:"; tail -5 "$MY_DIR/error.log" | sed 's/^/#   /'; return 1
        fi
        sleep 0.1
    done
}

my_sql() {
    mariadb --no-defaults -uroot -S "$MY_SOCK" "$@"
}

restart_mariadb() {
    local pid
    pid=$(cat "$MY_DIR/pid" 2>/dev/null)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    my_start_server
}

# sql_check EXPECT.jsonl TOPIC CONNECTOR: compare what TOPIC holds (records of committed
# batches only, see check.py) with rows exported from the table, one JSON object per line
# with at least "id" and "version". Every expected (id, version) must be there exactly once
# with equal values for the fields the export has; no (id, version) may appear twice; an
# older version of a row may be there (an update seen before the next one), never a newer
# one or an unknown id. Prints a summary line; returns 1 on any difference.
sql_check() {
    local expect=$1 topic=$2 conn=$3
    "$GDX" tail -b "$BOOTSTRAP" -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" "$topic" \
        >"$T/got.jsonl" 2>"$T/tail.err"
    "$GDX" tail -b "$BOOTSTRAP" -H --from-beginning _gdx.offsets >"$T/offsets.jsonl" 2>>"$T/tail.err"
    /usr/bin/python3 - "$expect" "$T/got.jsonl" "$T/offsets.jsonl" "$conn" <<'PYEOF'
import json, sys, collections
exp_path, got_path, off_path, conn = sys.argv[1:5]
def lines(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]
keep = set()
for r in lines(off_path):
    v = r.get("value")
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            continue
    if isinstance(v, dict) and v.get("connector") == conn and v.get("batch"):
        keep.add(v["batch"])
got = [g["value"] for g in lines(got_path) if g.get("headers", {}).get("gdx.batch") in keep]
exp = lines(exp_path)
have = collections.Counter((g["id"], g.get("version", 1)) for g in got)
byk = {}
for g in got:
    byk[(g["id"], g.get("version", 1))] = g
maxver = {e["id"]: e.get("version", 1) for e in exp}
lost = dup = mism = unexpected = 0
for e in exp:
    k = (e["id"], e.get("version", 1))
    g = byk.get(k)
    if g is None:
        lost += 1
        if lost <= 3:
            print("# lost", k, file=sys.stderr)
        continue
    for f, v in e.items():
        gv = g.get(f)
        if isinstance(v, (int, float)) and isinstance(gv, (str, int, float)):
            try:
                gv, v = float(gv), float(v)
            except ValueError:
                pass
        if gv != v:
            mism += 1
            if mism <= 3:
                print("# mismatch", k, f, repr(v), repr(g.get(f)), file=sys.stderr)
            break
for k, n in have.items():
    if n > 1:
        dup += n - 1
        if dup <= 3:
            print("# duplicated", k, n, file=sys.stderr)
    if k[0] not in maxver or k[1] > maxver[k[0]]:
        unexpected += 1
print(f"records={len(got)} expected={len(exp)} lost={lost} duplicated={dup} "
      f"mismatched={mism} unexpected={unexpected}")
sys.exit(1 if lost or dup or mism or unexpected else 0)
PYEOF
}

# offsets_have PATTERN: the offsets topic holds a record matching PATTERN (grep -E)
offsets_have() {
    "$GDX" tail -b "$BOOTSTRAP" --from-beginning _gdx.offsets 2>/dev/null | grep -Eq "$1"
}

# sql_config FILE ID KEY:VALUE...: write a sql connector config for topic $TOPIC with the
# test schema; the source keys come from the arguments, one per line as given. Batch bounds
# from BATCH_RECORDS (default 5000), BATCH_MAX_MS and BATCH_MAX_BYTES.
sql_config() {
    local file=$1 id=$2
    shift 2
    {
        echo "connector:"
        echo "  id: $id"
        echo "  kind: sql"
        echo "kafka:"
        echo "  bootstrap.servers: $BOOTSTRAP"
        echo "topic: $TOPIC"
        echo "schema: $GDX_ROOT/tests/it/schemas/sql-workorder.avsc"
        echo "key: order_no"
        echo "state.dir: $T/state"
        echo "poll.interval.ms: 200ms"
        echo "batch:"
        echo "  max.records: ${BATCH_RECORDS:-5000}"
        [ -n "${BATCH_MAX_MS:-}" ] && echo "  max.ms: $BATCH_MAX_MS"
        [ -n "${BATCH_MAX_BYTES:-}" ] && echo "  max.bytes: $BATCH_MAX_BYTES"
        echo "source:"
        local kv
        for kv in "$@"; do
            echo "  $kv"
        done
    } >"$file"
}

/*
 * sql.c - the sql connector: new and changed rows of a database table (or query).
 *
 * The connector reads a table through one of four client libraries (backend.h) and turns
 * each row into named text fields. What it reads next is decided by a cursor, the way
 * Kafka Connect's JDBC source does it, without that source's known ways of losing rows:
 *
 *  - timestamp+incrementing (default): rows ordered by (ts, id); the position is the pair
 *    of the last row read, and the next query asks for `(ts = :ts AND id > :id) OR ts > :ts`,
 *    so rows sharing a timestamp across batch boundaries are neither lost nor repeated.
 *  - timestamp: rows ordered by ts alone. A query never ends inside a group of rows with
 *    the same timestamp (the bound is the largest ts of the next fetch.rows rows, read with
 *    `<=`), and a batch ends only between two timestamps, so the position's timestamp
 *    advances only once every row at it has been read.
 *  - incrementing: rows ordered by a strictly increasing id (inserts only).
 *  - bulk: the whole table in keyset chunks (by the id column), once or every
 *    bulk.repeat.ms.
 *
 * In the timestamp modes only rows older than the database's own clock minus
 * timestamp.delay.ms are read: a transaction that inserted rows with an earlier timestamp
 * and commits late is still seen, as long as the delay covers it. The clock is the
 * server's (never this host's), so clock skew between hosts does not matter.
 * A cursor column must be NOT NULL: a row with NULL there would never match any cursor
 * condition and be skipped silently, so init and check refuse such a column by name.
 *
 * The position is JSON text owned by the runtime: {"ts":..,"id":..} with the database's
 * own text of the values, plus "snap":[done,total] while the first pass (the initial
 * snapshot) runs, so a restart resumes the snapshot where it stopped and keeps counting.
 * Chunks are keyset queries with a LIMIT (fetch.rows), never OFFSET, so each chunk costs
 * the same on a large table.
 *
 * Values are handed over as text: integers and decimals exactly as the server prints them,
 * timestamps as ISO 8601 (with the server's offset where the column has one, else
 * `timezone`), booleans as true/false, binary columns as raw bytes (or hex, per column),
 * JSON as its text. A row's position header names the table and its key:
 * `table:workorder:id=123`, which dead letters carry as well.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gdx.h"
#include "gdx_log.h"

#include "backend.h"

enum sql_mode { SQL_MODE_BULK, SQL_MODE_INC, SQL_MODE_TS, SQL_MODE_TSINC };
enum sql_limit { SQL_LIMIT, SQL_FETCH_FIRST, SQL_OFFSET_FETCH };

struct sql_dialect {
    const char *name;
    enum sql_limit limit;
    const char *now_sql; /* the server's local time as text "YYYY-MM-DD HH:MM:SS[.f]" */
};

static const struct sql_dialect sql_dialects[] = {
    {"postgresql", SQL_LIMIT, "SELECT CAST(LOCALTIMESTAMP AS text)"},
    {"kingbase", SQL_LIMIT, "SELECT CAST(LOCALTIMESTAMP AS text)"},
    {"mysql", SQL_LIMIT, "SELECT CAST(NOW(6) AS CHAR)"},
    {"sqlite", SQL_LIMIT, "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')"},
    {"oracle", SQL_FETCH_FIRST,
     "SELECT TO_CHAR(LOCALTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.FF6') FROM DUAL"},
    {"dm", SQL_LIMIT, "SELECT TO_CHAR(LOCALTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.FF6') FROM DUAL"},
    {"sqlserver", SQL_OFFSET_FETCH, "SELECT CONVERT(varchar(30), SYSDATETIME(), 121)"},
    {"standard", SQL_FETCH_FIRST, "SELECT CAST(LOCALTIMESTAMP AS VARCHAR(32)) FROM (VALUES (1)) t"},
    {NULL, 0, NULL},
};

struct sql_override {
    char *column;
    enum sql_kind kind;
    int hex;
};

struct sql_inst {
    /* the `source:` section */
    char *driver;
    char *database;
    char *host;
    int64_t port;
    char *user;
    char *password;
    char *password_file;
    char *options;
    char *dialect_name;
    char *table;
    char *query;
    char *mode_name;
    char *ts_col;
    char *id_col;
    char *key_col;
    int64_t delay_ms;
    int64_t fetch_rows;
    int64_t bulk_repeat_ms;
    int64_t stmt_timeout_ms;
    int64_t connect_timeout_ms;
    int read_only;
    char *encoding;
    int odbc_wide;
    char *timezone;
    char **column_types;
    char *now_query;
    int snapshot_count;

    /* resolved by init */
    const struct sql_backend *be;
    const struct sql_dialect *dialect;
    enum sql_mode mode;
    char *src;   /* FROM clause: the table or "(query) gdx_q" */
    char *label; /* table name in positions, "query" for a custom query */
    char *key;   /* column named in positions */
    char *pw;    /* password from password.file or password */
    struct sql_override *ovr;
    size_t novr;
    struct sql_conn *conn;
    int validated; /* the cursor columns were checked against the catalog */

    /* cursor */
    char *cur_ts, *cur_id;
    uint64_t pass;
    int pass_done;
    int64_t pass_done_at; /* monotonic ms */
    int snap;             /* the first pass (snapshot) is running */
    uint64_t snap_done, snap_total;
    int64_t snap_started, snap_logged;
    uint64_t snap_started_done;
    int caught_up; /* logged "caught up" */

    /* result shape */
    char **names; /* stable per column set, numbered by names_gen for the runtime's lookup */
    size_t nnames;
    uint64_t names_gen; /* gdx_names_gen() of names */
    enum sql_kind *kinds;
    int *hex;
    int ts_idx, id_idx, key_idx;

    /* per-row scratch */
    const char **vals;
    size_t *lens;
    const char **outv;
    size_t *outl;
    size_t vcap;
    char *conv;
    size_t conv_cap;
    size_t *conv_off;
    char *pos, *off;
    size_t pos_cap, off_cap;
};

#define OFF(f) offsetof(struct sql_inst, f)

static const struct gdx_conf_prop sql_props[] = {
    {"driver", GDX_CONF_STR, OFF(driver), "sqlite", "sqlite|postgresql|mysql|odbc",
     "Client library: sqlite (a database file), postgresql (also openGauss, KingbaseES in PG "
     "mode), mysql (MariaDB, MySQL) or odbc (DM, Oracle, SQL Server, ... through their drivers)."},
    {"database", GDX_CONF_STR, OFF(database), NULL, NULL,
     "sqlite: the file (relative to the config file); postgresql/mysql: the database name (a "
     "libpq conninfo or URI works too); odbc: a DSN from odbc.ini or a connection string."},
    {"host", GDX_CONF_STR, OFF(host), "", NULL,
     "Server host name or address; a path starting with / is a Unix socket (directory for "
     "postgresql, socket file for mysql)."},
    {"port", GDX_CONF_INT, OFF(port), "0", NULL, "Server port; 0 is the client's default."},
    {"user", GDX_CONF_STR, OFF(user), "", NULL, "Database account (read-only is enough)."},
    {"password", GDX_CONF_SECRET, OFF(password), "", NULL,
     "Password; write ${ENV_NAME} to take it from the environment. Never logged."},
    {"password.file", GDX_CONF_STR, OFF(password_file), "", NULL,
     "File holding the password (first line), e.g. a systemd credential; wins over password."},
    {"options", GDX_CONF_STR, OFF(options), "", NULL,
     "Extra client options: libpq conninfo words (sslmode=require) or ODBC connection string "
     "attributes (Timeout=5)."},
    {"dialect", GDX_CONF_STR, OFF(dialect_name), "auto",
     "auto|postgresql|kingbase|mysql|sqlite|oracle|dm|sqlserver|standard",
     "SQL dialect (LIMIT syntax, the server clock); auto asks the driver."},
    {"table", GDX_CONF_STR, OFF(table), "", NULL,
     "Table (or view) to read, as the database names it, e.g. workorder or hotline.workorder."},
    {"query", GDX_CONF_STR, OFF(query), "", NULL,
     "A custom SELECT instead of table; cursor conditions are applied around it."},
    {"mode", GDX_CONF_STR, OFF(mode_name), "timestamp+incrementing",
     "bulk|incrementing|timestamp|timestamp+incrementing",
     "How new and changed rows are found (see the README)."},
    {"timestamp.column", GDX_CONF_STR, OFF(ts_col), "", NULL,
     "Last-modified column (NOT NULL, indexed), for the timestamp modes."},
    {"incrementing.column", GDX_CONF_STR, OFF(id_col), "", NULL,
     "Strictly increasing unique column (NOT NULL, indexed), usually the primary key."},
    {"key.column", GDX_CONF_STR, OFF(key_col), "", NULL,
     "Column naming a row in positions and dead letters; default incrementing.column."},
    {"timestamp.delay.ms", GDX_CONF_DURATION, OFF(delay_ms), "5s", NULL,
     "Rows are read only once their timestamp is this much older than the database's clock: "
     "covers transactions that commit late. Make it longer than your longest transaction."},
    {"fetch.rows", GDX_CONF_INT, OFF(fetch_rows), "5000", NULL,
     "Rows per query (chunk); each chunk is a keyset query with a LIMIT."},
    {"bulk.repeat.ms", GDX_CONF_DURATION, OFF(bulk_repeat_ms), "0", NULL,
     "bulk mode: read the whole table again this long after a pass ended; 0 reads it once."},
    {"statement.timeout.ms", GDX_CONF_DURATION, OFF(stmt_timeout_ms), "60s", NULL,
     "Longest a query may run on the server (0: no limit)."},
    {"connect.timeout.ms", GDX_CONF_DURATION, OFF(connect_timeout_ms), "10s", NULL,
     "Longest a connection attempt may take."},
    {"read.only", GDX_CONF_BOOL, OFF(read_only), "true", NULL,
     "Open read-only sessions (the account should be read-only as well)."},
    {"encoding", GDX_CONF_STR, OFF(encoding), "utf-8", "utf-8|gb18030|gbk",
     "sqlite and odbc: encoding of character data as the client receives it (postgresql and "
     "mysql always convert to UTF-8 on the server)."},
    {"odbc.wide", GDX_CONF_BOOL, OFF(odbc_wide), "false", NULL,
     "odbc: read character data as UTF-16 (SQL_C_WCHAR), for drivers whose narrow encoding "
     "cannot be set to UTF-8."},
    {"timezone", GDX_CONF_STR, OFF(timezone), "+08:00", NULL,
     "UTC offset of timestamps without a time zone; \"\" passes them on without an offset."},
    {"column.types", GDX_CONF_STRLIST, OFF(column_types), "", NULL,
     "Per-column overrides, COLUMN:TYPE with TYPE text, int, decimal, float, bool, date, time, "
     "timestamp, timestamptz, binary, hex or json, e.g. [photo:hex, created:timestamp]."},
    {"now.query", GDX_CONF_STR, OFF(now_query), "", NULL,
     "SELECT returning the database's current time in the timestamp column's format "
     "(default per dialect)."},
    {"snapshot.count", GDX_CONF_BOOL, OFF(snapshot_count), "true", NULL,
     "Count the rows of the initial snapshot for progress (one COUNT(*) at its start)."},
    GDX_CONF_END,
};

/* ------------------------------------------------------------------------------------- */
/* helpers shared with the backends */

void *sql_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

char *sql_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        abort();
    }
    return d;
}

char *sql_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return s;
}

char *sql_quote_std(const char *s)
{
    size_t n = strlen(s), q = 0;
    char *out, *o;
    for (size_t i = 0; i < n; i++) {
        q += s[i] == '\'';
    }
    out = o = sql_xrealloc(NULL, n + q + 3);
    *o++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            *o++ = '\'';
        }
        *o++ = s[i];
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

static int sql_has(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

enum sql_kind sql_kind_from_decl(const char *decl)
{
    /* SQLite's affinity rules, extended with the names departments actually declare */
    if (!decl || !*decl) {
        return SQL_K_TEXT;
    }
    if (sql_has(decl, "BOOL")) {
        return SQL_K_BOOL;
    }
    if (sql_has(decl, "INT")) {
        return SQL_K_INT;
    }
    if (sql_has(decl, "BLOB") || sql_has(decl, "BINARY") || sql_has(decl, "BYTEA")) {
        return SQL_K_BINARY;
    }
    if (sql_has(decl, "JSON")) {
        return SQL_K_JSON;
    }
    if (sql_has(decl, "TIMESTAMP") && (sql_has(decl, "TIME ZONE") || sql_has(decl, "TZ"))) {
        return SQL_K_TIMESTAMPTZ;
    }
    if (sql_has(decl, "DATETIME") || sql_has(decl, "TIMESTAMP")) {
        return SQL_K_TIMESTAMP;
    }
    if (sql_has(decl, "DATE")) {
        return SQL_K_DATE;
    }
    if (sql_has(decl, "TIME")) {
        return SQL_K_TIME;
    }
    if (sql_has(decl, "DEC") || sql_has(decl, "NUMERIC") || sql_has(decl, "NUMBER")) {
        return SQL_K_DECIMAL;
    }
    if (sql_has(decl, "REAL") || sql_has(decl, "FLOA") || sql_has(decl, "DOUB")) {
        return SQL_K_FLOAT;
    }
    return SQL_K_TEXT;
}

static int64_t sql_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sql_is_int(const char *s)
{
    size_t i = 0;
    if (s[0] == '-') {
        i = 1;
    }
    if (!s[i] || strlen(s) > 19) {
        return 0;
    }
    for (; s[i]; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* A cursor value as SQL: integers bare, everything else a quoted literal. Heap. */
static char *sql_lit(struct sql_inst *si, const char *v)
{
    if (sql_is_int(v)) {
        return sql_xstrdup(v);
    }
    return si->be->quote(si->conn, v);
}

/* ------------------------------------------------------------------------------------- */
/* time */

static int64_t sql_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void sql_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

char *sql_time_minus(const char *now, int64_t delay_ms)
{
    int y, mo, d, h, mi, s, n = 0;
    long us = 0;

    if (sql_is_int(now)) {
        return sql_xasprintf("%lld", strtoll(now, NULL, 10) - (long long)delay_ms);
    }
    if (sscanf(now, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6) {
        return NULL;
    }
    if (now[n] == '.') {
        int k = 0;
        for (const char *p = now + n + 1; isdigit((unsigned char)*p); p++, k++) {
            if (k < 6) {
                us = us * 10 + (*p - '0');
            }
        }
        for (; k < 6; k++) {
            us *= 10;
        }
    }
    int64_t t = (sql_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000 + us;
    t -= delay_ms * 1000;
    int64_t secs = t >= 0 ? t / 1000000 : (t - 999999) / 1000000;
    us = (long)(t - secs * 1000000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    sql_civil_from_days(days, &y, &mo, &d);
    return sql_xasprintf("%04d-%02d-%02d %02d:%02d:%02d.%06ld", y, mo, d, (int)(sod / 3600),
                         (int)(sod / 60 % 60), (int)(sod % 60), us);
}

/* ------------------------------------------------------------------------------------- */
/* connection */

static void sql_disconnect(struct sql_inst *si)
{
    if (si->conn) {
        si->be->close(si->conn);
        si->conn = NULL;
    }
}

static char *sql_resolve(struct gdx_ctx *ctx, const char *p)
{
    const char *base = gdx_ctx_config_dir(ctx);
    if (p[0] == '/' || !base || !*base || strchr(p, ':')) {
        return sql_xstrdup(p);
    }
    return sql_xasprintf("%s/%s", base, p);
}

static int sql_connect(struct gdx_ctx *ctx, struct sql_inst *si, char *errstr, size_t errstr_size)
{
    struct sql_params p;
    char *db = NULL, *opts = NULL;
    int err;

    if (si->conn) {
        if (!si->be->lost(si->conn)) {
            return GDX_OK;
        }
        sql_disconnect(si);
    }
    memset(&p, 0, sizeof(p));
    if (si->be == &sql_backend_sqlite) {
        db = sql_resolve(ctx, si->database);
    } else if (si->be == &sql_backend_pg && si->options[0] && !strchr(si->database, '=')) {
        db = sql_xasprintf("dbname=%s %s", si->database, si->options);
    } else {
        db = sql_xstrdup(si->database);
    }
    opts = sql_xstrdup(si->be == &sql_backend_odbc ? si->options : "");
    p.database = db;
    p.host = si->host;
    p.port = (int)si->port;
    p.user = si->user;
    p.password = si->pw;
    p.options = opts;
    p.encoding = si->encoding;
    p.connect_timeout_ms = si->connect_timeout_ms;
    p.statement_timeout_ms = si->stmt_timeout_ms;
    p.read_only = si->read_only;
    p.odbc_wide = si->odbc_wide;
    err = si->be->connect(&si->conn, &p, errstr, errstr_size);
    free(db);
    free(opts);
    if (err) {
        si->conn = NULL;
        return err;
    }
    if (!si->dialect) {
        const char *want = si->dialect_name;
        if (!strcmp(want, "auto")) {
            const char *dbms = si->be->dbms(si->conn);
            want = si->be->dialect;
            if (!strcmp(want, "auto")) {
                want = sql_has(dbms, "PostgreSQL")                          ? "postgresql"
                       : sql_has(dbms, "Kingbase")                          ? "kingbase"
                       : sql_has(dbms, "MySQL") || sql_has(dbms, "MariaDB") ? "mysql"
                       : sql_has(dbms, "SQLite")                            ? "sqlite"
                       : sql_has(dbms, "Oracle")                            ? "oracle"
                       : sql_has(dbms, "DM")                                ? "dm"
                       : sql_has(dbms, "SQL Server")                        ? "sqlserver"
                                                                            : "standard";
            }
        }
        for (const struct sql_dialect *d = sql_dialects; d->name; d++) {
            if (!strcmp(d->name, want)) {
                si->dialect = d;
            }
        }
        if (!si->dialect) {
            si->dialect = &sql_dialects[0];
        }
        gdx_ctx_log(ctx, GDX_LOG_INFO, "connected to %s (driver %s, dialect %s)",
                    si->be->dbms(si->conn), si->be->name, si->dialect->name);
    }
    return GDX_OK;
}

/* A query's first column of its first row, heap; NULL value -> "" . */
static int sql_scalar(struct sql_inst *si, const char *sql, char **out, char *errstr,
                      size_t errstr_size)
{
    const char *v[8];
    size_t l[8];
    int err, rc;

    *out = NULL;
    if ((err = si->be->query(si->conn, sql, errstr, errstr_size))) {
        return err;
    }
    if (si->be->ncols(si->conn) < 1 || si->be->ncols(si->conn) > 8) {
        si->be->finish(si->conn);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "'%s' returned no column", sql);
    }
    rc = si->be->fetch(si->conn, v, l, errstr, errstr_size);
    if (rc < 0) {
        si->be->finish(si->conn);
        return rc;
    }
    *out = rc == 1 && v[0] ? strndup(v[0], l[0]) : NULL;
    si->be->finish(si->conn);
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* positions */

static void sql_cursor_clear(struct sql_inst *si)
{
    free(si->cur_ts);
    free(si->cur_id);
    si->cur_ts = si->cur_id = NULL;
    si->pass = 0;
    si->pass_done = 0;
    si->snap = 0;
    si->snap_done = si->snap_total = 0;
}

static void sql_snap_start(struct sql_inst *si, uint64_t done, uint64_t total)
{
    si->snap = 1;
    si->snap_done = done;
    si->snap_total = total;
    si->snap_started = si->snap_logged = sql_mono_ms();
    si->snap_started_done = done;
}

static int sql_cursor_load(struct sql_inst *si, const char *json, char *errstr, size_t errstr_size)
{
    json_t *doc, *v;
    json_error_t jerr;

    sql_cursor_clear(si);
    si->caught_up = 0;
    if (!json) {
        sql_snap_start(si, 0, 0);
        si->pass = 1;
        return GDX_OK;
    }
    doc = json_loads(json, 0, &jerr);
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "position '%s' is not a sql cursor",
                          json);
    }
    if ((v = json_object_get(doc, "ts")) && json_is_string(v)) {
        si->cur_ts = sql_xstrdup(json_string_value(v));
    }
    if ((v = json_object_get(doc, "id")) && json_is_string(v)) {
        si->cur_id = sql_xstrdup(json_string_value(v));
    }
    if ((v = json_object_get(doc, "pass")) && json_is_integer(v)) {
        si->pass = (uint64_t)json_integer_value(v);
    }
    if ((v = json_object_get(doc, "done")) && json_is_true(v)) {
        si->pass_done = 1;
        si->pass_done_at = sql_mono_ms();
    }
    if ((v = json_object_get(doc, "snap")) && json_is_array(v) && json_array_size(v) == 2) {
        sql_snap_start(si, (uint64_t)json_integer_value(json_array_get(v, 0)),
                       (uint64_t)json_integer_value(json_array_get(v, 1)));
    }
    json_decref(doc);
    if (si->mode == SQL_MODE_BULK && si->pass == 0) {
        si->pass = 1;
    }
    return GDX_OK;
}

/* Append a JSON string literal of s[0..n) to *buf at *len. */
static void sql_json_str(char **buf, size_t *cap, size_t *len, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    if (*len + n * 6 + 3 > *cap) {
        *cap = (*len + n * 6 + 3) * 2;
        *buf = sql_xrealloc(*buf, *cap);
    }
    char *o = *buf + *len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = '"';
    *o = '\0';
    *len = (size_t)(o - *buf);
}

static void sql_buf_cat(char **buf, size_t *cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = sql_xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/* The current cursor as position JSON, in si->off. */
static const char *sql_cursor_json(struct sql_inst *si)
{
    size_t len = 0;
    char num[64];
    sql_buf_cat(&si->off, &si->off_cap, &len, "{");
    if (si->mode == SQL_MODE_BULK) {
        snprintf(num, sizeof(num), "\"pass\":%" PRIu64, si->pass);
        sql_buf_cat(&si->off, &si->off_cap, &len, num);
        if (si->pass_done) {
            sql_buf_cat(&si->off, &si->off_cap, &len, ",\"done\":true");
        }
    }
    if (si->cur_ts) {
        sql_buf_cat(&si->off, &si->off_cap, &len, len > 1 ? ",\"ts\":" : "\"ts\":");
        sql_json_str(&si->off, &si->off_cap, &len, si->cur_ts, strlen(si->cur_ts));
    }
    if (si->cur_id) {
        sql_buf_cat(&si->off, &si->off_cap, &len, len > 1 ? ",\"id\":" : "\"id\":");
        sql_json_str(&si->off, &si->off_cap, &len, si->cur_id, strlen(si->cur_id));
    }
    if (si->snap) {
        snprintf(num, sizeof(num), "%s\"snap\":[%" PRIu64 ",%" PRIu64 "]", len > 1 ? "," : "",
                 si->snap_done, si->snap_total);
        sql_buf_cat(&si->off, &si->off_cap, &len, num);
    }
    sql_buf_cat(&si->off, &si->off_cap, &len, "}");
    return si->off;
}

/* ------------------------------------------------------------------------------------- */
/* config */

static int sql_kind_parse(const char *s, enum sql_kind *k, int *hex)
{
    static const struct {
        const char *n;
        enum sql_kind k;
    } map[] = {
        {"text", SQL_K_TEXT},
        {"string", SQL_K_TEXT},
        {"int", SQL_K_INT},
        {"integer", SQL_K_INT},
        {"decimal", SQL_K_DECIMAL},
        {"float", SQL_K_FLOAT},
        {"bool", SQL_K_BOOL},
        {"boolean", SQL_K_BOOL},
        {"date", SQL_K_DATE},
        {"time", SQL_K_TIME},
        {"timestamp", SQL_K_TIMESTAMP},
        {"timestamptz", SQL_K_TIMESTAMPTZ},
        {"binary", SQL_K_BINARY},
        {"json", SQL_K_JSON},
        {"hex", SQL_K_BINARY},
    };
    *hex = !strcasecmp(s, "hex");
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (!strcasecmp(map[i].n, s)) {
            *k = map[i].k;
            return 0;
        }
    }
    return -1;
}

static int sql_ident_ok(const char *s)
{
    /* names go into SQL text verbatim: refuse what could end or comment a statement */
    return !strpbrk(s, ";'\\") && !strstr(s, "--") && !strstr(s, "/*");
}

static int sql_read_password_file(struct gdx_ctx *ctx, struct sql_inst *si, char *errstr,
                                  size_t errstr_size)
{
    char *path = sql_resolve(ctx, si->password_file);
    FILE *f = fopen(path, "r");
    char buf[1024];
    size_t n;

    if (!f) {
        int err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "cannot read password.file '%s': %m", path);
        free(path);
        return err;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    free(path);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    si->pw = sql_xstrdup(buf);
    memset(buf, 0, sizeof(buf));
    if (si->pw[0]) {
        gdx_log_add_secret(si->pw);
    }
    return GDX_OK;
}

static int sql_config(struct gdx_ctx *ctx, struct sql_inst *si, char *errstr, size_t errstr_size)
{
    int err;

    si->be = !strcmp(si->driver, "postgresql") ? &sql_backend_pg
             : !strcmp(si->driver, "mysql")    ? &sql_backend_mysql
             : !strcmp(si->driver, "odbc")     ? &sql_backend_odbc
                                               : &sql_backend_sqlite;
    si->mode = !strcmp(si->mode_name, "bulk")           ? SQL_MODE_BULK
               : !strcmp(si->mode_name, "incrementing") ? SQL_MODE_INC
               : !strcmp(si->mode_name, "timestamp")    ? SQL_MODE_TS
                                                        : SQL_MODE_TSINC;
    if (!si->table[0] == !si->query[0]) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: set exactly one of 'table' and 'query'");
    }
    if ((si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC) && !si->ts_col[0]) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: mode '%s' needs 'timestamp.column'", si->mode_name);
    }
    if ((si->mode == SQL_MODE_INC || si->mode == SQL_MODE_TSINC || si->mode == SQL_MODE_BULK) &&
        !si->id_col[0]) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: mode '%s' needs 'incrementing.column' (bulk reads the table "
                          "in chunks by it)",
                          si->mode_name);
    }
    if (si->fetch_rows < 1 || si->fetch_rows > 1000000) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: fetch.rows must be between 1 and 1000000");
    }
    if (si->delay_ms < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: timestamp.delay.ms must not be negative");
    }
    if (!sql_ident_ok(si->table) || !sql_ident_ok(si->ts_col) || !sql_ident_ok(si->id_col) ||
        !sql_ident_ok(si->key_col)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: table and column names must not contain ';', quotes, '\\' "
                          "or comments");
    }
    if (si->timezone[0] &&
        !(strcmp(si->timezone, "Z") == 0 ||
          (strlen(si->timezone) == 6 && (si->timezone[0] == '+' || si->timezone[0] == '-') &&
           isdigit((unsigned char)si->timezone[1]) && isdigit((unsigned char)si->timezone[2]) &&
           si->timezone[3] == ':' && isdigit((unsigned char)si->timezone[4]) &&
           isdigit((unsigned char)si->timezone[5])))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: timezone '%s' must be an offset like +08:00, Z or \"\"",
                          si->timezone);
    }
    if (si->query[0]) {
        size_t n = strlen(si->query);
        while (n > 0 && (isspace((unsigned char)si->query[n - 1]) || si->query[n - 1] == ';')) {
            si->query[--n] = '\0';
        }
        si->src = sql_xasprintf("(%s) gdx_q", si->query);
        si->label = sql_xstrdup("query");
    } else {
        si->src = sql_xstrdup(si->table);
        si->label = sql_xstrdup(si->table);
    }
    si->key = sql_xstrdup(si->key_col[0] ? si->key_col : si->id_col[0] ? si->id_col : si->ts_col);
    for (char **c = si->column_types; c && *c; c++) {
        char *colon = strrchr(*c, ':');
        enum sql_kind k;
        int hex;
        if (!colon || colon == *c || sql_kind_parse(colon + 1, &k, &hex)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: column.types item '%s' must be COLUMN:TYPE with TYPE one "
                              "of text, int, decimal, float, bool, date, time, timestamp, "
                              "timestamptz, binary, hex, json",
                              *c);
        }
        si->ovr = sql_xrealloc(si->ovr, (si->novr + 1) * sizeof(*si->ovr));
        si->ovr[si->novr].column = strndup(*c, (size_t)(colon - *c));
        si->ovr[si->novr].kind = k;
        si->ovr[si->novr].hex = hex;
        si->novr++;
    }
    if (si->password_file[0]) {
        if ((err = sql_read_password_file(ctx, si, errstr, errstr_size))) {
            return err;
        }
    } else {
        si->pw = sql_xstrdup(si->password);
    }
    if (strcmp(si->dialect_name, "auto")) {
        for (const struct sql_dialect *d = sql_dialects; d->name; d++) {
            if (!strcmp(d->name, si->dialect_name)) {
                si->dialect = d;
            }
        }
    }
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* validation against the catalog */

static int sql_col_index(struct sql_inst *si, const char *name)
{
    size_t n = si->be->ncols(si->conn);
    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(si->be->col_name(si->conn, i), name)) {
            return (int)i;
        }
    }
    return -1;
}

/* Strip identifier quotes for catalog lookups: "Workorder" -> Workorder */
static char *sql_unquote(const char *s)
{
    char *out = sql_xrealloc(NULL, strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s != '"' && *s != '`' && *s != '[' && *s != ']') {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/*
 * Probe the source: the table answers a SELECT (reachability and privilege), the cursor
 * columns exist, and (for a table) the catalog says they are NOT NULL. @p report logs every
 * finding (check); otherwise only problems.
 */
static int sql_validate(struct gdx_ctx *ctx, struct sql_inst *si, int report, char *errstr,
                        size_t errstr_size)
{
    char *sql = sql_xasprintf("SELECT * FROM %s WHERE 1=0", si->src);
    const char *cols[2] = {NULL, NULL};
    const char *what[2] = {"timestamp.column", "incrementing.column"};
    int err;

    err = si->be->query(si->conn, sql, errstr, errstr_size);
    free(sql);
    if (err) {
        char tmp[1024];
        snprintf(tmp, sizeof(tmp), "%s", errstr);
        return gdx_seterr(errstr, errstr_size,
                          err == GDX_ERR_RETRY ? GDX_ERR_RETRY : GDX_ERR_CONFIG,
                          "cannot read %s '%s' (does it exist, and may the account SELECT "
                          "from it?): %s",
                          si->query[0] ? "query" : "table", si->label, tmp);
    }
    if (report) {
        gdx_ctx_log(ctx, GDX_LOG_INFO, "select on %s '%s': ok (%zu columns)",
                    si->query[0] ? "query" : "table", si->label, si->be->ncols(si->conn));
    }
    if (si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC) {
        cols[0] = si->ts_col;
    }
    if (si->mode != SQL_MODE_TS) {
        cols[1] = si->id_col;
    }
    for (int k = 0; k < 2; k++) {
        if (cols[k] && sql_col_index(si, cols[k]) < 0) {
            si->be->finish(si->conn);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s '%s' is not a column of '%s'", what[k], cols[k], si->label);
        }
    }
    if (si->key[0] && sql_col_index(si, si->key) < 0) {
        si->be->finish(si->conn);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "key.column '%s' is not a column of '%s'", si->key, si->label);
    }
    si->be->finish(si->conn);
    if (si->query[0]) {
        gdx_ctx_log(
            ctx, report ? GDX_LOG_INFO : GDX_LOG_DEBUG,
            "custom query: the catalog cannot tell whether the cursor columns are NOT NULL; "
            "a row with NULL there stops the connector");
        return GDX_OK;
    }
    for (int k = 0; k < 2; k++) {
        int notnull = 0, indexed = -1;
        char *t, *c;
        if (!cols[k]) {
            continue;
        }
        t = sql_unquote(si->table);
        c = sql_unquote(cols[k]);
        err = si->be->column_info(si->conn, t, c, &notnull, &indexed, errstr, errstr_size);
        free(t);
        free(c);
        if (err == GDX_ERR_NOENT) {
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "%s '%s': not found in the catalog, cannot check that it is NOT NULL",
                        what[k], cols[k]);
            continue;
        }
        if (err) {
            return err;
        }
        if (!notnull) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s '%s' of table '%s' is nullable: rows with NULL there would be "
                              "skipped silently; declare it NOT NULL (or use a query with "
                              "COALESCE)",
                              what[k], cols[k], si->label);
        }
        if (indexed == 0) {
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "%s '%s' of table '%s' is not the first column of any index: every "
                        "chunk scans the table; ask the DBA for an index on it",
                        what[k], cols[k], si->label);
        } else if (report) {
            gdx_ctx_log(ctx, GDX_LOG_INFO, "%s '%s': NOT NULL, %s", what[k], cols[k],
                        indexed > 0 ? "indexed" : "index unknown");
        }
    }
    si->validated = 1;
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* queries */

static void sql_limit(struct sql_inst *si, char **sql, int64_t n)
{
    char *s;
    switch (si->dialect->limit) {
    case SQL_FETCH_FIRST:
        s = sql_xasprintf("%s FETCH FIRST %lld ROWS ONLY", *sql, (long long)n);
        break;
    case SQL_OFFSET_FETCH:
        s = sql_xasprintf("%s OFFSET 0 ROWS FETCH NEXT %lld ROWS ONLY", *sql, (long long)n);
        break;
    default:
        s = sql_xasprintf("%s LIMIT %lld", *sql, (long long)n);
        break;
    }
    free(*sql);
    *sql = s;
}

/* The server's clock minus the delay (@p end) and the clock itself (@p now), heap. */
static int sql_bounds(struct sql_inst *si, char **end, char **now, char *errstr, size_t errstr_size)
{
    const char *q = si->now_query[0] ? si->now_query : si->dialect->now_sql;
    int err;

    *end = *now = NULL;
    if ((err = sql_scalar(si, q, now, errstr, errstr_size))) {
        return err;
    }
    if (!*now || !(*end = sql_time_minus(*now, si->delay_ms))) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                         "the database clock query '%s' returned '%s', not a time like "
                         "2026-09-20 10:30:00 (set now.query)",
                         q, *now ? *now : "NULL");
        free(*now);
        *now = NULL;
        return err;
    }
    return GDX_OK;
}

/* WHERE text for rows after the cursor and before @p end (NULL: no end bound). Heap. */
static char *sql_where(struct sql_inst *si, const char *end, const char *upto)
{
    char *w = NULL, *lts = si->cur_ts ? sql_lit(si, si->cur_ts) : NULL;
    char *lid = si->cur_id ? sql_lit(si, si->cur_id) : NULL;
    char *lend = end ? sql_lit(si, end) : NULL;

    switch (si->mode) {
    case SQL_MODE_TSINC:
        if (lts && lid) {
            /* the redundant `ts >= :ts` lets every planner use a range scan of the index
             * on ts; SQLite would scan the table for the OR alone */
            w = sql_xasprintf("%s < %s AND %s >= %s AND ((%s = %s AND %s > %s) OR %s > %s)",
                              si->ts_col, lend, si->ts_col, lts, si->ts_col, lts, si->id_col, lid,
                              si->ts_col, lts);
        } else {
            w = sql_xasprintf("%s < %s", si->ts_col, lend);
        }
        break;
    case SQL_MODE_TS: {
        char *lup = upto ? sql_lit(si, upto) : NULL;
        if (lts) {
            w = sql_xasprintf("%s > %s AND %s %s %s", si->ts_col, lts, si->ts_col, lup ? "<=" : "<",
                              lup ? lup : lend);
        } else {
            w = sql_xasprintf("%s %s %s", si->ts_col, lup ? "<=" : "<", lup ? lup : lend);
        }
        free(lup);
        break;
    }
    case SQL_MODE_INC:
    case SQL_MODE_BULK:
        w = lid ? sql_xasprintf("%s > %s", si->id_col, lid) : sql_xstrdup("1=1");
        break;
    }
    free(lts);
    free(lid);
    free(lend);
    return w;
}

static const char *sql_order(struct sql_inst *si, char *buf, size_t size)
{
    if (si->mode == SQL_MODE_TSINC) {
        snprintf(buf, size, "%s, %s", si->ts_col, si->id_col);
    } else if (si->mode == SQL_MODE_TS) {
        snprintf(buf, size, "%s", si->ts_col);
    } else {
        snprintf(buf, size, "%s", si->id_col);
    }
    return buf;
}

/* Estimated rows of the snapshot: COUNT(*) of what the first pass will read. */
static void sql_count(struct gdx_ctx *ctx, struct sql_inst *si, const char *end)
{
    char *sql, *out = NULL, err[512];

    if (!si->snapshot_count) {
        return;
    }
    if (end && (si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC)) {
        char *lend = sql_lit(si, end);
        sql = sql_xasprintf("SELECT COUNT(*) FROM %s WHERE %s < %s", si->src, si->ts_col, lend);
        free(lend);
    } else {
        sql = sql_xasprintf("SELECT COUNT(*) FROM %s", si->src);
    }
    if (sql_scalar(si, sql, &out, err, sizeof(err)) == GDX_OK && out) {
        si->snap_total = strtoull(out, NULL, 10);
        gdx_ctx_log(ctx, GDX_LOG_INFO, "snapshot of '%s' starts: about %" PRIu64 " rows", si->label,
                    si->snap_total);
    } else {
        gdx_ctx_log(ctx, GDX_LOG_WARN, "cannot count the rows of '%s': %s", si->label, err);
    }
    free(out);
    free(sql);
}

static void sql_progress(struct gdx_ctx *ctx, struct sql_inst *si, int force)
{
    int64_t now = sql_mono_ms();
    if (!si->snap || (!force && now - si->snap_logged < 5000)) {
        return;
    }
    si->snap_logged = now;
    double secs = (double)(now - si->snap_started) / 1000.0;
    double rate = secs > 0 ? (double)(si->snap_done - si->snap_started_done) / secs : 0;
    uint64_t total = si->snap_total > si->snap_done ? si->snap_total : si->snap_done;
    double eta = rate > 0 ? (double)(total - si->snap_done) / rate : -1;
    gdx_ctx_progress(ctx, "snapshot", si->snap_done, total);
    gdx_ctx_log(ctx, GDX_LOG_INFO,
                "snapshot of '%s': %" PRIu64 " of about %" PRIu64 " rows (%.1f%%), %.0f rows/s, "
                "eta %s%.0fs",
                si->label, si->snap_done, total,
                total ? 100.0 * (double)si->snap_done / (double)total : 100.0, rate,
                eta < 0 ? "unknown " : "", eta < 0 ? 0.0 : eta);
    if (isatty(2)) {
        fprintf(stderr, "\rsnapshot %s: %" PRIu64 "/%" PRIu64 " rows %.0f/s eta %.0fs   ",
                si->label, si->snap_done, total, rate, eta < 0 ? 0.0 : eta);
        if (force) {
            fputc('\n', stderr);
        }
    }
}

/* ------------------------------------------------------------------------------------- */
/* rows */

/* Bind the result's column set: names (a new array when it changes), kinds, cursor
 * indexes. */
static void sql_bind_result(struct sql_inst *si)
{
    size_t n = si->be->ncols(si->conn);
    int same = n == si->nnames;

    for (size_t i = 0; same && i < n; i++) {
        same = !strcmp(si->names[i], si->be->col_name(si->conn, i));
    }
    if (!same) {
        char **names = calloc(n + 1, sizeof(*names));
        if (!names) {
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            names[i] = sql_xstrdup(si->be->col_name(si->conn, i));
        }
        for (size_t i = 0; i < si->nnames; i++) {
            free(si->names[i]);
        }
        free(si->names);
        si->names = names;
        si->names_gen = gdx_names_gen();
        si->nnames = n;
        si->kinds = sql_xrealloc(si->kinds, (n + 1) * sizeof(*si->kinds));
        si->hex = sql_xrealloc(si->hex, (n + 1) * sizeof(*si->hex));
        if (n > si->vcap) {
            si->vcap = n;
            si->vals = sql_xrealloc(si->vals, n * sizeof(*si->vals));
            si->lens = sql_xrealloc(si->lens, n * sizeof(*si->lens));
            si->outv = sql_xrealloc(si->outv, n * sizeof(*si->outv));
            si->outl = sql_xrealloc(si->outl, n * sizeof(*si->outl));
            si->conv_off = sql_xrealloc(si->conv_off, n * sizeof(*si->conv_off));
        }
        si->ts_idx = si->ts_col[0] ? sql_col_index(si, si->ts_col) : -1;
        si->id_idx = si->id_col[0] ? sql_col_index(si, si->id_col) : -1;
        si->key_idx = sql_col_index(si, si->key);
    }
    for (size_t i = 0; i < n; i++) {
        si->kinds[i] = si->be->col_kind(si->conn, i);
        si->hex[i] = 0;
        for (size_t k = 0; k < si->novr; k++) {
            if (!strcasecmp(si->ovr[k].column, si->names[i])) {
                si->kinds[i] = si->ovr[k].kind;
                si->hex[i] = si->ovr[k].hex;
            }
        }
    }
}

static char *sql_conv_reserve(struct sql_inst *si, size_t *used, size_t n)
{
    if (*used + n > si->conv_cap) {
        si->conv_cap = (*used + n) * 2;
        si->conv = sql_xrealloc(si->conv, si->conv_cap);
    }
    return si->conv + *used;
}

size_t sql_iso_ts(const char *v, size_t n, int tz, const char *zone, char *out)
{
    size_t o = 0, i = 0;
    for (; i < n; i++) {
        char ch = v[i];
        if (i == 10 && ch == ' ') {
            ch = 'T';
        }
        if (i > 10 && (ch == '+' || (ch == '-' && i > 16))) {
            break;
        }
        out[o++] = ch;
    }
    if (i < n) { /* an offset from the server: +08, +08:00, +0800 */
        out[o++] = v[i++];
        size_t digits = 0;
        for (; i < n; i++) {
            if (isdigit((unsigned char)v[i])) {
                out[o++] = v[i];
                if (++digits == 2 && (i + 1 >= n || v[i + 1] != ':')) {
                    out[o++] = ':';
                }
            } else if (v[i] == ':') {
                out[o++] = v[i];
            }
        }
        if (digits == 2) {
            out[o++] = '0';
            out[o++] = '0';
        }
    } else if (!tz && zone && *zone && n >= 16) {
        size_t z = strlen(zone);
        memcpy(out + o, zone, z);
        o += z;
    }
    return o;
}

/* Shape values by kind into outv/outl; the cursor values stay the raw server text. */
static void sql_shape_row(struct sql_inst *si, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    size_t used = 0;

    for (size_t i = 0; i < n; i++) {
        const char *v = si->vals[i];
        size_t l = si->lens[i];
        si->conv_off[i] = SIZE_MAX;
        si->outv[i] = v;
        si->outl[i] = l;
        if (!v) {
            continue;
        }
        if ((si->kinds[i] == SQL_K_TIMESTAMP || si->kinds[i] == SQL_K_TIMESTAMPTZ) && l >= 10 &&
            l < 64 && isdigit((unsigned char)v[0])) {
            char *o = sql_conv_reserve(si, &used, l + 16);
            size_t m = sql_iso_ts(v, l,
                                  si->kinds[i] == SQL_K_TIMESTAMPTZ && l > 19 &&
                                      (memchr(v + 19, '+', l - 19) || memchr(v + 19, '-', l - 19)),
                                  si->timezone, o);
            o[m] = '\0';
            si->conv_off[i] = used;
            si->outl[i] = m;
            used += m + 1;
        } else if (si->kinds[i] == SQL_K_BINARY && si->hex[i]) {
            char *o = sql_conv_reserve(si, &used, 2 * l + 1);
            for (size_t k = 0; k < l; k++) {
                o[2 * k] = hexd[(unsigned char)v[k] >> 4];
                o[2 * k + 1] = hexd[(unsigned char)v[k] & 15];
            }
            o[2 * l] = '\0';
            si->conv_off[i] = used;
            si->outl[i] = 2 * l;
            used += 2 * l + 1;
        } else if (si->kinds[i] == SQL_K_BOOL && l == 1 && (v[0] == '0' || v[0] == '1')) {
            si->outv[i] = v[0] == '1' ? "true" : "false";
            si->outl[i] = v[0] == '1' ? 4 : 5;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (si->conv_off[i] != SIZE_MAX) {
            si->outv[i] = si->conv + si->conv_off[i];
        }
    }
}

/* pos "table:<label>:<key>=<value>". The raw row for a dead letter is made by the runtime
 * from the row's values when one is needed (gdx_row.raw_is_values), not once per row here. */
static void sql_row_context(struct sql_inst *si)
{
    size_t len = 0;
    sql_buf_cat(&si->pos, &si->pos_cap, &len, "table:");
    sql_buf_cat(&si->pos, &si->pos_cap, &len, si->label);
    sql_buf_cat(&si->pos, &si->pos_cap, &len, ":");
    sql_buf_cat(&si->pos, &si->pos_cap, &len, si->key);
    sql_buf_cat(&si->pos, &si->pos_cap, &len, "=");
    if (si->key_idx >= 0 && si->vals[si->key_idx]) {
        char tmp[128];
        size_t l =
            si->lens[si->key_idx] < sizeof(tmp) - 1 ? si->lens[si->key_idx] : sizeof(tmp) - 1;
        memcpy(tmp, si->vals[si->key_idx], l);
        tmp[l] = '\0';
        sql_buf_cat(&si->pos, &si->pos_cap, &len, tmp);
    } else {
        sql_buf_cat(&si->pos, &si->pos_cap, &len, "NULL");
    }
}

static void sql_set_cur(char **slot, const char *v, size_t n)
{
    char *p = sql_xrealloc(*slot, n + 1);
    memcpy(p, v, n);
    p[n] = '\0';
    *slot = p;
}

/* ------------------------------------------------------------------------------------- */
/* the interface */

static void sql_fini(struct gdx_ctx *ctx, void *inst);

static int sql_init(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct sql_inst *si = inst;
    int err;

    si->ts_idx = si->id_idx = si->key_idx = -1;
    if ((err = sql_config(ctx, si, errstr, errstr_size))) {
        goto out;
    }
    err = sql_connect(ctx, si, errstr, errstr_size);
    if (err == GDX_ERR_RETRY) {
        /* the database may come up later: poll retries and validates then */
        gdx_ctx_log(ctx, GDX_LOG_WARN, "database not reachable yet, will retry: %s", errstr);
        return GDX_OK;
    }
    if (err) {
        goto out;
    }
    err = sql_validate(ctx, si, 0, errstr, errstr_size);
    if (err == GDX_ERR_RETRY) {
        gdx_ctx_log(ctx, GDX_LOG_WARN, "database not ready yet, will retry: %s", errstr);
        sql_disconnect(si);
        return GDX_OK;
    }
out:
    if (err) {
        sql_fini(ctx, si); /* the runtime may not call fini after a failed init */
    }
    return err;
}

static int sql_check(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct sql_inst *si = inst;
    char *end = NULL, *now = NULL;
    int err;

    if ((err = sql_connect(ctx, si, errstr, errstr_size))) {
        return err;
    }
    if ((err = si->be->ping(si->conn, errstr, errstr_size))) {
        return err;
    }
    gdx_ctx_log(ctx, GDX_LOG_INFO, "database reachable: %s", si->be->dbms(si->conn));
    if ((err = sql_validate(ctx, si, 1, errstr, errstr_size))) {
        return err;
    }
    if (si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC) {
        if ((err = sql_bounds(si, &end, &now, errstr, errstr_size))) {
            return err;
        }
        gdx_ctx_log(ctx, GDX_LOG_INFO, "database clock: %s; rows up to %s are ready", now, end);
        free(end);
        free(now);
    }
    return GDX_OK;
}

/* Rows newer than the end bound but not in the future: --once waits for them. */
static int sql_pending(struct sql_inst *si, const char *end, const char *now)
{
    char *le = sql_lit(si, end), *ln = sql_lit(si, now), *out = NULL, err[256];
    char *sql = sql_xasprintf("SELECT 1 FROM %s WHERE %s >= %s AND %s <= %s", si->src, si->ts_col,
                              le, si->ts_col, ln);
    int pending = 0;
    sql_limit(si, &sql, 1);
    if (sql_scalar(si, sql, &out, err, sizeof(err)) == GDX_OK) {
        pending = out != NULL;
    }
    free(out);
    free(sql);
    free(le);
    free(ln);
    return pending;
}

/* In timestamp mode: the largest ts among the next fetch.rows rows (heap, NULL if none). */
static int sql_ts_upto(struct sql_inst *si, const char *end, char **upto, char *errstr,
                       size_t errstr_size)
{
    char *w = sql_where(si, end, NULL);
    char *inner =
        sql_xasprintf("SELECT %s FROM %s WHERE %s ORDER BY %s", si->ts_col, si->src, w, si->ts_col);
    char *sql;
    int err;

    sql_limit(si, &inner, si->fetch_rows);
    sql = sql_xasprintf("SELECT MAX(gdx_t.%s) FROM (%s) gdx_t", si->ts_col, inner);
    err = sql_scalar(si, sql, upto, errstr, errstr_size);
    free(w);
    free(inner);
    free(sql);
    return err;
}

static int sql_poll(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                    struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size)
{
    struct sql_inst *si = inst;
    int64_t deadline = sql_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    char *end = NULL, *now = NULL, *upto = NULL, *sql = NULL, *w = NULL;
    char order[512];
    uint64_t added = 0;
    int err = GDX_OK, rc;

    if (from) {
        if ((err = sql_cursor_load(si, from->json, errstr, errstr_size))) {
            return err;
        }
    }
    if ((err = sql_connect(ctx, si, errstr, errstr_size))) {
        return err == GDX_ERR_CONFIG ? err : GDX_ERR_RETRY;
    }
    if (!si->validated) {
        err = sql_validate(ctx, si, 0, errstr, errstr_size);
        if (err) {
            if (err == GDX_ERR_RETRY) {
                sql_disconnect(si);
            }
            return err;
        }
    }
    if (si->mode == SQL_MODE_BULK && si->pass_done) {
        if (si->bulk_repeat_ms <= 0) {
            return GDX_POLL_DRAINED;
        }
        if (sql_mono_ms() - si->pass_done_at < si->bulk_repeat_ms) {
            return GDX_POLL_IDLE;
        }
        si->pass++;
        si->pass_done = 0;
        free(si->cur_id);
        si->cur_id = NULL;
        sql_snap_start(si, 0, 0);
        sql_count(ctx, si, NULL);
    }
    for (;;) {
        uint64_t nrows = 0;
        int full = 0, ts_hold = 0;
        char *group_ts = NULL;

        if (si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC) {
            free(end);
            free(now);
            if ((err = sql_bounds(si, &end, &now, errstr, errstr_size))) {
                goto fail;
            }
        }
        if (si->snap && si->snap_total == 0 && si->snap_done == 0 && !si->cur_id && !si->cur_ts) {
            sql_count(ctx, si, end);
        }
        free(upto);
        upto = NULL;
        if (si->mode == SQL_MODE_TS) {
            if ((err = sql_ts_upto(si, end, &upto, errstr, errstr_size))) {
                goto fail;
            }
            if (!upto) {
                goto caught_up;
            }
        }
        free(w);
        free(sql);
        w = sql_where(si, end, upto);
        sql = sql_xasprintf("SELECT * FROM %s WHERE %s ORDER BY %s", si->src, w,
                            sql_order(si, order, sizeof(order)));
        if (si->mode != SQL_MODE_TS) {
            sql_limit(si, &sql, si->fetch_rows);
        }
        if ((err = si->be->query(si->conn, sql, errstr, errstr_size))) {
            goto fail;
        }
        sql_bind_result(si);
        for (;;) {
            size_t n = si->nnames;
            rc = si->be->fetch(si->conn, si->vals, si->lens, errstr, errstr_size);
            if (rc < 0) {
                si->be->finish(si->conn);
                err = rc;
                free(group_ts);
                goto fail;
            }
            if (rc == 0) {
                break;
            }
            /* the cursor from the server's own text of the row */
            if (si->ts_idx >= 0 && (si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC)) {
                if (!si->vals[si->ts_idx]) {
                    si->be->finish(si->conn);
                    free(group_ts);
                    err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                                     "timestamp.column '%s' is NULL in a row of '%s': the cursor "
                                     "cannot pass it",
                                     si->ts_col, si->label);
                    goto out;
                }
                if (ts_hold && (si->lens[si->ts_idx] != strlen(group_ts) ||
                                memcmp(group_ts, si->vals[si->ts_idx], si->lens[si->ts_idx]))) {
                    /* the batch is full and this row starts a new timestamp: stop here */
                    full = 1;
                    break;
                }
                sql_set_cur(&si->cur_ts, si->vals[si->ts_idx], si->lens[si->ts_idx]);
            }
            if (si->id_idx >= 0 && si->mode != SQL_MODE_TS) {
                if (!si->vals[si->id_idx]) {
                    si->be->finish(si->conn);
                    free(group_ts);
                    err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                                     "incrementing.column '%s' is NULL in a row of '%s'",
                                     si->id_col, si->label);
                    goto out;
                }
                sql_set_cur(&si->cur_id, si->vals[si->id_idx], si->lens[si->id_idx]);
            }
            nrows++;
            if (si->snap) {
                si->snap_done++;
            }
            sql_shape_row(si, n);
            sql_row_context(si);
            struct gdx_row row = {
                .nfields = n,
                .names = (const char *const *)si->names,
                .names_gen = si->names_gen,
                .values = si->outv,
                .lens = si->outl,
                .pos = si->pos,
                .raw_is_values = 1,
            };
            rc = gdx_batch_add(batch, &row, sql_cursor_json(si));
            added++;
            if (rc == GDX_ERR_FULL) {
                if (si->mode == SQL_MODE_TS && !gdx_ctx_stopping(ctx)) {
                    /* finish this timestamp's rows first: the position may only hold a
                     * timestamp once all of its rows are in */
                    if (!ts_hold) {
                        ts_hold = 1;
                        group_ts = sql_xstrdup(si->cur_ts);
                    }
                    continue;
                }
                full = 1;
                break;
            }
        }
        free(group_ts);
        si->be->finish(si->conn);
        sql_progress(ctx, si, 0);
        if (full) {
            err = GDX_OK;
            goto out;
        }
        if (si->mode == SQL_MODE_TS ? nrows > 0 && sql_mono_ms() < deadline
                                    : nrows == (uint64_t)si->fetch_rows) {
            if (sql_mono_ms() < deadline) {
                continue; /* more chunks right now */
            }
            err = GDX_OK;
            goto out;
        }
        if (si->mode == SQL_MODE_TS && nrows > 0) {
            err = GDX_OK;
            goto out;
        }
    caught_up:
        /* the source has nothing more before the end bound */
        if (si->snap) {
            sql_progress(ctx, si, 1);
            gdx_ctx_log(ctx, GDX_LOG_INFO, "snapshot of '%s' complete: %" PRIu64 " rows", si->label,
                        si->snap_done);
            si->snap = 0;
            gdx_batch_set_offset(batch, sql_cursor_json(si));
            added++;
        }
        if (si->mode == SQL_MODE_BULK) {
            si->pass_done = 1;
            si->pass_done_at = sql_mono_ms();
            gdx_batch_set_offset(batch, sql_cursor_json(si));
            added++;
        }
        if (added) {
            err = GDX_OK;
        } else if ((si->mode == SQL_MODE_TS || si->mode == SQL_MODE_TSINC) &&
                   sql_pending(si, end, now)) {
            err = GDX_POLL_IDLE;
        } else {
            err = si->mode == SQL_MODE_BULK && si->bulk_repeat_ms > 0 ? GDX_POLL_IDLE
                                                                      : GDX_POLL_DRAINED;
        }
        goto out;
    }
fail:
    /* Every failure of a query is retried with backoff: a lost connection or a restarting
     * server (reconnect first), a statement timeout, and also errors that need a person
     * (a revoked grant, a table being rebuilt), which the log shows on every retry. */
    if (si->conn && (si->be->lost(si->conn) || si->be->ping(si->conn, order, sizeof(order)))) {
        sql_disconnect(si);
    }
    err = GDX_ERR_RETRY;
out:
    free(end);
    free(now);
    free(upto);
    free(sql);
    free(w);
    return err;
}

static int sql_committed(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto,
                         char *errstr, size_t errstr_size)
{
    (void)ctx;
    (void)inst;
    (void)upto;
    (void)errstr;
    (void)errstr_size;
    return GDX_OK; /* nothing to acknowledge: the database keeps its rows */
}

static void sql_fini(struct gdx_ctx *ctx, void *inst)
{
    struct sql_inst *si = inst;
    (void)ctx;
    sql_disconnect(si);
    free(si->src);
    free(si->label);
    free(si->key);
    if (si->pw) {
        memset(si->pw, 0, strlen(si->pw));
        free(si->pw);
    }
    for (size_t i = 0; i < si->novr; i++) {
        free(si->ovr[i].column);
    }
    free(si->ovr);
    free(si->cur_ts);
    free(si->cur_id);
    for (size_t i = 0; i < si->nnames; i++) {
        free(si->names[i]);
    }
    free(si->names);
    free(si->kinds);
    free(si->hex);
    free(si->vals);
    free(si->lens);
    free(si->outv);
    free(si->outl);
    free(si->conv);
    free(si->conv_off);
    free(si->pos);
    free(si->off);
    /* everything after the config fields: fini may run twice (after a failed init) */
    memset(&si->be, 0, sizeof(*si) - offsetof(struct sql_inst, be));
}

const struct gdx_connector gdx_connector_sql = {
    .abi = GDX_CONNECTOR_ABI,
    .name = "sql",
    .description = "new and changed rows of a database table or query (SQLite, PostgreSQL, "
                   "MariaDB/MySQL, ODBC)",
    .props = sql_props,
    .inst_size = sizeof(struct sql_inst),
    .init = sql_init,
    .check = sql_check,
    .poll = sql_poll,
    .committed = sql_committed,
    .fini = sql_fini,
};

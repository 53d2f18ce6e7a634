/*
 * t-sql.c - the sql connector's pieces that need no server: the delay arithmetic on the
 * database's clock text, timestamps to ISO 8601, type names to kinds, literal quoting, and
 * the SQLite backend end to end on a temporary file (kinds, NULLs, blobs with NUL bytes,
 * GB18030 text converted, NOT NULL and index detection from the catalog).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../connectors/sql/backend.h"
#include "gdx.h"
#include "gdx_err.h"
#include "tap.h"

static void t_time_minus(void)
{
    char *s;

    s = sql_time_minus("2026-09-20 10:30:05.250", 5000);
    is_str(s, "2026-09-20 10:30:00.250000", "5 s before a time with milliseconds");
    free(s);
    s = sql_time_minus("2026-03-01 00:00:00", 1);
    is_str(s, "2026-02-28 23:59:59.999000", "crossing midnight and a month end");
    free(s);
    s = sql_time_minus("2024-03-01 00:00:00.000001", 2);
    is_str(s, "2024-02-29 23:59:59.998001", "leap day, microseconds kept");
    free(s);
    s = sql_time_minus("2026-09-20T10:30:00.123456", 0);
    is_str(s, "2026-09-20 10:30:00.123456", "a 'T' separator is read");
    free(s);
    s = sql_time_minus("1790000000000", 3000);
    is_str(s, "1789999997000", "epoch milliseconds stay a number");
    free(s);
    ok(sql_time_minus("yesterday", 0) == NULL, "text that is not a time is refused");
}

static void t_iso(void)
{
    char out[96];
    size_t n;

    n = sql_iso_ts("2026-09-20 10:30:00", 19, 0, "+08:00", out);
    out[n] = '\0';
    is_str(out, "2026-09-20T10:30:00+08:00", "naive timestamp gets the configured offset");
    n = sql_iso_ts("2026-09-20 10:30:00.123456", 26, 0, "", out);
    out[n] = '\0';
    is_str(out, "2026-09-20T10:30:00.123456", "no zone configured: left naive");
    n = sql_iso_ts("2026-09-20 02:30:00.5+00", 24, 1, "+08:00", out);
    out[n] = '\0';
    is_str(out, "2026-09-20T02:30:00.5+00:00", "postgresql's +00 becomes +00:00");
    n = sql_iso_ts("2026-09-20 10:30:00+05:30", 25, 1, "+08:00", out);
    out[n] = '\0';
    is_str(out, "2026-09-20T10:30:00+05:30", "a full offset is kept");
    n = sql_iso_ts("2026-09-20 10:30:00-0330", 24, 1, "+08:00", out);
    out[n] = '\0';
    is_str(out, "2026-09-20T10:30:00-03:30", "a compact negative offset gets its colon");
}

static void t_kinds(void)
{
    is_int(sql_kind_from_decl("INTEGER"), SQL_K_INT, "INTEGER");
    is_int(sql_kind_from_decl("bigint unsigned"), SQL_K_INT, "bigint unsigned");
    is_int(sql_kind_from_decl("DECIMAL(12,2)"), SQL_K_DECIMAL, "DECIMAL(12,2)");
    is_int(sql_kind_from_decl("NUMBER(10)"), SQL_K_DECIMAL, "Oracle NUMBER");
    is_int(sql_kind_from_decl("DATETIME"), SQL_K_TIMESTAMP, "DATETIME");
    is_int(sql_kind_from_decl("timestamp with time zone"), SQL_K_TIMESTAMPTZ, "timestamptz");
    is_int(sql_kind_from_decl("DATE"), SQL_K_DATE, "DATE");
    is_int(sql_kind_from_decl("BLOB"), SQL_K_BINARY, "BLOB");
    is_int(sql_kind_from_decl("BOOLEAN"), SQL_K_BOOL, "BOOLEAN");
    is_int(sql_kind_from_decl("VARCHAR(20)"), SQL_K_TEXT, "VARCHAR");
    is_int(sql_kind_from_decl(NULL), SQL_K_TEXT, "no declared type");
}

static void t_quote(void)
{
    char *q = sql_quote_std("it's 项城'");
    is_str(q, "'it''s 项城'''", "single quotes doubled");
    free(q);
}

static void t_sqlite(void)
{
    char path[] = "/tmp/t-sql-XXXXXX";
    int fd = mkstemp(path);
    sqlite3 *db;
    struct sql_conn *conn = NULL;
    struct sql_params p;
    char err[512];
    const char *v[8];
    size_t l[8];
    int notnull = -1, indexed = -1;

    close(fd);
    sqlite3_open(path, &db);
    /* 项城 in GB18030 is CF EE B3 C7 */
    sqlite3_exec(db,
                 "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount DECIMAL(8,2),"
                 " photo BLOB, at DATETIME, note TEXT);"
                 "CREATE INDEX t_at ON t(at);"
                 "INSERT INTO t VALUES (1, CAST(X'CFEEB3C7' AS TEXT), 12.5, X'00FF00', "
                 "'2026-09-20 10:30:00', NULL);",
                 NULL, NULL, NULL);
    sqlite3_close(db);

    memset(&p, 0, sizeof(p));
    p.database = path;
    p.encoding = "gb18030";
    p.read_only = 1;
    p.statement_timeout_ms = 5000;
    is_int(sql_backend_sqlite.connect(&conn, &p, err, sizeof(err)), GDX_OK, "sqlite connects");
    if (!conn) {
        unlink(path);
        return;
    }
    is_int(sql_backend_sqlite.query(conn, "SELECT * FROM t", err, sizeof(err)), GDX_OK,
           "query runs");
    is_int((int)sql_backend_sqlite.ncols(conn), 6, "six columns");
    is_int(sql_backend_sqlite.fetch(conn, v, l, err, sizeof(err)), 1, "one row");
    is_str(v[1], "项城", "GB18030 text converted to UTF-8");
    is_int(sql_backend_sqlite.col_kind(conn, 2), SQL_K_DECIMAL, "DECIMAL column kind");
    is_int(sql_backend_sqlite.col_kind(conn, 3), SQL_K_BINARY, "BLOB column kind");
    is_int((int)l[3], 3, "blob length counts its NUL bytes");
    ok(l[3] == 3 && memcmp(v[3], "\0\xff\0", 3) == 0, "blob bytes passed raw");
    is_int(sql_backend_sqlite.col_kind(conn, 4), SQL_K_TIMESTAMP, "DATETIME column kind");
    ok(v[5] == NULL, "SQL NULL is a NULL value");
    is_int(sql_backend_sqlite.fetch(conn, v, l, err, sizeof(err)), 0, "end of rows");
    sql_backend_sqlite.finish(conn);

    is_int(sql_backend_sqlite.column_info(conn, "t", "id", &notnull, &indexed, err, sizeof(err)),
           GDX_OK, "catalog: id");
    ok(notnull == 1 && indexed == 1, "INTEGER PRIMARY KEY is NOT NULL and indexed");
    sql_backend_sqlite.column_info(conn, "t", "at", &notnull, &indexed, err, sizeof(err));
    ok(notnull == 0 && indexed == 1, "nullable indexed column seen as such");
    sql_backend_sqlite.column_info(conn, "t", "name", &notnull, &indexed, err, sizeof(err));
    ok(notnull == 1 && indexed == 0, "NOT NULL column without an index seen as such");
    is_int(sql_backend_sqlite.column_info(conn, "t", "nope", &notnull, &indexed, err, sizeof(err)),
           GDX_ERR_NOENT, "unknown column is GDX_ERR_NOENT");
    ok(sql_backend_sqlite.exec(conn, "INSERT INTO t (id, name) VALUES (2, 'x')", err,
                               sizeof(err)) != GDX_OK,
       "a read-only session refuses writes");
    sql_backend_sqlite.close(conn);
    unlink(path);
}

int main(void)
{
    const struct gdx_connector *conn = gdx_connector_find("sql");
    ok(conn != NULL, "the sql connector is registered");
    is_str(conn ? conn->name : "", "sql", "under its name");
    t_time_minus();
    t_iso();
    t_kinds();
    t_quote();
    t_sqlite();
    return done_testing();
}

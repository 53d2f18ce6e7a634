/*
 * backend.h - the database client libraries behind the sql connector.
 *
 * One static table of function pointers per client library (SQLite, libpq, libmariadb,
 * unixODBC). A backend connects, runs one query at a time and hands back each row as text
 * fields already in UTF-8, with a coarse kind per column so the connector can shape dates,
 * booleans and binary values. Everything dialect-specific in the SQL text itself (LIMIT
 * syntax, the server's clock) lives in sql.c, keyed by the dialect the backend reports.
 *
 * Invariants: at most one result is open per connection; values returned by fetch stay valid
 * until the next fetch or finish; a backend never logs parameter values or passwords.
 */
#ifndef GDX_SQL_BACKEND_H
#define GDX_SQL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

enum sql_kind {
    SQL_K_TEXT = 0,
    SQL_K_INT,
    SQL_K_DECIMAL,
    SQL_K_FLOAT,
    SQL_K_BOOL,
    SQL_K_DATE,
    SQL_K_TIME,
    SQL_K_TIMESTAMP,   /* without time zone */
    SQL_K_TIMESTAMPTZ, /* with time zone */
    SQL_K_BINARY,      /* raw bytes, any length, may hold NUL */
    SQL_K_JSON,
};

struct sql_params {
    const char *database; /* file (sqlite), dbname (pg, mysql), DSN or connection string (odbc) */
    const char *host;     /* "" = backend default; a path starting with '/' is a socket dir */
    int port;             /* 0 = default */
    const char *user;
    const char *password;
    const char *options;  /* backend-specific extra connection options, may be "" */
    const char *encoding; /* encoding of character data where the client cannot convert */
    int64_t connect_timeout_ms;
    int64_t statement_timeout_ms; /* 0 = none */
    int read_only;
    int odbc_wide; /* odbc: fetch character data as SQL_C_WCHAR (UTF-16) */
};

struct sql_conn; /* a backend's connection, opaque to sql.c */

struct sql_backend {
    const char *name;    /* "sqlite", "postgresql", "mysql", "odbc" */
    const char *dialect; /* default dialect name; odbc reports the DBMS through dbms() */
    int (*connect)(struct sql_conn **out, const struct sql_params *p, char *errstr,
                   size_t errstr_size);
    void (*close)(struct sql_conn *conn);
    /* GDX_OK if the server answers */
    int (*ping)(struct sql_conn *conn, char *errstr, size_t errstr_size);
    /* Run @p sql; its rows are read with fetch() until it returns 0, then finish(). */
    int (*query)(struct sql_conn *conn, const char *sql, char *errstr, size_t errstr_size);
    size_t (*ncols)(struct sql_conn *conn);
    const char *(*col_name)(struct sql_conn *conn, size_t i);
    enum sql_kind (*col_kind)(struct sql_conn *conn, size_t i);
    /* 1 = a row in @p values/@p lens (NULL value = SQL NULL), 0 = end, < 0 = error */
    int (*fetch)(struct sql_conn *conn, const char **values, size_t *lens, char *errstr,
                 size_t errstr_size);
    void (*finish)(struct sql_conn *conn);
    /* A statement without rows (SET ..., PRAGMA ...). */
    int (*exec)(struct sql_conn *conn, const char *sql, char *errstr, size_t errstr_size);
    /* A quoted SQL string literal of @p s, heap. */
    char *(*quote)(struct sql_conn *conn, const char *s);
    /*
     * What the catalog says about table.column: *notnull and *indexed (first column of some
     * index or the primary key). GDX_ERR_NOENT when the column is not found; *indexed = -1
     * when the backend cannot tell.
     */
    int (*column_info)(struct sql_conn *conn, const char *table, const char *column, int *notnull,
                       int *indexed, char *errstr, size_t errstr_size);
    /* Server product and version, for check and for the odbc dialect; static per conn. */
    const char *(*dbms)(struct sql_conn *conn);
    /* Non-zero once the connection is known to be broken (reconnect before the next use). */
    int (*lost)(struct sql_conn *conn);
};

extern const struct sql_backend sql_backend_sqlite;
extern const struct sql_backend sql_backend_pg;
extern const struct sql_backend sql_backend_mysql;
extern const struct sql_backend sql_backend_odbc;

/* Shared helpers (sql.c) */
void *sql_xrealloc(void *p, size_t n);
char *sql_xstrdup(const char *s);
char *sql_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A literal with single quotes doubled: 'it''s' (standard SQL). */
char *sql_quote_std(const char *s);
/*
 * The server's "now" text minus @p delay_ms, in the same shape: a naive local time
 * "YYYY-MM-DD HH:MM:SS.ffffff", or epoch digits (taken as milliseconds). Heap, NULL if the
 * text is neither.
 */
char *sql_time_minus(const char *now, int64_t delay_ms);
/*
 * Timestamp text @p v as ISO 8601 at @p out (room for n + 16 bytes): 'T' between date and
 * time, a server offset "+08" written "+08:00" (@p tz: the value has one), @p zone appended
 * to values without one. Returns the length written (no NUL).
 */
size_t sql_iso_ts(const char *v, size_t n, int tz, const char *zone, char *out);
/* Kind from a declared SQL type name (sqlite decltype, odbc type name). */
enum sql_kind sql_kind_from_decl(const char *decl);

#endif

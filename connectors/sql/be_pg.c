/*
 * be_pg.c - the PostgreSQL backend of the sql connector (libpq).
 *
 * Also serves PostgreSQL's derivatives that speak its protocol (openGauss, KingbaseES in
 * PostgreSQL mode). The session is set up once per connection: client_encoding UTF8, so the
 * server converts from whatever encoding the database uses (GBK/EUC_CN databases exist);
 * default_transaction_read_only and statement_timeout through the startup `options`, so
 * they hold for every statement without a round trip. Results come in text format; bytea
 * arrives as `\x` hex and is turned back into raw bytes here, booleans become true/false.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "gdx_err.h"

/* type oids from pg_type.h (stable across versions) */
#define PG_BOOL        16
#define PG_BYTEA       17
#define PG_INT8        20
#define PG_INT2        21
#define PG_INT4        23
#define PG_OID         26
#define PG_JSON        114
#define PG_FLOAT4      700
#define PG_FLOAT8      701
#define PG_DATE        1082
#define PG_TIME        1083
#define PG_TIMESTAMP   1114
#define PG_TIMESTAMPTZ 1184
#define PG_TIMETZ      1266
#define PG_NUMERIC     1700
#define PG_JSONB       3802

struct sql_conn {
    PGconn *pg;
    PGresult *res;
    int row, nrows;
    size_t ncols;
    enum sql_kind *kinds;
    char *bin; /* decoded bytea of the current row, all columns back to back */
    size_t bin_cap;
    size_t *bin_off;
    char dbms[80];
};

static int pg_status_err(struct sql_conn *c, const char *what, char *errstr, size_t errstr_size)
{
    const char *msg = PQerrorMessage(c->pg);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
        n--;
    }
    /* a broken connection or a server going down is transient; so is a statement timeout
     * or a serialization failure */
    int err = GDX_ERR_RETRY;
    if (c->res) {
        const char *state = PQresultErrorField(c->res, PG_DIAG_SQLSTATE);
        if (state && (strncmp(state, "42", 2) == 0 || strncmp(state, "22", 2) == 0)) {
            err = GDX_ERR_FAIL; /* syntax, undefined object, privilege, data exception */
        }
    }
    return gdx_seterr(errstr, errstr_size, err, "%s: %.*s", what, (int)n, msg);
}

static void pg_finish(struct sql_conn *c)
{
    if (c->res) {
        PQclear(c->res);
        c->res = NULL;
    }
    free(c->kinds);
    free(c->bin_off);
    c->kinds = NULL;
    c->bin_off = NULL;
    c->ncols = 0;
    c->row = c->nrows = 0;
}

static void pg_close(struct sql_conn *c)
{
    if (!c) {
        return;
    }
    pg_finish(c);
    if (c->pg) {
        PQfinish(c->pg);
    }
    free(c->bin);
    free(c);
}

static int pg_connect(struct sql_conn **out, const struct sql_params *p, char *errstr,
                      size_t errstr_size)
{
    struct sql_conn *c = calloc(1, sizeof(*c));
    const char *kw[16], *val[16];
    char port[24], ct[24], opts[256];
    int n = 0;

    if (!c) {
        abort();
    }
    *out = NULL;
    snprintf(port, sizeof(port), "%d", p->port);
    snprintf(ct, sizeof(ct), "%lld",
             (long long)(p->connect_timeout_ms > 0 ? (p->connect_timeout_ms + 999) / 1000 : 10));
    snprintf(opts, sizeof(opts), "-c default_transaction_read_only=%s -c statement_timeout=%lld",
             p->read_only ? "on" : "off", (long long)p->statement_timeout_ms);
    /* a database given as a conninfo string or URI is expanded by libpq (expand_dbname) */
    kw[n] = "dbname", val[n++] = p->database;
    if (p->host && *p->host) {
        kw[n] = "host", val[n++] = p->host;
    }
    if (p->port > 0) {
        kw[n] = "port", val[n++] = port;
    }
    if (p->user && *p->user) {
        kw[n] = "user", val[n++] = p->user;
    }
    if (p->password && *p->password) {
        kw[n] = "password", val[n++] = p->password;
    }
    kw[n] = "connect_timeout", val[n++] = ct;
    kw[n] = "client_encoding", val[n++] = "UTF8";
    kw[n] = "application_name", val[n++] = "gdx";
    kw[n] = "options", val[n++] = opts;
    kw[n] = NULL, val[n] = NULL;
    c->pg = PQconnectdbParams(kw, val, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        if (c->pg) {
            pg_status_err(c, "cannot connect to postgresql", errstr, errstr_size);
        } else {
            gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot connect to postgresql");
        }
        pg_close(c);
        return GDX_ERR_RETRY;
    }
    int v = PQserverVersion(c->pg);
    snprintf(c->dbms, sizeof(c->dbms), "PostgreSQL %d.%d", v / 10000, v % 10000);
    *out = c;
    return GDX_OK;
}

static int pg_query(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    pg_finish(c);
    c->res = PQexec(c->pg, sql);
    if (!c->res || PQresultStatus(c->res) != PGRES_TUPLES_OK) {
        int err = pg_status_err(c, "postgresql query failed", errstr, errstr_size);
        pg_finish(c);
        return err;
    }
    c->nrows = PQntuples(c->res);
    c->ncols = (size_t)PQnfields(c->res);
    c->kinds = calloc(c->ncols + 1, sizeof(*c->kinds));
    c->bin_off = calloc(c->ncols + 1, sizeof(*c->bin_off));
    if (!c->kinds || !c->bin_off) {
        abort();
    }
    for (size_t i = 0; i < c->ncols; i++) {
        enum sql_kind k;
        switch (PQftype(c->res, (int)i)) {
        case PG_BOOL:
            k = SQL_K_BOOL;
            break;
        case PG_BYTEA:
            k = SQL_K_BINARY;
            break;
        case PG_INT2:
        case PG_INT4:
        case PG_INT8:
        case PG_OID:
            k = SQL_K_INT;
            break;
        case PG_FLOAT4:
        case PG_FLOAT8:
            k = SQL_K_FLOAT;
            break;
        case PG_NUMERIC:
            k = SQL_K_DECIMAL;
            break;
        case PG_DATE:
            k = SQL_K_DATE;
            break;
        case PG_TIME:
        case PG_TIMETZ:
            k = SQL_K_TIME;
            break;
        case PG_TIMESTAMP:
            k = SQL_K_TIMESTAMP;
            break;
        case PG_TIMESTAMPTZ:
            k = SQL_K_TIMESTAMPTZ;
            break;
        case PG_JSON:
        case PG_JSONB:
            k = SQL_K_JSON;
            break;
        default:
            k = SQL_K_TEXT;
            break;
        }
        c->kinds[i] = k;
    }
    return GDX_OK;
}

static int pg_exec(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    PGresult *r = PQexec(c->pg, sql);
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    int err = GDX_OK;
    if (!ok) {
        err = pg_status_err(c, "postgresql statement failed", errstr, errstr_size);
    }
    PQclear(r);
    return err;
}

static int pg_ping(struct sql_conn *c, char *errstr, size_t errstr_size)
{
    if (PQstatus(c->pg) != CONNECTION_OK) {
        return pg_status_err(c, "postgresql connection lost", errstr, errstr_size);
    }
    return pg_exec(c, "SELECT 1", errstr, errstr_size);
}

static size_t pg_ncols(struct sql_conn *c)
{
    return c->ncols;
}

static const char *pg_col_name(struct sql_conn *c, size_t i)
{
    return PQfname(c->res, (int)i);
}

static enum sql_kind pg_col_kind(struct sql_conn *c, size_t i)
{
    return c->kinds[i];
}

static int pg_hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static int pg_fetch(struct sql_conn *c, const char **values, size_t *lens, char *errstr,
                    size_t errstr_size)
{
    size_t binlen = 0;
    int r;

    (void)errstr;
    (void)errstr_size;
    if (c->row >= c->nrows) {
        return 0;
    }
    r = c->row++;
    for (size_t i = 0; i < c->ncols; i++) {
        if (PQgetisnull(c->res, r, (int)i)) {
            values[i] = NULL;
            lens[i] = 0;
            continue;
        }
        const char *v = PQgetvalue(c->res, r, (int)i);
        size_t n = (size_t)PQgetlength(c->res, r, (int)i);
        if (c->kinds[i] == SQL_K_BOOL) {
            values[i] = v[0] == 't' ? "true" : "false";
            lens[i] = v[0] == 't' ? 4 : 5;
        } else if (c->kinds[i] == SQL_K_BINARY && n >= 2 && v[0] == '\\' && v[1] == 'x') {
            size_t m = (n - 2) / 2;
            if (binlen + m + 1 > c->bin_cap) {
                c->bin_cap = (binlen + m + 1) * 2;
                c->bin = sql_xrealloc(c->bin, c->bin_cap);
            }
            for (size_t k = 0; k < m; k++) {
                int hi = pg_hexval(v[2 + 2 * k]), lo = pg_hexval(v[3 + 2 * k]);
                c->bin[binlen + k] = (char)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
            }
            c->bin_off[i] = binlen;
            values[i] = ""; /* fixed up below: bin may move while growing */
            lens[i] = m;
            binlen += m + 1;
            c->bin[binlen - 1] = '\0';
            continue;
        } else {
            values[i] = v;
            lens[i] = n;
        }
        c->bin_off[i] = (size_t)-1;
    }
    for (size_t i = 0; i < c->ncols; i++) {
        if (values[i] && c->kinds[i] == SQL_K_BINARY && c->bin_off[i] != (size_t)-1) {
            values[i] = c->bin + c->bin_off[i];
        }
    }
    return 1;
}

static char *pg_quote(struct sql_conn *c, const char *s)
{
    char *q = PQescapeLiteral(c->pg, s, strlen(s));
    char *out;
    if (!q) {
        return sql_quote_std(s);
    }
    out = sql_xstrdup(q);
    PQfreemem(q);
    return out;
}

static int pg_column_info(struct sql_conn *c, const char *table, const char *column, int *notnull,
                          int *indexed, char *errstr, size_t errstr_size)
{
    char *qt = pg_quote(c, table), *qc = pg_quote(c, column);
    char *sql = sql_xasprintf(
        "SELECT a.attnotnull, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid "
        "AND i.indkey[0] = a.attnum) FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
        "AND (a.attname = %s OR a.attname = lower(%s)) AND a.attnum > 0 AND NOT a.attisdropped",
        qt, qc, qc);
    PGresult *r = PQexec(c->pg, sql);
    int err = GDX_OK;

    free(qt);
    free(qc);
    free(sql);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_status_err(c, "postgresql catalog query failed", errstr, errstr_size);
    } else if (PQntuples(r) < 1) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no column '%s' in table '%s'", column,
                         table);
    } else {
        *notnull = PQgetvalue(r, 0, 0)[0] == 't';
        *indexed = PQgetvalue(r, 0, 1)[0] == 't';
    }
    PQclear(r);
    return err;
}

static const char *pg_dbms(struct sql_conn *c)
{
    return c->dbms;
}

static int pg_lost(struct sql_conn *c)
{
    return PQstatus(c->pg) != CONNECTION_OK;
}

const struct sql_backend sql_backend_pg = {
    "postgresql", "postgresql",   pg_connect,  pg_close, pg_ping,   pg_query,
    pg_ncols,     pg_col_name,    pg_col_kind, pg_fetch, pg_finish, pg_exec,
    pg_quote,     pg_column_info, pg_dbms,     pg_lost,
};

/*
 * be_odbc.c - the ODBC backend of the sql connector (unixODBC).
 *
 * The way to databases without a native client here: Dameng (DM), KingbaseES, Oracle, SQL
 * Server, each through its vendor's ODBC driver; tested with psqlODBC and the SQLite ODBC
 * driver. `database` is a DSN name from odbc.ini, or a whole connection string when it holds
 * a '=' (`Driver=...;Server=...`). Character data is read as SQL_C_CHAR in the driver's
 * client encoding (converted with gdx_text when `encoding` says GB18030), or as SQL_C_WCHAR
 * (UTF-16, converted here) with `odbc.wide`, which suits drivers whose narrow encoding
 * cannot be set. Binary columns are read as SQL_C_BINARY. The connection is marked read-only
 * (SQL_ATTR_ACCESS_MODE, a hint some drivers enforce) and each statement gets
 * SQL_ATTR_QUERY_TIMEOUT.
 */
#include <sql.h>
#include <sqlext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "gdx_err.h"
#include "gdx_text.h"

struct sql_conn {
    SQLHENV env;
    SQLHDBC dbc;
    SQLHSTMT st;
    int connected;
    int wide;
    int64_t timeout_ms;
    struct gdx_decoder *dec;
    size_t ncols;
    char **names;
    enum sql_kind *kinds;
    char *buf; /* the current row, columns back to back */
    size_t buf_cap;
    size_t *off;
    char dbms[128];
    int lost;
};

/* Collect the diagnostic records of a handle into errstr; notes a lost connection. */
static int odbc_err(struct sql_conn *c, SQLSMALLINT type, SQLHANDLE h, const char *what,
                    char *errstr, size_t errstr_size)
{
    SQLCHAR state[6], msg[512];
    SQLINTEGER native;
    SQLSMALLINT len;
    char all[1024] = "";
    int err = GDX_ERR_RETRY;

    for (SQLSMALLINT i = 1; i <= 3; i++) {
        if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, i, state, &native, msg, sizeof(msg), &len))) {
            break;
        }
        size_t n = strlen(all);
        snprintf(all + n, sizeof(all) - n, "%s[%s] %s", n ? "; " : "", state, msg);
        if (i == 1) {
            if (strncmp((char *)state, "08", 2) == 0 || strcmp((char *)state, "HYT01") == 0) {
                c->lost = 1;
            } else if (strncmp((char *)state, "42", 2) == 0) {
                err = GDX_ERR_FAIL;
            }
        }
    }
    /* drivers end messages with newlines */
    for (size_t n = strlen(all); n > 0 && (all[n - 1] == '\n' || all[n - 1] == '\r'); n--) {
        all[n - 1] = '\0';
    }
    return gdx_seterr(errstr, errstr_size, err, "%s: %s", what, all[0] ? all : "odbc error");
}

/* ODBC's prototypes take SQLCHAR * for text they only read */
static SQLCHAR *odbc_text(const char *s)
{
    SQLCHAR *p;
    memcpy(&p, &s, sizeof(p));
    return p;
}

static void odbc_cols_free(struct sql_conn *c)
{
    for (size_t i = 0; i < c->ncols; i++) {
        free(c->names[i]);
    }
    free(c->names);
    free(c->kinds);
    free(c->off);
    c->names = NULL;
    c->kinds = NULL;
    c->off = NULL;
    c->ncols = 0;
}

static void odbc_finish(struct sql_conn *c)
{
    if (c->st) {
        SQLFreeHandle(SQL_HANDLE_STMT, c->st);
        c->st = NULL;
    }
}

static void odbc_close(struct sql_conn *c)
{
    if (!c) {
        return;
    }
    odbc_finish(c);
    odbc_cols_free(c);
    if (c->dbc) {
        if (c->connected) {
            SQLDisconnect(c->dbc);
        }
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    }
    if (c->env) {
        SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    }
    gdx_decoder_destroy(c->dec);
    free(c->buf);
    free(c);
}

/* A value for a connection string attribute: braced when it holds ';' or braces. */
static char *odbc_attr(const char *v)
{
    if (strpbrk(v, ";{}=")) {
        return sql_xasprintf("{%s}", v);
    }
    return sql_xstrdup(v);
}

static int odbc_connect(struct sql_conn **out, const struct sql_params *p, char *errstr,
                        size_t errstr_size)
{
    struct sql_conn *c = calloc(1, sizeof(*c));
    char *cs = NULL, *t;
    SQLRETURN rc;
    SQLSMALLINT outlen;
    SQLCHAR outcs[1024];
    int err = GDX_ERR_RETRY;

    if (!c) {
        abort();
    }
    *out = NULL;
    c->wide = p->odbc_wide;
    c->timeout_ms = p->statement_timeout_ms;
    if (p->encoding && *p->encoding && strcasecmp(p->encoding, "utf-8") &&
        strcasecmp(p->encoding, "utf8")) {
        c->dec = gdx_decoder_new(p->encoding, errstr, errstr_size);
        if (!c->dec) {
            odbc_close(c);
            return GDX_ERR_CONFIG;
        }
    }
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env)) ||
        !SQL_SUCCEEDED(SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
        !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc))) {
        odbc_close(c);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                          "cannot set up the odbc driver manager");
    }
    SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                      (SQLPOINTER)(uintptr_t)(p->connect_timeout_ms > 0
                                                  ? (p->connect_timeout_ms + 999) / 1000
                                                  : 10),
                      0);
    if (strchr(p->database, '=')) {
        cs = sql_xstrdup(p->database);
    } else {
        char *d = odbc_attr(p->database);
        cs = sql_xasprintf("DSN=%s", d);
        free(d);
    }
    if (p->user && *p->user) {
        char *u = odbc_attr(p->user);
        t = sql_xasprintf("%s;UID=%s", cs, u);
        free(u);
        free(cs);
        cs = t;
    }
    if (p->password && *p->password) {
        char *pw = odbc_attr(p->password);
        t = sql_xasprintf("%s;PWD=%s", cs, pw);
        memset(pw, 0, strlen(pw));
        free(pw);
        free(cs);
        cs = t;
    }
    if (p->options && *p->options) {
        t = sql_xasprintf("%s;%s", cs, p->options);
        free(cs);
        cs = t;
    }
    rc = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, outcs, sizeof(outcs), &outlen,
                          SQL_DRIVER_NOPROMPT);
    memset(cs, 0, strlen(cs));
    free(cs);
    memset(outcs, 0, sizeof(outcs));
    if (!SQL_SUCCEEDED(rc)) {
        err =
            odbc_err(c, SQL_HANDLE_DBC, c->dbc, "cannot connect through odbc", errstr, errstr_size);
        /* IM002: no such DSN or driver: a configuration problem, not a passing one */
        if (strstr(errstr, "[IM00")) {
            err = GDX_ERR_CONFIG;
        } else {
            err = GDX_ERR_RETRY;
        }
        odbc_close(c);
        return err;
    }
    c->connected = 1;
    if (p->read_only) {
        SQLSetConnectAttr(c->dbc, SQL_ATTR_ACCESS_MODE, (SQLPOINTER)SQL_MODE_READ_ONLY, 0);
    }
    {
        SQLCHAR name[64] = "", ver[64] = "";
        SQLSMALLINT n1, n2;
        SQLGetInfo(c->dbc, SQL_DBMS_NAME, name, sizeof(name), &n1);
        SQLGetInfo(c->dbc, SQL_DBMS_VER, ver, sizeof(ver), &n2);
        snprintf(c->dbms, sizeof(c->dbms), "%s %s", name, ver);
    }
    *out = c;
    return GDX_OK;
}

static int odbc_stmt(struct sql_conn *c, char *errstr, size_t errstr_size)
{
    odbc_finish(c);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &c->st))) {
        c->st = NULL;
        return odbc_err(c, SQL_HANDLE_DBC, c->dbc, "cannot allocate an odbc statement", errstr,
                        errstr_size);
    }
    if (c->timeout_ms > 0) {
        SQLSetStmtAttr(c->st, SQL_ATTR_QUERY_TIMEOUT,
                       (SQLPOINTER)(uintptr_t)((c->timeout_ms + 999) / 1000), 0);
    }
    return GDX_OK;
}

static enum sql_kind odbc_kind(SQLSMALLINT t)
{
    switch (t) {
    case SQL_BIT:
        return SQL_K_BOOL;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
        return SQL_K_INT;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
        return SQL_K_DECIMAL;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
        return SQL_K_FLOAT;
    case SQL_TYPE_DATE:
    case SQL_DATE:
        return SQL_K_DATE;
    case SQL_TYPE_TIME:
    case SQL_TIME:
        return SQL_K_TIME;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
        return SQL_K_TIMESTAMP;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
        return SQL_K_BINARY;
    default:
        return SQL_K_TEXT;
    }
}

static int odbc_query(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    SQLSMALLINT n = 0;
    int err;

    odbc_cols_free(c);
    if ((err = odbc_stmt(c, errstr, errstr_size))) {
        return err;
    }
    if (!SQL_SUCCEEDED(SQLExecDirect(c->st, odbc_text(sql), SQL_NTS))) {
        err = odbc_err(c, SQL_HANDLE_STMT, c->st, "odbc query failed", errstr, errstr_size);
        odbc_finish(c);
        return err;
    }
    SQLNumResultCols(c->st, &n);
    c->ncols = (size_t)(n > 0 ? n : 0);
    c->names = calloc(c->ncols + 1, sizeof(*c->names));
    c->kinds = calloc(c->ncols + 1, sizeof(*c->kinds));
    c->off = calloc(c->ncols + 1, sizeof(*c->off));
    if (!c->names || !c->kinds || !c->off) {
        abort();
    }
    for (size_t i = 0; i < c->ncols; i++) {
        SQLCHAR name[256];
        SQLSMALLINT nl = 0, type = 0, dec = 0, nullable = 0;
        SQLULEN size = 0;
        SQLDescribeCol(c->st, (SQLUSMALLINT)(i + 1), name, sizeof(name), &nl, &type, &size, &dec,
                       &nullable);
        name[sizeof(name) - 1] = '\0';
        c->names[i] = sql_xstrdup((char *)name);
        c->kinds[i] = odbc_kind(type);
    }
    return GDX_OK;
}

static size_t odbc_ncols(struct sql_conn *c)
{
    return c->ncols;
}

static const char *odbc_col_name(struct sql_conn *c, size_t i)
{
    return c->names[i];
}

static enum sql_kind odbc_col_kind(struct sql_conn *c, size_t i)
{
    return c->kinds[i];
}

static void odbc_reserve(struct sql_conn *c, size_t need)
{
    if (need > c->buf_cap) {
        c->buf_cap = need * 2 > 4096 ? need * 2 : 4096;
        c->buf = sql_xrealloc(c->buf, c->buf_cap);
    }
}

/* UTF-16LE (SQLWCHAR, 2 bytes) at buf[from, from+n) to UTF-8 appended at *len */
static void odbc_utf16_to_utf8(struct sql_conn *c, size_t from, size_t n, size_t *len)
{
    const unsigned char *in;
    size_t units = n / 2, o;
    char *tmp = sql_xrealloc(NULL, units * 3 + 4);

    in = (const unsigned char *)c->buf + from;
    o = 0;
    for (size_t k = 0; k < units; k++) {
        uint32_t u = (uint32_t)in[2 * k] | (uint32_t)in[2 * k + 1] << 8;
        if (u >= 0xd800 && u < 0xdc00 && k + 1 < units) {
            uint32_t lo = (uint32_t)in[2 * k + 2] | (uint32_t)in[2 * k + 3] << 8;
            if (lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                k++;
            }
        }
        if (u < 0x80) {
            tmp[o++] = (char)u;
        } else if (u < 0x800) {
            tmp[o++] = (char)(0xc0 | u >> 6);
            tmp[o++] = (char)(0x80 | (u & 0x3f));
        } else if (u < 0x10000) {
            tmp[o++] = (char)(0xe0 | u >> 12);
            tmp[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
            tmp[o++] = (char)(0x80 | (u & 0x3f));
        } else {
            tmp[o++] = (char)(0xf0 | u >> 18);
            tmp[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
            tmp[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
            tmp[o++] = (char)(0x80 | (u & 0x3f));
        }
    }
    memcpy(c->buf + from, tmp, o); /* o <= 1.5 * n, and n + 2 bytes are reserved below */
    free(tmp);
    *len = from + o;
}

static int odbc_fetch(struct sql_conn *c, const char **values, size_t *lens, char *errstr,
                      size_t errstr_size)
{
    SQLRETURN rc = SQLFetch(c->st);
    size_t len = 0;

    if (rc == SQL_NO_DATA) {
        return 0;
    }
    if (!SQL_SUCCEEDED(rc)) {
        return odbc_err(c, SQL_HANDLE_STMT, c->st, "odbc read failed", errstr, errstr_size);
    }
    for (size_t i = 0; i < c->ncols; i++) {
        int bin = c->kinds[i] == SQL_K_BINARY;
        int wide = !bin && c->wide;
        SQLSMALLINT ctype = bin ? SQL_C_BINARY : wide ? SQL_C_WCHAR : SQL_C_CHAR;
        size_t term = bin ? 0 : wide ? 2 : 1; /* terminator the driver writes */
        size_t start = len;
        int isnull = 0;

        odbc_reserve(c, len + 256);
        for (;;) {
            SQLLEN ind = 0;
            size_t room = c->buf_cap - len;
            rc = SQLGetData(c->st, (SQLUSMALLINT)(i + 1), ctype, c->buf + len, (SQLLEN)room, &ind);
            if (rc == SQL_NO_DATA) {
                break;
            }
            if (!SQL_SUCCEEDED(rc)) {
                return odbc_err(c, SQL_HANDLE_STMT, c->st, "odbc read failed", errstr, errstr_size);
            }
            if (ind == SQL_NULL_DATA) {
                isnull = 1;
                break;
            }
            if (rc == SQL_SUCCESS_WITH_INFO && (ind == SQL_NO_TOTAL || (size_t)ind + term > room)) {
                /* truncated: keep what came (minus the terminator) and read on */
                len += room - term;
                odbc_reserve(c, len + (ind == SQL_NO_TOTAL ? room * 2 : (size_t)ind + 16));
                continue;
            }
            len += (size_t)ind;
            break;
        }
        if (isnull) {
            c->off[i] = SIZE_MAX;
            lens[i] = 0;
            continue;
        }
        if (wide) {
            odbc_reserve(c, len + (len - start) / 2 + 8);
            odbc_utf16_to_utf8(c, start, len - start, &len);
        } else if (c->dec && !bin) {
            const char *o;
            size_t on, bad;
            if (gdx_decoder_convert(c->dec, c->buf + start, len - start, &o, &on, &bad) == GDX_OK) {
                odbc_reserve(c, start + on + 1);
                memcpy(c->buf + start, o, on);
                len = start + on;
            }
        }
        odbc_reserve(c, len + 1);
        c->buf[len] = '\0';
        c->off[i] = start;
        lens[i] = len - start;
        len++;
    }
    for (size_t i = 0; i < c->ncols; i++) {
        values[i] = c->off[i] == SIZE_MAX ? NULL : c->buf + c->off[i];
        if (values[i] && c->kinds[i] == SQL_K_BOOL) {
            int t = !(lens[i] == 1 && values[i][0] == '0') && values[i][0] != 'f' &&
                    values[i][0] != 'F';
            values[i] = t ? "true" : "false";
            lens[i] = t ? 4 : 5;
        }
    }
    return 1;
}

static int odbc_exec(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    int err = odbc_stmt(c, errstr, errstr_size);
    if (err) {
        return err;
    }
    if (!SQL_SUCCEEDED(SQLExecDirect(c->st, odbc_text(sql), SQL_NTS))) {
        err = odbc_err(c, SQL_HANDLE_STMT, c->st, "odbc statement failed", errstr, errstr_size);
    }
    odbc_finish(c);
    return err;
}

static int odbc_ping(struct sql_conn *c, char *errstr, size_t errstr_size)
{
    SQLUINTEGER dead = 0;
    if (SQL_SUCCEEDED(SQLGetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL)) &&
        dead == SQL_CD_TRUE) {
        c->lost = 1;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "odbc connection is dead");
    }
    return GDX_OK;
}

static char *odbc_quote(struct sql_conn *c, const char *s)
{
    (void)c;
    return sql_quote_std(s);
}

static int odbc_column_info(struct sql_conn *c, const char *table, const char *column, int *notnull,
                            int *indexed, char *errstr, size_t errstr_size)
{
    const char *dot = strrchr(table, '.');
    char *schema = dot ? strndup(table, (size_t)(dot - table)) : NULL;
    const char *tname = dot ? dot + 1 : table;
    int err, found = 0;

    *notnull = 0;
    *indexed = -1;
    if ((err = odbc_stmt(c, errstr, errstr_size))) {
        free(schema);
        return err;
    }
    if (!SQL_SUCCEEDED(SQLColumns(c->st, NULL, 0, (SQLCHAR *)schema, schema ? SQL_NTS : 0,
                                  odbc_text(tname), SQL_NTS, NULL, 0))) {
        err = odbc_err(c, SQL_HANDLE_STMT, c->st, "odbc catalog query failed", errstr, errstr_size);
        odbc_finish(c);
        free(schema);
        return err;
    }
    while (SQL_SUCCEEDED(SQLFetch(c->st))) {
        SQLCHAR name[256] = "";
        SQLLEN ind = 0;
        SQLSMALLINT nullable = SQL_NULLABLE_UNKNOWN;
        SQLGetData(c->st, 4, SQL_C_CHAR, name, sizeof(name), &ind);
        SQLGetData(c->st, 11, SQL_C_SSHORT, &nullable, 0, &ind);
        if (strcasecmp((char *)name, column) == 0) {
            found = 1;
            *notnull = nullable == SQL_NO_NULLS;
        }
    }
    odbc_finish(c);
    if (!found) {
        free(schema);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no column '%s' in table '%s'",
                          column, table);
    }
    /* a primary key column is NOT NULL even where the catalog says otherwise (SQLite's
     * INTEGER PRIMARY KEY is reported nullable by its driver) */
    if (odbc_stmt(c, errstr, errstr_size) == GDX_OK &&
        SQL_SUCCEEDED(SQLPrimaryKeys(c->st, NULL, 0, (SQLCHAR *)schema, schema ? SQL_NTS : 0,
                                     odbc_text(tname), SQL_NTS))) {
        while (SQL_SUCCEEDED(SQLFetch(c->st))) {
            SQLCHAR name[256] = "";
            SQLLEN ind = 0;
            SQLSMALLINT seq = 0;
            SQLGetData(c->st, 4, SQL_C_CHAR, name, sizeof(name), &ind);
            SQLGetData(c->st, 5, SQL_C_SSHORT, &seq, 0, &ind);
            if (strcasecmp((char *)name, column) == 0) {
                *notnull = 1;
                if (seq == 1) {
                    *indexed = 1;
                }
            }
        }
    }
    odbc_finish(c);
    if (*indexed < 1 && odbc_stmt(c, errstr, errstr_size) == GDX_OK &&
        SQL_SUCCEEDED(SQLStatistics(c->st, NULL, 0, (SQLCHAR *)schema, schema ? SQL_NTS : 0,
                                    odbc_text(tname), SQL_NTS, SQL_INDEX_ALL, SQL_QUICK))) {
        *indexed = *indexed < 0 ? 0 : *indexed;
        while (SQL_SUCCEEDED(SQLFetch(c->st))) {
            SQLCHAR name[256] = "";
            SQLLEN ind = 0;
            SQLSMALLINT ord = 0;
            SQLGetData(c->st, 8, SQL_C_SSHORT, &ord, 0, &ind);
            SQLGetData(c->st, 9, SQL_C_CHAR, name, sizeof(name), &ind);
            if (ord == 1 && strcasecmp((char *)name, column) == 0) {
                *indexed = 1;
            }
        }
    }
    odbc_finish(c);
    free(schema);
    return GDX_OK;
}

static const char *odbc_dbms(struct sql_conn *c)
{
    return c->dbms;
}

static int odbc_lost(struct sql_conn *c)
{
    return c->lost;
}

const struct sql_backend sql_backend_odbc = {
    "odbc",     "auto",           odbc_connect,  odbc_close, odbc_ping,   odbc_query,
    odbc_ncols, odbc_col_name,    odbc_col_kind, odbc_fetch, odbc_finish, odbc_exec,
    odbc_quote, odbc_column_info, odbc_dbms,     odbc_lost,
};

/*
 * be_mysql.c - the MariaDB/MySQL backend of the sql connector (libmariadb).
 *
 * The connection asks for utf8mb4, so the server converts GBK/latin1 columns to UTF-8
 * itself (SET NAMES through MYSQL_SET_CHARSET_NAME). Sessions are made read-only (SET
 * SESSION TRANSACTION READ ONLY) and bounded: MariaDB's max_statement_time, MySQL's
 * max_execution_time (whichever the server knows), and the client's read timeout as the
 * last resort. Results are stored client-side: the connector reads in chunks of fetch.rows,
 * so a result is small, and the server is never held by a slow consumer.
 *
 * MySQL allows invalid dates (`0000-00-00`) under permissive sql_mode; they are passed on as
 * text and the runtime turns them into dead letters naming the column.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "gdx_err.h"

#define MY_BINARY_CHARSET 63

struct sql_conn {
    MYSQL *my;
    MYSQL_RES *res;
    MYSQL_FIELD *fields;
    size_t ncols;
    enum sql_kind *kinds;
    char dbms[96];
    int lost;
};

static int my_is_lost(unsigned e)
{
    /* CR_SERVER_GONE_ERROR 2006, CR_SERVER_LOST 2013, CR_CONN_HOST_ERROR 2003,
     * CR_CONNECTION_ERROR 2002, ER_SERVER_SHUTDOWN 1053, ER_CONNECTION_KILLED 1927 */
    return e == 2006 || e == 2013 || e == 2003 || e == 2002 || e == 1053 || e == 1927 || e == 2055;
}

static int my_err(struct sql_conn *c, const char *what, char *errstr, size_t errstr_size)
{
    unsigned e = mysql_errno(c->my);
    int err = GDX_ERR_RETRY;
    if (my_is_lost(e)) {
        c->lost = 1;
    } else if (e == 1064 || e == 1054 || e == 1146 || e == 1142 || e == 1143) {
        err = GDX_ERR_FAIL; /* syntax, unknown column or table, no privilege */
    }
    return gdx_seterr(errstr, errstr_size, err, "%s: %s (%u)", what, mysql_error(c->my), e);
}

static void my_finish(struct sql_conn *c)
{
    if (c->res) {
        mysql_free_result(c->res);
        c->res = NULL;
    }
    free(c->kinds);
    c->kinds = NULL;
    c->ncols = 0;
    c->fields = NULL;
}

static void my_close(struct sql_conn *c)
{
    if (!c) {
        return;
    }
    my_finish(c);
    if (c->my) {
        mysql_close(c->my);
    }
    free(c);
}

static int my_exec(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
        return my_err(c, "mysql statement failed", errstr, errstr_size);
    }
    MYSQL_RES *r = mysql_store_result(c->my);
    if (r) {
        mysql_free_result(r);
    }
    return GDX_OK;
}

static int my_connect(struct sql_conn **out, const struct sql_params *p, char *errstr,
                      size_t errstr_size)
{
    struct sql_conn *c = calloc(1, sizeof(*c));
    unsigned ct, rt;
    const char *host = NULL, *sock = NULL;
    char tmp[160];

    if (!c) {
        abort();
    }
    *out = NULL;
    c->my = mysql_init(NULL);
    if (!c->my) {
        abort();
    }
    ct = (unsigned)(p->connect_timeout_ms > 0 ? (p->connect_timeout_ms + 999) / 1000 : 10);
    /* the client read timeout backs up the server-side statement limit */
    rt = (unsigned)(p->statement_timeout_ms > 0 ? p->statement_timeout_ms / 1000 + 30 : 0);
    mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    if (rt) {
        mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &rt);
    }
    mysql_options(c->my, MYSQL_READ_DEFAULT_GROUP, "gdx");
    if (p->host && p->host[0] == '/') {
        sock = p->host;
    } else if (p->host && *p->host) {
        host = p->host;
    }
    if (!mysql_real_connect(c->my, host, p->user && *p->user ? p->user : NULL, p->password,
                            p->database, (unsigned)(p->port > 0 ? p->port : 0), sock, 0)) {
        my_err(c, "cannot connect to mysql", errstr, errstr_size);
        my_close(c);
        return GDX_ERR_RETRY;
    }
    snprintf(c->dbms, sizeof(c->dbms), "%s", mysql_get_server_info(c->my));
    if (p->read_only && my_exec(c, "SET SESSION TRANSACTION READ ONLY", tmp, sizeof(tmp))) {
        /* older servers: the account's grants are what keep it read-only */
    }
    if (p->statement_timeout_ms > 0) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %.3f",
                 (double)p->statement_timeout_ms / 1000.0);
        if (my_exec(c, sql, tmp, sizeof(tmp)) != GDX_OK) {
            snprintf(sql, sizeof(sql), "SET SESSION max_execution_time = %lld",
                     (long long)p->statement_timeout_ms);
            my_exec(c, sql, tmp, sizeof(tmp));
        }
    }
    *out = c;
    return GDX_OK;
}

static int my_ping(struct sql_conn *c, char *errstr, size_t errstr_size)
{
    if (mysql_ping(c->my) != 0) {
        return my_err(c, "mysql ping failed", errstr, errstr_size);
    }
    return GDX_OK;
}

static int my_query(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    my_finish(c);
    if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
        return my_err(c, "mysql query failed", errstr, errstr_size);
    }
    c->res = mysql_store_result(c->my);
    if (!c->res) {
        if (mysql_errno(c->my)) {
            return my_err(c, "mysql query failed", errstr, errstr_size);
        }
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "mysql query returned no rows");
    }
    c->ncols = mysql_num_fields(c->res);
    c->fields = mysql_fetch_fields(c->res);
    c->kinds = calloc(c->ncols + 1, sizeof(*c->kinds));
    if (!c->kinds) {
        abort();
    }
    for (size_t i = 0; i < c->ncols; i++) {
        const MYSQL_FIELD *f = &c->fields[i];
        enum sql_kind k = SQL_K_TEXT;
        switch (f->type) {
        case MYSQL_TYPE_TINY:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_YEAR:
            k = SQL_K_INT;
            break;
        case MYSQL_TYPE_DECIMAL:
        case MYSQL_TYPE_NEWDECIMAL:
            k = SQL_K_DECIMAL;
            break;
        case MYSQL_TYPE_FLOAT:
        case MYSQL_TYPE_DOUBLE:
            k = SQL_K_FLOAT;
            break;
        case MYSQL_TYPE_DATE:
        case MYSQL_TYPE_NEWDATE:
            k = SQL_K_DATE;
            break;
        case MYSQL_TYPE_TIME:
            k = SQL_K_TIME;
            break;
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
            k = SQL_K_TIMESTAMP;
            break;
        case MYSQL_TYPE_BIT:
            k = SQL_K_BINARY;
            break;
        case MYSQL_TYPE_JSON:
            k = SQL_K_JSON;
            break;
        case MYSQL_TYPE_TINY_BLOB:
        case MYSQL_TYPE_MEDIUM_BLOB:
        case MYSQL_TYPE_LONG_BLOB:
        case MYSQL_TYPE_BLOB:
        case MYSQL_TYPE_STRING:
        case MYSQL_TYPE_VAR_STRING:
        case MYSQL_TYPE_VARCHAR:
            k = f->charsetnr == MY_BINARY_CHARSET ? SQL_K_BINARY : SQL_K_TEXT;
            break;
        default:
            k = SQL_K_TEXT;
            break;
        }
        /* tinyint(1) is MySQL's boolean */
        if (f->type == MYSQL_TYPE_TINY && f->length == 1) {
            k = SQL_K_BOOL;
        }
        c->kinds[i] = k;
    }
    return GDX_OK;
}

static size_t my_ncols(struct sql_conn *c)
{
    return c->ncols;
}

static const char *my_col_name(struct sql_conn *c, size_t i)
{
    return c->fields[i].name;
}

static enum sql_kind my_col_kind(struct sql_conn *c, size_t i)
{
    return c->kinds[i];
}

static int my_fetch(struct sql_conn *c, const char **values, size_t *lens, char *errstr,
                    size_t errstr_size)
{
    MYSQL_ROW row = mysql_fetch_row(c->res);
    unsigned long *l;

    if (!row) {
        if (mysql_errno(c->my)) {
            return my_err(c, "mysql read failed", errstr, errstr_size);
        }
        return 0;
    }
    l = mysql_fetch_lengths(c->res);
    for (size_t i = 0; i < c->ncols; i++) {
        values[i] = row[i];
        lens[i] = row[i] ? l[i] : 0;
        if (row[i] && c->kinds[i] == SQL_K_BOOL) {
            int t = !(l[i] == 1 && row[i][0] == '0');
            values[i] = t ? "true" : "false";
            lens[i] = t ? 4 : 5;
        }
    }
    return 1;
}

static char *my_quote(struct sql_conn *c, const char *s)
{
    size_t n = strlen(s);
    char *out = sql_xrealloc(NULL, 2 * n + 3);
    unsigned long m;
    out[0] = '\'';
    m = mysql_real_escape_string(c->my, out + 1, s, (unsigned long)n);
    out[m + 1] = '\'';
    out[m + 2] = '\0';
    return out;
}

static int my_column_info(struct sql_conn *c, const char *table, const char *column, int *notnull,
                          int *indexed, char *errstr, size_t errstr_size)
{
    const char *dot = strchr(table, '.');
    char *schema = dot ? strndup(table, (size_t)(dot - table)) : NULL;
    char *qs = schema ? my_quote(c, schema) : sql_xstrdup("DATABASE()");
    char *qt = my_quote(c, dot ? dot + 1 : table), *qc = my_quote(c, column);
    char *sql = sql_xasprintf(
        "SELECT IS_NULLABLE, (SELECT COUNT(*) FROM information_schema.STATISTICS s WHERE "
        "s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = "
        "c.COLUMN_NAME AND s.SEQ_IN_INDEX = 1) FROM information_schema.COLUMNS c WHERE "
        "c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s AND c.COLUMN_NAME = %s",
        qs, qt, qc);
    int err = my_query(c, sql, errstr, errstr_size);
    const char *v[2];
    size_t l[2];

    free(schema);
    free(qs);
    free(qt);
    free(qc);
    free(sql);
    if (err) {
        return err;
    }
    if (my_fetch(c, v, l, errstr, errstr_size) != 1) {
        my_finish(c);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no column '%s' in table '%s'",
                          column, table);
    }
    *notnull = v[0] && strcmp(v[0], "NO") == 0;
    *indexed = v[1] && strcmp(v[1], "0") != 0;
    my_finish(c);
    return GDX_OK;
}

static const char *my_dbms(struct sql_conn *c)
{
    return c->dbms;
}

static int my_lost(struct sql_conn *c)
{
    return c->lost;
}

const struct sql_backend sql_backend_mysql = {
    "mysql",     "mysql",  my_connect, my_close, my_ping,  my_query,       my_ncols, my_col_name,
    my_col_kind, my_fetch, my_finish,  my_exec,  my_quote, my_column_info, my_dbms,  my_lost,
};

/*
 * be_sqlite.c - the SQLite backend of the sql connector (libsqlite3).
 *
 * SQLite files are the demo's databases and what small departmental tools (and many
 * Windows desktop programs) keep their data in. The file is opened read-only when asked
 * (SQLITE_OPEN_READONLY plus PRAGMA query_only), a busy writer is waited for up to the
 * statement timeout, and a progress handler interrupts statements running past it.
 * Text is UTF-8 inside SQLite unless the application stored other bytes: `encoding`
 * converts those (GB18030) with gdx_text.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backend.h"
#include "gdx_err.h"
#include "gdx_text.h"

struct sql_conn {
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t timeout_ms;
    int64_t deadline_ms;
    struct gdx_decoder *dec; /* NULL when the text is UTF-8 */
    size_t ncols;
    char **names;
    enum sql_kind *kinds;
    size_t *conv_off; /* per column: offset of its converted text in conv, or SIZE_MAX */
    char *conv;
    size_t conv_len, conv_cap;
    char dbms[64];
    int lost;
};

static int64_t lite_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lite_progress(void *arg)
{
    struct sql_conn *c = arg;
    return c->deadline_ms && lite_now_ms() > c->deadline_ms;
}

static int lite_err(struct sql_conn *c, int rc, const char *what, char *errstr, size_t errstr_size)
{
    int err = GDX_ERR_FAIL;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_INTERRUPT || rc == SQLITE_IOERR ||
        rc == SQLITE_CANTOPEN || rc == SQLITE_PROTOCOL) {
        err = GDX_ERR_RETRY;
    }
    if (rc == SQLITE_INTERRUPT) {
        return gdx_seterr(errstr, errstr_size, err, "%s: statement timeout", what);
    }
    return gdx_seterr(errstr, errstr_size, err, "%s: %s", what,
                      c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
}

static void lite_cols_free(struct sql_conn *c)
{
    for (size_t i = 0; i < c->ncols; i++) {
        free(c->names[i]);
    }
    free(c->names);
    free(c->kinds);
    free(c->conv_off);
    c->names = NULL;
    c->kinds = NULL;
    c->conv_off = NULL;
    c->ncols = 0;
}

static void lite_finish(struct sql_conn *c)
{
    if (c->st) {
        sqlite3_finalize(c->st);
        c->st = NULL;
    }
    c->deadline_ms = 0;
}

static void lite_close(struct sql_conn *c)
{
    if (!c) {
        return;
    }
    lite_finish(c);
    lite_cols_free(c);
    sqlite3_close_v2(c->db);
    gdx_decoder_destroy(c->dec);
    free(c->conv);
    free(c);
}

static int lite_connect(struct sql_conn **out, const struct sql_params *p, char *errstr,
                        size_t errstr_size)
{
    struct sql_conn *c = calloc(1, sizeof(*c));
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    int rc;

    if (!c) {
        abort();
    }
    *out = NULL;
    flags |= p->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    rc = sqlite3_open_v2(p->database, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot open sqlite database '%s': %s",
                   p->database, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        lite_close(c);
        return GDX_ERR_RETRY;
    }
    c->timeout_ms = p->statement_timeout_ms;
    sqlite3_busy_timeout(c->db,
                         (int)(p->statement_timeout_ms > 0 ? p->statement_timeout_ms : 60000));
    sqlite3_progress_handler(c->db, 10000, lite_progress, c);
    if (p->encoding && *p->encoding && strcasecmp(p->encoding, "utf-8") &&
        strcasecmp(p->encoding, "utf8")) {
        c->dec = gdx_decoder_new(p->encoding, errstr, errstr_size);
        if (!c->dec) {
            lite_close(c);
            return GDX_ERR_CONFIG;
        }
    }
    if (p->read_only) {
        sqlite3_exec(c->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    }
    snprintf(c->dbms, sizeof(c->dbms), "SQLite %s", sqlite3_libversion());
    *out = c;
    return GDX_OK;
}

static int lite_ping(struct sql_conn *c, char *errstr, size_t errstr_size)
{
    /* reading the schema proves the file is still a database we can read */
    int rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    return rc == SQLITE_OK ? GDX_OK : lite_err(c, rc, "sqlite ping", errstr, errstr_size);
}

static int lite_query(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    int rc;

    lite_finish(c);
    lite_cols_free(c);
    c->deadline_ms = c->timeout_ms > 0 ? lite_now_ms() + c->timeout_ms : 0;
    rc = sqlite3_prepare_v2(c->db, sql, -1, &c->st, NULL);
    if (rc != SQLITE_OK) {
        int err = lite_err(c, rc, "sqlite query failed", errstr, errstr_size);
        lite_finish(c);
        return err;
    }
    c->ncols = (size_t)sqlite3_column_count(c->st);
    c->names = calloc(c->ncols + 1, sizeof(*c->names));
    c->kinds = calloc(c->ncols + 1, sizeof(*c->kinds));
    c->conv_off = calloc(c->ncols + 1, sizeof(*c->conv_off));
    if (!c->names || !c->kinds || !c->conv_off) {
        abort();
    }
    for (size_t i = 0; i < c->ncols; i++) {
        const char *n = sqlite3_column_name(c->st, (int)i);
        c->names[i] = sql_xstrdup(n ? n : "");
        c->kinds[i] = sql_kind_from_decl(sqlite3_column_decltype(c->st, (int)i));
    }
    return GDX_OK;
}

static size_t lite_ncols(struct sql_conn *c)
{
    return c->ncols;
}

static const char *lite_col_name(struct sql_conn *c, size_t i)
{
    return c->names[i];
}

static enum sql_kind lite_col_kind(struct sql_conn *c, size_t i)
{
    return c->kinds[i];
}

static int lite_fetch(struct sql_conn *c, const char **values, size_t *lens, char *errstr,
                      size_t errstr_size)
{
    int rc = sqlite3_step(c->st);

    c->conv_len = 0;
    for (size_t i = 0; i < c->ncols; i++) {
        c->conv_off[i] = SIZE_MAX;
    }
    if (rc == SQLITE_DONE) {
        return 0;
    }
    if (rc != SQLITE_ROW) {
        return lite_err(c, rc, "sqlite read failed", errstr, errstr_size);
    }
    for (size_t i = 0; i < c->ncols; i++) {
        int t = sqlite3_column_type(c->st, (int)i);
        if (t == SQLITE_NULL) {
            values[i] = NULL;
            lens[i] = 0;
        } else if (t == SQLITE_BLOB) {
            const void *b = sqlite3_column_blob(c->st, (int)i);
            lens[i] = (size_t)sqlite3_column_bytes(c->st, (int)i);
            values[i] = b ? b : "";
            if (c->kinds[i] != SQL_K_BINARY && c->kinds[i] != SQL_K_TEXT) {
                c->kinds[i] = SQL_K_BINARY;
            }
        } else {
            const char *s = (const char *)sqlite3_column_text(c->st, (int)i);
            size_t n = (size_t)sqlite3_column_bytes(c->st, (int)i);
            if (c->dec && t == SQLITE_TEXT && s) {
                const char *o;
                size_t on, bad;
                if (gdx_decoder_convert(c->dec, s, n, &o, &on, &bad) == GDX_OK) {
                    /* the decoder's buffer is reused per call: collect the row's converted
                     * values in one buffer, fixed up once the row is complete */
                    if (c->conv_len + on + 1 > c->conv_cap) {
                        c->conv_cap = (c->conv_len + on + 1) * 2;
                        c->conv = sql_xrealloc(c->conv, c->conv_cap);
                    }
                    memcpy(c->conv + c->conv_len, o, on);
                    c->conv[c->conv_len + on] = '\0';
                    c->conv_off[i] = c->conv_len;
                    c->conv_len += on + 1;
                    values[i] = NULL;
                    lens[i] = on;
                    continue;
                }
                /* left as it is: the runtime's UTF-8 check names the field */
            }
            values[i] = s ? s : "";
            lens[i] = n;
        }
    }
    for (size_t i = 0; i < c->ncols; i++) {
        if (c->conv_off[i] != SIZE_MAX) {
            values[i] = c->conv + c->conv_off[i];
        }
    }
    return 1;
}

static int lite_exec(struct sql_conn *c, const char *sql, char *errstr, size_t errstr_size)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return GDX_ERR_FAIL;
    }
    return GDX_OK;
}

static char *lite_quote(struct sql_conn *c, const char *s)
{
    (void)c;
    return sql_quote_std(s);
}

static int lite_column_info(struct sql_conn *c, const char *table, const char *column, int *notnull,
                            int *indexed, char *errstr, size_t errstr_size)
{
    char *sql;
    sqlite3_stmt *st = NULL, *st2 = NULL;
    int found = 0, pk = 0, intpk = 0;

    *notnull = 0;
    *indexed = 0;
    sql = sqlite3_mprintf("PRAGMA table_info(%Q)", table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_free(sql);
        return lite_err(c, SQLITE_ERROR, "sqlite catalog", errstr, errstr_size);
    }
    sqlite3_free(sql);
    int npk = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        if (sqlite3_column_int(st, 5) > 0) {
            npk++;
        }
        if (name && strcasecmp(name, column) == 0) {
            found = 1;
            *notnull = sqlite3_column_int(st, 3);
            pk = sqlite3_column_int(st, 5);
            intpk = pk == 1 && type && strcasecmp(type, "INTEGER") == 0;
        }
    }
    sqlite3_finalize(st);
    if (!found) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no column '%s' in table '%s'",
                          column, table);
    }
    if (intpk && npk == 1) {
        *notnull = 1; /* the rowid alias is never NULL */
    }
    if (pk == 1) {
        *indexed = 1;
        return GDX_OK;
    }
    sql = sqlite3_mprintf("PRAGMA index_list(%Q)", table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        while (!*indexed && sqlite3_step(st) == SQLITE_ROW) {
            const char *idx = (const char *)sqlite3_column_text(st, 1);
            char *q = sqlite3_mprintf("PRAGMA index_info(%Q)", idx ? idx : "");
            if (sqlite3_prepare_v2(c->db, q, -1, &st2, NULL) == SQLITE_OK) {
                while (sqlite3_step(st2) == SQLITE_ROW) {
                    const char *cn = (const char *)sqlite3_column_text(st2, 2);
                    if (sqlite3_column_int(st2, 0) == 0 && cn && strcasecmp(cn, column) == 0) {
                        *indexed = 1;
                    }
                }
                sqlite3_finalize(st2);
            }
            sqlite3_free(q);
        }
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return GDX_OK;
}

static const char *lite_dbms(struct sql_conn *c)
{
    return c->dbms;
}

static int lite_lost(struct sql_conn *c)
{
    return c->lost;
}

const struct sql_backend sql_backend_sqlite = {
    "sqlite",   "sqlite",         lite_connect,  lite_close, lite_ping,   lite_query,
    lite_ncols, lite_col_name,    lite_col_kind, lite_fetch, lite_finish, lite_exec,
    lite_quote, lite_column_info, lite_dbms,     lite_lost,
};

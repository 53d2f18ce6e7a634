/*
 * gdx_audit_verify.c - the auditor's tools: verify, show, report, reconcile and prune.
 *
 * verify works on the bytes on disk, as a third-party verifier would (docs/audit.md): per
 * actor, files are taken in (day, segment) order and each line must carry the right hash,
 * link to its predecessor's hash, and follow its seq by one. A file's first line names its
 * predecessor file and that file's last seq, so a file deleted from the middle or a truncated
 * middle file is named. Checkpoints are checked against the trust file's public keys; an edit
 * followed by recomputing every later hash survives the chain checks but not the signature of
 * the next checkpoint. It stops at the first broken place: after it nothing can be trusted.
 * Lines after the last checkpoint (unsealed) and a torn last line are warnings, not
 * tampering, unless strict.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "gdx_audit.h"
#include "gdx_audit_int.h"
#include "gdx_crypto.h"
#include "gdx_deploy.h"
#include "gdx_kafka.h"
#include "gdx_util.h"

#define KAFKA_TIMEOUT_MS 15000

struct afile {
    char *path;
    const char *base;
    struct audit_name name;
};

struct file_set {
    struct afile *v;
    size_t n, cap;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        abort();
    }
    return p;
}

static void set_add(struct file_set *fs, const char *path, const struct audit_name *n)
{
    struct afile *f;
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 16;
        fs->v = xrealloc(fs->v, fs->cap * sizeof(*fs->v));
    }
    f = &fs->v[fs->n++];
    f->path = gdx_xstrdup(path);
    f->base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
    f->name = *n;
}

static void set_free(struct file_set *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].path);
    }
    free(fs->v);
}

static int afile_cmp(const void *a, const void *b)
{
    const struct afile *x = a, *y = b;
    return gdx_audit_name_cmp(&x->name, &y->name);
}

/* Expand files and directories into audit files sorted by actor, day, segment. */
static int collect(const char *const *paths, size_t npaths, struct file_set *fs, char *errstr,
                   size_t errstr_size)
{
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        struct audit_name n;
        const char *base;
        if (stat(paths[i], &st) != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", paths[i],
                              strerror(errno));
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(paths[i]);
            struct dirent *de;
            if (!d) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", paths[i],
                                  strerror(errno));
            }
            while ((de = readdir(d))) {
                if (gdx_audit_name_parse(de->d_name, &n)) {
                    size_t len = strlen(paths[i]) + strlen(de->d_name) + 2;
                    char *p = malloc(len);
                    if (!p) {
                        abort();
                    }
                    snprintf(p, len, "%s/%s", paths[i], de->d_name);
                    set_add(fs, p, &n);
                    free(p);
                }
            }
            closedir(d);
            continue;
        }
        base = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
        if (!gdx_audit_name_parse(base, &n)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "'%s' is not an audit file name (<actor>-YYYYMMDD[.N].jsonl[.gz])",
                              paths[i]);
        }
        set_add(fs, paths[i], &n);
    }
    if (fs->n) {
        qsort(fs->v, fs->n, sizeof(*fs->v), afile_cmp);
    }
    for (size_t i = 1; i < fs->n; i++) {
        if (!gdx_audit_name_cmp(&fs->v[i - 1].name, &fs->v[i].name)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "'%s' and '%s' are the same audit file", fs->v[i - 1].path,
                              fs->v[i].path);
        }
    }
    if (fs->n == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "no audit files given");
    }
    return GDX_OK;
}

/* Base name without a trailing .gz: what file_open events name. */
static void plain_name(const char *base, char *out, size_t cap)
{
    size_t n = strlen(base);
    if (n > 3 && !strcmp(base + n - 3, ".gz")) {
        n -= 3;
    }
    snprintf(out, cap, "%.*s", (int)n, base);
}

/* ---------------------------------------------------------------------------------------
 * Trust file and external checkpoints
 */

struct trust {
    char **ids;
    struct gdx_sm2_key **keys;
    size_t n;
};

static void trust_free(struct trust *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ids[i]);
        gdx_sm2_key_destroy(t->keys[i]);
    }
    free(t->ids);
    free(t->keys);
}

static int trust_load(const char *path, struct trust *t, char *errstr, size_t errstr_size)
{
    char *buf = NULL, *line, *save = NULL, *dir;
    size_t len;
    int lineno = 0, err = gdx_audit_read_file(path, &buf, &len, errstr, errstr_size);
    if (err) {
        return err;
    }
    dir = gdx_xstrdup(path);
    if (strrchr(dir, '/')) {
        *strrchr(dir, '/') = '\0';
    } else {
        strcpy(dir, ".");
    }
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char id[128], kp[1024], full[2048];
        struct gdx_sm2_key *key = NULL;
        lineno++;
        while (*line == ' ' || *line == '\t') {
            line++;
        }
        if (!*line || *line == '#') {
            continue;
        }
        if (sscanf(line, "%127s %1023s", id, kp) != 2 || !gdx_key_id_valid(id)) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s:%d: expected 'key_id public-key.pem'", path, lineno);
            break;
        }
        snprintf(full, sizeof(full), "%s%s%s", kp[0] == '/' ? "" : dir, kp[0] == '/' ? "" : "/",
                 kp);
        if ((err = gdx_sm2_load_public_file(full, &key, errstr, errstr_size))) {
            break;
        }
        t->ids = xrealloc(t->ids, (t->n + 1) * sizeof(*t->ids));
        t->keys = xrealloc(t->keys, (t->n + 1) * sizeof(*t->keys));
        t->ids[t->n] = gdx_xstrdup(id);
        t->keys[t->n] = key;
        t->n++;
    }
    free(dir);
    free(buf);
    return err;
}

static const struct gdx_sm2_key *trust_find(const struct trust *t, const char *id)
{
    for (size_t i = 0; id && i < t->n; i++) {
        if (!strcmp(t->ids[i], id)) {
            return t->keys[i];
        }
    }
    return NULL;
}

struct ext_cp {
    char actor[AUDIT_ACTOR_MAX + 1];
    uint64_t seq;
    char hash[65];
    char *line;
    int matched;
};

struct ext_set {
    struct ext_cp *v;
    size_t n;
};

/* Keep the newest checkpoint per actor. */
static void ext_offer(struct ext_set *es, const char *line, size_t len)
{
    json_t *j = json_loadb(line, len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *actor = json_string_value(json_object_get(j, "actor"));
    json_int_t seq = json_integer_value(json_object_get(j, "seq"));
    size_t body;
    char hash[65];
    if (type && actor && !strcmp(type, "checkpoint") && seq > 0 &&
        strlen(actor) <= AUDIT_ACTOR_MAX && gdx_audit_line_split(line, len, &body, hash) == 0) {
        struct ext_cp *e = NULL;
        for (size_t i = 0; i < es->n; i++) {
            if (!strcmp(es->v[i].actor, actor)) {
                e = &es->v[i];
            }
        }
        if (!e) {
            es->v = xrealloc(es->v, (es->n + 1) * sizeof(*es->v));
            e = &es->v[es->n++];
            memset(e, 0, sizeof(*e));
            snprintf(e->actor, sizeof(e->actor), "%s", actor);
        }
        if ((uint64_t)seq >= e->seq) {
            e->seq = (uint64_t)seq;
            memcpy(e->hash, hash, sizeof(hash));
            free(e->line);
            e->line = malloc(len + 1);
            if (!e->line) {
                abort();
            }
            memcpy(e->line, line, len);
            e->line[len] = '\0';
        }
    }
    json_decref(j);
}

static void ext_free(struct ext_set *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->v[i].line);
    }
    free(es->v);
}

static int ext_from_text(struct ext_set *es, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        ext_offer(es, p, l);
        p += l + 1;
    }
    return GDX_OK;
}

static int ext_from_kafka(struct ext_set *es, const char *bootstrap, const char *topic,
                          char *errstr, size_t errstr_size)
{
    struct gdx_kafka_conf kc;
    rd_kafka_t *rk = NULL;
    int32_t cnt = 0;
    int err = gdx_deploy_kafka_conf(&kc, bootstrap, errstr, errstr_size);
    if (err) {
        return err;
    }
    rk = gdx_kafka_consumer_new(&kc, "gdx-audit-verify", errstr, errstr_size);
    gdx_kafka_conf_release(&kc);
    if (!rk) {
        return GDX_ERR_KAFKA;
    }
    err = gdx_kafka_partition_count(rk, topic, KAFKA_TIMEOUT_MS, &cnt, errstr, errstr_size);
    for (int32_t p = 0; !err && p < cnt; p++) {
        rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
        int64_t lo = 0, hi = 0, last = -1;
        rd_kafka_resp_err_t kerr =
            rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, KAFKA_TIMEOUT_MS);
        if (kerr) {
            rd_kafka_topic_partition_list_destroy(tl);
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot read '%s' [%d]: %s", topic,
                             (int)p, rd_kafka_err2str(kerr));
            break;
        }
        if (hi <= lo) {
            rd_kafka_topic_partition_list_destroy(tl);
            continue;
        }
        rd_kafka_topic_partition_list_add(tl, topic, p)->offset = lo;
        rd_kafka_assign(rk, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        for (int idle = 0; last < hi - 1 && idle < KAFKA_TIMEOUT_MS / 100;) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            if (!m) {
                idle++;
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rd_kafka_message_destroy(m);
                break;
            }
            if (!m->err) {
                idle = 0;
                last = m->offset;
                ext_offer(es, m->payload, m->len);
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(rk, NULL);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * verify
 */

struct chain {
    const char *actor;
    int have_prev;
    uint64_t seq, sealed;
    char prev[65];
    char prev_file[256];
    /* torn tail of the previous file */
    size_t torn_len;
    char torn_sm3[65];
    /* first unsealed line */
    char unsealed_file[256];
    long unsealed_line;
    uint64_t unsealed_seq;
    char last_file[256];
    long last_line;
};

struct vstate {
    const struct trust *trust;
    int have_trust;
    struct ext_set *ext;
    FILE *out;
    uint64_t lines, checkpoints, unchecked;
    uint64_t gap_want;   /* a seq gap: the seq that was expected */
    struct gdx_sm3 *sm3; /* reused for every line */
    char fail[1024];
};

#define VFAIL(vs, ...) (snprintf((vs)->fail, sizeof((vs)->fail), __VA_ARGS__), GDX_ERR_FAIL)

static int check_sig(struct vstate *vs, const char *file, long lineno, const char *line,
                     size_t body_len, json_t *j)
{
    static const char pre[] = ",\"sig\":\"";
    const char *key_id = json_string_value(json_object_get(j, "key_id"));
    const char *p = NULL, *q;
    const struct gdx_sm2_key *key;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    char *msg, err[512];
    int rc;

    for (q = line; (q = memmem(q, body_len - (size_t)(q - line), pre, sizeof(pre) - 1)); q++) {
        p = q;
    }
    if (!p) {
        return VFAIL(vs, "%s:%ld: checkpoint without a signature", file, lineno);
    }
    q = p + sizeof(pre) - 1;
    {
        const char *e = memchr(q, '"', body_len - (size_t)(q - line));
        if (!e || gdx_base64_decode(q, (size_t)(e - q), 0, &sig, &siglen) != GDX_OK) {
            return VFAIL(vs, "%s:%ld: checkpoint signature is not base64 (signature replaced)",
                         file, lineno);
        }
    }
    if (!vs->have_trust) {
        vs->unchecked++;
        free(sig);
        return GDX_OK;
    }
    key = trust_find(vs->trust, key_id);
    if (!key) {
        free(sig);
        return VFAIL(vs,
                     "%s:%ld: checkpoint signed with key '%s', which is not in the trust file "
                     "(foreign key)",
                     file, lineno, key_id ? key_id : "");
    }
    msg = malloc((size_t)(p - line) + 1);
    if (!msg) {
        abort();
    }
    memcpy(msg, line, (size_t)(p - line));
    msg[p - line] = '}';
    rc = gdx_sm2_verify(key, msg, (size_t)(p - line) + 1, sig, siglen, err, sizeof(err));
    free(msg);
    free(sig);
    if (rc != GDX_OK) {
        return VFAIL(vs,
                     "%s:%ld: bad checkpoint signature (the checkpoint, or a line it seals, was "
                     "rewritten and re-hashed, or the signature was replaced)",
                     file, lineno);
    }
    return GDX_OK;
}

static struct ext_cp *ext_find(struct ext_set *es, const char *actor)
{
    for (size_t i = 0; es && i < es->n; i++) {
        if (!strcmp(es->v[i].actor, actor)) {
            return &es->v[i];
        }
    }
    return NULL;
}

static int verify_line(struct vstate *vs, struct chain *c, const struct afile *f, long lineno,
                       const char *line, size_t len)
{
    size_t body;
    char hash[65], calc[65], err[256];
    json_t *j;
    json_int_t seq;
    const char *type, *prev, *actor;
    int first_of_file = lineno == 1, rc = GDX_OK;

    if (gdx_audit_line_split(line, len, &body, hash) != 0) {
        return VFAIL(vs, "%s:%ld: no valid hash member (line edited or damaged)", f->base, lineno);
    }
    if (gdx_audit_line_hash(vs->sm3, line, body, calc, err, sizeof(err)) != GDX_OK) {
        return VFAIL(vs, "%s:%ld: cannot hash: %s", f->base, lineno, err);
    }
    if (strcmp(calc, hash) != 0) {
        return VFAIL(vs, "%s:%ld: hash mismatch (line edited)", f->base, lineno);
    }
    j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return VFAIL(vs, "%s:%ld: not a JSON object", f->base, lineno);
    }
    seq = json_integer_value(json_object_get(j, "seq"));
    type = json_string_value(json_object_get(j, "type"));
    prev = json_string_value(json_object_get(j, "prev"));
    actor = json_string_value(json_object_get(j, "actor"));
    if (seq <= 0 || !type || !prev || !actor) {
        rc = VFAIL(vs, "%s:%ld: seq, type, prev or actor missing", f->base, lineno);
        goto out;
    }
    if (strcmp(actor, c->actor) != 0) {
        rc = VFAIL(vs, "%s:%ld: line of actor '%s' in a file of '%s' (lines moved between logs)",
                   f->base, lineno, actor, c->actor);
        goto out;
    }
    if (first_of_file) {
        const char *pf = json_string_value(json_object_get(j, "previous"));
        json_int_t pls = json_integer_value(json_object_get(j, "previous_last_seq"));
        int opener = !strcmp(type, "file_open") || !strcmp(type, "recovered_tail");
        if (!opener) {
            rc = VFAIL(vs, "%s:1: first line is '%s', not file_open (start of file removed)",
                       f->base, type);
            goto out;
        }
        if (c->have_prev) {
            if (!pf || strcmp(pf, c->prev_file) != 0) {
                rc = VFAIL(vs,
                           "%s:1: predecessor '%s' is missing (file deleted from the middle; "
                           "found '%s' before it)",
                           f->base, pf ? pf : "(none)", c->prev_file);
                goto out;
            }
            if ((uint64_t)pls != c->seq) {
                rc = VFAIL(vs,
                           "%s:1: predecessor '%s' should end at seq %" PRId64
                           " but ends at %" PRIu64 " (its tail was truncated or extended)",
                           f->base, pf, (int64_t)pls, c->seq);
                goto out;
            }
            if (!strcmp(type, "recovered_tail")) {
                json_int_t tb = json_integer_value(json_object_get(j, "torn_bytes"));
                const char *ts = json_string_value(json_object_get(j, "torn_sm3"));
                if (c->torn_len != (size_t)tb || !ts || strcmp(ts, c->torn_sm3) != 0) {
                    rc = VFAIL(vs,
                               "%s:1: the torn tail it records (%" PRId64
                               " bytes) does not match the end of '%s' (%zu bytes)",
                               f->base, (int64_t)tb, c->prev_file, c->torn_len);
                    goto out;
                }
            } else if (c->torn_len) {
                rc = VFAIL(vs,
                           "%s: ends with %zu bytes of an incomplete line that '%s' does "
                           "not record (bytes appended or a line cut)",
                           c->prev_file, c->torn_len, f->base);
                goto out;
            }
        } else if (pf && seq > 1) {
            fprintf(vs->out,
                    "note: chain of '%s' starts at %s seq %" PRId64
                    " (predecessor '%s' not given)\n",
                    c->actor, f->base, (int64_t)seq, pf);
        }
    }
    if (c->have_prev || seq == 1) {
        uint64_t want = c->have_prev ? c->seq + 1 : 1;
        const char *want_prev = c->have_prev ? c->prev : GDX_AUDIT_ZERO_HASH;
        if ((uint64_t)seq > want) {
            vs->gap_want = want;
            rc = VFAIL(vs,
                       "%s:%ld: seq %" PRId64 " follows %" PRIu64 " (%" PRIu64 " line(s) deleted)",
                       f->base, lineno, (int64_t)seq, want - 1, (uint64_t)seq - want);
            goto out;
        }
        if ((uint64_t)seq < want) {
            rc = VFAIL(
                vs, "%s:%ld: seq %" PRId64 " follows %" PRIu64 " (lines reordered or duplicated)",
                f->base, lineno, (int64_t)seq, want - 1);
            goto out;
        }
        if (strcmp(prev, want_prev) != 0) {
            rc = VFAIL(vs,
                       "%s:%ld: prev does not match the hash of the line before (a line was "
                       "replaced or the chain re-hashed)",
                       f->base, lineno);
            goto out;
        }
    }
    if (!strcmp(type, "checkpoint")) {
        json_t *cov = json_object_get(j, "covers");
        const char *chain = json_string_value(json_object_get(j, "chain"));
        json_int_t last = json_integer_value(json_array_get(cov, 1));
        if (!chain || strcmp(chain, prev) != 0 || last != seq - 1) {
            rc = VFAIL(vs, "%s:%ld: checkpoint does not seal the line before it", f->base, lineno);
            goto out;
        }
        if ((rc = check_sig(vs, f->base, lineno, line, body, j))) {
            goto out;
        }
        vs->checkpoints++;
        c->sealed = (uint64_t)seq;
    }
    {
        struct ext_cp *e = ext_find(vs->ext, c->actor);
        if (e && e->seq == (uint64_t)seq) {
            if (strcmp(e->hash, hash) != 0) {
                rc = VFAIL(vs,
                           "%s:%ld: differs from the external checkpoint seq %" PRIu64
                           " (log rewritten)",
                           f->base, lineno, e->seq);
                goto out;
            }
            e->matched = 1;
        }
    }
    if (c->sealed < (uint64_t)seq && (c->unsealed_seq <= c->sealed)) {
        c->unsealed_seq = (uint64_t)seq;
        snprintf(c->unsealed_file, sizeof(c->unsealed_file), "%s", f->base);
        c->unsealed_line = lineno;
    }
    c->have_prev = 1;
    c->seq = (uint64_t)seq;
    memcpy(c->prev, hash, sizeof(c->prev));
    snprintf(c->last_file, sizeof(c->last_file), "%s", f->base);
    c->last_line = lineno;
    vs->lines++;
out:
    json_decref(j);
    return rc;
}

/* A seq gap whose missing line appears later in the file is a reordering, not a deletion. */
static void reorder_hint(struct vstate *vs, const struct afile *f, long lineno, const char *p,
                         const char *end)
{
    char pat[40];
    long k = lineno;
    int n = snprintf(pat, sizeof(pat), "\"seq\":%" PRIu64 ",", vs->gap_want);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            break;
        }
        k++;
        if (memmem(p, (size_t)(nl - p), pat, (size_t)n)) {
            snprintf(vs->fail, sizeof(vs->fail),
                     "%s:%ld: seq %" PRIu64 " is at line %ld (lines reordered)", f->base, lineno,
                     vs->gap_want, k);
            return;
        }
        p = nl + 1;
    }
}

/* Verify the external checkpoint lines themselves (hash and signature). */
static int verify_ext(struct vstate *vs)
{
    for (size_t i = 0; vs->ext && i < vs->ext->n; i++) {
        struct ext_cp *e = &vs->ext->v[i];
        size_t len = strlen(e->line), body;
        char hash[65], calc[65], err[256];
        json_t *j;
        int rc;
        if (gdx_audit_line_split(e->line, len, &body, hash) != 0 ||
            gdx_audit_line_hash(NULL, e->line, body, calc, err, sizeof(err)) != GDX_OK ||
            strcmp(calc, hash) != 0) {
            return VFAIL(vs, "external checkpoint of '%s' is damaged", e->actor);
        }
        j = json_loadb(e->line, len, 0, NULL);
        rc = check_sig(vs, "external checkpoint", 1, e->line, body, j);
        json_decref(j);
        if (rc) {
            return rc;
        }
    }
    return GDX_OK;
}

int gdx_audit_verify(const char *const *paths, size_t npaths,
                     const struct gdx_audit_verify_opts *opts, FILE *out, char *errstr,
                     size_t errstr_size)
{
    struct gdx_audit_verify_opts def = {0};
    struct file_set fs = {0};
    struct trust trust = {0};
    struct ext_set ext = {0};
    struct vstate vs;
    struct chain c;
    int err, warnings = 0;
    size_t i = 0;
    char *buf = NULL;

    if (!opts) {
        opts = &def;
    }
    memset(&vs, 0, sizeof(vs));
    vs.trust = &trust;
    vs.out = out;
    vs.ext = &ext;
    vs.sm3 = gdx_sm3_new(errstr, errstr_size);
    if (!vs.sm3) {
        return GDX_ERR_CRYPTO;
    }
    if ((err = collect(paths, npaths, &fs, errstr, errstr_size))) {
        goto done;
    }
    if (opts->trust) {
        if ((err = trust_load(opts->trust, &trust, errstr, errstr_size))) {
            goto done;
        }
        vs.have_trust = 1;
    }
    if (opts->checkpoint) {
        if (opts->checkpoint[0] == '{') {
            ext_from_text(&ext, opts->checkpoint, strlen(opts->checkpoint));
        } else {
            size_t len;
            if ((err = gdx_audit_read_file(opts->checkpoint, &buf, &len, errstr, errstr_size))) {
                goto done;
            }
            ext_from_text(&ext, buf, len);
            free(buf);
            buf = NULL;
        }
        if (ext.n == 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "no checkpoint line in '%.64s'",
                             opts->checkpoint);
            goto done;
        }
    }
    if (opts->kafka &&
        (err = ext_from_kafka(&ext, opts->kafka, opts->topic ? opts->topic : "_gdx.audit", errstr,
                              errstr_size))) {
        goto done;
    }
    if ((err = verify_ext(&vs))) {
        goto fail;
    }
    while (i < fs.n) {
        /* one actor's chain: files fs.v[i..k) */
        memset(&c, 0, sizeof(c));
        c.actor = fs.v[i].name.actor;
        for (; i < fs.n && !strcmp(fs.v[i].name.actor, c.actor); i++) {
            const struct afile *f = &fs.v[i];
            size_t len, torn;
            const char *p, *end;
            char torn_sm3[65] = "";
            long lineno = 0;
            if ((err = gdx_audit_read_file(f->path, &buf, &len, errstr, errstr_size))) {
                goto done;
            }
            p = buf;
            end = buf + len;
            if (len == 0) {
                /* a crash right after creating it; the writer skips it, and a file emptied
                 * later is caught by its successor naming it */
                fprintf(out, "note: %s is empty, skipped\n", f->base);
                free(buf);
                buf = NULL;
                continue;
            }
            torn = 0;
            while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl) {
                    torn = (size_t)(end - p);
                    gdx_sm3_hex(p, torn, torn_sm3, errstr, errstr_size);
                    break;
                }
                lineno++;
                if ((err = verify_line(&vs, &c, f, lineno, p, (size_t)(nl - p)))) {
                    if (vs.gap_want) {
                        reorder_hint(&vs, f, lineno, nl + 1, end);
                    }
                    goto fail;
                }
                p = nl + 1;
            }
            free(buf);
            buf = NULL;
            /* the successor's first line is checked against these */
            c.torn_len = torn;
            memcpy(c.torn_sm3, torn_sm3, sizeof(torn_sm3));
            plain_name(f->base, c.prev_file, sizeof(c.prev_file));
        }
        {
            struct ext_cp *e = ext_find(&ext, c.actor);
            if (e && !e->matched) {
                err = VFAIL(&vs,
                            "%s:%ld: log of '%s' ends at seq %" PRIu64
                            " but checkpoint seq %" PRIu64 " exists (tail truncated)",
                            c.last_file, c.last_line, c.actor, c.seq, e->seq);
                goto fail;
            }
        }
        if (c.torn_len) {
            fprintf(out,
                    "%s: %s ends with an incomplete line of %zu bytes after seq %" PRIu64
                    " (crash during a write?)\n",
                    opts->strict ? "FAIL" : "WARNING", c.prev_file, c.torn_len, c.seq);
            warnings++;
        }
        if (c.seq > c.sealed) {
            fprintf(out,
                    "%s: unsealed tail from %s:%ld (seq %" PRIu64 "-%" PRIu64 ", %" PRIu64
                    " lines) after the last checkpoint of '%s'\n",
                    opts->strict ? "FAIL" : "WARNING", c.unsealed_file, c.unsealed_line,
                    c.unsealed_seq, c.seq, c.seq - c.unsealed_seq + 1, c.actor);
            warnings++;
        }
    }
    for (size_t k = 0; k < ext.n; k++) {
        int seen = 0;
        for (size_t m = 0; m < fs.n; m++) {
            seen |= !strcmp(fs.v[m].name.actor, ext.v[k].actor);
        }
        if (!seen) {
            fprintf(out, "WARNING: checkpoint of '%s' given but none of its files\n",
                    ext.v[k].actor);
        }
    }
    if (!vs.have_trust) {
        fprintf(out, "WARNING: %" PRIu64 " checkpoint signatures not checked (no --trust file)\n",
                vs.unchecked);
    }
    /* strict: the warnings above are failures, so the verdict is not OK */
    fprintf(out, "%s: %" PRIu64 " lines, %" PRIu64 " checkpoints, %zu files:",
            opts->strict && warnings ? "FAIL (strict)" : "OK", vs.lines, vs.checkpoints, fs.n);
    for (size_t k = 0; k < fs.n; k++) {
        fprintf(out, " %s", fs.v[k].base);
    }
    fprintf(out, "\n");
    err = (opts->strict && warnings) ? GDX_ERR_FAIL : GDX_OK;
    if (err) {
        gdx_seterr(errstr, errstr_size, err, "unsealed or torn tail (strict)");
    }
    goto done;
fail:
    if (err == GDX_ERR_FAIL) {
        fprintf(out, "FAIL: %s\n", vs.fail);
        gdx_seterr(errstr, errstr_size, err, "%s", vs.fail);
    }
done:
    gdx_sm3_destroy(vs.sm3);
    free(buf);
    set_free(&fs);
    trust_free(&trust);
    ext_free(&ext);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * Reading events (show, report, reconcile)
 */

typedef int (*event_cb)(json_t *ev, const struct afile *f, long lineno, void *opaque);

static int each_event(const char *const *paths, size_t npaths, event_cb cb, void *opaque,
                      char *errstr, size_t errstr_size)
{
    struct file_set fs = {0};
    int err = collect(paths, npaths, &fs, errstr, errstr_size);
    for (size_t i = 0; !err && i < fs.n; i++) {
        char *buf = NULL;
        size_t len;
        long lineno = 0;
        const char *p, *end;
        if ((err = gdx_audit_read_file(fs.v[i].path, &buf, &len, errstr, errstr_size))) {
            break;
        }
        for (p = buf, end = buf + len; !err && p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            json_t *j;
            if (!nl) {
                break; /* torn tail */
            }
            lineno++;
            j = json_loadb(p, (size_t)(nl - p), 0, NULL);
            if (json_is_object(j)) {
                err = cb(j, &fs.v[i], lineno, opaque);
            }
            json_decref(j);
            p = nl + 1;
        }
        free(buf);
    }
    set_free(&fs);
    return err;
}

static const char *jstr(json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s ? s : "";
}

/* unit and system from the event's connector id (else its actor): <unit>.<system> */
static void unit_system(json_t *ev, char *unit, size_t ucap, char *system, size_t scap)
{
    const char *id = jstr(ev, "connector");
    const char *dot;
    if (!*id) {
        id = jstr(ev, "actor");
    }
    dot = strchr(id, '.');
    if (dot) {
        snprintf(unit, ucap, "%.*s", (int)(dot - id), id);
        snprintf(system, scap, "%s", dot + 1);
    } else {
        snprintf(unit, ucap, "%s", id);
        snprintf(system, scap, "%s", "");
    }
}

struct show_ctx {
    const struct gdx_audit_filter *flt;
    int64_t since, until;
    FILE *out;
    size_t shown;
};

static int show_cb(json_t *ev, const struct afile *f, long lineno, void *opaque)
{
    struct show_ctx *sc = opaque;
    char unit[160], system[160];
    int64_t ts;
    (void)f;
    (void)lineno;
    unit_system(ev, unit, sizeof(unit), system, sizeof(system));
    if ((sc->flt->unit && strcmp(sc->flt->unit, unit)) ||
        (sc->flt->system && strcmp(sc->flt->system, system)) ||
        (sc->flt->type && strcmp(sc->flt->type, jstr(ev, "type")))) {
        return GDX_OK;
    }
    if ((sc->flt->since || sc->flt->until) && gdx_audit_parse_time(jstr(ev, "ts"), &ts) == 0) {
        if ((sc->flt->since && ts < sc->since) || (sc->flt->until && ts >= sc->until)) {
            return GDX_OK;
        }
    }
    sc->shown++;
    if (sc->flt->json) {
        char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(sc->out, "%s\n", s);
        free(s);
        return GDX_OK;
    }
    {
        const char *key;
        json_t *v;
        static const char *const skip[] = {"seq",  "ts",   "ts_local", "host", "actor",
                                           "type", "prev", "hash",     "sig",  "chain"};
        fprintf(sc->out, "%-23.23s  %-28s %8" PRId64 "  %-16s ", jstr(ev, "ts_local"),
                jstr(ev, "actor"), (int64_t)json_integer_value(json_object_get(ev, "seq")),
                jstr(ev, "type"));
        json_object_foreach(ev, key, v)
        {
            size_t k;
            char *s;
            for (k = 0; k < sizeof(skip) / sizeof(skip[0]) && strcmp(key, skip[k]); k++) {
            }
            if (k < sizeof(skip) / sizeof(skip[0])) {
                continue;
            }
            if (json_is_string(v)) {
                fprintf(sc->out, " %s=%s", key, json_string_value(v));
                continue;
            }
            s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
            fprintf(sc->out, " %s=%s", key, s ? s : "?");
            free(s);
        }
        fprintf(sc->out, "\n");
    }
    return GDX_OK;
}

int gdx_audit_show(const char *const *paths, size_t npaths, const struct gdx_audit_filter *filter,
                   FILE *out, char *errstr, size_t errstr_size)
{
    struct show_ctx sc = {filter, 0, 0, out, 0};
    if ((filter->since && gdx_audit_parse_time(filter->since, &sc.since) != 0) ||
        (filter->until && gdx_audit_parse_time(filter->until, &sc.until) != 0)) {
        return gdx_seterr(
            errstr, errstr_size, GDX_ERR_USAGE, "bad time '%s' (RFC 3339 or YYYY-MM-DD)",
            filter->since && gdx_audit_parse_time(filter->since, &sc.since) ? filter->since
                                                                            : filter->until);
    }
    if (!filter->json) {
        fprintf(out, "%-23s  %-28s %8s  %-16s  %s\n", "TIME (+08:00)", "ACTOR", "SEQ", "TYPE",
                "DETAILS");
    }
    return each_event(paths, npaths, show_cb, &sc, errstr, errstr_size);
}

/* ---------------------------------------------------------------------------------------
 * report
 */

struct rrow {
    char day[11], unit[128], system[128];
    uint64_t batches, records, dead, uplinked;
};

struct report_ctx {
    struct rrow *v;
    size_t n;
};

static int rrow_cmp(const void *a, const void *b)
{
    const struct rrow *x = a, *y = b;
    int c = strcmp(x->day, y->day);
    if (!c) {
        c = strcmp(x->unit, y->unit);
    }
    return c ? c : strcmp(x->system, y->system);
}

static int report_cb(json_t *ev, const struct afile *f, long lineno, void *opaque)
{
    struct report_ctx *rc = opaque;
    const char *type = jstr(ev, "type");
    struct rrow key, *r = NULL;
    int batch = !strcmp(type, "batch_committed"), up = !strcmp(type, "uplink_batch");
    (void)f;
    (void)lineno;
    if (!batch && !up) {
        return GDX_OK;
    }
    memset(&key, 0, sizeof(key));
    snprintf(key.day, sizeof(key.day), "%.10s", jstr(ev, "ts_local"));
    unit_system(ev, key.unit, sizeof(key.unit), key.system, sizeof(key.system));
    for (size_t i = 0; i < rc->n; i++) {
        if (!rrow_cmp(&rc->v[i], &key)) {
            r = &rc->v[i];
        }
    }
    if (!r) {
        rc->v = xrealloc(rc->v, (rc->n + 1) * sizeof(*rc->v));
        r = &rc->v[rc->n++];
        *r = key;
    }
    if (batch) {
        r->batches++;
        r->records += (uint64_t)json_integer_value(json_object_get(ev, "records"));
        r->dead += (uint64_t)json_integer_value(json_object_get(ev, "dead"));
    } else {
        r->uplinked += (uint64_t)json_integer_value(json_object_get(ev, "records"));
    }
    return GDX_OK;
}

int gdx_audit_report(const char *const *paths, size_t npaths, const char *format, FILE *out,
                     char *errstr, size_t errstr_size)
{
    struct report_ctx rc = {0};
    int md = format && !strcmp(format, "md");
    int err;
    if (format && !md && strcmp(format, "csv")) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "unknown format '%s' (csv, md)",
                          format);
    }
    err = each_event(paths, npaths, report_cb, &rc, errstr, errstr_size);
    if (!err) {
        if (rc.n) {
            qsort(rc.v, rc.n, sizeof(*rc.v), rrow_cmp);
        }
        fprintf(out, md ? "| day | unit | system | batches | records in | dead letters | "
                          "uplinked |\n|---|---|---|---:|---:|---:|---:|\n"
                        : "day,unit,system,batches,records_in,dead_letters,uplinked\n");
        for (size_t i = 0; i < rc.n; i++) {
            const struct rrow *r = &rc.v[i];
            fprintf(out,
                    md ? "| %s | %s | %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
                         " |\n"
                       : "%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                    r->day, r->unit, r->system, r->batches, r->records, r->dead, r->uplinked);
        }
    }
    free(rc.v);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * reconcile
 */

struct rrange {
    char *topic, *batch, *sm3, *where;
    int32_t partition;
    int64_t first, last;
    uint64_t count;
    /* found */
    uint64_t got, foreign;
    int64_t foreign_at;
    struct gdx_sm3 *md;
};

struct recon_ctx {
    struct rrange *v;
    size_t n;
    char *errstr;
    size_t errstr_size;
};

static int recon_cb(json_t *ev, const struct afile *f, long lineno, void *opaque)
{
    struct recon_ctx *rc = opaque;
    json_t *ranges, *r;
    size_t i;
    char where[300];
    if (strcmp(jstr(ev, "type"), "batch_committed") != 0) {
        return GDX_OK;
    }
    snprintf(where, sizeof(where), "%s:%ld", f->base, lineno);
    ranges = json_object_get(ev, "ranges");
    json_array_foreach(ranges, i, r)
    {
        struct rrange *x;
        const char *topic = json_string_value(json_object_get(r, "topic"));
        const char *sm3 = json_string_value(json_object_get(r, "sm3"));
        if (!topic || !sm3) {
            return gdx_seterr(rc->errstr, rc->errstr_size, GDX_ERR_PARSE,
                              "%s: range without topic or sm3", where);
        }
        rc->v = xrealloc(rc->v, (rc->n + 1) * sizeof(*rc->v));
        x = &rc->v[rc->n++];
        memset(x, 0, sizeof(*x));
        x->topic = gdx_xstrdup(topic);
        x->batch = gdx_xstrdup(jstr(ev, "batch"));
        x->sm3 = gdx_xstrdup(sm3);
        x->where = gdx_xstrdup(where);
        x->partition = (int32_t)json_integer_value(json_object_get(r, "partition"));
        x->first = json_integer_value(json_object_get(r, "first"));
        x->last = json_integer_value(json_object_get(r, "last"));
        x->count = (uint64_t)json_integer_value(json_object_get(r, "count"));
    }
    return GDX_OK;
}

static int rrange_cmp(const void *a, const void *b)
{
    const struct rrange *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) {
        return c;
    }
    if (x->partition != y->partition) {
        return x->partition < y->partition ? -1 : 1;
    }
    return (x->first > y->first) - (x->first < y->first);
}

/* Consume one topic-partition over the audited ranges v[0..n). */
static int recon_tp(rd_kafka_t *rk, struct rrange *v, size_t n, FILE *out, uint64_t *fails,
                    uint64_t *retained, char *errstr, size_t errstr_size)
{
    const char *topic = v[0].topic;
    int32_t part = v[0].partition;
    int64_t lo = 0, hi = 0, start, last_seen = -1;
    size_t cur = 0;
    rd_kafka_resp_err_t kerr =
        rd_kafka_query_watermark_offsets(rk, topic, part, &lo, &hi, KAFKA_TIMEOUT_MS);
    char err[256];
    if (kerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot read '%s' [%d]: %s", topic,
                          (int)part, rd_kafka_err2str(kerr));
    }
    for (size_t i = 0; i < n; i++) {
        v[i].md = gdx_sm3_new(err, sizeof(err));
    }
    start = v[0].first > lo ? v[0].first : lo;
    if (start < hi) {
        rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tl, topic, part)->offset = start;
        rd_kafka_assign(rk, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        for (int idle = 0; last_seen < hi - 1 && idle < KAFKA_TIMEOUT_MS / 100;) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            rd_kafka_headers_t *hdrs = NULL;
            const void *hv = NULL;
            size_t hl = 0;
            char bid[128] = "";
            if (!m) {
                idle++;
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rd_kafka_message_destroy(m);
                break;
            }
            if (m->err) {
                rd_kafka_message_destroy(m);
                continue;
            }
            idle = 0;
            last_seen = m->offset;
            if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                rd_kafka_header_get_last(hdrs, "gdx.batch", &hv, &hl) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR &&
                hv) {
                snprintf(bid, sizeof(bid), "%.*s", (int)(hl < 127 ? hl : 127), (const char *)hv);
            }
            while (cur < n && v[cur].last < m->offset) {
                cur++;
            }
            if (cur < n && v[cur].first <= m->offset) {
                struct rrange *r = &v[cur];
                if (!strcmp(bid, r->batch)) {
                    r->got++;
                    if (r->md) {
                        gdx_audit_digest_add(r->md, m->payload, m->len, err, sizeof(err));
                    }
                } else if (r->foreign++ == 0) {
                    r->foreign_at = m->offset;
                }
            } else {
                fprintf(out,
                        "FAIL: %s [%d] offset %" PRId64
                        ": record not covered by any audited batch (gdx.batch '%s'): "
                        "written outside the audited batches\n",
                        topic, (int)part, m->offset, bid[0] ? bid : "(none)");
                (*fails)++;
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(rk, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        struct rrange *r = &v[i];
        unsigned char md[GDX_SM3_LEN];
        char hex[65] = "";
        if (r->md && gdx_sm3_final(r->md, md, err, sizeof(err)) == GDX_OK) {
            gdx_hex_encode(md, sizeof(md), hex);
        }
        if (r->first < lo) {
            fprintf(out,
                    "past retention: batch %s %s [%d] %" PRId64 "-%" PRId64
                    " (%slow watermark %" PRId64 ", %s)\n",
                    r->batch, topic, (int)part, r->first, r->last,
                    r->last >= lo ? "partly deleted, " : "", lo, r->where);
            (*retained)++;
        } else if (r->first >= hi) {
            fprintf(out,
                    "FAIL: batch %s %s [%d] %" PRId64 "-%" PRId64 ": records missing, the "
                    "partition ends at %" PRId64 " (%s)\n",
                    r->batch, topic, (int)part, r->first, r->last, hi, r->where);
            (*fails)++;
        } else if (r->got != r->count || strcmp(hex, r->sm3) != 0 || r->foreign) {
            fprintf(out,
                    "FAIL: batch %s %s [%d] %" PRId64 "-%" PRId64 ": audited %" PRIu64
                    " records, found %" PRIu64 " of this batch%s",
                    r->batch, topic, (int)part, r->first, r->last, r->count, r->got,
                    r->got == r->count && strcmp(hex, r->sm3) ? ", SM3 digest differs" : "");
            if (r->foreign) {
                fprintf(out, " and %" PRIu64 " of another batch from offset %" PRId64, r->foreign,
                        r->foreign_at);
            }
            fprintf(out, " (%s)\n", r->where);
            (*fails)++;
        } else {
            fprintf(out, "ok: batch %s %s [%d] %" PRId64 "-%" PRId64 ": %" PRIu64 " records\n",
                    r->batch, topic, (int)part, r->first, r->last, r->count);
        }
    }
    return GDX_OK;
}

int gdx_audit_reconcile(const char *const *paths, size_t npaths, const char *bootstrap, FILE *out,
                        char *errstr, size_t errstr_size)
{
    struct recon_ctx rc = {NULL, 0, errstr, errstr_size};
    struct gdx_kafka_conf kc;
    rd_kafka_t *rk = NULL;
    uint64_t fails = 0, retained = 0;
    int err = each_event(paths, npaths, recon_cb, &rc, errstr, errstr_size);
    size_t i = 0;

    if (!err && !(err = gdx_deploy_kafka_conf(&kc, bootstrap, errstr, errstr_size))) {
        rk = gdx_kafka_consumer_new(&kc, "gdx-audit-reconcile", errstr, errstr_size);
        gdx_kafka_conf_release(&kc);
        if (!rk) {
            err = GDX_ERR_KAFKA;
        }
    }
    if (!err) {
        if (rc.n) {
            qsort(rc.v, rc.n, sizeof(*rc.v), rrange_cmp);
        }
        for (size_t k = 1; k < rc.n; k++) {
            if (!strcmp(rc.v[k].topic, rc.v[k - 1].topic) &&
                rc.v[k].partition == rc.v[k - 1].partition && rc.v[k].first <= rc.v[k - 1].last) {
                fprintf(out, "FAIL: batches %s (%s) and %s (%s) claim overlapping offsets\n",
                        rc.v[k - 1].batch, rc.v[k - 1].where, rc.v[k].batch, rc.v[k].where);
                fails++;
            }
        }
    }
    while (!err && i < rc.n) {
        size_t j = i + 1;
        while (j < rc.n && !strcmp(rc.v[j].topic, rc.v[i].topic) &&
               rc.v[j].partition == rc.v[i].partition) {
            j++;
        }
        err = recon_tp(rk, rc.v + i, j - i, out, &fails, &retained, errstr, errstr_size);
        i = j;
    }
    if (!err) {
        fprintf(out, "%s: %zu ranges audited, %" PRIu64 " past retention, %" PRIu64 " problems\n",
                fails ? "FAIL" : "OK", rc.n, retained, fails);
        if (fails) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "%" PRIu64 " reconciliation problems", fails);
        }
    }
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    for (size_t k = 0; k < rc.n; k++) {
        free(rc.v[k].topic);
        free(rc.v[k].batch);
        free(rc.v[k].sm3);
        free(rc.v[k].where);
        gdx_sm3_destroy(rc.v[k].md);
    }
    free(rc.v);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * prune
 */

int gdx_audit_prune(const char *dir, long days, int64_t now_ms, int dry_run, FILE *out,
                    char *errstr, size_t errstr_size)
{
    struct file_set fs = {0};
    const char *paths[1] = {dir};
    int cutoff, err;
    if (days < GDX_AUDIT_RETENTION_MIN_DAYS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "audit retention of %ld days is below the legal minimum of %d days "
                          "(Cybersecurity Law: network logs are kept at least six months)",
                          days, GDX_AUDIT_RETENTION_MIN_DAYS);
    }
    cutoff = gdx_audit_day(now_ms - (int64_t)days * 86400000);
    if ((err = collect(paths, 1, &fs, errstr, errstr_size))) {
        set_free(&fs);
        return err;
    }
    for (size_t i = 0; i < fs.n; i++) {
        int newest = i + 1 == fs.n || strcmp(fs.v[i + 1].name.actor, fs.v[i].name.actor);
        if (newest || fs.v[i].name.day >= cutoff) {
            continue;
        }
        fprintf(out, "%s %s\n", dry_run ? "would delete" : "deleted", fs.v[i].path);
        if (!dry_run && unlink(fs.v[i].path) != 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot delete '%s': %s",
                             fs.v[i].path, strerror(errno));
            break;
        }
    }
    set_free(&fs);
    return err;
}

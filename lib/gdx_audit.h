/*
 * gdx_audit.h - the tamper-evident audit trail: writer, event helpers and the auditor's
 * tools (verify, show, report, reconcile). The format is specified in docs/audit.md.
 *
 * One process (actor) appends JSON Lines to `<dir>/<actor>-YYYYMMDD[.N].jsonl`. Every line
 * carries seq, ts (UTC), ts_local (+08:00), host, actor, type, prev (the previous line's
 * hash) and hash (SM3 over the line's bytes without the hash member). Checkpoint lines,
 * written every N lines or T seconds and at close, are signed with SM2. Each event is written
 * with one write(2) and fsynced before the call returns; any failure is GDX_ERR_IO and the
 * caller must stop producing (fail-closed). The writer never modifies existing bytes.
 */
#ifndef GDX_AUDIT_H
#define GDX_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "gdx_err.h"

#define GDX_AUDIT_RETENTION_MIN_DAYS 183 /* Cybersecurity Law: network logs >= 6 months */
#define GDX_AUDIT_CHECKPOINT_LINES   1000
#define GDX_AUDIT_CHECKPOINT_SECS    60
#define GDX_AUDIT_ZERO_HASH          "0000000000000000000000000000000000000000000000000000000000000000"

struct gdx_sm2_key;
struct gdx_sm3;
struct gdx_audit;

/* Clock in milliseconds since the epoch (UTC); tests inject one. */
typedef int64_t (*gdx_audit_clock_cb)(void *opaque);
/* Called with each finished line (without its newline) after it is durable on disk. */
typedef void (*gdx_audit_mirror_cb)(const char *line, size_t len, void *opaque);

struct gdx_audit_opts {
    long checkpoint_lines;    /* 0: GDX_AUDIT_CHECKPOINT_LINES */
    long checkpoint_secs;     /* 0: GDX_AUDIT_CHECKPOINT_SECS */
    long retention_days;      /* 0: GDX_AUDIT_RETENTION_MIN_DAYS; less is GDX_ERR_CONFIG */
    const char *key_id;       /* NULL: "sm2-" + 16 hex of SM3 over the public key PEM */
    const char *host;         /* NULL: gethostname() */
    gdx_audit_clock_cb clock; /* NULL: the system clock */
    void *clock_opaque;
};

/*
 * @brief Open the audit log of @p actor in @p dir (created if missing), continuing the chain
 * from the newest file of that actor. A torn last line (crash mid-write) is left as it is:
 * a new segment starts whose first line is a `recovered_tail` event naming it. Takes an
 * exclusive lock on `<dir>/.<actor>.lock` (GDX_ERR_LOCKED if another process holds it).
 * @param actor  [A-Za-z0-9._]{1,128} (no '-': it separates the date in file names)
 * @param key    SM2 private key for checkpoints (required; the caller keeps it and must keep
 *               it alive until gdx_audit_close)
 * @param opts   may be NULL for defaults
 * @returns GDX_OK, GDX_ERR_CONFIG (bad actor, no key, retention below 183 days), GDX_ERR_IO,
 *          GDX_ERR_LOCKED, GDX_ERR_PARSE (the newest file's last complete line is not ours)
 */
int gdx_audit_new(struct gdx_audit **out, const char *dir, const char *actor,
                  const struct gdx_sm2_key *key, const struct gdx_audit_opts *opts, char *errstr,
                  size_t errstr_size);

/*
 * @brief Append one event of @p type with the members of @p fields, fsynced on return;
 * a checkpoint follows when N lines or T seconds have passed.
 * @param fields JSON object or NULL; takes ownership of @p fields (always). Reserved names
 *               (seq ts ts_local host actor type prev hash sig tsa) are refused.
 * @returns GDX_OK, GDX_ERR_IO (the log is then unusable: stop producing), GDX_ERR_FAIL
 */
int gdx_audit_event(struct gdx_audit *audit, const char *type, json_t *fields, char *errstr,
                    size_t errstr_size);

/* @brief Write a signed checkpoint now if any line is unsealed. */
int gdx_audit_checkpoint(struct gdx_audit *audit, char *errstr, size_t errstr_size);
/* @brief Write a checkpoint if T seconds passed since the last one (call when idle). */
int gdx_audit_tick(struct gdx_audit *audit, char *errstr, size_t errstr_size);
/* @brief Register the mirror callback (NULL to remove). */
void gdx_audit_set_mirror(struct gdx_audit *audit, gdx_audit_mirror_cb cb, void *opaque);
/* @brief Seq of the last line written (0 if none), and the path of the current file. */
uint64_t gdx_audit_seq(const struct gdx_audit *audit);
const char *gdx_audit_path(const struct gdx_audit *audit);
/*
 * @brief Batch id of the newest batch_committed or uplink_batch event (written, or found on
 * open in the newest few files; NULL if none). At start, compare it with the batch of the
 * last offset record (`_gdx.offsets`, `_gdx.uplink.offsets`): if they differ, the process
 * died between commit and event: write that batch's event with recovered = 1.
 */
const char *gdx_audit_last_batch(const struct gdx_audit *audit);
/*
 * @brief Write a final checkpoint, close and free. @returns the checkpoint's result;
 * NULL is a no-op.
 */
int gdx_audit_close(struct gdx_audit *audit, char *errstr, size_t errstr_size);
/* @brief Free without a final checkpoint (as a crash would leave it); NULL is a no-op. */
void gdx_audit_destroy(struct gdx_audit *audit);

/*
 * The `audit:` section of a connector or uplink file:
 *   audit: {dir, key.file, key.id, checkpoint.lines, checkpoint.secs, retention.days, topic}
 */
struct gdx_audit_conf {
    char *dir; /* NULL: no audit section */
    char *key_file, *key_id, *topic;
    long checkpoint_lines, checkpoint_secs, retention_days;
    struct gdx_sm2_key *key;
};
struct gdx_node;
/* @brief Parse (and load the SM2 key); @p node NULL leaves @p ac empty. Errors name the place;
 * retention below 183 days is GDX_ERR_CONFIG. */
int gdx_audit_conf_parse(const struct gdx_node *node, const char *base_dir,
                         struct gdx_audit_conf *ac, char *errstr, size_t errstr_size);
void gdx_audit_conf_release(struct gdx_audit_conf *ac);
/* @brief gdx_audit_new with the section's settings. */
int gdx_audit_conf_open(const struct gdx_audit_conf *ac, const char *actor, struct gdx_audit **out,
                        char *errstr, size_t errstr_size);

/* ---- event helpers (docs/audit.md lists every type and member) ---- */

/* start: who (OS user), host, version and the SM3 of the effective config */
int gdx_audit_start(struct gdx_audit *audit, const char *version, const char *config_sm3,
                    char *errstr, size_t errstr_size);
/* stop: @p reason ("signal", "once", "error", ...) */
int gdx_audit_stop(struct gdx_audit *audit, const char *reason, char *errstr, size_t errstr_size);

/*
 * Offset ranges and SM3 digests of the records of one batch, accumulated as their delivery
 * reports arrive. The digest of a topic-partition is SM3 over, for each record in offset
 * order, its value length as 4 bytes big-endian followed by the value bytes (a null value:
 * length 0xFFFFFFFF and no bytes).
 */
struct gdx_audit_ranges;
struct gdx_audit_ranges *gdx_audit_ranges_new(void);
/* @brief Add one record; offsets of a topic-partition must increase (else GDX_ERR_FAIL). */
int gdx_audit_ranges_add(struct gdx_audit_ranges *ranges, const char *topic, int32_t partition,
                         int64_t offset, const void *value, size_t len, char *errstr,
                         size_t errstr_size);
/* @brief `[{"topic","partition","first","last","count","sm3"}...]`, sorted; new reference. */
json_t *gdx_audit_ranges_json(struct gdx_audit_ranges *ranges);
void gdx_audit_ranges_reset(struct gdx_audit_ranges *ranges);
void gdx_audit_ranges_destroy(struct gdx_audit_ranges *ranges);
/* @brief The digest step for one value (NULL @p value: a null value), for verifiers. */
int gdx_audit_digest_add(struct gdx_sm3 *sm3, const void *value, size_t len, char *errstr,
                         size_t errstr_size);

struct gdx_audit_batch {
    const char *connector; /* <unit>.<system> */
    const char *batch;     /* batch id (header gdx.batch) */
    uint64_t records, dead;
    const char *src_from, *src_to; /* source coordinates, may be NULL */
    const char *config;            /* SM3 of the effective config, may be NULL */
    int recovered;                 /* written at the next start after a crash */
    json_t *ranges;                /* from gdx_audit_ranges_json; borrowed */
};
int gdx_audit_batch_committed(struct gdx_audit *audit, const struct gdx_audit_batch *batch,
                              char *errstr, size_t errstr_size);
/* dead_letters: @p reasons is an object reason -> count (borrowed); never values */
int gdx_audit_dead_letters(struct gdx_audit *audit, const char *connector, const char *batch,
                           uint64_t count, json_t *reasons, char *errstr, size_t errstr_size);
/* policy_applied: @p fields is an object field -> action (mask, token, ...) (borrowed) */
int gdx_audit_policy_applied(struct gdx_audit *audit, const char *connector, const char *batch,
                             json_t *fields, char *errstr, size_t errstr_size);
/* operator: @p action ("offset.reset", "offset.set"), @p detail may be NULL */
int gdx_audit_operator(struct gdx_audit *audit, const char *user, const char *action,
                       const char *connector, const char *detail, char *errstr, size_t errstr_size);
int gdx_audit_error(struct gdx_audit *audit, const char *component, const char *message,
                    char *errstr, size_t errstr_size);
/* outage: @p what ("kafka", "source"), @p state "start" or "end" */
int gdx_audit_outage(struct gdx_audit *audit, const char *what, const char *state, int64_t since_ms,
                     char *errstr, size_t errstr_size);
/* uplink_batch: @p source and @p dest are range arrays as from gdx_audit_ranges_json;
 * @p recovered: written at the next start after a crash between the provincial commit and
 * this event (dest ranges are then unknown: an empty array) */
int gdx_audit_uplink_batch(struct gdx_audit *audit, const char *connector, const char *batch,
                           uint64_t records, json_t *source, json_t *dest, int recovered,
                           char *errstr, size_t errstr_size);

/* ---- the auditor's tools (lib/gdx_audit_verify.c) ---- */

struct gdx_audit_verify_opts {
    const char *trust;      /* trust file: lines `key_id <whitespace> PEM path`; may be NULL */
    const char *checkpoint; /* a checkpoint line, or a file whose last checkpoint is used */
    const char *kafka;      /* bootstrap servers: newest mirrored checkpoint per actor */
    const char *topic;      /* mirror topic, default _gdx.audit */
    int strict;             /* an unsealed tail or torn last line is a failure */
};

/*
 * @brief Verify the audit files (or directories of them) in @p paths: per actor, in order,
 * every line's hash, the prev links, seq continuity, predecessor files, checkpoint
 * signatures against the trust file and the external checkpoint. Writes `OK: ...` (plus
 * warnings) or `FAIL: file:line: what (why)` to @p out.
 * @returns GDX_OK, GDX_ERR_FAIL (tampering found), GDX_ERR_USAGE/IO/CONFIG (cannot check)
 */
int gdx_audit_verify(const char *const *paths, size_t npaths,
                     const struct gdx_audit_verify_opts *opts, FILE *out, char *errstr,
                     size_t errstr_size);

struct gdx_audit_filter {
    const char *unit, *system, *type;
    const char *since, *until; /* RFC 3339 (compared as UTC instants) or YYYY-MM-DD */
    int json;
};
/* @brief Print the events matching @p filter as a table or JSON lines. */
int gdx_audit_show(const char *const *paths, size_t npaths, const struct gdx_audit_filter *filter,
                   FILE *out, char *errstr, size_t errstr_size);
/* @brief Records in, dead letters and uplinked per unit, system and day: "csv" or "md". */
int gdx_audit_report(const char *const *paths, size_t npaths, const char *format, FILE *out,
                     char *errstr, size_t errstr_size);
/*
 * @brief For each batch_committed event, read its offset ranges from Kafka and compare count,
 * SM3 digest and gdx.batch headers; records of audited topic-partitions not covered by any
 * batch are reported as unaccounted. Batches below the low watermark are "past retention".
 * @returns GDX_OK, GDX_ERR_FAIL (a mismatch), or another error when Kafka cannot be read
 */
int gdx_audit_reconcile(const char *const *paths, size_t npaths, const char *bootstrap, FILE *out,
                        char *errstr, size_t errstr_size);
/*
 * @brief Delete audit files older than @p days (refused below 183) whose date is before
 * @p now_ms; the newest file of each actor is always kept. Prints what it deletes to @p out.
 */
int gdx_audit_prune(const char *dir, long days, int64_t now_ms, int dry_run, FILE *out,
                    char *errstr, size_t errstr_size);

#endif

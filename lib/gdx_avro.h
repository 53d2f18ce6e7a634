/*
 * gdx_avro.h - Avro schemas, records built from text fields, and their framings.
 *
 * A schema is loaded from its `.avsc` text, which is kept verbatim (Avro-C 1.11.1 drops
 * logicalType and defaults when it prints a schema). gdx parses the text itself (jansson) for
 * what Avro-C does not model: logical types, and the gdx labels `gdx.level`, `gdx.pi` on
 * fields and `gdx.owner`, `gdx.share` on records. Records are encoded directly from the text
 * into Avro binary; Avro-C's value API (never its datum API, 8-16x slower) encodes defaults,
 * complex fields given as JSON, and the reference encoder the tests hold the direct one to.
 *
 * Coercion turns source text into the field's type: int, long, float, double, boolean,
 * string, enum, bytes, fixed, nullable unions ["null", T] (empty text or SQL NULL is null),
 * `date` (days), `timestamp-millis`/`timestamp-micros` (from `2026-09-20 10:30:00` read in
 * Asia/Shanghai, or ISO 8601 with an offset), `time-millis`, and `decimal` (bytes or fixed,
 * exact, checked against precision and scale).
 */
#ifndef GDX_AVRO_H
#define GDX_AVRO_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>
#include <jansson.h>

enum gdx_level { GDX_LEVEL_GENERAL = 0, GDX_LEVEL_IMPORTANT = 1, GDX_LEVEL_CORE = 2 };
enum gdx_pi { GDX_PI_NONE = 0, GDX_PI_PI = 1, GDX_PI_SPI = 2 };

enum gdx_logical {
    GDX_LT_NONE = 0,
    GDX_LT_DATE,
    GDX_LT_TIME_MILLIS,
    GDX_LT_TIMESTAMP_MILLIS,
    GDX_LT_TIMESTAMP_MICROS,
    GDX_LT_DECIMAL,
    GDX_LT_UUID,
};

/* One top-level field of a record schema. */
struct gdx_field {
    char *name;
    int index;        /* position in the record */
    avro_type_t type; /* the (non-null) branch type */
    int nullable;     /* union of null and one type */
    int null_branch;  /* branch index of null in the union (0 or 1) */
    int value_branch; /* branch index of the value type */
    enum gdx_logical logical;
    int precision, scale; /* decimal */
    int fixed_size;       /* fixed / decimal on fixed */
    char **symbols;       /* enum symbols */
    size_t nsymbols;
    enum gdx_level level;
    enum gdx_pi pi;
    char *doc;
    int has_default;
};

struct gdx_schema {
    char *text;           /* the original .avsc text, verbatim */
    char *path;           /* file it came from, or NULL */
    char *fullname;       /* namespace.name */
    char *canonical;      /* Parsing Canonical Form */
    uint64_t fingerprint; /* CRC-64-AVRO of the canonical form */
    avro_schema_t avro;   /* Avro-C's schema */
    struct gdx_field *fields;
    size_t nfields;
    char *owner; /* gdx.owner */
    char *share; /* gdx.share: unconditional|conditional|none */
    char *doc;
    enum gdx_level max_level; /* highest level among fields */
    int has_pi;               /* any pi/spi field */
    int32_t registry_id;      /* id in the schema registry, -1 if unknown */
};

/* Load a record schema from a file / from text. NULL with errstr on failure. */
struct gdx_schema *gdx_schema_load(const char *path, char *errstr, size_t errstr_size);
struct gdx_schema *gdx_schema_parse(const char *text, size_t len, const char *name, char *errstr,
                                    size_t errstr_size);
void gdx_schema_destroy(struct gdx_schema *schema);
const struct gdx_field *gdx_schema_field(const struct gdx_schema *schema, const char *name);

/* Parsing Canonical Form of a schema JSON text (Avro spec); malloc'd string or NULL. */
char *gdx_avro_canonical(const char *text, size_t len, char *errstr, size_t errstr_size);
/* CRC-64-AVRO (Rabin) fingerprint of bytes. */
uint64_t gdx_avro_crc64(const void *buf, size_t len);

/*
 * A reusable encoder for one schema, reset per record. gdx_encoder_new() writes Avro binary
 * directly from the text; gdx_encoder_new_avroc() builds the record with Avro-C's value API
 * (slower; the reference the direct encoder is tested against: same bytes, same errors).
 */
struct gdx_encoder;

struct gdx_encoder *gdx_encoder_new(const struct gdx_schema *schema, char *errstr,
                                    size_t errstr_size);
struct gdx_encoder *gdx_encoder_new_avroc(const struct gdx_schema *schema, char *errstr,
                                          size_t errstr_size);
void gdx_encoder_destroy(struct gdx_encoder *enc);
/* Start a new record: all fields unset. */
void gdx_encoder_reset(struct gdx_encoder *enc);
/* @brief @p trusted: the texts of the following gdx_encoder_set() calls are known to be valid
 * UTF-8 (the direct encoder skips its check of string values; the reference checks anyway). */
void gdx_encoder_trust_utf8(struct gdx_encoder *enc, int trusted);
/*
 * Set field @p f from text (@p text NULL = null). @p format is an optional strptime-style
 * format for date/time fields (NULL: the defaults above). Returns GDX_OK or GDX_ERR_PARSE with
 * a reason naming the field but not quoting the value when the field is pi/spi.
 */
int gdx_encoder_set(struct gdx_encoder *enc, const struct gdx_field *f, const char *text,
                    size_t len, const char *format, char *errstr, size_t errstr_size);
/*
 * Finish the record: unset fields take their default (null for nullable ones); a required
 * field without a default is an error naming it. Then write the Avro binary body into the
 * encoder's buffer: *out points to it until the next call. GDX_ERR_PARSE if a field is
 * missing, GDX_ERR_FULL if the body exceeds @p max_bytes (0 = no limit).
 */
int gdx_encoder_finish(struct gdx_encoder *enc, size_t max_bytes, const void **out, size_t *out_len,
                       char *errstr, size_t errstr_size);

/* Framings */
#define GDX_SOE_HEADER_LEN       10 /* C3 01 + 8-byte LE fingerprint */
#define GDX_CONFLUENT_HEADER_LEN 5  /* 00 + 4-byte BE schema id */
void gdx_soe_header(uint8_t out[GDX_SOE_HEADER_LEN], uint64_t fingerprint);
/* 1 if buf starts with a single-object header (fills fingerprint), else 0 */
int gdx_soe_parse(const void *buf, size_t len, uint64_t *fingerprint);
void gdx_confluent_header(uint8_t out[GDX_CONFLUENT_HEADER_LEN], int32_t id);
int gdx_confluent_parse(const void *buf, size_t len, int32_t *id);

/*
 * Decode an Avro binary body written with @p schema into a JSON object, with logical types
 * rendered for people: date "2026-09-20", timestamps "2026-09-20T10:30:00.000+08:00",
 * decimals "123.45", bytes as a string of \u00XX escapes, unions unwrapped. Lengths read from
 * the wire are checked against the buffer before any allocation. Returns NULL with errstr on
 * malformed input.
 */
json_t *gdx_avro_decode_json(const struct gdx_schema *schema, const void *body, size_t len,
                             char *errstr, size_t errstr_size);

/* A set of schemas found by fingerprint (gdx tail): every *.avsc under a directory tree. */
struct gdx_schema_set;
struct gdx_schema_set *gdx_schema_set_load(const char *dir, char *errstr, size_t errstr_size);
void gdx_schema_set_destroy(struct gdx_schema_set *set);
const struct gdx_schema *gdx_schema_set_find(const struct gdx_schema_set *set, uint64_t fp);
/* Takes ownership of @p schema. */
void gdx_schema_set_add(struct gdx_schema_set *set, struct gdx_schema *schema);

/* Time helpers (Asia/Shanghai is UTC+8 all year, no DST since 1991) */
#define GDX_TZ_OFFSET_S (8 * 3600)
/* Parse "2026-09-20 10:30:00[.sss]" (local +08:00), "2026-09-20T10:30:00[.sss](Z|+hh:mm)",
 * "2026-09-20" or epoch millis digits, or with @p format (strptime, read in +08:00). */
int gdx_time_parse_ms(const char *s, size_t len, const char *format, int64_t *ms);
int gdx_date_parse_days(const char *s, size_t len, const char *format, int32_t *days);
/* RFC 3339 with milliseconds in +08:00: "2026-09-20T10:30:00.000+08:00" (30 bytes + NUL) */
void gdx_time_format_ms(int64_t ms, char out[32]);
int64_t gdx_now_ms(void);

#endif

/*
 * gdx_limits.h - the caps on every input gdx reads from outside, in one place.
 *
 * Input that gdx does not control (departments' files and APIs, YAML written by hand, Avro
 * bytes from Kafka, HTTP requests, schema texts from a registry) is bounded before it can
 * cost memory or time out of proportion to its size. Caps that an operator may need to move
 * are settings (row.max.bytes, record.max.bytes, ...: `gdx connector spec`); the rest are
 * these constants, printed by `gdx connector spec` and listed in docs/hardening.md. Lengths
 * and counts read from Avro bodies are never trusted: each is checked against the bytes
 * left in the body before anything is allocated, and Avro-C is never handed bytes from the
 * wire (gdx's own bounded readers decode them).
 */
#ifndef GDX_LIMITS_H
#define GDX_LIMITS_H

#include <stdio.h>

/* one .avsc text (a file or a registry's answer) */
#define GDX_LIMIT_SCHEMA_BYTES (4 << 20)
/* nested types in a schema */
#define GDX_LIMIT_SCHEMA_DEPTH 64
/* size of a fixed type */
#define GDX_LIMIT_FIXED_SIZE (1 << 20)
/* digits of a decimal */
#define GDX_LIMIT_DECIMAL_PRECISION 128
/* nesting of a value decoded from the wire */
#define GDX_LIMIT_AVRO_DEPTH 64
/* values per body in the uplink's walk, and elements of zero-size types per body */
#define GDX_LIMIT_AVRO_VALUES (1 << 20)
/* request body `gdx registry` accepts (a larger one is answered 413) */
#define GDX_LIMIT_REGISTRY_BODY (4u << 20)
/* answer the schema registry client accepts */
#define GDX_LIMIT_REGISTRY_ANSWER (16u << 20)
/* a file `gdx schema lint` reads */
#define GDX_LIMIT_LINT_BYTES (4 * 1024 * 1024)
/* one audit file, decompressed (a busy connector writes tens of MiB a day) */
#define GDX_LIMIT_AUDIT_FILE_BYTES ((size_t)1 << 30)

/* response headers the http connector takes (all of them, one response) */
#define GDX_LIMIT_HTTP_HEADER_BYTES (64 * 1024)
#define GDX_LIMIT_HTTP_HEADER_TEXT  "64KiB"
/* records of one page of the http connector (each costs two offsets until the page is done) */
#define GDX_LIMIT_HTTP_PAGE_RECORDS 1000000
/* request line and headers of one webhook request (libmicrohttpd's memory per connection,
 * which also buffers the body as it arrives): larger headers are answered 431 */
#define GDX_LIMIT_WEBHOOK_HEADER_BYTES (32 * 1024)
/* characters of a webhook request's idempotency key (visible ASCII) */
#define GDX_LIMIT_WEBHOOK_KEY_CHARS 128
/* the exec connector's binary frames: tables defined at once, fields of a table */
#define GDX_LIMIT_FRAME_TABLES 64
#define GDX_LIMIT_FRAME_FIELDS 4096
/* one line of an exec adapter's stderr forwarded to the log, and lines forwarded a second */
#define GDX_LIMIT_ADAPTER_ERR_LINE  2000
#define GDX_LIMIT_ADAPTER_ERR_LINES 100

/* @brief The table of caps (constants and the settings that bound input), for people. */
void gdx_limits_print(FILE *out);

#endif

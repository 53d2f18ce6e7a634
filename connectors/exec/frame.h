/*
 * frame.h - the exec connector's binary framing: decoding frames into rows.
 *
 * The format is described in gdxframe.h (the reference C encoder) and in the README. The
 * caller finds frame boundaries with exec_frame_header() in its own read buffer; these
 * functions decode one complete payload at a time, never read past it, and refuse
 * anything that does not add up with a message naming the problem.
 */
#ifndef EXEC_FRAME_H
#define EXEC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "gdx.h"
#include "gdx_limits.h"
#include "gdxframe.h"

#define EXEC_FRAME_PREAMBLE_LEN (GDXF_MAGIC_LEN + 1)
#define EXEC_FRAME_MAX_TABLES   GDX_LIMIT_FRAME_TABLES
#define EXEC_FRAME_MAX_FIELDS   GDX_LIMIT_FRAME_FIELDS

struct exec_frames;

struct exec_frames *exec_frames_new(void);
void exec_frames_destroy(struct exec_frames *fr);

/*
 * Check the preamble at @p buf. Returns 1 when it is complete and right, 0 when more bytes
 * are needed, GDX_ERR_PARSE when the bytes are not the preamble, GDX_ERR_CONFIG for a
 * version this connector does not read.
 */
int exec_frame_preamble(const unsigned char *buf, size_t avail, char *errstr, size_t errstr_size);

/* 1 with *type and *len when a frame header is complete at @p buf, else 0. */
int exec_frame_header(const unsigned char *buf, size_t avail, int *type, uint32_t *len);

/* Define (or redefine) a field table from an 'F' payload. */
int exec_frames_table(struct exec_frames *fr, const unsigned char *p, size_t len, char *errstr,
                      size_t errstr_size);

/*
 * Decode an 'R' payload into @p row (names, values and lens; values NUL-terminated; valid
 * until the next call) and *stream, the stream of its table.
 */
int exec_frames_record(struct exec_frames *fr, const unsigned char *p, size_t len,
                       struct gdx_row *row, const char **stream, char *errstr, size_t errstr_size);

#endif

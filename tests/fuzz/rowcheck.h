/*
 * rowcheck.h - the round-trip property shared by the CSV and JSON Lines harnesses.
 *
 * A row is mapped onto each of the harness schemas (schemas.h) by field name, as the runtime
 * maps a source row: every field the row names is set from its text. If the encoder accepts
 * the row, then:
 *   1. the Avro body decodes (gdx_avro_decode_json, the decoder of `gdx tail`);
 *   2. every string field decodes to exactly the row's text, bytes to the same bytes;
 *   3. the uplink's bounded walker (gdx_recoder_apply) accepts the body as it is;
 *   4. the decoded value of every field, written back as text, encodes to the same body:
 *      what `gdx tail` prints of a record can be read again without loss.
 */
#ifndef GDX_FUZZ_ROWCHECK_H
#define GDX_FUZZ_ROWCHECK_H

#include "gdx.h"

/* Check @p row against every harness schema; returns how many schemas accepted it. */
int rowcheck_row(const struct gdx_row *row);

#endif

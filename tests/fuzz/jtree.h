/*
 * jtree.h - oracles over jansson's tree for the harnesses that check gdx's JSON spans:
 * an RFC 6901 pointer resolver and the nesting depth, written straightforwardly so that
 * they can be trusted to disagree with gdx_json_find and gdx_json_depth only when those
 * are wrong.
 */
#ifndef GDX_FUZZ_JTREE_H
#define GDX_FUZZ_JTREE_H

#include <jansson.h>

#define JTREE_TOKEN_MAX 510 /* gdx_json_find's token buffer: longer tokens name nothing */

/* Nesting depth of @p j: 0 for a scalar, 1 for a flat object or array. */
int jtree_depth(json_t *j);

/* The value at pointer @p ptr in @p j (borrowed), NULL when it names nothing; *skip is set
 * when the pointer has a token longer than JTREE_TOKEN_MAX (no verdict). */
json_t *jtree_find(json_t *j, const char *ptr, int *skip);

#endif

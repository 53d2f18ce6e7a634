/*
 * jtree.c - the oracles of jtree.h.
 */
#include <string.h>

#include "jtree.h"

int jtree_depth(json_t *j)
{
    int d = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            int e = jtree_depth(v);
            d = e > d ? e : d;
        }
        return d + 1;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            int e = jtree_depth(v);
            d = e > d ? e : d;
        }
        return d + 1;
    }
    return 0;
}

json_t *jtree_find(json_t *j, const char *ptr, int *skip)
{
    char tok[JTREE_TOKEN_MAX + 2];
    if (*ptr && *ptr != '/') {
        return NULL;
    }
    while (*ptr == '/') {
        size_t tl = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char c = *ptr++;
            if (c == '~' && (*ptr == '0' || *ptr == '1')) {
                c = *ptr++ == '0' ? '~' : '/';
            }
            if (tl >= JTREE_TOKEN_MAX) {
                *skip = 1;
                return NULL;
            }
            tok[tl++] = c;
        }
        tok[tl] = '\0';
        if (json_is_object(j)) {
            j = json_object_getn(j, tok, tl);
        } else if (json_is_array(j)) {
            size_t idx = 0;
            if (tl == 0 || (tl > 1 && tok[0] == '0') || tl > 18) {
                return NULL;
            }
            for (size_t i = 0; i < tl; i++) {
                if (tok[i] < '0' || tok[i] > '9') {
                    return NULL;
                }
                idx = idx * 10 + (size_t)(tok[i] - '0');
            }
            j = json_array_get(j, idx);
        } else {
            return NULL;
        }
        if (!j) {
            return NULL;
        }
    }
    return j;
}

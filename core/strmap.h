/* SPDX-License-Identifier: MIT */
/* strmap.h - a hash map from strings to pointers (open addressing, linear probing).
 *
 * For indexes the loop keeps in memory and looks up per event: a watched folder's files
 * (tens of thousands). Keys are copied and owned by the map; values are the caller's.
 * Not locked. Tests: tests/unit/test_core.c. */
#ifndef FG_STRMAP_H
#define FG_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct fg_strmap_slot {
    char *key;              /* NULL: empty; FG_STRMAP_TOMB: deleted */
    void *value;
};

struct fg_strmap {
    struct fg_strmap_slot *slots;
    size_t cap, len, used;  /* used counts tombstones too */
};

/* FNV-1a (64 bits) of n bytes at p, continuing from h (FG_FNV1A_SEED to begin): the map's
 * hash, and the fingerprints a reload compares (config.c, gateway/reload.c). */
#define FG_FNV1A_SEED 1469598103934665603ULL
unsigned long long fg_fnv1a(unsigned long long h, const void *p, size_t n);

void fg_strmap_init(struct fg_strmap *m);
/* Frees the keys and the table (not the values). */
void fg_strmap_free(struct fg_strmap *m);
/* The value for key, or NULL. */
void *fg_strmap_get(const struct fg_strmap *m, const char *key);
/* Sets key (copied) to value. 0 or -ENOMEM. */
int fg_strmap_put(struct fg_strmap *m, const char *key, void *value) FG_MUST_CHECK;
/* Removes key; returns its value or NULL. */
void *fg_strmap_del(struct fg_strmap *m, const char *key);
/* Calls fn for every entry; fn must not change the map. */
void fg_strmap_each(const struct fg_strmap *m, void (*fn)(void *arg, const char *key, void *value), void *arg);

#endif

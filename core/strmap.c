/* SPDX-License-Identifier: MIT */
/* strmap.c - see strmap.h. */
#include "strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char strmap_tomb;
#define TOMB (&strmap_tomb)

unsigned long long fg_fnv1a(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t strmap_hash(const char *s)
{
    return fg_fnv1a(FG_FNV1A_SEED, s, strlen(s));
}

void fg_strmap_init(struct fg_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void fg_strmap_free(struct fg_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMB)
            free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* The slot holding key, or (insert) the first free slot on its probe path. */
static struct fg_strmap_slot *strmap_find(const struct fg_strmap *m, const char *key, bool insert)
{
    struct fg_strmap_slot *tomb = NULL;
    size_t mask = m->cap - 1;
    for (size_t i = strmap_hash(key) & mask;; i = (i + 1) & mask) {
        struct fg_strmap_slot *s = &m->slots[i];
        if (!s->key)
            return insert ? (tomb ? tomb : s) : NULL;
        if (s->key == TOMB) {
            if (!tomb)
                tomb = s;
        } else if (!strcmp(s->key, key)) {
            return s;
        }
    }
}

static int strmap_grow(struct fg_strmap *m)
{
    struct fg_strmap old = *m;
    size_t cap = m->cap ? (m->len * 4 > m->cap ? m->cap * 2 : m->cap) : 64;
    if (!(m->slots = calloc(cap, sizeof(*m->slots)))) {
        *m = old;
        return -ENOMEM;
    }
    m->cap = cap;
    m->len = m->used = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key && old.slots[i].key != TOMB) {
            struct fg_strmap_slot *s = strmap_find(m, old.slots[i].key, true);
            *s = old.slots[i];
            m->len++;
            m->used++;
        }
    }
    free(old.slots);
    return 0;
}

void *fg_strmap_get(const struct fg_strmap *m, const char *key)
{
    struct fg_strmap_slot *s = m->cap ? strmap_find(m, key, false) : NULL;
    return s ? s->value : NULL;
}

int fg_strmap_put(struct fg_strmap *m, const char *key, void *value)
{
    struct fg_strmap_slot *s;
    if ((m->used + 1) * 4 > m->cap * 3 && strmap_grow(m) < 0)
        return -ENOMEM;
    s = strmap_find(m, key, true);
    if (s->key && s->key != TOMB) {
        s->value = value;
        return 0;
    }
    char *k = strdup(key);
    if (!k)
        return -ENOMEM;
    if (!s->key)
        m->used++;
    s->key = k;
    s->value = value;
    m->len++;
    return 0;
}

void *fg_strmap_del(struct fg_strmap *m, const char *key)
{
    struct fg_strmap_slot *s = m->cap ? strmap_find(m, key, false) : NULL;
    void *v;
    if (!s)
        return NULL;
    v = s->value;
    free(s->key);
    s->key = TOMB;
    s->value = NULL;
    m->len--;
    return v;
}

void fg_strmap_each(const struct fg_strmap *m, void (*fn)(void *arg, const char *key, void *value), void *arg)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMB)
            fn(arg, m->slots[i].key, m->slots[i].value);
}

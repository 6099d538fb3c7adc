/* SPDX-License-Identifier: MIT */
/* mark.c - the trigger marks' snapshot: loaded from the store, sorted, searched (see mark.h).
 *
 * DESIGN: one array for both kinds, sorted by (kind, key) with qsort once after the load,
 * rather than a hash per kind: a folder needs every entry under a prefix, which a sorted
 * array gives as one run, and the snapshot never changes after the start. */
#include "mark.h"

#include <stdlib.h>
#include <string.h>

static int mark_cmp(const void *x, const void *y)
{
    const struct fg_mark *p = x, *q = y;
    return p->kind != q->kind ? (int)p->kind - (int)q->kind : strcmp(p->key, q->key);
}

static void mark_on_load(void *arg, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    fg_mark_add(arg, kind, key, a, b);
}

int fg_mark_load(struct fg_marks *m, struct fg_store *store, struct fg_err *err)
{
    int rc;

    m->store = store;
    if ((rc = fg_store_load_marks(store, mark_on_load, m, err)) < 0)
        return rc;
    fg_mark_sort(m);
    return 0;
}

void fg_mark_add(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct fg_mark *v = realloc(m->v, cap * sizeof(*v));
        if (!v)
            return;
        m->v = v;
        m->cap = cap;
    }
    if ((m->v[m->n].key = strdup(key))) {
        m->v[m->n].kind = kind;
        m->v[m->n].a = a;
        m->v[m->n++].b = b;
    }
}

void fg_mark_sort(struct fg_marks *m)
{
    if (m->n)
        qsort(m->v, m->n, sizeof(*m->v), mark_cmp);
}

/* The later map's key: the kind as one letter, then the key. */
static char *mark_later_key(enum fg_mark_kind kind, const char *key)
{
    size_t n = strlen(key);
    char *k = malloc(n + 2);
    if (k) {
        k[0] = (char)('a' + (int)kind);
        memcpy(k + 1, key, n + 1);
    }
    return k;
}

static const struct fg_mark *mark_later(const struct fg_marks *m, enum fg_mark_kind kind, const char *key)
{
    char *k = mark_later_key(kind, key);
    const struct fg_mark *hit = k ? fg_strmap_get(&m->later, k) : NULL;
    free(k);
    return hit;
}

void fg_mark_seen(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    /* A file that is gone hides its indexed entry as an entry of kind FILE would. */
    enum fg_mark_kind as = kind == FG_MARK_FILE_GONE ? FG_MARK_FILE : kind;
    char *k = mark_later_key(as, key);
    struct fg_mark *v = k ? fg_strmap_get(&m->later, k) : NULL;

    if (k && !v && (v = calloc(1, sizeof(*v))) && !(v->key = strdup(key))) {
        free(v);
        v = NULL;
    } else if (v && !v->kind && fg_strmap_put(&m->later, k, v) < 0) {
        free(v->key);
        free(v);
        v = NULL;
    }
    if (v && !(kind == FG_MARK_SCHEDULE && v->kind == FG_MARK_SCHEDULE && v->a > a)) {
        v->kind = kind;     /* a schedule's is kept at the max, as the store keeps it */
        v->a = a;
        v->b = b;
    }
    free(k);
}

bool fg_mark_last_fire(const struct fg_marks *m, const char *name, long long *last_fire)
{
    struct fg_mark key = { FG_MARK_SCHEDULE, (char *)name, 0, 0 }, *hit;
    const struct fg_mark *later = mark_later(m, FG_MARK_SCHEDULE, name);

    hit = m->n ? bsearch(&key, m->v, m->n, sizeof(*m->v), mark_cmp) : NULL;
    if (!hit && !later)
        return false;
    /* Kept at the max, as the store keeps it. */
    *last_fire = hit && (!later || hit->a > later->a) ? hit->a : later->a;
    return true;
}

struct mark_each {
    const char *prefix;
    size_t plen;
    fg_mark_file_fn *cb;
    void *arg;
};

static void mark_each_later(void *arg, const char *k, void *value)
{
    const struct mark_each *e = arg;
    const struct fg_mark *v = value;
    (void)k;
    if (v->kind == FG_MARK_FILE && !strncmp(v->key, e->prefix, e->plen))
        e->cb(e->arg, v->key + e->plen, v->a, v->b);
}

void fg_mark_each_file(const struct fg_marks *m, const char *prefix, fg_mark_file_fn *cb, void *arg)
{
    size_t plen = strlen(prefix), lo = 0, hi = m->n;

    /* The first FILE entry not below the prefix, then every entry that starts with it. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct fg_mark *e = &m->v[mid];
        if (e->kind < FG_MARK_FILE || (e->kind == FG_MARK_FILE && strcmp(e->key, prefix) < 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < m->n && m->v[lo].kind == FG_MARK_FILE && !strncmp(m->v[lo].key, prefix, plen); lo++)
        if (!mark_later(m, FG_MARK_FILE, m->v[lo].key))
            cb(arg, m->v[lo].key + plen, m->v[lo].a, m->v[lo].b);
    struct mark_each each = { prefix, plen, cb, arg };
    fg_strmap_each(&m->later, mark_each_later, &each);
}

void fg_mark_write(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    if (m->store)
        fg_store_mark(m->store, kind, key, a, b);
    fg_mark_seen(m, kind, key, a, b);
}

static void mark_free_later(void *arg, const char *k, void *value)
{
    struct fg_mark *v = value;
    (void)arg, (void)k;
    free(v->key);
    free(v);
}

void fg_mark_close(struct fg_marks *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].key);
    free(m->v);
    fg_strmap_each(&m->later, mark_free_later, NULL);
    fg_strmap_free(&m->later);
    memset(m, 0, sizeof(*m));
}

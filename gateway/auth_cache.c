/* SPDX-License-Identifier: MIT */
/* auth_cache.c - a bounded, direct-mapped cache of authorizer decisions (see auth_cache.h). */
#include "auth_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/sha256.h"

int fg_auth_cache_init(struct fg_auth_cache *c, size_t n)
{
    memset(c, 0, sizeof(*c));
    if (!(c->slots = calloc(n ? n : 1, sizeof(*c->slots))))
        return -ENOMEM;
    c->n = n ? n : 1;
    pthread_mutex_init(&c->lock, NULL);
    return 0;
}

static void auth_cache_clear(struct fg_auth_cache_entry *e)
{
    free(e->a);
    free(e->b);
    memset(e, 0, sizeof(*e));
}

void fg_auth_cache_close(struct fg_auth_cache *c)
{
    if (!c->slots)
        return;
    for (size_t i = 0; i < c->n; i++)
        auth_cache_clear(&c->slots[i]);
    free(c->slots);
    c->slots = NULL;
    pthread_mutex_destroy(&c->lock);
}

void fg_auth_cache_key(const char *const *parts, size_t n, unsigned char key[32])
{
    struct fg_sha256 h;
    fg_sha256_init(&h);
    for (size_t i = 0; i < n; i++)
        fg_sha256_update(&h, parts[i], strlen(parts[i]) + 1);
    fg_sha256_final(&h, key);
}

static struct fg_auth_cache_entry *auth_cache_slot(struct fg_auth_cache *c, const unsigned char key[32])
{
    unsigned long long h;
    memcpy(&h, key, sizeof(h));
    return &c->slots[h % c->n];
}

bool fg_auth_cache_get(struct fg_auth_cache *c, const unsigned char key[32], long long now_ms, struct fg_buf *a,
                       struct fg_buf *b)
{
    struct fg_auth_cache_entry *e;
    bool hit;

    fg_buf_reset(a);
    fg_buf_reset(b);
    pthread_mutex_lock(&c->lock);
    e = auth_cache_slot(c, key);
    hit = e->expires_ms > now_ms && e->nbf_ms <= now_ms && !memcmp(e->key, key, 32);
    if (hit && (fg_buf_append_str(a, e->a) < 0 || (e->b && fg_buf_append_str(b, e->b) < 0)))
        hit = false;
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void fg_auth_cache_put(struct fg_auth_cache *c, const unsigned char key[32], long long expires_ms, long long nbf_ms,
                       const char *a, const char *b)
{
    struct fg_auth_cache_entry *e, n = { .expires_ms = expires_ms, .nbf_ms = nbf_ms };

    if (strlen(a) + (b ? strlen(b) : 0) > FG_AUTH_CACHE_VALUE_MAX)
        return;
    memcpy(n.key, key, 32);
    if (!(n.a = strdup(a)) || (b && !(n.b = strdup(b)))) {
        free(n.a);
        return;
    }
    pthread_mutex_lock(&c->lock);
    e = auth_cache_slot(c, key);
    auth_cache_clear(e);
    *e = n;
    pthread_mutex_unlock(&c->lock);
}

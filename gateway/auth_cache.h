/* SPDX-License-Identifier: MIT */
/* auth_cache.h - what an authorizer decided, remembered for a while: verified JWTs until
 * their exp, Lambda authorizer answers for their ttl.
 *
 * Keyed by a SHA-256 of what identifies the caller (the token, or the identity source
 * values), never the secret itself. Direct-mapped: a fixed number of slots allocated at
 * init, a key's slot chosen by its hash, a newer entry replacing whatever held the slot,
 * so memory is bounded by slots x FG_AUTH_CACHE_VALUE_MAX and a lookup is one compare.
 * Thread-safe (one mutex per cache; the critical sections copy at most two short
 * strings). Tests: tests/unit/test_authorizer.c. */
#ifndef FG_AUTH_CACHE_H
#define FG_AUTH_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"

#define FG_AUTH_CACHE_VALUE_MAX (16 * 1024)   /* a and b together; longer values are not kept */

struct fg_auth_cache_entry {
    unsigned char key[32];
    long long expires_ms;        /* epoch ms; 0: empty slot */
    long long nbf_ms;            /* epoch ms before which the entry does not apply (0: none) */
    char *a, *b;                 /* owned; b may be NULL */
};

struct fg_auth_cache {
    pthread_mutex_t lock;
    struct fg_auth_cache_entry *slots;
    size_t n;
};

/* Caller-embedded, n slots (a power of two is not required). 0 or -ENOMEM. */
int fg_auth_cache_init(struct fg_auth_cache *c, size_t n) FG_MUST_CHECK;
void fg_auth_cache_close(struct fg_auth_cache *c);

/* The SHA-256 of the parts (each followed by a NUL, so ("ab","c") differs from ("a","bc")). */
void fg_auth_cache_key(const char *const *parts, size_t n, unsigned char key[32]);

/* A live entry for key at now_ms (not expired, not before nbf): its strings appended to a
 * and b (reset first; b stays empty when the entry has none). */
bool fg_auth_cache_get(struct fg_auth_cache *c, const unsigned char key[32], long long now_ms, struct fg_buf *a,
                       struct fg_buf *b);

/* Remembers a and b (copied; b may be NULL) for key until expires_ms. Values over
 * FG_AUTH_CACHE_VALUE_MAX, or an allocation failure, leave the cache as it was. */
void fg_auth_cache_put(struct fg_auth_cache *c, const unsigned char key[32], long long expires_ms, long long nbf_ms,
                       const char *a, const char *b);

#endif

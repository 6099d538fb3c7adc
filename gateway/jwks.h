/* SPDX-License-Identifier: MIT */
/* jwks.h - a JWT authorizer's JSON Web Key Set: read from a file or fetched from an
 * http(s) URL, looked up by kid, refreshed when a token names a kid it does not hold.
 *
 * A key set is shared by the front door's threads; each lookup takes a reference on the
 * keys it found (fg_jwks_release), so a refresh never frees keys in use. Fetching runs
 * on one thread of its own (struct fg_jwks_fetcher, libcurl, 5 s timeout, 1 MB at most),
 * never on the loop thread or a libmicrohttpd thread. A request whose kid is unknown may
 * wait for one refresh (fg_jwks_wait), and refreshes for unknown kids are rate limited
 * to one per FG_JWKS_REFETCH_S per key set, so tokens with made-up kids cannot make
 * fngate hammer the identity provider. Keys older than FG_JWKS_MAX_AGE_S (API Gateway
 * caches keys two hours) are refreshed in the background on their next use.
 * Tests: tests/integration/test_authorizers.py. */
#ifndef FG_JWKS_H
#define FG_JWKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../config/config.h"
#include "../core/workq.h"
#include "jwt.h"

#define FG_JWKS_REFETCH_S 30
#define FG_JWKS_MAX_AGE_S 7200
#define FG_JWKS_MAX_BYTES (1024 * 1024)
#define FG_JWKS_MAX_KEYS 64
#define FG_JWKS_TIMEOUT_MS 5000

/* The thread that reads and fetches key sets. Caller-embedded. */
struct fg_jwks_fetcher {
    struct fg_workq q;
    pthread_t thread;
    bool started;
    atomic_bool stopping;         /* aborts a transfer under way */
    _Atomic unsigned long fetches;   /* done so far (metrics and tests) */
};

int fg_jwks_fetcher_start(struct fg_jwks_fetcher *f, struct fg_err *err) FG_MUST_CHECK;
/* Ends the transfer under way, resumes every waiter, joins the thread. Idempotent. */
void fg_jwks_fetcher_stop(struct fg_jwks_fetcher *f);

/* One loaded key set, shared. */
struct fg_jwks_keys {
    atomic_int refs;
    struct fg_jwk *keys;
    size_t n;
};

/* Who waits for a refresh: resume(arg) runs once, on the fetcher's thread (or the one
 * stopping it), after the keys changed or the fetch failed. */
struct fg_jwks_waiter {
    struct fg_jwks_waiter *next;
    void (*resume)(void *arg);
    void *arg;
};

struct fg_jwks {
    const char *name;             /* the authorizer's, for messages; borrowed */
    const char *source;           /* file path or URL; borrowed from the config */
    bool is_url;
    struct fg_jwks_fetcher *fetcher;
    pthread_mutex_t lock;         /* guards what follows */
    struct fg_jwks_keys *cur;     /* NULL until a first load succeeds */
    long long loaded_ms;          /* when cur was loaded (monotonic ms) */
    long long refetch_after_ms;   /* no refresh for an unknown kid before (monotonic ms) */
    bool fetching;                /* item is queued or being fetched */
    struct fg_jwks_waiter *waiters;
    struct fg_workq_item item;
};

/* Caller-embedded; borrows a (its name and jwks) and fetcher for its life. A file is
 * read now (its errors fail the call, naming the file); a URL is fetched on the fetcher's
 * thread once fg_jwks_start is called, and requests wait for it. 0, -EINVAL or -errno with
 * err filled. */
int fg_jwks_init(struct fg_jwks *s, const struct fg_conf_authorizer *a, struct fg_jwks_fetcher *fetcher,
                 struct fg_err *err) FG_MUST_CHECK;
/* Queues a URL's first fetch (nothing for a file). From then on s may be in the fetcher's
 * hands: close it only after the fetcher stopped. Cannot fail. */
void fg_jwks_start(struct fg_jwks *s);
/* Before fg_jwks_start, or after the fetcher stopped. */
void fg_jwks_close(struct fg_jwks *s);

enum fg_jwks_found {
    FG_JWKS_FOUND = 0,            /* *key is kid's; release *keys when done with it */
    FG_JWKS_UNKNOWN,              /* no such key, and no refresh allowed now */
    FG_JWKS_REFRESH,              /* no such key yet: fg_jwks_wait may bring it */
};

/* Any thread. The key named kid; an empty kid (a token without one) names none, as API
 * Gateway requires the kid of a key of the set. */
enum fg_jwks_found fg_jwks_find(struct fg_jwks *s, const char *kid, struct fg_jwks_keys **keys,
                                const struct fg_jwk **key);
void fg_jwks_release(struct fg_jwks_keys *keys);

/* After FG_JWKS_REFRESH, once the caller is ready to be resumed: joins the refresh under
 * way or starts one. 0: w->resume will run once; -EAGAIN: no refresh allowed any more
 * (the caller resumes itself). Borrows w until it is resumed. */
int fg_jwks_wait(struct fg_jwks *s, struct fg_jwks_waiter *w) FG_MUST_CHECK;

/* Parses a JWKS document ({"keys": [...]}) into an owned key set (refs 1): keys fngate
 * cannot use are skipped; none usable is -EINVAL. Test hook and the loader's. */
int fg_jwks_parse(const char *json, size_t len, struct fg_jwks_keys **out, struct fg_err *err) FG_MUST_CHECK;

#endif

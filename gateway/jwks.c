/* SPDX-License-Identifier: MIT */
/* jwks.c - JSON Web Key Sets: load, look up, refresh (see jwks.h).
 *
 * DESIGN: one fetcher thread for every key set of the front door (key sets are few and
 * refreshes rare); a key set is queued on it at most once at a time (`fetching`). A
 * request that needs a refresh is suspended by its caller first and only then registered
 * as a waiter (fg_jwks_wait), so a resume can never overtake the suspend. The initial
 * fetch of a URL does not count against the rate limit; every later one does, whether
 * asked for by an unknown kid or by keys grown old. A failed refresh keeps the keys
 * already loaded. */
#include "jwks.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/log.h"
#include "../core/loop.h"

/* ------------------------------------------------------------------ key sets */

static void jwks_keys_free(struct fg_jwks_keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        fg_jwk_close(&k->keys[i]);
    free(k->keys);
    free(k);
}

void fg_jwks_release(struct fg_jwks_keys *keys)
{
    if (keys && atomic_fetch_sub(&keys->refs, 1) == 1)
        jwks_keys_free(keys);
}

int fg_jwks_parse(const char *json, size_t len, struct fg_jwks_keys **out, struct fg_err *err)
{
    json_t *root = json_loadb(json, len, 0, NULL), *arr = json_object_get(root, "keys"), *item;
    struct fg_jwks_keys *k = calloc(1, sizeof(*k));
    struct fg_err kerr;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!k || !(k->keys = calloc(FG_JWKS_MAX_KEYS, sizeof(*k->keys)))) {
        rc = fg_err_set(err, -ENOMEM, "out of memory");
        goto out;
    }
    if (!json_is_array(arr)) {
        rc = fg_err_set(err, -EINVAL, "not a JSON Web Key Set ({\"keys\": [...]})");
        goto out;
    }
    json_array_foreach(arr, i, item) {
        if (k->n == FG_JWKS_MAX_KEYS)
            break;
        if (fg_jwk_import(item, &k->keys[k->n], &kerr) == 0)
            k->n++;
        else
            fg_log(FG_LOG_DEBUG, "auth", "JWKS key %zu skipped: %s", i, kerr.msg);
    }
    if (!k->n)
        rc = fg_err_set(err, -EINVAL, "no usable key (RSA of 2048 bits or more, or EC P-256, for signatures)");
out:
    json_decref(root);
    if (rc < 0) {
        if (k)
            jwks_keys_free(k);
        return rc;
    }
    atomic_init(&k->refs, 1);
    *out = k;
    return 0;
}

/* The document at s->source into b: a file, or a URL (when is_url). 0, or -errno /
 * -EINVAL with err filled. Fetcher thread, or the loader for a file. */
static size_t jwks_curl_write(char *p, size_t size, size_t n, void *arg)
{
    return fg_buf_append(arg, p, size * n) < 0 ? 0 : size * n;
}

static int jwks_curl_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct fg_jwks_fetcher *f = arg;
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load(&f->stopping) ? 1 : 0;
}

static int jwks_read(struct fg_jwks *s, struct fg_buf *b, struct fg_err *err)
{
    if (!s->is_url) {
        char chunk[8192];
        size_t n;
        FILE *fp = fopen(s->source, "r");
        if (!fp)
            return fg_err_set(err, -errno, "%s: %s", s->source, strerror(errno));
        while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && fg_buf_append(b, chunk, n) == 0)
            ;
        fclose(fp);
        return b->err ? fg_err_set(err, b->err, "%s: larger than %d bytes", s->source, FG_JWKS_MAX_BYTES) : 0;
    }
    CURL *c = curl_easy_init();
    long code = 0;
    CURLcode rc;
    if (!c)
        return fg_err_set(err, -ENOMEM, "cannot initialise libcurl");
    curl_easy_setopt(c, CURLOPT_URL, s->source);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)FG_JWKS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, jwks_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, jwks_curl_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s->fetcher);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "fngate/" FG_VERSION);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return fg_err_set(err, -EIO, "%s: %s", s->source,
                          rc == CURLE_WRITE_ERROR ? "larger than 1 MB" : curl_easy_strerror(rc));
    if (code != 200)
        return fg_err_set(err, -EIO, "%s: HTTP %ld", s->source, code);
    return 0;
}

/* Reads and parses the key set, then swaps it in. */
static int jwks_load(struct fg_jwks *s, struct fg_err *err)
{
    struct fg_jwks_keys *k = NULL, *old;
    struct fg_buf b;
    int rc;

    fg_buf_init(&b, FG_JWKS_MAX_BYTES);
    if ((rc = jwks_read(s, &b, err)) == 0 && (rc = fg_jwks_parse(b.data ? b.data : "", b.len, &k, err)) < 0)
        fg_err_set(err, rc, "%s: %s", s->source, err->msg);
    fg_buf_free(&b);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    old = s->cur;
    s->cur = k;
    s->loaded_ms = fg_mono_us() / 1000;
    pthread_mutex_unlock(&s->lock);
    fg_jwks_release(old);
    return 0;
}

/* ------------------------------------------------------------------ the fetcher */

static void jwks_resume_all(struct fg_jwks *s)
{
    struct fg_jwks_waiter *w;
    pthread_mutex_lock(&s->lock);
    w = s->waiters;
    s->waiters = NULL;
    s->fetching = false;
    pthread_mutex_unlock(&s->lock);
    while (w) {
        struct fg_jwks_waiter *next = w->next;
        w->resume(w->arg);
        w = next;
    }
}

static void *jwks_thread(void *arg)
{
    struct fg_jwks_fetcher *f = arg;
    struct fg_workq_item *it;

    while ((it = fg_workq_take(&f->q))) {
        struct fg_jwks *s = (struct fg_jwks *)(void *)((char *)it - offsetof(struct fg_jwks, item));
        struct fg_err err;
        if (!atomic_load(&f->stopping)) {
            if (jwks_load(s, &err) < 0)
                fg_log(FG_LOG_WARN, "auth", "authorizer %s: JWKS refresh failed, keeping the keys loaded: %s",
                       s->name, err.msg);
            else
                fg_log(FG_LOG_INFO, "auth", "authorizer %s: JWKS loaded from %s", s->name, s->source);
            atomic_fetch_add(&f->fetches, 1);
        }
        jwks_resume_all(s);
    }
    return NULL;
}

int fg_jwks_fetcher_start(struct fg_jwks_fetcher *f, struct fg_err *err)
{
    int rc;
    memset(f, 0, sizeof(*f));
    fg_workq_init(&f->q, NULL, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((rc = pthread_create(&f->thread, NULL, jwks_thread, f)) != 0) {
        fg_workq_destroy(&f->q);
        return fg_err_set(err, -rc, "cannot start the JWKS thread: %s", strerror(rc));
    }
    f->started = true;
    return 0;
}

void fg_jwks_fetcher_stop(struct fg_jwks_fetcher *f)
{
    if (!f->started)
        return;
    atomic_store(&f->stopping, true);
    fg_workq_close(&f->q);
    pthread_join(f->thread, NULL);
    fg_workq_destroy(&f->q);
    f->started = false;
}

/* Under s->lock: queues a refresh unless one is under way. */
static void jwks_queue_locked(struct fg_jwks *s)
{
    if (s->fetching)
        return;
    if (!fg_workq_offer(&s->fetcher->q, &s->item))
        return;
    s->fetching = true;
}

/* ------------------------------------------------------------------ API */

int fg_jwks_init(struct fg_jwks *s, const struct fg_conf_authorizer *a, struct fg_jwks_fetcher *fetcher,
                 struct fg_err *err)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->name = a->name;
    s->source = a->jwks;
    s->is_url = a->jwks_is_url;
    s->fetcher = fetcher;
    pthread_mutex_init(&s->lock, NULL);
    if (!s->is_url) {
        if ((rc = jwks_load(s, err)) < 0) {
            fg_err_set(err, rc, "authorizer %s: jwks %s", a->name, err->msg);
            fg_jwks_close(s);
        }
        return rc;
    }
    return 0;
}

void fg_jwks_start(struct fg_jwks *s)
{
    if (!s->is_url)
        return;
    pthread_mutex_lock(&s->lock);
    jwks_queue_locked(s);
    pthread_mutex_unlock(&s->lock);
}

void fg_jwks_close(struct fg_jwks *s)
{
    fg_jwks_release(s->cur);
    s->cur = NULL;
    pthread_mutex_destroy(&s->lock);
}

enum fg_jwks_found fg_jwks_find(struct fg_jwks *s, const char *kid, struct fg_jwks_keys **keys,
                                const struct fg_jwk **key)
{
    long long now = fg_mono_us() / 1000;
    enum fg_jwks_found found = FG_JWKS_UNKNOWN;

    *keys = NULL;
    *key = NULL;
    if (!*kid)                  /* API Gateway needs the kid of a key of the set */
        return FG_JWKS_UNKNOWN;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; s->cur && i < s->cur->n && !*key; i++)
        if (!strcmp(s->cur->keys[i].kid, kid))
            *key = &s->cur->keys[i];
    if (*key) {
        *keys = s->cur;
        atomic_fetch_add(&s->cur->refs, 1);
        found = FG_JWKS_FOUND;
        if (now - s->loaded_ms > FG_JWKS_MAX_AGE_S * 1000LL && now >= s->refetch_after_ms) {
            s->refetch_after_ms = now + FG_JWKS_REFETCH_S * 1000LL;
            jwks_queue_locked(s);
        }
    } else if (s->fetching || now >= s->refetch_after_ms) {
        found = FG_JWKS_REFRESH;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

int fg_jwks_wait(struct fg_jwks *s, struct fg_jwks_waiter *w)
{
    long long now = fg_mono_us() / 1000;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    if (!s->fetching && now >= s->refetch_after_ms) {
        s->refetch_after_ms = now + FG_JWKS_REFETCH_S * 1000LL;
        jwks_queue_locked(s);
    }
    if (s->fetching) {
        w->next = s->waiters;
        s->waiters = w;
    } else {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

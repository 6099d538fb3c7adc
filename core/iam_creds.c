/* SPDX-License-Identifier: MIT */
/* iam_creds.c - temporary role credentials in memory (see iam_creds.h).
 *
 * DESIGN: secrets come from getrandom(); the key id takes 80 random bits in base32 (STS's
 * alphabet, A-Z and 2-7), the secret 240 bits in base64's alphabet, the token 768. Nothing
 * here writes a file: a worker learns its own keys through its environment, which only
 * the same uid can read (/proc/PID/environ), and never another function's. Entries are
 * malloc'ed one by one (a spawn is rare beside a request) and wiped when freed. */
#include "iam_creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ------------------------------------------------------------------ types */

struct iam_entry {
    char secret[FG_IAM_SECRET_LEN + 1];
    char token[FG_IAM_TOKEN_LEN + 1];
    struct fg_iam_principal who;
    long long expires_s;
    unsigned refs;
};

/* ------------------------------------------------------------------ helpers */

static int iam_random(unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        got += (size_t)r;
    }
    return 0;
}

/* n characters of alphabet (its length a power of two) from random bytes, one per char. */
static int iam_random_text(char *out, size_t n, const char *alphabet, unsigned mask)
{
    unsigned char raw[FG_IAM_TOKEN_LEN];
    int rc;
    if (n > sizeof(raw))
        return -EINVAL;
    if ((rc = iam_random(raw, n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & mask];
    out[n] = '\0';
    explicit_bzero(raw, sizeof(raw));
    return 0;
}

static const char iam_base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char iam_base64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void iam_entry_free(struct iam_entry *e)
{
    if (!e)
        return;
    explicit_bzero(e, sizeof(*e));
    free(e);
}

static void iam_free_each(void *arg, const char *key, void *value)
{
    (void)arg;
    (void)key;
    iam_entry_free(value);
}

/* ------------------------------------------------------------------ API */

int fg_iam_creds_init(struct fg_iam_creds *c)
{
    int rc;
    memset(c, 0, sizeof(*c));
    fg_strmap_init(&c->map);
    c->lifetime_s = FG_IAM_CREDS_LIFETIME_S;
    if ((rc = pthread_rwlock_init(&c->lock, NULL)) != 0)
        return -rc;
    return 0;
}

void fg_iam_creds_close(struct fg_iam_creds *c)
{
    if (!c->lifetime_s)
        return;                 /* zeroed: never initialised */
    fg_strmap_each(&c->map, iam_free_each, NULL);
    fg_strmap_free(&c->map);
    pthread_rwlock_destroy(&c->lock);
    c->lifetime_s = 0;
}

void fg_iam_creds_set_endpoints(struct fg_iam_creds *c, const char *s3_url, const char *lambda_url)
{
    snprintf(c->s3_url, sizeof(c->s3_url), "%s", s3_url ? s3_url : "");
    snprintf(c->lambda_url, sizeof(c->lambda_url), "%s", lambda_url ? lambda_url : "");
}

int fg_iam_creds_issue(struct fg_iam_creds *c, const char *function, const struct fg_iam_policy *policy,
                       long long now_s, struct fg_iam_issued *out)
{
    struct iam_entry *e = calloc(1, sizeof(*e));
    int rc;

    memset(out, 0, sizeof(*out));
    if (!e)
        return -ENOMEM;
    memcpy(out->key_id, "ASIA", 4);
    if ((rc = iam_random_text(out->key_id + 4, FG_IAM_KEY_ID_LEN - 4, iam_base32, 31)) < 0 ||
        (rc = iam_random_text(e->secret, FG_IAM_SECRET_LEN, iam_base64, 63)) < 0 ||
        (rc = iam_random_text(e->token, FG_IAM_TOKEN_LEN, iam_base64, 63)) < 0)
        goto fail;
    snprintf(e->who.function, sizeof(e->who.function), "%s", function);
    e->who.policy = policy;
    e->expires_s = now_s + c->lifetime_s;
    e->refs = 1;
    pthread_rwlock_wrlock(&c->lock);
    if (fg_strmap_get(&c->map, out->key_id))
        rc = -EEXIST;           /* 80 random bits: never, but never twice either */
    else
        rc = fg_strmap_put(&c->map, out->key_id, e);
    pthread_rwlock_unlock(&c->lock);
    if (rc < 0)
        goto fail;
    memcpy(out->env[out->n_env], "AWS_ACCESS_KEY_ID=", 18);
    memcpy(out->env[out->n_env++] + 18, out->key_id, FG_IAM_KEY_ID_LEN + 1);
    snprintf(out->env[out->n_env++], sizeof(out->env[0]), "AWS_SECRET_ACCESS_KEY=%s", e->secret);
    snprintf(out->env[out->n_env++], sizeof(out->env[0]), "AWS_SESSION_TOKEN=%s", e->token);
    if (c->s3_url[0])
        snprintf(out->env[out->n_env++], sizeof(out->env[0]), "AWS_ENDPOINT_URL_S3=%s", c->s3_url);
    if (c->lambda_url[0])
        snprintf(out->env[out->n_env++], sizeof(out->env[0]), "AWS_ENDPOINT_URL_LAMBDA=%s", c->lambda_url);
    return 0;
fail:
    iam_entry_free(e);
    explicit_bzero(out, sizeof(*out));
    return rc;
}

int fg_iam_creds_hold(struct fg_iam_creds *c, const char *key_id)
{
    struct iam_entry *e;
    int rc = -ENOENT;
    if (!key_id[0])
        return rc;
    pthread_rwlock_wrlock(&c->lock);
    if ((e = fg_strmap_get(&c->map, key_id))) {
        e->refs++;
        rc = 0;
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

void fg_iam_creds_release(struct fg_iam_creds *c, const char *key_id)
{
    struct iam_entry *e = NULL;
    if (!key_id[0])
        return;
    pthread_rwlock_wrlock(&c->lock);
    if ((e = fg_strmap_get(&c->map, key_id)) && --e->refs == 0)
        fg_strmap_del(&c->map, key_id);
    else
        e = NULL;
    pthread_rwlock_unlock(&c->lock);
    iam_entry_free(e);
}

bool fg_iam_creds_is_role_key(const char *key_id)
{
    if (strlen(key_id) != FG_IAM_KEY_ID_LEN || strncmp(key_id, "ASIA", 4))
        return false;
    for (const char *p = key_id + 4; *p; p++)
        if (!strchr(iam_base32, *p))
            return false;
    return true;
}

int fg_iam_creds_lookup(struct fg_iam_creds *c, const char *key_id, const char *token, long long now_s,
                        char *secret, struct fg_iam_principal *who)
{
    const struct iam_entry *e;
    unsigned diff = 0;
    int rc = 0;

    pthread_rwlock_rdlock(&c->lock);
    if (!(e = fg_strmap_get(&c->map, key_id))) {
        rc = -ENOENT;
    } else if (now_s >= e->expires_s) {
        rc = -ETIMEDOUT;
    } else {
        size_t n = token ? strlen(token) : 0;
        diff = n != FG_IAM_TOKEN_LEN;
        for (size_t i = 0; i < FG_IAM_TOKEN_LEN; i++)     /* no early exit */
            diff |= (unsigned)(e->token[i] ^ (i < n ? token[i] : 0));
        if (diff) {
            rc = -EACCES;
        } else {
            memcpy(secret, e->secret, FG_IAM_SECRET_LEN + 1);
            *who = e->who;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

void fg_iam_principal_arn(const struct fg_iam_principal *who, const char *account_id, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:sts::%s:assumed-role/%s-role/%s", account_id, who->function, who->function);
}

size_t fg_iam_creds_count(struct fg_iam_creds *c)
{
    size_t n;
    pthread_rwlock_rdlock(&c->lock);
    n = c->map.len;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

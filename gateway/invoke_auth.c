/* SPDX-License-Identifier: MIT */
/* invoke_auth.c - the Invoke API's gate (see invoke_auth.h).
 *
 * DESIGN: the checks run cheapest first and none depends on the function named, so an
 * unauthenticated caller cannot tell which functions exist: a browser's headers, the Host
 * (auth none on loopback), then with sigv4 a signature at all, its form, the key, its
 * scope (service lambda; the scope's date is the request's), the clock, the body's hash,
 * and last the signature: a SHA-256 of the canonical request and one HMAC under the
 * scope's signing key, which takes four more HMACs to derive and is kept per credential
 * until the scope changes (a new day, another region), as the SDKs keep theirs. The region
 * is not checked: clients sign for whatever region they are configured with, and the key
 * derivation covers it. Messages are the ones Lambda answers (README "Invoke API" says
 * where each was seen); a presigned URL's expiry has no published Lambda text and says
 * plainly what expired. */
#include "invoke_auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/assert.h"
#include "../core/buf.h"
#include "../core/url.h"
#include "../core/sha256.h"
#include "sigv4.h"

/* ------------------------------------------------------------------ types */

/* A credential's signing key for one scope: the last one derived. */
struct fg_invoke_auth_key {
    char scope[128];            /* "yyyymmdd/region/service"; "" before the first */
    unsigned char key[32];
};

/* ------------------------------------------------------------------ helpers */

static int auth_refuse(struct fg_invoke_refusal *why, int status, const char *type, const char *fmt, ...)
    FG_PRINTF(4, 5);

static int auth_refuse(struct fg_invoke_refusal *why, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    why->status = status;
    why->error_type = type;
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof(why->message), fmt, ap);
    va_end(ap);
    return -EACCES;
}

static const char *auth_header(const struct fg_invoke_caller *c, const char *name)
{
    return fg_http_header_get(c->headers, c->n_headers, name);
}

/* epoch seconds as x-amz-date writes them */
static void auth_amz_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm))
        snprintf(out, 17, "?");
}

/* The signature's date (well formed) against the clock: 15 minutes either way for a
 * signed header (as Lambda words it), a presigned URL until X-Amz-Expires ran out. */
static int auth_clock(const struct fg_sigv4_auth *sa, long long t, long long now_s, struct fg_invoke_refusal *why)
{
    char now[17], edge[17];     /* the messages' times, written only for a refusal */

    if (t > now_s + FG_SIGV4_SKEW_S) {
        auth_amz_date(now_s, now);
        auth_amz_date(now_s + FG_SIGV4_SKEW_S, edge);
        return auth_refuse(why, 403, "InvalidSignatureException",
                           "Signature not yet current: %s is still later than %s (%s + 15 min.)", sa->amz_date, edge, now);
    }
    if (sa->presigned) {
        if (sa->expires_s < 1 || sa->expires_s > FG_SIGV4_EXPIRES_MAX_S)
            return auth_refuse(why, 400, "IncompleteSignatureException",
                               "X-Amz-Expires must be between 1 and %d seconds", FG_SIGV4_EXPIRES_MAX_S);
        if (now_s > t + sa->expires_s) {
            auth_amz_date(now_s, now);
            auth_amz_date(t + sa->expires_s, edge);
            return auth_refuse(why, 403, "InvalidSignatureException",
                               "Signature expired: the presigned request was valid until %s; it is now %s", edge, now);
        }
        return 0;
    }
    if (t < now_s - FG_SIGV4_SKEW_S) {
        auth_amz_date(now_s, now);
        auth_amz_date(now_s - FG_SIGV4_SKEW_S, edge);
        return auth_refuse(why, 403, "InvalidSignatureException",
                           "Signature expired: %s is now earlier than %s (%s - 15 min.)", sa->amz_date, edge, now);
    }
    return 0;
}

/* sigv4.c's messages are "Code: text"; Lambda's answer carries the text. */
static const char *auth_text(const char *msg)
{
    const char *colon = strstr(msg, ": ");
    return colon ? colon + 2 : msg;
}

/* The signing key of sa's scope for cred: kept from the last call with the same scope
 * (clients sign for one region, and the date changes once a day), else derived and kept. */
static void auth_key(struct fg_invoke_auth *a, const struct fg_conf_credential *cred, const struct fg_sigv4_auth *sa,
                     unsigned char key[32])
{
    size_t i = (size_t)(cred - a->conf->credentials.items);
    struct fg_invoke_auth_key *slot = &a->keys[i];
    char scope[sizeof(slot->scope)];

    FG_ASSERT(i < a->n_keys);
    snprintf(scope, sizeof(scope), "%s/%s/%s", sa->date, sa->region, sa->service);
    pthread_mutex_lock(&a->lock);
    if (!strcmp(slot->scope, scope)) {
        memcpy(key, slot->key, 32);
        pthread_mutex_unlock(&a->lock);
        return;
    }
    pthread_mutex_unlock(&a->lock);
    fg_sigv4_derive_key(cred->secret_key, sa, key);     /* outside the lock: four HMACs */
    pthread_mutex_lock(&a->lock);
    memcpy(slot->key, key, 32);
    memcpy(slot->scope, scope, sizeof(scope));
    pthread_mutex_unlock(&a->lock);
}

/* The session token a request carries: the header, or a presigned URL's query. */
static const char *auth_token(const struct fg_invoke_caller *c, const struct fg_sigv4_auth *sa, char *buf, size_t size)
{
    const char *h = auth_header(c, "x-amz-security-token");
    struct fg_buf dec;
    const char *q, *end;
    if (h || !sa->presigned || !c->raw_query)
        return h;
    for (q = c->raw_query; q && *q; q = end ? end + 1 : NULL) {
        end = strchr(q, '&');
        if (strncmp(q, "X-Amz-Security-Token=", 21))
            continue;
        q += 21;
        fg_buf_init(&dec, size - 1);
        if (fg_url_decode(&dec, q, end ? (size_t)(end - q) : strlen(q), FG_URL_PERCENT) < 0 || !dec.len) {
            fg_buf_free(&dec);
            return NULL;
        }
        memcpy(buf, dec.data, dec.len);
        buf[dec.len] = '\0';
        fg_buf_free(&dec);
        return buf;
    }
    return NULL;
}

/* A signature by role credentials (core/iam_creds.h): the key must be live and the token
 * its own; then the secret is the one to check the signature with. */
static int auth_role(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, const struct fg_sigv4_auth *sa,
                     long long now_s, char secret[FG_IAM_SECRET_LEN + 1], struct fg_iam_principal *who,
                     struct fg_invoke_refusal *why)
{
    char buf[FG_IAM_TOKEN_LEN * 3 + 1];
    int rc = a->creds ? fg_iam_creds_lookup(a->creds, sa->access_key, auth_token(c, sa, buf, sizeof(buf)), now_s,
                                            secret, who)
                      : -ENOENT;
    if (rc == -ETIMEDOUT)
        return auth_refuse(why, 403, "ExpiredTokenException", "The security token included in the request is expired");
    if (rc < 0)
        return auth_refuse(why, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    return 0;
}

static int auth_sigv4(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                      struct fg_iam_principal *who, struct fg_invoke_refusal *why)
{
    struct fg_sigv4_request r = { c->method, c->raw_path, c->raw_query && *c->raw_query ? c->raw_query : NULL,
                                  c->headers, c->n_headers, NULL, FG_SIGV4_GENERIC };
    const char *declared = auth_header(c, "x-amz-content-sha256");
    const struct fg_conf_credential *cred;
    char role_secret[FG_IAM_SECRET_LEN + 1] = "";
    struct fg_sigv4_auth sa;
    struct fg_sha256 sha;
    unsigned char digest[32], key[32];
    char body_hash[65];
    long long signed_at;
    struct fg_err err;
    int rc;

    if ((rc = fg_sigv4_parse(&r, &sa, &err)) == -ENOENT)
        return auth_refuse(why, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    if (rc < 0)
        return auth_refuse(why, 400, "IncompleteSignatureException", "%s", auth_text(err.msg));
    if (!(cred = fg_conf_credential_find(&a->conf->credentials, sa.access_key))) {
        if (!fg_iam_creds_is_role_key(sa.access_key))
            return auth_refuse(why, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        if ((rc = auth_role(a, c, &sa, now_s, role_secret, who, why)) < 0)
            return rc;
    }
    if (strcmp(sa.service, "lambda"))
        return auth_refuse(why, 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'lambda'. ");
    if ((signed_at = fg_sigv4_time(sa.amz_date)) < 0) {
        const char *d = auth_header(c, "x-amz-date");
        return auth_refuse(why, 400, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '%.64s'.",
                           d && !sa.presigned ? d : sa.amz_date);
    }
    if (strncmp(sa.date, sa.amz_date, 8))
        return auth_refuse(why, 403, "InvalidSignatureException",
                           "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                           "'%s' != '%.8s', from '%s'.", sa.date, sa.amz_date, sa.amz_date);
    if ((rc = auth_clock(&sa, signed_at, now_s, why)) < 0)
        return rc;
    if (c->body_dropped)
        return -E2BIG;
    /* The canonical request ends with the payload's hash: the one the client declared
     * (which must then be the body's, unless it declared the payload unsigned), else the
     * body's own, as botocore signs Lambda calls without the header. */
    fg_sha256_init(&sha);
    fg_sha256_update(&sha, c->body ? c->body : "", c->body_len);
    fg_sha256_final(&sha, digest);
    fg_sha256_hex(digest, body_hash);
    r.payload_hash = body_hash;
    if (declared && strcmp(declared, "UNSIGNED-PAYLOAD") && strcmp(declared, body_hash))
        return auth_refuse(why, 400, "InvalidSignatureException",
                           "The provided 'x-amz-content-sha256' header does not match what was computed.");
    if (declared)
        r.payload_hash = declared;
    if (cred)
        auth_key(a, cred, &sa, key);
    else
        fg_sigv4_derive_key(role_secret, &sa, key);
    explicit_bzero(role_secret, sizeof(role_secret));
    rc = fg_sigv4_signature_check_key(&r, &sa, key);
    explicit_bzero(key, sizeof(key));
    if (rc == -EACCES)
        return auth_refuse(why, 403, "InvalidSignatureException",
                           "The request signature we calculated does not match the signature you provided. Check your "
                           "AWS Secret Access Key and signing method. Consult the service documentation for details.");
    if (rc < 0)
        return auth_refuse(why, 400, "IncompleteSignatureException", "The request is too large to verify.");
    return 0;
}

/* ------------------------------------------------------------------ API */

int fg_invoke_auth_init(struct fg_invoke_auth *a, const struct fg_conf_invoke_api *conf, const char *listen_host)
{
    memset(a, 0, sizeof(*a));
    a->n_keys = conf->credentials.n;
    if (!(a->keys = calloc(a->n_keys + 1, sizeof(*a->keys))))
        return -ENOMEM;
    pthread_mutex_init(&a->lock, NULL);
    a->conf = conf;
    a->check_host = conf->auth == FG_INVOKE_AUTH_NONE && fg_conf_host_is_loopback(listen_host);
    return 0;
}

void fg_invoke_auth_close(struct fg_invoke_auth *a)
{
    if (!a->keys)
        return;
    explicit_bzero(a->keys, sizeof(*a->keys) * a->n_keys);
    free(a->keys);
    a->keys = NULL;
    pthread_mutex_destroy(&a->lock);
}

/* auth none: whether c is signed by role credentials, which are then checked anyway. */
static bool auth_role_signed(const struct fg_invoke_caller *c)
{
    struct fg_sigv4_request r = { c->method, c->raw_path, c->raw_query && *c->raw_query ? c->raw_query : NULL,
                                  c->headers, c->n_headers, NULL, FG_SIGV4_GENERIC };
    struct fg_sigv4_auth sa;
    struct fg_err err;
    return fg_sigv4_parse(&r, &sa, &err) == 0 && fg_iam_creds_is_role_key(sa.access_key);
}

int fg_invoke_auth_check(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                         struct fg_invoke_refusal *why)
{
    struct fg_iam_principal who;
    return fg_invoke_auth_check_as(a, c, now_s, &who, why);
}

int fg_invoke_auth_check_as(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                            struct fg_iam_principal *who, struct fg_invoke_refusal *why)
{
    memset(who, 0, sizeof(*who));
    if (auth_header(c, "origin") || auth_header(c, "sec-fetch-site"))
        return auth_refuse(why, 403, "AccessDeniedException",
                           "fngate does not take Invoke API calls from web browsers (the request has an Origin or "
                           "Sec-Fetch-Site header); a page calls functions through an http route");
    /* A request without Host (HTTP/1.0) is no browser's. */
    if (a->check_host && auth_header(c, "host") && !fg_url_host_is_literal(auth_header(c, "host")))
        return auth_refuse(why, 403, "AccessDeniedException",
                           "Host '%.200s' is not an IP address or localhost: this gateway's Invoke API takes "
                           "unauthenticated calls on loopback only, addressed to it by number or as localhost",
                           auth_header(c, "host"));
    /* With auth none a signature is not looked at, but one by role credentials is: a
     * function must not gain its role's rights by signing, nor keep them once revoked. */
    if (a->conf->auth == FG_INVOKE_AUTH_NONE && !auth_role_signed(c))
        return 0;
    return auth_sigv4(a, c, now_s, who, why);
}

int fg_invoke_auth_check_signed(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                                struct fg_iam_principal *who, struct fg_invoke_refusal *why)
{
    memset(who, 0, sizeof(*who));
    return auth_sigv4(a, c, now_s, who, why);
}

int fg_invoke_auth_authorize(const struct fg_iam_principal *who, const char *account_id, const char *action,
                             const char *arn, struct fg_invoke_refusal *why)
{
    enum fg_iam_decision d;
    char principal[256];

    if (!who->function[0] || (d = fg_iam_evaluate(who->policy, action, arn)) == FG_IAM_ALLOWED)
        return 0;
    fg_iam_principal_arn(who, account_id, principal, sizeof(principal));
    why->status = 403;
    why->error_type = "AccessDeniedException";
    fg_iam_denied_message(why->message, sizeof(why->message), principal, action, arn, d, false);
    return -EACCES;
}

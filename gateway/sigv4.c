/* SPDX-License-Identifier: MIT */
/* sigv4.c - AWS Signature Version 4 verification (see sigv4.h). */
#include "sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/sha256.h"
#include "../core/tz.h"
#include "../core/url.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char *sigv4_header(const struct fg_sigv4_request *r, const char *name)
{
    return fg_http_header_get(r->headers, r->n_headers, name);
}

static bool sigv4_unreserved(unsigned char c, bool keep_slash)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
}

/* SigV4's URI encoding: everything but A-Z a-z 0-9 - . _ ~ (and '/' in paths) is %XX. Runs
 * of unreserved bytes are appended whole (the canonical request is built per request). */
static int sigv4_encode(struct fg_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    int rc;

    while (i < n) {
        size_t end = i;
        while (end < n && sigv4_unreserved((unsigned char)s[end], keep_slash))
            end++;
        if (end > i && (rc = fg_buf_append(out, s + i, end - i)) < 0)
            return rc;
        if (end < n) {
            unsigned char c = (unsigned char)s[end];
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            if ((rc = fg_buf_append(out, esc, 3)) < 0)
                return rc;
            end++;
        }
        i = end;
    }
    return 0;
}

/* Decodes then re-encodes s[0..n). */
static int sigv4_reencode(struct fg_buf *out, const char *s, size_t n, bool keep_slash)
{
    struct fg_buf dec;
    int rc;
    fg_buf_init(&dec, 1 << 20);
    if ((rc = fg_url_decode(&dec, s, n, FG_URL_PERCENT)) == 0)
        rc = sigv4_encode(out, dec.data ? dec.data : "", dec.len, keep_slash);
    fg_buf_free(&dec);
    return rc;
}

/* The value of query parameter name (decoded) into out: false when absent or too long. */
static bool sigv4_query_param(const char *q, const char *name, char *out, size_t size)
{
    return fg_url_query_param(q, name, FG_URL_PERCENT, out, size) == 1;
}

/* "AK/yyyymmdd/region/service/aws4_request" */
static int sigv4_credential(const char *cred, size_t n, struct fg_sigv4_auth *a, struct fg_err *err)
{
    char buf[512], *parts[5], *save = NULL;
    int k = 0;
    if (n >= sizeof(buf))
        return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: the credential is too long");
    memcpy(buf, cred, n);
    buf[n] = '\0';
    for (char *t = strtok_r(buf, "/", &save); t && k < 5; t = strtok_r(NULL, "/", &save))
        parts[k++] = t;
    if (k != 5 || strlen(parts[1]) != 8 || strcmp(parts[4], "aws4_request"))
        return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: the credential must be KEY/DATE/REGION/SERVICE/aws4_request");
    snprintf(a->access_key, sizeof(a->access_key), "%s", parts[0]);
    snprintf(a->date, sizeof(a->date), "%s", parts[1]);
    snprintf(a->region, sizeof(a->region), "%s", parts[2]);
    snprintf(a->service, sizeof(a->service), "%s", parts[3]);
    return 0;
}

int fg_sigv4_parse(const struct fg_sigv4_request *r, struct fg_sigv4_auth *a, struct fg_err *err)
{
    const char *auth = sigv4_header(r, "authorization");
    int rc;

    memset(a, 0, sizeof(*a));
    if (auth) {
        const char *p = auth;
        if (strncmp(p, SIGV4_ALGORITHM " ", sizeof(SIGV4_ALGORITHM)))
            return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: only AWS4-HMAC-SHA256 is supported");
        p += sizeof(SIGV4_ALGORITHM);
        while (*p) {
            const char *e;
            while (*p == ' ' || *p == ',')
                p++;
            e = p + strcspn(p, ",");
            if (!strncmp(p, "Credential=", 11)) {
                if ((rc = sigv4_credential(p + 11, (size_t)(e - p - 11), a, err)) < 0)
                    return rc;
            } else if (!strncmp(p, "SignedHeaders=", 14)) {
                snprintf(a->signed_headers, sizeof(a->signed_headers), "%.*s", (int)(e - p - 14), p + 14);
            } else if (!strncmp(p, "Signature=", 10)) {
                snprintf(a->signature, sizeof(a->signature), "%.*s", (int)(e - p - 10), p + 10);
            }
            p = e;
        }
        const char *d = sigv4_header(r, "x-amz-date");
        snprintf(a->amz_date, sizeof(a->amz_date), "%s", d ? d : "");
    } else {
        char alg[64], cred[512], expires[32];
        const char *q = r->raw_query ? r->raw_query : "";
        if (!sigv4_query_param(q, "X-Amz-Algorithm", alg, sizeof(alg)))
            return -ENOENT;
        if (strcmp(alg, SIGV4_ALGORITHM))
            return fg_err_set(err, -EINVAL, "AuthorizationQueryParametersError: only AWS4-HMAC-SHA256 is supported");
        if (!sigv4_query_param(q, "X-Amz-Credential", cred, sizeof(cred)) ||
            (rc = sigv4_credential(cred, strlen(cred), a, err)) < 0 ||
            !sigv4_query_param(q, "X-Amz-Date", a->amz_date, sizeof(a->amz_date)) ||
            !sigv4_query_param(q, "X-Amz-SignedHeaders", a->signed_headers, sizeof(a->signed_headers)) ||
            !sigv4_query_param(q, "X-Amz-Signature", a->signature, sizeof(a->signature)) ||
            !sigv4_query_param(q, "X-Amz-Expires", expires, sizeof(expires)))
            return fg_err_set(err, -EINVAL, "AuthorizationQueryParametersError: a presigned URL needs X-Amz-Credential, "
                                            "X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature");
        a->presigned = true;
        a->expires_s = atol(expires);
    }
    if (!a->access_key[0] || !a->signed_headers[0] || strlen(a->signature) != 64 || strlen(a->amz_date) != 16)
        return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: credential, signed headers, signature and x-amz-date are all required");
    return 0;
}

struct sigv4_pair {
    char *k, *v;
};

static int sigv4_cmp_pair(const void *x, const void *y)
{
    const struct sigv4_pair *a = x, *b = y;
    int c = strcmp(a->k, b->k);
    return c ? c : strcmp(a->v, b->v);
}

static int sigv4_query(const struct fg_sigv4_request *r, bool presigned, struct fg_buf *out)
{
    const char *q = r->raw_query ? r->raw_query : "";
    struct sigv4_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    for (const char *p = q; *p;) {
        const char *e = p + strcspn(p, "&"), *eq = memchr(p, '=', (size_t)(e - p));
        struct fg_buf k, v;
        if (e == p) {
            p++;
            continue;
        }
        fg_buf_init(&k, 1 << 16);
        fg_buf_init(&v, 1 << 20);
        if ((rc = sigv4_reencode(&k, p, (size_t)((eq ? eq : e) - p), false)) < 0 ||
            (eq && (rc = sigv4_reencode(&v, eq + 1, (size_t)(e - eq - 1), false)) < 0)) {
            fg_buf_free(&k);
            fg_buf_free(&v);
            goto out;
        }
        if (presigned && k.data && !strcmp(k.data, "X-Amz-Signature")) {
            fg_buf_free(&k);
            fg_buf_free(&v);
        } else {
            if (n == cap) {
                struct sigv4_pair *g = realloc(pairs, (cap = cap ? cap * 2 : 16) * sizeof(*g));
                if (!g) {
                    fg_buf_free(&k);
                    fg_buf_free(&v);
                    rc = -ENOMEM;
                    goto out;
                }
                pairs = g;
            }
            size_t kl, vl;
            pairs[n].k = fg_buf_take(&k, &kl);
            pairs[n].v = fg_buf_take(&v, &vl);
            if (!pairs[n].k)
                pairs[n].k = strdup("");
            if (!pairs[n].v)
                pairs[n].v = strdup("");
            n++;
        }
        p = *e ? e + 1 : e;
    }
    if (n)
        qsort(pairs, n, sizeof(*pairs), sigv4_cmp_pair);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((i && (rc = fg_buf_append(out, "&", 1)) < 0) || (rc = fg_buf_append(out, pairs[i].k, strlen(pairs[i].k))) < 0 ||
            (rc = fg_buf_append(out, "=", 1)) < 0)
            break;
        rc = fg_buf_append(out, pairs[i].v, strlen(pairs[i].v));
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
    return rc;
}

/* name:value\n for a signed header: every occurrence, trimmed, inner runs of spaces
 * collapsed, joined by commas. */
static int sigv4_header_line(const struct fg_sigv4_request *r, const char *name, size_t nl, struct fg_buf *out)
{
    int rc, seen = 0;
    if ((rc = fg_buf_append(out, name, nl)) < 0 || (rc = fg_buf_append(out, ":", 1)) < 0)
        return rc;
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *v = r->headers[i].value;
        if (strlen(r->headers[i].name) != nl || strncasecmp(r->headers[i].name, name, nl))
            continue;
        if (seen++ && (rc = fg_buf_append(out, ",", 1)) < 0)
            return rc;
        for (bool first = true; *v;) {
            size_t word;
            v += strspn(v, " \t");
            if (!*v)
                break;
            word = strcspn(v, " \t");
            if ((!first && (rc = fg_buf_append(out, " ", 1)) < 0) || (rc = fg_buf_append(out, v, word)) < 0)
                return rc;
            first = false;
            v += word;
        }
    }
    return fg_buf_append(out, "\n", 1);
}

/* The canonical URI: S3's is the path encoded once (decoded here first, so any escaping the
 * client chose verifies); other services sign the path as sent, encoded again. Neither is
 * normalised (no dot segments removed, no slashes merged): S3 keys keep them, and a Lambda
 * path that has them is no invocations path. */
static int sigv4_path(const struct fg_sigv4_request *r, struct fg_buf *out)
{
    const char *path = r->raw_path && *r->raw_path ? r->raw_path : "/";
    if (r->rules == FG_SIGV4_GENERIC)
        return sigv4_encode(out, path, strlen(path), true);
    return sigv4_reencode(out, path, strlen(path), true);
}

int fg_sigv4_canonical(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, struct fg_buf *out)
{
    const char *payload = a->presigned && r->rules == FG_SIGV4_S3 ? "UNSIGNED-PAYLOAD"
                        : r->payload_hash ? r->payload_hash : SIGV4_EMPTY_SHA256;
    int rc;

    if ((rc = fg_buf_append(out, r->method, strlen(r->method))) < 0 || (rc = fg_buf_append(out, "\n", 1)) < 0 ||
        (rc = sigv4_path(r, out)) < 0 || (rc = fg_buf_append(out, "\n", 1)) < 0 ||
        (rc = sigv4_query(r, a->presigned, out)) < 0 || (rc = fg_buf_append(out, "\n", 1)) < 0)
        return rc;
    for (const char *h = a->signed_headers; *h;) {
        size_t nl = strcspn(h, ";");
        if ((rc = sigv4_header_line(r, h, nl, out)) < 0)
            return rc;
        h += nl + (h[nl] == ';');
    }
    if ((rc = fg_buf_append(out, "\n", 1)) < 0 || (rc = fg_buf_append(out, a->signed_headers, strlen(a->signed_headers))) < 0 ||
        (rc = fg_buf_append(out, "\n", 1)) < 0)
        return rc;
    return fg_buf_append(out, payload, strlen(payload));
}

void fg_sigv4_derive_key(const char *secret, const struct fg_sigv4_auth *a, unsigned char key[32])
{
    char k0[FG_SIGV4_SECRET_MAX + 5];
    int n = snprintf(k0, sizeof(k0), "AWS4%s", secret);
    fg_hmac_sha256(k0, (size_t)n < sizeof(k0) ? (size_t)n : sizeof(k0) - 1, a->date, strlen(a->date), key);
    explicit_bzero(k0, sizeof(k0));
    fg_hmac_sha256(key, 32, a->region, strlen(a->region), key);
    fg_hmac_sha256(key, 32, a->service, strlen(a->service), key);
    fg_hmac_sha256(key, 32, "aws4_request", 12, key);
}

/* The signature of a canonical request under a derived key. */
static void sigv4_sign_key(const unsigned char key[32], const struct fg_sigv4_auth *a, const char *canonical, size_t len,
                           char out[65])
{
    unsigned char h[32];
    char hex[65], sts[512];
    struct fg_sha256 c;
    int n;

    fg_sha256_init(&c);
    fg_sha256_update(&c, canonical, len);
    fg_sha256_final(&c, h);
    fg_sha256_hex(h, hex);
    n = snprintf(sts, sizeof(sts), SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", a->amz_date, a->date, a->region,
                 a->service, hex);
    fg_hmac_sha256(key, 32, sts, (size_t)n < sizeof(sts) ? (size_t)n : sizeof(sts) - 1, h);
    fg_sha256_hex(h, out);
}

void fg_sigv4_sign(const char *secret, const struct fg_sigv4_auth *a, const char *canonical, size_t len, char out[65])
{
    unsigned char key[32];
    fg_sigv4_derive_key(secret, a, key);
    sigv4_sign_key(key, a, canonical, len, out);
}

/* The number written by s[0..n), all digits (checked by the caller). */
static int sigv4_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

long long fg_sigv4_time(const char *s)
{
    int y, mo, d, h, mi, se;
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return -1;
    y = sigv4_digits(s, 4);
    mo = sigv4_digits(s + 4, 2);
    d = sigv4_digits(s + 6, 2);
    h = sigv4_digits(s + 9, 2);
    mi = sigv4_digits(s + 11, 2);
    se = sigv4_digits(s + 13, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    return fg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

int fg_sigv4_signature_check_key(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a,
                                 const unsigned char key[32])
{
    struct fg_buf canon;
    char want[65];
    unsigned diff = 0;
    int rc;

    fg_buf_init(&canon, 8u << 20);
    if ((rc = fg_sigv4_canonical(r, a, &canon)) < 0) {
        fg_buf_free(&canon);
        return rc;
    }
    sigv4_sign_key(key, a, canon.data, canon.len, want);
    fg_buf_free(&canon);
    for (int i = 0; i < 64; i++)           /* no early exit: the time says nothing */
        diff |= (unsigned)(want[i] ^ a->signature[i]);
    return diff ? -EACCES : 0;
}

int fg_sigv4_signature_check(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, const char *secret)
{
    unsigned char key[32];
    fg_sigv4_derive_key(secret, a, key);
    return fg_sigv4_signature_check_key(r, a, key);
}

int fg_sigv4_verify(const struct fg_sigv4_request *r, const char *access_key, const char *secret, long long now_s,
                    struct fg_err *err)
{
    struct fg_sigv4_auth a;
    int rc;

    if ((rc = fg_sigv4_parse(r, &a, err)) < 0)
        return rc;
    if (strcmp(a.access_key, access_key))
        return fg_err_set(err, -EACCES, "InvalidAccessKeyId: the AWS access key id you provided does not exist in our records");
    if (a.presigned) {
        long long t = fg_sigv4_time(a.amz_date);
        if (t < 0 || a.expires_s < 1 || a.expires_s > FG_SIGV4_EXPIRES_MAX_S)
            return fg_err_set(err, -EINVAL, "AuthorizationQueryParametersError: X-Amz-Date and X-Amz-Expires (1..604800) are required");
        if (now_s > t + a.expires_s)
            return fg_err_set(err, -EACCES, "AccessDenied: Request has expired");
    } else {
        /* AWS's 15 minutes either way: a signed request cannot be replayed later, or signed
         * ahead with a clock set forward. */
        long long t = fg_sigv4_time(a.amz_date);
        if (t < 0)
            return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: x-amz-date is not a date like 20260102T030405Z");
        if (t < now_s - FG_SIGV4_SKEW_S || t > now_s + FG_SIGV4_SKEW_S)
            return fg_err_set(err, -EACCES, "RequestTimeTooSkewed: The difference between the request time and the "
                                            "current time is too large.");
    }
    if ((rc = fg_sigv4_signature_check(r, &a, secret)) == -EACCES)
        return fg_err_set(err, -EACCES, "SignatureDoesNotMatch: the request signature we calculated does not match "
                                        "the signature you provided; check your key and signing method");
    if (rc < 0)
        return fg_err_set(err, rc, "the request is too large to verify");
    return 0;
}

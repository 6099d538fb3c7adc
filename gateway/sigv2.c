/* SPDX-License-Identifier: MIT */
/* sigv2.c - AWS Signature Version 2 (see sigv2.h). */
#include "sigv2.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/base64.h"
#include "../core/sha1.h"
#include "../core/url.h"

/* ------------------------------------------------------------------ types */

/* The query parameters S3 signs as sub-resources: the list botocore (the AWS CLI v1) signs,
 * which is S3's. Any other parameter (prefix, max-keys, ...) is not signed. */
static const char *const sigv2_subresources[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle", "location",
    "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore", "select", "select-type",
    "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
};

/* At most this many x-amz-* headers or sub-resources are signed; a request with more is
 * refused as malformed rather than given an unbounded sort. */
#define SIGV2_MAX_ITEMS 128

struct sigv2_item {
    const char *name, *value;   /* borrowed from the request */
    size_t name_len, value_len;
    bool has_value;             /* a sub-resource written name=value (else name alone) */
    size_t order;               /* as sent: ties keep it */
};

/* ------------------------------------------------------------------ helpers */

/* By name, case-blind (x-amz-* names are signed lower-cased; no two sub-resources differ
 * by case alone, and case-blind order is theirs), then as sent. */
static int sigv2_cmp_item(const void *x, const void *y)
{
    const struct sigv2_item *a = x, *b = y;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = strncasecmp(a->name, b->name, n);
    if (!c)
        c = a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
    return c ? c : a->order < b->order ? -1 : 1;
}

static bool sigv2_subresource(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(sigv2_subresources) / sizeof(sigv2_subresources[0]); i++)
        if (strlen(sigv2_subresources[i]) == n && !memcmp(sigv2_subresources[i], name, n))
            return true;
    return false;
}

/* Appends s[0..n) without leading and trailing blanks. */
static int sigv2_append_trimmed(struct fg_buf *out, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return fg_buf_append(out, s, n);
}

/* The first header called name, trimmed, then "\n". */
static int sigv2_header_line(const struct fg_sigv2_request *r, const char *name, struct fg_buf *out)
{
    const char *v = fg_http_header_get(r->headers, r->n_headers, name);
    int rc = v ? sigv2_append_trimmed(out, v, strlen(v)) : 0;
    return rc < 0 ? rc : fg_buf_append(out, "\n", 1);
}

/* CanonicalizedAmzHeaders: "name:value\n" per x-amz-* name, lower-cased and sorted, the
 * trimmed values of a repeated name joined by commas. */
static int sigv2_amz_headers(const struct fg_sigv2_request *r, struct fg_buf *out)
{
    struct sigv2_item items[SIGV2_MAX_ITEMS];
    size_t n = 0;
    int rc = 0;

    for (size_t i = 0; i < r->n_headers; i++) {
        if (strncasecmp(r->headers[i].name, "x-amz-", 6))
            continue;
        if (n == SIGV2_MAX_ITEMS)
            return -E2BIG;
        items[n] = (struct sigv2_item){ r->headers[i].name, r->headers[i].value, strlen(r->headers[i].name),
                                        strlen(r->headers[i].value), true, i };
        n++;
    }
    qsort(items, n, sizeof(items[0]), sigv2_cmp_item);
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool same = i && items[i].name_len == items[i - 1].name_len &&
                    !strncasecmp(items[i].name, items[i - 1].name, items[i].name_len);
        if (same) {
            rc = fg_buf_append(out, ",", 1);
        } else {
            if (i)
                rc = fg_buf_append(out, "\n", 1);
            for (size_t k = 0; k < items[i].name_len && rc == 0; k++) {
                char c = (char)tolower((unsigned char)items[i].name[k]);
                rc = fg_buf_append(out, &c, 1);
            }
            if (rc == 0)
                rc = fg_buf_append(out, ":", 1);
        }
        if (rc == 0)
            rc = sigv2_append_trimmed(out, items[i].value, items[i].value_len);
    }
    return rc == 0 && n ? fg_buf_append(out, "\n", 1) : rc;
}

/* The operation's fixed query that botocore (the AWS CLI v1, boto3) puts in the resource it
 * signs, ahead of the sub-resources: its operation model writes ListObjectsV2 as
 * /{Bucket}?list-type=2 and CreateMultipartUpload as /{Bucket}/{Key+}?uploads, and it signs
 * that path ("/b?list-type=2", "/b/k?uploads?uploads") where S3's rules give "/b/" and
 * "/b/k?uploads". NULL for the requests it signs by the rules. */
static const char *sigv2_botocore_static(const struct fg_sigv2_request *r)
{
    char v[8];
    const char *q = r->raw_query ? r->raw_query : "";
    if (fg_url_query_param(q, "list-type", FG_URL_PERCENT, v, sizeof(v)) == 1 && !strcmp(v, "2"))
        return "list-type=2";
    if (!strcmp(r->method, "POST") && fg_url_query_param(q, "uploads", FG_URL_PERCENT, v, sizeof(v)) == 1 && !v[0])
        return "uploads";
    return NULL;
}

/* CanonicalizedResource: [/bucket of a virtual host] + the path as sent (a path-style
 * bucket alone with its '/', as S3 wants it: "/b/") + the signed sub-resources, sorted,
 * values percent-decoded. With botocore_static, the path as botocore signs it instead. */
static int sigv2_resource(const struct fg_sigv2_request *r, const char *botocore_static, struct fg_buf *out)
{
    const char *path = r->raw_path && *r->raw_path ? r->raw_path : "/";
    bool vhost = r->vhost_bucket && *r->vhost_bucket;
    struct sigv2_item items[SIGV2_MAX_ITEMS];
    size_t n = 0;
    int rc = 0;

    if (vhost && ((rc = fg_buf_append(out, "/", 1)) < 0 || (rc = fg_buf_append(out, r->vhost_bucket, strlen(r->vhost_bucket))) < 0))
        return rc;
    if ((rc = fg_buf_append(out, path, strlen(path))) < 0)
        return rc;
    if (botocore_static) {
        if ((rc = fg_buf_append(out, "?", 1)) < 0 || (rc = fg_buf_append(out, botocore_static, strlen(botocore_static))) < 0)
            return rc;
    } else if (!vhost && path[1] && !strchr(path + 1, '/') && (rc = fg_buf_append(out, "/", 1)) < 0) {
        return rc;
    }
    for (const char *p = r->raw_query ? r->raw_query : ""; *p;) {
        const char *e = p + strcspn(p, "&"), *eq = memchr(p, '=', (size_t)(e - p));
        size_t nl = (size_t)((eq ? eq : e) - p);
        if (nl && sigv2_subresource(p, nl)) {
            if (n == SIGV2_MAX_ITEMS)
                return -E2BIG;
            items[n] = (struct sigv2_item){ p, eq ? eq + 1 : e, nl, eq ? (size_t)(e - eq - 1) : 0, eq != NULL, n };
            n++;
        }
        p = *e ? e + 1 : e;
    }
    qsort(items, n, sizeof(items[0]), sigv2_cmp_item);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = fg_buf_append(out, i ? "&" : "?", 1)) < 0 || (rc = fg_buf_append(out, items[i].name, items[i].name_len)) < 0)
            break;
        if (items[i].has_value && (rc = fg_buf_append(out, "=", 1)) == 0)
            rc = fg_url_decode(out, items[i].value, items[i].value_len, FG_URL_PERCENT);
    }
    return rc;
}

/* An HTTP date ("Tue, 27 Mar 2007 19:36:42 +0000", GMT or a numeric zone) or an ISO 8601
 * basic one (20070327T193642Z) → epoch seconds; -1 when it is neither. */
static long long sigv2_time(const char *s)
{
    struct tm tm;
    const char *rest;
    long long t;

    memset(&tm, 0, sizeof(tm));
    if (s && (rest = strptime(s, "%Y%m%dT%H%M%SZ", &tm)) && !*rest)
        return (long long)timegm(&tm);
    memset(&tm, 0, sizeof(tm));
    if (!s || !(rest = strptime(s, "%a, %d %b %Y %H:%M:%S", &tm)))
        return -1;
    t = (long long)timegm(&tm);
    while (*rest == ' ')
        rest++;
    if (!*rest || !strcmp(rest, "GMT") || !strcmp(rest, "UTC") || !strcmp(rest, "Z"))
        return t;
    if ((rest[0] == '+' || rest[0] == '-') && strlen(rest) == 5 && strspn(rest + 1, "0123456789") == 4) {
        long long off = ((rest[1] - '0') * 10 + (rest[2] - '0')) * 3600 + ((rest[3] - '0') * 10 + (rest[4] - '0')) * 60;
        return rest[0] == '+' ? t - off : t + off;
    }
    return -1;
}

/* ------------------------------------------------------------------ API */

/* The StringToSign, by S3's rules or (botocore_static) as botocore signs it. */
static int sigv2_sts(const struct fg_sigv2_request *r, const char *date, const char *botocore_static, struct fg_buf *out)
{
    int rc;
    if ((rc = fg_buf_append(out, r->method, strlen(r->method))) < 0 || (rc = fg_buf_append(out, "\n", 1)) < 0 ||
        (rc = sigv2_header_line(r, "content-md5", out)) < 0 || (rc = sigv2_header_line(r, "content-type", out)) < 0 ||
        (rc = fg_buf_append(out, date, strlen(date))) < 0 || (rc = fg_buf_append(out, "\n", 1)) < 0 ||
        (rc = sigv2_amz_headers(r, out)) < 0)
        return rc;
    return sigv2_resource(r, botocore_static, out);
}

/* Whether sig (as sent) is the signature of r's StringToSign; compared in constant time. */
static int sigv2_matches(const struct fg_sigv2_request *r, const char *secret, const char *date,
                         const char *botocore_static, const char *sig, bool *match)
{
    char want[29];
    struct fg_buf sts;
    unsigned diff = 0;
    int rc;

    fg_buf_init(&sts, 8u << 20);
    if ((rc = sigv2_sts(r, date, botocore_static, &sts)) < 0) {
        fg_buf_free(&sts);
        return rc;
    }
    fg_sigv2_sign(secret, sts.data ? sts.data : "", sts.len, want);
    fg_buf_free(&sts);
    if (strlen(sig) != 28 || !want[0])
        diff = 1;
    else
        for (int i = 0; i < 28; i++)       /* no early exit: the time says nothing */
            diff |= (unsigned)(want[i] ^ sig[i]);
    *match = !diff;
    return 0;
}

int fg_sigv2_string_to_sign(const struct fg_sigv2_request *r, const char *date, struct fg_buf *out)
{
    return sigv2_sts(r, date, NULL, out);
}

void fg_sigv2_sign(const char *secret, const char *sts, size_t len, char out[29])
{
    unsigned char mac[20];
    struct fg_buf b;

    fg_hmac_sha1(secret, strlen(secret), sts, len, mac);
    fg_buf_init(&b, 64);
    if (fg_base64_encode(&b, mac, sizeof(mac)) == 0 && b.len == 28)
        memcpy(out, b.data, 29);
    else
        out[0] = '\0';          /* cannot happen: 20 bytes are 28 characters */
    fg_buf_free(&b);
}

int fg_sigv2_access_key(const struct fg_sigv2_request *r, char *out, size_t size)
{
    const char *auth = fg_http_header_get(r->headers, r->n_headers, "authorization");
    const char *q = r->raw_query ? r->raw_query : "";

    out[0] = '\0';
    if (auth && !strncmp(auth, "AWS ", 4)) {
        const char *a = auth + 4, *colon;
        while (*a == ' ')
            a++;
        if ((colon = strrchr(a, ':')) && (size_t)(colon - a) < size)
            snprintf(out, size, "%.*s", (int)(colon - a), a);
        return 0;
    }
    char v[512];
    int has_ak;
    if (auth)
        return -ENOENT;
    if ((has_ak = fg_url_query_param(q, "AWSAccessKeyId", FG_URL_PERCENT, out, size)) != 1)
        out[0] = '\0';
    return has_ak || fg_url_query_param(q, "Signature", FG_URL_PERCENT, v, sizeof(v)) ||
                   fg_url_query_param(q, "Expires", FG_URL_PERCENT, v, sizeof(v))
               ? 0 : -ENOENT;
}

int fg_sigv2_verify(const struct fg_sigv2_request *r, const char *access_key, const char *secret, long long now_s,
                    struct fg_err *err)
{
    const char *auth = fg_http_header_get(r->headers, r->n_headers, "authorization");
    const char *date_slot, *botocore_static;
    char ak[128] = "", sig[128] = "", expires[32] = "";
    bool match = false;
    int rc;

    if (auth && !strncmp(auth, "AWS ", 4)) {
        const char *a = auth + 4, *colon = strrchr(a, ':');
        const char *amz_date = fg_http_header_get(r->headers, r->n_headers, "x-amz-date");
        const char *date = fg_http_header_get(r->headers, r->n_headers, "date");
        long long t;
        while (*a == ' ')
            a++;
        if (!colon || colon == a || (size_t)(colon - a) >= sizeof(ak) || !colon[1] || strlen(colon + 1) >= sizeof(sig))
            return fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: a SigV2 Authorization header is "
                                            "'AWS ACCESS_KEY:SIGNATURE'");
        snprintf(ak, sizeof(ak), "%.*s", (int)(colon - a), a);
        snprintf(sig, sizeof(sig), "%s", colon + 1);
        sig[strcspn(sig, " \t")] = '\0';
        if (strcmp(ak, access_key))
            return fg_err_set(err, -EACCES, "InvalidAccessKeyId: the AWS access key id you provided does not exist in our records");
        /* x-amz-date wins over Date and is signed among the x-amz-* headers; the date's
         * place in the StringToSign is then empty. */
        if ((t = sigv2_time(amz_date ? amz_date : date)) < 0)
            return fg_err_set(err, -EACCES, "AccessDenied: AWS authentication requires a valid Date or x-amz-date header");
        if (t < now_s - FG_SIGV2_SKEW_S || t > now_s + FG_SIGV2_SKEW_S)
            return fg_err_set(err, -EACCES, "RequestTimeTooSkewed: The difference between the request time and the "
                                            "current time is too large.");
        date_slot = amz_date ? "" : date;
    } else if (auth) {
        return -ENOENT;         /* AWS4-HMAC-SHA256, or something SigV4 will name */
    } else {
        const char *q = r->raw_query ? r->raw_query : "";
        int has_ak = fg_url_query_param(q, "AWSAccessKeyId", FG_URL_PERCENT, ak, sizeof(ak));
        int has_sig = fg_url_query_param(q, "Signature", FG_URL_PERCENT, sig, sizeof(sig));
        int has_exp = fg_url_query_param(q, "Expires", FG_URL_PERCENT, expires, sizeof(expires));
        char *end;
        long long exp;
        if (!has_ak && !has_sig && !has_exp)
            return -ENOENT;
        if (has_ak != 1 || has_sig != 1 || has_exp != 1 || !ak[0] || !sig[0] || !expires[0])
            return fg_err_set(err, -EACCES, "AccessDenied: Query-string authentication requires the Signature, Expires "
                                            "and AWSAccessKeyId parameters");
        if (strcmp(ak, access_key))
            return fg_err_set(err, -EACCES, "InvalidAccessKeyId: the AWS access key id you provided does not exist in our records");
        exp = strtoll(expires, &end, 10);
        if (*end || !isdigit((unsigned char)expires[0]))
            return fg_err_set(err, -EINVAL, "AuthorizationQueryParametersError: Expires must be the epoch second the "
                                            "URL expires at");
        if (now_s > exp)
            return fg_err_set(err, -EACCES, "AccessDenied: Request has expired");
        date_slot = expires;
    }
    botocore_static = sigv2_botocore_static(r);
    if ((rc = sigv2_matches(r, secret, date_slot, NULL, sig, &match)) == 0 && !match && botocore_static)
        rc = sigv2_matches(r, secret, date_slot, botocore_static, sig, &match);
    if (rc < 0)
        return rc == -E2BIG ? fg_err_set(err, -EINVAL, "AuthorizationHeaderMalformed: too many x-amz-* headers or "
                                                       "sub-resources to sign")
                            : fg_err_set(err, rc, "the request is too large to verify");
    if (!match)
        return fg_err_set(err, -EACCES, "SignatureDoesNotMatch: the request signature we calculated does not match "
                                        "the signature you provided; check your key and signing method");
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* fuzz_sigv4.c - libFuzzer target for SigV4 (gateway/sigv4.c): the S3 endpoint parses the
 * signature parameters and rebuilds the canonical request from whatever a client sent,
 * before it knows whether the client holds the key. Built and run by `make fuzz`; seeds in
 * corpus/fuzz_sigv4/ (requests signed as the AWS CLI signs them, header and presigned).
 *
 * Input, cut at newlines (fuzz.h): the method; the raw URI (path?query); headers
 * "Name: value" up to an empty line (at most 64, as s3_api.c keeps); the rest, when there
 * is any, is the secret key. The request is what gateway/s3_api.c hands over: the query
 * NULL when empty, the payload hash from x-amz-content-sha256. Invariants:
 * - fg_sigv4_parse: 0, -ENOENT, or -EINVAL with a message that starts with S3's code;
 *   parsed fields are strings of the lengths SigV4 fixes;
 * - the canonical request is the same twice; it is method, URI, query, one line per signed
 *   header, an empty line, the signed headers and the payload hash; URI and query hold only
 *   unreserved characters and %XX escapes, the query's pairs in order; canonicalising the
 *   canonical URI and query again changes nothing;
 * - fg_sigv4_verify agrees with fg_sigv4_canonical + fg_sigv4_sign: a request carrying the
 *   signature they compute verifies, at its own x-amz-date (header) or within its expiry
 *   (presigned), and the signature sent verifies exactly when it equals theirs. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tz.h"
#include "gateway/sigv4.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_HEADERS 64                /* s3_api.c S3_MAX_HEADERS */
#define FUZZ_CANON_MAX (8u << 20)          /* fg_sigv4_verify's */
#define FUZZ_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct sigv4_case {
    struct fg_sigv4_request r;
    struct fg_http_header headers[FUZZ_MAX_HEADERS];
    const char *secret;
};

static bool sigv4_str_ok(const char *s, size_t size, size_t want_len)
{
    const char *nul = memchr(s, '\0', size);
    return nul && (!want_len || (size_t)(nul - s) == want_len);
}

static void sigv4_check_parse(int rc, const struct fg_sigv4_auth *a, const struct fg_err *err)
{
    static const char *const codes[] = { "AuthorizationHeaderMalformed:", "AuthorizationQueryParametersError:", NULL };
    bool known = false;
    if (rc == -ENOENT)
        return;
    if (rc == -EINVAL) {
        for (size_t i = 0; codes[i]; i++)
            known |= !strncmp(err->msg, codes[i], strlen(codes[i]));
        if (!known)
            fuzz_fail("a refusal without S3's code: %s", err->msg);
        return;
    }
    if (rc != 0)
        fuzz_fail("fg_sigv4_parse returned %d", rc);
    if (!sigv4_str_ok(a->access_key, sizeof(a->access_key), 0) || !a->access_key[0] ||
        !sigv4_str_ok(a->date, sizeof(a->date), 8) || !sigv4_str_ok(a->region, sizeof(a->region), 0) ||
        !sigv4_str_ok(a->service, sizeof(a->service), 0) ||
        !sigv4_str_ok(a->signed_headers, sizeof(a->signed_headers), 0) || !a->signed_headers[0] ||
        !sigv4_str_ok(a->signature, sizeof(a->signature), 64) || !sigv4_str_ok(a->amz_date, sizeof(a->amz_date), 16))
        fuzz_fail("parsed fields are not of SigV4's lengths");
}

/* The part of a canonical request between its n-th and n+1-th newline, into an owned string. */
static char *sigv4_line(const char *canon, int n)
{
    const char *s = canon, *e;
    while (n-- > 0 && (s = strchr(s, '\n')))
        s++;
    if (!s)
        return NULL;
    e = strchr(s, '\n');
    return fuzz_dup(s, e ? (size_t)(e - s) : strlen(s));
}

static void sigv4_check_encoded(const char *s, const char *also, const char *what)
{
    for (const char *c = s; *c; c++) {
        if (*c == '%') {
            if (!isxdigit((unsigned char)c[1]) || !isxdigit((unsigned char)c[2]) || islower((unsigned char)c[1]) ||
                islower((unsigned char)c[2]))
                fuzz_fail("canonical %s '%s': a bad escape", what, s);
            c += 2;
        } else if (!isalnum((unsigned char)*c) && !strchr("-._~", *c) && !strchr(also, *c)) {
            fuzz_fail("canonical %s '%s' holds 0x%02x", what, s, (unsigned char)*c);
        }
    }
}

static void sigv4_check_query_order(const char *q)
{
    char *copy = fuzz_dup(q, strlen(q)), *save = NULL, *prev = NULL;
    for (char *p = strtok_r(copy, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (!eq)
            fuzz_fail("canonical query pair '%s' has no '='", p);
        *eq = '\0';
        if (prev) {
            int c = strcmp(prev, p);
            if (c > 0 || (c == 0 && strcmp(prev + strlen(prev) + 1, eq + 1) > 0))
                fuzz_fail("canonical query '%s' is not in order", q);
        }
        prev = p;
    }
    free(copy);
}

/* Builds the canonical request into out; 0 or -FG_ETOOBIG (checked), twice the same. */
static int sigv4_canonical(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, struct fg_buf *out)
{
    struct fg_buf again;
    int rc;
    fg_buf_init(out, FUZZ_CANON_MAX);
    fg_buf_init(&again, FUZZ_CANON_MAX);
    rc = fg_sigv4_canonical(r, a, out);
    if (rc != 0 && rc != -FG_ETOOBIG)
        fuzz_fail("fg_sigv4_canonical returned %d", rc);
    if (fg_sigv4_canonical(r, a, &again) != rc || (rc == 0 && (again.len != out->len || memcmp(again.data, out->data, out->len))))
        fuzz_fail("two canonical requests of one request differ");
    fg_buf_free(&again);
    return rc;
}

static void sigv4_check_canonical(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, const char *canon)
{
    size_t newlines = 0, segments = 0;
    char *uri = sigv4_line(canon, 1), *query = sigv4_line(canon, 2);
    struct fg_sigv4_request again = *r;
    struct fg_buf c2;
    char *uri2, *query2;

    for (const char *c = canon; *c; c++)
        newlines += *c == '\n';
    for (const char *h = a->signed_headers; *h; segments++) {
        size_t nl = strcspn(h, ";");
        h += nl + (h[nl] == ';');
    }
    if (!strchr(a->signed_headers, '\n') && !strchr(r->method, '\n') && newlines != segments + 5)
        fuzz_fail("a canonical request with %zu signed headers has %zu lines", segments, newlines + 1);
    if (!uri || !query)
        fuzz_fail("the canonical request has no URI or query line");
    if (strncmp(canon, r->method, strlen(r->method)) || canon[strlen(r->method)] != '\n')
        fuzz_fail("the canonical request does not start with the method");
    sigv4_check_encoded(uri, "/", "URI");
    sigv4_check_encoded(query, "=&", "query");
    sigv4_check_query_order(query);
    again.raw_path = uri;
    again.raw_query = query;
    if (sigv4_canonical(&again, a, &c2) == 0) {
        uri2 = sigv4_line(c2.data, 1);
        query2 = sigv4_line(c2.data, 2);
        if (strcmp(uri, uri2) || strcmp(query, query2))
            fuzz_fail("canonicalised again: '%s' '%s' became '%s' '%s'", uri, query, uri2, query2);
        free(uri2);
        free(query2);
    }
    fg_buf_free(&c2);
    free(uri);
    free(query);
}

/* The request again, carrying signature sig instead of its own. */
static void sigv4_resign(const struct sigv4_case *c, const struct fg_sigv4_auth *a, const char *sig, long long now)
{
    struct fg_sigv4_request r = c->r;
    struct fg_http_header headers[FUZZ_MAX_HEADERS];
    struct fg_err err;
    char *value = NULL, *query = NULL;
    int rc;

    memcpy(headers, c->headers, sizeof(headers));
    r.headers = headers;
    if (a->presigned) {
        size_t n = strlen(r.raw_query ? r.raw_query : "") + 100;
        query = malloc(n);
        FG_ASSERT(query);
        snprintf(query, n, "X-Amz-Signature=%s&%s", sig, r.raw_query ? r.raw_query : "");
        r.raw_query = query;
    } else {
        size_t n = strlen(a->access_key) + strlen(a->region) + strlen(a->service) + strlen(a->signed_headers) + 200;
        if (strcasestr(a->signed_headers, "authorization"))
            return;                       /* the header would sign itself */
        value = malloc(n);
        FG_ASSERT(value);
        snprintf(value, n, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request,SignedHeaders=%s,Signature=%s",
                 a->access_key, a->date, a->region, a->service, a->signed_headers, sig);
        for (size_t i = 0; i < r.n_headers; i++)
            if (!strcasecmp(headers[i].name, "authorization")) {
                headers[i].value = value;
                break;
            }
    }
    if ((rc = fg_sigv4_verify(&r, a->access_key, c->secret, now, &err)) != 0)
        fuzz_fail("signed with the signature it computes, the request does not verify (%d): %s", rc, err.msg);
    free(value);
    free(query);
}

static void sigv4_check_verify(const struct sigv4_case *c, const struct fg_sigv4_auth *a, const char *canon, size_t len)
{
    long long t = fg_sigv4_time(a->amz_date);
    struct fg_err err;
    char want[65];
    int rc;

    if (t < 0 || (a->presigned && (a->expires_s < 1 || a->expires_s > 604800)))
        return;
    fg_sigv4_sign(c->secret, a, canon, len, want);
    rc = fg_sigv4_verify(&c->r, a->access_key, c->secret, t, &err);
    if (!strcmp(want, a->signature) ? rc != 0 : rc != -EACCES || strncmp(err.msg, "SignatureDoesNotMatch:", 22))
        fuzz_fail("the signature %s %s, but verify says %d: %s", a->signature,
                  strcmp(want, a->signature) ? "is wrong" : "is right", rc, rc ? err.msg : "ok");
    sigv4_resign(c, a, want, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct sigv4_case c = { 0 };
    char *method = fuzz_line(&in, NULL), *uri = fuzz_line(&in, NULL), *secret, *query;
    struct fg_sigv4_auth a;
    struct fg_err err = { 0 };
    struct fg_buf canon;
    int rc;

    if (!method || !uri) {
        free(method);
        free(uri);
        return 0;
    }
    c.r.n_headers = fuzz_headers(&in, c.headers, FUZZ_MAX_HEADERS);
    secret = fuzz_rest(&in, NULL);
    c.secret = *secret ? secret : FUZZ_SECRET;
    if ((query = strchr(uri, '?')))
        *query++ = '\0';
    c.r.method = method;
    c.r.raw_path = uri;
    c.r.raw_query = query && *query ? query : NULL;
    c.r.headers = c.headers;
    c.r.payload_hash = fg_http_header_get(c.headers, c.r.n_headers, "x-amz-content-sha256");

    rc = fg_sigv4_parse(&c.r, &a, &err);
    sigv4_check_parse(rc, &a, &err);
    if (rc == 0 && sigv4_canonical(&c.r, &a, &canon) == 0) {
        sigv4_check_canonical(&c.r, &a, canon.data);
        sigv4_check_verify(&c, &a, canon.data, canon.len);
    }
    if (rc == 0)
        fg_buf_free(&canon);
    for (size_t i = 0; i < c.r.n_headers; i++)
        free((char *)c.headers[i].name);
    free(secret);
    free(method);
    free(uri);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* sigv4.h - AWS Signature Version 4 verification, as S3 checks it.
 *
 * S3 clients (the AWS CLI, SDKs, presigned URLs) sign every request: a canonical form of
 * the request is hashed and signed with a key derived from the secret, the date, the region
 * and the service. The S3-compatible endpoint recomputes that signature from what arrived
 * and compares. The canonical URI and query are rebuilt from the decoded request, so a
 * client that escapes a character S3 would not (or the reverse) still verifies. Pure
 * functions. Tests: tests/unit/test_sigv4.c. */
#ifndef FG_SIGV4_H
#define FG_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/http_header.h"

/* The signature parameters of a request (Authorization header or presigned query). */
struct fg_sigv4_auth {
    char access_key[128];
    char date[9];               /* yyyymmdd of the credential scope */
    char region[64];
    char service[32];
    char signed_headers[1024];  /* "host;range;x-amz-date" */
    char signature[65];
    char amz_date[17];          /* yyyymmddThhmmssZ */
    bool presigned;
    long expires_s;             /* presigned: X-Amz-Expires */
};

struct fg_sigv4_request {
    const char *method;
    const char *raw_path;       /* as sent */
    const char *raw_query;      /* as sent, without '?'; may be NULL */
    const struct fg_http_header *headers;
    size_t n_headers;
    const char *payload_hash;   /* x-amz-content-sha256 (or UNSIGNED-PAYLOAD); NULL = empty body */
};

/* Reads the signature parameters from the Authorization header or, when there is none, the
 * presigned query. 0, -ENOENT (the request is not signed), or -EINVAL with err saying what
 * is malformed. */
int fg_sigv4_parse(const struct fg_sigv4_request *r, struct fg_sigv4_auth *a, struct fg_err *err) FG_MUST_CHECK;

/* Appends the canonical request. 0 or a fg_buf error. */
int fg_sigv4_canonical(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, struct fg_buf *out) FG_MUST_CHECK;

/* The hex signature of a canonical request under secret. */
void fg_sigv4_sign(const char *secret, const struct fg_sigv4_auth *a, const char *canonical, size_t len,
                   char out[65]);

/* How far a signed request's x-amz-date may be from now, either way (AWS's 15 minutes). */
#define FG_SIGV4_SKEW_S (15 * 60)

/* Verifies r against one access key. 0; -ENOENT unsigned; -EACCES with err->msg starting
 * with the S3 error code (InvalidAccessKeyId, RequestTimeTooSkewed for a header-signed
 * request dated more than FG_SIGV4_SKEW_S from now_s, SignatureDoesNotMatch, AccessDenied
 * for an expired presigned URL); -EINVAL malformed. now_s is the current epoch time. */
int fg_sigv4_verify(const struct fg_sigv4_request *r, const char *access_key, const char *secret, long long now_s,
                    struct fg_err *err) FG_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/* sigv4.h - AWS Signature Version 4 verification, for the S3 endpoint and the Invoke API.
 *
 * AWS clients (the AWS CLI, SDKs, presigned URLs) sign every request: a canonical form of
 * the request is hashed and signed with a key derived from the secret, the date, the region
 * and the service. fngate recomputes that signature from what arrived and compares.
 *
 * Services differ in one place, the canonical URI (struct fg_sigv4_request's rules): S3
 * signs the path encoded once, so it is rebuilt from the decoded path and a client that
 * escapes a character S3 would not (or the reverse) still verifies; every other service
 * (Lambda) signs the path as sent, encoded once more ("/f%3A1" is signed as "/f%253A1"),
 * which needs no decoding at all. S3's presigned URLs sign UNSIGNED-PAYLOAD where other
 * services sign the body's hash. Pure functions. Tests: tests/unit/test_sigv4.c. */
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

/* Which service's canonical form a request is checked against (see the top comment). */
enum fg_sigv4_rules {
    FG_SIGV4_S3 = 0,            /* the path decoded then encoded; presigned: UNSIGNED-PAYLOAD */
    FG_SIGV4_GENERIC,           /* Lambda and the rest: the raw path encoded again; the body's hash */
};

struct fg_sigv4_request {
    const char *method;
    const char *raw_path;       /* as sent */
    const char *raw_query;      /* as sent, without '?'; may be NULL */
    const struct fg_http_header *headers;
    size_t n_headers;
    const char *payload_hash;   /* x-amz-content-sha256, UNSIGNED-PAYLOAD or the body's hex SHA-256;
                                 * NULL = empty body */
    enum fg_sigv4_rules rules;
};

/* Reads the signature parameters from the Authorization header or, when there is none, the
 * presigned query. 0, -ENOENT (the request is not signed), or -EINVAL with err saying what
 * is malformed. */
int fg_sigv4_parse(const struct fg_sigv4_request *r, struct fg_sigv4_auth *a, struct fg_err *err) FG_MUST_CHECK;

/* Appends the canonical request. 0 or a fg_buf error. */
int fg_sigv4_canonical(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a, struct fg_buf *out) FG_MUST_CHECK;

/* The longest secret key signatures are checked with (AWS's are 40 characters). */
#define FG_SIGV4_SECRET_MAX 256

/* The hex signature of a canonical request under secret. */
void fg_sigv4_sign(const char *secret, const struct fg_sigv4_auth *a, const char *canonical, size_t len,
                   char out[65]);

/* The signing key of a's scope (date, region, service) under secret: four HMACs, half the
 * cost of a verification, and the same all day for a region, so a caller that verifies
 * often keeps it for fg_sigv4_signature_check_key. */
void fg_sigv4_derive_key(const char *secret, const struct fg_sigv4_auth *a, unsigned char key[32]);

/* How far a signed request's x-amz-date may be from now, either way (AWS's 15 minutes). */
#define FG_SIGV4_SKEW_S (15 * 60)

/* The longest X-Amz-Expires of a presigned URL (AWS's 7 days). */
#define FG_SIGV4_EXPIRES_MAX_S 604800

/* x-amz-date's yyyymmddThhmmssZ as epoch seconds, or -1 when it is not that. */
long long fg_sigv4_time(const char *amz_date);

/* Compares a's signature with the one secret gives r (canonical request, string to sign,
 * derived key), in time independent of where they differ. Checks neither the key nor the
 * date: the caller decides those (the error names differ between services). 0; -EACCES
 * when they differ; -FG_ETOOBIG (or -ENOMEM) when the canonical request cannot be built. */
int fg_sigv4_signature_check(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a,
                             const char *secret) FG_MUST_CHECK;

/* The same with a key fg_sigv4_derive_key gave for a's scope. */
int fg_sigv4_signature_check_key(const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a,
                                 const unsigned char key[32]) FG_MUST_CHECK;

/* Verifies r against one access key, as S3 does. 0; -ENOENT unsigned; -EACCES with err->msg
 * starting with the S3 error code (InvalidAccessKeyId, RequestTimeTooSkewed for a
 * header-signed request dated more than FG_SIGV4_SKEW_S from now_s, SignatureDoesNotMatch,
 * AccessDenied for an expired presigned URL); -EINVAL malformed. now_s is the current
 * epoch time. */
int fg_sigv4_verify(const struct fg_sigv4_request *r, const char *access_key, const char *secret, long long now_s,
                    struct fg_err *err) FG_MUST_CHECK;

#endif

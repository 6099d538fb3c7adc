/* SPDX-License-Identifier: MIT */
/* sigv2.h - AWS Signature Version 2 verification, as S3 checks it.
 *
 * S3 still takes SigV2 and so does fngate: the AWS CLI v1 presigns with it (aws s3 presign
 * with its defaults), boto3 presigns with it for us-east-1 (Debian 12's python3-boto3), and
 * older SDKs sign headers with it. The client signs, with HMAC-SHA1 under its secret, the
 * StringToSign: METHOD, Content-MD5, Content-Type, the date (Expires for a presigned URL;
 * Date, or nothing when x-amz-date is sent, for the Authorization header "AWS AK:sig"), the
 * x-amz-* headers (lower-cased, sorted, values of one name joined by commas), and the
 * resource: /bucket/key as sent (the bucket of a virtual-host request put in front), then
 * the sub-resources S3 signs (?acl, ?uploadId=..., ...) sorted, values decoded. The
 * endpoint rebuilds it from what arrived and compares in constant time. Unlike SigV4 the
 * body is never signed, and nothing ties a presigned URL's lifetime to when it was made
 * (Expires is an absolute time). Pure functions. Tests: tests/unit/test_sigv2.c. */
#ifndef FG_SIGV2_H
#define FG_SIGV2_H

#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/http_header.h"

struct fg_sigv2_request {
    const char *method;
    const char *raw_path;       /* as sent, without the query; "" or NULL means "/" */
    const char *raw_query;      /* as sent, without '?'; may be NULL */
    const char *vhost_bucket;   /* the bucket named by Host (virtual-host style); NULL or "" */
    const struct fg_http_header *headers;
    size_t n_headers;
};

/* Appends the StringToSign of r with date in the date's place. 0 or a fg_buf error. */
int fg_sigv2_string_to_sign(const struct fg_sigv2_request *r, const char *date, struct fg_buf *out) FG_MUST_CHECK;

/* The signature of a StringToSign under secret: base64 of its HMAC-SHA1, 28 characters. */
void fg_sigv2_sign(const char *secret, const char *sts, size_t len, char out[29]);

/* How far a header-signed request's Date (or x-amz-date) may be from now, either way. */
#define FG_SIGV2_SKEW_S (15 * 60)

/* The access key r names, if r is signed with SigV2 (into out; "" when it cannot be read,
 * which fg_sigv2_verify then explains). 0, or -ENOENT when r carries no SigV2. */
int fg_sigv2_access_key(const struct fg_sigv2_request *r, char *out, size_t size);

/* Verifies r against one access key, if r is signed with SigV2 (an Authorization header
 * "AWS AK:signature", or AWSAccessKeyId, Signature and Expires in the query). 0; -ENOENT
 * when r carries no SigV2 (it may carry SigV4); -EACCES with err->msg starting with the S3
 * error code (InvalidAccessKeyId, AccessDenied for an expired presigned URL, a missing query
 * parameter or a missing date, RequestTimeTooSkewed for a header-signed request dated more
 * than FG_SIGV2_SKEW_S from now_s, SignatureDoesNotMatch); -EINVAL malformed
 * (AuthorizationHeaderMalformed). now_s is the current epoch time. */
int fg_sigv2_verify(const struct fg_sigv2_request *r, const char *access_key, const char *secret, long long now_s,
                    struct fg_err *err) FG_MUST_CHECK;

#endif

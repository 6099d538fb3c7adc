/* SPDX-License-Identifier: MIT */
/* s3_route.h - what an S3 request asks for: its operation, bucket and key.
 *
 * S3 says it three ways at once: the method, the path (path style, /bucket/key) or the Host
 * (virtual-host style, bucket.host), and query parameters (?uploads, ?uploadId=).
 * Apart from the listener (s3_api.c) because this is where untrusted names are decided:
 * the path is decoded once here, and a bucket or key that the store could not hold safely
 * (s3_store.h's rules) never reaches an operation. Pure but for the bucket's existence
 * (a stat). Any thread. Tests: tests/integration/test_s3.py. */
#ifndef FG_S3_ROUTE_H
#define FG_S3_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/http_header.h"
#include "s3_store.h"
#include "s3_xml.h"

enum fg_s3_op {
    FG_S3_OP_NONE = 0,
    FG_S3_OP_LIST_BUCKETS, FG_S3_OP_CREATE_BUCKET, FG_S3_OP_HEAD_BUCKET, FG_S3_OP_DELETE_BUCKET,
    FG_S3_OP_LIST_OBJECTS, FG_S3_OP_PUT, FG_S3_OP_GET, FG_S3_OP_HEAD, FG_S3_OP_DELETE,
    FG_S3_OP_MPU_CREATE, FG_S3_OP_MPU_PART, FG_S3_OP_MPU_COMPLETE, FG_S3_OP_MPU_ABORT,
};

struct fg_s3_route {
    enum fg_s3_op op;
    char bucket[64];                  /* "" for ListBuckets */
    char key[FG_S3_MAX_KEY + 1];      /* "" for bucket operations */
    bool virtual_host;                /* the bucket came from Host (bucket.host), not the path */
};

/* Routes one request: method, raw_path (as sent, without the query), query (after '?',
 * "" when none) and its headers (Host, x-amz-copy-source). The bucket must exist but for
 * ListBuckets and CreateBucket. 0 with r filled, or -1 with e filled (InvalidBucketName,
 * KeyTooLongError, InvalidArgument, MethodNotAllowed, NotImplemented, NoSuchBucket). */
int fg_s3_route(const struct fg_s3_store *st, const char *method, const char *raw_path, const char *query,
                const struct fg_http_header *headers, size_t n_headers, struct fg_s3_route *r,
                struct fg_s3_error *e);

/* The value of query parameter name, form-decoded into out ("" when it has none): 1, 0
 * when absent, or -1 when present but longer than size - 1 (out unchanged then). */
int fg_s3_query_param(const char *query, const char *name, char *out, size_t size);

#endif

/* SPDX-License-Identifier: MIT */
/* s3_xml.h - the S3 endpoint's XML: the documents S3 answers with, its error answers, and
 * the one body it reads (CompleteMultipartUpload's list of parts).
 *
 * Apart from requests (s3_api.c) and from the files behind them (s3_store.c) because S3's
 * document shapes change for their own reasons (a new field a client expects, a new
 * listing option). Documents are written by hand with fg_buf's sticky errors: append,
 * check once at the end. Every string from a request or a file name is escaped. Pure
 * functions, any thread. Tests: tests/integration/test_s3.py (the AWS CLI reads them),
 * tests/unit/test_s3_xml.c (the parts list). */
#ifndef FG_S3_XML_H
#define FG_S3_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"

/* An S3 error answer: what the Error document says and the HTTP status it goes with.
 * Request parsing, authentication and the store fill it where they find the failure. */
struct fg_s3_error {
    int status;              /* 0 while there is no error */
    const char *code;        /* S3's code ("NoSuchKey"); static */
    char message[512];
};

/* Sets e unless it holds an error already (the first one found is answered). Returns -1,
 * so a failing step can `return fg_s3_error_set(...)`. */
int fg_s3_error_set(struct fg_s3_error *e, int status, const char *code, const char *fmt, ...) FG_PRINTF(4, 5);

/* Appends s with & < > " ' escaped. 0 or a fg_buf error. */
int fg_s3_xml_escape(struct fg_buf *b, const char *s);

/* <Error> for e about resource (the request URI). 0 or a fg_buf error. */
int fg_s3_xml_error(struct fg_buf *b, const struct fg_s3_error *e, const char *resource, const char *request_id);

/* One entry of a listing: a bucket or an object. */
struct fg_s3_entry {
    char *name;              /* owned; a bucket's name or an object's key */
    long long size;          /* bytes (objects) */
    long long time_ms;       /* the object's mtime, the bucket's ctime */
};

struct fg_s3_listing {
    struct fg_s3_entry *v;
    size_t n, cap;
};

/* Appends a copy of name. 0 or -ENOMEM (l unchanged). */
int fg_s3_listing_add(struct fg_s3_listing *l, const char *name, long long size, long long time_ms);
void fg_s3_listing_free(struct fg_s3_listing *l);

/* <ListAllMyBucketsResult> of buckets. 0 or a fg_buf error. */
int fg_s3_xml_buckets(struct fg_buf *b, const struct fg_s3_listing *buckets);

/* ListObjectsV2's parameters, decoded. */
struct fg_s3_list_params {
    const char *prefix;      /* "" for all */
    const char *delimiter;   /* "" for none */
    const char *after;       /* the continuation token decoded: keys up to it were listed; "" */
    const char *start_after; /* "" for none */
    int max_keys;            /* 0..1000 */
};

/* The ETag (quoted) of key in the listed bucket: only keys shown on the page are asked. */
typedef void fg_s3_etag_fn(void *arg, const char *key, char out[48]);

/* <ListBucketResult> of one page of objects (sorted by key), with common prefixes and a
 * NextContinuationToken (the hex of the last key or prefix shown) when truncated. 0 or a
 * fg_buf error. */
int fg_s3_xml_objects(struct fg_buf *b, const char *bucket, const struct fg_s3_list_params *p,
                      const struct fg_s3_listing *objects, fg_s3_etag_fn *etag, void *arg);

/* <InitiateMultipartUploadResult> and <CompleteMultipartUploadResult>. 0 or a fg_buf error. */
int fg_s3_xml_initiated(struct fg_buf *b, const char *bucket, const char *key, const char *upload_id);
int fg_s3_xml_completed(struct fg_buf *b, const char *bucket, const char *key, const char *etag);

/* The part numbers a CompleteMultipartUpload body names, in the order it names them (a
 * number that does not parse, or that an int cannot hold, is 0). 0 and an owned array in *parts (free(); NULL when
 * there are none) with its length in *n, or -ENOMEM. */
int fg_s3_xml_parts(const char *body, int **parts, size_t *n) FG_MUST_CHECK;

#endif

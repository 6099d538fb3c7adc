/* SPDX-License-Identifier: MIT */
/* s3_route.c - what an S3 request asks for (see s3_route.h). */
#include "s3_route.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../core/url.h"

int fg_s3_query_param(const char *query, const char *name, char *out, size_t size)
{
    return fg_url_query_param(query, name, FG_URL_FORM, out, size);
}

/* The bucket of a virtual-host-style request (bucket.host), into r->bucket; "" for none. */
static void s3_route_host(const char *host, struct fg_s3_route *r)
{
    const char *dot = host ? strchr(host, '.') : NULL;
    struct in_addr a;
    char h[256];

    r->bucket[0] = '\0';
    if (!host)
        return;
    snprintf(h, sizeof(h), "%s", host);
    h[strcspn(h, ":")] = '\0';
    if (dot && inet_pton(AF_INET, h, &a) != 1 && h[0] != '[' && (size_t)(dot - host) < sizeof(r->bucket)) {
        snprintf(r->bucket, sizeof(r->bucket), "%.*s", (int)(dot - host), host);
        if (!fg_s3_store_bucket_ok(r->bucket))
            r->bucket[0] = '\0';
    }
}

/* The operation from the method, whether there are a bucket and a key, and the query. */
static enum fg_s3_op s3_route_op(const struct fg_s3_route *r, const char *method, const char *query)
{
    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), head = !strcmp(method, "HEAD"),
         del = !strcmp(method, "DELETE"), post = !strcmp(method, "POST");
    char tmp[64];

    if (!r->bucket[0])
        return get ? FG_S3_OP_LIST_BUCKETS : FG_S3_OP_NONE;
    if (!r->key[0])
        return get ? FG_S3_OP_LIST_OBJECTS : put ? FG_S3_OP_CREATE_BUCKET : head ? FG_S3_OP_HEAD_BUCKET
             : del ? FG_S3_OP_DELETE_BUCKET : FG_S3_OP_NONE;
    /* Present is enough (!= 0): a value too long for tmp (-1) is still a multipart request,
     * never a plain PUT or DELETE of the object. */
    if (post && fg_s3_query_param(query, "uploads", tmp, sizeof(tmp)) != 0)
        return FG_S3_OP_MPU_CREATE;
    if (post && fg_s3_query_param(query, "uploadId", tmp, sizeof(tmp)) != 0)
        return FG_S3_OP_MPU_COMPLETE;
    if (put && fg_s3_query_param(query, "uploadId", tmp, sizeof(tmp)) != 0)
        return FG_S3_OP_MPU_PART;
    if (del && fg_s3_query_param(query, "uploadId", tmp, sizeof(tmp)) != 0)
        return FG_S3_OP_MPU_ABORT;
    return get ? FG_S3_OP_GET : put ? FG_S3_OP_PUT : head ? FG_S3_OP_HEAD : del ? FG_S3_OP_DELETE : FG_S3_OP_NONE;
}

/* Bucket and key from the decoded path, or the bucket from the Host. 0 or -1 (e). */
static int s3_route_names(const char *raw_path, const char *host, struct fg_s3_route *r, struct fg_s3_error *e)
{
    struct fg_buf dec;
    const char *rest;
    size_t kl;
    int rc = 0;

    fg_buf_init(&dec, FG_S3_MAX_KEY + 256);
    if (fg_url_decode(&dec, raw_path, strlen(raw_path), FG_URL_PERCENT) < 0) {
        fg_buf_free(&dec);
        return fg_s3_error_set(e, 400, "KeyTooLongError", "Your key is too long");
    }
    rest = dec.data ? dec.data + 1 : "";
    s3_route_host(host, r);
    r->virtual_host = r->bucket[0] != '\0';
    if (!r->bucket[0] && *rest) {
        size_t bl = strcspn(rest, "/");
        if (bl >= sizeof(r->bucket)) {
            fg_buf_free(&dec);
            return fg_s3_error_set(e, 400, "InvalidBucketName", "The specified bucket is not valid.");
        }
        snprintf(r->bucket, sizeof(r->bucket), "%.*s", (int)bl, rest);
        rest += bl + (rest[bl] == '/');
    }
    kl = dec.data ? dec.len - (size_t)(rest - dec.data) : 0;
    if (r->bucket[0] && !fg_s3_store_bucket_ok(r->bucket))
        rc = fg_s3_error_set(e, 400, "InvalidBucketName", "The specified bucket is not valid.");
    else if (kl && !fg_s3_store_key_ok(rest, kl))
        rc = fg_s3_error_set(e, 400, kl > FG_S3_MAX_KEY ? "KeyTooLongError" : "InvalidArgument",
                             kl > FG_S3_MAX_KEY ? "Your key is too long" : "keys may not hold NUL, '..' or '.' "
                             "segments, empty segments, or start with '/'");
    if (rc == 0) {
        memcpy(r->key, rest, kl);
        r->key[kl] = '\0';
    }
    fg_buf_free(&dec);
    return rc;
}

int fg_s3_route(const struct fg_s3_store *st, const char *method, const char *raw_path, const char *query,
                const struct fg_http_header *headers, size_t n_headers, struct fg_s3_route *r,
                struct fg_s3_error *e)
{
    if (s3_route_names(raw_path, fg_http_header_get(headers, n_headers, "host"), r, e) < 0)
        return -1;
    if ((r->op = s3_route_op(r, method, query)) == FG_S3_OP_NONE)
        return fg_s3_error_set(e, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    if (r->op == FG_S3_OP_PUT && fg_http_header_get(headers, n_headers, "x-amz-copy-source"))
        return fg_s3_error_set(e, 501, "NotImplemented", "CopyObject is not implemented");
    if (r->op != FG_S3_OP_LIST_BUCKETS && r->op != FG_S3_OP_CREATE_BUCKET && !fg_s3_store_bucket_exists(st, r->bucket))
        return fg_s3_error_set(e, 404, "NoSuchBucket", "The specified bucket does not exist");
    return 0;
}

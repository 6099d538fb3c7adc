/* SPDX-License-Identifier: MIT */
/* s3_xml.c - the S3 endpoint's XML documents (see s3_xml.h). */
#include "s3_xml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash_block.h"
#include "../core/log.h"

#define S3_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
/* Appends a string literal (its length known at compile time). */
#define S3_LIT(b, lit) fg_buf_append((b), (lit), sizeof(lit) - 1)

/* ------------------------------------------------------------------ errors */

int fg_s3_error_set(struct fg_s3_error *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    if (e->status)
        return -1;          /* the first error wins */
    e->status = status;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int s3_xml_escape_n(struct fg_buf *b, const char *s, size_t n)
{
    for (const char *end = s + n; s < end; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
                      : *s == '\'' ? "&apos;" : NULL;
        if (e)
            fg_buf_append_str(b, e);
        else
            fg_buf_append(b, s, 1);
    }
    return fg_buf_append(b, "", 0);
}

int fg_s3_xml_escape(struct fg_buf *b, const char *s)
{
    return s3_xml_escape_n(b, s, strlen(s));
}

int fg_s3_xml_error(struct fg_buf *b, const struct fg_s3_error *e, const char *resource, const char *request_id)
{
    S3_LIT(b, S3_XML_HEAD "<Error><Code>");
    fg_buf_append_str(b, e->code);
    S3_LIT(b, "</Code><Message>");
    fg_s3_xml_escape(b, e->message);
    S3_LIT(b, "</Message><Resource>");
    fg_s3_xml_escape(b, resource);
    S3_LIT(b, "</Resource><RequestId>");
    fg_buf_append_str(b, request_id);
    return S3_LIT(b, "</RequestId></Error>");
}

/* ------------------------------------------------------------------ listings */

int fg_s3_listing_add(struct fg_s3_listing *l, const char *name, long long size, long long time_ms)
{
    char *copy;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct fg_s3_entry *g = realloc(l->v, cap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        l->v = g;
        l->cap = cap;
    }
    if (!(copy = strdup(name)))
        return -ENOMEM;
    l->v[l->n++] = (struct fg_s3_entry){ copy, size, time_ms };
    return 0;
}

void fg_s3_listing_free(struct fg_s3_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    *l = (struct fg_s3_listing){ NULL, 0, 0 };
}

int fg_s3_xml_buckets(struct fg_buf *b, const struct fg_s3_listing *buckets)
{
    char when[32];
    S3_LIT(b, S3_XML_HEAD "<ListAllMyBucketsResult><Owner><ID>fngate</ID><DisplayName>fngate</DisplayName></Owner>"
              "<Buckets>");
    for (size_t i = 0; i < buckets->n && !b->err; i++) {
        fg_log_iso_time(when, buckets->v[i].time_ms);
        S3_LIT(b, "<Bucket><Name>");
        fg_s3_xml_escape(b, buckets->v[i].name);
        S3_LIT(b, "</Name><CreationDate>");
        fg_buf_append_str(b, when);
        S3_LIT(b, "</CreationDate></Bucket>");
    }
    return S3_LIT(b, "</Buckets></ListAllMyBucketsResult>");
}

/* Appends the hex of s[0..n), then "ff" when after_all (a common prefix's token: it sorts
 * after every key below the prefix). */
static void s3_xml_hex(struct fg_buf *b, const char *s, size_t n, bool after_all)
{
    char hex[129];
    for (size_t i = 0; i < n; i += 64) {
        size_t k = n - i < 64 ? n - i : 64;
        fg_hex((const unsigned char *)s + i, k, hex);
        fg_buf_append(b, hex, 2 * k);
    }
    if (after_all)
        fg_buf_append_str(b, "ff");
}

/* Continuation tokens are hex: the place a page ends may be a common prefix followed by
 * "\xff", which no XML document can hold. */
int fg_s3_xml_objects(struct fg_buf *b, const char *bucket, const struct fg_s3_list_params *p,
                      const struct fg_s3_listing *objects, fg_s3_etag_fn *etag, void *arg)
{
    size_t pl = strlen(p->prefix), dl = strlen(p->delimiter), shown = 0;
    const char *last = NULL, *next = NULL;   /* the last common prefix; where the page ends */
    size_t last_len = 0, next_len = 0;
    bool truncated = false, next_is_prefix = false;
    struct fg_buf prefixes;
    char when[32], num[64], tag[48];
    int rc;

    S3_LIT(b, S3_XML_HEAD "<ListBucketResult><Name>");
    fg_s3_xml_escape(b, bucket);
    S3_LIT(b, "</Name><Prefix>");
    fg_s3_xml_escape(b, p->prefix);
    S3_LIT(b, "</Prefix>");
    fg_buf_init(&prefixes, 16u << 20);
    for (size_t i = 0; i < objects->n && !b->err && !prefixes.err; i++) {
        const char *k = objects->v[i].name, *d;
        if (strncmp(k, p->prefix, pl) || (p->after[0] && strcmp(k, p->after) <= 0) ||
            (p->start_after[0] && strcmp(k, p->start_after) <= 0))
            continue;
        if (shown >= (size_t)p->max_keys) {
            truncated = true;
            break;
        }
        if (dl && (d = strstr(k + pl, p->delimiter))) {
            size_t len = (size_t)(d - k) + dl;
            if (last && last_len == len && !strncmp(last, k, len))
                continue;
            last = next = k;
            last_len = next_len = len;
            next_is_prefix = true;
            S3_LIT(&prefixes, "<CommonPrefixes><Prefix>");
            s3_xml_escape_n(&prefixes, k, len);
            S3_LIT(&prefixes, "</Prefix></CommonPrefixes>");
            shown++;
            continue;
        }
        etag(arg, k, tag);
        fg_log_iso_time(when, objects->v[i].time_ms);
        snprintf(num, sizeof(num), "%lld", objects->v[i].size);
        next = k;
        next_len = strlen(k);
        next_is_prefix = false;
        S3_LIT(b, "<Contents><Key>");
        fg_s3_xml_escape(b, k);
        S3_LIT(b, "</Key><LastModified>");
        fg_buf_append_str(b, when);
        S3_LIT(b, "</LastModified><ETag>");
        fg_s3_xml_escape(b, tag);
        S3_LIT(b, "</ETag><Size>");
        fg_buf_append_str(b, num);
        S3_LIT(b, "</Size><StorageClass>STANDARD</StorageClass></Contents>");
        shown++;
    }
    if (!(rc = prefixes.err) && prefixes.len)
        fg_buf_append(b, prefixes.data, prefixes.len);
    fg_buf_free(&prefixes);
    snprintf(num, sizeof(num), "<KeyCount>%zu</KeyCount><MaxKeys>%d</MaxKeys>", shown, p->max_keys);
    fg_buf_append_str(b, num);
    if (dl) {
        S3_LIT(b, "<Delimiter>");
        fg_s3_xml_escape(b, p->delimiter);
        S3_LIT(b, "</Delimiter>");
    }
    if (truncated) {
        S3_LIT(b, "<IsTruncated>true</IsTruncated><NextContinuationToken>");
        s3_xml_hex(b, next ? next : "", next_len, next_is_prefix);
        S3_LIT(b, "</NextContinuationToken>");
    } else {
        S3_LIT(b, "<IsTruncated>false</IsTruncated>");
    }
    S3_LIT(b, "</ListBucketResult>");
    return rc ? rc : b->err;
}

/* ------------------------------------------------------------------ multipart uploads */

/* <root><Bucket>bucket</Bucket><Key>key</Key><field>value</field></root>: both answers' shape. */
static int s3_xml_upload_result(struct fg_buf *b, const char *root, const char *bucket, const char *key,
                                const char *field, const char *value)
{
    S3_LIT(b, S3_XML_HEAD "<");
    fg_buf_append_str(b, root);
    S3_LIT(b, "><Bucket>");
    fg_s3_xml_escape(b, bucket);
    S3_LIT(b, "</Bucket><Key>");
    fg_s3_xml_escape(b, key);
    fg_buf_append_str(b, "</Key><");
    fg_buf_append_str(b, field);
    S3_LIT(b, ">");
    fg_s3_xml_escape(b, value);
    S3_LIT(b, "</");
    fg_buf_append_str(b, field);
    S3_LIT(b, "></");
    fg_buf_append_str(b, root);
    return S3_LIT(b, ">");
}

int fg_s3_xml_initiated(struct fg_buf *b, const char *bucket, const char *key, const char *upload_id)
{
    return s3_xml_upload_result(b, "InitiateMultipartUploadResult", bucket, key, "UploadId", upload_id);
}

int fg_s3_xml_completed(struct fg_buf *b, const char *bucket, const char *key, const char *etag)
{
    return s3_xml_upload_result(b, "CompleteMultipartUploadResult", bucket, key, "ETag", etag);
}

/* A part number as <PartNumber> writes it; 0 when it is none or beyond an int (atoi wrapped
 * 4294967297 round to part 1). */
static int s3_xml_part_number(const char *s)
{
    long v;
    errno = 0;
    v = strtol(s, NULL, 10);
    return errno || v < INT_MIN || v > INT_MAX ? 0 : (int)v;
}

/* Reads <PartNumber> elements and nothing else: the parts' ETags are not checked, as the
 * endpoint has always done (the parts on disk are what was uploaded under this id). */
int fg_s3_xml_parts(const char *body, int **parts, size_t *n)
{
    size_t cap = 0;
    *parts = NULL;
    *n = 0;
    for (const char *p = body; (p = strstr(p, "<PartNumber>")); p += 12) {
        if (*n == cap) {
            int *g = realloc(*parts, (cap = cap ? cap * 2 : 64) * sizeof(*g));
            if (!g) {
                free(*parts);
                *parts = NULL;
                *n = 0;
                return -ENOMEM;
            }
            *parts = g;
        }
        (*parts)[(*n)++] = s3_xml_part_number(p + 12);
    }
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* s3_api.c - the S3-compatible endpoint's protocol: its listener, what a request means, and
 * its answer (see s3_api.h).
 *
 * DESIGN: one request context per request, created by the URI callback. The first access
 * call only says yes (queueing then would force Connection: close); the second, with all
 * headers in, routes (bucket, key and operation from the path, Host and query),
 * authenticates (SigV4, or SigV2 where the client signs with it) and opens what the body
 * goes to; body chunks stream to the store's temp file (hashed there with MD5 for the ETag,
 * here with SHA-256 when the client signed the payload); the last call does the operation
 * and answers. Blocking file I/O runs on
 * these libmicrohttpd threads, never on the loop. A write's answer waits for its events:
 * the connection is suspended until triggers/s3.c's notifier says they are committed.
 * What a request asks for is decided in s3_route.c, what is kept on disk in s3_store.c,
 * the XML documents in s3_xml.c, and which events fire in the s3 trigger. */
#include "s3_api.h"
#include "mhd_conn.h"
#include "mhd_listener.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/hash_block.h"
#include "../core/http_header.h"
#include "../core/id.h"
#include "../core/log.h"
#include "../core/sha256.h"
#include "../triggers/s3.h"
#include "s3_role.h"
#include "s3_route.h"
#include "s3_store.h"
#include "s3_xml.h"
#include "sigv2.h"
#include "sigv4.h"

#define S3_MAX_HEADERS 64
#define S3_MAX_XML (1u << 20)

/* ------------------------------------------------------------------ types */

struct fg_s3_server {
    struct fg_mhd_listener listener;
    struct fg_mhd_conns conns;          /* per connection: request contexts, head deadlines */
    const struct fg_config *conf;
    struct fg_s3_notifier *notifier;
    struct fg_s3_store store;
    struct fg_idgen ids;           /* request ids */
    struct fg_iam_creds *creds;    /* workers' role credentials (the router's) */
};

struct s3_req {
    struct fg_s3_server *srv;
    struct MHD_Connection *conn;
    char *raw_uri;
    char *query;                   /* into raw_uri, after '?'; "" if none */
    unsigned calls;
    struct fg_s3_route r;          /* what it asks for */
    char request_id[FG_ID_LEN + 1];
    struct fg_s3_error err;        /* answered instead, once err.status is set */
    /* body */
    struct fg_s3_upload up;        /* PUT and UploadPart */
    struct fg_sha256 sha;
    char want_sha[65];             /* signed payload hash, "" when unsigned */
    struct fg_buf xml;             /* CompleteMultipartUpload's body */
    /* answer of a write whose events are being committed */
    bool waiting;
    int commit_rc;
    char etag[48];                 /* quoted; sent when not "" */
    struct fg_http_header headers[S3_MAX_HEADERS];
    size_t n_headers;
};

/* ------------------------------------------------------------------ helpers */

static const char *s3_header(const struct s3_req *q, const char *name)
{
    return fg_http_header_get(q->headers, q->n_headers, name);
}

static void s3_http_date(char out[64], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ------------------------------------------------------------------ responses */

static enum MHD_Result s3_send(struct s3_req *q, int status, struct fg_buf *body, const char *ctype)
{
    size_t len;
    char *data = body ? fg_buf_take(body, &len) : NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(data ? len : 0, data ? data : (void *)"",
                                                              data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc;
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "x-amz-request-id", q->request_id);
    if (q->etag[0])
        MHD_add_response_header(r, "ETag", q->etag);
    rc = MHD_queue_response(q->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Answers with a document (an empty body if it could not be written whole). */
static enum MHD_Result s3_send_xml(struct s3_req *q, int status, struct fg_buf *b, int rc)
{
    if (rc < 0)
        fg_buf_reset(b);
    return s3_send(q, status, b, "application/xml");
}

static enum MHD_Result s3_send_error(struct s3_req *q)
{
    struct fg_buf b;
    fg_buf_init(&b, 1 << 16);
    q->etag[0] = '\0';
    return s3_send_xml(q, q->err.status, &b, fg_s3_xml_error(&b, &q->err, q->raw_uri, q->request_id));
}

/* ------------------------------------------------------------------ operations */

/* fg_s3_etag_fn of a listing. */
static void s3_listed_etag(void *arg, const char *key, char out[48])
{
    const struct s3_req *q = arg;
    fg_s3_store_etag(&q->srv->store, q->r.bucket, key, out);
}

static enum MHD_Result s3_list_objects(struct s3_req *q)
{
    char prefix[FG_S3_MAX_KEY + 1] = "", delim[8] = "", after[FG_S3_MAX_KEY + 2] = "", start[FG_S3_MAX_KEY + 1] = "",
         maxk[16] = "1000", hex[2 * (FG_S3_MAX_KEY + 1) + 1] = "";
    struct fg_s3_list_params p = { prefix, delim, after, start, 1000 };
    struct fg_s3_listing l = { NULL, 0, 0 };
    struct fg_buf b;
    int given, rc;

    fg_s3_query_param(q->query, "prefix", prefix, sizeof(prefix));
    fg_s3_query_param(q->query, "delimiter", delim, sizeof(delim));
    /* The continuation token is the hex of where the last page ended (s3_xml.c). */
    given = fg_s3_query_param(q->query, "continuation-token", hex, sizeof(hex));
    if (given < 0 || (given && (strlen(hex) % 2 || fg_unhex(hex, strlen(hex) / 2, (unsigned char *)after) < 0))) {
        fg_s3_error_set(&q->err, 400, "InvalidArgument", "The continuation token provided is incorrect");
        return s3_send_error(q);
    }
    after[strlen(hex) / 2] = '\0';
    fg_s3_query_param(q->query, "start-after", start, sizeof(start));
    fg_s3_query_param(q->query, "max-keys", maxk, sizeof(maxk));
    p.max_keys = atoi(maxk);
    if (p.max_keys < 0 || p.max_keys > 1000)
        p.max_keys = 1000;
    fg_s3_store_objects(&q->srv->store, q->r.bucket, &l);
    fg_buf_init(&b, 64u << 20);
    rc = fg_s3_xml_objects(&b, q->r.bucket, &p, &l, s3_listed_etag, q);
    fg_s3_listing_free(&l);
    if (rc < 0) {
        fg_buf_free(&b);
        fg_s3_error_set(&q->err, 500, "InternalError", "the listing is too large");
        return s3_send_error(q);
    }
    return s3_send(q, 200, &b, "application/xml");
}

static enum MHD_Result s3_get(struct s3_req *q, bool head)
{
    char date[64], range[64];
    const char *rh = s3_header(q, "range");
    struct MHD_Response *r;
    struct stat st;
    long long from = 0, to;
    int status = 200, fd;
    enum MHD_Result rc;

    if ((fd = fg_s3_store_open(&q->srv->store, q->r.bucket, q->r.key, &st, &q->err)) < 0)
        return head ? s3_send(q, 404, NULL, NULL) : s3_send_error(q);
    to = st.st_size - 1;
    if (rh && !head) {
        long long a = -1, z = -1;
        if (sscanf(rh, "bytes=%lld-%lld", &a, &z) == 2 || sscanf(rh, "bytes=%lld-", &a) == 1) {
            from = a;
            if (z >= 0 && z < to)
                to = z;
        } else if (sscanf(rh, "bytes=-%lld", &z) == 1) {
            from = z >= st.st_size ? 0 : st.st_size - z;
        }
        if (from > to || from >= st.st_size) {
            close(fd);
            fg_s3_error_set(&q->err, 416, "InvalidRange", "The requested range is not satisfiable");
            return s3_send_error(q);
        }
        status = 206;
    }
    fg_s3_store_etag(&q->srv->store, q->r.bucket, q->r.key, q->etag);
    /* HEAD too: libmicrohttpd sends no body for it, but the object's Content-Length. */
    r = MHD_create_response_from_fd_at_offset64((uint64_t)(to - from + 1), fd, (uint64_t)from);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    s3_http_date(date, st.st_mtime);
    MHD_add_response_header(r, "Last-Modified", date);
    MHD_add_response_header(r, "ETag", q->etag);
    MHD_add_response_header(r, "Content-Type", "binary/octet-stream");
    MHD_add_response_header(r, "Accept-Ranges", "bytes");
    MHD_add_response_header(r, "x-amz-request-id", q->request_id);
    if (status == 206) {
        snprintf(range, sizeof(range), "bytes %lld-%lld/%lld", from, to, (long long)st.st_size);
        MHD_add_response_header(r, "Content-Range", range);
    }
    rc = MHD_queue_response(q->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* PUT and UploadPart: the body is in. Its MD5 into hex; 0, or -1 with q->err set. */
static int s3_body_done(struct s3_req *q, char hex[33])
{
    if (q->up.fd < 0 || fg_s3_upload_finish(&q->up, hex, &q->err) < 0)
        return -1;
    if (q->want_sha[0]) {
        unsigned char h[32];
        char got[65];
        fg_sha256_final(&q->sha, h);
        fg_sha256_hex(h, got);
        if (strcmp(got, q->want_sha)) {
            fg_s3_upload_abort(&q->up);
            return fg_s3_error_set(&q->err, 400, "XAmzContentSHA256Mismatch",
                                   "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
    }
    snprintf(q->etag, sizeof(q->etag), "\"%s\"", hex);
    return 0;
}

static int s3_upload_part(struct s3_req *q)
{
    char pn[16] = "", *end = pn, upload[128];
    long part = fg_s3_query_param(q->query, "partNumber", pn, sizeof(pn)) > 0 ? strtol(pn, &end, 10) : 0;
    if (part < 1 || part > 10000 || *end) {
        fg_s3_upload_abort(&q->up);
        return fg_s3_error_set(&q->err, 400, "InvalidArgument",
                               "Part number must be an integer between 1 and 10000, inclusive");
    }
    if (fg_s3_query_param(q->query, "uploadId", upload, sizeof(upload)) <= 0) {
        fg_s3_upload_abort(&q->up);
        return fg_s3_error_set(&q->err, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
    }
    return fg_s3_store_mpu_part(&q->srv->store, upload, (int)part, &q->up, &q->err);
}

static int s3_complete(struct s3_req *q)
{
    char upload[128], etag_hex[48];
    int *parts = NULL;
    size_t n = 0;
    int rc;

    if (fg_s3_query_param(q->query, "uploadId", upload, sizeof(upload)) <= 0)
        return fg_s3_error_set(&q->err, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
    if (fg_s3_xml_parts(q->xml.data ? q->xml.data : "", &parts, &n) < 0)
        return fg_s3_error_set(&q->err, 500, "InternalError", "out of memory");
    rc = fg_s3_store_mpu_complete(&q->srv->store, upload, parts, n, q->r.bucket, q->r.key, q->request_id, etag_hex,
                                  &q->err);
    free(parts);
    if (rc == 0)
        snprintf(q->etag, sizeof(q->etag), "\"%s\"", etag_hex);
    return rc;
}

/* fg_s3_notified_fn: the write's events are committed (or not): answer. */
static void s3_on_notified(void *arg, int rc)
{
    struct s3_req *q = arg;
    q->commit_rc = rc;
    MHD_resume_connection(q->conn);
}

/* A write is done: its events first, the answer after their commit (s3_answer_write). */
static enum MHD_Result s3_notify(struct s3_req *q)
{
    const char *name = q->r.op == FG_S3_OP_DELETE ? "ObjectRemoved:Delete"
                     : q->r.op == FG_S3_OP_MPU_COMPLETE ? "ObjectCreated:CompleteMultipartUpload" : "ObjectCreated:Put";
    long long size = fg_s3_store_size(&q->srv->store, q->r.bucket, q->r.key);
    char etag[48];
    int rc;

    /* The event carries the ETag without its quotes, as S3's do. */
    snprintf(etag, sizeof(etag), "%.*s", (int)(strlen(q->etag) > 2 ? strlen(q->etag) - 2 : 0), q->etag + 1);
    q->waiting = true;
    MHD_suspend_connection(q->conn);   /* before the callback can resume it */
    rc = fg_s3_notify(q->srv->notifier, q->r.bucket, q->r.key, name, size, etag, q->request_id, NULL, s3_on_notified, q);
    if (rc != FG_S3_NOTIFY_PENDING)
        s3_on_notified(q, rc);
    return MHD_YES;
}

static enum MHD_Result s3_answer_write(struct s3_req *q)
{
    struct fg_buf b;
    if (q->commit_rc < 0) {
        fg_s3_error_set(&q->err, 503, "ServiceUnavailable", "the object is stored but its event could not be: %s",
                        fg_strerror(q->commit_rc));
        return s3_send_error(q);
    }
    if (q->r.op == FG_S3_OP_MPU_COMPLETE) {
        fg_buf_init(&b, 1 << 16);
        return s3_send_xml(q, 200, &b, fg_s3_xml_completed(&b, q->r.bucket, q->r.key, q->etag));
    }
    return s3_send(q, q->r.op == FG_S3_OP_DELETE ? 204 : 200, NULL, NULL);
}

/* The last access call: the body (if any) is in. */
static enum MHD_Result s3_finish(struct s3_req *q)
{
    struct fg_s3_store *st = &q->srv->store;
    char hex[33], upload[128], id[FG_ID_LEN + 1];
    struct fg_s3_listing l = { NULL, 0, 0 };
    struct fg_buf b;
    int rc;

    if (q->waiting)
        return s3_answer_write(q);
    if (q->err.status)
        return s3_send_error(q);
    switch (q->r.op) {
    case FG_S3_OP_LIST_BUCKETS:
        fg_s3_store_buckets(st, &l);
        fg_buf_init(&b, 16u << 20);
        rc = fg_s3_xml_buckets(&b, &l);
        fg_s3_listing_free(&l);
        return s3_send_xml(q, 200, &b, rc);
    case FG_S3_OP_LIST_OBJECTS:
        return s3_list_objects(q);
    case FG_S3_OP_HEAD_BUCKET:
        return s3_send(q, 200, NULL, NULL);
    case FG_S3_OP_CREATE_BUCKET:
        return fg_s3_store_bucket_create(st, q->r.bucket, &q->err) < 0 ? s3_send_error(q) : s3_send(q, 200, NULL, NULL);
    case FG_S3_OP_DELETE_BUCKET:
        return fg_s3_store_bucket_delete(st, q->r.bucket, &q->err) < 0 ? s3_send_error(q) : s3_send(q, 204, NULL, NULL);
    case FG_S3_OP_GET:
        return s3_get(q, false);
    case FG_S3_OP_HEAD:
        return s3_get(q, true);
    case FG_S3_OP_DELETE:
        if (fg_s3_store_delete(st, q->r.bucket, q->r.key) < 0)
            return s3_send(q, 204, NULL, NULL);       /* S3 answers 204 for a missing key too */
        return s3_notify(q);
    case FG_S3_OP_PUT:
        if (s3_body_done(q, hex) < 0 || fg_s3_store_put(st, &q->up, q->r.bucket, q->r.key, hex, &q->err) < 0)
            return s3_send_error(q);
        return s3_notify(q);
    case FG_S3_OP_MPU_PART:
        if (s3_body_done(q, hex) < 0 || s3_upload_part(q) < 0)
            return s3_send_error(q);
        return s3_send(q, 200, NULL, NULL);
    case FG_S3_OP_MPU_CREATE:
        if (fg_s3_store_mpu_create(st, id, &q->err) < 0)
            return s3_send_error(q);
        fg_buf_init(&b, 1 << 16);
        return s3_send_xml(q, 200, &b, fg_s3_xml_initiated(&b, q->r.bucket, q->r.key, id));
    case FG_S3_OP_MPU_ABORT:
        if (fg_s3_query_param(q->query, "uploadId", upload, sizeof(upload)) <= 0)
            fg_s3_error_set(&q->err, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
        if (q->err.status || fg_s3_store_mpu_abort(st, upload, &q->err) < 0)
            return s3_send_error(q);
        return s3_send(q, 204, NULL, NULL);
    case FG_S3_OP_MPU_COMPLETE:
        return s3_complete(q) < 0 ? s3_send_error(q) : s3_notify(q);
    default:
        fg_s3_error_set(&q->err, 501, "NotImplemented",
                        "A header or query you provided implies functionality that is not implemented.");
        return s3_send_error(q);
    }
}

/* ------------------------------------------------------------------ routing and authentication */

static enum MHD_Result s3_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct s3_req *q = cls;
    (void)kind;
    if (q->n_headers < S3_MAX_HEADERS)
        q->headers[q->n_headers++] = (struct fg_http_header){ key, value ? value : "" };
    return MHD_YES;
}

/* A signature check that failed (rc, err "Code: message") as S3's error. */
static int s3_auth_refuse(struct s3_req *q, int rc, const struct fg_err *err)
{
    /* err.msg is "Code: message"; the code must be one of S3's. */
    static const char *const codes[] = { "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "RequestTimeTooSkewed",
                                         "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", NULL };
    const char *code = "AccessDenied", *colon;
    size_t cl;

    if (rc == -ENOENT)
        return fg_s3_error_set(&q->err, 403, "AccessDenied", "Access Denied: this endpoint requires signed requests");
    if (!strcmp(err->msg, "AuthorizationHeaderMalformed: only AWS4-HMAC-SHA256 is supported"))  /* S3 takes SigV2 too */
        return fg_s3_error_set(&q->err, 400, "AuthorizationHeaderMalformed", "the Authorization header must be "
                               "AWS4-HMAC-SHA256 (SigV4) or AWS KEY:SIGNATURE (SigV2)");
    colon = strchr(err->msg, ':');
    cl = colon ? (size_t)(colon - err->msg) : 0;
    for (int i = 0; codes[i]; i++)
        if (strlen(codes[i]) == cl && !strncmp(err->msg, codes[i], cl))
            code = codes[i];
    return fg_s3_error_set(&q->err, rc == -EINVAL ? 400 : 403, code, "%s", colon ? colon + 2 : err->msg);
}

/* A request signed with a function's role credentials (core/iam_creds.h), whether or not
 * the endpoint takes unsigned requests: the key must be live, the session token its own
 * (header, or a presigned URL's query), the signature right, and the role must allow the
 * operation (s3_role.h). Errors are S3's: InvalidAccessKeyId (unknown or revoked),
 * ExpiredToken, InvalidToken, then the signature's, then AccessDenied. */
static int s3_auth_role(struct s3_req *q, const struct fg_sigv4_request *r, const struct fg_sigv4_auth *a)
{
    char secret[FG_IAM_SECRET_LEN + 1], qtoken[FG_IAM_TOKEN_LEN * 3 + 1];
    const char *token = s3_header(q, "x-amz-security-token");
    struct fg_iam_principal who;
    long long now_s = fg_now_ms() / 1000;
    struct fg_err err;
    int rc;

    if (!token && a->presigned && fg_s3_query_param(q->query, "X-Amz-Security-Token", qtoken, sizeof(qtoken)) == 1)
        token = qtoken;
    rc = fg_iam_creds_lookup(q->srv->creds, a->access_key, token, now_s, secret, &who);
    if (rc == -ENOENT || (rc == -EACCES && !token))
        return fg_s3_error_set(&q->err, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    if (rc == -ETIMEDOUT)
        return fg_s3_error_set(&q->err, 400, "ExpiredToken", "The provided token has expired.");
    if (rc < 0)
        return fg_s3_error_set(&q->err, 400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
    rc = fg_sigv4_verify(r, a->access_key, secret, now_s, &err);
    explicit_bzero(secret, sizeof(secret));
    if (rc < 0)
        return s3_auth_refuse(q, rc, &err);
    return fg_s3_role_authorize(&q->r, &who, q->srv->conf->account_id, &q->err);
}

static int s3_auth(struct s3_req *q, const char *method)
{
    const struct fg_conf_credentials *creds = &q->srv->conf->s3.credentials;
    const struct fg_conf_credential *c;
    const char *sha = s3_header(q, "x-amz-content-sha256");
    char *query = q->query && *q->query ? q->query : NULL;
    char path[8192];
    struct fg_sigv4_auth a;
    struct fg_err err;
    int rc;

    snprintf(path, sizeof(path), "%s", q->raw_uri);
    struct fg_sigv4_request r = { method, path, query, q->headers, q->n_headers, sha, FG_SIGV4_S3 };
    struct fg_sigv2_request r2 = { method, path, query, q->r.virtual_host ? q->r.bucket : NULL, q->headers, q->n_headers };
    char ak[128];
    if (sha && strlen(sha) == 64)
        snprintf(q->want_sha, sizeof(q->want_sha), "%s", sha);
    if (fg_sigv2_access_key(&r2, ak, sizeof(ak)) < 0 && fg_sigv4_parse(&r, &a, &err) == 0 &&
        fg_iam_creds_is_role_key(a.access_key) && !fg_conf_credential_find(creds, a.access_key))
        return s3_auth_role(q, &r, &a);
    if (!creds->n)
        return 0;
    /* SigV2 (AWS CLI v1 and boto3 presigned URLs, older SDKs) when the request carries it,
     * else SigV4. The signature names its key; with none of ours, the first one answers
     * InvalidAccessKeyId. */
    if (fg_sigv2_access_key(&r2, ak, sizeof(ak)) == 0) {
        c = fg_conf_credential_find(creds, ak);
        rc = fg_sigv2_verify(&r2, c ? c->access_key : creds->items[0].access_key, c ? c->secret_key : "",
                             fg_now_ms() / 1000, &err);
    } else if ((rc = fg_sigv4_parse(&r, &a, &err)) == 0) {
        c = fg_conf_credential_find(creds, a.access_key);
        rc = fg_sigv4_verify(&r, c ? c->access_key : creds->items[0].access_key, c ? c->secret_key : "",
                             fg_now_ms() / 1000, &err);
    }
    return rc == 0 ? 0 : s3_auth_refuse(q, rc, &err);
}

/* ------------------------------------------------------------------ request lifecycle */

/* Headers are in: route, authenticate, and open what the body goes to. */
static void s3_begin(struct s3_req *q, const char *method)
{
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, s3_collect, q);
    if (fg_mhd_listener_stopping(&q->srv->listener)) {
        fg_s3_error_set(&q->err, 503, "ServiceUnavailable", "the server is stopping; retry");
        return;
    }
    if (fg_s3_route(&q->srv->store, method, q->raw_uri, q->query, q->headers, q->n_headers, &q->r, &q->err) < 0 ||
        s3_auth(q, method) < 0)
        return;
    if ((q->r.op == FG_S3_OP_PUT || q->r.op == FG_S3_OP_MPU_PART) && fg_s3_upload_open(&q->srv->store, &q->up, q->request_id, &q->err) == 0)
        fg_sha256_init(&q->sha);
}

static void s3_body(struct s3_req *q, const char *data, size_t n)
{
    if (q->err.status)
        return;     /* read and dropped: the error is answered at the end */
    if (q->up.fd >= 0) {
        if (fg_s3_upload_write(&q->up, data, n, &q->err) == 0 && q->want_sha[0])
            fg_sha256_update(&q->sha, data, n);
    } else if (q->r.op == FG_S3_OP_MPU_COMPLETE && fg_buf_append(&q->xml, data, n) < 0) {
        fg_s3_error_set(&q->err, 400, "MalformedXML", "the body is too large");
    }
}

/* MHD's per-connection memory: the request head and its parsed query. */
#define S3_POOL_BYTES (256 * 1024)

static void *s3_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct s3_req *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->srv = cls;
    q->conn = conn;
    q->up.fd = -1;
    q->raw_uri = strdup(uri);
    fg_buf_init(&q->xml, S3_MAX_XML);
    fg_idgen_uuid4(&q->srv->ids, q->request_id);
    if (q->raw_uri && (q->query = strchr(q->raw_uri, '?')))
        *q->query++ = '\0';
    else
        q->query = (char *)"";
    fg_mhd_track(conn, q);
    if (fg_mhd_refuse_long_query(conn, uri, S3_POOL_BYTES)) {
        free(q->raw_uri);               /* answered: the access handler will not run it */
        q->raw_uri = NULL;
        q->query = (char *)"";
    }
    return q;
}

static enum MHD_Result s3_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct s3_req *q = *con_cls;
    (void)cls;
    (void)url;
    (void)version;
    if (!q || !q->raw_uri)
        return MHD_NO;
    if (q->calls++ == 0) {
        fg_mhd_head_done(conn);
        s3_begin(q, method);
        return MHD_YES;
    }
    if (*upload_size) {
        s3_body(q, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return s3_finish(q);
}

/* Frees a request context (the completed callback, or its connection closing first). */
static void s3_req_free(void *arg)
{
    struct s3_req *q = arg;
    fg_s3_upload_abort(&q->up);     /* an upload that did not finish leaves nothing */
    fg_buf_free(&q->xml);
    free(q->raw_uri);
    free(q);
}


static void s3_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct s3_req *q = *con_cls;
    (void)cls;
    (void)toe;
    if (!q)
        return;
    fg_mhd_untrack(conn);
    s3_req_free(q);
    *con_cls = NULL;
}

/* ------------------------------------------------------------------ API */

/* The buckets of s3 events, made when missing; one that cannot be is logged (its uploads
 * then get NoSuchBucket, as on S3). */
static void s3_create_buckets(struct fg_s3_server *s)
{
    const struct fg_config *conf = s->conf;
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_event *ev;
        for (size_t j = 0; (ev = fg_conf_event_of(&conf->functions[i], "s3", j)); j++) {
            const struct fg_conf_s3_event *e = ev->conf;
            struct fg_s3_error se;
            if (!fg_s3_store_bucket_ok(e->bucket))
                fg_log(FG_LOG_WARN, "s3", "bucket %s: not a valid bucket name; not made (S3's rules: 3-63 "
                       "lower-case letters, digits, dots and hyphens)", e->bucket);
            else if (fg_s3_store_bucket_create(&s->store, e->bucket, &se) < 0)
                fg_log(FG_LOG_WARN, "s3", "bucket %s: %s", e->bucket, se.message);
        }
    }
}

int fg_s3_start(const struct fg_config *conf, struct fg_router *router, struct fg_s3_server **out, struct fg_err *err)
{
    struct fg_s3_server *s = calloc(1, sizeof(*s));
    unsigned max_conns = fg_mhd_connection_limit();
    const struct MHD_OptionItem options[] = {
        { MHD_OPTION_THREAD_POOL_SIZE, 2, NULL },
        { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)s3_on_uri, s },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)s3_on_completed, s },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)fg_mhd_on_connection, &s->conns },
        { MHD_OPTION_CONNECTION_TIMEOUT, 300, NULL },
        { MHD_OPTION_CONNECTION_LIMIT, max_conns, NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, conf->s3.max_conns_per_client, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, S3_POOL_BYTES, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->conf = conf;
    s->creds = fg_router_creds(router);
    fg_idgen_init(&s->ids);
    if ((rc = fg_s3_notifier_new(conf, router, &s->notifier, err)) < 0 ||
        (rc = fg_s3_store_init(&s->store, conf->s3.root, err)) < 0 ||
        (rc = fg_mhd_conns_start(&s->conns, "s3", s3_req_free, conf->header_timeout_ms, max_conns, err)) < 0 ||
        (rc = fg_mhd_listener_start(&s->listener, "s3.listen", "s3", conf->s3.listen.host, conf->s3.listen.port,
                                    &conf->s3.tls, MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                                    s3_access, s, &s->conns, options, err)) < 0) {
        fg_s3_free(s);
        return rc;
    }
    if (conf->s3.create_buckets)
        s3_create_buckets(s);
    *out = s;
    return 0;
}

int fg_s3_port(const struct fg_s3_server *s)
{
    return s->listener.port;
}

int fg_s3_metrics(struct fg_s3_server *s, struct fg_prom *p)
{
    return fg_s3_notifier_metrics(s->notifier, p);
}

void fg_s3_quiesce(struct fg_s3_server *s)
{
    if (s)
        fg_mhd_listener_quiesce(&s->listener);
}

void fg_s3_free(struct fg_s3_server *s)
{
    if (!s)
        return;
    fg_mhd_listener_stop(&s->listener);
    fg_mhd_conns_stop(&s->conns);
    fg_s3_notifier_free(s->notifier);
    free(s);
}

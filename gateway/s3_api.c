/* SPDX-License-Identifier: MIT */
/* s3_api.c - the S3-compatible endpoint (see s3_api.h).
 *
 * DESIGN: one request context per request, created by the URI callback. The first access
 * call only says yes (queueing then would force Connection: close); the second, with all
 * headers in, authenticates, resolves bucket and key and opens what the body goes to; body
 * chunks stream to a temp file (hashed with MD5 for the ETag, and SHA-256 when the client
 * signed the payload); the last call does the operation and answers. Blocking file I/O runs
 * on these libmicrohttpd threads, never on the loop. */
#include "s3_api.h"
#include "mhd_stop.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/hash_block.h"
#include "../core/id.h"
#include "../core/log.h"
#include "../core/md5.h"
#include "../core/sha256.h"
#include "../core/url.h"
#include "../triggers/s3.h"
#include "sigv4.h"

#define S3_MAX_HEADERS 64
#define S3_MAX_KEY 1024
#define S3_MAX_XML (1u << 20)
#define S3_ETAG_XATTR "user.fngate.etag"
/* Appends a string literal (its length known at compile time). */
#define S3_LIT(b, lit) fg_buf_append((b), (lit), sizeof(lit) - 1)

struct fg_s3_server {
    struct MHD_Daemon *mhd;
    const struct fg_config *conf;
    struct fg_router *router;
    struct fg_s3_notifier *notifier;
    struct fg_idgen ids;
    atomic_ullong tmp_seq;
    int port;
    MHD_socket quiesced_fd;        /* after fg_s3_quiesce, closed by fg_s3_free */
};

enum s3_op {
    OP_NONE = 0, OP_LIST_BUCKETS, OP_CREATE_BUCKET, OP_HEAD_BUCKET, OP_DELETE_BUCKET, OP_LIST_OBJECTS,
    OP_PUT, OP_GET, OP_HEAD, OP_DELETE, OP_MPU_CREATE, OP_MPU_PART, OP_MPU_COMPLETE, OP_MPU_ABORT,
};

struct s3_req {
    struct fg_s3_server *srv;
    struct MHD_Connection *conn;
    char *raw_uri;
    char *query;                   /* into raw_uri, after '?'; "" if none */
    unsigned calls;
    enum s3_op op;
    char bucket[64];
    char key[S3_MAX_KEY + 1];
    char request_id[FG_ID_LEN + 1];
    /* error to answer, when status != 0 */
    int status;
    const char *code;
    char message[512];
    /* body */
    int fd;
    char tmp[4096];
    long long received;
    struct fg_md5 md5;
    struct fg_sha256 sha;
    char want_sha[65];             /* signed payload hash, "" when unsigned */
    struct fg_buf xml;             /* CompleteMultipartUpload's body */
    /* answer of a write whose events are being committed */
    bool waiting;
    int commit_rc;
    char etag[48];
    struct fg_http_header headers[S3_MAX_HEADERS];
    size_t n_headers;
};

/* ------------------------------------------------------------------ helpers */

static int s3_fail(struct s3_req *q, int status, const char *code, const char *fmt, ...) FG_PRINTF(4, 5);

static int s3_fail(struct s3_req *q, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    if (q->status)
        return -1;          /* the first error wins */
    q->status = status;
    q->code = code;
    va_start(ap, fmt);
    vsnprintf(q->message, sizeof(q->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int s3_xml_escape(struct fg_buf *b, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
                      : *s == '\'' ? "&apos;" : NULL;
        int rc = e ? fg_buf_append(b, e, strlen(e)) : fg_buf_append(b, s, 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void s3_http_date(char out[64], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static const char *s3_header(const struct s3_req *q, const char *name)
{
    return fg_http_header_get(q->headers, q->n_headers, name);
}

/* The value of query parameter name, decoded into out ("" when it has none): 1, 0 when
 * absent, or -1 when present but longer than size - 1 or not decodable. */
static int s3_param(const struct s3_req *q, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = q->query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (!strncmp(p, name, nl) && (p[nl] == '=' || p[nl] == '&' || !p[nl])) {
            const char *v = p[nl] == '=' ? p + nl + 1 : p + nl, *e = strchr(v, '&');
            struct fg_buf dec;
            fg_buf_init(&dec, size - 1);
            if (fg_url_decode(&dec, v, e ? (size_t)(e - v) : strlen(v), FG_URL_FORM) < 0) {
                fg_buf_free(&dec);
                return -1;
            }
            snprintf(out, size, "%s", dec.data ? dec.data : "");
            fg_buf_free(&dec);
            return 1;
        }
    }
    return 0;
}

static void s3_object_path(const struct s3_req *q, char *out, size_t n)
{
    snprintf(out, n, "%s/%s/%s", q->srv->conf->s3.root, q->bucket, q->key);
}

static bool s3_bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-')
        return false;
    for (; *b; b++)
        if (!((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') || *b == '-' || *b == '.'))
            return false;
    return true;
}

/* Keys become paths under the bucket: nothing that could climb out of it or hide. */
static bool s3_key_ok(const char *k, size_t n)
{
    if (!n || n > S3_MAX_KEY || memchr(k, '\0', n) || k[0] == '/')
        return false;
    for (const char *c = k; c < k + n;) {
        const char *e = memchr(c, '/', (size_t)(k + n - c));
        size_t len = e ? (size_t)(e - c) : (size_t)(k + n - c);
        if (len == 0 && e)
            return false;                           /* "a//b" */
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (c == k && len >= 7 && !strncmp(c, ".fngate", 7))
            return false;
        c += len + (e ? 1 : 0);
        if (!e)
            break;
    }
    return true;
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

static enum MHD_Result s3_send_error(struct s3_req *q)
{
    struct fg_buf b;
    char head[256];
    int n = snprintf(head, sizeof(head), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>", q->code);
    fg_buf_init(&b, 1 << 16);
    if (fg_buf_append(&b, head, (size_t)n) < 0 || s3_xml_escape(&b, q->message) < 0 ||
        S3_LIT(&b, "</Message><Resource>") < 0 || s3_xml_escape(&b, q->raw_uri) < 0 ||
        S3_LIT(&b, "</Resource><RequestId>") < 0 || fg_buf_append(&b, q->request_id, strlen(q->request_id)) < 0 ||
        S3_LIT(&b, "</RequestId></Error>") < 0)
        fg_buf_reset(&b);
    q->etag[0] = '\0';
    return s3_send(q, q->status, &b, "application/xml");
}

/* ------------------------------------------------------------------ events */

/* fg_s3_notified_fn: the write's events are committed (or not): answer. */
static void s3_on_notified(void *arg, int rc)
{
    struct s3_req *q = arg;
    q->commit_rc = rc;
    MHD_resume_connection(q->conn);
}

/* ------------------------------------------------------------------ operations */

static enum MHD_Result s3_list_buckets(struct s3_req *q)
{
    struct fg_buf b;
    DIR *d = opendir(q->srv->conf->s3.root);
    struct dirent *e;
    char when[32];
    int rc;

    fg_buf_init(&b, 16u << 20);
    rc = S3_LIT(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult><Owner><ID>fngate</ID>"
                    "<DisplayName>fngate</DisplayName></Owner><Buckets>");
    while (rc == 0 && d && (e = readdir(d))) {
        struct stat st;
        char path[4096];
        if (!s3_bucket_ok(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", q->srv->conf->s3.root, e->d_name);
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        fg_log_iso_time(when, (long long)st.st_ctime * 1000);
        if ((rc = S3_LIT(&b, "<Bucket><Name>")) == 0 && (rc = s3_xml_escape(&b, e->d_name)) == 0 &&
            (rc = S3_LIT(&b, "</Name><CreationDate>")) == 0 && (rc = fg_buf_append(&b, when, strlen(when))) == 0)
            rc = S3_LIT(&b, "</CreationDate></Bucket>");
    }
    if (d)
        closedir(d);
    if (rc == 0)
        rc = S3_LIT(&b, "</Buckets></ListAllMyBucketsResult>");
    return s3_send(q, 200, &b, "application/xml");
}

struct s3_entry {
    char *key;
    long long size;
    time_t mtime;
};

static int s3_cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct s3_entry *)a)->key, ((const struct s3_entry *)b)->key);
}

struct s3_listing {
    struct s3_entry *v;
    size_t n, cap;
};

/* fg_walk_fn: one object of the bucket. */
static void s3_listed(void *arg, const char *rel, const struct stat *st)
{
    struct s3_listing *l = arg;
    if (l->n == l->cap) {
        struct s3_entry *g = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 256) * sizeof(*g));
        if (!g)
            return;
        l->v = g;
    }
    if ((l->v[l->n].key = strdup(rel))) {
        l->v[l->n].size = st->st_size;
        l->v[l->n].mtime = st->st_mtime;
        l->n++;
    }
}

static void s3_etag_of(const char *path, char out[48])
{
    char v[48];
    ssize_t n = getxattr(path, S3_ETAG_XATTR, v, sizeof(v) - 1);
    if (n > 0) {
        v[n] = '\0';
        snprintf(out, 48, "\"%s\"", v);
        return;
    }
    /* Put there by other means: hash it now. */
    char hex[33] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fg_md5_fd(fd, hex) < 0)
        hex[0] = '\0';
    if (fd >= 0)
        close(fd);
    snprintf(out, 48, "\"%s\"", hex);
}

static enum MHD_Result s3_list_objects(struct s3_req *q)
{
    char prefix[S3_MAX_KEY + 1] = "", delim[8] = "", token[S3_MAX_KEY + 2] = "", start[S3_MAX_KEY + 1] = "",
         maxk[16] = "1000", base[4096], when[32], num[64];
    struct s3_listing l = { NULL, 0, 0 };
    size_t shown = 0;
    int max_keys, given, rc = 0;
    bool truncated = false;
    char last_prefix[S3_MAX_KEY + 1] = "", next[S3_MAX_KEY + 2] = "", hex[2 * (S3_MAX_KEY + 1) + 1] = "";
    struct fg_buf b;

    s3_param(q, "prefix", prefix, sizeof(prefix));
    s3_param(q, "delimiter", delim, sizeof(delim));
    /* Continuation tokens are the hex of where the next page starts after: that place may
     * end in a byte no XML document can hold (after a common prefix, "prefix\xff"). */
    given = s3_param(q, "continuation-token", hex, sizeof(hex));
    if (given < 0 || (given && (strlen(hex) % 2 || fg_unhex(hex, strlen(hex) / 2, (unsigned char *)token) < 0))) {
        s3_fail(q, 400, "InvalidArgument", "The continuation token provided is incorrect");
        return s3_send_error(q);
    }
    token[strlen(hex) / 2] = '\0';
    s3_param(q, "start-after", start, sizeof(start));
    s3_param(q, "max-keys", maxk, sizeof(maxk));
    max_keys = atoi(maxk);
    if (max_keys < 0 || max_keys > 1000)
        max_keys = 1000;
    snprintf(base, sizeof(base), "%s/%s", q->srv->conf->s3.root, q->bucket);
    fg_walk_files(base, "", true, s3_listed, &l);
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), s3_cmp_entry);
    struct s3_entry *v = l.v;
    size_t n = l.n;
    fg_buf_init(&b, 64u << 20);
    rc = S3_LIT(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult><Name>");
    if (rc == 0 && (rc = s3_xml_escape(&b, q->bucket)) == 0 && (rc = S3_LIT(&b, "</Name><Prefix>")) == 0)
        rc = s3_xml_escape(&b, prefix);
    if (rc == 0)
        rc = S3_LIT(&b, "</Prefix>");
    struct fg_buf prefixes;
    fg_buf_init(&prefixes, 16u << 20);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *k = v[i].key;
        if (strncmp(k, prefix, strlen(prefix)) || (token[0] && strcmp(k, token) <= 0) || (start[0] && strcmp(k, start) <= 0))
            continue;
        if (shown >= (size_t)max_keys) {
            truncated = true;
            break;
        }
        if (delim[0]) {
            const char *d = strstr(k + strlen(prefix), delim);
            if (d) {
                size_t pl = (size_t)(d - k) + strlen(delim);
                if (strlen(last_prefix) == pl && !strncmp(last_prefix, k, pl))
                    continue;
                snprintf(last_prefix, sizeof(last_prefix), "%.*s", (int)pl, k);
                snprintf(next, sizeof(next), "%s\xff", last_prefix);   /* after everything below it */
                if ((rc = S3_LIT(&prefixes, "<CommonPrefixes><Prefix>")) == 0 &&
                    (rc = s3_xml_escape(&prefixes, last_prefix)) == 0)
                    rc = S3_LIT(&prefixes, "</Prefix></CommonPrefixes>");
                shown++;
                continue;
            }
        }
        char path[8192], etag[48];
        snprintf(path, sizeof(path), "%s/%s", base, k);
        s3_etag_of(path, etag);
        fg_log_iso_time(when, (long long)v[i].mtime * 1000);
        snprintf(num, sizeof(num), "%lld", v[i].size);
        snprintf(next, sizeof(next), "%s", k);
        if ((rc = S3_LIT(&b, "<Contents><Key>")) == 0 && (rc = s3_xml_escape(&b, k)) == 0 &&
            (rc = S3_LIT(&b, "</Key><LastModified>")) == 0 && (rc = fg_buf_append(&b, when, strlen(when))) == 0 &&
            (rc = S3_LIT(&b, "</LastModified><ETag>")) == 0 && (rc = s3_xml_escape(&b, etag)) == 0 &&
            (rc = S3_LIT(&b, "</ETag><Size>")) == 0 && (rc = fg_buf_append(&b, num, strlen(num))) == 0)
            rc = S3_LIT(&b, "</Size><StorageClass>STANDARD</StorageClass></Contents>");
        shown++;
    }
    if (rc == 0 && prefixes.len)
        rc = fg_buf_append(&b, prefixes.data, prefixes.len);
    fg_buf_free(&prefixes);
    snprintf(num, sizeof(num), "<KeyCount>%zu</KeyCount><MaxKeys>%d</MaxKeys>", shown, max_keys);
    if (rc == 0)
        rc = fg_buf_append(&b, num, strlen(num));
    if (rc == 0 && delim[0] && (rc = S3_LIT(&b, "<Delimiter>")) == 0 && (rc = s3_xml_escape(&b, delim)) == 0)
        rc = S3_LIT(&b, "</Delimiter>");
    if (rc == 0)
        rc = truncated ? S3_LIT(&b, "<IsTruncated>true</IsTruncated>") : S3_LIT(&b, "<IsTruncated>false</IsTruncated>");
    if (truncated)
        fg_hex((const unsigned char *)next, strlen(next), hex);
    if (rc == 0 && truncated && (rc = S3_LIT(&b, "<NextContinuationToken>")) == 0 &&
        (rc = fg_buf_append(&b, hex, strlen(hex))) == 0)
        rc = S3_LIT(&b, "</NextContinuationToken>");
    if (rc == 0)
        rc = S3_LIT(&b, "</ListBucketResult>");
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
    if (rc < 0) {
        fg_buf_free(&b);
        s3_fail(q, 500, "InternalError", "the listing is too large");
        return s3_send_error(q);
    }
    return s3_send(q, 200, &b, "application/xml");
}

static enum MHD_Result s3_get(struct s3_req *q, bool head)
{
    char path[8192], date[64], range[64];
    const char *rh = s3_header(q, "range");
    struct MHD_Response *r;
    struct stat st;
    long long from = 0, to;
    int status = 200, fd;
    enum MHD_Result rc;

    s3_object_path(q, path, sizeof(path));
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        s3_fail(q, 404, "NoSuchKey", "The specified key does not exist.");
        return head ? s3_send(q, 404, NULL, NULL) : s3_send_error(q);
    }
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
            s3_fail(q, 416, "InvalidRange", "The requested range is not satisfiable");
            return s3_send_error(q);
        }
        status = 206;
    }
    s3_etag_of(path, q->etag);
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

/* Renames the finished temp file into place with its ETag. 0 or -1 (q->status set). */
static int s3_commit_file(struct s3_req *q, const char *tmp, const char *etag_hex)
{
    char path[8192], *slash;
    s3_object_path(q, path, sizeof(path));
    if ((slash = strrchr(path, '/'))) {
        *slash = '\0';
        if (fg_mkdirs(path) < 0)
            return s3_fail(q, 409, "InvalidRequest", "the key's directory cannot be created: %s", strerror(errno));
        *slash = '/';
    }
    setxattr(tmp, S3_ETAG_XATTR, etag_hex, strlen(etag_hex), 0);   /* optional: else hashed on read */
    if (rename(tmp, path) < 0)
        return s3_fail(q, 409, "InvalidRequest", "the object cannot be stored: %s", strerror(errno));
    return 0;
}

static void s3_tmp_name(struct s3_req *q)
{
    snprintf(q->tmp, sizeof(q->tmp), "%s/.fngate-tmp/%llx-%s", q->srv->conf->s3.root,
             (unsigned long long)atomic_fetch_add(&q->srv->tmp_seq, 1), q->request_id);
}

static const char *s3_upload_dir(struct s3_req *q, const char *upload_id, char *out, size_t n)
{
    if (!*upload_id)
        return NULL;
    for (const char *c = upload_id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-'))
            return NULL;
    snprintf(out, n, "%s/.fngate-uploads/%s", q->srv->conf->s3.root, upload_id);
    return out;
}

/* CompleteMultipartUpload: the parts named in the XML, concatenated in order. */
static int s3_complete(struct s3_req *q, const char *dir, char etag_hex[48])
{
    struct fg_md5 all;
    unsigned char d[16];
    char buf[65536], part[4200], hex[33];
    int parts = 0, out;
    const char *p = q->xml.data ? q->xml.data : "";
    int last = 0;

    s3_tmp_name(q);
    if ((out = open(q->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
        return s3_fail(q, 500, "InternalError", "cannot write: %s", strerror(errno));
    fg_md5_init(&all);
    while ((p = strstr(p, "<PartNumber>"))) {
        int n = atoi(p + 12), in;
        ssize_t r;
        struct fg_md5 c;
        p += 12;
        if (n <= last) {
            close(out);
            unlink(q->tmp);
            return s3_fail(q, 400, "InvalidPartOrder", "The list of parts was not in ascending order.");
        }
        last = n;
        snprintf(part, sizeof(part), "%s/%05d", dir, n);
        if ((in = open(part, O_RDONLY | O_CLOEXEC)) < 0) {
            close(out);
            unlink(q->tmp);
            return s3_fail(q, 400, "InvalidPart", "Part %d was not uploaded.", n);
        }
        fg_md5_init(&c);
        while ((r = read(in, buf, sizeof(buf))) > 0) {
            fg_md5_update(&c, buf, (size_t)r);
            if (write(out, buf, (size_t)r) != r) {
                close(in);
                close(out);
                unlink(q->tmp);
                return s3_fail(q, 507, "InsufficientStorage", "the disk is full");
            }
        }
        close(in);
        fg_md5_final(&c, d);
        fg_md5_update(&all, d, 16);
        parts++;
    }
    if (fsync(out) < 0 || close(out) < 0 || !parts) {
        unlink(q->tmp);
        return s3_fail(q, 400, parts ? "InternalError" : "MalformedXML", parts ? "cannot write" : "no parts named");
    }
    fg_md5_final(&all, d);
    fg_md5_hex(d, hex);
    snprintf(etag_hex, 48, "%s-%d", hex, parts);
    return 0;
}

static void s3_rmdir_all(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4300];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* The last access call: the body (if any) is in. */
static enum MHD_Result s3_finish(struct s3_req *q)
{
    char path[8192], hex[33], etag_hex[48], upload[128], dir[4200];
    unsigned char d[16];
    struct fg_buf b;

    if (q->waiting) {
        if (q->commit_rc < 0) {
            s3_fail(q, 503, "ServiceUnavailable", "the object is stored but its event could not be: %s",
                    fg_strerror(q->commit_rc));
            return s3_send_error(q);
        }
        if (q->op == OP_MPU_COMPLETE) {
            fg_buf_init(&b, 1 << 16);
            if (S3_LIT(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult><Bucket>") < 0 ||
                s3_xml_escape(&b, q->bucket) < 0 || S3_LIT(&b, "</Bucket><Key>") < 0 ||
                s3_xml_escape(&b, q->key) < 0 || S3_LIT(&b, "</Key><ETag>") < 0 ||
                s3_xml_escape(&b, q->etag) < 0 || S3_LIT(&b, "</ETag></CompleteMultipartUploadResult>") < 0)
                fg_buf_reset(&b);
            return s3_send(q, 200, &b, "application/xml");
        }
        return s3_send(q, q->op == OP_DELETE ? 204 : 200, NULL, NULL);
    }
    if (q->status)
        return s3_send_error(q);
    switch (q->op) {
    case OP_LIST_BUCKETS:
        return s3_list_buckets(q);
    case OP_LIST_OBJECTS:
        return s3_list_objects(q);
    case OP_HEAD_BUCKET:
        return s3_send(q, 200, NULL, NULL);
    case OP_CREATE_BUCKET:
        snprintf(path, sizeof(path), "%s/%s", q->srv->conf->s3.root, q->bucket);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            s3_fail(q, 500, "InternalError", "cannot create the bucket: %s", strerror(errno));
            return s3_send_error(q);
        }
        return s3_send(q, 200, NULL, NULL);
    case OP_DELETE_BUCKET:
        snprintf(path, sizeof(path), "%s/%s", q->srv->conf->s3.root, q->bucket);
        if (rmdir(path) < 0) {
            s3_fail(q, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty");
            return s3_send_error(q);
        }
        return s3_send(q, 204, NULL, NULL);
    case OP_GET:
        return s3_get(q, false);
    case OP_HEAD:
        return s3_get(q, true);
    case OP_DELETE:
        s3_object_path(q, path, sizeof(path));
        if (unlink(path) < 0)
            return s3_send(q, 204, NULL, NULL);       /* S3 answers 204 for a missing key too */
        break;
    case OP_PUT:
    case OP_MPU_PART:
        if (q->fd < 0)
            return s3_send_error(q);
        if (fsync(q->fd) < 0 || close(q->fd) < 0) {
            q->fd = -1;
            unlink(q->tmp);
            s3_fail(q, 507, "InsufficientStorage", "the object could not be written: %s", strerror(errno));
            return s3_send_error(q);
        }
        q->fd = -1;
        fg_md5_final(&q->md5, d);
        fg_md5_hex(d, hex);
        if (q->want_sha[0]) {
            unsigned char h[32];
            char got[65];
            fg_sha256_final(&q->sha, h);
            fg_sha256_hex(h, got);
            if (strcmp(got, q->want_sha)) {
                unlink(q->tmp);
                s3_fail(q, 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
                return s3_send_error(q);
            }
        }
        snprintf(q->etag, sizeof(q->etag), "\"%s\"", hex);
        if (q->op == OP_MPU_PART) {
            char pn[16] = "", *end = pn;
            long part = s3_param(q, "partNumber", pn, sizeof(pn)) > 0 ? strtol(pn, &end, 10) : 0;
            if (part < 1 || part > 10000 || *end) {
                unlink(q->tmp);
                s3_fail(q, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
                return s3_send_error(q);
            }
            /* An id that is not one of ours names no directory: no such upload either. */
            if (s3_param(q, "uploadId", upload, sizeof(upload)) <= 0 || !s3_upload_dir(q, upload, dir, sizeof(dir)) ||
                (snprintf(path, sizeof(path), "%s/%05ld", dir, part), rename(q->tmp, path) < 0)) {
                unlink(q->tmp);
                s3_fail(q, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
                return s3_send_error(q);
            }
            return s3_send(q, 200, NULL, NULL);
        }
        if (s3_commit_file(q, q->tmp, hex) < 0) {
            unlink(q->tmp);
            return s3_send_error(q);
        }
        break;
    case OP_MPU_CREATE: {
        char id[FG_ID_LEN + 1];
        fg_idgen_uuid4(&q->srv->ids, id);
        s3_upload_dir(q, id, dir, sizeof(dir));
        if (fg_mkdirs(dir) < 0) {
            s3_fail(q, 500, "InternalError", "cannot start the upload: %s", strerror(errno));
            return s3_send_error(q);
        }
        fg_buf_init(&b, 1 << 16);
        if (S3_LIT(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult><Bucket>") < 0 ||
            s3_xml_escape(&b, q->bucket) < 0 || S3_LIT(&b, "</Bucket><Key>") < 0 || s3_xml_escape(&b, q->key) < 0 ||
            S3_LIT(&b, "</Key><UploadId>") < 0 || fg_buf_append(&b, id, strlen(id)) < 0 ||
            S3_LIT(&b, "</UploadId></InitiateMultipartUploadResult>") < 0)
            fg_buf_reset(&b);
        return s3_send(q, 200, &b, "application/xml");
    }
    case OP_MPU_ABORT:
        /* As S3: an upload aborted or completed already is unknown. */
        if (s3_param(q, "uploadId", upload, sizeof(upload)) <= 0 || !s3_upload_dir(q, upload, dir, sizeof(dir)) ||
            access(dir, F_OK) < 0) {
            s3_fail(q, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
            return s3_send_error(q);
        }
        s3_rmdir_all(dir);
        return s3_send(q, 204, NULL, NULL);
    case OP_MPU_COMPLETE:
        if (s3_param(q, "uploadId", upload, sizeof(upload)) <= 0 || !s3_upload_dir(q, upload, dir, sizeof(dir)) ||
            access(dir, F_OK) < 0) {
            s3_fail(q, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
            return s3_send_error(q);
        }
        if (s3_complete(q, dir, etag_hex) < 0 || s3_commit_file(q, q->tmp, etag_hex) < 0) {
            unlink(q->tmp);
            return s3_send_error(q);
        }
        s3_rmdir_all(dir);
        snprintf(q->etag, sizeof(q->etag), "\"%s\"", etag_hex);
        break;
    default:
        s3_fail(q, 501, "NotImplemented", "A header or query you provided implies functionality that is not implemented.");
        return s3_send_error(q);
    }
    /* A write is done: its events first, the answer after their commit. */
    struct stat st;
    s3_object_path(q, path, sizeof(path));
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : 0;
    const char *name = q->op == OP_DELETE ? "ObjectRemoved:Delete"
                     : q->op == OP_MPU_COMPLETE ? "ObjectCreated:CompleteMultipartUpload" : "ObjectCreated:Put";
    /* The event carries the ETag without its quotes, as S3's do. */
    snprintf(etag_hex, sizeof(etag_hex), "%.*s", (int)(strlen(q->etag) > 2 ? strlen(q->etag) - 2 : 0), q->etag + 1);
    q->waiting = true;
    MHD_suspend_connection(q->conn);   /* before the callback can resume it */
    int rc = fg_s3_notify(q->srv->notifier, q->bucket, q->key, name, size, etag_hex, q->request_id, NULL,
                          s3_on_notified, q);
    if (rc != FG_S3_NOTIFY_PENDING)
        s3_on_notified(q, rc);
    return MHD_YES;
}

/* ------------------------------------------------------------------ routing */

static enum MHD_Result s3_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct s3_req *q = cls;
    (void)kind;
    if (q->n_headers < S3_MAX_HEADERS)
        q->headers[q->n_headers++] = (struct fg_http_header){ key, value ? value : "" };
    return MHD_YES;
}

/* Bucket and key from the path, or the Host for virtual-host style. */
static int s3_route(struct s3_req *q, const char *method)
{
    const char *host = s3_header(q, "host");
    char *path = q->raw_uri;
    struct fg_buf dec;
    const char *rest;
    char tmp[64];

    fg_buf_init(&dec, S3_MAX_KEY + 256);
    if (fg_url_decode(&dec, path, strlen(path), FG_URL_PERCENT) < 0) {
        fg_buf_free(&dec);
        return s3_fail(q, 400, "KeyTooLongError", "Your key is too long");
    }
    rest = dec.data ? dec.data + 1 : "";
    q->bucket[0] = '\0';
    if (host) {
        const char *dot = strchr(host, '.');
        struct in_addr a;
        char h[256];
        snprintf(h, sizeof(h), "%s", host);
        h[strcspn(h, ":")] = '\0';
        if (dot && inet_pton(AF_INET, h, &a) != 1 && h[0] != '[' && (size_t)(dot - host) < sizeof(q->bucket)) {
            snprintf(q->bucket, sizeof(q->bucket), "%.*s", (int)(dot - host), host);
            if (!s3_bucket_ok(q->bucket))
                q->bucket[0] = '\0';
        }
    }
    if (!q->bucket[0] && *rest) {
        size_t bl = strcspn(rest, "/");
        if (bl >= sizeof(q->bucket)) {
            fg_buf_free(&dec);
            return s3_fail(q, 400, "InvalidBucketName", "The specified bucket is not valid.");
        }
        snprintf(q->bucket, sizeof(q->bucket), "%.*s", (int)bl, rest);
        rest += bl + (rest[bl] == '/');
    }
    if (q->bucket[0] && !s3_bucket_ok(q->bucket)) {
        fg_buf_free(&dec);
        return s3_fail(q, 400, "InvalidBucketName", "The specified bucket is not valid.");
    }
    size_t kl = dec.data ? dec.len - (size_t)(rest - dec.data) : 0;
    if (kl && !s3_key_ok(rest, kl)) {
        fg_buf_free(&dec);
        return s3_fail(q, 400, kl > S3_MAX_KEY ? "KeyTooLongError" : "InvalidArgument",
                       kl > S3_MAX_KEY ? "Your key is too long" : "keys may not hold NUL, '..' or '.' segments, "
                       "empty segments, or start with '/'");
    }
    memcpy(q->key, rest, kl);
    q->key[kl] = '\0';
    fg_buf_free(&dec);

    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), head = !strcmp(method, "HEAD"),
         del = !strcmp(method, "DELETE"), post = !strcmp(method, "POST");
    if (!q->bucket[0])
        q->op = get ? OP_LIST_BUCKETS : OP_NONE;
    else if (!q->key[0])
        q->op = get ? OP_LIST_OBJECTS : put ? OP_CREATE_BUCKET : head ? OP_HEAD_BUCKET : del ? OP_DELETE_BUCKET : OP_NONE;
    else if (post && s3_param(q, "uploads", tmp, sizeof(tmp)) > 0)
        q->op = OP_MPU_CREATE;
    else if (post && s3_param(q, "uploadId", tmp, sizeof(tmp)) > 0)
        q->op = OP_MPU_COMPLETE;
    else if (put && s3_param(q, "uploadId", tmp, sizeof(tmp)) > 0)
        q->op = OP_MPU_PART;
    else if (del && s3_param(q, "uploadId", tmp, sizeof(tmp)) > 0)
        q->op = OP_MPU_ABORT;
    else
        q->op = get ? OP_GET : put ? OP_PUT : head ? OP_HEAD : del ? OP_DELETE : OP_NONE;
    if (q->op == OP_NONE)
        return s3_fail(q, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    if (q->op == OP_PUT && s3_header(q, "x-amz-copy-source"))
        return s3_fail(q, 501, "NotImplemented", "CopyObject is not implemented");
    if (q->op != OP_LIST_BUCKETS && q->op != OP_CREATE_BUCKET) {
        char dir[4096];
        struct stat st;
        snprintf(dir, sizeof(dir), "%s/%s", q->srv->conf->s3.root, q->bucket);
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            return s3_fail(q, 404, "NoSuchBucket", "The specified bucket does not exist");
    }
    return 0;
}

static int s3_auth(struct s3_req *q, const char *method)
{
    const struct fg_conf_s3 *c = &q->srv->conf->s3;
    const char *sha = s3_header(q, "x-amz-content-sha256");
    char *query = q->query && *q->query ? q->query : NULL;
    char path[8192];
    struct fg_err err;
    int rc;

    snprintf(path, sizeof(path), "%s", q->raw_uri);
    struct fg_sigv4_request r = { method, path, query, q->headers, q->n_headers, sha };
    if (sha && strlen(sha) == 64)
        snprintf(q->want_sha, sizeof(q->want_sha), "%s", sha);
    if (!c->access_key)
        return 0;
    if ((rc = fg_sigv4_verify(&r, c->access_key, c->secret_key, fg_now_ms() / 1000, &err)) == 0)
        return 0;
    if (rc == -ENOENT)
        return s3_fail(q, 403, "AccessDenied", "Access Denied: this endpoint requires signed requests");
    /* err.msg is "Code: message"; the code must be one of S3's. */
    static const char *const codes[] = { "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied",
                                         "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", NULL };
    const char *code = "AccessDenied", *colon = strchr(err.msg, ':');
    size_t cl = colon ? (size_t)(colon - err.msg) : 0;
    for (int i = 0; codes[i]; i++)
        if (strlen(codes[i]) == cl && !strncmp(err.msg, codes[i], cl))
            code = codes[i];
    return s3_fail(q, rc == -EINVAL ? 400 : 403, code, "%s", colon ? colon + 2 : err.msg);
}

/* Headers are in: route, authenticate, and open what the body goes to. */
static void s3_begin(struct s3_req *q, const char *method)
{
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, s3_collect, q);
    if (s3_route(q, method) < 0 || s3_auth(q, method) < 0)
        return;
    if (q->op == OP_PUT || q->op == OP_MPU_PART) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/.fngate-tmp", q->srv->conf->s3.root);
        fg_mkdirs(dir);
        s3_tmp_name(q);
        if ((q->fd = open(q->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
            s3_fail(q, 500, "InternalError", "cannot write: %s", strerror(errno));
            return;
        }
        fg_md5_init(&q->md5);
        fg_sha256_init(&q->sha);
    } else if (q->op == OP_MPU_COMPLETE) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/.fngate-tmp", q->srv->conf->s3.root);
        fg_mkdirs(dir);
    }
}

static void s3_body(struct s3_req *q, const char *data, size_t n)
{
    if (q->status)
        return;     /* read and dropped: the error is answered at the end */
    if (q->fd >= 0) {
        const char *p = data;
        size_t left = n;
        while (left) {
            ssize_t w = write(q->fd, p, left);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                close(q->fd);
                q->fd = -1;
                unlink(q->tmp);
                s3_fail(q, 507, "InsufficientStorage", "the object could not be written: %s", strerror(errno));
                return;
            }
            p += w;
            left -= (size_t)w;
        }
        fg_md5_update(&q->md5, data, n);
        if (q->want_sha[0])
            fg_sha256_update(&q->sha, data, n);
        q->received += (long long)n;
    } else if (q->op == OP_MPU_COMPLETE) {
        if (fg_buf_append(&q->xml, data, n) < 0)
            s3_fail(q, 400, "MalformedXML", "the body is too large");
    }
}

static void *s3_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct s3_req *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->srv = cls;
    q->conn = conn;
    q->fd = -1;
    q->raw_uri = strdup(uri);
    fg_buf_init(&q->xml, S3_MAX_XML);
    fg_idgen_uuid4(&q->srv->ids, q->request_id);
    if (q->raw_uri && (q->query = strchr(q->raw_uri, '?')))
        *q->query++ = '\0';
    else
        q->query = (char *)"";
    return q;
}

static enum MHD_Result s3_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct s3_req *q = *con_cls;
    (void)cls;
    (void)conn;
    (void)url;
    (void)version;
    if (!q || !q->raw_uri)
        return MHD_NO;
    if (q->calls++ == 0) {
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

static void s3_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct s3_req *q = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!q)
        return;
    if (q->fd >= 0) {
        close(q->fd);
        unlink(q->tmp);     /* an upload that did not finish leaves nothing */
    }
    fg_buf_free(&q->xml);
    free(q->raw_uri);
    free(q);
    *con_cls = NULL;
}

static void s3_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    fg_log(FG_LOG_DEBUG, "s3", "libmicrohttpd: %s", msg);
}

int fg_s3_start(const struct fg_config *conf, struct fg_router *router, struct fg_s3_server **out, struct fg_err *err)
{
    struct fg_s3_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sin;
    const union MHD_DaemonInfo *info;
    char tmpdir[4200];
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->conf = conf;
    s->router = router;
    s->quiesced_fd = MHD_INVALID_SOCKET;
    fg_idgen_init(&s->ids);
    if ((rc = fg_s3_notifier_new(conf, router, &s->notifier, err)) < 0) {
        fg_s3_free(s);
        return rc;
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s/.fngate-tmp", conf->s3.root);
    if ((rc = fg_mkdirs(tmpdir)) < 0) {
        fg_s3_free(s);
        return fg_err_set(err, rc, "s3: cannot create %s: %s", tmpdir, strerror(-rc));
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)conf->s3.listen.port);
    if (inet_pton(AF_INET, !strcmp(conf->s3.listen.host, "localhost") ? "127.0.0.1" : conf->s3.listen.host,
                  &sin.sin_addr) != 1) {
        fg_s3_free(s);
        return fg_err_set(err, -EINVAL, "s3: listen: '%s' is not an IPv4 address", conf->s3.listen.host);
    }
    s->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
                              NULL, s3_access, s, MHD_OPTION_EXTERNAL_LOGGER, s3_mhd_log, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
                              MHD_OPTION_URI_LOG_CALLBACK, s3_on_uri, s,
                              MHD_OPTION_NOTIFY_COMPLETED, s3_on_completed, s,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
    if (!s->mhd) {
        fg_s3_free(s);
        return fg_err_set(err, -EADDRINUSE, "s3: cannot listen on %s:%d", conf->s3.listen.host, conf->s3.listen.port);
    }
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : conf->s3.listen.port;
    *out = s;
    return 0;
}

int fg_s3_port(const struct fg_s3_server *s)
{
    return s->port;
}

void fg_s3_quiesce(struct fg_s3_server *s)
{
    if (s)
        fg_mhd_quiesce(s->mhd, &s->quiesced_fd);
}

void fg_s3_free(struct fg_s3_server *s)
{
    if (!s)
        return;
    fg_mhd_stop(s->mhd, s->quiesced_fd);
    fg_s3_notifier_free(s->notifier);
    free(s);
}

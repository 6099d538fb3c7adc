/* SPDX-License-Identifier: MIT */
/* s3_store.c - the S3 endpoint's objects on disk (see s3_store.h). */
#include "s3_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../core/fs.h"

#define S3_ETAG_XATTR "user.fngate.etag"

/* ------------------------------------------------------------------ private prototypes */

static void s3_store_tmp_name(struct fg_s3_store *s, const char *tag, char *out, size_t size);
static bool s3_store_upload_dir(const struct fg_s3_store *s, const char *upload_id, char *out, size_t size);
static void s3_store_rmdir_all(const char *dir);

/* ------------------------------------------------------------------ names and buckets */

int fg_s3_store_init(struct fg_s3_store *s, const char *root, struct fg_err *err)
{
    char dir[4200];
    int rc;
    s->root = root;
    atomic_init(&s->tmp_seq, 0);
    fg_idgen_init(&s->ids);
    snprintf(dir, sizeof(dir), "%s/.fngate-tmp", root);
    if ((rc = fg_mkdirs(dir)) < 0)
        return fg_err_set(err, rc, "s3: cannot create %s: %s", dir, strerror(-rc));
    return 0;
}

bool fg_s3_store_bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-')
        return false;
    for (; *b; b++)
        if (!((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') || *b == '-' || *b == '.'))
            return false;
    return true;
}

bool fg_s3_store_key_ok(const char *k, size_t n)
{
    if (!n || n > FG_S3_MAX_KEY || memchr(k, '\0', n) || k[0] == '/')
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

void fg_s3_store_path(const struct fg_s3_store *s, const char *bucket, const char *key, char *out, size_t size)
{
    if (key)
        snprintf(out, size, "%s/%s/%s", s->root, bucket, key);
    else
        snprintf(out, size, "%s/%s", s->root, bucket);
}

bool fg_s3_store_bucket_exists(const struct fg_s3_store *s, const char *bucket)
{
    char dir[4096];
    struct stat st;
    fg_s3_store_path(s, bucket, NULL, dir, sizeof(dir));
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int fg_s3_store_bucket_create(const struct fg_s3_store *s, const char *bucket, struct fg_s3_error *e)
{
    char dir[4096];
    fg_s3_store_path(s, bucket, NULL, dir, sizeof(dir));
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return fg_s3_error_set(e, 500, "InternalError", "cannot create the bucket: %s", strerror(errno));
    return 0;
}

int fg_s3_store_bucket_delete(const struct fg_s3_store *s, const char *bucket, struct fg_s3_error *e)
{
    char dir[4096];
    fg_s3_store_path(s, bucket, NULL, dir, sizeof(dir));
    if (rmdir(dir) < 0)
        return fg_s3_error_set(e, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty");
    return 0;
}

/* ------------------------------------------------------------------ listings */

void fg_s3_store_buckets(const struct fg_s3_store *s, struct fg_s3_listing *out)
{
    DIR *d = opendir(s->root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char dir[4096];
        struct stat st;
        if (!fg_s3_store_bucket_ok(e->d_name))
            continue;
        fg_s3_store_path(s, e->d_name, NULL, dir, sizeof(dir));
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            fg_s3_listing_add(out, e->d_name, 0, (long long)st.st_ctime * 1000);
    }
    if (d)
        closedir(d);
}

/* fg_walk_fn: one object of the bucket. */
static void s3_store_listed(void *arg, const char *rel, const struct stat *st)
{
    fg_s3_listing_add(arg, rel, st->st_size, (long long)st->st_mtime * 1000);
}

static int s3_store_cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct fg_s3_entry *)a)->name, ((const struct fg_s3_entry *)b)->name);
}

void fg_s3_store_objects(const struct fg_s3_store *s, const char *bucket, struct fg_s3_listing *out)
{
    char base[4096];
    fg_s3_store_path(s, bucket, NULL, base, sizeof(base));
    fg_walk_files(base, "", true, s3_store_listed, out);
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), s3_store_cmp_entry);
}

/* ------------------------------------------------------------------ objects */

void fg_s3_store_etag(const struct fg_s3_store *s, const char *bucket, const char *key, char out[48])
{
    char path[8192], v[48], hex[33] = "";
    ssize_t n;
    int fd;

    fg_s3_store_path(s, bucket, key, path, sizeof(path));
    if ((n = getxattr(path, S3_ETAG_XATTR, v, sizeof(v) - 1)) > 0) {
        v[n] = '\0';
        snprintf(out, 48, "\"%s\"", v);
        return;
    }
    /* Put there by other means: hash it now. */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fg_md5_fd(fd, hex) < 0)
        hex[0] = '\0';
    if (fd >= 0)
        close(fd);
    snprintf(out, 48, "\"%s\"", hex);
}

int fg_s3_store_open(const struct fg_s3_store *s, const char *bucket, const char *key, struct stat *st,
                     struct fg_s3_error *e)
{
    char path[8192];
    int fd;
    fg_s3_store_path(s, bucket, key, path, sizeof(path));
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        if (fd >= 0)
            close(fd);
        return fg_s3_error_set(e, 404, "NoSuchKey", "The specified key does not exist.");
    }
    return fd;
}

int fg_s3_store_delete(const struct fg_s3_store *s, const char *bucket, const char *key)
{
    char path[8192];
    fg_s3_store_path(s, bucket, key, path, sizeof(path));
    return unlink(path) < 0 ? -errno : 0;
}

long long fg_s3_store_size(const struct fg_s3_store *s, const char *bucket, const char *key)
{
    char path[8192];
    struct stat st;
    fg_s3_store_path(s, bucket, key, path, sizeof(path));
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ------------------------------------------------------------------ uploads */

int fg_s3_upload_open(struct fg_s3_store *s, struct fg_s3_upload *u, const char *tag, struct fg_s3_error *e)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/.fngate-tmp", s->root);
    fg_mkdirs(dir);                   /* again: someone may have removed it */
    s3_store_tmp_name(s, tag, u->tmp, sizeof(u->tmp));
    u->received = 0;
    if ((u->fd = open(u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
        u->tmp[0] = '\0';
        return fg_s3_error_set(e, 500, "InternalError", "cannot write: %s", strerror(errno));
    }
    fg_md5_init(&u->md5);
    return 0;
}

int fg_s3_upload_write(struct fg_s3_upload *u, const void *data, size_t n, struct fg_s3_error *e)
{
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(u->fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            fg_s3_upload_abort(u);
            return fg_s3_error_set(e, 507, "InsufficientStorage", "the object could not be written: %s",
                                   strerror(saved));
        }
        p += w;
        left -= (size_t)w;
    }
    fg_md5_update(&u->md5, data, n);
    u->received += (long long)n;
    return 0;
}

/* fsync and close u's file, whatever happens. 0 or -errno. */
static int s3_store_upload_close(struct fg_s3_upload *u)
{
    int rc = fsync(u->fd) < 0 ? -errno : 0;
    if (close(u->fd) < 0 && rc == 0)
        rc = -errno;
    u->fd = -1;
    return rc;
}

int fg_s3_upload_finish(struct fg_s3_upload *u, char hex[33], struct fg_s3_error *e)
{
    unsigned char d[16];
    int rc;
    if ((rc = s3_store_upload_close(u)) < 0) {
        fg_s3_upload_abort(u);
        return fg_s3_error_set(e, 507, "InsufficientStorage", "the object could not be written: %s", strerror(-rc));
    }
    fg_md5_final(&u->md5, d);
    fg_md5_hex(d, hex);
    return 0;
}

void fg_s3_upload_abort(struct fg_s3_upload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    if (u->tmp[0])
        unlink(u->tmp);
    u->tmp[0] = '\0';
}

int fg_s3_store_put(const struct fg_s3_store *s, struct fg_s3_upload *u, const char *bucket, const char *key,
                    const char *etag_hex, struct fg_s3_error *e)
{
    char path[8192], *slash;
    int rc = 0;

    fg_s3_store_path(s, bucket, key, path, sizeof(path));
    if ((slash = strrchr(path, '/'))) {
        *slash = '\0';
        if ((rc = fg_mkdirs(path)) < 0)
            fg_s3_error_set(e, 409, "InvalidRequest", "the key's directory cannot be created: %s", strerror(-rc));
        *slash = '/';
    }
    if (rc == 0) {
        setxattr(u->tmp, S3_ETAG_XATTR, etag_hex, strlen(etag_hex), 0);   /* optional: else hashed on read */
        if (rename(u->tmp, path) < 0)
            rc = fg_s3_error_set(e, 409, "InvalidRequest", "the object cannot be stored: %s", strerror(errno));
        else
            u->tmp[0] = '\0';         /* it is the object now */
    }
    fg_s3_upload_abort(u);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ multipart uploads */

int fg_s3_store_mpu_create(struct fg_s3_store *s, char id[FG_ID_LEN + 1], struct fg_s3_error *e)
{
    char dir[4200];
    int rc;
    fg_idgen_uuid4(&s->ids, id);
    s3_store_upload_dir(s, id, dir, sizeof(dir));
    if ((rc = fg_mkdirs(dir)) < 0)
        return fg_s3_error_set(e, 500, "InternalError", "cannot start the upload: %s", strerror(-rc));
    return 0;
}

int fg_s3_store_mpu_part(const struct fg_s3_store *s, const char *upload_id, int part, struct fg_s3_upload *u,
                         struct fg_s3_error *e)
{
    char dir[4200], path[4300];
    int rc = 0;
    /* An id that is not one of ours names no directory: no such upload either. */
    if (!s3_store_upload_dir(s, upload_id, dir, sizeof(dir)) ||
        (snprintf(path, sizeof(path), "%s/%05d", dir, part), rename(u->tmp, path) < 0))
        rc = fg_s3_error_set(e, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
    else
        u->tmp[0] = '\0';             /* it is the part now */
    fg_s3_upload_abort(u);
    return rc;
}

/* Appends part file path to u, hashing it; the part's MD5 into d. 0, or -1 with e filled. */
static int s3_store_copy_part(struct fg_s3_upload *u, const char *path, int part, unsigned char d[16],
                           struct fg_s3_error *e)
{
    struct fg_md5 c;
    char buf[65536];
    ssize_t r;
    int in;

    if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fg_s3_error_set(e, 400, "InvalidPart", "Part %d was not uploaded.", part);
    fg_md5_init(&c);
    while ((r = read(in, buf, sizeof(buf))) > 0) {
        fg_md5_update(&c, buf, (size_t)r);
        if (write(u->fd, buf, (size_t)r) != r) {
            close(in);
            return fg_s3_error_set(e, 507, "InsufficientStorage", "the disk is full");
        }
    }
    close(in);
    fg_md5_final(&c, d);
    return 0;
}

int fg_s3_store_mpu_complete(struct fg_s3_store *s, const char *upload_id, const int *parts, size_t n_parts,
                             const char *bucket, const char *key, const char *tag, char etag_hex[48],
                             struct fg_s3_error *e)
{
    struct fg_s3_upload u = { .fd = -1 };
    struct fg_md5 all;
    unsigned char d[16];
    char dir[4200], path[4300], hex[33];
    int last = 0;

    if (!s3_store_upload_dir(s, upload_id, dir, sizeof(dir)) || access(dir, F_OK) < 0)
        return fg_s3_error_set(e, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
    if (fg_s3_upload_open(s, &u, tag, e) < 0)
        return -1;
    fg_md5_init(&all);
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i] <= last) {
            fg_s3_upload_abort(&u);
            return fg_s3_error_set(e, 400, "InvalidPartOrder", "The list of parts was not in ascending order.");
        }
        last = parts[i];
        snprintf(path, sizeof(path), "%s/%05d", dir, parts[i]);
        if (s3_store_copy_part(&u, path, parts[i], d, e) < 0) {
            fg_s3_upload_abort(&u);
            return -1;
        }
        fg_md5_update(&all, d, 16);
    }
    if (s3_store_upload_close(&u) < 0 || !n_parts) {
        fg_s3_upload_abort(&u);
        return fg_s3_error_set(e, 400, n_parts ? "InternalError" : "MalformedXML", n_parts ? "cannot write" : "no parts named");
    }
    fg_md5_final(&all, d);
    fg_md5_hex(d, hex);
    snprintf(etag_hex, 48, "%s-%zu", hex, n_parts);
    if (fg_s3_store_put(s, &u, bucket, key, etag_hex, e) < 0)
        return -1;
    s3_store_rmdir_all(dir);
    return 0;
}

int fg_s3_store_mpu_abort(const struct fg_s3_store *s, const char *upload_id, struct fg_s3_error *e)
{
    char dir[4200];
    /* As S3: an upload aborted or completed already is unknown. */
    if (!s3_store_upload_dir(s, upload_id, dir, sizeof(dir)) || access(dir, F_OK) < 0)
        return fg_s3_error_set(e, 404, "NoSuchUpload", "The specified multipart upload does not exist.");
    s3_store_rmdir_all(dir);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static void s3_store_tmp_name(struct fg_s3_store *s, const char *tag, char *out, size_t size)
{
    snprintf(out, size, "%s/.fngate-tmp/%llx-%s", s->root, (unsigned long long)atomic_fetch_add(&s->tmp_seq, 1), tag);
}

/* Upload ids are ours (lower-case hex and '-'): anything else names no directory. */
static bool s3_store_upload_dir(const struct fg_s3_store *s, const char *upload_id, char *out, size_t size)
{
    if (!*upload_id)
        return false;
    for (const char *c = upload_id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-'))
            return false;
    snprintf(out, size, "%s/.fngate-uploads/%s", s->root, upload_id);
    return true;
}

static void s3_store_rmdir_all(const char *dir)
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

/* SPDX-License-Identifier: MIT */
/* s3_store.h - the S3 endpoint's objects on disk: buckets are the directories under
 * `s3.root`, objects are files, MinIO's model.
 *
 * Apart from the protocol (s3_api.c) because where and how bytes are kept changes for its
 * own reasons (temp files, xattrs, fsync), and the protocol should not care. Uploads stream
 * to a temp file under root/.fngate-tmp, are fsynced and renamed into place, so readers and
 * folder watchers never see a partial object and a failed upload (a full disk, a dropped
 * connection) leaves nothing. Multipart uploads keep their parts under
 * root/.fngate-uploads/ID until completed or aborted. An object's ETag (the MD5 of its
 * content; multipart: the MD5 of the parts' MD5s and "-N") is kept in the
 * user.fngate.etag extended attribute; a file put there by other means is hashed when asked.
 * Failures fill a struct fg_s3_error with S3's code. Blocking I/O: callers are the
 * endpoint's libmicrohttpd threads, never the loop. Any thread.
 * Tests: tests/integration/test_s3.py. */
#ifndef FG_S3_STORE_H
#define FG_S3_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../core/id.h"
#include "../core/md5.h"
#include "s3_xml.h"

#define FG_S3_MAX_KEY 1024            /* bytes, as S3 */

/* Caller-embedded. */
struct fg_s3_store {
    const char *root;                 /* borrowed from the configuration */
    atomic_ullong tmp_seq;            /* makes temp names unique within the process */
    struct fg_idgen ids;              /* upload ids */
};

/* Borrows root for the store's life; creates root/.fngate-tmp. 0, or -errno with err filled. */
int fg_s3_store_init(struct fg_s3_store *s, const char *root, struct fg_err *err) FG_MUST_CHECK;

/* S3's bucket naming rules (3 to 63 of a-z 0-9 . -, not starting with . or -). */
bool fg_s3_store_bucket_ok(const char *bucket);

/* Whether key[0..n) can be a file in its bucket: nothing that could climb out of it or hide
 * (no NUL, no "." or ".." or empty segment, no leading '/', no ".fngate" at the top),
 * at most FG_S3_MAX_KEY bytes. */
bool fg_s3_store_key_ok(const char *key, size_t n);

/* root/bucket/key (or root/bucket when key is NULL) into out. */
void fg_s3_store_path(const struct fg_s3_store *s, const char *bucket, const char *key, char *out, size_t size);

bool fg_s3_store_bucket_exists(const struct fg_s3_store *s, const char *bucket);
/* Creating one that exists succeeds; deleting one that holds objects fails (BucketNotEmpty).
 * 0 or -1 with e filled. */
int fg_s3_store_bucket_create(const struct fg_s3_store *s, const char *bucket, struct fg_s3_error *e);
int fg_s3_store_bucket_delete(const struct fg_s3_store *s, const char *bucket, struct fg_s3_error *e);

/* Every bucket (in directory order, with its ctime) or every object of bucket (sorted by
 * key, with size and mtime) appended to out (fg_s3_listing_free). An entry that cannot be
 * stored for want of memory is left out. */
void fg_s3_store_buckets(const struct fg_s3_store *s, struct fg_s3_listing *out);
void fg_s3_store_objects(const struct fg_s3_store *s, const char *bucket, struct fg_s3_listing *out);

/* The object's ETag, quoted, into out ("\"\"" when it cannot be read). */
void fg_s3_store_etag(const struct fg_s3_store *s, const char *bucket, const char *key, char out[48]);

/* Opens a regular file object for reading (symbolic links are not objects). An owned fd
 * and its stat, or -1 (NoSuchKey in e). */
int fg_s3_store_open(const struct fg_s3_store *s, const char *bucket, const char *key, struct stat *st,
                     struct fg_s3_error *e);

/* Deletes an object. 0, or -ENOENT when there was none (S3 answers 204 all the same). */
int fg_s3_store_delete(const struct fg_s3_store *s, const char *bucket, const char *key);

/* The object's size in bytes, 0 when it is gone. */
long long fg_s3_store_size(const struct fg_s3_store *s, const char *bucket, const char *key);

/* One body on its way to a temp file, caller-embedded (zeroed, fd -1 while none). */
struct fg_s3_upload {
    int fd;                           /* -1 when closed */
    char tmp[4096];                   /* the temp file; "" when none */
    struct fg_md5 md5;
    long long received;               /* bytes */
};

/* Opens a new temp file (its name carries tag, the request id). 0 or -1 (InternalError). */
int fg_s3_upload_open(struct fg_s3_store *s, struct fg_s3_upload *u, const char *tag, struct fg_s3_error *e);
/* Appends n bytes. 0, or -1 (InsufficientStorage; the temp file is gone). */
int fg_s3_upload_write(struct fg_s3_upload *u, const void *data, size_t n, struct fg_s3_error *e);
/* The body is in: fsync and close; hex (33 bytes) receives its MD5. 0, or -1
 * (InsufficientStorage; the temp file is gone). The temp file waits for a put or abort. */
int fg_s3_upload_finish(struct fg_s3_upload *u, char hex[33], struct fg_s3_error *e);
/* Drops the temp file, if any, open or not. Idempotent. */
void fg_s3_upload_abort(struct fg_s3_upload *u);

/* Renames the finished upload into place as bucket/key with etag_hex (unquoted). 0, or -1
 * (InvalidRequest: the key's directories cannot be made, or a directory is in the way);
 * the temp file is gone either way. */
int fg_s3_store_put(const struct fg_s3_store *s, struct fg_s3_upload *u, const char *bucket, const char *key,
                    const char *etag_hex, struct fg_s3_error *e);

/* Multipart uploads. Ids are the store's own: one that is not names no upload (NoSuchUpload).
 * create: a new upload's id into id. part: keeps the finished upload u as part number part
 * (1..10000) of upload_id (the temp file is gone either way). complete: the parts named
 * (numbers in ascending order, each uploaded) concatenated into bucket/key, the upload gone
 * after; etag_hex (48 bytes) receives the multipart ETag. tag names the temp file. abort: the
 * upload and its parts gone. 0, or -1 with e filled. */
int fg_s3_store_mpu_create(struct fg_s3_store *s, char id[FG_ID_LEN + 1], struct fg_s3_error *e);
int fg_s3_store_mpu_part(const struct fg_s3_store *s, const char *upload_id, int part, struct fg_s3_upload *u,
                         struct fg_s3_error *e);
int fg_s3_store_mpu_complete(struct fg_s3_store *s, const char *upload_id, const int *parts, size_t n_parts,
                             const char *bucket, const char *key, const char *tag, char etag_hex[48],
                             struct fg_s3_error *e);
int fg_s3_store_mpu_abort(const struct fg_s3_store *s, const char *upload_id, struct fg_s3_error *e);

#endif

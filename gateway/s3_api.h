/* SPDX-License-Identifier: MIT */
/* s3_api.h - the S3-compatible endpoint: real S3 clients (the AWS CLI, SDKs, presigned
 * URLs) store objects in folders, and objects written fire S3 events.
 *
 * MinIO's model: buckets are the directories under `s3.root`, objects are files. One
 * libmicrohttpd listener of its own; path-style (/bucket/key) and virtual-host-style
 * (bucket.host) requests; SigV4 (gateway/sigv4.c) when credentials are configured.
 * Uploads stream to a temporary file under root/.fngate-tmp and are renamed into place, so
 * readers and folder watchers never see a partial object, and a full disk leaves nothing
 * behind. An object's `- s3:` events are committed before the client gets its answer.
 * Lifecycle: start → quiesce → free. Tests: tests/integration/test_s3.py. */
#ifndef FG_S3_API_H
#define FG_S3_API_H

#include "../config/config.h"
#include "../router/router.h"

struct fg_s3_server;

/* Listens on conf->s3.listen_*. Borrows conf and router. 0 and an owned server, or a
 * negative code with err filled. */
int fg_s3_start(const struct fg_config *conf, struct fg_router *router, struct fg_s3_server **out,
                struct fg_err *err) FG_MUST_CHECK;
int fg_s3_port(const struct fg_s3_server *s);
void fg_s3_quiesce(struct fg_s3_server *s);
void fg_s3_free(struct fg_s3_server *s);

#endif

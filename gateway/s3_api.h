/* SPDX-License-Identifier: MIT */
/* s3_api.h - the S3-compatible endpoint: real S3 clients (the AWS CLI, SDKs, presigned
 * URLs) store objects in folders, and objects written fire S3 events.
 *
 * MinIO's model: buckets are the directories under `s3.root`, objects are files
 * (s3_store.h). One libmicrohttpd listener of its own, IPv4 or IPv6; path-style
 * (/bucket/key) and virtual-host-style (bucket.host) requests (s3_route.h); SigV4
 * (sigv4.h) when credentials are configured. An object's `- s3:` events (triggers/s3.h)
 * are committed before the client gets its answer. Lifecycle: start → quiesce → free.
 * Tests: tests/integration/test_s3.py. */
#ifndef FG_S3_API_H
#define FG_S3_API_H

#include "../config/config.h"
#include "../core/prom.h"
#include "../router/router.h"

struct fg_s3_server;

/* Listens on conf->s3.listen (port 0: a free one, see fg_s3_port). Borrows conf and router
 * for the server's life. 0 and an owned server, or a negative code with err filled. */
int fg_s3_start(const struct fg_config *conf, struct fg_router *router, struct fg_s3_server **out,
                struct fg_err *err) FG_MUST_CHECK;
/* The port bound. */
int fg_s3_port(const struct fg_s3_server *s);
/* Stops accepting connections; requests under way go on (NULL allowed). */
void fg_s3_quiesce(struct fg_s3_server *s);
/* Loop thread: per `- s3:` event, the object changes it matched, stored, filtered out and
 * failed, as samples of one scrape of GET /metrics (triggers/s3.h). 0 or p's error. */
int fg_s3_metrics(struct fg_s3_server *s, struct fg_prom *p);
/* Stops the threads and frees the server (NULL allowed): after the router's store is
 * closed, so every write's events have answered. */
void fg_s3_free(struct fg_s3_server *s);

#endif

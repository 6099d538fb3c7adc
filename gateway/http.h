/* SPDX-License-Identifier: MIT */
/* http.h - the HTTP front door: routes and the Invoke API on one libmicrohttpd listener
 * (the admin API has its own, gateway/admin_http.h: /_fngate/ is 404 here).
 *
 * MHD threads parse requests, build the event, and hand the invocation to the router with
 * fg_router_submit(); the connection is suspended until the router's done callback (loop
 * thread) resumes it, and the response is rendered back on an MHD thread. Lifecycle:
 * start → quiesce (new requests get 503) → free (after the router stopped, so nothing is
 * suspended). Tests: tests/integration. */
#ifndef FG_HTTP_H
#define FG_HTTP_H

#include "../config/config.h"
#include "../router/router.h"
#include "../triggers/trigger.h"

struct fg_http_server;

/* Binds conf->listen.host:listen.port (0 = any free port). Borrows conf and router for the
 * server's life. 0 and an owned server in *out, or -errno with err filled. */
int fg_http_start(const struct fg_config *conf, struct fg_router *router, struct fg_http_server **out,
                  struct fg_err *err) FG_MUST_CHECK;

/* The port actually bound. */
int fg_http_port(const struct fg_http_server *s);

/* Loop thread (or before start returns): new requests are served by conf's routes and
 * settings (borrowed until fg_http_free); those under way keep the configuration they
 * started with. The listener, TLS, thread pool and Invoke API keys stay as started. 0, or
 * a negative code with err filled (a route table that cannot be built) and nothing changed. */
int fg_http_reload(struct fg_http_server *s, const struct fg_config *conf, struct fg_err *err) FG_MUST_CHECK;

/* A request that begins from now on is answered 503; requests under way continue. */
void fg_http_quiesce(struct fg_http_server *s);

/* Stops the threads and frees the server (NULL allowed). */
void fg_http_free(struct fg_http_server *s);

#endif

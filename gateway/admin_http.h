/* SPDX-License-Identifier: MIT */
/* admin_http.h - the admin API's own listener (admin.listen: loopback TCP or a unix
 * socket), never the front door: the front door faces clients nobody vouches for, the
 * admin API shows and deletes dead letters.
 *
 * Every request must carry `Authorization: Bearer TOKEN` (gateway/admin_token.h), a Host
 * that is an IP address or localhost (a DNS-rebinding page's Host is a name), no Origin (a
 * browser's), and for POST a JSON body (Content-Type: application/json, at most
 * FG_ADMIN_MAX_BODY bytes): a cross-site form or text/plain POST cannot reach it, and
 * nothing is answered with CORS headers. The paths are gateway/admin.h's. MHD threads parse
 * and answer; what the router or the store must answer runs on their threads, as the front
 * door's invocations do. Lifecycle: start → quiesce → free (after the router stopped).
 * Tests: tests/integration/test_admin.py. */
#ifndef FG_ADMIN_HTTP_H
#define FG_ADMIN_HTTP_H

#include "../config/config.h"
#include "../router/router.h"
#include "../triggers/trigger.h"

struct fg_admin_server;

/* Listens on conf->admin (listen or unix_path) and requires token (copied). Borrows conf,
 * router and the array of triggers (their views; NULL entries allowed) for the server's
 * life. 0 and an owned server in *out, or -errno with err filled. */
int fg_admin_start(const struct fg_config *conf, struct fg_router *router, struct fg_trigger *const *triggers,
                   size_t n_triggers, const char *token, struct fg_admin_server **out, struct fg_err *err) FG_MUST_CHECK;

/* POST /_fngate/reload runs reload(arg, out, err) on the loop thread: 0 with the JSON
 * answer appended to out (200), or a negative code with err's message (400; 503 when
 * stopping). Unset, the path answers 503. Before requests come (after start). */
typedef int fg_admin_reload_fn(void *arg, struct fg_buf *out, struct fg_err *err);
void fg_admin_set_reload(struct fg_admin_server *s, fg_admin_reload_fn *reload, void *arg);

/* Where it listens, for the log and for clients: "http://127.0.0.1:9180" or
 * "unix:/path" (owned by the server). */
const char *fg_admin_url(const struct fg_admin_server *s);

/* A request that begins from now on is answered 503; requests under way go on. NULL allowed. */
void fg_admin_quiesce(struct fg_admin_server *s);

/* Stops the threads and frees the server (NULL allowed). */
void fg_admin_free(struct fg_admin_server *s);

#endif

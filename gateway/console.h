/* SPDX-License-Identifier: MIT */
/* console.h - the web console on the admin listener: its static files, its login and the
 * rules a request authenticated by the console's cookie must follow.
 *
 *   GET  /                      302 to /console/
 *   GET  /console/[NAME]        a file of the console directory (no token: they hold no data)
 *   POST /_fngate/login         {"token"}: 200 and the fngate_session cookie, or 401
 *   POST /_fngate/logout        forgets the session, clears the cookie
 *
 * The console directory is found as router/runtimes.c finds the bootstraps: FNGATE_CONSOLE_DIR,
 * else PREFIX/share/fngate/console beside an installed binary, else the source tree's
 * console/ (compiled in). A request with a live session cookie (and no Authorization) must
 * carry X-Fngate-Console: 1 (a cross-site page cannot send it without a CORS preflight, which
 * the admin API never answers) and, when it has an Origin, the listener's own origin
 * (scheme://Host). Tests: tests/unit/test_console_session.c, tests/integration/test_console.py. */
#ifndef FG_CONSOLE_H
#define FG_CONSOLE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/err.h"

struct fg_console;

/* The console for a listener speaking scheme ("http" or "https"; static string). A missing
 * console directory is logged, not an error: its pages then answer 404. NULL: out of memory.
 * The caller owns it: fg_console_free. */
struct fg_console *fg_console_new(const char *scheme);
void fg_console_free(struct fg_console *c);

/* What a request is to the console, from its method and raw URI. */
enum fg_console_kind {
    FG_CONSOLE_API = 0,        /* anything else: the admin API's rules */
    FG_CONSOLE_FILE,           /* GET/HEAD / or /console/...: answered by fg_console_serve */
    FG_CONSOLE_LOGIN,          /* POST /_fngate/login: no token needed, fg_console_login */
    FG_CONSOLE_LOGOUT,         /* POST /_fngate/logout: authenticated, fg_console_logout */
};
enum fg_console_kind fg_console_kind(const char *method, const char *raw_uri);

/* Who sent an API request (login included): 0 when it carries no live session cookie, or an
 * Authorization header (the bearer rules apply); 1 when the cookie names a live session and
 * the console's rules hold; else the HTTP status of the refusal (403) with *why set (static). */
int fg_console_auth(struct fg_console *c, struct MHD_Connection *conn, enum fg_console_kind kind, const char **why);

/* Queues the answer to a FG_CONSOLE_FILE request. */
enum MHD_Result fg_console_serve(struct fg_console *c, struct MHD_Connection *conn, const char *raw_uri);

/* Queues the answer to POST /_fngate/login with body (len bytes), checked against token. */
enum MHD_Result fg_console_login(struct fg_console *c, struct MHD_Connection *conn, const char *token,
                                 const char *body, size_t len);

/* Queues the answer to POST /_fngate/logout: the cookie's session forgotten, the cookie cleared. */
enum MHD_Result fg_console_logout(struct fg_console *c, struct MHD_Connection *conn);

#endif

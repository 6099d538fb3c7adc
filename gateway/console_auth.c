/* SPDX-License-Identifier: MIT */
/* console_auth.c - the console's login, logout and cookie rules (see console.h).
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Secure on a TLS listener, and names a session of console_session.c. A request it
 * authenticates must also carry X-Fngate-Console: 1, which a cross-site form cannot send
 * and a cross-site script can send only after a CORS preflight the admin API never answers;
 * and an Origin, when there is one, must be the listener's own. */
#include "console.h"
#include "console_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_token.h"
#include "../core/json_write.h"
#include "../core/loop.h"

#define CONSOLE_COOKIE "fngate_session"

struct fg_console *fg_console_new(const char *scheme)
{
    struct fg_console *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (!(c->sessions = fg_console_sessions_new(FG_CONSOLE_SESSIONS_MAX, FG_CONSOLE_SESSION_LIFETIME_MS))) {
        free(c);
        return NULL;
    }
    c->scheme = scheme;
    fg_console_locate(c);
    return c;
}

void fg_console_free(struct fg_console *c)
{
    if (!c)
        return;
    fg_console_sessions_free(c->sessions);
    free(c);
}

/* raw_uri without its query string is exactly path. */
static bool auth_path_is(const char *raw_uri, const char *path)
{
    size_t n = strlen(path);
    return !strncmp(raw_uri, path, n) && (raw_uri[n] == '\0' || raw_uri[n] == '?');
}

enum fg_console_kind fg_console_kind(const char *method, const char *raw_uri)
{
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        if (auth_path_is(raw_uri, "/") || auth_path_is(raw_uri, "/console") || !strncmp(raw_uri, "/console/", 9))
            return FG_CONSOLE_FILE;
    } else if (!strcmp(method, "POST")) {
        if (auth_path_is(raw_uri, FG_ADMIN_PREFIX "login"))
            return FG_CONSOLE_LOGIN;
        if (auth_path_is(raw_uri, FG_ADMIN_PREFIX "logout"))
            return FG_CONSOLE_LOGOUT;
    }
    return FG_CONSOLE_API;
}

static long long auth_now_ms(void)
{
    return fg_mono_us() / 1000;
}

/* True when the request's Origin, if any, is scheme://Host of this listener. */
static bool auth_origin_ok(const struct fg_console *c, struct MHD_Connection *conn)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    size_t s = strlen(c->scheme);

    if (!origin)
        return true;
    return host && !strncmp(origin, c->scheme, s) && !strncmp(origin + s, "://", 3) &&
           !strcasecmp(origin + s + 3, host);
}

int fg_console_auth(struct fg_console *c, struct MHD_Connection *conn, enum fg_console_kind kind, const char **why)
{
    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, CONSOLE_COOKIE);
    const char *hdr;

    if (kind == FG_CONSOLE_LOGIN) {
        *why = "the login must come from the console's own origin";
        return auth_origin_ok(c, conn) ? 1 : 403;
    }
    if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) || !cookie ||
        !fg_console_session_valid(c->sessions, cookie, auth_now_ms()))
        return 0;
    hdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Fngate-Console");
    if (!hdr || strcmp(hdr, "1")) {
        *why = "a request with the console's cookie must carry X-Fngate-Console: 1";
        return 403;
    }
    if (!auth_origin_ok(c, conn)) {
        *why = "the admin API does not answer browsers' cross-origin requests (Origin)";
        return 403;
    }
    return 1;
}

/* Queues {"message"} or another JSON body (NULL: message) with status and, when given, a
 * Set-Cookie header. */
static enum MHD_Result auth_send(struct MHD_Connection *conn, unsigned status, const char *message,
                                 const char *json, const char *set_cookie)
{
    struct fg_buf b;
    struct MHD_Response *resp;
    enum MHD_Result rc;
    size_t len;
    char *data;

    fg_buf_init(&b, 4096);
    if ((json ? fg_buf_append_str(&b, json) : fg_json_write_message(&b, message)) < 0) {
        fg_buf_free(&b);
        return MHD_NO;
    }
    data = fg_buf_take(&b, &len);
    if (!(resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE))) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (set_cookie)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"fngate admin\"");
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result fg_console_login(struct fg_console *c, struct MHD_Connection *conn, const char *token,
                                 const char *body, size_t len)
{
    json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *t = j ? json_object_get(j, "token") : NULL;
    char id[FG_CONSOLE_SESSION_ID_LEN + 1], cookie[256];
    enum MHD_Result rc;
    bool ok;

    if (!json_is_string(t)) {
        json_decref(j);
        return auth_send(conn, 400, "the login body is {\"token\": \"<admin token>\"}", NULL, NULL);
    }
    ok = fg_admin_token_equal(token, json_string_value(t), json_string_length(t));
    json_decref(j);
    if (!ok)
        return auth_send(conn, 401, "wrong admin token", NULL, NULL);
    if (fg_console_session_open(c->sessions, auth_now_ms(), id) < 0)
        return auth_send(conn, 503, "cannot make a session id: no randomness", NULL, NULL);
    snprintf(cookie, sizeof(cookie), CONSOLE_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld%s", id,
             FG_CONSOLE_SESSION_LIFETIME_MS / 1000, strcmp(c->scheme, "https") ? "" : "; Secure");
    rc = auth_send(conn, 200, NULL, "{\"loggedIn\":true}", cookie);
    explicit_bzero(id, sizeof(id));
    explicit_bzero(cookie, sizeof(cookie));
    return rc;
}

enum MHD_Result fg_console_logout(struct fg_console *c, struct MHD_Connection *conn)
{
    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, CONSOLE_COOKIE);
    char clear[160];

    if (cookie)
        fg_console_session_close(c->sessions, cookie);
    snprintf(clear, sizeof(clear), CONSOLE_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
             strcmp(c->scheme, "https") ? "" : "; Secure");
    return auth_send(conn, 200, NULL, "{\"loggedOut\":true}", clear);
}

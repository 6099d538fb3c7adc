/* SPDX-License-Identifier: MIT */
/* admin_http.c - the admin listener (see admin_http.h): who may ask, then gateway/admin.c
 * says what is asked and the router or the store answers.
 *
 * Refusals (stopping, Host, Origin, token, content type, size) are queued on the access
 * handler's first call, which makes MHD close the connection after them: a client that
 * was refused once starts again on a fresh connection. */
#include "admin_http.h"
#include "admin.h"
#include "admin_test.h"
#include "admin_cost.h"
#include "admin_functions.h"
#include "admin_token.h"
#include "console.h"
#include "http.h"
#include "mhd_conn.h"
#include "mhd_listener.h"
#include "s3_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/json_write.h"
#include "../core/prom.h"
#include "../core/url.h"
#include "../router/series_view.h"

/* MHD's per-connection pool: the request line and headers of a small API. */
#define ADMIN_POOL_BYTES (16 * 1024)
#define ADMIN_MAX_CONNECTIONS 256

struct fg_admin_server {
    struct fg_mhd_listener listener;
    struct fg_mhd_conns conns;
    struct fg_router *router;
    struct fg_trigger *const *triggers;   /* borrowed; NULL entries allowed */
    size_t n_triggers;
    fg_admin_reload_fn *reload;           /* POST /_fngate/reload, or NULL */
    void *reload_arg;
    struct fg_http_server *http;          /* borrowed, for GET /metrics; NULL: none */
    struct fg_s3_server *s3;              /* borrowed, for GET /metrics; NULL: none */
    char token[FG_ADMIN_TOKEN_MAX + 1];
    char url[300];
    struct fg_console *console;           /* owned: the console's files, login and sessions */
};

struct admin_req {
    struct fg_admin_server *srv;
    struct MHD_Connection *conn;
    char *raw_uri;                    /* owned */
    unsigned calls;                   /* access-handler calls so far */
    bool too_big;
    bool waiting;                     /* suspended, asked the router or the store */
    enum fg_console_kind console;     /* a console file, login or logout, or the API */
    struct fg_buf body;
    struct fg_admin_req admin;
    struct fg_router_stats stats;     /* FG_ADMIN_QUEUE and, reused, the other loop-thread answers */
    char reload_error[512];           /* FG_ADMIN_RELOAD refused: why */
};

/* ------------------------------------------------------------------ answers */

/* Queues status with body's bytes (taken) as JSON. */
static enum MHD_Result admin_send(struct admin_req *q, int status, struct fg_buf *body, const char *extra_header,
                                  const char *extra_value)
{
    size_t len;
    char *data = fg_buf_take(body, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data ? data : (void *)"",
                                                                data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc;

    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", q->admin.op == FG_ADMIN_METRICS
                                                      ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (extra_header)
        MHD_add_response_header(resp, extra_header, extra_value);
    rc = MHD_queue_response(q->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* {"message": text} with a status. */
static enum MHD_Result admin_send_message(struct admin_req *q, int status, const char *message,
                                          const char *extra_header, const char *extra_value)
{
    struct fg_buf b;
    int rc;

    fg_buf_init(&b, 1024);
    rc = fg_json_write_message(&b, message);
    if (rc < 0) {
        fg_buf_free(&b);
        return MHD_NO;
    }
    return admin_send(q, status, &b, extra_header, extra_value);
}

/* GET /_fngate/cost once the log store answered (admin_cost.h). */
static enum MHD_Result admin_send_cost(struct admin_req *q)
{
    struct fg_buf body;
    struct fg_err err = { 0, "" };
    int status;

    fg_buf_init(&body, 64u << 20);
    if ((status = fg_admin_cost_render(&q->admin, fg_router_conf(q->srv->router), &body, &err)) != 200) {
        fg_buf_free(&body);
        return admin_send_message(q, status, err.msg, NULL, NULL);
    }
    return admin_send(q, 200, &body, NULL, NULL);
}

static enum MHD_Result admin_render(struct admin_req *q)
{
    bool loop_call = q->admin.op != FG_ADMIN_DLQ;

    if (q->admin.op == FG_ADMIN_LOGS)
        return admin_send(q, q->admin.logq.status, &q->admin.logq.json, NULL, NULL);
    if (q->admin.op == FG_ADMIN_TEST)
        return admin_send(q, q->admin.test.status, &q->admin.test.answer, NULL, NULL);
    if (q->admin.op == FG_ADMIN_COST)
        return admin_send_cost(q);
    struct fg_buf *body = loop_call ? &q->stats.json : &q->admin.query.json;
    int status = loop_call ? (q->stats.rc == 0 ? 200 : 500) : q->admin.query.status;

    if (q->admin.op == FG_ADMIN_HEALTH || q->admin.op == FG_ADMIN_READY)
        return admin_send(q, q->stats.rc == 0 ? 200 : 503, body, NULL, NULL);
    if (q->admin.op == FG_ADMIN_SERIES && q->stats.rc == -ENOENT)
        return admin_send(q, 404, body, NULL, NULL);   /* no such function: its {"message"} */
    if (q->admin.op == FG_ADMIN_RELOAD && q->stats.rc < 0) {
        fg_buf_free(body);
        return admin_send_message(q, q->stats.rc == -FG_ESHUTDOWN ? 503 : 400,
                                  q->reload_error[0] ? q->reload_error : "fngate is stopping", NULL, NULL);
    }

    if (q->admin.op == FG_ADMIN_FUNCTIONS && q->stats.rc == -ENOENT) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no function named %s", q->admin.function);
        return admin_send_message(q, 404, msg, NULL, NULL);
    }
    if (status == 404)
        return admin_send_message(q, 404, "no such dead letter", NULL, NULL);
    if (status != 200)
        return admin_send_message(q, status, "admin query failed (see the gateway log)", NULL, NULL);
    return admin_send(q, 200, body, NULL, NULL);
}

/* ------------------------------------------------------------------ asking the router */

static void admin_on_query(struct fg_store_query *query, void *arg)
{
    struct admin_req *q = arg;
    (void)query;
    MHD_resume_connection(q->conn);
}

/* A store thread: the log store answered. */
static void admin_on_logs(struct fg_log_query *lq, void *arg)
{
    struct admin_req *q = arg;
    (void)lq;
    MHD_resume_connection(q->conn);
}

/* The loop or the store thread: a Test button request has its answer. */
static void admin_on_test(void *arg)
{
    struct admin_req *q = arg;
    MHD_resume_connection(q->conn);
}

static void admin_on_stats(struct fg_router_stats *c, void *arg)
{
    struct admin_req *q = arg;
    (void)c;
    MHD_resume_connection(q->conn);
}

/* Loop thread: a trigger's state (q->admin.trigger), into q->stats. */
static void admin_on_trigger(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    struct fg_trigger *t = NULL;
    (void)loop;
    for (size_t i = 0; i < q->srv->n_triggers && !t; i++)
        if (q->srv->triggers[i] && !strcmp(q->srv->triggers[i]->ops->name, q->admin.trigger))
            t = q->srv->triggers[i];
    fg_buf_init(&q->stats.json, 256u << 20);
    q->stats.rc = t ? t->ops->describe(t, &q->stats.json) : fg_buf_append_str(&q->stats.json, q->admin.empty);
    MHD_resume_connection(q->conn);
}

/* Loop thread: GET /_fngate/functions[/NAME] (admin_functions.h), into q->stats. */
static void admin_on_functions(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    const struct fg_admin_fn_view v = { NULL, q->srv->triggers, q->srv->n_triggers,
                                        q->srv->http ? fg_http_port(q->srv->http) : 0 };
    (void)loop;
    fg_buf_init(&q->stats.json, 64u << 20);
    q->stats.rc = fg_admin_fn_answer(q->srv->router, &v, q->admin.function, &q->stats.json);
    MHD_resume_connection(q->conn);
}

/* Loop thread: one scrape of GET /metrics: the router's functions, each running trigger's
 * sources, the S3 endpoint's events and the front door, into q->stats. */
static void admin_on_metrics(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    struct fg_prom p;
    int rc;
    (void)loop;
    fg_prom_init(&p, 64u << 20);
    rc = fg_router_metrics(q->srv->router, &p);
    for (size_t i = 0; i < q->srv->n_triggers && rc == 0; i++) {
        struct fg_trigger *t = q->srv->triggers[i];
        if (t && t->ops->metrics)
            rc = t->ops->metrics(t, &p);
    }
    if (rc == 0 && q->srv->s3)
        rc = fg_s3_metrics(q->srv->s3, &p);
    if (rc == 0 && q->srv->http)
        rc = fg_http_metrics(q->srv->http, &p);
    fg_buf_init(&q->stats.json, 64u << 20);
    q->stats.rc = rc < 0 ? rc : fg_prom_render(&p, &q->stats.json);
    fg_prom_close(&p);
    MHD_resume_connection(q->conn);
}

/* Loop thread: a probe's answer. That it runs at all shows the loop is alive; ready also
 * asks the router (started, store open, not stopping). The listeners were bound before the
 * router started, and every source is connected or retrying by itself. */
static void admin_on_probe(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    const char *why = NULL;
    char body[256];
    (void)loop;
    fg_buf_init(&q->stats.json, 1024);
    if (q->admin.op == FG_ADMIN_READY && !fg_router_ready(q->srv->router, &why)) {
        snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"reason\":\"%s\"}", why);
        q->stats.rc = fg_buf_append_str(&q->stats.json, body) < 0 ? -ENOMEM : -EAGAIN;
    } else
        q->stats.rc = fg_buf_append_str(&q->stats.json, "{\"status\":\"ok\"}");
    MHD_resume_connection(q->conn);
}

/* Loop thread: the console's time series (router/series_view.h), into q->stats. */
static void admin_on_series(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    (void)loop;
    fg_buf_init(&q->stats.json, 4u << 20);
    q->stats.rc = q->admin.op == FG_ADMIN_SERIES
                      ? fg_series_view_function(q->srv->router, q->admin.function, q->admin.period, fg_now_ms(),
                                                &q->stats.json)
                      : fg_series_view_summary(q->srv->router, q->admin.period, fg_now_ms(), &q->stats.json);
    MHD_resume_connection(q->conn);
}

/* Loop thread: the gateway's reload, its answer into q->stats. */
static void admin_on_reload(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct admin_req *q = (struct admin_req *)((char *)msg - offsetof(struct admin_req, stats.msg));
    struct fg_err err = { 0, "" };
    (void)loop;
    fg_buf_init(&q->stats.json, 1u << 20);
    q->stats.rc = q->srv->reload ? q->srv->reload(q->srv->reload_arg, &q->stats.json, &err) : -FG_ESHUTDOWN;
    if (q->stats.rc < 0 && q->stats.rc != -FG_ESHUTDOWN)
        snprintf(q->reload_error, sizeof(q->reload_error), "%s", err.msg);
    MHD_resume_connection(q->conn);
}

static enum MHD_Result admin_dispatch(struct admin_req *q, const char *method)
{
    struct fg_err err;
    int status, rc;

    if (strncmp(q->raw_uri, FG_ADMIN_PREFIX, sizeof(FG_ADMIN_PREFIX) - 1) && !fg_admin_is_metrics(q->raw_uri))
        return admin_send_message(q, 404, "Not Found", NULL, NULL);
    if (q->too_big)
        return admin_send_message(q, 413, "admin request bodies are at most 65536 bytes", NULL, NULL);
    if (q->console == FG_CONSOLE_LOGIN)
        return fg_console_login(q->srv->console, q->conn, q->srv->token, q->body.data, q->body.len);
    if (q->console == FG_CONSOLE_LOGOUT)
        return fg_console_logout(q->srv->console, q->conn);
    if ((status = fg_admin_parse(method, q->raw_uri, q->body.data, q->body.len, &q->admin, &err)) != 0)
        return admin_send_message(q, status, err.msg, status == 405 ? "Allow" : NULL,
                                  !strstr(err.msg, "POST") ? "GET" : strstr(err.msg, "GET") ? "GET, POST" : "POST");
    q->waiting = true;
    MHD_suspend_connection(q->conn);
    fg_buf_init(&q->stats.json, 0);
    q->stats.rc = -FG_ESHUTDOWN;
    if (q->admin.op == FG_ADMIN_METRICS) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_metrics);
    } else if (q->admin.op == FG_ADMIN_HEALTH || q->admin.op == FG_ADMIN_READY) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_probe);
    } else if (q->admin.op == FG_ADMIN_TRIGGER) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_trigger);
    } else if (q->admin.op == FG_ADMIN_FUNCTIONS) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_functions);
    } else if (q->admin.op == FG_ADMIN_LOGS || q->admin.op == FG_ADMIN_COST) {
        struct fg_log_query *lq = &q->admin.logq;
        lq->done = admin_on_logs;
        lq->done_arg = q;
        if ((rc = fg_router_logs(q->srv->router, lq)) < 0) {
            fg_logread_refuse(lq, rc == -ENOTSUP ? 404 : 503, "%s", rc == -ENOTSUP
                              ? "nothing is kept: logs.store and logs.usage are false" : fg_strerror(rc));
        }
    } else if (q->admin.op == FG_ADMIN_TEST) {
        rc = fg_admin_test_start(q->srv->router, &q->admin.test, admin_on_test, q);
    } else if (q->admin.op == FG_ADMIN_RELOAD) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_reload);
    } else if (q->admin.op == FG_ADMIN_SERIES || q->admin.op == FG_ADMIN_SERIES_SUMMARY) {
        rc = fg_router_post(q->srv->router, &q->stats.msg, admin_on_series);
    } else if (q->admin.op == FG_ADMIN_QUEUE) {
        q->stats.done = admin_on_stats;
        q->stats.done_arg = q;
        rc = fg_router_stats(q->srv->router, &q->stats);
    } else {
        q->admin.query.done = admin_on_query;
        q->admin.query.done_arg = q;
        if ((rc = fg_router_dlq(q->srv->router, &q->admin.query)) < 0)
            q->admin.query.status = 503;
    }
    if (rc < 0)
        MHD_resume_connection(q->conn);
    return MHD_YES;
}

/* ------------------------------------------------------------------ who may ask */

static bool admin_bearer_ok(const struct admin_req *q)
{
    const char *v = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!v || strncasecmp(v, "Bearer ", 7))
        return false;
    v += 7;
    while (*v == ' ')
        v++;
    return fg_admin_token_equal(q->srv->token, v, strlen(v));
}

/* The first call's checks: 0, or the refusal already queued in *out. */
static int admin_refuse(struct admin_req *q, const char *method, enum MHD_Result *out)
{
    const char *ct, *cl, *why = NULL;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int who = 0;                      /* fg_console_auth: 1 a console session (or login), 0 none */

    if (fg_mhd_listener_stopping(&q->srv->listener))
        *out = admin_send_message(q, 503, "fngate is stopping", NULL, NULL);
    else if (!fg_url_host_is_literal(MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        *out = admin_send_message(q, 403, "the admin API answers only a Host that is an IP address or localhost",
                                  NULL, NULL);
    else if ((q->console = fg_console_kind(method, q->raw_uri)) == FG_CONSOLE_FILE)
        *out = fg_console_serve(q->srv->console, q->conn, q->raw_uri);
    else if ((who = fg_console_auth(q->srv->console, q->conn, q->console, &why)) > 1)
        *out = admin_send_message(q, who, why, NULL, NULL);
    else if (!who && MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin"))
        *out = admin_send_message(q, 403, "the admin API does not answer browsers' cross-origin requests (Origin)",
                                  NULL, NULL);
    else if (!who && !fg_admin_is_probe(q->raw_uri) && !admin_bearer_ok(q))
        *out = admin_send_message(q, 401, "Unauthorized: send Authorization: Bearer <admin token>",
                                  "WWW-Authenticate", "Bearer realm=\"fngate admin\"");
    else if (!get && (!(ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)) ||
                      strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' ')))
        *out = admin_send_message(q, 415, "admin requests carry JSON: Content-Type: application/json", NULL, NULL);
    else if ((cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) &&
             strtoull(cl, NULL, 10) > FG_ADMIN_MAX_BODY)
        *out = admin_send_message(q, 413, "admin request bodies are at most 65536 bytes", NULL, NULL);
    else
        return 0;
    return -1;
}

/* ------------------------------------------------------------------ MHD callbacks */

static void *admin_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct admin_req *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->srv = cls;
    q->conn = conn;
    q->raw_uri = strdup(uri);
    fg_buf_init(&q->body, FG_ADMIN_MAX_BODY);
    fg_buf_init(&q->stats.json, 0);
    fg_mhd_track(conn, q);
    if (fg_mhd_refuse_long_query(conn, uri, ADMIN_POOL_BYTES)) {
        free(q->raw_uri);               /* answered: the access handler will not run it */
        q->raw_uri = NULL;
    }
    return q;
}

static enum MHD_Result admin_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct admin_req *q = *con_cls;
    enum MHD_Result refused;

    (void)cls, (void)url, (void)version;
    if (!q || !q->raw_uri)
        return MHD_NO;
    if (q->calls++ == 0) {
        fg_mhd_head_done(conn);
        return admin_refuse(q, method, &refused) < 0 ? refused : MHD_YES;
    }
    if (*upload_size) {
        if (!q->too_big && fg_buf_append(&q->body, upload, *upload_size) < 0) {
            q->too_big = true;
            fg_buf_free(&q->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return q->waiting ? admin_render(q) : admin_dispatch(q, method);
}

/* Frees a request context (the completed callback, or its connection closing first). */
static void admin_req_free(void *arg)
{
    struct admin_req *q = arg;
    fg_buf_free(&q->admin.query.json);
    fg_buf_free(&q->admin.logq.json);
    fg_buf_free(&q->stats.json);
    fg_admin_req_close(&q->admin);
    fg_buf_free(&q->body);
    free(q->raw_uri);
    free(q);
}

static void admin_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
    struct admin_req *q = *con_cls;
    (void)cls, (void)toe;
    if (!q)
        return;
    fg_mhd_untrack(conn);
    admin_req_free(q);
    *con_cls = NULL;
}

/* ------------------------------------------------------------------ API */

int fg_admin_start(const struct fg_config *conf, struct fg_router *router, struct fg_trigger *const *triggers,
                   size_t n_triggers, const char *token, struct fg_admin_server **out, struct fg_err *err)
{
    struct fg_admin_server *s = calloc(1, sizeof(*s));
    const struct MHD_OptionItem options[] = {
        { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)admin_on_uri, s },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)admin_on_completed, s },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)fg_mhd_on_connection, s ? &s->conns : NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL },
        { MHD_OPTION_CONNECTION_LIMIT, ADMIN_MAX_CONNECTIONS, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, ADMIN_POOL_BYTES, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    const unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    char where[300];
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->router = router;
    s->triggers = triggers;
    s->n_triggers = n_triggers;
    snprintf(s->token, sizeof(s->token), "%s", token);
    if (!(s->console = fg_console_new(conf->admin.unix_path ? "http" : fg_conf_tls_scheme(&conf->admin.tls)))) {
        free(s);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    if ((rc = fg_mhd_conns_start(&s->conns, "admin", admin_req_free, conf->header_timeout_ms,
                                ADMIN_MAX_CONNECTIONS, err)) < 0) {
        fg_console_free(s->console);
        free(s);
        return rc;
    }
    if (conf->admin.unix_path)
        rc = fg_mhd_listener_start_unix(&s->listener, "admin.listen", "admin", conf->admin.unix_path, flags,
                                        admin_access, s, &s->conns, options, err);
    else
        rc = fg_mhd_listener_start(&s->listener, "admin.listen", "admin", conf->admin.listen.host,
                                   conf->admin.listen.port, &conf->admin.tls, flags, admin_access, s, &s->conns, options,
                                   err);
    if (rc < 0) {
        fg_admin_free(s);
        return rc;
    }
    if (conf->admin.unix_path) {
        snprintf(s->url, sizeof(s->url), "unix:%s", conf->admin.unix_path);
    } else {
        fg_url_authority(where, sizeof(where), conf->admin.listen.host, s->listener.port);
        snprintf(s->url, sizeof(s->url), "%s://%s", fg_conf_tls_scheme(&conf->admin.tls), where);
    }
    *out = s;
    return 0;
}

void fg_admin_set_reload(struct fg_admin_server *s, fg_admin_reload_fn *reload, void *arg)
{
    s->reload = reload;
    s->reload_arg = arg;
}

void fg_admin_set_listeners(struct fg_admin_server *s, struct fg_http_server *http, struct fg_s3_server *s3)
{
    s->http = http;
    s->s3 = s3;
}

const char *fg_admin_url(const struct fg_admin_server *s)
{
    return s->url;
}

void fg_admin_quiesce(struct fg_admin_server *s)
{
    if (s)
        fg_mhd_listener_quiesce(&s->listener);
}

void fg_admin_free(struct fg_admin_server *s)
{
    if (!s)
        return;
    fg_mhd_listener_stop(&s->listener);
    fg_mhd_conns_stop(&s->conns);
    explicit_bzero(s->token, sizeof(s->token));
    fg_console_free(s->console);
    free(s);
}

/* SPDX-License-Identifier: MIT */
/* http.c - libmicrohttpd glue: bytes in, events to the router, responses out (see http.h).
 *
 * DESIGN: MHD runs its own epoll thread pool. A request's context is created by the URI
 * callback (which sees the raw URI, so rawPath and rawQueryString are exact) and freed by
 * the completion callback. The response is never queued on the first access-handler call:
 * with MHD 0.9.75 that forces "Connection: close" and kills keep-alive. Invocations are
 * submitted after the connection is suspended, so the router's resume can never overtake
 * the suspend. Request bodies are capped while they stream in (6 MB, Lambda's sync limit);
 * the excess is read and dropped so the 413 can be answered on an intact connection. */
#include "http.h"
#include "http_count.h"
#include "mhd_conn.h"
#include "mhd_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../core/base64.h"
#include "../core/http_header.h"
#include "../core/id.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/token_bucket.h"
#include "../router/destination.h"
#include "../triggers/apigw.h"
#include "../triggers/apigw_v1.h"
#include "../triggers/http_route.h"
#include "cors.h"
#include "authorizer.h"
#include "function_url.h"
#include "function_url_api.h"
#include "http_stream.h"
#include "invoke_api.h"
#include "invoke_auth.h"

#define HTTP_MAX_HEADERS 128
#define HTTP_INVOKE_TOO_LARGE "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
/* libmicrohttpd's per-connection pool holds the request line and headers and is zeroed for
 * every request, so its size is paid per request: 16 KB holds API Gateway's 10 KB header
 * limit with room to spare. Larger headers get 431. */
#define HTTP_POOL_BYTES (16 * 1024)

/* What one configuration says the front door serves: a reload makes another (fg_http_reload)
 * and requests keep the one they started with. Each lives until the server is freed, as
 * the configuration it borrows does (gateway/reload.c). */
struct http_view {
    const struct fg_config *conf;
    struct fg_route_table routes;
    struct fg_cors_table cors;            /* each route's CORS policy, same index */
    struct fg_cors_table url_cors;        /* each function URL's, index of conf->functions */
    struct fg_token_bucket *route_rates;  /* one per route, same index; under rate_lock */
    struct fg_http_count counts;          /* answers by route and status (GET /metrics) */
    struct fg_authorizers auth;           /* gateway.authorizers at run time */
    struct http_view *older;              /* the views before it */
};

struct fg_http_server {
    struct fg_mhd_listener listener;
    struct fg_mhd_conns conns;          /* per connection: request contexts, head deadlines */
    struct http_view *_Atomic view;     /* the one new requests take */
    struct fg_router *router;
    struct fg_invoke_auth invoke_auth;  /* who may call the Invoke API (restart to change) */
    struct fg_auth_service auth;        /* JWKS thread, Lambda authorizers (gateway/authorizer.h) */
    struct fg_idgen ids;              /* API Gateway request ids */
    pthread_mutex_t rate_lock;        /* guards every view's route_rates (MHD threads share them) */
};

enum http_kind {
    HTTP_KIND_ROUTE = 0,
    HTTP_KIND_INVOKE,
    HTTP_KIND_ASYNC,                  /* Invoke API, InvocationType Event */
    HTTP_KIND_URL,                    /* a function URL (function_url.h) */
    HTTP_KIND_STREAM,                 /* InvokeWithResponseStream (http_stream.h) */
};

struct http_req {
    struct fg_http_server *srv;
    struct http_view *view;           /* the configuration it is served by */
    struct MHD_Connection *conn;
    char *raw_uri;                    /* owned */
    unsigned calls;                   /* access-handler calls so far */
    bool too_big;
    bool waiting;                     /* suspended, invocation submitted */
    bool auth_waiting;                /* suspended, its authorizer deciding */
    enum http_kind kind;
    size_t count_row;                 /* its row in view->counts: the route, unmatched or invoke */
    const struct fg_route *route;     /* the matched route, or NULL */
    const struct fg_cors *cors;       /* the matched route's CORS policy, or NULL */
    const char *origin;               /* the request's Origin (MHD's), or NULL */
    struct fg_buf body;
    struct fg_buf payload;            /* the event for routes */
    struct fg_buf client_context;     /* decoded X-Amz-Client-Context */
    struct fg_invocation inv;
    struct fg_http_stream *stream;    /* a streamed answer (STREAM, or a RESPONSE_STREAM URL): owns
                                       * the invocation */
    int accept_rc;                    /* HTTP_KIND_ASYNC: the store's answer */
    char fn_arn[256];
    char apigw_id[FG_ID_LEN + 1];
    struct fg_http_header headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    struct fg_route_match match;      /* a route's, kept while its authorizer decides */
    struct fg_http_request req;
    char ip[INET6_ADDRSTRLEN];
    struct fg_auth_call auth;
};

/* ------------------------------------------------------------------ responses */

/* Takes body's bytes into a new MHD response (owned by the caller; NULL on failure, the
 * bytes freed either way). */
static struct MHD_Response *http_response_from(struct fg_buf *body)
{
    size_t len;
    char *data = fg_buf_take(body, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data ? data : (void *)"",
                                                                data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        free(data);
    return resp;
}

/* Adds a header set (cors.h) to resp. */
static void http_add_headers(struct MHD_Response *resp, const struct fg_cors_headers *h)
{
    for (size_t i = 0; i < h->n; i++)
        MHD_add_response_header(resp, h->h[i].name, h->h[i].value);
}

/* Queues resp with status (counted) and releases our reference to it. Every answer of a
 * matched route passes here, so its CORS headers are added here. */
static enum MHD_Result http_queue(struct http_req *q, int status, struct MHD_Response *resp)
{
    if (q->cors) {
        struct fg_cors_headers h;
        fg_cors_actual(q->cors, q->origin, &h);
        http_add_headers(resp, &h);
    }
    fg_http_count_add(&q->view->counts, q->count_row, (unsigned)status);
    enum MHD_Result rc = MHD_queue_response(q->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result http_send(struct http_req *q, int status, struct fg_buf *body,
                                 const char *content_type)
{
    struct MHD_Response *resp = http_response_from(body);
    if (!resp)
        return MHD_NO;
    if (content_type)
        MHD_add_response_header(resp, "Content-Type", content_type);
    return http_queue(q, status, resp);
}

/* {"message": text} with a status: API Gateway's own error shape. */
static enum MHD_Result http_send_message(struct http_req *q, int status, const char *message,
                                         const char *extra_header, const char *extra_value)
{
    struct fg_buf b;
    struct MHD_Response *resp;
    int rc;

    fg_buf_init(&b, 1024);
    rc = fg_json_write_message(&b, message);
    if (rc < 0 || !(resp = http_response_from(&b))) {
        fg_buf_free(&b);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (extra_header)
        MHD_add_response_header(resp, extra_header, extra_value);
    return http_queue(q, status, resp);
}

static enum MHD_Result http_send_invoke_answer(struct http_req *q, struct fg_invoke_answer *a)
{
    struct MHD_Response *resp = http_response_from(&a->body);

    if (!resp) {
        fg_invoke_api_answer_close(a);
        return MHD_NO;
    }
    if (a->status != 204)
        MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "x-amzn-RequestId", q->inv.request_id[0] ? q->inv.request_id : q->apigw_id);
    if (a->error_type)
        MHD_add_response_header(resp, "x-amzn-ErrorType", a->error_type);
    if (a->status == 200)
        MHD_add_response_header(resp, "X-Amz-Executed-Version", "$LATEST");
    if (a->function_error)
        MHD_add_response_header(resp, "X-Amz-Function-Error", a->function_error);
    if (a->retry_after[0])
        MHD_add_response_header(resp, "Retry-After", a->retry_after);
    if (a->log_result[0])
        MHD_add_response_header(resp, "X-Amz-Log-Result", a->log_result);
    fg_invoke_api_answer_close(a);
    return http_queue(q, a->status, resp);
}

static enum MHD_Result http_invoke_error(struct http_req *q, int status, const char *type,
                                         const char *message)
{
    struct fg_invoke_answer a;
    fg_invoke_api_error(&a, status, type, message, NULL);
    return http_send_invoke_answer(q, &a);
}

static enum MHD_Result http_render_async(struct http_req *q)
{
    struct fg_invoke_answer a;
    char msg[256];

    if (q->accept_rc == 0) {
        fg_invoke_api_error(&a, 202, NULL, "", NULL);
        fg_buf_reset(&a.body);
        return http_send_invoke_answer(q, &a);
    }
    snprintf(msg, sizeof(msg), "the event could not be stored, so it was not accepted: %s", fg_strerror(q->accept_rc));
    fg_router_log_refusal(q->srv->router, q->inv.function, 503, fg_strerror(q->accept_rc));
    return http_invoke_error(q, 503, "ServiceException", msg);
}

/* Sends resp (closed here) with its status and headers, and apigw-requestid unless NULL. */
static enum MHD_Result http_send_response(struct http_req *q, struct fg_http_response *resp, const char *apigw_id)
{
    struct MHD_Response *r = http_response_from(&resp->body);
    int status = resp->status;

    if (r) {
        for (size_t i = 0; i < resp->n_headers; i++)
            if (!q->cors || !fg_cors_header_is_cors(resp->headers[i].name))   /* the policy's win */
                MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
        if (apigw_id)
            MHD_add_response_header(r, "apigw-requestid", apigw_id);
    }
    fg_http_response_close(resp);
    return r ? http_queue(q, status, r) : MHD_NO;
}

/* The router finished q->inv: render it (MHD thread, after resume). */
/* A route's function failed: what API Gateway keeps in the logs. */
static void http_log_error(const struct http_req *q, const struct fg_invocation *inv)
{
    char type[128], msg[512];
    fg_destination_error_fields(inv->result.data, inv->result.len, type, sizeof(type), msg, sizeof(msg));
    fg_log(FG_LOG_INFO, "http", "%s: function %s request %s failed: %s: %s",
           q->kind == HTTP_KIND_URL ? "function URL" : "route", inv->function, inv->request_id,
           type[0] ? type : "Unknown", msg);
}

/* A function URL's answer: the function's own Access-Control-* headers are dropped when
 * its URL has CORS (Lambda's win, as API Gateway's do). */
static enum MHD_Result http_collect_cors(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    struct fg_http_response *drop = cls;
    (void)kind;
    if (fg_cors_header_is_cors(name) && fg_http_response_add_header(drop, name, value) < 0)
        return MHD_NO;
    return MHD_YES;
}

static void http_drop_cors_headers(struct MHD_Response *resp)
{
    struct fg_http_response drop = { 0 };
    MHD_get_response_headers(resp, http_collect_cors, &drop);
    for (size_t i = 0; i < drop.n_headers; i++)
        MHD_del_response_header(resp, drop.headers[i].name, drop.headers[i].value);
    fg_http_response_close(&drop);
}

/* A streamed answer, its head known: the stream (InvokeWithResponseStream's event stream,
 * or a URL's body), or the finished invocation answered as Invoke or the URL answers. */
static enum MHD_Result http_render_stream(struct http_req *q)
{
    struct fg_invocation *inv = fg_http_stream_invocation(q->stream);
    struct MHD_Response *resp;
    unsigned status;

    memcpy(q->inv.request_id, inv->request_id, sizeof(q->inv.request_id));
    if (fg_http_stream_head(q->stream) == FG_HTTP_STREAM_FINISHED) {
        struct fg_invoke_answer a;
        struct fg_http_response r;
        if (q->kind != HTTP_KIND_URL) {
            fg_invoke_api_result(&a, inv, q->fn_arn);
            return http_send_invoke_answer(q, &a);
        }
        if (inv->status == FG_INV_FUNCTION_ERROR || inv->status == FG_INV_TIMEOUT)
            http_log_error(q, inv);
        fg_function_url_result(inv, q->view->conf->debug_errors, &r);
        return http_send_response(q, &r, NULL);
    }
    if (!(resp = fg_http_stream_response(q->stream, &status)))
        return MHD_NO;
    if (q->cors)
        http_drop_cors_headers(resp);
    MHD_add_response_header(resp, "x-amzn-RequestId", inv->request_id);
    if (q->kind != HTTP_KIND_URL)
        MHD_add_response_header(resp, "X-Amz-Executed-Version", "$LATEST");
    return http_queue(q, (int)status, resp);
}

static enum MHD_Result http_render(struct http_req *q)
{
    struct fg_invocation *inv = &q->inv;

    if (q->stream)
        return http_render_stream(q);
    if (q->kind == HTTP_KIND_ASYNC)
        return http_render_async(q);
    if (q->kind == HTTP_KIND_INVOKE) {
        struct fg_invoke_answer a;
        fg_invoke_api_result(&a, inv, q->fn_arn);
        return http_send_invoke_answer(q, &a);
    }
    if (q->kind == HTTP_KIND_URL) {
        struct fg_http_response resp;
        if (inv->status == FG_INV_FUNCTION_ERROR || inv->status == FG_INV_TIMEOUT)
            http_log_error(q, inv);
        fg_function_url_result(inv, q->view->conf->debug_errors, &resp);
        return http_send_response(q, &resp, NULL);
    }
    switch (inv->status) {
    case FG_INV_OK: {
        struct fg_http_response resp;
        struct fg_err err;
        int (*parse)(const char *, size_t, struct fg_http_response *, struct fg_err *) =
            q->route->conf->payload_format == FG_PAYLOAD_FORMAT_1_0 ? fg_apigw_v1_response : fg_apigw_response;
        if (parse(inv->result.data ? inv->result.data : "", inv->result.len, &resp, &err) < 0) {
            fg_log(FG_LOG_INFO, "http", "function %s request %s: bad response: %s", inv->function,
                   inv->request_id, err.msg);
            return http_send_message(q, 500, "Internal Server Error", NULL, NULL);
        }
        return http_send_response(q, &resp, q->apigw_id);
    }
    case FG_INV_FUNCTION_ERROR:
    case FG_INV_TIMEOUT:
        /* API Gateway keeps the function's error (its type, message and stack trace, with
         * file paths) in the logs and answers the client a fixed body. */
        http_log_error(q, inv);
        if (q->view->conf->debug_errors)
            return http_send(q, inv->status == FG_INV_TIMEOUT ? 504 : 502, &inv->result, "application/json");
        if (inv->status == FG_INV_TIMEOUT)
            return http_send_message(q, 503, "Service Unavailable", NULL, NULL);
        return http_send_message(q, 500, "Internal Server Error", NULL, NULL);
    case FG_INV_THROTTLED: {
        char after[16];
        snprintf(after, sizeof(after), "%d", inv->retry_after_s > 0 ? inv->retry_after_s : 1);
        return http_send_message(q, 429, "Too Many Requests", "Retry-After", after);
    }
    default:
        return http_send_message(q, 500, "Internal Server Error", NULL, NULL);
    }
}

/* ------------------------------------------------------------------ dispatch */

static void http_on_done(struct fg_invocation *inv, void *arg)
{
    struct http_req *q = arg;
    (void)inv;
    MHD_resume_connection(q->conn);
}

static enum MHD_Result http_submit(struct http_req *q)
{
    q->inv.done = http_on_done;
    q->inv.done_arg = q;
    q->waiting = true;
    MHD_suspend_connection(q->conn);
    if (fg_router_submit(q->srv->router, &q->inv) < 0) {
        q->inv.status = FG_INV_SERVICE_ERROR;
        MHD_resume_connection(q->conn);
    }
    return MHD_YES;
}

/* InvokeWithResponseStream, or a RESPONSE_STREAM function URL (q->kind set): the stream
 * takes a copy of the request (http_stream.h). */
static enum MHD_Result http_submit_stream(struct http_req *q)
{
    if (!(q->stream = fg_http_stream_new(q->kind == HTTP_KIND_URL ? FG_HTTP_STREAM_URL : FG_HTTP_STREAM_EVENTS, &q->inv)))
        return q->kind == HTTP_KIND_URL ? http_send_message(q, 500, "Internal Server Error", NULL, NULL)
                                        : http_invoke_error(q, 500, "ServiceException", "out of memory");
    fg_buf_free(&q->payload);           /* the stream has its copy */
    q->inv.payload = NULL;
    q->inv.payload_len = 0;
    q->waiting = true;
    fg_http_stream_submit(q->stream, q->srv->router, q->conn);
    return MHD_YES;
}

static void http_on_accepted(void *arg, int rc)
{
    struct http_req *q = arg;
    q->accept_rc = rc;
    MHD_resume_connection(q->conn);
}

/* Invoke with InvocationType Event: 202 only once the store committed the event. */
static enum MHD_Result http_submit_async(struct http_req *q, const char *payload, size_t len)
{
    struct fg_async_event *ev = fg_async_event_new(q->inv.function, NULL, payload, len);
    int rc;

    if (!ev)
        return http_invoke_error(q, 500, "ServiceException", "out of memory");
    q->kind = HTTP_KIND_ASYNC;
    q->waiting = true;
    MHD_suspend_connection(q->conn);
    if ((rc = fg_router_submit_async(q->srv->router, ev, q->inv.request_id, http_on_accepted, q)) < 0) {
        q->accept_rc = rc == -ENOENT ? -FG_ESHUTDOWN : rc;
        MHD_resume_connection(q->conn);
    }
    return MHD_YES;
}

static enum MHD_Result http_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                           const char *value)
{
    struct http_req *q = cls;
    (void)kind;
    if (q->n_headers < HTTP_MAX_HEADERS)
        q->headers[q->n_headers++] = (struct fg_http_header){ key, value ? value : "" };
    return MHD_YES;
}

static void http_client_ip(struct MHD_Connection *c, char out[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    strcpy(out, "127.0.0.1");
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, out, INET6_ADDRSTRLEN);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, out, INET6_ADDRSTRLEN);
}

/* A CORS preflight a route's or URL's policy answers: 204 from the gateway, the function
 * not run (count_row set by the caller). */
static enum MHD_Result http_preflight(struct http_req *q, const struct fg_cors *c, const char *acrm)
{
    const char *acrh = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    struct fg_cors_headers h;
    struct fg_buf empty;
    struct MHD_Response *resp;

    fg_buf_init(&empty, 0);
    if (!(resp = http_response_from(&empty)))
        return MHD_NO;
    fg_cors_preflight(c, q->origin, acrm, acrh, &h);
    http_add_headers(resp, &h);
    MHD_add_response_header(resp, q->kind == HTTP_KIND_URL ? "x-amzn-RequestId" : "apigw-requestid", q->apigw_id);
    return http_queue(q, 204, resp);
}

static enum MHD_Result http_route_submit(struct http_req *q);

static void http_auth_resume(void *arg)
{
    struct http_req *q = arg;
    MHD_resume_connection(q->conn);
}

/* The route's authorizer decides (gateway/authorizer.h); again after each resume. */
static enum MHD_Result http_authorize(struct http_req *q)
{
    switch (fg_auth_check(&q->view->auth, &q->auth, &q->req, &q->match)) {
    case FG_AUTH_ALLOW:
        q->req.authorizer_v2 = q->auth.v2.data;
        q->req.authorizer_v1 = q->auth.v1.data;
        return http_route_submit(q);
    case FG_AUTH_UNAUTHORIZED:
        return http_send_message(q, 401, "Unauthorized", NULL, NULL);
    case FG_AUTH_FORBIDDEN:
        return http_send_message(q, 403, "Forbidden", NULL, NULL);
    case FG_AUTH_PENDING:
        q->auth_waiting = true;
        MHD_suspend_connection(q->conn);
        if (fg_auth_start(&q->auth, http_auth_resume, q) < 0)
            MHD_resume_connection(q->conn);
        return MHD_YES;
    case FG_AUTH_FAILED:
        break;
    }
    return http_send_message(q, 500, "Internal Server Error", NULL, NULL);
}

/* The request as an event sees it (path: the one the function is given), its headers
 * collected into q and the client's address into ip. */
static struct fg_http_request http_request_of(struct http_req *q, const char *method, const char *version,
                                              const char *path, const char *query, char ip[INET6_ADDRSTRLEN])
{
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, http_collect_header, q);
    http_client_ip(q->conn, ip);
    return (struct fg_http_request){
        .method = method, .raw_path = path, .raw_query = query ? query : "",
        .protocol = version, .source_ip = ip, .headers = q->headers, .n_headers = q->n_headers,
        .body = q->body.data, .body_len = q->body.len, .time_ms = fg_now_ms(),
        .request_id = q->apigw_id, .account_id = q->view->conf->account_id,
    };
}

/* The request as sent, for a signature check (headers collected first). */
static struct fg_invoke_caller http_caller_of(const struct http_req *q, const char *method, const char *query)
{
    return (struct fg_invoke_caller){
        .method = method, .raw_path = q->raw_uri, .raw_query = query, .headers = q->headers,
        .n_headers = q->n_headers, .body = q->body.data, .body_len = q->body.len, .body_dropped = q->too_big,
    };
}

static enum MHD_Result http_route(struct http_req *q, const char *method, const char *version)
{
    const char *acrm = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Access-Control-Request-Method");
    const struct fg_cors *preflight;
    size_t preflight_route;
    char *query = strchr(q->raw_uri, '?');
    struct fg_route_match *m = &q->match;
    enum fg_route_result found;

    if (query)
        *query++ = '\0';
    /* The method, rawPath and rawQueryString go into the event as they are: the method must
     * be a token, the others UTF-8. */
    if (!fg_http_token_ok(method) || !fg_utf8_valid(q->raw_uri, strlen(q->raw_uri)) ||
        (query && !fg_utf8_valid(query, strlen(query))))
        return http_send_message(q, 400, "Bad Request", NULL, NULL);
    q->origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");
    if (fg_cors_is_preflight(method, q->origin, acrm) &&
        (preflight = fg_cors_preflight_policy(&q->view->cors, &q->view->routes, acrm, q->raw_uri, &preflight_route)))
    {
        q->count_row = preflight_route;
        return http_preflight(q, preflight, acrm);
    }
    found = fg_route_find(&q->view->routes, method, q->raw_uri, m);
    if (found == FG_ROUTE_NOT_FOUND)
        return http_send_message(q, 404, "Not Found", NULL, NULL);
    if (found == FG_ROUTE_METHOD_NOT_ALLOWED)
        return http_send_message(q, 405, "Method Not Allowed", NULL, NULL);
    q->count_row = (size_t)(m->route - q->view->routes.routes);
    q->route = m->route;
    q->cors = fg_cors_of(&q->view->cors, q->count_row);
    if (q->too_big)
        return http_send_message(q, 413, "Request Entity Too Large", NULL, NULL);
    if (m->route->rate->per_second > 0) {
        size_t idx = (size_t)(m->route - q->view->routes.routes);
        long long wait_us;
        pthread_mutex_lock(&q->srv->rate_lock);
        wait_us = fg_token_bucket_take(&q->view->route_rates[idx], fg_mono_us());
        pthread_mutex_unlock(&q->srv->rate_lock);
        if (wait_us > 0) {
            char after[16];
            snprintf(after, sizeof(after), "%lld", (wait_us + 999999) / 1000000);
            return http_send_message(q, 429, "Too Many Requests", "Retry-After", after);
        }
    }
    q->req = http_request_of(q, method, version, q->raw_uri, query, q->ip);
    if (m->route->auth)
        return http_authorize(q);
    return http_route_submit(q);
}

/* The route's event to its function (after its authorizer allowed it). */
static enum MHD_Result http_route_submit(struct http_req *q)
{
    int rc;

    fg_buf_init(&q->payload, FG_PAYLOAD_SYNC_MAX_BYTES);
    rc = q->match.route->conf->payload_format == FG_PAYLOAD_FORMAT_1_0 ? fg_apigw_v1_event(&q->req, &q->match, &q->payload)
                                                                        : fg_apigw_event(&q->req, &q->match, &q->payload);
    if (rc < 0)
        return rc == -FG_ETOOBIG ? http_send_message(q, 413, "Request Entity Too Large", NULL, NULL)
                                 : http_send_message(q, 500, "Internal Server Error", NULL, NULL);
    q->kind = HTTP_KIND_ROUTE;
    snprintf(q->inv.function, sizeof(q->inv.function), "%s", q->match.route->function);
    q->inv.payload = q->payload.data;
    q->inv.payload_len = q->payload.len;
    return http_submit(q);
}

/* A request for a function URL (t from fg_function_url_match). */
static enum MHD_Result http_function_url(struct http_req *q, const char *method, const char *version,
                                         const struct fg_function_url_target *t)
{
    const char *acrm = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Access-Control-Request-Method");
    const struct fg_cors *cors;
    char *query = strchr(q->raw_uri, '?'), ip[INET6_ADDRSTRLEN];
    struct fg_http_response resp;
    struct fg_http_request req;
    struct fg_invoke_caller caller;

    if (query)
        *query++ = '\0';
    if (!t->fn) {
        fg_function_url_not_found(&resp);
        return http_send_response(q, &resp, NULL);
    }
    q->kind = HTTP_KIND_URL;
    q->origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");
    cors = fg_cors_of(&q->view->url_cors, (size_t)(t->fn - q->view->conf->functions));
    if (cors && fg_cors_is_preflight(method, q->origin, acrm))
        return http_preflight(q, cors, acrm);
    q->cors = cors;                     /* on every other answer */
    req = http_request_of(q, method, version, t->path, query, ip);
    caller = http_caller_of(q, method, query);
    fg_buf_init(&q->payload, FG_PAYLOAD_SYNC_MAX_BYTES);
    if (fg_function_url_prepare(&q->srv->invoke_auth, q->view->conf, t, &req, &caller, &q->payload, &resp) < 0)
        return http_send_response(q, &resp, NULL);
    snprintf(q->inv.function, sizeof(q->inv.function), "%s", t->fn->name);
    memcpy(q->inv.request_id, q->apigw_id, sizeof(q->inv.request_id));   /* requestContext.requestId */
    q->inv.payload = q->payload.data;
    q->inv.payload_len = q->payload.len;
    return t->fn->url.invoke_mode == FG_URL_RESPONSE_STREAM ? http_submit_stream(q) : http_submit(q);
}

static enum MHD_Result http_invoke(struct http_req *q, const char *method)
{
    const char *type_hdr = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-Amz-Invocation-Type");
    const char *log_hdr = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-Amz-Log-Type");
    const char *cc_hdr = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "X-Amz-Client-Context");
    const struct fg_config *conf = q->view->conf;
    enum fg_invoke_type type;
    struct fg_err err;
    char *query = strchr(q->raw_uri, '?');
    struct fg_invoke_refusal why;
    struct fg_iam_principal who;
    int rc;

    if (query)
        *query++ = '\0';
    q->kind = HTTP_KIND_INVOKE;
    /* Who calls comes first: nothing below may tell a refused caller which functions exist. */
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, http_collect_header, q);
    struct fg_invoke_caller caller = http_caller_of(q, method, query);
    if ((rc = fg_invoke_auth_check_as(&q->srv->invoke_auth, &caller, fg_now_ms() / 1000, &who, &why)) == -EACCES) {
        struct fg_invoke_answer a;
        char ip[INET6_ADDRSTRLEN];
        http_client_ip(q->conn, ip);
        fg_log(FG_LOG_DEBUG, "http", "invoke API: refused %s %s from %s: %s: %s", method, q->raw_uri, ip,
               why.error_type, why.message);
        fg_invoke_api_refusal(&a, why.status, why.error_type, why.message);
        return http_send_invoke_answer(q, &a);
    }
    if (rc == -E2BIG)           /* the head passed; the body was too large to be checked */
        return http_invoke_error(q, 413, "RequestTooLargeException", HTTP_INVOKE_TOO_LARGE);
    {
        struct fg_invoke_answer a;      /* get-function-url-config, list-function-url-configs */
        if (fg_function_url_api(conf, method, q->raw_uri, &who, q->srv->listener.port, &a) == 0)
            return http_send_invoke_answer(q, &a);
    }
    if (strcmp(method, "POST"))
        return http_invoke_error(q, 405, "InvalidRequestContentException", "Invoke takes POST");
    if ((rc = fg_invoke_api_function(q->raw_uri, q->inv.function, sizeof(q->inv.function), &err)) < 0)
        return http_invoke_error(q, rc == -ENOENT ? 404 : 400,
                                 rc == -ENOENT ? "UnknownOperationException" : "ResourceNotFoundException",
                                 rc == -ENOENT ? "Unknown operation" : err.msg);
    fg_conf_function_arn(conf, q->inv.function, q->fn_arn, sizeof(q->fn_arn));
    /* A function's role decides, before anything says whether the function exists. */
    if (fg_invoke_auth_authorize(&who, conf->account_id, "lambda:InvokeFunction", q->fn_arn, &why) < 0)
        return http_invoke_error(q, why.status, why.error_type, why.message);
    if (fg_invoke_api_type(type_hdr, &type) < 0 || (type == FG_INVOKE_EVENT && fg_invoke_api_streaming(q->raw_uri)))
        return http_invoke_error(q, 400, "InvalidParameterValueException",
                                 fg_invoke_api_streaming(q->raw_uri)
                                     ? "X-Amz-Invocation-Type must be RequestResponse or DryRun"
                                     : "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun");
    if (!fg_conf_function(conf, q->inv.function)) {
        char msg[400];
        snprintf(msg, sizeof(msg), "Function not found: %s", q->fn_arn);
        if (type == FG_INVOKE_EVENT)
            fg_router_log_refusal(q->srv->router, q->inv.function, 404, "no such function");
        return http_invoke_error(q, 404, "ResourceNotFoundException", msg);
    }
    if (type == FG_INVOKE_EVENT && (q->too_big || q->body.len > FG_PAYLOAD_ASYNC_MAX_BYTES))
        fg_router_log_refusal(q->srv->router, q->inv.function, 413, "payload over 1 MB");
    if (q->too_big)
        return http_invoke_error(q, 413, "RequestTooLargeException", HTTP_INVOKE_TOO_LARGE);
    if (type == FG_INVOKE_EVENT && q->body.len > FG_PAYLOAD_ASYNC_MAX_BYTES)
        return http_invoke_error(q, 413, "RequestTooLargeException",
                                 "Request must be smaller than 1048576 bytes for the InvokeFunction operation");
    if (type == FG_INVOKE_DRY_RUN) {
        struct fg_invoke_answer a;
        fg_invoke_api_error(&a, 204, NULL, "", NULL);
        fg_buf_reset(&a.body);
        return http_send_invoke_answer(q, &a);
    }
    if (q->body.len) {
        json_error_t jerr;
        json_t *j = json_loadb(q->body.data, q->body.len, JSON_DECODE_ANY, &jerr);
        if (!j) {
            char msg[512];
            snprintf(msg, sizeof(msg), "Could not parse request body into json: %s (line %d, column %d)",
                     jerr.text, jerr.line, jerr.column);
            return http_invoke_error(q, 400, "InvalidRequestContentException", msg);
        }
        json_decref(j);
        q->inv.payload = q->body.data;
        q->inv.payload_len = q->body.len;
    } else {
        q->inv.payload = "{}";
        q->inv.payload_len = 2;
    }
    if (type == FG_INVOKE_EVENT)
        return http_submit_async(q, q->inv.payload, q->inv.payload_len);
    q->inv.want_log_tail = log_hdr && !strcmp(log_hdr, "Tail");
    if (cc_hdr && *cc_hdr) {
        /* Lambda takes base64 JSON of at most 3583 bytes and passes it to the runtime. */
        json_t *j = NULL;
        if (strlen(cc_hdr) > 3583 || fg_base64_decode(&q->client_context, cc_hdr, strlen(cc_hdr)) < 0 ||
            !(j = json_loadb(q->client_context.data, q->client_context.len, 0, NULL)) ||
            strpbrk(q->client_context.data, "\r\n"))
            return http_invoke_error(q, 400, "InvalidRequestContentException",
                                     "X-Amz-Client-Context must be base64-encoded JSON of at most 3583 bytes on one line");
        json_decref(j);
        q->inv.client_context = q->client_context.data;
    }
    if (fg_invoke_api_streaming(q->raw_uri)) {
        q->kind = HTTP_KIND_STREAM;
        return http_submit_stream(q);
    }
    return http_submit(q);
}

/* ------------------------------------------------------------------ framing */

struct http_frame {
    int n_headers;
    int n_length;                   /* Content-Length headers */
    bool length_differs;            /* ... that disagree */
    const char *length, *coding;
    bool expect_continue;
};

static enum MHD_Result http_frame_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct http_frame *f = cls;
    (void)kind;
    f->n_headers++;
    if (!value)
        return MHD_YES;
    if (!strcasecmp(key, "Content-Length")) {
        if (f->n_length++ && strcmp(f->length, value))
            f->length_differs = true;
        f->length = value;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->coding = value;
    } else if (!strcasecmp(key, "Expect")) {
        f->expect_continue = !strcasecmp(value, "100-continue");
    }
    return MHD_YES;
}

/* Checks how the request says its body is framed, before MHD reads the body. 0, or the
 * status to answer (why: its message): requests a proxy in front could read differently
 * (two Content-Length, or one beside Transfer-Encoding) are refused, more headers than an
 * event carries (HTTP_MAX_HEADERS) are 431 rather than dropped silently, transfer codings
 * other than chunked are not implemented, and a body announced over 6 MB with Expect:
 * 100-continue is refused before MHD invites it with 100 Continue (without Expect, the body
 * is on its way: it is read and refused as before, so the client sees the answer). */
static int http_framing(const struct http_req *q, const char **why)
{
    struct http_frame f = { 0, 0, false, NULL, NULL, false };
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, http_frame_header, &f);
    if (f.n_headers > HTTP_MAX_HEADERS) {       /* the event could not carry them all */
        *why = "Request Header Fields Too Large";
        return 431;
    }
    if (f.length_differs || (f.n_length && f.coding)) {
        *why = "Bad Request";
        return 400;
    }
    if (f.coding && strcasecmp(f.coding, "chunked")) {
        *why = "Not Implemented";
        return 501;
    }
    if (f.expect_continue && f.length && strtoull(f.length, NULL, 10) > FG_PAYLOAD_SYNC_MAX_BYTES) {
        *why = "Request Entity Too Large";
        return 413;
    }
    return 0;
}

/* ------------------------------------------------------------------ MHD callbacks */

/* An Invoke API path while the API is enabled (disabled, its paths are unknown routes). */
static bool http_is_invoke(const struct http_req *q)
{
    return q->view->conf->invoke_api.enabled &&
           (!strncmp(q->raw_uri, FG_INVOKE_API_PREFIX, sizeof(FG_INVOKE_API_PREFIX) - 1) ||
            !strncmp(q->raw_uri, FG_FUNCTION_URL_API_PREFIX, sizeof(FG_FUNCTION_URL_API_PREFIX) - 1) ||
            fg_invoke_api_streaming(q->raw_uri));
}

static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_req *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->srv = cls;
    q->view = atomic_load(&q->srv->view);
    q->conn = conn;
    q->raw_uri = strdup(uri);
    fg_buf_init(&q->body, FG_PAYLOAD_SYNC_MAX_BYTES);
    fg_buf_init(&q->payload, 0);
    fg_buf_init(&q->client_context, 4096);
    fg_invocation_init(&q->inv);
    fg_auth_call_init(&q->auth);
    fg_idgen_uuid4(&q->srv->ids, q->apigw_id);
    q->count_row = http_is_invoke(q) ? fg_http_count_invoke(&q->view->counts)
                                     : fg_http_count_unmatched(&q->view->counts);
    fg_mhd_track(conn, q);
    /* MHD would stop reading a request whose query it cannot hold and let it wait for the
     * timeout: answer it now (API Gateway answers 414 for a request line over its limit). */
    if (fg_mhd_refuse_long_query(conn, uri, HTTP_POOL_BYTES)) {
        free(q->raw_uri);               /* answered: the access handler will not run it */
        q->raw_uri = NULL;
    }
    return q;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **con_cls)
{
    struct http_req *q = *con_cls;

    (void)cls;

    (void)url;      /* decoded by MHD; routes match the raw URI instead */
    if (!q || !q->raw_uri)
        return MHD_NO;
    if (q->calls++ == 0) {
        const char *why;
        fg_mhd_head_done(conn);
        bool invoke_api = http_is_invoke(q);
        int code = http_framing(q, &why);
        if (code == 413 && invoke_api)
            return http_invoke_error(q, 413, "RequestTooLargeException", HTTP_INVOKE_TOO_LARGE);
        if (!code && fg_mhd_listener_stopping(&q->srv->listener)) {
            if (invoke_api)
                return http_invoke_error(q, 503, "ServiceException", "fngate is stopping");
            code = 503;
            why = "Service Unavailable";
        }
        if (code)       /* queued on the first call: the connection closes after it, as it must */
            return http_send_message(q, code, why, NULL, NULL);
        return MHD_YES; /* else never queue on the first call: it would force Connection: close */
    }
    if (*upload_size) {
        if (!q->too_big && fg_buf_append(&q->body, upload, *upload_size) < 0) {
            q->too_big = true;
            fg_buf_free(&q->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->auth_waiting) {
        q->auth_waiting = false;
        return http_authorize(q);
    }
    if (q->waiting)
        return http_render(q);
    {
        struct fg_function_url_target t;    /* before routes and the Invoke API */
        if (fg_function_url_match(q->view->conf, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
                                  q->raw_uri, &t))
            return http_function_url(q, method, version, &t);
    }
    if (http_is_invoke(q))
        return http_invoke(q, method);
    return http_route(q, method, version);
}

/* Frees a request context (the completed callback, or its connection closing first). */
static void http_req_free(void *arg)
{
    struct http_req *q = arg;
    fg_http_stream_release(q->stream);
    fg_invocation_close(&q->inv);
    fg_auth_call_close(&q->auth);
    fg_buf_free(&q->body);
    fg_buf_free(&q->payload);
    fg_buf_free(&q->client_context);
    free(q->raw_uri);
    free(q);
}


static void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_req *q = *con_cls;
    (void)cls;
    (void)toe;
    if (!q)
        return;
    fg_mhd_untrack(conn);
    http_req_free(q);
    *con_cls = NULL;
}

/* ------------------------------------------------------------------ API */

int fg_http_start(const struct fg_config *conf, struct fg_router *router, struct fg_http_server **out,
                  struct fg_err *err)
{
    struct fg_http_server *s = calloc(1, sizeof(*s));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = conf->http_threads ? (unsigned)conf->http_threads : (unsigned)(ncpu > 0 ? ncpu : 2);
    unsigned max_conns = fg_mhd_connection_limit();
    const struct MHD_OptionItem options[] = {
        { MHD_OPTION_THREAD_POOL_SIZE, threads, NULL },
        { MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)http_on_uri, s },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)http_on_completed, s },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)fg_mhd_on_connection, &s->conns },
        { MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL },
        { MHD_OPTION_CONNECTION_LIMIT, max_conns, NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, conf->max_conns_per_client, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_POOL_BYTES, NULL },
        { MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->router = router;
    fg_idgen_init(&s->ids);
    pthread_mutex_init(&s->rate_lock, NULL);
    if (fg_invoke_auth_init(&s->invoke_auth, &conf->invoke_api, conf->listen.host) < 0) {
        fg_http_free(s);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    s->invoke_auth.creds = fg_router_creds(router);
    if ((rc = fg_auth_service_start(&s->auth, router, err)) < 0) {
        fg_http_free(s);
        return rc;
    }
    if ((rc = fg_http_reload(s, conf, err)) < 0) {
        fg_http_free(s);
        return rc;
    }
    if ((rc = fg_mhd_conns_start(&s->conns, "http", http_req_free, conf->header_timeout_ms, max_conns, err)) < 0) {
        fg_http_free(s);
        return rc;
    }
    if ((rc = fg_mhd_listener_start(&s->listener, "listen", "http", conf->listen.host, conf->listen.port, &conf->tls,
                                    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                                    MHD_USE_TURBO, http_access, s, &s->conns, options, err)) < 0) {
        fg_http_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int fg_http_port(const struct fg_http_server *s)
{
    return s->listener.port;
}

void fg_http_quiesce(struct fg_http_server *s)
{
    if (s)
        fg_mhd_listener_quiesce(&s->listener);
}

/* The bucket of the route of the older view with the same key and rate, or NULL. */
static struct fg_token_bucket *http_same_rate(struct http_view *v, const struct fg_route *route)
{
    for (size_t i = 0; v && i < v->routes.n_routes; i++) {
        const struct fg_route *o = &v->routes.routes[i];
        if (!strcmp(o->route_key, route->route_key) && o->rate->per_second == route->rate->per_second &&
            o->rate->burst == route->rate->burst)
            return &v->route_rates[i];
    }
    return NULL;
}

/* Frees a view (calloc'd; any part of it built). */
static void http_view_free(struct http_view *v)
{
    fg_cors_table_close(&v->cors);
    fg_cors_table_close(&v->url_cors);
    fg_route_table_close(&v->routes);
    fg_authorizers_close(&v->auth);
    fg_http_count_close(&v->counts);
    free(v->route_rates);
    free(v);
}

int fg_http_reload(struct fg_http_server *s, const struct fg_config *conf, struct fg_err *err)
{
    struct http_view *v = calloc(1, sizeof(*v)), *old = atomic_load(&s->view);
    int rc;

    if (!v)
        return fg_err_set(err, -ENOMEM, "out of memory");
    v->conf = conf;
    if ((rc = fg_route_table_init(&v->routes, conf, err)) < 0 ||
        (rc = fg_cors_table_init(&v->cors, &v->routes, conf, err)) < 0 ||
        (rc = fg_cors_url_table_init(&v->url_cors, conf, err)) < 0) {
        http_view_free(v);
        return rc;
    }
    if (!(v->route_rates = calloc(v->routes.n_routes + 1, sizeof(*v->route_rates))) ||
        fg_http_count_init(&v->counts, &v->routes) < 0) {
        http_view_free(v);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    /* Last: once built, its key sets may be queued on the fetcher (jwks.h). */
    if ((rc = fg_authorizers_init(&v->auth, &s->auth, conf, err)) < 0) {
        http_view_free(v);
        return rc;
    }
    /* A route whose rate did not change keeps its bucket's state: a reload is no burst. */
    pthread_mutex_lock(&s->rate_lock);
    for (size_t i = 0; i < v->routes.n_routes; i++) {
        const struct fg_route *route = &v->routes.routes[i];
        struct fg_token_bucket *same = http_same_rate(old, route);
        if (same)
            v->route_rates[i] = *same;
        else
            fg_token_bucket_init(&v->route_rates[i], route->rate->per_second, route->rate->burst, fg_mono_us());
    }
    pthread_mutex_unlock(&s->rate_lock);
    v->older = old;
    atomic_store(&s->view, v);
    return 0;
}

void fg_http_free(struct fg_http_server *s)
{
    if (!s)
        return;
    fg_auth_service_stop(&s->auth);     /* resumes requests waiting for keys */
    fg_mhd_listener_stop(&s->listener);
    fg_mhd_conns_stop(&s->conns);
    for (struct http_view *v = atomic_load(&s->view), *older; v; v = older) {
        older = v->older;
        http_view_free(v);
    }
    fg_invoke_auth_close(&s->invoke_auth);
    pthread_mutex_destroy(&s->rate_lock);
    free(s);
}

int fg_http_metrics(struct fg_http_server *s, struct fg_prom *p)
{
    const struct fg_http_count **tables;
    size_t n = 0;
    int rc;

    /* Requests count in the view they started with: every view's table, summed by route. */
    for (struct http_view *v = atomic_load(&s->view); v; v = v->older)
        n++;
    if (!(tables = malloc((n ? n : 1) * sizeof(*tables))))
        return -ENOMEM;
    n = 0;
    for (struct http_view *v = atomic_load(&s->view); v; v = v->older)
        tables[n++] = &v->counts;
    rc = fg_http_count_write(tables, n, p);
    free(tables);
    if (rc < 0)
        return rc;
    fg_prom_sample(fg_prom_family(p, "fngate_http_open_connections", FG_PROM_GAUGE,
                                  "Connections open on the front door"),
                   fg_mhd_conns_open(&s->conns), NULL);
    fg_prom_sample(fg_prom_family(p, "fngate_authorizer_jwks_fetches_total", FG_PROM_COUNTER,
                                  "JSON Web Key Sets read or fetched for JWT authorizers"),
                   (double)fg_auth_jwks_fetches(&s->auth), NULL);
    return p->err;
}

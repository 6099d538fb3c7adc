/* SPDX-License-Identifier: MIT */
/* runtime_api.c - the AWS Lambda Runtime API, served to each worker on its own port.
 *
 * DESIGN: one libevent evhttp server per worker, bound to 127.0.0.1:0 on the loop thread.
 * The port identifies the worker, so no request needs to say who it comes from and router
 * state is touched directly (no hand-off). GET /next is a long poll: the request is parked
 * on the worker until an invocation is delivered. Routes, statuses and bodies follow
 * reference/aws-lambda.md "Runtime API". Tests: tests/integration (provided bootstraps that
 * misbehave on purpose). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../core/log.h"
#include "function.h"

#define RAPI_PREFIX "/2018-06-01/runtime/"
/* Bodies between the 6 MB limit and this are read and answered with 413; larger ones are
 * cut off by evhttp itself. */
#define RAPI_BODY_MAX_BYTES (64u << 20)

static void rapi_reply(struct evhttp_request *req, int code, const char *reason, const char *json)
{
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add(b, json, strlen(json));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    }
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void rapi_error(struct evhttp_request *req, int code, const char *reason, const char *type,
                       const char *msg)
{
    char *s;
    json_t *o = json_pack("{s:s,s:s}", "errorMessage", msg, "errorType", type);
    s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    rapi_reply(req, code, reason, s ? s : "{}");
    free(s);
    json_decref(o);
}

static void rapi_on_close(struct evhttp_connection *evcon, void *arg)
{
    struct fg_worker *w = arg;
    if (w->next_req && evhttp_request_get_connection(w->next_req) == evcon)
        w->next_req = NULL;
}

static void rapi_next(struct fg_worker *w, struct evhttp_request *req)
{
    if (w->state == FG_WORKER_DEAD) {
        rapi_error(req, 500, "Internal Server Error", "ServiceException", "worker is being stopped");
        return;
    }
    if (w->next_req) {
        rapi_error(req, 400, "Bad Request", "InvalidStateTransition", "another /next is already waiting");
        return;
    }
    w->next_req = req;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), rapi_on_close, w);
    /* With an invocation delivered and unanswered, the runtime broke the protocol: the
     * invocation's timer decides. */
    if (!(w->inv && w->inv->delivered))
        fg_pool_worker_ready(w);
}

/* The body as an owned evbuffer's contiguous bytes; NULL when empty. */
static const char *rapi_body(struct evhttp_request *req, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    *len = evbuffer_get_length(in);
    return *len ? (const char *)evbuffer_pullup(in, -1) : NULL;
}

static struct fg_invocation *rapi_lookup(struct fg_worker *w, struct evhttp_request *req, const char *id)
{
    if (w->inv && w->inv->delivered && !strcmp(w->inv->request_id, id))
        return w->inv;
    rapi_error(req, 400, "Bad Request", "InvalidRequestID",
               !strcmp(w->last_request_id, id) ? "Invalid request ID: already answered" : "Invalid request ID");
    return NULL;
}

static void rapi_response(struct fg_worker *w, struct evhttp_request *req, const char *id)
{
    struct fg_router *r = w->fn->router;
    struct fg_invocation *inv = rapi_lookup(w, req, id);
    size_t len;
    const char *body;

    if (!inv)
        return;
    body = rapi_body(req, &len);
    fg_worker_drain_output(w);
    if (len > FG_PAYLOAD_SYNC_MAX_BYTES) {
        rapi_error(req, 413, "Payload Too Large", "RequestEntityTooLarge",
                   "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, "Function.ResponseSizeTooLarge",
                       "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
        return;
    }
    rapi_reply(req, 202, "Accepted", "{\"status\":\"OK\"}");
    if (fg_buf_append(&inv->result, body ? body : "", len) < 0) {
        fg_router_fail(r, inv, FG_INV_SERVICE_ERROR, "ServiceException", "out of memory");
        return;
    }
    fg_router_finish(r, inv, FG_INV_OK);
}

/* Keeps a JSON object body as the runtime sent it; wraps anything else. */
static void rapi_fail_with_body(struct fg_worker *w, struct fg_invocation *inv, struct evhttp_request *req,
                                const char *default_type)
{
    struct fg_router *r = w->fn->router;
    const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Lambda-Runtime-Function-Error-Type");
    size_t len;
    const char *body = rapi_body(req, &len);
    json_t *o = body ? json_loadb(body, len, 0, NULL) : NULL;

    fg_worker_drain_output(w);
    if (o && json_is_object(o)) {
        if (!json_object_get(o, "errorType"))
            json_object_set_new(o, "errorType", json_string(hdr ? hdr : default_type));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        int rc = s ? fg_buf_append(&inv->result, s, strlen(s)) : -ENOMEM;
        free(s);
        json_decref(o);
        if (rc == 0) {
            fg_router_finish(r, inv, FG_INV_FUNCTION_ERROR);
            return;
        }
        fg_buf_reset(&inv->result);
    } else {
        json_decref(o);
    }
    fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, hdr ? hdr : default_type, "%.*s",
                   (int)(len > 4096 ? 4096 : len), body ? body : "");
}

static void rapi_error_post(struct fg_worker *w, struct evhttp_request *req, const char *id)
{
    struct fg_invocation *inv = rapi_lookup(w, req, id);
    if (!inv)
        return;
    rapi_reply(req, 202, "Accepted", "{\"status\":\"OK\"}");
    rapi_fail_with_body(w, inv, req, "Unhandled");
}

static void rapi_init_error(struct fg_worker *w, struct evhttp_request *req)
{
    if (w->state != FG_WORKER_SPAWNING) {
        rapi_error(req, 403, "Forbidden", "InvalidStateTransition", "init already finished");
        return;
    }
    rapi_reply(req, 202, "Accepted", "{\"status\":\"OK\"}");
    if (w->inv)
        rapi_fail_with_body(w, w->inv, req, "Runtime.InitError");
    /* A failed init is not retried in this process: the next invocation starts a new one. */
    fg_worker_kill(w, "init error");
}

static void rapi_handle(struct evhttp_request *req, void *arg)
{
    struct fg_worker *w = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const char *rest, *slash;
    char id[128];

    if (strncmp(uri, RAPI_PREFIX, sizeof(RAPI_PREFIX) - 1) != 0)
        goto not_found;
    rest = uri + sizeof(RAPI_PREFIX) - 1;
    if (!strcmp(rest, "invocation/next")) {
        if (cmd != EVHTTP_REQ_GET)
            goto bad_method;
        rapi_next(w, req);
        return;
    }
    if (!strcmp(rest, "init/error")) {
        if (cmd != EVHTTP_REQ_POST)
            goto bad_method;
        rapi_init_error(w, req);
        return;
    }
    if (!strncmp(rest, "invocation/", 11) && (slash = strchr(rest + 11, '/')) &&
        (size_t)(slash - rest - 11) < sizeof(id)) {
        memcpy(id, rest + 11, (size_t)(slash - rest - 11));
        id[slash - rest - 11] = '\0';
        if (cmd != EVHTTP_REQ_POST)
            goto bad_method;
        if (!strcmp(slash, "/response")) {
            rapi_response(w, req, id);
            return;
        }
        if (!strcmp(slash, "/error")) {
            rapi_error_post(w, req, id);
            return;
        }
    }
not_found:
    rapi_error(req, 404, "Not Found", "InvalidRequest", "unknown Runtime API path");
    return;
bad_method:
    rapi_error(req, 405, "Method Not Allowed", "InvalidRequest", "method not allowed");
}

int fg_runtime_api_open(struct fg_worker *w, struct fg_err *err)
{
    struct evhttp_bound_socket *sock;
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);

    if (!(w->http = evhttp_new(w->fn->router->loop->base)))
        return fg_err_set(err, -ENOMEM, "function %s: cannot create the Runtime API server", w->fn->conf->name);
    evhttp_set_gencb(w->http, rapi_handle, w);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(w->http, RAPI_BODY_MAX_BYTES);
    /* /next is a long poll: an idle worker may wait for hours. */
    evhttp_set_timeout(w->http, 7 * 24 * 3600);
    if (!(sock = evhttp_bind_socket_with_handle(w->http, "127.0.0.1", 0)))
        return fg_err_set(err, -EADDRNOTAVAIL, "function %s: cannot bind a Runtime API port on 127.0.0.1",
                          w->fn->conf->name);
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &salen) < 0)
        return fg_err_set(err, -errno, "getsockname: %s", strerror(errno));
    w->port = ntohs(sa.sin_port);
    return 0;
}

void fg_runtime_api_send_event(struct fg_worker *w, struct fg_invocation *inv)
{
    struct evhttp_request *req = w->next_req;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();
    char deadline[32], trace[128];

    w->next_req = NULL;
    snprintf(deadline, sizeof(deadline), "%lld", inv->deadline_ms);
    /* X-Ray format; the request id supplies the random digits. */
    snprintf(trace, sizeof(trace), "Root=1-%08llx-%.8s%.4s%.4s%.4s%.4s;Parent=%.12s%.4s;Sampled=0",
             inv->deadline_ms / 1000, inv->request_id, inv->request_id + 9, inv->request_id + 14,
             inv->request_id + 19, inv->request_id + 24, inv->request_id + 24, inv->request_id);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Lambda-Runtime-Aws-Request-Id", inv->request_id);
    evhttp_add_header(h, "Lambda-Runtime-Deadline-Ms", deadline);
    evhttp_add_header(h, "Lambda-Runtime-Invoked-Function-Arn", w->fn->arn);
    evhttp_add_header(h, "Lambda-Runtime-Trace-Id", trace);
    if (b)
        evbuffer_add(b, inv->payload ? inv->payload : "", inv->payload_len);
    evhttp_send_reply(req, 200, "OK", b);
    if (b)
        evbuffer_free(b);
}

void fg_runtime_api_close(struct fg_worker *w)
{
    w->next_req = NULL;     /* freed with its connection below */
    if (w->http)
        evhttp_free(w->http);
    w->http = NULL;
}

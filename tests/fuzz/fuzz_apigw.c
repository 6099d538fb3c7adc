/* SPDX-License-Identifier: MIT */
/* fuzz_apigw.c - libFuzzer target for the API Gateway codecs, payload formats 2.0
 * (triggers/apigw.c) and 1.0 (triggers/apigw_v1.c):
 * a request from any client becomes the event JSON a function reads, and a function's
 * result becomes the answer. Built and run by `make fuzz`; seeds in corpus/fuzz_apigw/.
 *
 * Input, cut at newlines (fuzz.h): the method; the raw URI (path?query); headers
 * "Name: value", one a line, up to an empty line; the rest is the body. The request goes
 * where gateway/http.c sends it: the URI split at '?', refused unless the method is an HTTP
 * token and path and query are UTF-8 (http.c answers 400 first), routed through a fixed
 * route table (literal, {param}, {proxy+} and $default routes, so every request finds one),
 * then fg_apigw_event() and fg_apigw_v1_event(). The body is also read as a function's
 * result by fg_apigw_response() and fg_apigw_v1_response().
 * Invariants: the event is valid JSON (jansson reads it back) whose version, routeKey,
 * rawPath, rawQueryString and method are what was sent, whose header names are lower case
 * without cookie, and whose body (text or base64) gives back the body's bytes; a result
 * maps to a status 200..599 and headers without line breaks, or to an error with nothing
 * left to free. The 1.0 event is valid JSON with version, httpMethod and path as sent,
 * string headers and lists of strings in multiValueHeaders, and the same body rule. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/json_write.h"
#include "triggers/apigw.h"
#include "triggers/apigw_v1.h"
#include "triggers/registry.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_HEADERS 128          /* gateway/http.c answers 431 beyond */
#define FUZZ_EVENT_MAX (1u << 20)

static const char apigw_routes[] =
    "functions:\n"
    "  F:\n"
    "    runtime: python3\n"
    "    handler: app.handler\n"
    "    code: .\n"
    "    events:\n"
    "      - http: GET /hello/{name}\n"
    "      - http: POST /items/{id}/parts/{part}\n"
    "      - http: ANY /files/{proxy+}\n"
    "      - http: GET /\n"
    "      - http: $default\n";

static struct fg_config apigw_conf;
static struct fg_route_table apigw_table;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct fg_err err;
    (void)argc;
    (void)argv;
    if (fg_registry_conf_load_string(&apigw_conf, "routes.yaml", "/", apigw_routes, &err) < 0 ||
        fg_route_table_init(&apigw_table, &apigw_conf, &err) < 0)
        fuzz_fail("the fixed routes do not load: %s", err.msg);
    return 0;
}

static const char *apigw_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void apigw_check_str(json_t *o, const char *key, const char *want)
{
    const char *got = apigw_str(o, key);
    if (!got || strcmp(got, want))
        fuzz_fail("event %s is '%s', sent '%s'", key, got ? got : "(missing)", want);
}

static void apigw_check_strings(json_t *o, const char *what)
{
    const char *k;
    json_t *v;
    if (!o)
        return;
    if (!json_is_object(o))
        fuzz_fail("event %s is not an object", what);
    json_object_foreach(o, k, v)
        if (!json_is_string(v))
            fuzz_fail("event %s.%s is not a string", what, k);
}

/* A copy of JSON text with every \u0000 escape written \u0001. A query key "a%00b" is the
 * JSON key "a\u0000b", which JSON allows (Python and Node read it) and jansson refuses. */
static char *apigw_unnul(const char *json, size_t len)
{
    char *out = fuzz_dup(json, len);
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '"') {
            in_str = !in_str;
        } else if (in_str && out[i] == '\\') {
            if (i + 5 < len && !memcmp(out + i + 1, "u0000", 5))
                out[i + 5] = '1';
            i++;                                    /* the escaped character */
        }
    }
    return out;
}

static void apigw_check_body(json_t *ev, const char *body, size_t body_len)
{
    json_t *b = json_object_get(ev, "body"), *b64 = json_object_get(ev, "isBase64Encoded");
    if (!json_is_boolean(b64))
        fuzz_fail("isBase64Encoded is not a boolean");
    if (!body_len) {
        if (b || json_is_true(b64))
            fuzz_fail("an empty body is in the event");
        return;
    }
    if (!json_is_string(b))
        fuzz_fail("a body of %zu bytes is not in the event", body_len);
    if (json_is_true(b64)) {
        struct fg_buf dec;
        fg_buf_init(&dec, body_len + 16);
        if (fg_base64_decode(&dec, json_string_value(b), json_string_length(b)) < 0 || dec.len != body_len ||
            memcmp(dec.data, body, body_len))
            fuzz_fail("the base64 body does not decode to the body sent");
        fg_buf_free(&dec);
    } else {
        const char *text = json_string_value(b);
        bool same = json_string_length(b) == body_len;
        for (size_t i = 0; i < body_len && same; i++)
            same = text[i] == (body[i] ? body[i] : '\1');    /* apigw_unnul */
        if (!same)
            fuzz_fail("the text body is not the body sent");
    }
}

static void apigw_check_event(const struct fg_buf *out, const struct fg_http_request *req,
                              const struct fg_route_match *m)
{
    json_error_t jerr;
    char *text = apigw_unnul(out->data, out->len);
    json_t *ev = json_loadb(text, out->len, 0, &jerr), *ctx, *h, *cookies;
    const char *k;
    json_t *v;

    free(text);
    if (!ev)
        fuzz_fail("the event is not JSON (%s at %d): %.*s", jerr.text, jerr.position, (int)out->len, out->data);
    if (!json_is_object(ev))
        fuzz_fail("the event is not an object");
    apigw_check_str(ev, "version", "2.0");
    apigw_check_str(ev, "routeKey", m->route->route_key);
    apigw_check_str(ev, "rawPath", req->raw_path);
    apigw_check_str(ev, "rawQueryString", req->raw_query);
    ctx = json_object_get(ev, "requestContext");
    apigw_check_str(json_object_get(ctx, "http"), "method", req->method);
    apigw_check_str(ctx, "routeKey", m->route->route_key);
    h = json_object_get(ev, "headers");
    apigw_check_strings(h, "headers");
    if (!h)
        fuzz_fail("the event has no headers");
    json_object_foreach(h, k, v) {
        for (const char *c = k; *c; c++)
            if (isupper((unsigned char)*c))
                fuzz_fail("header name '%s' is not lower case", k);
        if (!strcmp(k, "cookie"))
            fuzz_fail("the cookie header is in headers");
    }
    apigw_check_strings(json_object_get(ev, "queryStringParameters"), "queryStringParameters");
    apigw_check_strings(json_object_get(ev, "pathParameters"), "pathParameters");
    if ((cookies = json_object_get(ev, "cookies"))) {
        size_t i;
        if (!json_is_array(cookies) || !json_array_size(cookies))
            fuzz_fail("cookies is not a non-empty list");
        json_array_foreach(cookies, i, v)
            if (!json_is_string(v) || !json_string_length(v))
                fuzz_fail("cookie %zu is not a non-empty string", i);
    }
    apigw_check_body(ev, req->body, req->body_len);
    json_decref(ev);
}

static void apigw_check_v1_event(const struct fg_buf *out, const struct fg_http_request *req)
{
    json_error_t jerr;
    char *text = apigw_unnul(out->data, out->len);
    json_t *ev = json_loadb(text, out->len, 0, &jerr), *mh, *v;
    const char *k;

    free(text);
    if (!ev || !json_is_object(ev))
        fuzz_fail("the 1.0 event is not a JSON object (%s at %d)", jerr.text, jerr.position);
    apigw_check_str(ev, "version", "1.0");
    apigw_check_str(ev, "httpMethod", req->method);
    apigw_check_str(ev, "path", req->raw_path);
    static const char *const maps[] = { "headers", "queryStringParameters", "pathParameters", NULL };
    for (size_t i = 0; maps[i]; i++)
        if (!json_is_null(json_object_get(ev, maps[i])))       /* null where AWS sends null */
            apigw_check_strings(json_object_get(ev, maps[i]), maps[i]);
    mh = json_object_get(ev, "multiValueHeaders");
    if (!json_is_null(mh) && !json_is_object(mh))
        fuzz_fail("multiValueHeaders is neither null nor an object");
    json_object_foreach(mh, k, v)
        if (!json_is_array(v) || !json_array_size(v))
            fuzz_fail("multiValueHeaders.%s is not a non-empty list", k);
    if (json_is_null(json_object_get(ev, "body")))
        json_object_del(ev, "body");
    apigw_check_body(ev, req->body, req->body_len);
    json_decref(ev);
}

typedef int apigw_response_fn(const char *, size_t, struct fg_http_response *, struct fg_err *);

/* The body read as a function's result. */
static void apigw_check_response(apigw_response_fn *parse, const char *result, size_t len)
{
    struct fg_http_response resp;
    struct fg_err err = { 0 };
    int rc = parse(result, len, &resp, &err);

    if (rc < 0) {
        if (rc != -EINVAL || !err.msg[0])
            fuzz_fail("fg_apigw_response: %d without a message", rc);
        if (resp.headers || resp.n_headers || resp.body.data)
            fuzz_fail("a refused result left a response to free");
        return;
    }
    if (rc != 0 || resp.status < 200 || resp.status > 599)
        fuzz_fail("fg_apigw_response: %d with status %d", rc, resp.status);
    if (resp.n_headers > FG_APIGW_MAX_RESPONSE_HEADERS + 1)
        fuzz_fail("%zu response headers", resp.n_headers);
    for (size_t i = 0; i < resp.n_headers; i++)
        if (strpbrk(resp.headers[i].name, "\r\n:") || strpbrk(resp.headers[i].value, "\r\n"))
            fuzz_fail("response header '%s' holds a line break or a colon", resp.headers[i].name);
    fg_http_response_close(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct fg_http_header headers[FUZZ_MAX_HEADERS];
    char *method = fuzz_line(&in, NULL), *uri = fuzz_line(&in, NULL), *body, *query;
    size_t n_headers = 0, body_len;
    struct fg_route_match m;
    struct fg_buf out;
    int rc;

    /* gateway/http.c answers 400 to a method that is not a token before routing. */
    if (!method || !uri || !fg_http_token_ok(method)) {
        free(method);
        free(uri);
        return 0;
    }
    n_headers = fuzz_headers(&in, headers, FUZZ_MAX_HEADERS);
    body = fuzz_rest(&in, &body_len);
    if ((query = strchr(uri, '?')))
        *query++ = '\0';
    if (fg_utf8_valid(uri, strlen(uri)) && (!query || fg_utf8_valid(query, strlen(query))) &&
        fg_route_find(&apigw_table, method, uri, &m) == FG_ROUTE_FOUND) {
        struct fg_http_request req = {
            .method = method, .raw_path = uri, .raw_query = query ? query : "", .protocol = "HTTP/1.1",
            .source_ip = "192.0.2.1", .headers = headers, .n_headers = n_headers, .body = body,
            .body_len = body_len, .time_ms = 1587481701000LL, .request_id = "fuzz-request",
            .account_id = "000000000000",
        };
        fg_buf_init(&out, FUZZ_EVENT_MAX);
        if ((rc = fg_apigw_event(&req, &m, &out)) == 0)
            apigw_check_event(&out, &req, &m);
        else if (rc != -FG_ETOOBIG)
            fuzz_fail("fg_apigw_event: %d", rc);
        fg_buf_reset(&out);
        if ((rc = fg_apigw_v1_event(&req, &m, &out)) == 0)
            apigw_check_v1_event(&out, &req);
        else if (rc != -FG_ETOOBIG)
            fuzz_fail("fg_apigw_v1_event: %d", rc);
        fg_buf_free(&out);
    }
    apigw_check_response(fg_apigw_response, body, body_len);
    apigw_check_response(fg_apigw_v1_response, body, body_len);
    for (size_t i = 0; i < n_headers; i++)
        free((char *)headers[i].name);
    free(body);
    free(method);
    free(uri);
    return 0;
}

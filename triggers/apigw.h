/* SPDX-License-Identifier: MIT */
/* apigw.h - API Gateway HTTP API payload format 2.0: request → event, result → response.
 *
 * Pure functions over plain structs; the front door (gateway/http.c) fills a request from
 * libmicrohttpd and turns the response back into one. Shapes and rules follow
 * reference/aws-lambda.md "API Gateway HTTP API 2.0": lower-case header names with repeated
 * values joined by commas, cookies split out of the Cookie header, a body that is not
 * UTF-8 text sent base64-encoded, and a function result without statusCode answered as a
 * 200 application/json body. Any thread. Tests: tests/unit/test_apigw.c. */
#ifndef FG_APIGW_H
#define FG_APIGW_H

#include <stddef.h>

#include "../core/buf.h"
#include "../core/http_header.h"
#include "http_route.h"

/* Borrowed views of one request. */
struct fg_http_request {
    const char *method;
    const char *raw_path;            /* as received: percent-encoded, without the query */
    const char *raw_query;           /* after '?', "" when none */
    const char *protocol;            /* "HTTP/1.1" */
    const char *source_ip;
    const struct fg_http_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    long long time_ms;               /* when the request arrived, epoch ms */
    const char *request_id;          /* API Gateway's own id for the request */
    const char *account_id;
    const char *authorizer_v2;       /* JSON object for requestContext.authorizer (2.0), or NULL */
    const char *authorizer_v1;       /* JSON object for requestContext.authorizer (1.0), or NULL */
};

/* What the function's result says to answer. Owns its strings. */
/* What a function's answer may carry in headers and cookies: beyond, the answer is
 * unusable (500) rather than a connection dropped mid-way. */
#define FG_APIGW_MAX_RESPONSE_HEADERS 100
#define FG_APIGW_MAX_RESPONSE_HEADER_BYTES (10 * 1024)

struct fg_http_response {
    int status;
    struct fg_http_header *headers;  /* owned names and values; Set-Cookie repeated */
    size_t n_headers;
    struct fg_buf body;
};

/* Appends the event JSON to out. 0, -FG_ETOOBIG (out's ceiling), or -ENOMEM. */
int fg_apigw_event(const struct fg_http_request *req, const struct fg_route_match *m,
                   struct fg_buf *out) FG_MUST_CHECK;

/* Where a 2.0 event says it was received, for sources that are not a route of the HTTP
 * API (function URLs: routeKey "$default", apiId and domain of the URL, accountId
 * "anonymous" when unauthenticated, authorizer.iam). Borrowed strings. */
struct fg_apigw_origin {
    const char *route_key;                  /* routeKey, top level and requestContext */
    const struct fg_route_match *match;     /* pathParameters from its params; NULL: none */
    const char *api_id;                     /* NULL: "fngate" */
    const char *domain_name;                /* NULL: the Host header */
    const char *account_id;                 /* NULL: req->account_id */
    const char *authorizer;                 /* requestContext.authorizer as JSON text; NULL: none */
};

/* The same event from an origin. Same returns. */
int fg_apigw_event_as(const struct fg_http_request *req, const struct fg_apigw_origin *o,
                      struct fg_buf *out) FG_MUST_CHECK;

/* Maps a function result (response bytes) onto resp (caller-embedded, zeroed by the call).
 * 0, or -EINVAL with err filled when the result is not a usable response (the caller
 * answers 502); resp is empty then. */
int fg_apigw_response(const char *result, size_t len, struct fg_http_response *resp,
                      struct fg_err *err) FG_MUST_CHECK;

/* Appends a header to resp (both strings copied). 0 or -ENOMEM. */
int fg_http_response_add_header(struct fg_http_response *resp, const char *name, const char *value) FG_MUST_CHECK;

void fg_http_response_close(struct fg_http_response *resp);

#endif

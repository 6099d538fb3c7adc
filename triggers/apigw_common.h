/* SPDX-License-Identifier: MIT */
/* apigw_common.h - what API Gateway's two payload formats share, for triggers/apigw.c (2.0)
 * and triggers/apigw_v1.c (1.0) only.
 *
 * Both formats decode the query string and path parameters the same way, stamp the same
 * request times, send a body as text or base64 by the same rule, and read a function's
 * headers and body with the same limits; only the JSON around them differs. Writers append
 * to a buffer whose errors are sticky (core/buf.h) and return its error. Any thread.
 * Tests: tests/unit/test_apigw.c, tests/unit/test_apigw_v1.c. */
#ifndef FG_APIGW_COMMON_H
#define FG_APIGW_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "apigw.h"

/* The query keys read from one request; the rest are dropped. */
#define FG_APIGW_MAX_QUERY 256

/* A decoded query key and value: offsets into the scratch buffer they were decoded into. */
struct fg_apigw_pair {
    size_t koff, klen, voff, vlen;
};

/* Decodes query (as sent, without '?'; form-encoded) into scratch and pairs[0..return):
 * pairs whose key or value is not UTF-8 are left out. */
size_t fg_apigw_query_pairs(const char *query, struct fg_buf *scratch, struct fg_apigw_pair *pairs);

/* Whether pairs a and b (in scratch) have the same key. */
bool fg_apigw_same_key(const struct fg_buf *scratch, const struct fg_apigw_pair *a, const struct fg_apigw_pair *b);

/* Appends `"key":"val"` with val[0..len) escaped (UTF-8). */
int fg_apigw_str_field(struct fg_buf *out, const char *key, const char *val, size_t len);

/* Appends "pathParameters":{...}, (trailing comma) with the values percent-decoded; nothing
 * when no parameter has a UTF-8 value. */
int fg_apigw_path_params(struct fg_buf *out, const struct fg_route_match *m);

/* What both formats' requestContext says about a request: Host (localhost when absent or
 * not UTF-8) and User-Agent ("" likewise), borrowed from the request; its time as
 * "21/Apr/2020:15:08:21 +0000" and as epoch ms in text. */
struct fg_apigw_stamp {
    const char *host, *user_agent;
    char time[40], epoch_ms[32];
};
void fg_apigw_stamp(const struct fg_http_request *req, struct fg_apigw_stamp *s);

/* The request's first header called name (any case), dflt when absent. Borrowed. */
const char *fg_apigw_header(const struct fg_http_request *req, const char *name, const char *dflt);

/* Appends `"body":...,"isBase64Encoded":...` for a request with a body (text when the
 * content type is text and the bytes are UTF-8, else base64), or just
 * `"isBase64Encoded":false` without one. */
int fg_apigw_body(struct fg_buf *out, const struct fg_http_request *req);


/* A header of a function's answer (a string, number or boolean) as text: in *out, borrowed
 * from v or written into buf. -EINVAL for other JSON types. */
int fg_apigw_scalar_text(json_t *v, char *buf, size_t n, const char **out);

/* Checks a header name and value from a function's answer before it is added. 0, or
 * -EINVAL with err filled (line breaks would split the answer). */
int fg_apigw_header_ok(const char *name, const char *value, struct fg_err *err);

/* Adds each header of the object headers (NULL or null: none) to resp, but those whose
 * name (any case) is a key of except (an object, or NULL). 0, or -EINVAL with err filled
 * (a value that is not a string, number or boolean; a line break), or -ENOMEM. */
int fg_apigw_add_headers(json_t *headers, json_t *except, struct fg_http_response *resp, struct fg_err *err);

/* After every header was added: 0, or -EINVAL with err filled when resp holds more than
 * FG_APIGW_MAX_RESPONSE_HEADERS or FG_APIGW_MAX_RESPONSE_HEADER_BYTES. */
int fg_apigw_headers_fit(const struct fg_http_response *resp, struct fg_err *err);

/* Fills resp->body from a function's `body` (NULL or null: empty; a string, base64 when
 * b64 is true; a number or boolean as its text; an object or list as its JSON). 0, -EINVAL
 * with err filled (bad base64), or a fg_buf error. */
int fg_apigw_response_body(json_t *body, json_t *b64, struct fg_http_response *resp, struct fg_err *err);

/* Starts a response: resp zeroed with its body buffer ready, *root the parsed result (owned:
 * json_decref). 0 or -EINVAL with err filled when the result is not JSON. */
int fg_apigw_response_open(const char *result, size_t len, struct fg_http_response *resp, json_t **root,
                           struct fg_err *err);

/* Ends a response: frees root; on rc < 0 fills err for codes other than -EINVAL and empties
 * resp. Returns rc. */
int fg_apigw_response_finish(int rc, json_t *root, struct fg_http_response *resp, struct fg_err *err);

/* statusCode as both formats take it: an integer from 200 to 599 (1xx is no final answer).
 * 0 with *status set, or -EINVAL with err filled. */
int fg_apigw_status(json_t *sc, int *status, struct fg_err *err);

#endif

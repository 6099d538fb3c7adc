/* SPDX-License-Identifier: MIT */
/* apigw_v1.h - API Gateway payload format 1.0: the REST API proxy event and its answers.
 *
 * What a route with `payload_format: "1.0"` gets: the event of API Gateway's Lambda proxy
 * integration, as an HTTP API sends it with payload format 1.0 ("Create AWS Lambda proxy
 * integrations for HTTP APIs", and REST's "Set up Lambda proxy integrations": input
 * format). Headers keep the case they arrived in; `headers` and `queryStringParameters`
 * hold the last value of a repeated name, `multiValueHeaders` and
 * `multiValueQueryStringParameters` every value in order; empty maps, a missing body and
 * stageVariables are null, as AWS sends them; the Cookie header stays a header (1.0 has
 * no `cookies`). requestContext carries `identity` with every field AWS names (null but
 * sourceIp and userAgent) and `authorizer` when the request has one. The answer must be an
 * object with statusCode: `headers` and `multiValueHeaders` are merged (a name in both
 * takes multiValueHeaders' values), and anything else is unusable, which an HTTP API
 * answers 500 (the caller does). Any thread. Tests: tests/unit/test_apigw_v1.c. */
#ifndef FG_APIGW_V1_H
#define FG_APIGW_V1_H

#include "apigw.h"

/* Appends the 1.0 event JSON to out. 0, -FG_ETOOBIG (out's ceiling), or -ENOMEM. */
int fg_apigw_v1_event(const struct fg_http_request *req, const struct fg_route_match *m,
                      struct fg_buf *out) FG_MUST_CHECK;

/* Maps a function's 1.0 answer onto resp (caller-embedded, zeroed by the call; free with
 * fg_http_response_close). 0, or -EINVAL with err filled when the answer is not a usable
 * 1.0 response (no object, no statusCode, headers that are not strings, too many); resp
 * is empty then. */
int fg_apigw_v1_response(const char *result, size_t len, struct fg_http_response *resp,
                         struct fg_err *err) FG_MUST_CHECK;

#endif

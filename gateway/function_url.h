/* SPDX-License-Identifier: MIT */
/* function_url.h - Lambda function URLs on the front door: a function with `url:` gets its
 * own HTTP endpoint, reached before any route.
 *
 * A request is a function URL's when its Host is NAME.lambda-url.localhost (any port; curl
 * and browsers resolve *.localhost to loopback) or URL-ID.lambda-url.REGION.on.aws (AWS's
 * form, for clients pointed at fngate through /etc/hosts or a proxy), or when its path
 * starts with /_fngate/url/NAME (for clients that cannot choose the Host; the rest of the
 * path is the function's). The function receives Lambda's function URL event (payload 2.0
 * with routeKey "$default", apiId and domainName of the URL, accountId "anonymous" for
 * NONE, requestContext.authorizer.iam for AWS_IAM, no pathParameters) and its answer maps
 * back by the 2.0 rules (triggers/apigw.h). Refusals and failures are answered as Lambda
 * answers them: 403 {"Message":"Forbidden. ..."}, 502 Internal Server Error, 429.
 *
 * The url-id is derived from the account, region and function name (as Lambda derives it
 * from the account among other things), so it is the same on every start and machine with
 * the same configuration: 32 lower-case letters and digits, as AWS's are. Pure functions
 * but for the signature check's key cache; any thread. Tests: tests/unit/test_function_url.c,
 * tests/integration/test_function_url.py. */
#ifndef FG_FUNCTION_URL_H
#define FG_FUNCTION_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../router/invocation.h"
#include "../triggers/apigw.h"
#include "invoke_auth.h"

#define FG_FUNCTION_URL_ID_LEN 32
/* The path prefix that names a function URL on any Host (reserved: no route may use /_fngate/). */
#define FG_FUNCTION_URL_PATH "/_fngate/url/"

/* The url-id of function name under conf's account and region. */
void fg_function_url_id(const struct fg_config *conf, const char *name, char out[FG_FUNCTION_URL_ID_LEN + 1]);

/* "URL-ID.lambda-url.REGION.on.aws" into out (always ended). */
void fg_function_url_domain(const struct fg_config *conf, const char *name, char *out, size_t size);

/* The URL fngate prints for function name: "SCHEME://NAME.lambda-url.localhost:PORT/" on
 * the front door's port (always ended). */
void fg_function_url_of(const struct fg_config *conf, const char *name, int port, char *out, size_t size);

enum fg_function_url_host {
    FG_FURL_HOST_OTHER = 0,     /* not a function URL's host */
    FG_FURL_HOST_NAME,          /* NAME.lambda-url.localhost: label is the function's name */
    FG_FURL_HOST_ID,            /* URL-ID.lambda-url.REGION.on.aws: label is the url-id */
};

/* What a Host header value (NULL allowed) says: the kind, and the first label in label
 * (at most size - 1 bytes, else OTHER). Case-insensitive; a port and a final dot are
 * ignored. */
enum fg_function_url_host fg_function_url_parse_host(const char *host, char *label, size_t size);

/* The function URL a request names. */
struct fg_function_url_target {
    const struct fg_conf_function *fn;  /* borrowed from conf; NULL: no function has that URL */
    const char *path;                   /* the path the function sees: within the raw URI given
                                         * to match (up to its '?'), or "/" */
};

/* Whether a request (Host header value or NULL, raw URI as sent, query included) is for a
 * function URL: true with *t filled (t->fn NULL when the URL does not exist or the function
 * has no `url:`), false when it is not (the Invoke API and routes take it). Borrows both. */
bool fg_function_url_match(const struct fg_config *conf, const char *host, const char *raw_uri,
                           struct fg_function_url_target *t);

/* A request for an existing function URL: who calls (AWS_IAM: a SigV4 signature checked by
 * auth, then lambda:InvokeFunctionUrl for a role's credentials), then the event. req is the
 * request as the function sees it (raw_path the target's path); caller is the request as
 * sent (what was signed). 0 with the event appended to event; else < 0 with *refusal filled
 * (caller-embedded; close it): 403 refused, 400 a method or path that cannot be an event,
 * 413 too large. */
int fg_function_url_prepare(struct fg_invoke_auth *auth, const struct fg_config *conf,
                            const struct fg_function_url_target *t, const struct fg_http_request *req,
                            const struct fg_invoke_caller *caller, struct fg_buf *event,
                            struct fg_http_response *refusal) FG_MUST_CHECK;

/* Lambda's answer for a function URL that does not exist (404). resp caller-embedded. */
void fg_function_url_not_found(struct fg_http_response *resp);

/* The answer for a finished invocation (takes nothing from inv): the function's response
 * by the 2.0 rules, or 502 Internal Server Error for an error, a timeout or an unusable
 * response (with debug_errors: the error JSON, 504 for a timeout), 429 throttled, 500
 * when fngate could not run it. x-amzn-RequestId is the invocation's. */
void fg_function_url_result(const struct fg_invocation *inv, bool debug_errors, struct fg_http_response *resp);

#endif

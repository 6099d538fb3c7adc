/* SPDX-License-Identifier: MIT */
/* invoke_api.h - the Lambda Invoke API: POST /2015-03-31/functions/{name}/invocations.
 *
 * Parses what the caller asked (function, invocation type, log type) and renders results
 * and errors in the REST-JSON shapes AWS SDKs and the AWS CLI parse: error type in
 * x-amzn-ErrorType and the body {"Type","message"}, a function error as 200 with
 * X-Amz-Function-Error. Pure functions, any thread. Tests: tests/unit/test_invoke_api.c,
 * tests/integration (AWS CLI). */
#ifndef FG_INVOKE_API_H
#define FG_INVOKE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../router/invocation.h"

#define FG_INVOKE_API_PREFIX "/2015-03-31/functions/"
/* InvokeWithResponseStream: POST /2021-11-15/functions/{name}/response-streaming-invocations */
#define FG_INVOKE_API_STREAM_PREFIX "/2021-11-15/functions/"

enum fg_invoke_type {
    FG_INVOKE_REQUEST_RESPONSE = 0,
    FG_INVOKE_EVENT,
    FG_INVOKE_DRY_RUN,
};

/* Extracts the function name from a raw request path (Invoke's or InvokeWithResponseStream's):
 * a name, a partial or full ARN, with an optional ":qualifier" (only $LATEST exists in
 * fngate). 0, -ENOENT when the path is not an invocations path, -EINVAL with a message in
 * err for a malformed name or qualifier. */
int fg_invoke_api_function(const char *raw_path, char *name, size_t name_size, struct fg_err *err);

/* Whether raw_path is under InvokeWithResponseStream's prefix. */
bool fg_invoke_api_streaming(const char *raw_path);

/* X-Amz-Invocation-Type header → type (NULL = RequestResponse). -EINVAL for others. */
int fg_invoke_api_type(const char *header, enum fg_invoke_type *type);

/* One rendered answer: status, headers, body (owned; free with fg_invoke_api_answer_close). */
struct fg_invoke_answer {
    int status;
    const char *error_type;          /* static; also the x-amzn-ErrorType header */
    const char *function_error;      /* static; X-Amz-Function-Error */
    char retry_after[16];            /* Retry-After seconds, "" when none */
    char log_result[8192];           /* base64 tail, "" when not asked */
    struct fg_buf body;
};

/* An error the gateway raises itself (404, 400, 413, 429, 500, 501). */
void fg_invoke_api_error(struct fg_invoke_answer *a, int status, const char *error_type,
                         const char *message, const char *reason);

/* A call refused before it reached the function (signature, browser, Host): AWS's
 * signature layer answers the type in x-amzn-ErrorType and the body {"message"} alone. */
void fg_invoke_api_refusal(struct fg_invoke_answer *a, int status, const char *error_type, const char *message);

/* The answer for a finished invocation. Takes inv's result buffer. arn names the function
 * in a not-found message. */
void fg_invoke_api_result(struct fg_invoke_answer *a, struct fg_invocation *inv, const char *arn);

void fg_invoke_api_answer_close(struct fg_invoke_answer *a);

#endif

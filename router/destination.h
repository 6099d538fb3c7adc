/* SPDX-License-Identifier: MIT */
/* destination.h - what an async event leaves behind: Lambda's destination record, and the
 * CloudEvents envelope an HTTP destination receives.
 *
 * The record is the one AWS sends to OnSuccess / OnFailure destinations (version 1.0,
 * requestContext with condition and approximateInvokeCount, requestPayload,
 * responseContext, responsePayload), so a function written as an AWS destination handler
 * runs unchanged. Pure functions. Tests: tests/unit/test_async.c. */
#ifndef FG_DESTINATION_H
#define FG_DESTINATION_H

#include "../core/buf.h"
#include "invocation.h"

struct fg_destination_info {
    const char *condition;          /* "Success", "RetriesExhausted", "EventAgeExceeded" */
    const char *request_id;
    const char *function_arn;       /* without qualifier; ":$LATEST" is appended */
    int invoke_count;               /* approximateInvokeCount */
    const char *request_payload;    /* JSON text */
    size_t request_len;
    const struct fg_invocation *last;  /* the last attempt, or NULL when none ran */
    long long now_ms;
};

/* Appends the destination record to out. 0 or a fg_buf error. */
int fg_destination_record(struct fg_buf *out, const struct fg_destination_info *d) FG_MUST_CHECK;

/* Appends a CloudEvents 1.0 structured-mode envelope around the record: id = the record's
 * own id, source = the function ARN, type = "fngate.lambda.destination.CONDITION",
 * subject = the original request id. 0 or a fg_buf error. */
int fg_destination_cloudevent(struct fg_buf *out, const char *id, const struct fg_destination_info *d,
                              const char *record, size_t record_len) FG_MUST_CHECK;

/* Copies errorType and errorMessage out of a Lambda error body (empty when absent). */
void fg_destination_error_fields(const char *body, size_t len, char *type, size_t type_size, char *msg,
                                 size_t msg_size);

#endif

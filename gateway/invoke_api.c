/* SPDX-License-Identifier: MIT */
/* invoke_api.c - Invoke API parsing and rendering (see invoke_api.h). */
#include "invoke_api.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../core/base64.h"
#include "../core/url.h"

int fg_invoke_api_function(const char *raw_path, char *name, size_t name_size, struct fg_err *err)
{
    const char *p, *end, *q;
    struct fg_buf dec;
    int rc = 0;

    bool stream = fg_invoke_api_streaming(raw_path);

    if (!stream && strncmp(raw_path, FG_INVOKE_API_PREFIX, sizeof(FG_INVOKE_API_PREFIX) - 1))
        return -ENOENT;
    p = raw_path + sizeof(FG_INVOKE_API_PREFIX) - 1;    /* both prefixes are this long */
    if (!(end = strchr(p, '/')) || strcmp(end, stream ? "/response-streaming-invocations" : "/invocations"))
        return -ENOENT;
    fg_buf_init(&dec, 1024);
    if (fg_url_decode(&dec, p, (size_t)(end - p), FG_URL_PERCENT) < 0 || !dec.len) {
        rc = fg_err_set(err, -EINVAL, "invalid function name");
        goto out;
    }
    p = dec.data;
    /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or ACCOUNT:function:NAME */
    if ((q = strstr(p, "function:")) && (q == p || q[-1] == ':'))
        p = q + 9;
    if ((q = strchr(p, ':'))) {
        if (strcmp(q + 1, "$LATEST")) {
            rc = fg_err_set(err, -EINVAL, "qualifier '%s' does not exist: fngate serves only $LATEST", q + 1);
            goto out;
        }
    } else {
        q = p + strlen(p);
    }
    if ((size_t)(q - p) >= name_size || q == p) {
        rc = fg_err_set(err, -EINVAL, "invalid function name");
        goto out;
    }
    memcpy(name, p, (size_t)(q - p));
    name[q - p] = '\0';
out:
    fg_buf_free(&dec);
    return rc;
}

bool fg_invoke_api_streaming(const char *raw_path)
{
    _Static_assert(sizeof(FG_INVOKE_API_PREFIX) == sizeof(FG_INVOKE_API_STREAM_PREFIX), "one prefix length");
    return !strncmp(raw_path, FG_INVOKE_API_STREAM_PREFIX, sizeof(FG_INVOKE_API_STREAM_PREFIX) - 1);
}

int fg_invoke_api_type(const char *header, enum fg_invoke_type *type)
{
    if (!header || !strcmp(header, "RequestResponse"))
        *type = FG_INVOKE_REQUEST_RESPONSE;
    else if (!strcmp(header, "Event"))
        *type = FG_INVOKE_EVENT;
    else if (!strcmp(header, "DryRun"))
        *type = FG_INVOKE_DRY_RUN;
    else
        return -EINVAL;
    return 0;
}

static void answer_init(struct fg_invoke_answer *a, int status)
{
    memset(a, 0, sizeof(*a));
    a->status = status;
    fg_buf_init(&a->body, FG_PAYLOAD_SYNC_MAX_BYTES + 8192);
}

void fg_invoke_api_error(struct fg_invoke_answer *a, int status, const char *error_type,
                         const char *message, const char *reason)
{
    json_t *o;
    char *s;

    answer_init(a, status);
    a->error_type = error_type;
    o = json_pack("{s:s,s:s}", "Type", status >= 500 ? "Service" : "User", "message", message);
    if (o && reason)
        json_object_set_new(o, "Reason", json_string(reason));
    if (o && (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        if (fg_buf_append(&a->body, s, strlen(s)) < 0)
            fg_buf_reset(&a->body);
        free(s);
    }
    json_decref(o);
}

void fg_invoke_api_refusal(struct fg_invoke_answer *a, int status, const char *error_type, const char *message)
{
    json_t *o;
    char *s;

    answer_init(a, status);
    a->error_type = error_type;
    o = json_pack("{s:s}", "message", message);
    if (o && (s = json_dumps(o, JSON_COMPACT))) {
        if (fg_buf_append(&a->body, s, strlen(s)) < 0)
            fg_buf_reset(&a->body);
        free(s);
    }
    json_decref(o);
}

void fg_invoke_api_result(struct fg_invoke_answer *a, struct fg_invocation *inv, const char *arn)
{
    char msg[512];

    switch (inv->status) {
    case FG_INV_NOT_FOUND:
        snprintf(msg, sizeof(msg), "Function not found: %s", arn);
        fg_invoke_api_error(a, 404, "ResourceNotFoundException", msg, NULL);
        return;
    case FG_INV_THROTTLED:
        fg_invoke_api_error(a, 429, "TooManyRequestsException", "Rate Exceeded.", inv->throttle_reason);
        snprintf(a->retry_after, sizeof(a->retry_after), "%d", inv->retry_after_s > 0 ? inv->retry_after_s : 1);
        return;
    case FG_INV_SERVICE_ERROR:
        fg_invoke_api_error(a, 500, "ServiceException",
                            inv->result.len ? inv->result.data : "fngate could not run the function", NULL);
        return;
    default:
        break;
    }
    answer_init(a, 200);
    a->function_error = fg_invocation_function_error(inv);
    fg_buf_free(&a->body);
    a->body = inv->result;
    fg_buf_init(&inv->result, 0);
    if (inv->want_log_tail && inv->log_tail.len) {
        struct fg_buf b64;
        fg_buf_keep_tail(&inv->log_tail, FG_LOG_TAIL_BYTES);
        fg_buf_init(&b64, sizeof(a->log_result) - 1);
        if (fg_base64_encode(&b64, inv->log_tail.data, inv->log_tail.len) == 0)
            memcpy(a->log_result, b64.data, b64.len + 1);
        fg_buf_free(&b64);
    }
}

void fg_invoke_api_answer_close(struct fg_invoke_answer *a)
{
    fg_buf_free(&a->body);
}

/* SPDX-License-Identifier: MIT */
/* destination.c - destination records and their CloudEvents envelope (see destination.h). */
#include "destination.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"

#define W(expr)                 \
    do {                        \
        int rc_ = (expr);       \
        if (rc_ < 0)            \
            return rc_;         \
    } while (0)

static int dest_lit(struct fg_buf *b, const char *s)
{
    return fg_buf_append(b, s, strlen(s));
}

/* JSON text goes in as it is; anything else becomes a JSON string. */
static int dest_json_value(struct fg_buf *b, const char *p, size_t n)
{
    json_t *j;
    if (!p || !n)
        return dest_lit(b, "null");
    if ((j = json_loadb(p, n, JSON_DECODE_ANY, NULL))) {
        json_decref(j);
        return fg_buf_append(b, p, n);
    }
    return fg_json_write_str(b, p, n);
}

int fg_destination_record(struct fg_buf *out, const struct fg_destination_info *d)
{
    char ts[32], num[32];

    fg_log_iso_time(ts, d->now_ms);
    W(dest_lit(out, "{\"version\":\"1.0\",\"timestamp\":"));
    W(fg_json_write_str(out, ts, strlen(ts)));
    W(dest_lit(out, ",\"requestContext\":{\"requestId\":"));
    W(fg_json_write_str(out, d->request_id, strlen(d->request_id)));
    W(dest_lit(out, ",\"functionArn\":\""));
    W(fg_json_write_escaped(out, d->function_arn, strlen(d->function_arn)));
    W(dest_lit(out, ":$LATEST\",\"condition\":"));
    W(fg_json_write_str(out, d->condition, strlen(d->condition)));
    snprintf(num, sizeof(num), "%d", d->invoke_count);
    W(dest_lit(out, ",\"approximateInvokeCount\":"));
    W(dest_lit(out, num));
    W(dest_lit(out, "},\"requestPayload\":"));
    W(dest_json_value(out, d->request_payload, d->request_len));
    if (d->last) {
        const char *ferr = fg_invocation_function_error(d->last);
        W(dest_lit(out, ",\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\""));
        if (ferr) {
            W(dest_lit(out, ",\"functionError\":"));
            W(fg_json_write_str(out, ferr, strlen(ferr)));
        }
        W(dest_lit(out, "},\"responsePayload\":"));
        W(dest_json_value(out, d->last->result.data, d->last->result.len));
    }
    return dest_lit(out, "}");
}

int fg_destination_cloudevent(struct fg_buf *out, const char *id, const struct fg_destination_info *d,
                              const char *record, size_t record_len)
{
    char ts[32];

    fg_log_iso_time(ts, d->now_ms);
    W(dest_lit(out, "{\"specversion\":\"1.0\",\"id\":"));
    W(fg_json_write_str(out, id, strlen(id)));
    W(dest_lit(out, ",\"source\":"));
    W(fg_json_write_str(out, d->function_arn, strlen(d->function_arn)));
    W(dest_lit(out, ",\"type\":\"fngate.lambda.destination."));
    W(fg_json_write_escaped(out, d->condition, strlen(d->condition)));
    W(dest_lit(out, "\",\"subject\":"));
    W(fg_json_write_str(out, d->request_id, strlen(d->request_id)));
    W(dest_lit(out, ",\"time\":"));
    W(fg_json_write_str(out, ts, strlen(ts)));
    W(dest_lit(out, ",\"datacontenttype\":\"application/json\",\"data\":"));
    W(fg_buf_append(out, record, record_len));
    return dest_lit(out, "}");
}

void fg_destination_error_fields(const char *body, size_t len, char *type, size_t type_size, char *msg,
                                 size_t msg_size)
{
    json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *t = j ? json_string_value(json_object_get(j, "errorType")) : NULL;
    const char *m = j ? json_string_value(json_object_get(j, "errorMessage")) : NULL;
    snprintf(type, type_size, "%s", t ? t : "");
    snprintf(msg, msg_size, "%s", m ? m : "");
    json_decref(j);
}

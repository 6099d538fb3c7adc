/* SPDX-License-Identifier: MIT */
/* destination.c - destination records and their CloudEvents envelope (see destination.h). */
#include "destination.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"

/* JSON text goes in as it is; anything else becomes a JSON string. */
static int dest_json_value(struct fg_buf *b, const char *p, size_t n)
{
    json_t *j;
    if (!p || !n)
        return fg_buf_append_str(b, "null");
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
    fg_buf_append_str(out, "{\"version\":\"1.0\",\"timestamp\":");
    fg_json_write_str(out, ts, strlen(ts));
    fg_buf_append_str(out, ",\"requestContext\":{\"requestId\":");
    fg_json_write_str(out, d->request_id, strlen(d->request_id));
    fg_buf_append_str(out, ",\"functionArn\":\"");
    fg_json_write_escaped(out, d->function_arn, strlen(d->function_arn));
    fg_buf_append_str(out, ":$LATEST\",\"condition\":");
    fg_json_write_str(out, d->condition, strlen(d->condition));
    snprintf(num, sizeof(num), "%d", d->invoke_count);
    fg_buf_append_str(out, ",\"approximateInvokeCount\":");
    fg_buf_append_str(out, num);
    fg_buf_append_str(out, "},\"requestPayload\":");
    dest_json_value(out, d->request_payload, d->request_len);
    if (d->last) {
        const char *ferr = fg_invocation_function_error(d->last);
        fg_buf_append_str(out, ",\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\"");
        if (ferr) {
            fg_buf_append_str(out, ",\"functionError\":");
            fg_json_write_str(out, ferr, strlen(ferr));
        }
        fg_buf_append_str(out, "},\"responsePayload\":");
        dest_json_value(out, d->last->result.data, d->last->result.len);
    }
    return fg_buf_append_str(out, "}");
}

int fg_destination_cloudevent(struct fg_buf *out, const char *id, const struct fg_destination_info *d,
                              const char *record, size_t record_len)
{
    char ts[32];

    fg_log_iso_time(ts, d->now_ms);
    fg_buf_append_str(out, "{\"specversion\":\"1.0\",\"id\":");
    fg_json_write_str(out, id, strlen(id));
    fg_buf_append_str(out, ",\"source\":");
    fg_json_write_str(out, d->function_arn, strlen(d->function_arn));
    fg_buf_append_str(out, ",\"type\":\"fngate.lambda.destination.");
    fg_json_write_escaped(out, d->condition, strlen(d->condition));
    fg_buf_append_str(out, "\",\"subject\":");
    fg_json_write_str(out, d->request_id, strlen(d->request_id));
    fg_buf_append_str(out, ",\"time\":");
    fg_json_write_str(out, ts, strlen(ts));
    fg_buf_append_str(out, ",\"datacontenttype\":\"application/json\",\"data\":");
    fg_buf_append(out, record, record_len);
    return fg_buf_append_str(out, "}");
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

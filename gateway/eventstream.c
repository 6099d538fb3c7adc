/* SPDX-License-Identifier: MIT */
/* eventstream.c - the event-stream messages InvokeWithResponseStream sends (see
 * eventstream.h). */
#include "eventstream.h"

#include <stdint.h>
#include <string.h>

#include "../core/crc32.h"
#include "../core/json_write.h"

static void es_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One string header, encoded into h (room for 3 + name + value bytes). Its length. */
static size_t es_header(unsigned char *h, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    h[0] = (unsigned char)nl;
    memcpy(h + 1, name, nl);
    h[1 + nl] = 7;                       /* string */
    h[2 + nl] = (unsigned char)(vl >> 8);
    h[3 + nl] = (unsigned char)vl;
    memcpy(h + 4 + nl, value, vl);
    return 4 + nl + vl;
}

/* One event message: its three headers, then payload. */
static int es_event(struct fg_buf *out, const char *event_type, const char *content_type, const void *payload,
                    size_t len)
{
    unsigned char head[12 + FG_EVENTSTREAM_OVERHEAD_BYTES], crc[4];
    size_t hl = 0, total;
    uint32_t c;

    hl += es_header(head + 12 + hl, ":event-type", event_type);
    hl += es_header(head + 12 + hl, ":content-type", content_type);
    hl += es_header(head + 12 + hl, ":message-type", "event");
    total = 12 + hl + len + 4;
    es_u32(head, (uint32_t)total);
    es_u32(head + 4, (uint32_t)hl);
    es_u32(head + 8, fg_crc32(0, head, 8));
    c = fg_crc32(fg_crc32(0, head, 12 + hl), payload, len);
    es_u32(crc, c);
    fg_buf_append(out, head, 12 + hl);
    fg_buf_append(out, payload, len);
    return fg_buf_append(out, crc, 4);
}

int fg_eventstream_payload_chunk(struct fg_buf *out, const void *p, size_t n)
{
    const char *b = p;
    int rc = out->err;

    while (n && !rc) {
        size_t k = n < FG_EVENTSTREAM_PAYLOAD_MAX_BYTES ? n : FG_EVENTSTREAM_PAYLOAD_MAX_BYTES;
        rc = es_event(out, "PayloadChunk", "application/octet-stream", b, k);
        b += k;
        n -= k;
    }
    return rc;
}

/* ,"Name":"value" (or without the comma first) when value is not empty. */
static void es_member(struct fg_buf *j, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    if (j->len > 1)
        fg_buf_append(j, ",", 1);
    fg_json_write_key(j, name);
    fg_json_write_str(j, value, strlen(value));
}

int fg_eventstream_invoke_complete(struct fg_buf *out, const char *error_code, const char *error_details,
                                   const char *log_result)
{
    struct fg_buf j;
    int rc;

    fg_buf_init(&j, 64 * 1024);
    fg_buf_append(&j, "{", 1);
    es_member(&j, "ErrorCode", error_code);
    es_member(&j, "ErrorDetails", error_details);
    es_member(&j, "LogResult", log_result);
    if ((rc = fg_buf_append(&j, "}", 1)) == 0)
        rc = es_event(out, "InvokeComplete", "application/json", j.data, j.len);
    fg_buf_free(&j);
    return rc;
}

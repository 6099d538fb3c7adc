/* SPDX-License-Identifier: MIT */
/* s3_event.c - S3 event notification records (see s3_event.h). */
#include "s3_event.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"

int fg_s3_key_encode(struct fg_buf *out, const char *key, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        char esc[3];
        int rc;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr("-_.*/", c)))
            rc = fg_buf_append(out, &key[i], 1);
        else if (c == ' ')
            rc = fg_buf_append(out, "+", 1);
        else {
            esc[0] = '%';
            esc[1] = hex[c >> 4];
            esc[2] = hex[c & 15];
            rc = fg_buf_append(out, esc, 3);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

void fg_s3_sequencer(unsigned long long seq, char out[17])
{
    snprintf(out, 17, "%016llX", seq);
}

#define W(expr)                 \
    do {                        \
        int rc_ = (expr);       \
        if (rc_ < 0)            \
            return rc_;         \
    } while (0)

static int s3_str(struct fg_buf *b, const char *s)
{
    return fg_json_write_str(b, s ? s : "", s ? strlen(s) : 0);
}

static int s3_lit(struct fg_buf *b, const char *s)
{
    return fg_buf_append(b, s, strlen(s));
}

int fg_s3_event(struct fg_buf *out, const struct fg_s3_event_info *e)
{
    bool removed = !strncmp(e->event_name, "ObjectRemoved", 13);
    char when[32], num[32];

    fg_log_iso_time(when, e->time_ms);
    W(s3_lit(out, "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":"));
    W(s3_str(out, e->region));
    W(s3_lit(out, ",\"eventTime\":"));
    W(s3_str(out, when));
    W(s3_lit(out, ",\"eventName\":"));
    W(s3_str(out, e->event_name));
    W(s3_lit(out, ",\"userIdentity\":{\"principalId\":\"fngate\"},\"requestParameters\":{\"sourceIPAddress\":"));
    W(s3_str(out, e->source_ip ? e->source_ip : "127.0.0.1"));
    W(s3_lit(out, "},\"responseElements\":{\"x-amz-request-id\":"));
    W(s3_str(out, e->request_id));
    W(s3_lit(out, ",\"x-amz-id-2\":"));
    W(s3_str(out, e->request_id));
    W(s3_lit(out, "},\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":"));
    W(s3_str(out, e->config_id));
    W(s3_lit(out, ",\"bucket\":{\"name\":"));
    W(s3_str(out, e->bucket));
    W(s3_lit(out, ",\"ownerIdentity\":{\"principalId\":\"fngate\"},\"arn\":\"arn:aws:s3:::"));
    W(fg_json_write_escaped(out, e->bucket, strlen(e->bucket)));
    W(s3_lit(out, "\"},\"object\":{\"key\":\""));
    /* The encoded key is ASCII with no quote or backslash: it needs no JSON escaping. */
    W(fg_s3_key_encode(out, e->key, strlen(e->key)));
    W(s3_lit(out, "\""));
    if (!removed) {
        snprintf(num, sizeof(num), "%lld", e->size);
        W(s3_lit(out, ",\"size\":"));
        W(s3_lit(out, num));
        W(s3_lit(out, ",\"eTag\":"));
        W(s3_str(out, e->etag));
    }
    W(s3_lit(out, ",\"sequencer\":"));
    W(s3_str(out, e->sequencer));
    return s3_lit(out, "}}}]}");
}

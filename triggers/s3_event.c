/* SPDX-License-Identifier: MIT */
/* s3_event.c - S3 event notification records (see s3_event.h). */
#include "s3_event.h"

#include <errno.h>
#include <jansson.h>

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

static int s3_str(struct fg_buf *b, const char *s)
{
    return fg_json_write_str(b, s ? s : "", s ? strlen(s) : 0);
}

int fg_s3_event(struct fg_buf *out, const struct fg_s3_event_info *e)
{
    bool removed = !strncmp(e->event_name, "ObjectRemoved", 13);
    char when[32], num[32];

    fg_log_iso_time(when, e->time_ms);
    fg_buf_append_str(out, "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":");
    s3_str(out, e->region);
    fg_buf_append_str(out, ",\"eventTime\":");
    s3_str(out, when);
    fg_buf_append_str(out, ",\"eventName\":");
    s3_str(out, e->event_name);
    fg_buf_append_str(out, ",\"userIdentity\":{\"principalId\":\"fngate\"},\"requestParameters\":{\"sourceIPAddress\":");
    s3_str(out, e->source_ip ? e->source_ip : "127.0.0.1");
    fg_buf_append_str(out, "},\"responseElements\":{\"x-amz-request-id\":");
    s3_str(out, e->request_id);
    fg_buf_append_str(out, ",\"x-amz-id-2\":");
    s3_str(out, e->request_id);
    fg_buf_append_str(out, "},\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":");
    s3_str(out, e->config_id);
    fg_buf_append_str(out, ",\"bucket\":{\"name\":");
    s3_str(out, e->bucket);
    fg_buf_append_str(out, ",\"ownerIdentity\":{\"principalId\":\"fngate\"},\"arn\":\"arn:aws:s3:::");
    fg_json_write_escaped(out, e->bucket, strlen(e->bucket));
    fg_buf_append_str(out, "\"},\"object\":{\"key\":\"");
    /* The encoded key is ASCII with no quote or backslash: it needs no JSON escaping. */
    fg_s3_key_encode(out, e->key, strlen(e->key));
    fg_buf_append_str(out, "\"");
    if (!removed) {
        snprintf(num, sizeof(num), "%lld", e->size);
        fg_buf_append_str(out, ",\"size\":");
        fg_buf_append_str(out, num);
        fg_buf_append_str(out, ",\"eTag\":");
        s3_str(out, e->etag);
    }
    fg_buf_append_str(out, ",\"sequencer\":");
    s3_str(out, e->sequencer);
    return fg_buf_append_str(out, "}}}]}");
}

bool fg_s3_event_match(const struct fg_filter *f, const char *event, size_t len)
{
    json_t *doc;
    bool pass;
    if (!f)
        return true;
    doc = json_loadb(event, len, 0, NULL);
    pass = doc && fg_filter_match(f, json_array_get(json_object_get(doc, "Records"), 0));
    json_decref(doc);
    return pass;
}

int fg_s3_event_new(const struct fg_s3_event_info *e, const struct fg_filter *f, const char *function,
                    size_t max_bytes, struct fg_async_event **out)
{
    struct fg_buf b;
    int rc;

    *out = NULL;
    fg_buf_init(&b, max_bytes);
    if ((rc = fg_s3_event(&b, e)) == 0 && !fg_s3_event_match(f, b.data, b.len))
        rc = FG_S3_EVENT_FILTERED;
    if (rc == 0 && !(*out = fg_async_event_new(function, NULL, b.data, b.len)))
        rc = -ENOMEM;
    fg_buf_free(&b);
    return rc;
}

int fg_s3_event_kinds_parse(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                            struct fg_conf_pos kpos, void *field)
{
    struct fg_s3_event_kinds *kinds = field;
    struct fy_node *item;
    void *it = NULL;
    const char *s;
    int rc;

    kinds->created = kinds->removed = false;
    while ((item = fg_conf_list_next(p, val, kpos, k->name, "events: [created, removed]", &it, &rc))) {
        if ((rc = fg_conf_string(p, item, kpos, k->name, &s)) < 0)
            return rc;
        if (!strcmp(s, "created") || !strcmp(s, "s3:ObjectCreated:*"))
            kinds->created = true;
        else if (!strcmp(s, "removed") || !strcmp(s, "s3:ObjectRemoved:*"))
            kinds->removed = true;
        else
            return fg_conf_fail(p, fg_conf_node_pos(item, kpos), "%s: unknown event '%s' (created, removed)", k->name, s);
    }
    return rc;
}

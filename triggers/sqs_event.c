/* SPDX-License-Identifier: MIT */
/* sqs_event.c - SQS and SNS record shapes (see sqs_event.h). */
#include "sqs_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/md5.h"

/* The body: the `body` field, else the JSON object of every field. */
static int sqs_body(struct fg_buf *tmp, const struct fg_sqs_msg *m, const char **body, size_t *len)
{
    int rc;
    *body = NULL;
    *len = 0;
    for (size_t i = 0; i + 1 < m->n_fields; i += 2)
        if (m->lens[i] == 4 && !memcmp(m->fields[i], "body", 4)) {
            *body = m->fields[i + 1];
            *len = m->lens[i + 1];
            return 1;
        }
    fg_buf_append(tmp, "{", 1);
    for (size_t i = 0; i + 1 < m->n_fields; i += 2) {
        if (i)
            fg_buf_append(tmp, ",", 1);
        fg_json_write_text(tmp, m->fields[i], m->lens[i]);
        fg_buf_append(tmp, ":", 1);
        fg_json_write_text(tmp, m->fields[i + 1], m->lens[i + 1]);
    }
    if ((rc = fg_buf_append(tmp, "}", 1)) < 0)
        return rc;
    *body = tmp->data;
    *len = tmp->len;
    return 0;
}

int fg_sqs_record(struct fg_buf *b, const struct fg_sqs_source *src, const struct fg_sqs_msg *m)
{
    struct fg_buf tmp;
    struct fg_md5 md5;
    unsigned char digest[16];
    char hex[33], num[512];
    const char *body;
    size_t body_len;
    int has_body, rc;

    fg_buf_init(&tmp, 64u << 20);
    if ((rc = has_body = sqs_body(&tmp, m, &body, &body_len)) < 0)
        goto out;
    fg_md5_init(&md5);
    fg_md5_update(&md5, body, body_len);
    fg_md5_final(&md5, digest);
    fg_md5_hex(digest, hex);
    if ((rc = fg_buf_append_str(b, "{\"messageId\":")) < 0 || (rc = fg_json_write_str(b, m->id, strlen(m->id))) < 0 ||
        (rc = fg_buf_append_str(b, ",\"receiptHandle\":")) < 0)
        goto out;
    snprintf(num, sizeof(num), "%s/%s/", src->stream, src->group);
    if ((rc = fg_buf_append(b, "\"", 1)) < 0 || (rc = fg_json_write_escaped(b, num, strlen(num))) < 0 ||
        (rc = fg_json_write_escaped(b, m->id, strlen(m->id))) < 0 ||
        (rc = fg_buf_append_str(b, "\",\"body\":")) < 0 || (rc = fg_json_write_text(b, body, body_len)) < 0)
        goto out;
    snprintf(num, sizeof(num), ",\"attributes\":{\"ApproximateReceiveCount\":\"%d\",\"SentTimestamp\":\"%lld\","
             "\"SenderId\":\"redis\",\"ApproximateFirstReceiveTimestamp\":\"%lld\"},\"messageAttributes\":{",
             m->receive_count, atoll(m->id), m->now_ms);
    if ((rc = fg_buf_append_str(b, num)) < 0)
        goto out;
    for (size_t i = 0, k = 0; has_body && i + 1 < m->n_fields; i += 2) {
        if (m->lens[i] == 4 && !memcmp(m->fields[i], "body", 4))
            continue;
        if ((k++ && (rc = fg_buf_append(b, ",", 1)) < 0) || (rc = fg_json_write_text(b, m->fields[i], m->lens[i])) < 0 ||
            (rc = fg_buf_append_str(b, ":{\"stringValue\":")) < 0 ||
            (rc = fg_json_write_text(b, m->fields[i + 1], m->lens[i + 1])) < 0 ||
            (rc = fg_buf_append_str(b, ",\"stringListValues\":[],\"binaryListValues\":[],\"dataType\":\"String\"}")) < 0)
            goto out;
    }
    if ((rc = fg_buf_append_str(b, "},\"md5OfBody\":\"")) < 0 || (rc = fg_buf_append_str(b, hex)) < 0 ||
        (rc = fg_buf_append_str(b, "\",\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\"arn:aws:sqs:")) < 0)
        goto out;
    snprintf(num, sizeof(num), "%s:%s:", src->region, src->account_id);
    if ((rc = fg_buf_append_str(b, num)) < 0 || (rc = fg_json_write_escaped(b, src->stream, strlen(src->stream))) < 0 ||
        (rc = fg_buf_append_str(b, "\",\"awsRegion\":\"")) < 0 || (rc = fg_buf_append_str(b, src->region)) < 0 ||
        (rc = fg_buf_append_str(b, "\"}")) < 0)
        goto out;
out:
    fg_buf_free(&tmp);
    return rc < 0 ? rc : 0;
}

int fg_sns_event(struct fg_buf *b, const char *region, const char *account_id, const char *channel,
                 const char *function, const char *message_id, const char *msg, size_t len, long long now_ms)
{
    char ts[32], arn[512];
    fg_log_iso_time(ts, now_ms);
    snprintf(arn, sizeof(arn), "arn:aws:sns:%s:%s:", region, account_id);
    fg_buf_append_str(b, "{\"Records\":[{\"EventVersion\":\"1.0\",\"EventSubscriptionArn\":\"");
    fg_buf_append_str(b, arn);
    fg_json_write_escaped(b, channel, strlen(channel));
    fg_buf_append(b, ":", 1);
    fg_json_write_escaped(b, function, strlen(function));
    fg_buf_append_str(b, "\",\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\",\"MessageId\":\"");
    fg_buf_append_str(b, message_id);
    fg_buf_append_str(b, "\",\"TopicArn\":\"");
    fg_buf_append_str(b, arn);
    fg_json_write_escaped(b, channel, strlen(channel));
    fg_buf_append_str(b, "\",\"Subject\":null,\"Message\":");
    fg_json_write_text(b, msg, len);
    fg_buf_append_str(b, ",\"Timestamp\":\"");
    fg_buf_append_str(b, ts);
    /* Handlers that validate the record (Powertools' parser) need URLs here. fngate does not
     * sign its messages, so they name a host that cannot resolve (RFC 6761's .invalid) in
     * SNS's form rather than AWS's, which would look like a real certificate. */
    fg_buf_append_str(b, "\",\"SignatureVersion\":\"1\",\"Signature\":\"\",\"SigningCertUrl\":\"https://sns.");
    fg_json_write_escaped(b, region, strlen(region));
    fg_buf_append_str(b, ".fngate.invalid/SimpleNotificationService-fngate.pem\",\"UnsubscribeUrl\":\"https://sns.");
    fg_json_write_escaped(b, region, strlen(region));
    fg_buf_append_str(b, ".fngate.invalid/?Action=Unsubscribe&SubscriptionArn=");
    fg_buf_append_str(b, arn);
    fg_json_write_escaped(b, channel, strlen(channel));
    fg_buf_append(b, ":", 1);
    fg_json_write_escaped(b, function, strlen(function));
    return fg_buf_append_str(b, "\",\"MessageAttributes\":{}}}]}");
}

json_t *fg_filter_view(const char *record, size_t len, const char *field)
{
    json_t *doc = json_loadb(record, len, 0, NULL), *v, *parsed;
    const char *s;
    if (!doc)
        return NULL;
    if ((v = json_object_get(doc, field)) && (s = json_string_value(v)) &&
        (parsed = json_loadb(s, json_string_length(v), JSON_DECODE_ANY, NULL)))
        json_object_set_new(doc, field, parsed);
    return doc;
}

/* SPDX-License-Identifier: MIT */
/* sqs_event.h - a Redis stream entry as an SQS record, a pub/sub message as an SNS record.
 *
 * Handlers written for SQS and SNS run unchanged: a stream entry's `body` field is the
 * message body and every other field a String message attribute (an entry without a
 * `body` field gets the JSON object of its fields as body); messageId is the entry id,
 * which is also the itemIdentifier of a partial batch answer. Values that are not UTF-8
 * are passed with U+FFFD in place of the bad bytes. Pure. Tests: tests/unit/test_poll.c. */
#ifndef FG_SQS_EVENT_H
#define FG_SQS_EVENT_H

#include <jansson.h>
#include <stddef.h>

#include "../core/buf.h"

struct fg_sqs_source {
    const char *stream, *group;
    const char *region, *account_id;
};

/* One stream entry: fields[2i] / fields[2i+1] are a name and its value (binary, lens). */
struct fg_sqs_msg {
    const char *id;
    const char *const *fields;
    const size_t *lens;
    size_t n_fields;               /* names + values */
    int receive_count;             /* 1 on the first delivery */
    long long now_ms;              /* when this receive happened */
};

/* Appends the SQS record (an element of Records[]) to b. 0 or a fg_buf error. */
int fg_sqs_record(struct fg_buf *b, const struct fg_sqs_source *src, const struct fg_sqs_msg *m) FG_MUST_CHECK;

/* The SNS notification event for one message on channel: {"Records":[{...}]}. message_id
 * and subscription name the delivery. 0 or a fg_buf error. */
int fg_sns_event(struct fg_buf *b, const char *region, const char *account_id, const char *channel,
                 const char *function, const char *message_id, const char *msg, size_t len,
                 long long now_ms) FG_MUST_CHECK;

/* What a filter pattern sees of a record: the record as JSON with field (e.g. "body")
 * replaced by its parsed value when it is JSON text. New reference, or NULL. */
json_t *fg_filter_view(const char *record, size_t len, const char *field);

#endif

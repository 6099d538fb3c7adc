/* SPDX-License-Identifier: MIT */
/* s3_event.h - the S3 event notification a function receives for an object change.
 *
 * The folder trigger and the S3-compatible endpoint describe objects the same way S3 does,
 * so a handler written for an S3 trigger (`event['Records'][0]['s3']['object']['key']`,
 * `unquote_plus` and all) runs unchanged. Both fire through fg_s3_event_new, so a record
 * that cannot be built whole (out of memory, over its ceiling) is never sent truncated.
 * Pure functions but for fg_s3_event_new, which allocates. Any thread.
 * Tests: tests/unit/test_s3_event.c. */
#ifndef FG_S3_EVENT_H
#define FG_S3_EVENT_H

#include <stdbool.h>

#include "../config/conf_key.h"
#include "../core/buf.h"
#include "../core/filter.h"
#include "../router/store.h"

/* `events: [created, removed]` (or S3's names s3:ObjectCreated:*, s3:ObjectRemoved:*) of
 * an fs or s3 event. */
struct fg_s3_event_kinds {
    bool created, removed;
};

/* The FG_CONF_CUSTOM parser of that key: field is a struct fg_s3_event_kinds. */
int fg_s3_event_kinds_parse(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                            struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

struct fg_s3_event_info {
    const char *event_name;     /* "ObjectCreated:Put", "ObjectRemoved:Delete", ... */
    const char *bucket;
    const char *key;            /* the raw key (UTF-8); encoded here as S3 does */
    long long size;             /* bytes; ignored for removals */
    const char *etag;           /* hex MD5; ignored for removals */
    const char *sequencer;      /* from fg_s3_sequencer() */
    long long time_ms;          /* epoch ms of the change */
    const char *region;
    const char *source_ip;      /* requestParameters.sourceIPAddress */
    const char *config_id;      /* s3.configurationId: the trigger's name */
    const char *request_id;     /* responseElements.x-amz-request-id */
};

/* Appends {"Records":[{...}]} for one change. 0 or a fg_buf error. */
int fg_s3_event(struct fg_buf *out, const struct fg_s3_event_info *e) FG_MUST_CHECK;

/* Whether the record of event (as fg_s3_event wrote it) passes filter f (`filter_criteria`
 * of an fs or s3 event; NULL passes everything). */
bool fg_s3_event_match(const struct fg_filter *f, const char *event, size_t len);

/* fg_s3_event_new's answer when filter f does not pass the record. */
#define FG_S3_EVENT_FILTERED 1

/* The async event that delivers e's record to function: the record is built in a buffer
 * of at most max_bytes (FG_PAYLOAD_ASYNC_MAX_BYTES but in tests) and must pass f (NULL
 * passes all). Borrows its arguments. 0 and an owned event in *out (free it with
 * fg_async_event_free, or hand it to fg_router_submit_async); FG_S3_EVENT_FILTERED; or
 * -FG_ETOOBIG (over max_bytes) or -ENOMEM. Only with 0 is *out not NULL: no partial record
 * ever leaves this call. */
int fg_s3_event_new(const struct fg_s3_event_info *e, const struct fg_filter *f, const char *function,
                    size_t max_bytes, struct fg_async_event **out) FG_MUST_CHECK;

/* Appends key encoded as S3 notifications encode keys (form encoding: a space is '+',
 * everything but A-Z a-z 0-9 - _ . * / is %XX). 0 or a fg_buf error. */
int fg_s3_key_encode(struct fg_buf *out, const char *key, size_t n);

/* The sequencer for change number seq: 16 upper-case hex digits, so later changes of a key
 * compare greater (as strings), as S3's sequencers do. */
void fg_s3_sequencer(unsigned long long seq, char out[17]);

#endif

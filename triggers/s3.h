/* SPDX-License-Identifier: MIT */
/* s3.h - the s3 trigger: objects written through fngate's S3-compatible endpoint fire S3
 * events (`- s3: ...`).
 *
 * The endpoint (gateway/s3_api.c) speaks S3 and stores objects; when a write is done it
 * reports the change here with plain arguments (bucket, key, event name, size, eTag) and
 * answers its client once the notifier says every event is committed, so an acknowledged
 * upload always fires. The notifier decides what fires: each `- s3:` event whose bucket,
 * kinds, prefix, suffix and filter match, and nothing when a folder trigger watches the
 * object's file (fg_fs_watches: the folder fires then, so one object is one event). The
 * adapter itself runs nothing (new is NULL): the endpoint owns the notifier.
 * Tests: tests/unit/test_s3_event.c (the record), tests/integration/test_s3.py. */
#ifndef FG_S3_H
#define FG_S3_H

#include "s3_event.h"
#include "trigger.h"

/* `- s3: ...` (ev->conf). */
struct fg_conf_s3_event {
    const char *bucket;
    const char *name;        /* s3.configurationId; default FUNCTION-s3-N */
    struct fg_s3_event_kinds events;  /* default [s3:ObjectCreated:*] */
    const char *prefix, *suffix;
};

extern const struct fg_trigger_ops fg_s3_trigger;

/* Whether an object change (created or removed) of bucket/key fires event e. */
bool fg_s3_trigger_matches(const struct fg_conf_s3_event *e, const char *bucket, const char *key, bool created);

struct fg_s3_notifier;

/* The notifier of every `- s3:` event of conf (their filters compiled). Borrows conf and
 * router for its life. 0 and an owned notifier in *out (fg_s3_notifier_free), or a
 * negative code with err filled. */
int fg_s3_notifier_new(const struct fg_config *conf, struct fg_router *router, struct fg_s3_notifier **out,
                       struct fg_err *err) FG_MUST_CHECK;

/* NULL allowed. After the last fg_s3_notify call returned and its callback ran. */
void fg_s3_notifier_free(struct fg_s3_notifier *n);

/* The end of one fg_s3_notify call's events: rc 0 when every one is durably committed, else
 * the first error (an event that could not be built, submitted or committed). Runs once, on
 * the state store's writer thread. */
typedef void fg_s3_notified_fn(void *arg, int rc);

/* fg_s3_notify's answer when cb will run. */
#define FG_S3_NOTIFY_PENDING 1

/* Any thread. The object bucket/key (raw, UTF-8) changed: event_name is S3's
 * ("ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete"),
 * size (bytes) and etag (hex, without quotes) describe a created object, request_id is the
 * endpoint's x-amz-request-id, source_ip the client's (NULL: 127.0.0.1). Everything is
 * borrowed for the call. Submits the event of each `- s3:` that fires (see the top).
 * FG_S3_NOTIFY_PENDING: cb(arg, rc) runs once, later, when they are committed. 0: nothing
 * to wait for (none fired, or all are committed already). Negative: one that fired could
 * not be built, submitted or committed (the others may be stored). cb runs only after
 * FG_S3_NOTIFY_PENDING, never inside this call. */
int fg_s3_notify(struct fg_s3_notifier *n, const char *bucket, const char *key, const char *event_name,
                 long long size, const char *etag, const char *request_id, const char *source_ip,
                 fg_s3_notified_fn *cb, void *arg) FG_MUST_CHECK;

/* Loop thread (its counts are atomics): per `- s3:` event, the object changes it matched,
 * stored as events, filtered out and failed, as samples of one scrape (source_metrics.h).
 * 0 or p's error. */
int fg_s3_notifier_metrics(struct fg_s3_notifier *n, struct fg_prom *p);

#endif

/* SPDX-License-Identifier: MIT */
/* s3.h - the s3 trigger: objects written through fngate's S3-compatible endpoint fire S3
 * events (`- s3: ...`).
 *
 * The endpoint (gateway/s3_api.c) stores objects and asks this adapter which events a
 * change fires; the adapter itself runs nothing (new is NULL). Tests:
 * tests/integration/test_s3.py. */
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

#endif

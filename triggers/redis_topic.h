/* SPDX-License-Identifier: MIT */
/* redis_topic.h - `- topic:` sources: Redis pub/sub channels delivered like SNS.
 *
 * DESIGN: pub/sub keeps nothing, so a message is made durable the moment it arrives: one
 * async event per subscribed function (fan-out) through fg_router_submit_async, after which
 * the async path's retries, destinations and dead letters apply. One subscriber connection
 * per source, resubscribed after every reconnect (what is published while it is down is
 * not seen, as with any pub/sub subscriber). Loop thread only.
 * Tests: tests/integration/test_queue.py. */
#ifndef FG_REDIS_TOPIC_H
#define FG_REDIS_TOPIC_H

#include "trigger.h"

/* `- topic: ...`: Redis pub/sub, delivered like SNS (async, fan-out) (ev->conf). */
struct fg_conf_topic {
    const char *redis;
    const char *channel;         /* exactly one of channel and pattern */
    const char *pattern;         /* PSUBSCRIBE glob */
};

/* The adapter: one instance subscribes for every topic of the configuration (none: no
 * instance). */
extern const struct fg_trigger_ops fg_topic_trigger;

#endif

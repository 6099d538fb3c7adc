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

#include "../config/config.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "trigger.h"

/* Builds the trigger for every `topic` event of conf. Borrows conf, router and loop. 0 and
 * an owned trigger in *out (NULL when there are none), or a negative code with err filled. */
int fg_topic_trigger_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                         struct fg_trigger **out, struct fg_err *err) FG_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/* redis_queue.h - `- queue:` sources: Redis streams consumed like SQS queues.
 *
 * DESIGN: a message is acknowledged (XACK) only after the function succeeded with it, so a
 * crash, a timeout or a lost connection leaves it in the group's pending list, and it comes
 * back once it has been idle for visibility_timeout (XPENDING IDLE + XCLAIM, which also
 * counts the receive). A message received more than max_receive_count times moves to the
 * dead-letter stream and is acknowledged in one MULTI/EXEC. Each source reads on one
 * connection (XREADGROUP blocks it) and writes on another, both kept up by redis.c.
 * Loop thread only. Tests: tests/integration/test_queue.py. */
#ifndef FG_REDIS_QUEUE_H
#define FG_REDIS_QUEUE_H

#include "../config/config.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "trigger.h"

/* Builds the trigger for every `queue` event of conf (filters compiled, URLs parsed).
 * Borrows conf, router and loop for its life. 0 and an owned trigger in *out (NULL when
 * there are no queues), or a negative code with err filled. */
int fg_queue_trigger_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                         struct fg_trigger **out, struct fg_err *err) FG_MUST_CHECK;

#endif

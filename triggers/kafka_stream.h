/* SPDX-License-Identifier: MIT */
/* kafka_stream.h - `- stream:` sources: Kafka topics consumed like Kinesis streams or
 * Lambda's self-managed Kafka event source.
 *
 * DESIGN: records of a partition run in order, one batch at a time per partition (per key
 * lane with parallelization_factor > 1), and an offset is stored for commit only once
 * every record before it succeeded, was filtered out, or was handed to the on-failure
 * destination (durably: the commit waits for the store). A failed batch is retried (split
 * in halves first with bisect_batch_on_function_error) until maximum_retry_attempts or
 * maximum_record_age give it up. When partitions are revoked, their running batches are
 * finished (or abandoned after the function's timeout, uncommitted) and the finished
 * prefix is committed before the revoke completes, so a rebalance neither skips nor
 * replays a committed record.
 *
 * Threads: one consumer thread per source owns the librdkafka consumer, the partitions and
 * the batches; it submits invocations to the router (any-thread API) and learns of their
 * end through a completion list it is woken for. /_fngate/streams shows its counts and the
 * offsets the broker took (the commit callback, on the consumer thread, under the source's
 * lock). Tests: tests/integration/test_stream.py. */
#ifndef FG_KAFKA_STREAM_H
#define FG_KAFKA_STREAM_H

#include "../config/config.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "trigger.h"

/* Builds the trigger for every `stream` event of conf. Borrows conf, router and loop. 0
 * and an owned trigger in *out (NULL when there are none), or a negative code with err
 * filled (a librdkafka property it refuses, a filter). */
int fg_stream_trigger_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                          struct fg_trigger **out, struct fg_err *err) FG_MUST_CHECK;

#endif

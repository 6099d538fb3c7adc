/* SPDX-License-Identifier: MIT */
/* source_metrics.h - what every event source reports in GET /metrics, under family names
 * shared by all adapters (fngate_source_received_total{trigger="queue",source="orders",
 * function="Orders"}), so one query or dashboard covers queues, topics, streams, folders,
 * S3 events and schedules alike.
 *
 * An adapter fills one struct per source from its own counters and hands it here from its
 * metrics slot (trigger.h); figures it does not have stay FG_SOURCE_NONE and get no sample.
 * Tests: tests/integration/test_metrics.py. */
#ifndef FG_SOURCE_METRICS_H
#define FG_SOURCE_METRICS_H

#include "../core/prom.h"

/* A figure the source does not have. */
#define FG_SOURCE_NONE (-1)

struct fg_source_figures {
    const char *trigger;        /* the adapter's name ("queue"), borrowed */
    const char *source;         /* the source's own name: stream, channel, topic, folder,
                                 * S3 configuration id, schedule; borrowed */
    const char *function;       /* borrowed */
    long long received;         /* delivered to fngate, before the filter, redeliveries too */
    long long acknowledged;     /* finished: acknowledged (queues), committed (streams), stored
                                 * as an async event (schedules, folders, S3, topics) */
    long long failed;           /* failed: the function failed them, or they could not be stored */
    long long filtered;         /* dropped by the filter */
    long long redelivered;      /* delivered again after a failed attempt */
    long long given_up;         /* moved to the dead-letter stream or on-failure destination */
    double iterator_age_s;      /* age of the oldest record received and not finished, from the
                                 * record's own time (CloudWatch IteratorAge); < 0: none */
    int up;                     /* connected to its server: 1 or 0; FG_SOURCE_NONE: no server */
};

/* Every figure FG_SOURCE_NONE, the names set (borrowed until fg_source_metrics). */
void fg_source_figures_init(struct fg_source_figures *f, const char *trigger, const char *source,
                            const char *function);

/* Loop thread: f's samples into p. */
void fg_source_metrics(struct fg_prom *p, const struct fg_source_figures *f);

#endif

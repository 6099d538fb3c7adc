/* SPDX-License-Identifier: MIT */
/* source_metrics.c - the per-source families every adapter shares (see source_metrics.h). */
#include "source_metrics.h"

void fg_source_figures_init(struct fg_source_figures *f, const char *trigger, const char *source,
                            const char *function)
{
    *f = (struct fg_source_figures){
        .trigger = trigger, .source = source, .function = function,
        .received = FG_SOURCE_NONE, .acknowledged = FG_SOURCE_NONE, .failed = FG_SOURCE_NONE,
        .filtered = FG_SOURCE_NONE, .redelivered = FG_SOURCE_NONE, .given_up = FG_SOURCE_NONE,
        .iterator_age_s = -1, .up = FG_SOURCE_NONE,
    };
}

static void source_sample(struct fg_prom *p, const char *name, enum fg_prom_type type, const char *help,
                          const struct fg_source_figures *f, double v)
{
    fg_prom_sample(fg_prom_family(p, name, type, help), v, "function", f->function, "trigger", f->trigger, "source",
                   f->source, NULL);
}

void fg_source_metrics(struct fg_prom *p, const struct fg_source_figures *f)
{
    if (f->received != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_received_total", FG_PROM_COUNTER,
                      "Messages, records, ticks or object changes the source delivered, before the filter, "
                      "redeliveries included", f, (double)f->received);
    if (f->acknowledged != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_acknowledged_total", FG_PROM_COUNTER,
                      "Finished: acknowledged (queues), committed (streams), stored as async events (schedules, "
                      "folders, S3 events, topics)", f, (double)f->acknowledged);
    if (f->failed != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_failed_total", FG_PROM_COUNTER,
                      "Failed: the function failed them (queue messages, stream records), or their event could not "
                      "be built or stored", f, (double)f->failed);
    if (f->filtered != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_filtered_total", FG_PROM_COUNTER, "Dropped by the event filter", f,
                      (double)f->filtered);
    if (f->redelivered != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_redelivered_total", FG_PROM_COUNTER,
                      "Delivered again after a failed attempt (queue messages claimed back, stream records retried)",
                      f, (double)f->redelivered);
    if (f->given_up != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_given_up_total", FG_PROM_COUNTER,
                      "Given up: moved to the dead-letter stream (queues) or sent to the on-failure destination "
                      "(streams)", f, (double)f->given_up);
    if (f->iterator_age_s >= 0)
        source_sample(p, "fngate_source_iterator_age_seconds", FG_PROM_GAUGE,
                      "Age of the oldest record received and not yet finished, from the record's own time; 0 when "
                      "none is pending (CloudWatch IteratorAge)", f, f->iterator_age_s);
    if (f->up != FG_SOURCE_NONE)
        source_sample(p, "fngate_source_up", FG_PROM_GAUGE, "1 when connected to the source's server", f, f->up);
}

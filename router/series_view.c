/* SPDX-License-Identifier: MIT */
/* series_view.c - the functions' rings as the admin API's JSON (see series_view.h).
 *
 * DESIGN: a point is merged from its minutes as it is written (one struct on the stack,
 * never the whole period), so an answer costs period/step merges of step minutes each, at
 * most 1440 minute reads, on the loop thread. Durations are averaged over the runs that had
 * one; p99 comes from the merged histograms (series.h states its error). asyncEventAgeMaxMs
 * is null in a point where no async attempt started; iteratorAgeMaxMs is null for a
 * function without a poll source (queue, stream) and 0 in a point where none of its
 * batches was invoked. */
#include "series_view.h"

#include <errno.h>
#include <stdio.h>

#include "../core/assert.h"
#include "../core/json_write.h"
#include "router_int.h"

/* Whether one of fn's events is a poll source (its batches have an iterator age). */
static bool view_has_poll(const struct fg_conf_function *c)
{
    for (size_t i = 0; i < c->n_events; i++)
        if (c->events[i].type && c->events[i].type->poll)
            return true;
    return false;
}

/* A gauge's value in a point, or "null". */
static const char *view_max(char *tmp, size_t size, long long v)
{
    if (v < 0)
        return "null";
    snprintf(tmp, size, "%lld", v);
    return tmp;
}

/* A duration in ms with two decimals, or "null". */
static const char *view_ms(char *tmp, size_t size, double v)
{
    if (v < 0)
        return "null";
    snprintf(tmp, size, "%.2f", v);
    return tmp;
}

static int view_point(struct fg_buf *out, const struct fg_series_point *pt, bool poll, bool first)
{
    char avg[32], p99[32], age[32], iter[32], line[512];
    long long it = pt->max[FG_SERIES_ITERATOR_AGE];
    int n;

    if (poll && it < 0)
        it = 0;
    n = snprintf(line, sizeof(line),
                 "%s{\"t\":%lld,\"invocations\":%llu,\"errors\":%llu,\"throttles\":%llu,\"durationAvgMs\":%s,"
                 "\"durationP99Ms\":%s,\"concurrentMax\":%lld,\"asyncEventAgeMaxMs\":%s,\"deadLetters\":%llu,"
                 "\"iteratorAgeMaxMs\":%s}",
                 first ? "" : ",", pt->t_ms, pt->count[FG_SERIES_INVOCATIONS], pt->count[FG_SERIES_ERRORS],
                 pt->count[FG_SERIES_THROTTLES],
                 view_ms(avg, sizeof(avg), pt->duration_count ? pt->duration_sum_ms / (double)pt->duration_count : -1),
                 view_ms(p99, sizeof(p99), fg_series_quantile(pt, 0.99)),
                 pt->max[FG_SERIES_CONCURRENT] > 0 ? pt->max[FG_SERIES_CONCURRENT] : 0,
                 view_max(age, sizeof(age), pt->max[FG_SERIES_ASYNC_AGE]), pt->count[FG_SERIES_DEAD_LETTERS],
                 poll ? view_max(iter, sizeof(iter), it) : "null");
    return fg_buf_append(out, line, (size_t)n);
}

int fg_series_view_function(struct fg_router *r, const char *name, const struct fg_series_period *p,
                            long long now_ms, struct fg_buf *out)
{
    struct fg_function *fn;
    struct fg_series_point pt;
    long long first = fg_series_first_minute(p, now_ms);
    char head[128];
    bool poll;
    int rc, n;

    FG_ASSERT(fg_loop_is_current(r->loop));
    if (!(fn = fg_router_function(r, name))) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no function named %s", name);
        rc = fg_json_write_message(out, msg);
        return rc < 0 ? rc : -ENOENT;
    }
    poll = view_has_poll(fn->conf);
    n = snprintf(head, sizeof(head), "{\"period\":\"%s\",\"stepMs\":%lld,\"points\":[", p->name,
                 p->step_minutes * FG_SERIES_MINUTE_MS);
    if ((rc = fg_buf_append(out, head, (size_t)n)) < 0)
        return rc;
    for (int i = 0; i < p->minutes / p->step_minutes; i++) {
        fg_series_merge(fn->series, first + (long long)i * p->step_minutes, p->step_minutes, &pt);
        if ((rc = view_point(out, &pt, poll, i == 0)) < 0)
            return rc;
    }
    return fg_buf_append_str(out, "]}");
}

int fg_series_view_summary(struct fg_router *r, const struct fg_series_period *p, long long now_ms,
                           struct fg_buf *out)
{
    long long first = fg_series_first_minute(p, now_ms);
    struct fg_series_point pt;
    bool any = false;
    int rc;

    FG_ASSERT(fg_loop_is_current(r->loop));
    if ((rc = fg_buf_append_str(out, "{\"functions\":{")) < 0)
        return rc;
    for (size_t i = 0; i < r->n_fns; i++) {
        const struct fg_function *fn = r->fns[i];
        char line[160];
        int n;
        if (fn->removed)
            continue;
        fg_series_merge(fn->series, first, p->minutes, &pt);
        if ((rc = fg_json_write_field(out, any ? "," : "", fn->conf->name)) < 0)
            return rc;
        n = snprintf(line, sizeof(line), ":{\"invocations\":%llu,\"errors\":%llu,\"throttles\":%llu}",
                     pt.count[FG_SERIES_INVOCATIONS], pt.count[FG_SERIES_ERRORS], pt.count[FG_SERIES_THROTTLES]);
        if ((rc = fg_buf_append(out, line, (size_t)n)) < 0)
            return rc;
        any = true;
    }
    return fg_buf_append_str(out, "}}");
}

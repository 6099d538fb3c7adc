/* SPDX-License-Identifier: MIT */
/* schedule.c - the schedule trigger (see schedule.h). */
#include "schedule.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/heap.h"
#include "../core/id.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "source_metrics.h"

static const struct fg_conf_event_type sched_conf;

/* A tick this late (or later) counts as missed, and the catch_up policy decides. */
#define SCHED_GRACE_S 60
/* Missed ticks fired at once under `catch_up: all`, per schedule and wake-up. */
#define SCHED_CATCH_UP_MAX 10000
/* Fire latency histogram: 1 ms buckets up to 10 s, then one overflow bucket. */
#define SCHED_LAT_BUCKETS 10001

struct sched_entry {
    struct fg_heap_node hnode;          /* key: next fire in ms */
    const struct fg_conf_function *fn;
    const struct fg_conf_schedule *conf;
    const struct fg_tz *tz;             /* shared, owned by the trigger */
    long long next;                     /* epoch s, -1 = never again */
    long long last;                     /* epoch s: every tick up to here is handled */
    long long last_fire;                /* epoch s of the last fire known, -1 = none (shown) */
    long long fired;                    /* fires since start, catch-up ones included (shown) */
    long long skipped;                  /* missed ticks the catch-up policy did not fire */
    atomic_llong stored, failed;        /* fires committed or refused by the store (store thread) */
};

struct sched_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct sched_entry *e;
    size_t n;
    struct fg_tz **zones;
    size_t n_zones;
    struct fg_heap heap;
    struct event *timer;
    struct fg_idgen ids;
    bool running;
    long long fired, skipped;           /* loop thread */
    atomic_llong failed;                /* fires the store refused (store thread) */
    /* Latency of on-time fires, from the tick to the commit (store thread writes). */
    atomic_llong lat[SCHED_LAT_BUCKETS];
    atomic_llong lat_max, lat_sum;
};

/* What a commit callback needs to know about its fire. */
struct sched_fire_ctx {
    struct sched_trigger *t;
    struct sched_entry *e;
    long long due_ms;
    bool on_time;
};

#define ENTRY_OF(node) ((struct sched_entry *)((char *)(node) - offsetof(struct sched_entry, hnode)))

/* ------------------------------------------------------------------ the event */

int fg_schedule_event(struct fg_buf *out, const char *id, const char *name, long long due, const char *region,
                      const char *account)
{
    char when[32], head[512];
    int n, rc;

    fg_tz_format(when, due, 0);
    n = snprintf(head, sizeof(head),
                 "{\"version\":\"0\",\"id\":\"%s\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\","
                 "\"account\":\"%s\",\"time\":\"%s\",\"region\":\"%s\",\"resources\":[\"arn:aws:events:%s:%s:rule/",
                 id, account, when, region, region, account);
    if ((rc = fg_buf_append(out, head, (size_t)n)) < 0 || (rc = fg_json_write_escaped(out, name, strlen(name))) < 0)
        return rc;
    return fg_buf_append(out, "\"],\"detail\":{}}", 15);
}

/* ------------------------------------------------------------------ firing */

static void sched_on_committed(void *arg, int rc)
{
    struct sched_fire_ctx *c = arg;
    struct sched_trigger *t = c->t;
    if (rc == -FG_EDUPLICATE) {
        /* A fleet's store: another node fired this tick first (each tick fires once). */
        fg_log(FG_LOG_DEBUG, "schedule", "%s: the tick at %lld was fired by another node", c->e->conf->name,
               c->due_ms / 1000);
    } else if (rc < 0) {
        atomic_fetch_add(&t->failed, 1);
        atomic_fetch_add_explicit(&c->e->failed, 1, memory_order_relaxed);
        fg_log(FG_LOG_ERROR, "schedule", "a fire could not be stored (%s); it is caught up after a restart",
               fg_strerror(rc));
    } else {
        atomic_fetch_add_explicit(&c->e->stored, 1, memory_order_relaxed);
        if (c->on_time) {
            long long ms = fg_now_ms() - c->due_ms, max = atomic_load(&t->lat_max);
            if (ms < 0)
                ms = 0;
            atomic_fetch_add(&t->lat[ms < SCHED_LAT_BUCKETS - 1 ? ms : SCHED_LAT_BUCKETS - 1], 1);
            atomic_fetch_add_explicit(&t->lat_sum, ms, memory_order_relaxed);
            while (ms > max && !atomic_compare_exchange_weak(&t->lat_max, &max, ms))
                ;
        }
    }
    free(c);
}

/* Fires tick `due` of e: one durable async event, and the tick as e's last fire in the
 * same commit. */
static void sched_fire(struct sched_trigger *t, struct sched_entry *e, long long due, bool on_time)
{
    struct sched_fire_ctx *ctx = malloc(sizeof(*ctx));
    struct fg_async_event *ev = NULL;
    struct fg_buf b;
    char id[FG_ID_LEN + 1];

    fg_buf_init(&b, FG_PAYLOAD_ASYNC_MAX_BYTES);
    fg_idgen_uuid4(&t->ids, id);
    if (e->conf->input ? fg_buf_append(&b, e->conf->input, strlen(e->conf->input)) == 0
                       : fg_schedule_event(&b, id, e->conf->name, due, t->conf->region, t->conf->account_id) == 0)
        ev = fg_async_event_new(e->fn->name, NULL, b.data, b.len);
    fg_buf_free(&b);
    if (!ev || !ctx || !(ev->mark.key = strdup(e->conf->name))) {
        fg_async_event_free(ev);
        free(ctx);
        fg_log(FG_LOG_ERROR, "schedule", "%s: out of memory: the tick at %lld was not fired", e->conf->name, due);
        return;
    }
    *ctx = (struct sched_fire_ctx){ t, e, due * 1000, on_time };
    ev->mark.kind = FG_MARK_SCHEDULE;
    ev->mark.a = due;
    if (fg_router_submit_async(t->router, ev, NULL, sched_on_committed, ctx) < 0) {
        /* The callback will not run: the context is ours to free (the event was freed). */
        free(ctx);
        fg_log(FG_LOG_WARN, "schedule", "%s: tick at %lld not fired: the gateway is stopping", e->conf->name, due);
        return;
    }
    t->fired++;
    e->fired++;
    e->last_fire = due;
}

/* Handles every tick of e due at or before now (epoch s): the one on-time tick fires;
 * missed ones follow catch_up. Then e->next is the first tick after now. */
static void sched_due(struct sched_trigger *t, struct sched_entry *e, long long now, bool starting)
{
    const struct fg_conf_schedule *c = e->conf;
    long long from = e->last, window = now - c->max_catch_up_s, latest = -1, tick;
    long long n_due = 0, n_fired = 0;

    if (from < window - 1)
        from = window - 1;               /* older ticks are past max_catch_up: skipped */
    if (c->expr.kind == FG_SCHED_RATE && c->catch_up != FG_CATCH_UP_ALL) {
        /* Only the latest matters: no need to walk a day of rate(1 second). */
        tick = now - (now % c->expr.rate_s + c->expr.rate_s) % c->expr.rate_s;
        if (tick > from) {
            latest = tick;
            n_due = (tick - from + c->expr.rate_s - 1) / c->expr.rate_s;
        }
    } else {
        for (tick = fg_sched_next(&c->expr, e->tz, from); tick >= 0 && tick <= now;
             tick = fg_sched_next(&c->expr, e->tz, tick)) {
            latest = tick;
            n_due++;
        }
    }
    if (latest >= 0) {
        bool late = now - latest > SCHED_GRACE_S || starting;
        if (n_due == 1 && !late) {
            sched_fire(t, e, latest, true);
            n_fired = 1;
        } else if (c->catch_up == FG_CATCH_UP_ALL) {
            for (tick = fg_sched_next(&c->expr, e->tz, from); tick >= 0 && tick <= now && n_fired < SCHED_CATCH_UP_MAX;
                 tick = fg_sched_next(&c->expr, e->tz, tick), n_fired++)
                sched_fire(t, e, tick, false);
        } else if (c->catch_up == FG_CATCH_UP_LAST || !late) {
            sched_fire(t, e, latest, false);
            n_fired = 1;
        }
        if (n_fired < n_due) {
            t->skipped += n_due - n_fired;
            e->skipped += n_due - n_fired;
            fg_log(FG_LOG_INFO, "schedule", "%s: %lld missed tick(s) %s (catch_up: %s)", c->name, n_due - n_fired,
                   n_fired ? "folded into one fire" : "skipped",
                   c->catch_up == FG_CATCH_UP_ALL ? "all" : c->catch_up == FG_CATCH_UP_LAST ? "last" : "none");
            if (!n_fired)
                fg_router_mark(t->router, FG_MARK_SCHEDULE, c->name, latest, 0);
        }
    }
    if (latest > e->last)
        e->last = latest;
    e->next = fg_sched_next(&c->expr, e->tz, e->last > now ? e->last : now);
}

static void sched_arm(struct sched_trigger *t)
{
    struct fg_heap_node *top = fg_heap_top(&t->heap);
    long long wait = 1000;
    struct timeval tv;

    if (!t->running)
        return;
    if (top) {
        long long d = top->key - fg_now_ms();
        if (d < wait)
            wait = d < 0 ? 0 : d;
    }
    /* At most a second: a clock jump is noticed within one. */
    tv.tv_sec = wait / 1000;
    tv.tv_usec = (wait % 1000) * 1000;
    evtimer_add(t->timer, &tv);
}

static void sched_push(struct sched_trigger *t, struct sched_entry *e)
{
    if (e->next < 0)
        return;                          /* at() in the past, or a cron that never matches again */
    e->hnode.key = e->next * 1000;
    if (fg_heap_push(&t->heap, &e->hnode) < 0)
        fg_log(FG_LOG_ERROR, "schedule", "%s: out of memory: not scheduled", e->conf->name);
}

static void sched_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct sched_trigger *t = arg;
    long long now_ms = fg_now_ms();
    struct fg_heap_node *top;

    long long fired = t->fired;

    (void)fd;
    (void)what;
    while ((top = fg_heap_top(&t->heap)) && top->key <= now_ms) {
        struct sched_entry *e = ENTRY_OF(fg_heap_pop(&t->heap));
        sched_due(t, e, now_ms / 1000, false);
        sched_push(t, e);
    }
    if (t->fired - fired > 100)
        fg_log(FG_LOG_DEBUG, "schedule", "%lld ticks fired in %lld ms", t->fired - fired, fg_now_ms() - now_ms);
    sched_arm(t);
}

/* ------------------------------------------------------------------ the trigger */

static int sched_start(struct fg_trigger *base, struct fg_err *err)
{
    struct sched_trigger *t = (struct sched_trigger *)base;
    long long now = fg_now_ms() / 1000;

    (void)err;
    t->running = true;
    for (size_t i = 0; i < t->n; i++) {
        struct sched_entry *e = &t->e[i];
        long long last;
        if (fg_router_last_fire(t->router, e->conf->name, &last)) {
            e->last = e->last_fire = last;
            /* The clock may be behind the stored last fire: never fire a tick twice. */
            if (fg_sched_next(&e->conf->expr, e->tz, last) <= now)
                sched_due(t, e, now, true);
            else
                e->next = fg_sched_next(&e->conf->expr, e->tz, last > now ? last : now);
        } else {
            /* First sight: nothing was missed before now. */
            e->last = now;
            fg_router_mark(t->router, FG_MARK_SCHEDULE, e->conf->name, now, 0);
            e->next = fg_sched_next(&e->conf->expr, e->tz, now);
        }
        sched_push(t, e);
    }
    if (t->n)
        fg_log(FG_LOG_INFO, "schedule", "%zu schedule(s) armed", t->n);
    sched_arm(t);
    return 0;
}

static void sched_stop(struct fg_trigger *base)
{
    struct sched_trigger *t = (struct sched_trigger *)base;
    t->running = false;
    if (t->timer)
        evtimer_del(t->timer);
}

static int sched_describe(struct fg_trigger *base, struct fg_buf *out)
{
    struct sched_trigger *t = (struct sched_trigger *)base;
    int rc;

    if ((rc = fg_buf_append(out, "{\"schedules\":[", 14)) < 0)
        return rc;
    for (size_t i = 0; i < t->n; i++) {
        struct sched_entry *e = &t->e[i];
        char last[32] = "", next[32] = "", line[512];
        int n;
        if (e->last_fire >= 0)
            fg_tz_format(last, e->last_fire, 0);
        if (e->next >= 0)
            fg_tz_format(next, e->next, 0);
        if ((rc = fg_buf_append(out, i ? "," : "", i ? 1 : 0)) < 0 || (rc = fg_buf_append(out, "{\"name\":", 8)) < 0 ||
            (rc = fg_json_write_str(out, e->conf->name, strlen(e->conf->name))) < 0 ||
            (rc = fg_buf_append(out, ",\"expression\":", 14)) < 0 ||
            (rc = fg_json_write_str(out, e->conf->expression, strlen(e->conf->expression))) < 0)
            return rc;
        n = snprintf(line, sizeof(line),
                     ",\"function\":\"%s\",\"timezone\":\"%s\",\"lastFire\":%s%s%s,\"nextFire\":%s%s%s,\"fired\":%lld}",
                     e->fn->name, fg_tz_name(e->tz), last[0] ? "\"" : "", last[0] ? last : "null",
                     last[0] ? "\"" : "", next[0] ? "\"" : "", next[0] ? next : "null", next[0] ? "\"" : "", e->fired);
        if ((rc = fg_buf_append(out, line, (size_t)n)) < 0)
            return rc;
    }
    long long total = 0, p50 = -1, p99 = -1, acc = 0;
    for (int i = 0; i < SCHED_LAT_BUCKETS; i++)
        total += atomic_load(&t->lat[i]);
    for (int i = 0; i < SCHED_LAT_BUCKETS && total; i++) {
        acc += atomic_load(&t->lat[i]);
        if (p50 < 0 && acc * 2 >= total)
            p50 = i;
        if (p99 < 0 && acc * 100 >= total * 99)
            p99 = i;
    }
    char tail[256];
    int n = snprintf(tail, sizeof(tail),
                     "],\"fired\":%lld,\"skipped\":%lld,\"failed\":%lld,"
                     "\"fireLatencyMs\":{\"count\":%lld,\"p50\":%lld,\"p99\":%lld,\"max\":%lld}}",
                     t->fired, t->skipped, (long long)atomic_load(&t->failed), total, p50 < 0 ? 0 : p50,
                     p99 < 0 ? 0 : p99, (long long)atomic_load(&t->lat_max));
    return fg_buf_append(out, tail, (size_t)n);
}

/* GET /metrics: per schedule, its fires (received: submitted, acknowledged: committed,
 * failed: refused by the store) and missed ticks; for all, the lateness of on-time fires
 * from the tick to the commit, from the 1 ms histogram the view's percentiles use. */
static int sched_metrics(struct fg_trigger *base, struct fg_prom *p)
{
    static const double bounds_ms[] = { 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 };
    enum { N = sizeof(bounds_ms) / sizeof(bounds_ms[0]) };
    struct sched_trigger *t = (struct sched_trigger *)base;
    struct fg_prom_family *missed = fg_prom_family(p, "fngate_schedule_missed_ticks_total", FG_PROM_COUNTER,
                                                   "Ticks missed while fngate was down or late that the catch_up "
                                                   "policy did not fire");
    unsigned long long counts[N + 1] = { 0 };
    double bounds_s[N];
    size_t k = 0;

    for (size_t i = 0; i < t->n; i++) {
        struct sched_entry *e = &t->e[i];
        struct fg_source_figures f;
        fg_source_figures_init(&f, base->ops->name, e->conf->name, e->fn->name);
        f.received = e->fired;
        f.acknowledged = atomic_load_explicit(&e->stored, memory_order_relaxed);
        f.failed = atomic_load_explicit(&e->failed, memory_order_relaxed);
        fg_source_metrics(p, &f);
        fg_prom_sample(missed, (double)e->skipped, "function", e->fn->name, "trigger", base->ops->name, "source",
                       e->conf->name, NULL);
    }
    for (int i = 0; i < SCHED_LAT_BUCKETS; i++) {
        while (k < N && i > bounds_ms[k])
            k++;
        counts[k] += (unsigned long long)atomic_load_explicit(&t->lat[i], memory_order_relaxed);
    }
    for (size_t b = 0; b < N; b++)
        bounds_s[b] = bounds_ms[b] / 1000.0;
    if (t->n)
        fg_prom_histogram(fg_prom_family(p, "fngate_schedule_fire_lateness_seconds", FG_PROM_HISTOGRAM,
                                         "On-time schedule fires: from the tick to the durable commit of its event"),
                          bounds_s, N, counts, atomic_load_explicit(&t->lat_sum, memory_order_relaxed) / 1000.0, NULL);
    return p->err;
}

static void sched_free(struct fg_trigger *base)
{
    struct sched_trigger *t = (struct sched_trigger *)base;
    if (!t)
        return;
    if (t->timer)
        event_free(t->timer);
    fg_heap_free(&t->heap);
    for (size_t i = 0; i < t->n_zones; i++)
        fg_tz_free(t->zones[i]);
    free(t->zones);
    free(t->e);
    free(t);
}

static int sched_zone(struct sched_trigger *t, const char *name, const struct fg_tz **out, struct fg_err *err)
{
    struct fg_tz *z, **grown;
    int rc;
    for (size_t i = 0; i < t->n_zones; i++) {
        if (!strcmp(fg_tz_name(t->zones[i]), name)) {
            *out = t->zones[i];
            return 0;
        }
    }
    if ((rc = fg_tz_load(name, &z, err)) < 0)
        return rc;
    if (!(grown = realloc(t->zones, (t->n_zones + 1) * sizeof(*grown)))) {
        fg_tz_free(z);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    t->zones = grown;
    t->zones[t->n_zones++] = z;
    *out = z;
    return 0;
}

static int sched_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                     struct fg_trigger **out, struct fg_err *err)
{
    struct sched_trigger *t = calloc(1, sizeof(*t));
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!t)
        return fg_err_set(err, -ENOMEM, "out of memory");
    t->base.ops = &fg_schedule_trigger;
    t->conf = conf;
    t->router = router;
    fg_idgen_init(&t->ids);
    fg_heap_init(&t->heap);
    n = fg_conf_count_events(conf, &sched_conf);
    if (!(t->e = calloc(n ? n : 1, sizeof(*t->e))) || !(t->timer = evtimer_new(loop->base, sched_on_timer, t))) {
        sched_free(&t->base);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            struct sched_entry *e = &t->e[t->n];
            const struct fg_conf_schedule *sc = fn->events[j].conf;
            if (fn->events[j].type != &sched_conf || !sc->enabled)
                continue;
            e->fn = fn;
            e->conf = sc;
            e->next = e->last = e->last_fire = -1;
            if ((rc = sched_zone(t, e->conf->timezone, &e->tz, err)) < 0) {
                sched_free(&t->base);
                return rc;
            }
            t->n++;
        }
    }
    *out = &t->base;
    return 0;
}

/* ------------------------------------------------------------------ configuration */

static const char *const sched_catch_up_names[] = { "last", "none", "all", NULL };

static const struct fg_conf_key sched_keys[] = {
    { .name = "expression", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_schedule, expression) },
    { .name = "rate", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_schedule, expression) },
    { .name = "timezone", .type = FG_CONF_TIMEZONE, .offset = offsetof(struct fg_conf_schedule, timezone) },
    { .name = "name", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_schedule, name) },
    { .name = "description", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_schedule, description) },
    { .name = "input", .type = FG_CONF_JSON, .offset = offsetof(struct fg_conf_schedule, input) },
    { .name = "enabled", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_schedule, enabled) },
    { .name = "catch_up", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_schedule, catch_up),
      .names = sched_catch_up_names },
    { .name = "max_catch_up", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_schedule, max_catch_up_s),
      .min = 0, .max = 30 * 86400 },
    FG_CONF_KEY_END,
};

static void sched_conf_defaults(void *obj)
{
    struct fg_conf_schedule *sc = obj;
    sc->enabled = true;
    sc->timezone = "UTC";
    sc->max_catch_up_s = 3600;
}

static int sched_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_schedule *sc = ev->conf;
    char msg[512];
    int col;

    if (!sc->expression)
        return fg_conf_fail(p, ev->pos, "schedule: 'expression' is required, e.g. expression: cron(0 12 * * ? *)");
    sc->pos = fg_conf_value_pos(val, "expression", (struct fg_conf_pos){ 0, 0 });
    if (!sc->pos.line)
        sc->pos = fg_conf_value_pos(val, "rate", ev->pos);
    if (fg_sched_parse(sc->expression, true, &sc->expr, &col, msg, sizeof(msg)) < 0)
        return fg_conf_fail(p, (struct fg_conf_pos){ sc->pos.line, sc->pos.col + col - 1 }, "schedule %s: %s",
                            sc->expression, msg);
    if (!sc->name && !(sc->name = fg_conf_printf(p, "%s-schedule-%zu", ev->fn->name, ev->index)))
        return -ENOMEM;
    return 0;
}

static int sched_cmp_name(const void *a, const void *b)
{
    const struct fg_conf_schedule *x = *(const struct fg_conf_schedule *const *)a;
    const struct fg_conf_schedule *y = *(const struct fg_conf_schedule *const *)b;
    int c = strcmp(x->name, y->name);
    /* Equal names: the later one in the file is the duplicate. */
    return c ? c : x->pos.line != y->pos.line ? x->pos.line - y->pos.line : x->pos.col - y->pos.col;
}

/* Schedule names key their state (the last fire): they must be unique. Sorted, so 100,000
 * schedules check in n log n. */
static int sched_conf_check_all(struct fg_conf_parser *p, struct fg_config *conf)
{
    const struct fg_conf_schedule **all;
    size_t n = fg_conf_count_events(conf, &sched_conf), k = 0;
    int rc = 0;

    if (n < 2)
        return 0;
    if (!(all = malloc(n * sizeof(*all))))
        return -ENOMEM;
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++)
            if (conf->functions[i].events[j].type == &sched_conf)
                all[k++] = conf->functions[i].events[j].conf;
    qsort(all, n, sizeof(*all), sched_cmp_name);
    for (size_t i = 1; i < n && !rc; i++)
        if (!strcmp(all[i]->name, all[i - 1]->name))
            rc = fg_conf_fail(p, all[i]->pos, "duplicate schedule name '%s' (already used at %s:%d:%d)", all[i]->name,
                              conf->path, all[i - 1]->pos.line, all[i - 1]->pos.col);
    free(all);
    return rc;
}

/* {"type":"schedule","name","expression","timezone","nextFire"}: nextFire in epoch ms from
 * the running instance, null when it is disabled, over, or no instance runs. */
static int sched_console(struct fg_trigger *base, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct sched_trigger *t = (const struct sched_trigger *)base;
    const struct fg_conf_schedule *s = ev->conf;
    long long next = -1;
    char tail[64];
    int rc;

    for (size_t i = 0; t && i < t->n; i++)
        if (t->e[i].conf == s || !strcmp(t->e[i].conf->name, s->name))
            next = t->e[i].next;
    if (next >= 0)
        snprintf(tail, sizeof(tail), ",\"nextFire\":%lld}", next * 1000);
    else
        snprintf(tail, sizeof(tail), ",\"nextFire\":null}");
    if ((rc = fg_json_write_field(out, "{\"type\":\"schedule\",\"name\":", s->name)) < 0 ||
        (rc = fg_json_write_field(out, ",\"expression\":", s->expression)) < 0 ||
        (rc = fg_json_write_field(out, ",\"timezone\":", s->timezone ? s->timezone : "UTC")) < 0)
        return rc;
    return fg_buf_append_str(out, tail);
}

static void sched_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_schedule *sc = ev->conf;
    snprintf(out, size, "schedule: %s  (name %s, %s, catch_up %s within %d s%s%s)", sc->expression, sc->name,
             sc->timezone, sched_catch_up_names[sc->catch_up], sc->max_catch_up_s, sc->input ? ", custom input" : "",
             sc->enabled ? "" : ", disabled");
}

static const struct fg_conf_event_type sched_conf = {
    .kind = "schedule",
    .where = "schedule",
    .size = sizeof(struct fg_conf_schedule),
    .keys = sched_keys,
    .short_key = "expression",
    .defaults = sched_conf_defaults,
    .check = sched_conf_check,
    .check_all = sched_conf_check_all,
};

const struct fg_trigger_ops fg_schedule_trigger = {
    .name = "schedule",
    .conf = &sched_conf,
    .view = "schedules",
    .view_empty = "{\"schedules\":[]}",
    .new = sched_new,
    .start = sched_start,
    .stop = sched_stop,
    .describe = sched_describe,
    .metrics = sched_metrics,
    .free = sched_free,
    .summary = sched_summary,
    .console = sched_console,
};

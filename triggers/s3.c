/* SPDX-License-Identifier: MIT */
/* s3.c - the s3 trigger: which object changes fire, and firing them (see s3.h).
 *
 * DESIGN: fg_s3_notify runs on the endpoint's libmicrohttpd threads, so everything it
 * reads is fixed at start (the configuration, the compiled filters) and the only shared
 * state is the sequencer, an atomic. One change may fire several events whose commits come
 * back on the store's writer thread in any order; a batch counts them (plus one while the
 * call still submits) and the last to come back reports, so the caller hears once. */
#include "s3.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "fs.h"
#include "source_metrics.h"

/* ------------------------------------------------------------------ types */

struct fg_s3_notifier {
    const struct fg_config *conf;
    struct fg_router *router;
    atomic_ullong sequencer;         /* the next change's; starts at the clock (µs), so it grows across restarts */
    struct fg_filter **filters;      /* per `s3` event in configuration order; NULL entries pass all */
    struct s3_counts *counts;        /* per `s3` event, the same order */
    size_t n_filters;
};

/* One `s3` event's figures for GET /metrics (endpoint and store threads). */
struct s3_counts {
    atomic_llong received;           /* changes it matched */
    atomic_llong filtered, stored, failed;
};

/* One event fired: its batch, and whose figures its commit counts in. */
struct s3_fired {
    struct s3_batch *b;
    struct s3_counts *counts;
};

/* The events of one fg_s3_notify call. */
struct s3_batch {
    atomic_int pending;              /* events not committed yet, + 1 while fg_s3_notify runs */
    atomic_int rc;                   /* the first error; 0 while none */
    fg_s3_notified_fn *cb;
    void *arg;
};

static const struct fg_conf_event_type s3_conf;

/* ------------------------------------------------------------------ API */

bool fg_s3_trigger_matches(const struct fg_conf_s3_event *e, const char *bucket, const char *key, bool created)
{
    size_t kl = strlen(key), sl = e->suffix ? strlen(e->suffix) : 0;
    return !strcmp(e->bucket, bucket) && (created ? e->events.created : e->events.removed) &&
           (!e->prefix || !strncmp(key, e->prefix, strlen(e->prefix))) &&
           (!e->suffix || (kl >= sl && !strcmp(key + kl - sl, e->suffix)));
}

int fg_s3_notifier_new(const struct fg_config *conf, struct fg_router *router, struct fg_s3_notifier **out,
                       struct fg_err *err)
{
    struct fg_s3_notifier *n = calloc(1, sizeof(*n));
    int rc;

    *out = NULL;
    if (!n || !(n->filters = calloc(fg_conf_count_events(conf, &s3_conf) + 1, sizeof(*n->filters))) ||
        !(n->counts = calloc(fg_conf_count_events(conf, &s3_conf) + 1, sizeof(*n->counts)))) {
        if (n)
            free(n->filters);
        free(n);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    n->conf = conf;
    n->router = router;
    atomic_store(&n->sequencer, (unsigned long long)fg_now_ms() * 1000);
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++) {
            const struct fg_conf_event *ev = &conf->functions[i].events[j];
            if (ev->type != &s3_conf)
                continue;
            if (ev->filter.n && (rc = fg_filter_compile(ev->filter.patterns, ev->filter.n, &n->filters[n->n_filters],
                                                        err)) < 0) {
                fg_s3_notifier_free(n);
                return rc;
            }
            n->n_filters++;
        }
    *out = n;
    return 0;
}

void fg_s3_notifier_free(struct fg_s3_notifier *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_filters; i++)
        fg_filter_free(n->filters[i]);
    free(n->filters);
    free(n->counts);
    free(n);
}

static void s3_batch_fail(struct s3_batch *b, int rc)
{
    int none = 0;
    atomic_compare_exchange_strong(&b->rc, &none, rc);
}

/* fg_store_accept_fn of each event: the last one in reports. */
static void s3_on_committed(void *arg, int rc)
{
    struct s3_fired *fired = arg;
    struct s3_batch *b = fired->b;
    atomic_fetch_add_explicit(rc < 0 ? &fired->counts->failed : &fired->counts->stored, 1, memory_order_relaxed);
    free(fired);
    if (rc < 0)
        s3_batch_fail(b, rc);
    if (atomic_fetch_sub(&b->pending, 1) == 1) {
        b->cb(b->arg, atomic_load(&b->rc));
        free(b);
    }
}

int fg_s3_notify(struct fg_s3_notifier *n, const char *bucket, const char *key, const char *event_name,
                 long long size, const char *etag, const char *request_id, const char *source_ip,
                 fg_s3_notified_fn *cb, void *arg)
{
    const struct fg_config *conf = n->conf;
    bool created = !strncmp(event_name, "ObjectCreated", 13);
    struct s3_batch *b;
    char path[8192];
    int rc;

    snprintf(path, sizeof(path), "%s/%s/%s", conf->s3.root, bucket, key);
    if (!n->n_filters || fg_fs_watches(conf, path))
        return 0;
    if (!(b = calloc(1, sizeof(*b))))
        return -ENOMEM;
    atomic_init(&b->pending, 1);
    atomic_init(&b->rc, 0);
    b->cb = cb;
    b->arg = arg;
    for (size_t i = 0, k = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_s3_event *e = fn->events[j].conf;
            const struct fg_filter *filter;
            struct s3_counts *counts;
            struct fg_async_event *ev;
            struct s3_fired *fired;
            char seq[17];
            if (fn->events[j].type != &s3_conf)
                continue;
            counts = &n->counts[k];
            filter = n->filters[k++];
            if (!fg_s3_trigger_matches(e, bucket, key, created))
                continue;
            atomic_fetch_add_explicit(&counts->received, 1, memory_order_relaxed);
            fg_s3_sequencer(atomic_fetch_add(&n->sequencer, 1), seq);
            struct fg_s3_event_info info = {
                .event_name = event_name, .bucket = bucket, .key = key, .size = size, .etag = etag,
                .sequencer = seq, .time_ms = fg_now_ms(), .region = conf->region, .source_ip = source_ip,
                .config_id = e->name, .request_id = request_id,
            };
            if ((rc = fg_s3_event_new(&info, filter, fn->name, FG_PAYLOAD_ASYNC_MAX_BYTES, &ev)) == 0 &&
                !(fired = malloc(sizeof(*fired)))) {
                fg_async_event_free(ev);
                rc = -ENOMEM;
            }
            if (rc != 0) {
                atomic_fetch_add_explicit(rc < 0 ? &counts->failed : &counts->filtered, 1, memory_order_relaxed);
                if (rc < 0) {
                    fg_log(FG_LOG_ERROR, "s3", "%s/%s: the event for %s cannot be built: %s", bucket, key, fn->name,
                           fg_strerror(rc));
                    s3_batch_fail(b, rc);
                }
                continue;
            }
            *fired = (struct s3_fired){ b, counts };
            atomic_fetch_add(&b->pending, 1);
            if ((rc = fg_router_submit_async(n->router, ev, NULL, s3_on_committed, fired)) < 0) {
                free(fired);
                atomic_fetch_add_explicit(&counts->failed, 1, memory_order_relaxed);
                atomic_fetch_sub(&b->pending, 1);
                s3_batch_fail(b, rc);
            }
        }
    }
    /* Drops the call's own count: whoever takes the last one reports. */
    if (atomic_fetch_sub(&b->pending, 1) == 1) {
        rc = atomic_load(&b->rc);
        free(b);
        return rc;
    }
    return FG_S3_NOTIFY_PENDING;
}

int fg_s3_notifier_metrics(struct fg_s3_notifier *n, struct fg_prom *p)
{
    const struct fg_config *conf = n->conf;
    for (size_t i = 0, k = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_s3_event *e = fn->events[j].conf;
            struct s3_counts *c;
            struct fg_source_figures f;
            if (fn->events[j].type != &s3_conf)
                continue;
            c = &n->counts[k++];
            fg_source_figures_init(&f, fg_s3_trigger.name, e->name, fn->name);
            f.received = atomic_load_explicit(&c->received, memory_order_relaxed);
            f.acknowledged = atomic_load_explicit(&c->stored, memory_order_relaxed);
            f.failed = atomic_load_explicit(&c->failed, memory_order_relaxed);
            f.filtered = atomic_load_explicit(&c->filtered, memory_order_relaxed);
            fg_source_metrics(p, &f);
        }
    }
    return p->err;
}

/* ------------------------------------------------------------------ configuration */

static const struct fg_conf_key s3_keys[] = {
    { .name = "bucket", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_s3_event, bucket) },
    { .name = "name", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_s3_event, name) },
    { .name = "events", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_s3_event, events),
      .parse = fg_s3_event_kinds_parse },
    { .name = "prefix", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_s3_event, prefix) },
    { .name = "suffix", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_s3_event, suffix) },
    FG_CONF_KEY_END,
};

static void s3_conf_defaults(void *obj)
{
    ((struct fg_conf_s3_event *)obj)->events.created = true;
}

static int s3_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_s3_event *e = ev->conf;
    (void)val;
    if (!e->bucket)
        return fg_conf_fail(p, ev->pos, "s3: 'bucket' is required");
    if (!e->name && !(e->name = fg_conf_printf(p, "%s-s3-%zu", ev->fn->name, ev->index)))
        return -ENOMEM;
    return 0;
}

/* s3 events need the endpoint that fires them. */
static int s3_conf_check_all(struct fg_conf_parser *p, struct fg_config *conf)
{
    for (size_t i = 0; i < conf->n_functions && !conf->s3.enabled; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++)
            if (conf->functions[i].events[j].type == &s3_conf)
                return fg_conf_fail(p, conf->functions[i].events[j].pos,
                                    "function %s: s3 events come from fngate's S3 endpoint: add a top-level s3: {listen, root}",
                                    conf->functions[i].name);
    return 0;
}

static void s3_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_s3_event *e = ev->conf;
    snprintf(out, size, "s3: bucket %s  (name %s, events%s%s%s%s%s%s)", e->bucket, e->name,
             e->events.created ? " created" : "", e->events.removed ? " removed" : "", e->prefix ? ", prefix " : "",
             e->prefix ? e->prefix : "", e->suffix ? ", suffix " : "", e->suffix ? e->suffix : "");
}

/* {"type":"s3","bucket","events":[...]}: the events as S3's notification configuration
 * names them. */
static int s3_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_s3_event *e = ev->conf;
    int rc;
    (void)t;
    if ((rc = fg_json_write_field(out, "{\"type\":\"s3\",\"bucket\":", e->bucket)) < 0 ||
        (rc = fg_buf_append_str(out, ",\"events\":[")) < 0 ||
        (e->events.created && (rc = fg_buf_append_str(out, "\"s3:ObjectCreated:*\"")) < 0) ||
        (e->events.created && e->events.removed && (rc = fg_buf_append_str(out, ",")) < 0) ||
        (e->events.removed && (rc = fg_buf_append_str(out, "\"s3:ObjectRemoved:*\"")) < 0))
        return rc;
    return fg_buf_append_str(out, "]}");
}

static const struct fg_conf_event_type s3_conf = {
    .kind = "s3",
    .where = "s3 event",
    .size = sizeof(struct fg_conf_s3_event),
    .keys = s3_keys,
    .short_key = "bucket",
    .filterable = true,
    .defaults = s3_conf_defaults,
    .check = s3_conf_check,
    .check_all = s3_conf_check_all,
};

const struct fg_trigger_ops fg_s3_trigger = {
    .name = "s3",
    .conf = &s3_conf,
    .summary = s3_summary,
    .console = s3_console,
};

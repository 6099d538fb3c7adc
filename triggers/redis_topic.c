/* SPDX-License-Identifier: MIT */
/* redis_topic.c - Redis pub/sub as SNS: subscribe, build the SNS event, submit it durably
 * (see redis_topic.h). */
#include "redis_topic.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/filter.h"
#include "../core/id.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../config/conf_state.h"
#include "redis.h"
#include "source_metrics.h"
#include "trigger_console.h"
#include "sqs_event.h"

static const struct fg_conf_event_type rt_conf;

struct rt_source {
    struct rt_trigger *t;
    const struct fg_conf_function *fn;
    const struct fg_conf_topic *topic;
    struct fg_filter *filter;
    struct fg_redis rd;
    atomic_llong received, accepted, refused, filtered;
};

struct rt_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct fg_loop *loop;
    struct fg_idgen ids;
    struct rt_source *src;
    size_t n;
    bool stopped;
};

/* Store thread: the event is committed (or could not be, which only a full disk does). */
static void rt_on_accepted(void *arg, int rc)
{
    struct rt_source *s = arg;
    if (rc == 0) {
        s->accepted++;
        return;
    }
    s->refused++;
    fg_log(FG_LOG_ERROR, "topic", "%s: a message for %s could not be stored: %s", s->rd.label, s->fn->name,
           strerror(-rc));
}

static void rt_deliver(struct rt_source *s, const char *channel, const char *msg, size_t len)
{
    struct fg_buf ev;
    struct fg_async_event *ae;
    char id[FG_ID_LEN + 1];
    int rc;

    s->received++;
    if (s->filter) {
        /* The SNS message body is what a pattern sees, parsed when it is JSON (as SNS's
         * MessageBody filter scope). */
        json_t *doc = json_loadb(msg, len, JSON_DECODE_ANY, NULL);
        bool pass = doc && fg_filter_match(s->filter, doc);
        json_decref(doc);
        if (!pass) {
            s->filtered++;
            return;
        }
    }
    fg_idgen_uuid4(&s->t->ids, id);
    fg_buf_init(&ev, FG_PAYLOAD_ASYNC_MAX_BYTES);
    if (fg_sns_event(&ev, s->t->conf->region, s->t->conf->account_id, channel, s->fn->name, id, msg, len,
                     fg_now_ms()) < 0 ||
        !(ae = fg_async_event_new(s->fn->name, NULL, ev.data, ev.len))) {
        fg_log(FG_LOG_ERROR, "topic", "%s: a %zu-byte message is over the 1 MB async limit or memory ran out; dropped",
               s->rd.label, len);
        s->refused++;
        fg_buf_free(&ev);
        return;
    }
    fg_buf_free(&ev);
    if ((rc = fg_router_submit_async(s->t->router, ae, NULL, rt_on_accepted, s)) < 0 && rc != -FG_ESHUTDOWN)
        fg_log(FG_LOG_ERROR, "topic", "%s: cannot submit to %s: %s", s->rd.label, s->fn->name, strerror(-rc));
}

/* Every pub/sub push: ["subscribe", ch, n], ["message", ch, payload] or
 * ["pmessage", pattern, ch, payload]. */
static void rt_on_message(redisAsyncContext *ac, void *r, void *priv)
{
    struct rt_source *s = priv;
    redisReply *reply = r;
    (void)ac;
    if (!reply || s->t->stopped || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    if (reply->elements == 3 && !strcmp(reply->element[0]->str, "message"))
        rt_deliver(s, reply->element[1]->str, reply->element[2]->str, reply->element[2]->len);
    else if (reply->elements == 4 && !strcmp(reply->element[0]->str, "pmessage"))
        rt_deliver(s, reply->element[2]->str, reply->element[3]->str, reply->element[3]->len);
}

static void rt_on_state(struct fg_redis *rd, bool up, void *arg)
{
    struct rt_source *s = arg;
    const char *which = s->topic->channel ? s->topic->channel : s->topic->pattern;
    if (!up)
        return;
    if (fg_redis_command(rd, rt_on_message, s, 2,
                         (const char *[]){ s->topic->channel ? "SUBSCRIBE" : "PSUBSCRIBE", which }, NULL) < 0)
        fg_log(FG_LOG_WARN, "topic", "%s: cannot subscribe", rd->label);
}

static int rt_start(struct fg_trigger *base, struct fg_err *err)
{
    struct rt_trigger *t = (struct rt_trigger *)base;
    (void)err;
    for (size_t i = 0; i < t->n; i++)
        fg_redis_start(&t->src[i].rd);
    return 0;
}

static void rt_stop(struct fg_trigger *base)
{
    struct rt_trigger *t = (struct rt_trigger *)base;
    if (t->stopped)
        return;
    t->stopped = true;
    for (size_t i = 0; i < t->n; i++)
        fg_redis_close(&t->src[i].rd);
}

static int rt_metrics(struct fg_trigger *base, struct fg_prom *p)
{
    struct rt_trigger *t = (struct rt_trigger *)base;
    for (size_t i = 0; i < t->n; i++) {
        struct rt_source *s = &t->src[i];
        struct fg_source_figures f;
        fg_source_figures_init(&f, base->ops->name, s->topic->channel ? s->topic->channel : s->topic->pattern,
                               s->fn->name);
        f.received = atomic_load_explicit(&s->received, memory_order_relaxed);
        f.acknowledged = atomic_load_explicit(&s->accepted, memory_order_relaxed);
        f.failed = atomic_load_explicit(&s->refused, memory_order_relaxed);
        f.filtered = atomic_load_explicit(&s->filtered, memory_order_relaxed);
        f.up = s->rd.up;
        fg_source_metrics(p, &f);
    }
    return p->err;
}

static int rt_describe(struct fg_trigger *base, struct fg_buf *out)
{
    struct rt_trigger *t = (struct rt_trigger *)base;
    char line[1024];
    fg_buf_append_str(out, "[");
    for (size_t i = 0; i < t->n; i++) {
        struct rt_source *s = &t->src[i];
        fg_json_write_field(out, i ? ",{\"function\":" : "{\"function\":", s->fn->name);
        fg_json_write_field(out, s->topic->channel ? ",\"channel\":" : ",\"pattern\":",
                                   s->topic->channel ? s->topic->channel : s->topic->pattern);
        snprintf(line, sizeof(line),
                 ",\"connected\":%s,\"received\":%lld,\"accepted\":%lld,\"refused\":%lld,\"filtered\":%lld}",
                 s->rd.up ? "true" : "false", (long long)s->received, (long long)s->accepted, (long long)s->refused,
                 (long long)s->filtered);
        fg_buf_append_str(out, line);
    }
    return fg_buf_append_str(out, "]");
}

static void rt_free(struct fg_trigger *base)
{
    struct rt_trigger *t = (struct rt_trigger *)base;
    if (!t)
        return;
    rt_stop(base);
    for (size_t i = 0; i < t->n; i++)
        fg_filter_free(t->src[i].filter);
    free(t->src);
    free(t);
}

static int rt_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                  struct fg_trigger **out, struct fg_err *err)
{
    struct rt_trigger *t;
    char label[256];
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!(n = fg_conf_count_events(conf, &rt_conf)))
        return 0;
    if (!(t = calloc(1, sizeof(*t))) || !(t->src = calloc(n, sizeof(*t->src)))) {
        free(t);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    t->base.ops = &fg_topic_trigger;
    t->conf = conf;
    t->router = router;
    t->loop = loop;
    fg_idgen_init(&t->ids);
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_event *ev = &fn->events[j];
            struct rt_source *s;
            if (ev->type != &rt_conf)
                continue;
            s = &t->src[t->n++];
            s->t = t;
            s->fn = fn;
            s->topic = ev->conf;
            snprintf(label, sizeof(label), "topic %s (%s)", s->topic->channel ? s->topic->channel : s->topic->pattern,
                     fn->name);
            if ((rc = fg_redis_init(&s->rd, loop->base, s->topic->redis, label, rt_on_state, s, err)) < 0 ||
                (ev->filter.n && (rc = fg_filter_compile(ev->filter.patterns, ev->filter.n, &s->filter, err)) < 0))
                goto fail;
        }
    }
    *out = &t->base;
    return 0;
fail:
    rt_free(&t->base);
    return rc;
}

/* ------------------------------------------------------------------ configuration */

static const struct fg_conf_key rt_keys[] = {
    { .name = "redis", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_topic, redis) },
    { .name = "channel", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_topic, channel) },
    { .name = "pattern", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_topic, pattern) },
    FG_CONF_KEY_END,
};

static int rt_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_topic *t = ev->conf;
    int rc;

    (void)val;
    if ((rc = fg_conf_check_redis_url(p, ev->pos, t->redis)) < 0)
        return rc;
    if (!t->channel == !t->pattern)
        return fg_conf_fail(p, ev->pos, "topic: give exactly one of 'channel' and 'pattern'");
    return 0;
}

/* {"type":"topic","channel"}: a pattern subscription shows its pattern. */
static int rt_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_topic *c = ev->conf;
    (void)t;
    return fg_trigger_console_object(out, "topic", (const char *const[]){ "channel", c->channel ? c->channel : c->pattern,
                                                                          NULL });
}

static void rt_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_topic *t = ev->conf;
    char url[512];
    snprintf(out, size, "topic: %s %s  (%s%s)", t->channel ? "channel" : "pattern", t->channel ? t->channel : t->pattern,
             fg_redis_url_masked(t->redis, url, sizeof(url)), ev->filter.n ? ", filtered" : "");
}

static const struct fg_conf_event_type rt_conf = {
    .kind = "topic",
    .where = "topic",
    .size = sizeof(struct fg_conf_topic),
    .keys = rt_keys,
    .filterable = true,
    .check = rt_conf_check,
};

const struct fg_trigger_ops fg_topic_trigger = {
    .name = "topic",
    .conf = &rt_conf,
    .view = "topics",
    .view_empty = "[]",
    .new = rt_new,
    .start = rt_start,
    .stop = rt_stop,
    .describe = rt_describe,
    .metrics = rt_metrics,
    .free = rt_free,
    .summary = rt_summary,
    .console = rt_console,
};

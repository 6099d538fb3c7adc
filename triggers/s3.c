/* SPDX-License-Identifier: MIT */
/* s3.c - the s3 trigger's keys and rules (see s3.h). */
#include "s3.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct fg_conf_event_type s3_conf;

bool fg_s3_trigger_matches(const struct fg_conf_s3_event *e, const char *bucket, const char *key, bool created)
{
    size_t kl = strlen(key), sl = e->suffix ? strlen(e->suffix) : 0;
    return !strcmp(e->bucket, bucket) && (created ? e->events.created : e->events.removed) &&
           (!e->prefix || !strncmp(key, e->prefix, strlen(e->prefix))) &&
           (!e->suffix || (kl >= sl && !strcmp(key + kl - sl, e->suffix)));
}

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
};

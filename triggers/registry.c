/* SPDX-License-Identifier: MIT */
/* registry.c - the list of trigger adapters (see registry.h). */
#include "registry.h"

#include "fs.h"
#include "http_route.h"
#include "kafka_stream.h"
#include "redis_queue.h"
#include "redis_topic.h"
#include "s3.h"
#include "schedule.h"

/* One line per adapter. The order is the start order, and the order of event kinds in
 * messages. */
const struct fg_trigger_ops *const fg_registry[] = {
    &fg_http_trigger,
    &fg_schedule_trigger,
    &fg_fs_trigger,
    &fg_s3_trigger,
    &fg_queue_trigger,
    &fg_topic_trigger,
    &fg_stream_trigger,
    NULL,
};

const struct fg_trigger_ops *fg_registry_find(const struct fg_conf_event_type *type)
{
    for (const struct fg_trigger_ops *const *t = fg_registry; *t; t++)
        if ((*t)->conf == type)
            return *t;
    return NULL;
}

static void registry_types(const struct fg_conf_event_type *out[FG_REGISTRY_MAX + 1])
{
    size_t n = 0;
    for (const struct fg_trigger_ops *const *t = fg_registry; *t && n < FG_REGISTRY_MAX; t++)
        if ((*t)->conf)
            out[n++] = (*t)->conf;
    out[n] = NULL;
}

int fg_registry_conf_load(struct fg_config *conf, const char *path, struct fg_err *err)
{
    const struct fg_conf_event_type *types[FG_REGISTRY_MAX + 1];
    registry_types(types);
    return fg_conf_load(conf, path, types, err);
}

int fg_registry_conf_load_string(struct fg_config *conf, const char *name, const char *dir, const char *yaml,
                                 struct fg_err *err)
{
    const struct fg_conf_event_type *types[FG_REGISTRY_MAX + 1];
    registry_types(types);
    return fg_conf_load_string(conf, name, dir, yaml, types, err);
}

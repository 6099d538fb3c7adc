/* SPDX-License-Identifier: MIT */
/* trigger.h - the adapter interface: a source of events, its keys and its lifecycle.
 *
 * An adapter knows its source (a clock, a folder, a queue) and nothing about functions
 * beyond their names: it builds the event and hands it to the router
 * (fg_router_submit_async for asynchronous sources, fg_router_submit_record for poll
 * sources' failure records). Each adapter exports one const struct fg_trigger_ops, listed
 * once in registry.c; the gateway holds adapters only through this table, as nginx holds
 * modules, and the config loader reads their keys from it as data.
 *
 * Lifecycle of an instance: new → start → ... → stop → free, all on the loop thread, where
 * free comes after the router's store is closed (accept callbacks may still name the
 * adapter until then). An adapter's own threads (inotify, librdkafka) touch no router
 * state: they call only the router's any-thread entry points (fg_router_submit*,
 * fg_router_post, see router.h) or post to the loop (fg_loop_post). */
#ifndef FG_TRIGGER_H
#define FG_TRIGGER_H

#include "../config/config.h"
#include "../core/buf.h"
#include "../core/err.h"
#include "../core/loop.h"
#include "../core/prom.h"
#include "../router/router.h"

struct fg_trigger;

struct fg_trigger_ops {
    /* "schedule": the adapter in logs, the admin API and the registry. */
    const char *name;
    /* Its events' keys, defaults and checks (config.h). NULL: it has no `events:` entry. */
    const struct fg_conf_event_type *conf;
    /* GET /_fngate/<view> answers describe() of the running instance, or view_empty when
     * none runs (no events of this kind). NULL: no view. */
    const char *view;
    const char *view_empty;
    /* Builds the instance serving every event of this kind in conf. Called once by the
     * gateway, on the loop thread, after the router is started. Borrows conf, router and
     * loop for the instance's life. 0 and an owned instance in *out (NULL when conf has no
     * such events), or a negative code with err filled. NULL: the events are served by a
     * listener of the gateway (HTTP routes by the front door, s3 by the S3 endpoint). */
    int (*new)(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
               struct fg_trigger **out, struct fg_err *err);
    /* Begins producing events. Loop thread. 0, or a negative code with err filled. May be
     * NULL only when new is. */
    int (*start)(struct fg_trigger *t, struct fg_err *err);
    /* Stops producing events; work in flight finishes. Loop thread; idempotent. */
    void (*stop)(struct fg_trigger *t);
    /* Appends the instance's state as JSON (the admin view). Loop thread. 0 or a fg_buf
     * error. May be NULL when view is. */
    int (*describe)(struct fg_trigger *t, struct fg_buf *out);
    /* Appends the instance's metrics to one scrape of GET /metrics (core/prom.h; the
     * per-source families every adapter shares are source_metrics.h's). Loop thread; what
     * other threads count is read through atomics. 0 or p's error. NULL: none. */
    int (*metrics)(struct fg_trigger *t, struct fg_prom *p);
    /* Frees the instance. Loop thread, after stop and after the store is closed. */
    void (*free)(struct fg_trigger *t);
    /* Writes one line of `fngate validate` for one event of this kind ("schedule: ...",
     * no newline) into out. Any thread (pure). May be NULL: nothing printed. */
    void (*summary)(const struct fg_conf_event *ev, char *out, size_t size);
    /* Appends one event of this kind as the console shows it (GET /_fngate/functions,
     * gateway/admin_functions.h): a JSON object {"type": name, ...the event's own fields}.
     * t is the running instance, NULL when none runs, for what only it knows (a schedule's
     * next fire). Loop thread. 0 or a fg_buf error. May be NULL: {"type": name} is shown. */
    int (*console)(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out);
};

/* Embedded first in every adapter's own struct. */
struct fg_trigger {
    const struct fg_trigger_ops *ops;
};

#endif

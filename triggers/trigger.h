/* SPDX-License-Identifier: MIT */
/* trigger.h - the adapter interface: a source of events with a lifecycle.
 *
 * An adapter knows its source (a clock, a folder, a queue) and nothing about functions
 * beyond their names: it builds the event and hands it to the router
 * (fg_router_submit_async for asynchronous sources). The gateway holds adapters only
 * through this table, as nginx holds modules. Every callback runs on the loop thread.
 * Lifecycle: new (adapter-specific) → start → ... → stop → free, where free comes after
 * the router's store is closed (accept callbacks may still name the adapter until then). */
#ifndef FG_TRIGGER_H
#define FG_TRIGGER_H

#include "../core/buf.h"
#include "../core/err.h"

struct fg_trigger;

struct fg_trigger_ops {
    const char *name;
    /* Begins producing events. 0, or a negative code with err filled. */
    int (*start)(struct fg_trigger *t, struct fg_err *err);
    /* Stops producing events. Idempotent. */
    void (*stop)(struct fg_trigger *t);
    /* Appends the adapter's state as JSON (the admin API). 0 or a fg_buf error. */
    int (*describe)(struct fg_trigger *t, struct fg_buf *out);
    void (*free)(struct fg_trigger *t);
};

/* Embedded first in every adapter's own struct. */
struct fg_trigger {
    const struct fg_trigger_ops *ops;
};

#endif

/* SPDX-License-Identifier: MIT */
/* registry.h - every trigger adapter fngate has, listed once.
 *
 * The gateway starts adapters, serves their admin views and prints them in `validate` by
 * looping over this list, and hands their event types to the config loader as data:
 * adding a source is one file and one line in registry.c. */
#ifndef FG_REGISTRY_H
#define FG_REGISTRY_H

#include "trigger.h"

#define FG_REGISTRY_MAX 32

/* The adapters, NULL-terminated, in start order. Static. */
extern const struct fg_trigger_ops *const fg_registry[];

/* The adapter whose events have this type, or NULL. Static. */
const struct fg_trigger_ops *fg_registry_find(const struct fg_conf_event_type *type);

/* fg_conf_load / fg_conf_load_string with every adapter's event types. */
int fg_registry_conf_load(struct fg_config *conf, const char *path, struct fg_err *err) FG_MUST_CHECK;
int fg_registry_conf_load_string(struct fg_config *conf, const char *name, const char *dir, const char *yaml,
                                 struct fg_err *err) FG_MUST_CHECK;

#endif

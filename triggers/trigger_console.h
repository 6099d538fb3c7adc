/* SPDX-License-Identifier: MIT */
/* trigger_console.h - the shared writer of the adapters' console slot (trigger.h): most
 * events are shown as a few string fields, written here once rather than in each adapter
 * (curl's Curl_cf_def_* idea: a default an ops table points its slot's body at). Pure.
 * Tests: tests/unit/test_admin_functions.c, tests/integration/test_console_api.py. */
#ifndef FG_TRIGGER_CONSOLE_H
#define FG_TRIGGER_CONSOLE_H

#include "../core/buf.h"
#include "../core/err.h"

/* Appends {"type": type, k1: v1, k2: v2, ...}: kv holds key, value pairs ended by a NULL
 * key; keys are trusted (plain ASCII), values any string (NULL: null). 0 or a fg_buf error. */
int fg_trigger_console_object(struct fg_buf *out, const char *type, const char *const *kv) FG_MUST_CHECK;

#endif

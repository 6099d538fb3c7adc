/* SPDX-License-Identifier: MIT */
/* filter.h - event filtering: the EventBridge pattern subset Lambda's `filter_criteria` uses.
 *
 * A filter is up to 5 patterns; an event passes when any pattern matches (OR). A pattern is
 * a JSON object mirroring the event: nested objects descend, and at a leaf an array lists
 * what the value may be (any entry matching is enough): a literal (string, number, true,
 * false, null, compared exactly), {"prefix": "p"}, {"suffix": "s"}, {"anything-but": X}
 * (X a literal, a list of literals or {"prefix": ...}), {"numeric": [">", 1, "<=", 5]} and
 * {"exists": true|false}. Every key of a pattern must match (AND). When the event's value is
 * an array, any element matching is enough, as in EventBridge. Patterns are compiled
 * (checked) once; matching is pure and thread-safe. Tests: tests/unit/test_filter.c. */
#ifndef FG_FILTER_H
#define FG_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define FG_FILTER_MAX_PATTERNS 5

struct fg_filter;

/* Compiles patterns (JSON texts). 0 and an owned filter (fg_filter_free), or -EINVAL with
 * err saying which pattern is wrong and why. */
int fg_filter_compile(const char *const *patterns, size_t n, struct fg_filter **out, struct fg_err *err) FG_MUST_CHECK;

/* Whether event passes (any pattern matches). */
bool fg_filter_match(const struct fg_filter *f, const json_t *event);

void fg_filter_free(struct fg_filter *f);

#endif

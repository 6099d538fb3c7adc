/* SPDX-License-Identifier: MIT */
/* filter.h - event filtering: the comparison operators of Lambda's `filter_criteria`.
 *
 * A filter is up to 5 patterns; an event passes when any pattern matches (OR). A pattern is
 * a JSON object mirroring the event: every key must match (AND), a nested object descends,
 * and at a leaf a non-empty list says what the value may be, any entry being enough:
 *   "x"  5  true  false  null     equals (null matches JSON null only, "" the empty string)
 *   {"equals-ignore-case": "s"}   a string equal to s, ASCII letters folded
 *   {"prefix": "p"}  {"suffix": "s"}      a string starting / ending with it
 *   {"anything-but": X}           any value but X: a string, a number, or a non-empty list
 *                                 of strings only or of numbers only; never a missing field
 *   {"numeric": ["=", 5]}  {"numeric": [">", 0, "<=", 5]}   a JSON number: one lower bound
 *                                 (> >=) and/or one upper bound (< <=), or =; in +-5e9
 *   {"exists": true|false}        whether the field has a value (null counts; an object or
 *                                 an empty list does not: exists works on leaves)
 * Semantics are AWS's: a number in a pattern matches a JSON number of the same value, never a
 * string ("5" is not 5); a string, prefix, suffix or equals-ignore-case never matches a
 * number; a missing field matches only {"exists": false}. When the event's value is a list,
 * the leaf matches if any element does; when a nested pattern meets a list of objects, one
 * element must match the whole nested pattern. EventBridge operators that Lambda's filters
 * do not list (wildcard, cidr, $or, anything-but with prefix, suffix, equals-ignore-case or
 * wildcard, prefix or suffix with equals-ignore-case) are refused by name.
 *
 * Patterns are compiled (checked) once; a refused pattern's message names the pattern and
 * where in it (`pattern 2 at body.price[0]: ...`). Matching is pure, allocation-free and
 * thread-safe. Tests: tests/unit/test_filter.c, tests/integration/test_filter.py. */
#ifndef FG_FILTER_H
#define FG_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define FG_FILTER_MAX_PATTERNS 5

/* Numeric bounds beyond this magnitude are refused (AWS documents -5.0e9 to +5.0e9). */
#define FG_FILTER_NUMERIC_LIMIT 5e9

struct fg_filter;

/* Compiles n patterns (JSON texts, borrowed: not kept). 0 and an owned filter
 * (fg_filter_free), or -EINVAL (-ENOMEM) with err saying which pattern is wrong, where in
 * it, and why; *out is NULL then. */
int fg_filter_compile(const char *const *patterns, size_t n, struct fg_filter **out, struct fg_err *err) FG_MUST_CHECK;

/* Whether event (borrowed; any JSON value) passes: any pattern matches. */
bool fg_filter_match(const struct fg_filter *f, const json_t *event);

/* Accepts NULL. */
void fg_filter_free(struct fg_filter *f);

#endif

/* SPDX-License-Identifier: MIT */
/* retry.h - the arithmetic of the retry policy: backoff delays and event age.
 *
 * Kept apart from the queue so the bounds the README promises (a delay never above max,
 * full jitter in [0, d], equal jitter in [d/2, d], nothing retried past its age) are tested
 * directly. Pure functions. Tests: tests/unit/test_async.c. */
#ifndef FG_RETRY_H
#define FG_RETRY_H

#include <stdbool.h>

#include "../config/config.h"

/* The delay in ms before retry n (n >= 1: the first retry waits about `initial`). rnd is a
 * uniform draw in [0, 1) that the jitter uses. */
long long fg_retry_backoff_ms(const struct fg_conf_retries *r, int n, double rnd);

/* True when an event accepted at accepted_ms may no longer start at at_ms. */
bool fg_retry_expired(const struct fg_conf_retries *r, long long accepted_ms, long long at_ms);

#endif

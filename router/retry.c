/* SPDX-License-Identifier: MIT */
/* retry.c - see retry.h. */
#include "retry.h"

long long fg_retry_backoff_ms(const struct fg_conf_retries *r, int n, double rnd)
{
    double d = r->initial_ms;

    for (int i = 1; i < n && d < r->max_ms; i++)
        d *= r->multiplier;
    if (d > r->max_ms)
        d = r->max_ms;
    if (rnd < 0)
        rnd = 0;
    if (rnd >= 1)
        rnd = 0.999999;
    switch (r->jitter) {
    case FG_JITTER_FULL: return (long long)(d * rnd);
    case FG_JITTER_EQUAL: return (long long)(d / 2 + d / 2 * rnd);
    default: return (long long)d;
    }
}

bool fg_retry_expired(const struct fg_conf_retries *r, long long accepted_ms, long long at_ms)
{
    return at_ms - accepted_ms > (long long)r->max_age_s * 1000;
}

/* SPDX-License-Identifier: MIT */
/* pool_policy.c - wait for a warm worker or start one; the hill climb (see pool_policy.h). */
#include "pool_policy.h"

enum { CLIMB_HOLD = 0, CLIMB_SETTLE, CLIMB_MEASURE, CLIMB_JUDGE };

bool fg_pool_should_start(const struct fg_pool_demand *d)
{
    double start, run, wait;

    if (d->waiting <= d->starting)
        return false;               /* every waiter has a worker on its way */
    if (d->cap && d->live >= d->cap)
        return false;
    if (d->per_request || d->live == 0 || d->live < d->target)
        return true;
    start = d->start_ms > 0 ? d->start_ms : FG_POOL_DEFAULT_START_MS;
    if (d->head_wait_ms > (FG_POOL_MAX_WAIT_MS > 4 * start ? FG_POOL_MAX_WAIT_MS : 4 * start))
        return true;
    run = d->run_ms > d->busy_ms ? d->run_ms : d->busy_ms;
    if (run <= 0 || !d->headroom)
        return false;
    wait = (double)(d->waiting - d->starting) * run / (double)d->live;
    return wait > start;
}

bool fg_pool_should_retire(const struct fg_pool_demand *d)
{
    return !d->per_request && !d->headroom && d->live > d->target && d->live > d->min_warm;
}

void fg_pool_climb_init(struct fg_pool_climb *c, int cores, int cap)
{
    /* Twice the cores: a worker spends part of each invocation waiting for the gateway. */
    c->target = cap > 0 && cap < 2 * cores ? cap : 2 * cores;
    if (c->target < 1)
        c->target = 1;
    c->phase = CLIMB_HOLD;
    c->hold = 2;
    c->base = 0;
}

void fg_pool_climb_window(struct fg_pool_climb *c, double tput, bool saturated, int live, int cap)
{
    bool room = !cap || c->target < cap;

    if (!saturated) {
        /* Demand fits: nothing to learn. Probe soon once load comes back. */
        c->phase = CLIMB_HOLD;
        c->hold = 2;
        return;
    }
    switch (c->phase) {
    case CLIMB_HOLD:
        c->base = tput;
        if (--c->hold <= 0 && room && live >= c->target) {
            c->target++;
            c->phase = CLIMB_SETTLE;
        } else if (c->hold < 0) {
            c->hold = 0;
        }
        break;
    case CLIMB_SETTLE:               /* the new worker started during this window */
        c->phase = CLIMB_MEASURE;
        break;
    case CLIMB_MEASURE:              /* the first of two windows judged together */
        c->probe = tput;
        c->phase = CLIMB_JUDGE;
        break;
    default:                         /* CLIMB_JUDGE */
        tput = (tput + c->probe) / 2;
        if (tput >= c->base * FG_POOL_CLIMB_GAIN && room) {
            c->base = tput;
            c->target++;
            c->phase = CLIMB_SETTLE;
        } else {
            if (tput < c->base * FG_POOL_CLIMB_GAIN && c->target > 1)
                c->target--;
            c->phase = CLIMB_HOLD;
            c->hold = FG_POOL_CLIMB_HOLD;
        }
        break;
    }
}

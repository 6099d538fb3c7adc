/* SPDX-License-Identifier: MIT */
/* reconfig.c - a new configuration for a running router (SIGHUP, `fngate reload`).
 *
 * DESIGN: functions are matched by name. One whose workers would be made differently
 * (worker_hash: code, handler, runtime, memory, timeout, environment, role, storage,
 * network, snapstart; or the region or account its workers are told) gets a new code
 * generation: idle workers stop now, busy ones answer what they hold and then stop, and
 * the next invocation starts a worker with the new settings (pool.c). Every other change
 * (concurrency, rate, retries, destinations, pool sizes, events) applies in place. A
 * removed function leaves the lookup at once (new calls: 404; its async events: the
 * FunctionNotFound rule of async.c), finishes what it holds with the workers it has, and
 * is freed by router.c's sweep when drained. Nothing here fails half way: what can fail
 * (memory, a new function's timer or directory) is done before anything is swapped. */
#include "router.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "async.h"
#include "codewatch.h"
#include "pool.h"
#include "router_int.h"
#include "snapshot.h"
#include "worker.h"

/* The function of the running set called name, not removed. */
static struct fg_function *reconfig_find(struct fg_function **fns, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!fns[i]->removed && !strcmp(fns[i]->conf->name, name))
            return fns[i];
    return NULL;
}

static bool reconfig_same_workers(const struct fg_config *a, const struct fg_conf_function *fa,
                                  const struct fg_config *b, const struct fg_conf_function *fb)
{
    return fa->worker_hash == fb->worker_hash && !strcmp(a->region, b->region) &&
           !strcmp(a->account_id, b->account_id);
}

int fg_router_reload(struct fg_router *r, const struct fg_config *next, struct fg_router_reload_stats *st,
                     struct fg_err *err)
{
    const struct fg_config *prev = r->conf;
    struct fg_function **fns = NULL, **added = NULL;
    char **hide = NULL, ***hides = NULL;
    size_t n = 0, n_added = 0, cap = r->n_fns + next->n_functions + 1;
    int rc = -ENOMEM;

    memset(st, 0, sizeof(*st));
    if (r->stopping)
        return fg_err_set(err, -FG_ESHUTDOWN, "stopping");
    if (!(fns = calloc(cap, sizeof(*fns))) || !(added = calloc(cap, sizeof(*added))) ||
        !(hides = calloc(cap, sizeof(*hides)))) {
        fg_err_set(err, -ENOMEM, "out of memory");
        goto fail;
    }
    /* What can fail without harm, first: new functions (not started), hide lists. */
    for (size_t i = 0; i < next->n_functions; i++) {
        const struct fg_conf_function *c = &next->functions[i];
        struct fg_function *fn = reconfig_find(r->fns, r->n_fns, c->name);
        if (!fn && !(added[n_added++] = fg_router_function_new(r, next, c, err))) {
            n_added--;
            rc = err->code;
            goto fail;
        }
        if (fn && (rc = fg_sandbox_hide_list(&r->sandbox, next, c, &hides[i])) < 0) {
            fg_err_set(err, rc, "out of memory");
            goto fail;
        }
    }
    /* Then the swap: nothing below fails. */
    for (size_t i = 0, k = 0; i < next->n_functions; i++) {
        const struct fg_conf_function *c = &next->functions[i];
        struct fg_function *fn = reconfig_find(r->fns, r->n_fns, c->name);
        if (!fn) {
            struct fg_err serr;
            fn = fns[n++] = added[k++];
            st->added++;
            /* Its directory or timer: logged, and its invocations fail as a service error. */
            if (fg_router_function_start(fn, next, &serr) < 0)
                fg_log(FG_LOG_ERROR, "router", "function %s: %s", c->name, serr.msg);
            continue;
        }
        hide = fn->hide;
        fn->hide = hides[i];
        hides[i] = NULL;
        fg_sandbox_hide_free(hide);
        if (c->rate.per_second != fn->conf->rate.per_second || c->rate.burst != fn->conf->rate.burst)
            fg_token_bucket_init(&fn->rate, c->rate.per_second, c->rate.burst, fg_mono_us());
        bool same = reconfig_same_workers(prev, fn->conf, next, c);
        fn->conf = c;
        if (same) {
            st->kept++;
        } else {
            fg_pool_code_changed(fn);
            st->changed++;
        }
        fg_conf_function_arn(next, c->name, fn->arn, sizeof(fn->arn));
        fns[n++] = fn;
    }
    for (size_t i = 0; i < r->n_fns; i++) {
        struct fg_function *fn = r->fns[i];
        if (!fn->removed && !fg_conf_function(next, fn->conf->name)) {
            fn->removed = true;
            fg_snapshot_stop(fn);
            fg_async_forget_function(r, fn);
            st->removed++;
        }
        if (fn->removed)
            fns[n++] = fn;
    }
    free(r->fns);
    r->fns = fns;
    r->n_fns = n;
    atomic_store(&r->conf, next);
    free(added);
    free(hides);
    /* Watches follow the new set of code directories. */
    if (r->codewatch) {
        struct fg_err werr;
        fg_codewatch_free(r->codewatch);
        if (!(r->codewatch = fg_codewatch_new(r, &werr)))
            fg_log(FG_LOG_WARN, "watch", "after the reload, code is not watched: %s", werr.msg);
    }
    fg_router_sweep_later(r);
    fg_async_kick(r);
    return 0;
fail:
    for (size_t i = 0; added && i < n_added; i++)
        fg_router_function_free(added[i]);
    for (size_t i = 0; hides && i < cap; i++)
        fg_sandbox_hide_free(hides[i]);
    free(hides);
    free(added);
    free(fns);
    return rc;
}

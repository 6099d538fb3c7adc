/* SPDX-License-Identifier: MIT */
/* admin.h - the admin HTTP API under /_fngate/: queue figures and the dead letters.
 *
 *   GET  /_fngate/queue                          per-function queue figures
 *   GET  /_fngate/schedules                      every schedule with its last and next fire
 *   GET  /_fngate/dlq[?function=F&limit=N]       dead letters, newest first
 *   GET  /_fngate/dlq/ID                         one dead letter with its payload
 *   POST /_fngate/dlq/redrive   {"function":F} | {"ids":[...]}
 *   POST /_fngate/dlq/purge     {"function":F} | {"ids":[...]} | {"all":true}
 *   GET  /_fngate/logs/FUNCTION[?since=MS&until=MS&filter=TEXT&request_id=ID&limit=N&after=CURSOR&wait=S]
 *                                                a function's stored log lines (router/logread.h)
 *   GET  /_fngate/usage[?since=MS&until=MS&function=F]  hourly billing figures (router/usage.h)
 *   POST /_fngate/reload                         reads the configuration again (as SIGHUP)
 *   GET|POST /_fngate/functions/NAME/test-events[/delete], POST /_fngate/functions/NAME/invoke
 *                                                the console's Test button (test_event.h)
 *   GET  /_fngate/functions[/NAME]               the console's functions (admin_functions.h)
 *   GET  /_fngate/cost[?function=F&since=MS&until=MS]   the bill, as `fngate cost --json` (admin_cost.h)
 *   GET  /_fngate/functions/F/metrics[?period=1h|3h|12h|24h]  F's time series (router/series_view.h)
 *   GET  /_fngate/metrics/summary[?period=P]     every function's invocations, errors, throttles
 *
 * The CLI (`fngate queue`, `fngate dlq`, `fngate logs`, `fngate cost`) is a client of
 * exactly this API. This file turns
 * a request into what to ask the router; gateway/http.c does the asking. Pure functions.
 * Tests: tests/integration/test_async.py. */
#ifndef FG_ADMIN_H
#define FG_ADMIN_H

#include <stddef.h>

#include "../router/logread.h"
#include "../router/series.h"
#include "../router/store.h"
#include "test_event.h"

#define FG_ADMIN_PREFIX "/_fngate/"
/* An admin request body is a small JSON selection: at most this many bytes, and at most
 * FG_ADMIN_MAX_IDS dead-letter ids per request (page through more), so no request can hold
 * the store's writer long. */
#define FG_ADMIN_MAX_BODY (64 * 1024)
#define FG_ADMIN_MAX_IDS 1000

enum fg_admin_op {
    FG_ADMIN_QUEUE = 0,
    FG_ADMIN_TRIGGER,               /* a trigger's state: trigger names it */
    FG_ADMIN_DLQ,                   /* query holds the dead-letter query */
    FG_ADMIN_HEALTH,                /* liveness: the loop thread answers */
    FG_ADMIN_READY,                 /* readiness: started, store open, not stopping */
    FG_ADMIN_METRICS,               /* GET /metrics: Prometheus text (router/metrics.h) */
    FG_ADMIN_LOGS,                  /* logq holds the question: LINES or USAGE */
    FG_ADMIN_RELOAD,                /* the gateway's reload hook (admin_http.h) */
    FG_ADMIN_TEST,                  /* test holds the Test button's request (admin_test.h) */
    FG_ADMIN_FUNCTIONS,             /* function: one function's detail, or "" for the list */
    FG_ADMIN_COST,                  /* logq asks the usage; function and cost_window_ms (admin_cost.h) */
    FG_ADMIN_SERIES,                /* a function's time series: function, period */
    FG_ADMIN_SERIES_SUMMARY,        /* every function's totals over period */
};

/* Records a logs answer holds when ?limit= is not given. */
#define FG_ADMIN_LOGS_LIMIT 1000

/* True for GET /metrics (Prometheus' default path, outside /_fngate/; the token applies). */
bool fg_admin_is_metrics(const char *raw_uri);

/* True for the probes (/_fngate/health, /_fngate/ready): answered without the admin token,
 * as load balancers and orchestrators ask; they tell only whether fngate is up. */
bool fg_admin_is_probe(const char *raw_uri);

struct fg_admin_req {
    enum fg_admin_op op;
    const char *trigger;            /* FG_ADMIN_TRIGGER: the adapter's ops->name (static) */
    const char *empty;              /* its answer when the adapter is not running (static) */
    struct fg_store_query query;    /* for FG_ADMIN_DLQ; its function and ids point below */
    struct fg_log_query logq;       /* for FG_ADMIN_LOGS */
    struct fg_test_req test;        /* for FG_ADMIN_TEST */
    const struct fg_series_period *period;  /* FG_ADMIN_SERIES*: static */
    char function[72];
    long long cost_window_ms;       /* FG_ADMIN_COST: the bill's first hour */
    long long *ids;                 /* owned: fg_admin_req_close */
};

/* Parses method + raw URI (with query string) + body. 0, or an HTTP status (400, 404, 405)
 * with a message in err. For FG_ADMIN_LOGS, logq's question is filled (its json not yet
 * initialised: the log store does that when it takes it). */
int fg_admin_parse(const char *method, const char *raw_uri, const char *body, size_t len,
                   struct fg_admin_req *req, struct fg_err *err);

void fg_admin_req_close(struct fg_admin_req *req);

#endif

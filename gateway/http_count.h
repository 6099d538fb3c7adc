/* SPDX-License-Identifier: MIT */
/* http_count.h - the front door's answers counted by route and status, for GET /metrics
 * (fngate_http_requests_total{route="GET /hello",code="200"}).
 *
 * Counted on libmicrohttpd's threads as each answer is queued, with one relaxed atomic
 * addition in a table fixed at start (a row per route, a column per status slot): no lock
 * and no allocation per request. The label set stays bounded whatever the functions
 * answer: rows are the configured routes plus "unmatched" (no route; or refused before one
 * was looked for: framing, headers, stopping) and "invoke" (the Invoke API); statuses are
 * exact for the codes fngate and web applications commonly answer, and any other is counted
 * in its class ("2xx"). A reload makes a new route table and a new count table beside it,
 * and requests count in the one they started with; a scrape sums them by route key, so a
 * route's counter never goes back. Rendering runs on the loop thread and reads each cell
 * once, so a scrape may see one request counted in one cell and not yet in another. Tests:
 * tests/integration/test_metrics.py, test_reload.py. */
#ifndef FG_HTTP_COUNT_H
#define FG_HTTP_COUNT_H

#include <stdatomic.h>
#include <stddef.h>

#include "../core/prom.h"
#include "../triggers/http_route.h"

struct fg_http_count {
    const struct fg_route_table *routes;  /* borrowed: its route keys label the rows */
    size_t n_routes;                   /* rows 0..n_routes-1 are routes, then unmatched, invoke */
    atomic_ullong *cells;              /* (n_routes + 2) rows of status slots; owned */
};

/* For routes (borrowed until fg_http_count_close: they label the rows). 0 or -ENOMEM. */
int fg_http_count_init(struct fg_http_count *c, const struct fg_route_table *routes) FG_MUST_CHECK;
void fg_http_count_close(struct fg_http_count *c);

/* The row of requests that matched no route, and of Invoke API requests. */
size_t fg_http_count_unmatched(const struct fg_http_count *c);
size_t fg_http_count_invoke(const struct fg_http_count *c);

/* Any thread: one answer with status on row (a route's index in the table, or one of the
 * two rows above). */
void fg_http_count_add(struct fg_http_count *c, size_t row, unsigned status);

/* Loop thread: the n tables summed by route key (the first table's routes first), every
 * non-zero sum a sample of fngate_http_requests_total. 0 or -ENOMEM. */
int fg_http_count_write(const struct fg_http_count *const *tables, size_t n, struct fg_prom *p) FG_MUST_CHECK;

#endif

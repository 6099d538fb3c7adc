/* SPDX-License-Identifier: MIT */
/* cost_report.h - the bill of recorded usage, as `fngate cost --json` prints it and GET
 * /_fngate/cost answers it: one computation for both (core/pricing.h's rules over
 * router/usage.h's hourly figures).
 *
 * Why it exists: the CLI reads GET /_fngate/usage and the console asks the gateway; both
 * must give the same figures, so the figures come from here. The window starts at a whole
 * hour (usage is recorded per hour) and the usage must be read from the start of that
 * hour's UTC month, since the month's free tier is the account's: what was used earlier in
 * the month took its part first. Pure functions, any thread. Tests: tests/unit/test_cost_report.c,
 * tests/integration/test_console_api.py (the endpoint against the CLI). */
#ifndef FG_COST_REPORT_H
#define FG_COST_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "../core/err.h"
#include "../core/pricing.h"

/* The whole hour (epoch ms, UTC) a window starting at since_ms begins at. */
long long fg_cost_window_start(long long since_ms);

/* A computed bill: the rows point into the usage document it was built from. */
struct fg_cost_report {
    struct fg_pricing pricing;
    long long window_ms;            /* fg_cost_window_start of the asked since */
    struct fg_pricing_row *rows;    /* owned; one per function (just the asked one when
                                     * a function was named, zeros when it used nothing) */
    size_t n_rows;
    struct fg_bill total;           /* of the rows */
    json_t *usage;                  /* a reference to the document (the rows' names) */
};

/* Bills usage ({"usage":[{hour, function, memory_mb, requests, billed_ms}...]}, read from
 * fg_pricing_month_start(window_ms) on, oldest first) from window_ms on at p's rates, for
 * function (NULL: every function; named: its share of the account's bill). Copies p,
 * borrows function for r's life, takes a reference on usage. r is caller-embedded: close it. 0, or -EINVAL (usage is not that document) or
 * -ENOMEM with err filled. */
int fg_cost_report_build(struct fg_cost_report *r, const struct fg_pricing *p, json_t *usage, const char *function,
                         long long window_ms, struct fg_err *err) FG_MUST_CHECK;

/* The report as `fngate cost --json` prints it: {"since", "since_ms", "functions":[{function,
 * requests, billed_requests, request_cost, gb_seconds, billed_gb_seconds, duration_cost,
 * total}], "total":{...}, "pricing":{...}}. Returns owned (json_decref), NULL when out of
 * memory. */
json_t *fg_cost_report_json(const struct fg_cost_report *r);

/* Frees what r holds (a zeroed r too). */
void fg_cost_report_close(struct fg_cost_report *r);

#endif

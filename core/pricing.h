/* SPDX-License-Identifier: MIT */
/* pricing.h - what AWS Lambda would charge, as the seed explains it.
 *
 * Lambda bills requests and duration: $0.20 per million requests after 1M free a month,
 * and GB-seconds (billed duration, rounded up to 1 ms, times memory in GB) after 400,000
 * free a month, at AWS's published x86 rate of $0.0000166667 per GB-second. (The seed's
 * "$1 per 600,000 GB-seconds" is ten times lower than that rate; fngate uses AWS's, and
 * `pricing:` in the config overrides every number.) Recorded use is billed month by month:
 * the free tier applies once per UTC calendar month to the whole account (every function
 * together), what the month's use before the billed window took of it is gone, and each
 * function's share of what is billed is proportional to its use. Pure functions. Tests:
 * tests/unit/test_core.c (the seed's worked example, the monthly rule),
 * tests/integration/test_cli.py, test_logs.py. */
#ifndef FG_PRICING_H
#define FG_PRICING_H

#include <stddef.h>

struct fg_pricing {
    double requests_per_million;    /* dollars per 1M requests beyond the free ones */
    double gb_second;               /* dollars per GB-second beyond the free ones */
    double free_requests;           /* per month */
    double free_gb_seconds;         /* per month */
};

/* What a period costs. Counts are for the whole period; the free tier applies once per
 * month in it. */
struct fg_bill {
    double requests, gb_seconds;                    /* used */
    double billed_requests, billed_gb_seconds;      /* beyond the free tier */
    double request_cost, duration_cost, total;      /* dollars */
};

/* AWS's published x86 prices and free tier. */
void fg_pricing_defaults(struct fg_pricing *p);

/* GB-seconds of one invocation: its duration rounded up to a whole millisecond (Lambda's
 * billing granularity) times memory_mb / 1024. */
double fg_pricing_gb_seconds(double duration_ms, int memory_mb);

/* The bill for requests and gb_seconds over months (>= 1: the free tier of each month). */
void fg_pricing_bill(const struct fg_pricing *p, double requests, double gb_seconds, double months,
                     struct fg_bill *out);

/* Recorded use: one function's requests and GB-seconds in the hour starting at hour_ms
 * (epoch ms, UTC). */
struct fg_pricing_use {
    const char *function;       /* borrowed */
    long long hour_ms;
    double requests, gb_seconds;
};

/* One function's part of a bill. */
struct fg_pricing_row {
    const char *function;       /* borrowed from the uses */
    struct fg_bill bill;
};

/* Bills the uses from since_ms on (the window; uses before it, in the same calendar months,
 * only take their part of the free tier first: give every use of those months). uses are
 * sorted by hour_ms (as GET /_fngate/usage answers). rows has room for n entries: one per
 * function used in the window, in name order. total: the whole window's bill. Returns the
 * number of rows. */
size_t fg_pricing_bill_uses(const struct fg_pricing *p, const struct fg_pricing_use *uses, size_t n,
                            long long since_ms, struct fg_pricing_row *rows, struct fg_bill *total);

/* The first instant (epoch ms) of the UTC calendar month holding ms. */
long long fg_pricing_month_start(long long ms);

#endif

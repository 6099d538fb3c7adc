/* SPDX-License-Identifier: MIT */
/* pricing.h - what AWS Lambda would charge, as the seed explains it.
 *
 * Lambda bills requests and duration: $0.20 per million requests after 1M free a month,
 * and GB-seconds (billed duration, rounded up to 1 ms, times memory in GB) after 400,000
 * free a month, at AWS's published x86 rate of $0.0000166667 per GB-second. (The seed's
 * "$1 per 600,000 GB-seconds" is ten times lower than that rate; fngate uses AWS's, and
 * `pricing:` in the config overrides every number.) Pure functions. Tests:
 * tests/unit/test_core.c (the seed's worked example), tests/integration/test_cli.py. */
#ifndef FG_PRICING_H
#define FG_PRICING_H

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

#endif

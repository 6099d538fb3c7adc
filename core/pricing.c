/* SPDX-License-Identifier: MIT */
/* pricing.c - Lambda's bill for requests and GB-seconds (see pricing.h). */
#include "pricing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fg_pricing_defaults(struct fg_pricing *p)
{
    p->requests_per_million = 0.20;
    p->gb_second = 0.0000166667;
    p->free_requests = 1000000;
    p->free_gb_seconds = 400000;
}

double fg_pricing_gb_seconds(double duration_ms, int memory_mb)
{
    double billed_ms = ceil(duration_ms > 0 ? duration_ms : 0);
    return billed_ms / 1000.0 * memory_mb / 1024.0;
}

/* requests and gb_seconds billed past free_req and free_gbs of free tier. */
static void pricing_bill_past(const struct fg_pricing *p, double free_req, double free_gbs, double requests,
                              double gb_seconds, struct fg_bill *out)
{
    free_req = free_req > 0 ? free_req : 0;
    free_gbs = free_gbs > 0 ? free_gbs : 0;
    out->requests = requests;
    out->gb_seconds = gb_seconds;
    out->billed_requests = requests > free_req ? requests - free_req : 0;
    out->billed_gb_seconds = gb_seconds > free_gbs ? gb_seconds - free_gbs : 0;
    out->request_cost = out->billed_requests / 1e6 * p->requests_per_million;
    out->duration_cost = out->billed_gb_seconds * p->gb_second;
    out->total = out->request_cost + out->duration_cost;
}

void fg_pricing_bill(const struct fg_pricing *p, double requests, double gb_seconds, double months,
                     struct fg_bill *out)
{
    double m = months < 1 ? 1 : months;
    pricing_bill_past(p, p->free_requests * m, p->free_gb_seconds * m, requests, gb_seconds, out);
}

long long fg_pricing_month_start(long long ms)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    return (long long)timegm(&tm) * 1000;
}

static void pricing_add(struct fg_bill *sum, const struct fg_bill *b)
{
    sum->requests += b->requests;
    sum->gb_seconds += b->gb_seconds;
    sum->billed_requests += b->billed_requests;
    sum->billed_gb_seconds += b->billed_gb_seconds;
    sum->request_cost += b->request_cost;
    sum->duration_cost += b->duration_cost;
    sum->total += b->total;
}

/* A part (its use) of a month's bill: its share of what the month's use was billed. */
static void pricing_share(const struct fg_bill *month, double requests, double gb_seconds, struct fg_bill *out)
{
    double rq = month->requests > 0 ? requests / month->requests : 0;
    double gb = month->gb_seconds > 0 ? gb_seconds / month->gb_seconds : 0;
    out->requests = requests;
    out->gb_seconds = gb_seconds;
    out->billed_requests = month->billed_requests * rq;
    out->billed_gb_seconds = month->billed_gb_seconds * gb;
    out->request_cost = month->request_cost * rq;
    out->duration_cost = month->duration_cost * gb;
    out->total = out->request_cost + out->duration_cost;
}

static int pricing_row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fg_pricing_row *)a)->function, ((const struct fg_pricing_row *)b)->function);
}

/* The row of function, made when it has none. */
static struct fg_pricing_row *pricing_row(struct fg_pricing_row *rows, size_t *n_rows, const char *function)
{
    for (size_t r = 0; r < *n_rows; r++)
        if (!strcmp(rows[r].function, function))
            return &rows[r];
    memset(&rows[*n_rows], 0, sizeof(rows[0]));
    rows[*n_rows].function = function;
    return &rows[(*n_rows)++];
}

size_t fg_pricing_bill_uses(const struct fg_pricing *p, const struct fg_pricing_use *uses, size_t n,
                            long long since_ms, struct fg_pricing_row *rows, struct fg_bill *total)
{
    size_t n_rows = 0;

    memset(total, 0, sizeof(*total));
    /* A month's uses are next to each other (sorted by hour): bill each month once. */
    for (size_t i = 0, j; i < n; i = j) {
        long long month = fg_pricing_month_start(uses[i].hour_ms);
        double before_req = 0, before_gbs = 0, req = 0, gbs = 0;
        struct fg_bill bill;
        for (j = i; j < n && (j == i || fg_pricing_month_start(uses[j].hour_ms) == month); j++) {
            if (uses[j].hour_ms < since_ms) {
                before_req += uses[j].requests;
                before_gbs += uses[j].gb_seconds;
            } else {
                req += uses[j].requests;
                gbs += uses[j].gb_seconds;
            }
        }
        pricing_bill_past(p, p->free_requests - before_req, p->free_gb_seconds - before_gbs, req, gbs, &bill);
        pricing_add(total, &bill);
        for (size_t k = i; k < j; k++) {
            struct fg_bill part;
            if (uses[k].hour_ms < since_ms)
                continue;
            pricing_share(&bill, uses[k].requests, uses[k].gb_seconds, &part);
            pricing_add(&pricing_row(rows, &n_rows, uses[k].function)->bill, &part);
        }
    }
    if (n_rows)
        qsort(rows, n_rows, sizeof(*rows), pricing_row_cmp);
    return n_rows;
}

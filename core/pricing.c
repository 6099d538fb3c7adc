/* SPDX-License-Identifier: MIT */
/* pricing.c - Lambda's bill for requests and GB-seconds (see pricing.h). */
#include "pricing.h"

#include <math.h>

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

void fg_pricing_bill(const struct fg_pricing *p, double requests, double gb_seconds, double months,
                     struct fg_bill *out)
{
    double free_req = p->free_requests * (months < 1 ? 1 : months);
    double free_gbs = p->free_gb_seconds * (months < 1 ? 1 : months);

    out->requests = requests;
    out->gb_seconds = gb_seconds;
    out->billed_requests = requests > free_req ? requests - free_req : 0;
    out->billed_gb_seconds = gb_seconds > free_gbs ? gb_seconds - free_gbs : 0;
    out->request_cost = out->billed_requests / 1e6 * p->requests_per_million;
    out->duration_cost = out->billed_gb_seconds * p->gb_second;
    out->total = out->request_cost + out->duration_cost;
}

/* SPDX-License-Identifier: MIT */
/* cost_report.c - the bill of recorded usage (see cost_report.h). */
#include "cost_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../router/usage.h"

long long fg_cost_window_start(long long since_ms)
{
    return since_ms - ((since_ms % FG_USAGE_HOUR_MS) + FG_USAGE_HOUR_MS) % FG_USAGE_HOUR_MS;
}

int fg_cost_report_build(struct fg_cost_report *r, const struct fg_pricing *p, json_t *usage, const char *function,
                         long long window_ms, struct fg_err *err)
{
    json_t *arr = json_object_get(usage, "usage"), *it;
    struct fg_pricing_use *uses = NULL;
    size_t n, i;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    r->pricing = *p;
    r->window_ms = window_ms;
    if (!json_is_array(arr))
        return fg_err_set(err, -EINVAL, "the usage answer has no \"usage\" list");
    n = json_array_size(arr);
    uses = calloc(n ? n : 1, sizeof(*uses));
    r->rows = calloc(n ? n : 1, sizeof(*r->rows));
    if (!uses || !r->rows) {
        rc = fg_err_set(err, -ENOMEM, "out of memory");
        goto out;
    }
    r->usage = json_incref(usage);
    json_array_foreach(arr, i, it) {
        const char *fn = json_string_value(json_object_get(it, "function"));
        uses[i].function = fn ? fn : "";
        uses[i].hour_ms = json_integer_value(json_object_get(it, "hour"));
        uses[i].requests = (double)json_integer_value(json_object_get(it, "requests"));
        uses[i].gb_seconds = fg_pricing_gb_seconds((double)json_integer_value(json_object_get(it, "billed_ms")),
                                                   (int)json_integer_value(json_object_get(it, "memory_mb")));
    }
    r->n_rows = fg_pricing_bill_uses(p, uses, n, window_ms, r->rows, &r->total);
    if (function) {
        /* Its share of the account's bill: the free tier is the account's, not its own. */
        size_t k = 0;
        while (k < r->n_rows && strcmp(r->rows[k].function, function))
            k++;
        if (k == r->n_rows) {
            memset(&r->rows[0], 0, sizeof(r->rows[0]));
            r->rows[0].function = function;
        } else {
            r->rows[0] = r->rows[k];
        }
        r->n_rows = 1;
        r->total = r->rows[0].bill;
    }
out:
    free(uses);
    if (rc < 0)
        fg_cost_report_close(r);
    return rc;
}

/* A bill's figures as JSON members. */
static void cost_bill_json(json_t *o, const struct fg_bill *b)
{
    json_object_set_new(o, "requests", json_real(b->requests));
    json_object_set_new(o, "billed_requests", json_real(b->billed_requests));
    json_object_set_new(o, "request_cost", json_real(b->request_cost));
    json_object_set_new(o, "gb_seconds", json_real(b->gb_seconds));
    json_object_set_new(o, "billed_gb_seconds", json_real(b->billed_gb_seconds));
    json_object_set_new(o, "duration_cost", json_real(b->duration_cost));
    json_object_set_new(o, "total", json_real(b->total));
}

json_t *fg_cost_report_json(const struct fg_cost_report *r)
{
    const struct fg_pricing *p = &r->pricing;
    json_t *o = json_object(), *fns = json_array(), *t = json_object(), *pr;
    char when[32];

    fg_log_iso_time(when, r->window_ms);
    for (size_t i = 0; i < r->n_rows && fns; i++) {
        json_t *row = json_pack("{s:s}", "function", r->rows[i].function);
        if (row)
            cost_bill_json(row, &r->rows[i].bill);
        json_array_append_new(fns, row);
    }
    if (t)
        cost_bill_json(t, &r->total);
    pr = json_pack("{s:f,s:f,s:f,s:f}", "requests_per_million", p->requests_per_million, "gb_second", p->gb_second,
                   "free_requests", p->free_requests, "free_gb_seconds", p->free_gb_seconds);
    if (!o || !fns || !t || !pr) {
        json_decref(o);
        json_decref(fns);
        json_decref(t);
        json_decref(pr);
        return NULL;
    }
    json_object_set_new(o, "since", json_string(when));
    json_object_set_new(o, "since_ms", json_integer(r->window_ms));
    json_object_set_new(o, "functions", fns);
    json_object_set_new(o, "total", t);
    json_object_set_new(o, "pricing", pr);
    return o;
}

void fg_cost_report_close(struct fg_cost_report *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n_rows = 0;
    json_decref(r->usage);
    r->usage = NULL;
}

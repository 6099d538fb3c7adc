/* SPDX-License-Identifier: MIT */
/* http_count.c - answers by route and status (see http_count.h). */
#include "http_count.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/strmap.h"

/* The codes counted exactly; the slot after them is 1xx, then 2xx .. 5xx, then anything
 * outside 100..599. */
static const unsigned count_codes[] = {
    200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405,
    406, 409, 410, 412, 413, 414, 415, 416, 422, 429, 431, 500, 501, 502, 503, 504,
};
#define COUNT_EXACT (sizeof(count_codes) / sizeof(count_codes[0]))
#define COUNT_SLOTS (COUNT_EXACT + 6)

static size_t count_slot(unsigned status)
{
    size_t lo = 0, hi = COUNT_EXACT;
    while (lo < hi) {           /* count_codes is sorted */
        size_t mid = (lo + hi) / 2;
        if (count_codes[mid] < status)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < COUNT_EXACT && count_codes[lo] == status)
        return lo;
    return status >= 100 && status <= 599 ? COUNT_EXACT + status / 100 - 1 : COUNT_SLOTS - 1;
}

int fg_http_count_init(struct fg_http_count *c, const struct fg_route_table *routes)
{
    c->routes = routes;
    c->n_routes = routes->n_routes;
    if (!(c->cells = calloc((c->n_routes + 2) * COUNT_SLOTS, sizeof(*c->cells))))
        return -ENOMEM;
    return 0;
}

void fg_http_count_close(struct fg_http_count *c)
{
    free(c->cells);
    c->cells = NULL;
}

size_t fg_http_count_unmatched(const struct fg_http_count *c)
{
    return c->n_routes;
}

size_t fg_http_count_invoke(const struct fg_http_count *c)
{
    return c->n_routes + 1;
}

void fg_http_count_add(struct fg_http_count *c, size_t row, unsigned status)
{
    atomic_fetch_add_explicit(&c->cells[row * COUNT_SLOTS + count_slot(status)], 1, memory_order_relaxed);
}

/* One label set's sums while a scrape adds the tables up. */
struct count_sum {
    const char *route;                 /* borrowed from a table's routes, or a constant */
    unsigned long long cells[COUNT_SLOTS];
};

/* Adds row of c (labelled route) to the sum for that route: found through index (route →
 * position + 1 in *sums), or appended. 0 or -ENOMEM. */
static int count_add_row(struct fg_strmap *index, struct count_sum **sums, size_t *n, size_t *cap,
                         const struct fg_http_count *c, size_t row, const char *route)
{
    uintptr_t at = (uintptr_t)fg_strmap_get(index, route);
    struct count_sum *sum;

    if (!at) {
        if (*n == *cap) {
            size_t grown = *cap ? *cap * 2 : 16;
            struct count_sum *more = realloc(*sums, grown * sizeof(*more));
            if (!more)
                return -ENOMEM;
            *sums = more;
            *cap = grown;
        }
        if (fg_strmap_put(index, route, (void *)(uintptr_t)(*n + 1)) < 0)
            return -ENOMEM;
        memset(&(*sums)[*n], 0, sizeof(**sums));
        (*sums)[*n].route = route;
        at = ++*n;
    }
    sum = &(*sums)[at - 1];
    for (size_t slot = 0; slot < COUNT_SLOTS; slot++)
        sum->cells[slot] += atomic_load_explicit(&c->cells[row * COUNT_SLOTS + slot], memory_order_relaxed);
    return 0;
}

int fg_http_count_write(const struct fg_http_count *const *tables, size_t n, struct fg_prom *p)
{
    struct fg_prom_family *f = fg_prom_family(p, "fngate_http_requests_total", FG_PROM_COUNTER,
                                              "Front-door answers by route (\"unmatched\": no route; \"invoke\": "
                                              "the Invoke API) and status (exact, or its class such as 2xx)");
    struct fg_strmap index;
    struct count_sum *sums = NULL;
    size_t n_sums = 0, cap = 0;
    char code[16];
    int rc = 0;

    fg_strmap_init(&index);
    for (size_t t = 0; t < n && rc == 0; t++) {
        const struct fg_http_count *c = tables[t];
        for (size_t row = 0; row < c->n_routes + 2 && rc == 0; row++)
            rc = count_add_row(&index, &sums, &n_sums, &cap, c, row,
                               row < c->n_routes ? c->routes->routes[row].route_key
                                                 : row == c->n_routes ? "unmatched" : "invoke");
    }
    for (size_t i = 0; i < n_sums && rc == 0; i++) {
        for (size_t slot = 0; slot < COUNT_SLOTS; slot++) {
            if (!sums[i].cells[slot])
                continue;
            if (slot < COUNT_EXACT)
                snprintf(code, sizeof(code), "%u", count_codes[slot]);
            else if (slot < COUNT_SLOTS - 1)
                snprintf(code, sizeof(code), "%zuxx", slot - COUNT_EXACT + 1);
            else
                snprintf(code, sizeof(code), "other");
            fg_prom_sample(f, (double)sums[i].cells[slot], "route", sums[i].route, "code", code, NULL);
        }
    }
    fg_strmap_free(&index);
    free(sums);
    return rc;
}

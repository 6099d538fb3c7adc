/* SPDX-License-Identifier: MIT */
/* cmd_cost.c - `fngate cost`: what AWS Lambda would charge, by the seed's rules
 * (core/pricing.h), with the config's `pricing:` when there is one: for the invocations a
 * running gateway recorded (GET /_fngate/usage, router/usage.h; per function and in total),
 * or with --estimate for a workload described on the command line. Exit status: 0 with the
 * bill, 1 the gateway could not be reached or refused, 2 for a usage error or a
 * configuration that does not load. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../config/config.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/pricing.h"
#include "../triggers/registry.h"
#include "client.h"
#include "commands.h"
#include "cost_report.h"

static void cost_usage(FILE *f)
{
    fprintf(f, "usage: fngate cost [FUNCTION] [--since TIME] [--json] [-c FILE] [--admin URL] [--token TOKEN]\n"
               "  What AWS Lambda would charge for the invocations a running gateway recorded since\n"
               "  TIME (30s, 10m, 2h, 30d, 1w ago or an ISO 8601 time; default 30d; whole hours), per\n"
               "  function and in total: requests, and GB-seconds of Billed Duration at Memory Size.\n"
               "  The free tier applies once per calendar month (UTC) to all functions together; what\n"
               "  is billed is shared among them by use.\n"
               "       fngate cost --estimate --requests N --duration D --memory MB [--months M] [--json]\n"
               "                   [-c FILE]\n"
               "  What AWS Lambda would charge for N invocations of D each (250ms, 1s, 1.5s; a bare\n"
               "  number is milliseconds; billed rounded up to 1 ms) at MB of memory (128..10240),\n"
               "  over M months (1; the free tier applies once a month). Rates: AWS's x86 prices,\n"
               "  or `pricing:` of the configuration (-c FILE, or ./fngate.yaml when it exists).\n"
               FG_CLIENT_ADMIN_USAGE);
}

/* "250ms", "1s", "1.5s", "2m", bare milliseconds: ms, or -1. */
static double cost_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0 || v != v)
        return -1;
    if (!*end || !strcmp(end, "ms"))
        return v;
    if (!strcmp(end, "s"))
        return v * 1000;
    if (!strcmp(end, "m"))
        return v * 60000;
    return -1;
}

static double cost_number(const char *s, double min, double max)
{
    char *end;
    double v = strtod(s, &end);
    return end == s || *end || v != v || v < min || v > max ? -1 : v;
}

static void cost_print(const struct fg_pricing *p, const struct fg_bill *b, double months, bool json)
{
    if (json) {
        printf("{\"requests\": %.0f, \"billed_requests\": %.0f, \"request_cost\": %.6f, "
               "\"gb_seconds\": %.3f, \"billed_gb_seconds\": %.3f, \"duration_cost\": %.6f, \"total\": %.6f, "
               "\"months\": %g, \"pricing\": {\"requests_per_million\": %g, \"gb_second\": %.10f, "
               "\"free_requests\": %.0f, \"free_gb_seconds\": %.0f}}\n",
               b->requests, b->billed_requests, b->request_cost, b->gb_seconds, b->billed_gb_seconds,
               b->duration_cost, b->total, months, p->requests_per_million, p->gb_second, p->free_requests,
               p->free_gb_seconds);
        return;
    }
    printf("%-10s %16.0f used %16.0f free %16.0f billed  $%.2f\n", "requests", b->requests,
           p->free_requests * months, b->billed_requests, b->request_cost);
    printf("%-10s %16.2f GB-s %16.2f free %16.2f billed  $%.2f\n", "duration", b->gb_seconds,
           p->free_gb_seconds * months, b->billed_gb_seconds, b->duration_cost);
    printf("%-10s $%.2f\n", "total", b->total);
    printf("rates: $%.2f per 1M requests, $%.10f per GB-second; free each month: %.0f requests, %.0f GB-seconds\n",
           p->requests_per_million, p->gb_second, p->free_requests, p->free_gb_seconds);
}

static void cost_row_text(const char *name, const struct fg_bill *b)
{
    printf("%-32s %12.0f %16.4f %12.0f %16.4f  $%.2f\n", name, b->requests, b->gb_seconds, b->billed_requests,
           b->billed_gb_seconds, b->total);
}

static void cost_recorded_print(const struct fg_cost_report *r, bool json)
{
    const struct fg_pricing *p = &r->pricing;
    char when[32];
    if (json) {
        json_t *o = fg_cost_report_json(r);
        char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        else
            fprintf(stderr, "fngate: out of memory\n");
        free(s);
        json_decref(o);
        return;
    }
    fg_log_iso_time(when, r->window_ms);
    printf("%-32s %12s %16s %12s %16s  %s\n", "FUNCTION", "REQUESTS", "GB-SECONDS", "BILLED_REQ", "BILLED_GB-S",
           "COST");
    for (size_t i = 0; i < r->n_rows; i++)
        cost_row_text(r->rows[i].function, &r->rows[i].bill);
    cost_row_text("total", &r->total);
    printf("since %s; free each calendar month (UTC), for all functions together: %.0f requests, %.0f "
           "GB-seconds\nrates: $%.2f per 1M requests, $%.10f per GB-second\n", when, p->free_requests,
           p->free_gb_seconds, p->requests_per_million, p->gb_second);
}

/* The bill of what the gateway recorded since since_ms (whole hours), for function (NULL:
 * every function), computed as GET /_fngate/cost computes it (cost_report.h). */
static int cost_recorded(const struct fg_client_admin *admin, const struct fg_pricing *p, const char *function,
                         long long since_ms, bool json)
{
    long long window = fg_cost_window_start(since_ms);
    struct fg_cost_report report;
    struct fg_err err;
    json_t *j;
    char path[128];

    /* From the start of the window's month: what was used before the window took its part
     * of that month's free tier. */
    snprintf(path, sizeof(path), "/_fngate/usage?since=%lld", fg_pricing_month_start(window));
    if (!(j = fg_client_call_json(admin, "GET", path, NULL)))
        return 1;
    if (fg_cost_report_build(&report, p, j, function, window, &err) < 0) {
        fprintf(stderr, "fngate: cost: %s\n", err.msg);
        json_decref(j);
        return 1;
    }
    cost_recorded_print(&report, json);
    fg_cost_report_close(&report);
    json_decref(j);
    return 0;
}

/* The configuration's pricing (path, or ./fngate.yaml when it exists), else AWS's. */
static int cost_pricing(const char *path, struct fg_pricing *pricing)
{
    fg_pricing_defaults(pricing);
    if (path || access("fngate.yaml", R_OK) == 0) {
        struct fg_config conf;
        struct fg_err err;
        if (fg_registry_conf_load(&conf, path ? path : "fngate.yaml", &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return -1;
        }
        *pricing = conf.pricing;
        fg_conf_free(&conf);
    }
    return 0;
}

int fg_cmd_cost(int argc, char **argv)
{
    static const struct option opts[] = {
        { "estimate", no_argument, NULL, 'e' }, { "requests", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' }, { "memory", required_argument, NULL, 'm' },
        { "months", required_argument, NULL, 'M' }, { "json", no_argument, NULL, 'j' },
        { "config", required_argument, NULL, 'c' }, { "since", required_argument, NULL, 's' },
        FG_CLIENT_ADMIN_OPTIONS, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct fg_client_admin admin = { "fngate.yaml", NULL, NULL };
    const char *path = NULL, *since = "30d";
    long long since_ms;
    double requests = -1, duration = -1, memory = -1, months = 1;
    bool estimate = false, json = false;
    struct fg_pricing pricing;
    struct fg_bill bill;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': estimate = true; break;
        case 'r': requests = cost_number(optarg, 0, 1e15); break;
        case 'd': duration = cost_duration_ms(optarg); break;
        case 'm': memory = cost_number(optarg, 128, 10240); break;
        case 'M': months = cost_number(optarg, 1, 1200); break;
        case 'j': json = true; break;
        case 'c': path = admin.config = optarg; break;
        case 's': since = optarg; break;
        case 'A': case 'T': fg_client_admin_option(&admin, c, optarg); break;
        case 'h': cost_usage(stdout); return 0;
        default: cost_usage(stderr); return 2;
        }
    }
    if (!estimate) {
        if (optind + 1 < argc || fg_client_time_arg(since, fg_now_ms(), &since_ms) < 0) {
            if (optind + 1 >= argc)
                fprintf(stderr, "fngate: cost: --since '%s': expected 30s, 10m, 2h, 30d, 1w or an ISO 8601 time\n",
                        since);
            cost_usage(stderr);
            return 2;
        }
        if (cost_pricing(path, &pricing) < 0)
            return 2;
        return cost_recorded(&admin, &pricing, optind < argc ? argv[optind] : NULL, since_ms, json);
    }
    if (optind != argc) {
        cost_usage(stderr);
        return 2;
    }
    if (requests < 0 || duration < 0 || memory < 0 || months < 1 || memory != floor(memory)) {
        fprintf(stderr, "fngate: cost: give --requests (a count), --duration (250ms, 1s) and --memory "
                        "(128..10240 MB)%s\n", months < 1 ? "; --months is 1 or more" : "");
        return 2;
    }
    if (cost_pricing(path, &pricing) < 0)
        return 2;
    fg_pricing_bill(&pricing, requests, requests * fg_pricing_gb_seconds(duration, (int)memory), months, &bill);
    cost_print(&pricing, &bill, months, json);
    return 0;
}

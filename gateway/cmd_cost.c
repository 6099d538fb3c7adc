/* SPDX-License-Identifier: MIT */
/* cmd_cost.c - `fngate cost --estimate`: what AWS Lambda would charge for a workload, by the
 * seed's rules (core/pricing.h), with the config's `pricing:` when there is one. Exit
 * status: 0 with the bill, 2 for a usage error or a configuration that does not load. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/config.h"
#include "../core/pricing.h"
#include "../triggers/registry.h"
#include "commands.h"

static void cost_usage(FILE *f)
{
    fprintf(f, "usage: fngate cost --estimate --requests N --duration D --memory MB [--months M] [--json]\n"
               "                   [-c FILE]\n"
               "  What AWS Lambda would charge for N invocations of D each (250ms, 1s, 1.5s; a bare\n"
               "  number is milliseconds; billed rounded up to 1 ms) at MB of memory (128..10240),\n"
               "  over M months (1; the free tier applies once a month). Rates: AWS's x86 prices,\n"
               "  or `pricing:` of the configuration (-c FILE, or ./fngate.yaml when it exists).\n");
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

int fg_cmd_cost(int argc, char **argv)
{
    static const struct option opts[] = {
        { "estimate", no_argument, NULL, 'e' }, { "requests", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' }, { "memory", required_argument, NULL, 'm' },
        { "months", required_argument, NULL, 'M' }, { "json", no_argument, NULL, 'j' },
        { "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
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
        case 'c': path = optarg; break;
        case 'h': cost_usage(stdout); return 0;
        default: cost_usage(stderr); return 2;
        }
    }
    if (!estimate || optind != argc) {
        fprintf(stderr, "fngate: cost: only --estimate is available: this build does not record invocations "
                        "to bill yet\n");
        cost_usage(stderr);
        return 2;
    }
    if (requests < 0 || duration < 0 || memory < 0 || months < 1 || memory != floor(memory)) {
        fprintf(stderr, "fngate: cost: give --requests (a count), --duration (250ms, 1s) and --memory "
                        "(128..10240 MB)%s\n", months < 1 ? "; --months is 1 or more" : "");
        return 2;
    }
    fg_pricing_defaults(&pricing);
    if (path || access("fngate.yaml", R_OK) == 0) {
        struct fg_config conf;
        struct fg_err err;
        if (fg_registry_conf_load(&conf, path ? path : "fngate.yaml", &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        pricing = conf.pricing;
        fg_conf_free(&conf);
    }
    fg_pricing_bill(&pricing, requests, requests * fg_pricing_gb_seconds(duration, (int)memory), months, &bill);
    cost_print(&pricing, &bill, months, json);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* cmd_logs.c - `fngate logs FUNCTION`: a function's stored log lines, as `aws logs tail`
 * and `sam logs` show CloudWatch's, from a running gateway's admin API
 * (GET /_fngate/logs/FUNCTION, router/logread.h), so it works against a remote gateway.
 *
 * Text for people (each line after its time), --json for scripts (a JSON object a line).
 * --follow asks again and again with the answer's cursor; each ask waits on the gateway
 * (LOGS_FOLLOW_WAIT_S) for a line to come, so lines show within a moment of being written.
 * Exit status: 0, 1 the gateway refused (unknown function) or could not be reached, 2 usage. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "client.h"
#include "commands.h"

#define LOGS_FOLLOW_WAIT_S 20
#define LOGS_DEFAULT_SINCE "10m"

struct logs_opts {
    struct fg_client_admin admin;
    const char *function, *filter, *request_id;
    long long since_ms, until_ms;
    int limit;
    bool follow, json;
};

static void logs_usage(FILE *f)
{
    fprintf(f, "usage: fngate logs FUNCTION [--since TIME] [--until TIME] [--follow] [--filter TEXT]\n"
               "                   [--request-id ID] [--limit N] [--json] [-c FILE] [--admin URL] [--token TOKEN]\n"
               "  A function's log lines (START, END, REPORT and what it printed) as the gateway keeps\n"
               "  them (logs: in the configuration), oldest first, each after its time.\n"
               "  --since TIME        from TIME: 30s, 10m, 2h, 7d, 1w ago, or an ISO 8601 date or time\n"
               "                      (2026-12-01, 2026-12-01T10:00:00Z, ...+02:00; UTC without a zone);\n"
               "                      default 10m, or everything kept with --request-id\n"
               "  --until TIME        up to TIME (default: now)\n"
               "  --follow, -f        then keep printing new lines as they are written (Ctrl-C stops)\n"
               "  --filter TEXT       only lines containing TEXT (case-sensitive)\n"
               "  --request-id ID     only the lines of that invocation\n"
               "  --limit N           at most the newest N lines (1..10000, default 1000)\n"
               "  --json              one JSON object a line: function, time, ts (epoch ms), request_id, line\n"
               "  -c, --config FILE   configuration (default ./fngate.yaml): where the admin API listens\n"
               FG_CLIENT_ADMIN_USAGE);
}

/* The question's path: the function and what narrows it, plus extra (after=, wait=). */
static char *logs_path(const struct logs_opts *o, const char *after)
{
    struct fg_buf b;
    char num[32];

    fg_buf_init(&b, 8192);
    fg_buf_append_str(&b, "/_fngate/logs/");
    fg_buf_append_str(&b, o->function);
    snprintf(num, sizeof(num), "%lld", o->since_ms);
    fg_client_query_param(&b, "since", num);
    if (o->until_ms) {
        snprintf(num, sizeof(num), "%lld", o->until_ms);
        fg_client_query_param(&b, "until", num);
    }
    if (o->filter)
        fg_client_query_param(&b, "filter", o->filter);
    if (o->request_id)
        fg_client_query_param(&b, "request_id", o->request_id);
    snprintf(num, sizeof(num), "%d", o->limit);
    fg_client_query_param(&b, "limit", num);
    if (after) {
        fg_client_query_param(&b, "after", after);
        snprintf(num, sizeof(num), "%d", LOGS_FOLLOW_WAIT_S);
        fg_client_query_param(&b, "wait", num);
    }
    if (b.err) {
        fg_buf_free(&b);
        return NULL;
    }
    return fg_buf_take(&b, NULL);
}

/* Prints an answer's records; returns its cursor (owned) for the next question. */
static char *logs_print(const struct logs_opts *o, json_t *answer)
{
    json_t *rec;
    size_t i;

    json_array_foreach(json_object_get(answer, "records"), i, rec) {
        long long ts = json_integer_value(json_object_get(rec, "ts"));
        const char *line = json_string_value(json_object_get(rec, "line"));
        char when[32];
        fg_log_iso_time(when, ts);
        if (o->json) {
            json_t *out = json_pack("{s:s,s:s,s:I,s:O?,s:s}", "function", o->function, "time", when, "ts",
                                    (json_int_t)ts, "request_id", json_object_get(rec, "request_id"), "line",
                                    line ? line : "");
            char *s = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(out);
        } else {
            printf("%s %s\n", when, line ? line : "");
        }
    }
    fflush(stdout);
    return json_is_string(json_object_get(answer, "next")) ? strdup(json_string_value(json_object_get(answer, "next")))
                                                          : NULL;
}

/* The window, then (--follow) what follows it, question after question. */
static int logs_run(const struct logs_opts *o)
{
    char *cursor = NULL, *path;
    bool first = true;
    json_t *j;

    do {
        path = logs_path(o, first ? NULL : cursor);
        free(cursor);
        cursor = NULL;
        if (!path || !(j = fg_client_call_json(&o->admin, "GET", path, NULL))) {
            free(path);
            return 1;
        }
        free(path);
        cursor = logs_print(o, j);
        if (first && json_is_true(json_object_get(j, "truncated")))
            fprintf(stderr, "fngate: older matching lines are not shown (at most %d): narrow --since or raise "
                            "--limit\n", o->limit);
        json_decref(j);
        first = false;
    } while (o->follow && cursor);
    free(cursor);
    return 0;
}

int fg_cmd_logs(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, FG_CLIENT_ADMIN_OPTIONS,
        { "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
        { "follow", no_argument, NULL, 'f' }, { "filter", required_argument, NULL, 'F' },
        { "request-id", required_argument, NULL, 'r' }, { "limit", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct logs_opts o = { .admin = { "fngate.yaml", NULL, NULL }, .limit = 1000 };
    const char *since = NULL, *until = NULL;
    long long now = fg_now_ms();
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.admin.config = optarg; break;
        case 'A': case 'T': fg_client_admin_option(&o.admin, c, optarg); break;
        case 's': since = optarg; break;
        case 'u': until = optarg; break;
        case 'f': o.follow = true; break;
        case 'F': o.filter = optarg; break;
        case 'r': o.request_id = optarg; break;
        case 'n': o.limit = atoi(optarg); break;
        case 'j': o.json = true; break;
        case 'h': logs_usage(stdout); return 0;
        default: logs_usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        logs_usage(stderr);
        return 2;
    }
    o.function = argv[optind];
    if (o.limit < 1 || o.limit > 10000) {
        fprintf(stderr, "fngate: logs: --limit is 1..10000\n");
        return 2;
    }
    /* A request id is looked for in everything kept, unless told otherwise. */
    if (!since && o.request_id)
        o.since_ms = 0;
    else if (fg_client_time_arg(since ? since : LOGS_DEFAULT_SINCE, now, &o.since_ms) < 0 || o.since_ms < 0) {
        fprintf(stderr, "fngate: logs: --since '%s': expected 30s, 10m, 2h, 7d, 1w or an ISO 8601 time\n", since);
        return 2;
    }
    if (until && (fg_client_time_arg(until, now, &o.until_ms) < 0 || o.until_ms < o.since_ms)) {
        fprintf(stderr, "fngate: logs: --until '%s': expected a time after --since (30s, 10m, 2h, 7d, 1w ago "
                        "or an ISO 8601 time)\n", until);
        return 2;
    }
    return logs_run(&o);
}

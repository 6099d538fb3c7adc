/* SPDX-License-Identifier: MIT */
/* cmd_queue.c - `fngate queue` and `fngate dlq ...`: the async queue and its dead letters,
 * seen from a running gateway through the admin API (gateway/admin.h).
 *
 * Tables for people, --json for scripts. Exit status: 0 success, 1 the gateway refused or
 * could not be reached, 2 usage. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "client.h"
#include "commands.h"

struct queue_opts {
    struct fg_client_admin admin;
    int json;
    int limit;
    int all;
};

static void queue_usage(FILE *f)
{
    fprintf(f, "usage: fngate queue [-c FILE] [--admin URL] [--token TOKEN] [--json]\n"
               "  Per function: events queued, in flight, waiting to retry, the oldest event's age,\n"
               "  and dead letters, from a running gateway.\n"
               "       fngate dlq list [FUNCTION] [--limit N] [--json]\n"
               "       fngate dlq show ID\n"
               "       fngate dlq redrive FUNCTION | ID...\n"
               "       fngate dlq purge FUNCTION | ID... | --all\n"
               "  Dead letters: events that failed every attempt or grew too old. redrive queues\n"
               "  them again with fresh attempts and new request ids; purge deletes them.\n"
               "  -c, --config FILE   configuration (default ./fngate.yaml): where the admin API listens\n"
               FG_CLIENT_ADMIN_USAGE);
}

static json_t *queue_call(const struct queue_opts *o, const char *method, const char *path, const char *body)
{
    return fg_client_call_json(&o->admin, method, path, body);
}

static int queue_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
    return s ? 0 : 1;
}

static int queue_show_stats(const struct queue_opts *o)
{
    json_t *j = queue_call(o, "GET", "/_fngate/queue", NULL), *fn;
    size_t i;

    if (!j)
        return 1;
    if (o->json)
        return queue_print_json(j);
    printf("%-32s %8s %9s %8s %10s %12s\n", "FUNCTION", "QUEUED", "IN_FLIGHT", "RETRYING", "OLDEST_AGE", "DEAD_LETTERS");
    json_array_foreach(json_object_get(j, "functions"), i, fn) {
        double age = (double)json_integer_value(json_object_get(fn, "oldestEventAgeMs")) / 1000.0;
        printf("%-32s %8lld %9lld %8lld %9.1fs %12lld\n", json_string_value(json_object_get(fn, "name")),
               (long long)json_integer_value(json_object_get(fn, "queued")),
               (long long)json_integer_value(json_object_get(fn, "inFlight")),
               (long long)json_integer_value(json_object_get(fn, "retrying")), age,
               (long long)json_integer_value(json_object_get(fn, "deadLetters")));
    }
    /* A fleet (state.backend redis): what the whole fleet has, from the shared store. */
    json_array_foreach(json_object_get(j, "functions"), i, fn) {
        json_t *fl = json_object_get(fn, "fleet");
        if (!fl)
            continue;
        if (!i)
            printf("\nfleet (every node, as of the last second):\n%-32s %8s %9s %8s\n", "FUNCTION", "QUEUED", "HELD",
                   "RETRYING");
        printf("%-32s %8lld %9lld %8lld\n", json_string_value(json_object_get(fn, "name")),
               (long long)json_integer_value(json_object_get(fl, "queued")),
               (long long)json_integer_value(json_object_get(fl, "held")),
               (long long)json_integer_value(json_object_get(fl, "retrying")));
    }
    json_t *d = json_object_get(j, "destinations");
    if (json_integer_value(json_object_get(d, "queued")) || json_integer_value(json_object_get(d, "inFlight")) ||
        json_integer_value(json_object_get(d, "retrying")))
        printf("HTTP destinations: %lld queued, %lld in flight, %lld retrying\n",
               (long long)json_integer_value(json_object_get(d, "queued")),
               (long long)json_integer_value(json_object_get(d, "inFlight")),
               (long long)json_integer_value(json_object_get(d, "retrying")));
    json_decref(j);
    return 0;
}

static int queue_dlq_list(const struct queue_opts *o, const char *function)
{
    char path[256];
    json_t *j, *it;
    size_t i;

    snprintf(path, sizeof(path), "/_fngate/dlq?limit=%d%s%s", o->limit, function ? "&function=" : "",
             function ? function : "");
    if (!(j = queue_call(o, "GET", path, NULL)))
        return 1;
    if (o->json)
        return queue_print_json(j);
    printf("%-8s %-24s %-18s %8s  %-24s %s\n", "ID", "FUNCTION", "CONDITION", "ATTEMPTS", "FAILED_AT", "ERROR");
    json_array_foreach(json_object_get(j, "items"), i, it) {
        const char *type = json_string_value(json_object_get(it, "errorType"));
        const char *msg = json_string_value(json_object_get(it, "errorMessage"));
        printf("%-8lld %-24s %-18s %8lld  %-24s %s%s%.120s\n", (long long)json_integer_value(json_object_get(it, "id")),
               json_string_value(json_object_get(it, "function")), json_string_value(json_object_get(it, "condition")),
               (long long)json_integer_value(json_object_get(it, "attempts")),
               json_string_value(json_object_get(it, "failedAt")), type ? type : "", type && msg ? ": " : "",
               msg ? msg : "");
    }
    printf("%lld dead letter(s)%s\n", (long long)json_integer_value(json_object_get(j, "total")),
           json_integer_value(json_object_get(j, "total")) > (json_int_t)json_array_size(json_object_get(j, "items"))
               ? " (use --limit to see more)" : "");
    json_decref(j);
    return 0;
}

/* FUNCTION or ID... as the admin API's selection body. Owned string or NULL (usage). */
static char *queue_selection(int argc, char **argv, int all)
{
    json_t *sel = json_object(), *ids = json_array();
    bool numeric = argc > 0;
    char *s = NULL;

    for (int i = 0; i < argc; i++)
        if (!argv[i][0] || strspn(argv[i], "0123456789") != strlen(argv[i]))
            numeric = false;
    if (all && argc == 0) {
        json_object_set_new(sel, "all", json_true());
    } else if (numeric) {
        for (int i = 0; i < argc; i++)
            json_array_append_new(ids, json_integer(strtoll(argv[i], NULL, 10)));
        json_object_set(sel, "ids", ids);
    } else if (argc == 1 && !all) {
        json_object_set_new(sel, "function", json_string(argv[0]));
    } else {
        goto out;
    }
    s = json_dumps(sel, JSON_COMPACT);
out:
    json_decref(ids);
    json_decref(sel);
    return s;
}

static int queue_dlq(struct queue_opts *o, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : NULL;
    json_t *j;

    if (!verb) {
        queue_usage(stderr);
        return 2;
    }
    if (!strcmp(verb, "list") && argc <= 2)
        return queue_dlq_list(o, argc == 2 ? argv[1] : NULL);
    if (!strcmp(verb, "show") && argc == 2 && strspn(argv[1], "0123456789") == strlen(argv[1])) {
        char path[128];
        snprintf(path, sizeof(path), "/_fngate/dlq/%s", argv[1]);
        return (j = queue_call(o, "GET", path, NULL)) ? queue_print_json(j) : 1;
    }
    if ((!strcmp(verb, "redrive") || !strcmp(verb, "purge")) && (argc > 1 || o->all)) {
        bool purge = !strcmp(verb, "purge");
        char path[64], *body = queue_selection(argc - 1, argv + 1, purge && o->all);
        if (!body) {
            queue_usage(stderr);
            return 2;
        }
        snprintf(path, sizeof(path), "/_fngate/dlq/%s", verb);
        j = queue_call(o, "POST", path, body);
        free(body);
        if (!j)
            return 1;
        if (o->json)
            return queue_print_json(j);
        printf("%s %lld dead letter(s)\n", purge ? "purged" : "redrove",
               (long long)json_integer_value(json_object_get(j, purge ? "purged" : "redriven")));
        json_decref(j);
        return 0;
    }
    queue_usage(stderr);
    return 2;
}

static int queue_main(int argc, char **argv, bool dlq)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, FG_CLIENT_ADMIN_OPTIONS,
        { "json", no_argument, NULL, 'j' }, { "limit", required_argument, NULL, 'n' },
        { "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct queue_opts o = { { "fngate.yaml", NULL, NULL }, 0, 100, 0 };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.admin.config = optarg; break;
        case 'A': case 'T': fg_client_admin_option(&o.admin, c, optarg); break;
        case 'j': o.json = 1; break;
        case 'n': o.limit = atoi(optarg); break;
        case 'a': o.all = 1; break;
        case 'h': queue_usage(stdout); return 0;
        default: queue_usage(stderr); return 2;
        }
    }
    if (o.limit < 1 || o.limit > 10000) {
        fprintf(stderr, "fngate: --limit is 1..10000\n");
        return 2;
    }
    if (!dlq) {
        if (optind != argc) {
            queue_usage(stderr);
            return 2;
        }
        return queue_show_stats(&o);
    }
    return queue_dlq(&o, argc - optind, argv + optind);
}

int fg_cmd_queue(int argc, char **argv)
{
    return queue_main(argc, argv, false);
}

int fg_cmd_dlq(int argc, char **argv)
{
    return queue_main(argc, argv, true);
}

/* SPDX-License-Identifier: MIT */
/* cmd_schedule.c - `fngate schedule next EXPR`: when an expression fires, computed by the
 * same code the gateway uses, so a schedule can be checked before it is deployed; and
 * `fngate schedules`: the schedules of a running gateway (admin API).
 * Exit status: 0, 1 for an invalid expression or zone (or no gateway), 2 usage. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../core/loop.h"
#include "../core/tz.h"
#include "../core/schedule_expr.h"
#include "client.h"
#include "commands.h"

static void schedule_usage(FILE *f)
{
    fprintf(f, "usage: fngate schedule next EXPR [-n N] [--tz ZONE] [--from yyyy-mm-ddThh:mm:ss[Z|+hh:mm]]\n"
               "  Prints the next N (default 5) fire times of EXPR: rate(...), cron(...), a Unix cron\n"
               "  line, @daily and friends, or at(...); local time in ZONE (default UTC) and UTC.\n"
               "  --from is local time in ZONE (default: now), or an instant with Z or an offset.\n");
}

static void schedules_usage(FILE *f)
{
    fprintf(f, "usage: fngate schedules [-c FILE] [--admin URL] [--token TOKEN] [--json]\n"
               "  Lists the schedules of a running gateway with their last and next fire (UTC).\n"
               FG_CLIENT_ADMIN_USAGE);
}

int fg_cmd_schedules(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, FG_CLIENT_ADMIN_OPTIONS,
        { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct fg_client_admin admin = { "fngate.yaml", NULL, NULL };
    json_t *j, *it;
    size_t i;
    int c, json = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': admin.config = optarg; break;
        case 'A': case 'T': fg_client_admin_option(&admin, c, optarg); break;
        case 'j': json = 1; break;
        case 'h': schedules_usage(stdout); return 0;
        default: schedules_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        schedules_usage(stderr);
        return 2;
    }
    if (!(j = fg_client_call_json(&admin, "GET", "/_fngate/schedules", NULL)))
        return 1;
    if (json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "");
        free(s);
    } else {
        printf("%-28s %-20s %-26s %-16s %-21s %s\n", "NAME", "FUNCTION", "EXPRESSION", "TIMEZONE", "LAST_FIRE", "NEXT_FIRE");
        json_array_foreach(json_object_get(j, "schedules"), i, it) {
            const char *last = json_string_value(json_object_get(it, "lastFire"));
            const char *next = json_string_value(json_object_get(it, "nextFire"));
            printf("%-28s %-20s %-26s %-16s %-21s %s\n", json_string_value(json_object_get(it, "name")),
                   json_string_value(json_object_get(it, "function")), json_string_value(json_object_get(it, "expression")),
                   json_string_value(json_object_get(it, "timezone")), last ? last : "-", next ? next : "never");
        }
    }
    json_decref(j);
    return 0;
}

/* --from "yyyy-mm-ddThh:mm:ss" is local time in the zone; an ISO 8601 instant ends in "Z"
 * or "+hh:mm" / "-hh:mm". Copies the first 19 characters to base; returns 1 with the
 * suffix's offset in *offset_s, 0 without a suffix, -1 for a suffix that is neither. */
static int schedule_from_instant(const char *from, char base[20], long *offset_s)
{
    const char *sfx = strlen(from) > 19 ? from + 19 : "";
    snprintf(base, 20, "%s", from);
    if (!*sfx)
        return 0;
    if (!strcmp(sfx, "Z")) {
        *offset_s = 0;
        return 1;
    }
    if ((sfx[0] == '+' || sfx[0] == '-') && strlen(sfx) == 6 && isdigit((unsigned char)sfx[1]) &&
        isdigit((unsigned char)sfx[2]) && sfx[3] == ':' && isdigit((unsigned char)sfx[4]) &&
        isdigit((unsigned char)sfx[5])) {
        long h = (sfx[1] - '0') * 10 + (sfx[2] - '0'), m = (sfx[4] - '0') * 10 + (sfx[5] - '0');
        if (h > 23 || m > 59)
            return -1;
        *offset_s = (sfx[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return 1;
    }
    return -1;
}

int fg_cmd_schedule(int argc, char **argv)
{
    static const struct option opts[] = {
        { "tz", required_argument, NULL, 'z' }, { "from", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *zone = "UTC", *from = NULL;
    struct fg_sched_expr e;
    struct fg_tz *z = NULL;
    struct fg_err err;
    long long after;
    char msg[512];
    int c, col, count = 5, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': count = atoi(optarg); break;
        case 'z': zone = optarg; break;
        case 'f': from = optarg; break;
        case 'h': schedule_usage(stdout); return 0;
        default: schedule_usage(stderr); return 2;
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "next") || count < 1 || count > 10000) {
        schedule_usage(stderr);
        return 2;
    }
    if (fg_sched_parse(argv[optind + 1], true, &e, &col, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "fngate: %s\n        %*s^ column %d: %s\n", argv[optind + 1], col - 1, "", col, msg);
        return 1;
    }
    if (fg_tz_load(zone, &z, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        return 1;
    }
    after = fg_now_ms() / 1000;
    if (from) {
        struct fg_sched_expr at;
        char buf[64], base[20];
        long offset = 0;
        int instant = schedule_from_instant(from, base, &offset);
        snprintf(buf, sizeof(buf), "at(%s)", instant ? base : from);
        if (instant < 0) {
            fprintf(stderr, "fngate: --from: '%s': expected yyyy-mm-ddThh:mm:ss, then nothing, Z or +hh:mm\n", from);
            goto out;
        }
        if (fg_sched_parse(buf, false, &at, &col, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "fngate: --from: %s\n", msg);
            goto out;
        }
        /* --from itself may fire */
        after = (instant ? at.at_local - offset : fg_tz_resolve(z, at.at_local)) - 1;
    }
    for (int i = 0; i < count; i++) {
        char local[32], utc[32];
        long long t = fg_sched_next(&e, z, after);
        if (t < 0) {
            if (i == 0)
                printf("(never fires after that time)\n");
            break;
        }
        int off = fg_tz_offset(z, t);
        fg_tz_format(local, t, off);
        fg_tz_format(utc, t, 0);
        /* Always show the offset on the local side, +00:00 included. */
        printf("%.19s%s  %s  %s\n", local, off ? local + 19 : "+00:00", fg_tz_name(z), utc);
        after = t;
    }
    rc = 0;
out:
    fg_tz_free(z);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* cmd_reload.c - `fngate reload`: a running gateway reads its configuration again, as
 * SIGHUP asks it to, but with the answer (what changed, or the file:line:col that refused
 * it) printed here. Through the admin API, so it works for a remote gateway and needs no
 * pid. Exit status: 0 reloaded (or unchanged), 1 refused or unreachable, 2 usage. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "commands.h"

static void reload_usage(FILE *f)
{
    fprintf(f, "usage: fngate reload [-c FILE] [--admin URL] [--token TOKEN] [--json]\n"
               "  A running gateway reads its configuration file again and applies it without\n"
               "  dropping work (as SIGHUP does); a file that fails validation changes nothing.\n"
               "  -c, --config FILE   configuration (default ./fngate.yaml): where the admin API listens\n"
               FG_CLIENT_ADMIN_USAGE
               "  --json              the gateway's answer as JSON\n");
}

int fg_cmd_reload(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, FG_CLIENT_ADMIN_OPTIONS, { NULL, 0, NULL, 0 },
    };
    struct fg_client_admin admin = { "fngate.yaml", NULL, NULL };
    bool json = false;
    json_t *j, *f;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (fg_client_admin_option(&admin, c, optarg))
            continue;
        switch (c) {
        case 'c': admin.config = optarg; break;
        case 'j': json = true; break;
        case 'h': reload_usage(stdout); return 0;
        default: reload_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        reload_usage(stderr);
        return 2;
    }
    if (!(j = fg_client_call_json(&admin, "POST", "/_fngate/reload", "{}")))
        return 1;
    if (json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
    } else if (!json_is_true(json_object_get(j, "reloaded"))) {
        printf("unchanged: the configuration is the one running\n");
    } else {
        f = json_object_get(j, "functions");
        printf("reloaded: %lld function(s) added, %lld removed, %lld changed (new workers), %lld unchanged\n",
               (long long)json_integer_value(json_object_get(f, "added")),
               (long long)json_integer_value(json_object_get(f, "removed")),
               (long long)json_integer_value(json_object_get(f, "changed")),
               (long long)json_integer_value(json_object_get(f, "unchanged")));
        if (json_array_size(json_object_get(j, "needsRestart"))) {
            char *keys = json_dumps(json_object_get(j, "needsRestart"), JSON_COMPACT);
            printf("not applied until a restart: %s\n", keys ? keys : "?");
            free(keys);
        }
    }
    json_decref(j);
    return 0;
}

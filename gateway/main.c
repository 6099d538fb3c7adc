/* SPDX-License-Identifier: MIT */
/* main.c - the fngate command: picks a verb, and is the only place that exits. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void main_usage(FILE *f)
{
    fprintf(f, "usage: fngate [--version] [--help] COMMAND [ARGS]\n"
               "commands:\n"
               "  serve      run the gateway (HTTP routes, Invoke API, warm workers)\n"
               "  validate   check the configuration and print what it resolves to\n"
               "  invoke     call a function through a running gateway, or --local\n"
               "  reload     a running gateway reads its configuration again (as SIGHUP)\n"
               "  queue      the async queue of a running gateway, per function\n"
               "  dlq        list, show, redrive or purge dead letters\n"
               "  schedule   `schedule next EXPR`: when a schedule expression fires\n"
               "  schedules  the schedules of a running gateway, with last and next fire\n"
               "  filter     `filter test PATTERN EVENT`: whether an event passes a filter pattern\n"
               "  logs       a function's stored log lines, by time, text or request id; --follow\n"
               "  cost       what AWS Lambda would charge: recorded invocations, or --estimate\n"
               "Every command takes -c FILE (default ./fngate.yaml) and --help.\n");
}

int main(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;

    /* Writes to closed sockets and pipes fail with EPIPE instead of killing the gateway. */
    signal(SIGPIPE, SIG_IGN);
    if (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        main_usage(verb ? stdout : stderr);
        return verb ? 0 : 2;
    }
    if (!strcmp(verb, "--version") || !strcmp(verb, "version")) {
        printf("fngate %s\n", FG_VERSION);
        return 0;
    }
    if (!strcmp(verb, "serve"))
        return fg_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(verb, "validate"))
        return fg_cmd_validate(argc - 1, argv + 1);
    if (!strcmp(verb, "invoke"))
        return fg_cmd_invoke(argc - 1, argv + 1);
    if (!strcmp(verb, "reload"))
        return fg_cmd_reload(argc - 1, argv + 1);
    if (!strcmp(verb, "queue"))
        return fg_cmd_queue(argc - 1, argv + 1);
    if (!strcmp(verb, "dlq"))
        return fg_cmd_dlq(argc - 1, argv + 1);
    if (!strcmp(verb, "schedule"))
        return fg_cmd_schedule(argc - 1, argv + 1);
    if (!strcmp(verb, "schedules"))
        return fg_cmd_schedules(argc - 1, argv + 1);
    if (!strcmp(verb, "filter"))
        return fg_cmd_filter(argc - 1, argv + 1);
    if (!strcmp(verb, "cost"))
        return fg_cmd_cost(argc - 1, argv + 1);
    if (!strcmp(verb, "logs"))
        return fg_cmd_logs(argc - 1, argv + 1);
    fprintf(stderr, "fngate: unknown command '%s'\n", verb);
    main_usage(stderr);
    return 2;
}

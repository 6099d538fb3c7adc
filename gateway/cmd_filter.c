/* SPDX-License-Identifier: MIT */
/* cmd_filter.c - `fngate filter test PATTERN EVENT`: whether an event passes a
 * `filter_criteria` pattern, decided by the same code the triggers use, so a pattern can be
 * tried before it is deployed. Prints {"Result": true|false} as `aws events
 * test-event-pattern` does. Exit status: 0 with the result, 2 for an invalid pattern or
 * event (message on stderr, with where in the pattern) or a usage error. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../config/config.h"
#include "../core/buf.h"
#include "../core/filter.h"
#include "client.h"
#include "commands.h"

static void filter_usage(FILE *f)
{
    fprintf(f, "usage: fngate filter test PATTERN EVENT\n"
               "  Prints {\"Result\": true} when EVENT passes PATTERN (one filter_criteria pattern),\n"
               "  else {\"Result\": false}, as `aws events test-event-pattern` does.\n"
               "  PATTERN and EVENT are JSON text; @FILE reads a file, @- standard input (one of them).\n"
               "  Exit status: 0 with the result, 2 for an invalid pattern or event, or usage.\n");
}

int fg_cmd_filter(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    struct fg_buf pattern, event;
    struct fg_filter *f = NULL;
    struct fg_err err;
    json_t *ev = NULL;
    json_error_t je;
    const char *text;
    int c, rc = 2;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': filter_usage(stdout); return 0;
        default: filter_usage(stderr); return 2;
        }
    }
    if (optind + 3 != argc || strcmp(argv[optind], "test") ||
        (!strcmp(argv[optind + 1], "@-") && !strcmp(argv[optind + 2], "@-"))) {
        filter_usage(stderr);
        return 2;
    }
    fg_buf_init(&pattern, FG_PAYLOAD_SYNC_MAX_BYTES);
    fg_buf_init(&event, FG_PAYLOAD_SYNC_MAX_BYTES);
    if (fg_client_read_arg(argv[optind + 1], "pattern", &pattern, &err) < 0 ||
        fg_client_read_arg(argv[optind + 2], "event", &event, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        goto out;
    }
    text = pattern.data ? pattern.data : "";
    if (fg_filter_compile(&text, 1, &f, &err) < 0) {
        fprintf(stderr, "fngate: invalid pattern: %s\n", err.msg);
        goto out;
    }
    if (!(ev = json_loadb(event.data ? event.data : "", event.len, JSON_DECODE_ANY, &je))) {
        fprintf(stderr, "fngate: the event is not JSON: line %d, column %d: %s\n", je.line, je.column, je.text);
        goto out;
    }
    printf("{\"Result\": %s}\n", fg_filter_match(f, ev) ? "true" : "false");
    rc = 0;
out:
    json_decref(ev);
    fg_filter_free(f);
    fg_buf_free(&pattern);
    fg_buf_free(&event);
    return rc;
}

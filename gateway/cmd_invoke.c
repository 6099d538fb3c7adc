/* SPDX-License-Identifier: MIT */
/* cmd_invoke.c - `fngate invoke NAME`: call a function through a running gateway's Invoke
 * API, or with --local run one invocation in-process with no server (as `sam local invoke`).
 *
 * The result goes to stdout, logs (the tail, or the whole stream with --local) to stderr,
 * so `fngate invoke X > out.json` captures exactly what the function returned. Exit status:
 * 0 success, 1 function error or refused call, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../config/config.h"
#include "../triggers/registry.h"
#include "../core/base64.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "client.h"
#include "commands.h"
#include "invoke_api.h"

struct invoke_opts {
    const char *config;
    const char *name;
    const char *payload;     /* JSON text */
    const char *endpoint;    /* http://HOST:PORT, overriding the config's listen address */
    int log_tail;
    int local;
    int event;               /* InvocationType Event */
};

static void invoke_usage(FILE *f)
{
    fprintf(f, "usage: fngate invoke NAME [-c FILE] [--endpoint URL] [--payload JSON|@FILE|@-] [--log-tail] [--event] [--local]\n"
               "  Invokes NAME (RequestResponse) and prints its result on stdout.\n"
               "  -c, --config FILE   configuration (default ./fngate.yaml): where the gateway listens\n"
               "  --endpoint URL      the gateway's address instead (e.g. http://127.0.0.1:8080)\n"
               "  --payload JSON      the event; @FILE reads a file, @- standard input (default {})\n"
               "  --log-tail          print the last 4 KB of the invocation's log on stderr\n"
               "  --event             asynchronous (InvocationType Event): queued, retried, dead-lettered\n"
               "  --local             run the function here, without a gateway (logs on stderr)\n"
               "  Calls are SigV4-signed with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY when both are\n"
               "  set, else with the config's first invoke_api.credentials entry, else not at all.\n"
               "  Exit status: 0 success, 1 function error or refused call, 2 usage.\n");
}

/* ------------------------------------------------------------------ remote */

static void invoke_print_tail(const char *b64)
{
    struct fg_buf dec;
    fg_buf_init(&dec, 16384);
    if (fg_base64_decode(&dec, b64, strlen(b64)) == 0 && dec.len)
        fwrite(dec.data, 1, dec.len, stderr);
    fg_buf_free(&dec);
}

/* The key to sign with, as the AWS CLI finds one: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, else the first of the configuration's invoke_api.credentials (the
 * CLI reads the gateway's own file). NULL: the call goes unsigned (auth none). */
static const struct fg_client_key *invoke_key(const struct fg_config *conf, struct fg_client_key *k)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *region = getenv("AWS_REGION");

    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    k->region = region && *region ? region : conf->region ? conf->region : "us-east-1";
    if (ak && *ak && sk && *sk) {
        k->access_key = ak;
        k->secret_key = sk;
        return k;
    }
    if (conf->invoke_api.credentials.n) {
        k->access_key = conf->invoke_api.credentials.items[0].access_key;
        k->secret_key = conf->invoke_api.credentials.items[0].secret_key;
        return k;
    }
    return NULL;
}

static int invoke_remote(const struct fg_config *conf, const struct invoke_opts *o, struct fg_buf *payload)
{
    static const char *const event_hdrs[] = { "X-Amz-Invocation-Type: Event", NULL };
    static const char *const tail_hdrs[] = { "X-Amz-Log-Type: Tail", NULL };
    struct fg_client_reply r;
    struct fg_client_key key;
    struct fg_err err;
    char base[400], url[600];
    int rc = 1;

    fg_client_base_url(conf, o->endpoint, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/2015-03-31/functions/%s/invocations", base, o->name);
    if (fg_client_request("POST", url, o->event ? event_hdrs : o->log_tail ? tail_hdrs : NULL,
                          payload->data ? payload->data : "", payload->len, invoke_key(conf, &key), &r, &err) < 0) {
        fprintf(stderr, "fngate: %s (is `fngate serve -c %s` running?)\n", err.msg, o->config);
        fg_client_reply_close(&r);
        return 1;
    }
    if (r.log_result[0])
        invoke_print_tail(r.log_result);
    if (r.status >= 300) {
        fprintf(stderr, "fngate: %s (HTTP %ld): %.*s\n", r.error_type[0] ? r.error_type : "error", r.status,
                (int)r.body.len, r.body.data ? r.body.data : "");
    } else if (o->event) {
        fprintf(stderr, "accepted (HTTP %ld): the function runs asynchronously\n", r.status);
        rc = 0;
    } else {
        if (r.body.len)
            fwrite(r.body.data, 1, r.body.len, stdout);
        fputc('\n', stdout);
        rc = r.function_error[0] ? 1 : 0;
    }
    fg_client_reply_close(&r);
    return rc;
}

/* ------------------------------------------------------------------ local */

struct invoke_local {
    struct fg_loop loop;
    struct fg_router *router;
    struct fg_invocation inv;
};

static void invoke_local_stopped(void *arg)
{
    struct invoke_local *l = arg;
    fg_loop_break(&l->loop);
}

static void invoke_local_done(struct fg_invocation *inv, void *arg)
{
    struct invoke_local *l = arg;
    (void)inv;
    fg_router_stop(l->router, invoke_local_stopped, l);
}

static int invoke_local(const struct fg_config *conf, const struct invoke_opts *o, struct fg_buf *payload)
{
    struct invoke_local l;
    struct fg_err err;
    int rc = 1;

    memset(&l, 0, sizeof(l));
    if (fg_loop_init(&l.loop, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        fg_loop_close(&l.loop);
        return 1;
    }
    fg_invocation_init(&l.inv);
    if (fg_router_new(conf, &l.loop, STDERR_FILENO, &l.router, &err) < 0 ||
        fg_router_start(l.router, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        if (l.router) {
            fg_router_stop(l.router, invoke_local_stopped, &l);
            fg_loop_run(&l.loop);
        }
        goto out;
    }
    snprintf(l.inv.function, sizeof(l.inv.function), "%s", o->name);
    l.inv.payload = payload->len ? payload->data : "{}";
    l.inv.payload_len = payload->len ? payload->len : 2;
    l.inv.done = invoke_local_done;
    l.inv.done_arg = &l;
    if (fg_router_submit(l.router, &l.inv) < 0)
        goto out;
    fg_loop_run(&l.loop);
    switch (l.inv.status) {
    case FG_INV_OK:
    case FG_INV_FUNCTION_ERROR:
    case FG_INV_TIMEOUT:
        if (l.inv.result.len)
            fwrite(l.inv.result.data, 1, l.inv.result.len, stdout);
        fputc('\n', stdout);
        rc = l.inv.status == FG_INV_OK ? 0 : 1;
        break;
    case FG_INV_NOT_FOUND:
        fprintf(stderr, "fngate: function %s is not in %s\n", o->name, o->config);
        break;
    default:
        fprintf(stderr, "fngate: could not run %s: %.*s\n", o->name, (int)l.inv.result.len,
                l.inv.result.data ? l.inv.result.data : "");
        break;
    }
out:
    fg_loop_close_posts(&l.loop);
    fg_router_free(l.router);
    fg_invocation_close(&l.inv);
    fg_loop_close(&l.loop);
    return rc;
}

int fg_cmd_invoke(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "payload", required_argument, NULL, 'p' },
        { "log-tail", no_argument, NULL, 't' }, { "local", no_argument, NULL, 'L' },
        { "endpoint", required_argument, NULL, 'e' }, { "event", no_argument, NULL, 'E' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct invoke_opts o = { "fngate.yaml", NULL, NULL, NULL, 0, 0, 0 };
    struct fg_config conf;
    struct fg_buf payload;
    struct fg_err err;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case 'p': o.payload = optarg; break;
        case 't': o.log_tail = 1; break;
        case 'e': o.endpoint = optarg; break;
        case 'L': o.local = 1; break;
        case 'E': o.event = 1; break;
        case 'h': invoke_usage(stdout); return 0;
        default: invoke_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        invoke_usage(stderr);
        return 2;
    }
    o.name = argv[optind];
    fg_buf_init(&payload, FG_PAYLOAD_SYNC_MAX_BYTES);
    if (o.payload && fg_client_read_arg(o.payload, "payload", &payload, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        fg_buf_free(&payload);
        return 2;
    }
    /* With --endpoint the configuration is not needed (it only says where to send). */
    if (fg_registry_conf_load(&conf, o.config, &err) < 0 && (o.local || !o.endpoint)) {
        fprintf(stderr, "%s\n", err.msg);
        fg_buf_free(&payload);
        return 1;
    }
    if (o.local && o.event) {
        fprintf(stderr, "fngate: --event needs a running gateway (it queues the event); drop --local\n");
        fg_conf_free(&conf);
        fg_buf_free(&payload);
        return 2;
    }
    /* --local keeps nothing and must not take a running gateway's state_dir lock. */
    if (o.local) {
        conf.durability = FG_DURABILITY_MEMORY;
        conf.logs.store = false;
        conf.logs.usage = false;
    }
    rc = o.local ? invoke_local(&conf, &o, &payload) : invoke_remote(&conf, &o, &payload);
    fg_conf_free(&conf);
    fg_buf_free(&payload);
    return rc;
}

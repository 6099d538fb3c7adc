/* SPDX-License-Identifier: MIT */
/* cmd_serve.c - `fngate serve`: the gateway process.
 *
 * Order matters at both ends. Start: config → loop → router (workers) → listeners (front
 * door, S3, admin), and only then the "listening on http://HOST:PORT" line (https:// with
 * gateway.tls), which tests and scripts wait for (the admin line comes before it). Stop
 * (SIGTERM or SIGINT): stop accepting, stop the router (it answers everything in flight and
 * reaps the workers), run what is still queued for the loop, commit what is queued for the
 * state store (its accept callbacks resume their connections), then stop the HTTP threads:
 * by then no connection is suspended. */
#include <event2/event.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/config.h"
#include "../core/iam_creds.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/notify.h"
#include "../core/url.h"
#include "../router/router.h"
#include "../triggers/registry.h"
#include "admin_http.h"
#include "admin_token.h"
#include "commands.h"
#include "http.h"
#include "s3_api.h"
#include "serve.h"


/* A listener's URL as a worker on this machine reaches it: a wildcard address becomes
 * loopback. */
static void serve_local_url(char out[FG_IAM_URL_MAX], const struct fg_conf_tls *tls, const char *host, int port)
{
    char where[FG_IAM_URL_MAX - 16];
    if (!strcmp(host, "0.0.0.0"))
        host = "127.0.0.1";
    else if (!strcmp(host, "::"))
        host = "::1";
    fg_url_authority(where, sizeof(where), host, port);
    snprintf(out, FG_IAM_URL_MAX, "%s://%s", fg_conf_tls_scheme(tls), where);
}

/* What the role credentials point AWS SDKs at (core/iam_creds.h): the S3 endpoint when
 * on, the front door when it serves the Invoke API. */
static void serve_set_endpoints(struct fg_serve *st, const struct fg_config *conf)
{
    char s3[FG_IAM_URL_MAX] = "", lambda[FG_IAM_URL_MAX] = "";
    if (st->s3)
        serve_local_url(s3, &conf->s3.tls, conf->s3.listen.host, fg_s3_port(st->s3));
    if (conf->invoke_api.enabled)
        serve_local_url(lambda, &conf->tls, conf->listen.host, fg_http_port(st->http));
    fg_iam_creds_set_endpoints(fg_router_creds(st->router), s3, lambda);
}

static void serve_usage(FILE *f)
{
    fprintf(f, "usage: fngate serve [-c FILE] [--listen HOST:PORT] [--admin-listen HOST:PORT|unix:PATH]\n"
               "                    [--log-format text|json] [--debug] [--watch] [--stage S] [--region R]\n"
               "  Starts the gateway: HTTP routes, the Invoke API, the admin API, and warm workers.\n"
               "  -c, --config FILE    configuration (default ./fngate.yaml)\n"
               "  --listen HOST:PORT   overrides gateway.listen (port 0 picks a free port)\n"
               "  --admin-listen ADDR  overrides admin.listen\n"
               "  --log-format FMT     function log stream on stdout: text (default) or json\n"
               "  --debug              verbose diagnostics on stderr\n"
               "  --watch              a change under a function's code retires its warm workers:\n"
               "                       the next invocation runs the new code (development)\n"
               "  -c also takes a serverless.yml or a SAM template.yaml as it is;\n"
               "  --stage, --region     their ${opt:stage} and ${opt:region} (serverless.yml)\n");
}

static void serve_stop_triggers(struct fg_serve *st)
{
    for (size_t i = 0; i < FG_REGISTRY_MAX; i++)
        if (st->triggers[i])
            st->triggers[i]->ops->stop(st->triggers[i]);
    for (size_t i = 0; i < st->n_retired; i++)
        st->retired[i]->ops->stop(st->retired[i]);
}

/* Builds and starts an instance of every adapter that has events in conf. */
static int serve_start_triggers(struct fg_serve *st, const struct fg_config *conf, struct fg_err *err)
{
    for (size_t i = 0; fg_registry[i] && i < FG_REGISTRY_MAX; i++) {
        struct fg_trigger **t = &st->triggers[i];
        if (fg_registry[i]->new &&
            (fg_registry[i]->new(conf, st->router, &st->loop, t, err) < 0 || (*t && (*t)->ops->start(*t, err) < 0)))
            return -1;
    }
    return 0;
}

static void serve_on_stopped(void *arg)
{
    struct fg_serve *st = arg;
    fg_loop_break(&st->loop);
}

/* SIGHUP: a service manager's reload (ExecReload), or a closed terminal: the configuration
 * is read again (reload.c), never a reason to stop. */
static void serve_on_hup(evutil_socket_t sig, short what, void *arg)
{
    struct fg_serve *st = arg;
    struct fg_buf out;
    struct fg_err err = { 0, "" };
    (void)sig, (void)what;
    if (st->signals)
        return;
    fg_log(FG_LOG_INFO, "gateway", "SIGHUP: reloading %s", st->opts.path);
    fg_buf_init(&out, 64 * 1024);
    if (fg_serve_reload(st, &out, &err) < 0) {
        /* Logged with its position by the reload. */
    }
    fg_buf_free(&out);
}

/* POST /_fngate/reload (admin_http.h), on the loop thread. */
static int serve_reload_hook(void *arg, struct fg_buf *out, struct fg_err *err)
{
    struct fg_serve *st = arg;
    if (st->signals)
        return fg_err_set(err, -FG_ESHUTDOWN, "fngate is stopping");
    return fg_serve_reload(st, out, err);
}

static void serve_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct fg_serve *st = arg;
    (void)what;
    if (st->signals++) {
        fg_log(FG_LOG_WARN, "gateway", "second signal: exiting now");
        fg_loop_break(&st->loop);
        return;
    }
    fg_log(FG_LOG_INFO, "gateway", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fg_notify_send(&st->notify, "STOPPING=1\nSTATUS=stopping: answering what is in flight");
    fg_http_quiesce(st->http);
    fg_s3_quiesce(st->s3);
    fg_admin_quiesce(st->admin);
    serve_stop_triggers(st);
    fg_router_stop(st->router, serve_on_stopped, st);
}

int fg_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "listen", required_argument, NULL, 'l' },
        { "admin-listen", required_argument, NULL, 'a' },
        { "log-format", required_argument, NULL, 'f' }, { "debug", no_argument, NULL, 'd' },
        { "watch", no_argument, NULL, 'w' }, { "stage", required_argument, NULL, 's' },
        { "region", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    char token[FG_ADMIN_TOKEN_MAX + 1];
    struct fg_serve st;
    const struct fg_config *conf;
    struct fg_err err = { 0, "" };
    struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL;
    bool loop_ready = false, watch = false;
    char where[300];
    int c, rc = 1;

    memset(&st, 0, sizeof(st));
    st.notify.fd = -1;
    st.opts.path = "fngate.yaml";
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': st.opts.path = optarg; break;
        case 'l': st.opts.listen = optarg; break;
        case 'a': st.opts.admin_listen = optarg; break;
        case 'f': st.opts.format = optarg; break;
        case 'd': fg_log_set_level(FG_LOG_DEBUG); break;
        case 'w': watch = true; break;
        case 's': setenv("FNGATE_STAGE", optarg, 1); break;    /* serverless.yml's ${opt:stage} */
        case 'r': setenv("FNGATE_REGION", optarg, 1); break;   /* ${opt:region}, provider.region */
        case 'h': serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        serve_usage(stderr);
        return 2;
    }
    if (fg_serve_conf_load(&st, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    conf = &st.confs->conf;
    if (fg_loop_init(&st.loop, &err) < 0)
        goto fail;
    loop_ready = true;
    fg_notify_init(&st.notify, st.loop.base);
    /* The listeners bind before the router starts workers (min_warm): a worker's
     * AWS_ENDPOINT_URL_* name the ports they got (port 0 picks one). Nothing they post runs
     * before the loop does. */
    if (fg_router_new(conf, &st.loop, STDOUT_FILENO, &st.router, &err) < 0 ||
        fg_http_start(conf, st.router, &st.http, &err) < 0)
        goto fail;
    if (conf->s3.enabled && fg_s3_start(conf, st.router, &st.s3, &err) < 0)
        goto fail;
    serve_set_endpoints(&st, conf);
    if (fg_router_start(st.router, &err) < 0 || serve_start_triggers(&st, conf, &err) < 0 ||
        (watch && fg_router_watch_code(st.router, &err) < 0))
        goto fail;
    if (fg_admin_token_load(&conf->admin, true, token, &err) < 0 ||
        fg_admin_start(conf, st.router, st.triggers, FG_REGISTRY_MAX, token, &st.admin, &err) < 0)
        goto fail;
    fg_admin_set_reload(st.admin, serve_reload_hook, &st);
    explicit_bzero(token, sizeof(token));
    fg_admin_set_listeners(st.admin, st.http, st.s3);
    if (st.s3) {
        fg_url_authority(where, sizeof(where), conf->s3.listen.host, fg_s3_port(st.s3));
        fg_log(FG_LOG_INFO, "gateway", "S3 endpoint on %s://%s (root %s)", fg_conf_tls_scheme(&conf->s3.tls), where,
               conf->s3.root);
    }
    fg_log(FG_LOG_INFO, "gateway", "admin API on %s (token %s%s)", fg_admin_url(st.admin),
           conf->admin.token ? "from admin.token" : "in ", conf->admin.token ? "" : conf->admin.token_file);
    sigterm = evsignal_new(st.loop.base, SIGTERM, serve_on_signal, &st);
    sigint = evsignal_new(st.loop.base, SIGINT, serve_on_signal, &st);
    sighup = evsignal_new(st.loop.base, SIGHUP, serve_on_hup, &st);
    if (!sigterm || !sigint || !sighup || event_add(sigterm, NULL) < 0 || event_add(sigint, NULL) < 0 ||
        event_add(sighup, NULL) < 0) {
        fg_err_set(&err, -1, "cannot install signal handlers");
        goto fail;
    }
    /* Parsing a large configuration leaves freed memory behind (libfyaml's tree): give it
     * back to the system before serving. */
    malloc_trim(0);
    fg_url_authority(where, sizeof(where), conf->listen.host, fg_http_port(st.http));
    if (conf->invoke_api.enabled && conf->invoke_api.auth == FG_INVOKE_AUTH_NONE && !fg_conf_host_is_loopback(conf->listen.host))
        fg_log(FG_LOG_WARN, "gateway", "the Invoke API on %s://%s takes unauthenticated calls (invoke_api.auth: none): "
               "anyone who can reach it can run any function", fg_conf_tls_scheme(&conf->tls), where);
    fg_log(FG_LOG_INFO, "gateway", "service %s: %zu function(s); listening on %s://%s", conf->service,
           conf->n_functions, fg_conf_tls_scheme(&conf->tls), where);
    /* Every listener accepts by now: the service manager may send traffic. */
    fg_notify_send(&st.notify, "READY=1\nSTATUS=serving %zu function(s) on %s://%s", conf->n_functions,
                   fg_conf_tls_scheme(&conf->tls), where);
    fg_loop_run(&st.loop);
    fg_loop_close_posts(&st.loop);
    /* Every accepted event is answered (202 or 503) before the HTTP threads stop. */
    fg_router_close_store(st.router);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "fngate: %s\n", err.msg);
    serve_stop_triggers(&st);
    if (st.router) {
        /* Workers may already run (min_warm): stop and reap them before freeing. */
        fg_router_stop(st.router, serve_on_stopped, &st);
        fg_loop_run(&st.loop);
    }
out:
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (sighup)
        event_free(sighup);
    fg_notify_close(&st.notify);
    if (loop_ready)
        fg_loop_close_posts(&st.loop);
    fg_router_close_store(st.router);
    fg_http_free(st.http);
    fg_s3_free(st.s3);
    fg_admin_free(st.admin);
    for (size_t i = 0; i < FG_REGISTRY_MAX; i++)
        if (st.triggers[i])
            st.triggers[i]->ops->free(st.triggers[i]);
    for (size_t i = 0; i < st.n_retired; i++)
        st.retired[i]->ops->free(st.retired[i]);
    free(st.retired);
    fg_router_free(st.router);
    if (loop_ready)
        fg_loop_close(&st.loop);
    fg_serve_conf_free(&st);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* cmd_invoke.c - `fngate invoke NAME`: call a function through a running gateway's Invoke
 * API, or with --local run one invocation in-process with no server (as `sam local invoke`).
 *
 * The result goes to stdout, logs (the tail, or the whole stream with --local) to stderr,
 * so `fngate invoke X > out.json` captures exactly what the function returned. Exit status:
 * 0 success, 1 function error or refused call, 2 usage. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../config/config.h"
#include "../core/base64.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "commands.h"
#include "invoke_api.h"

struct invoke_opts {
    const char *config;
    const char *name;
    const char *payload;     /* JSON text */
    const char *endpoint;    /* http://HOST:PORT, overriding the config's listen address */
    int log_tail;
    int local;
};

static void invoke_usage(FILE *f)
{
    fprintf(f, "usage: fngate invoke NAME [-c FILE] [--endpoint URL] [--payload JSON|@FILE|@-] [--log-tail] [--local]\n"
               "  Invokes NAME (RequestResponse) and prints its result on stdout.\n"
               "  -c, --config FILE   configuration (default ./fngate.yaml): where the gateway listens\n"
               "  --endpoint URL      the gateway's address instead (e.g. http://127.0.0.1:8080)\n"
               "  --payload JSON      the event; @FILE reads a file, @- standard input (default {})\n"
               "  --log-tail          print the last 4 KB of the invocation's log on stderr\n"
               "  --local             run the function here, without a gateway (logs on stderr)\n"
               "  Exit status: 0 success, 1 function error or refused call, 2 usage.\n");
}

static int invoke_read_payload(const char *arg, struct fg_buf *out, struct fg_err *err)
{
    FILE *f;
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (arg[0] != '@')
        return fg_buf_append(out, arg, strlen(arg)) < 0 ? fg_err_set(err, -FG_ETOOBIG, "payload too large") : 0;
    f = strcmp(arg, "@-") ? fopen(arg + 1, "r") : stdin;
    if (!f)
        return fg_err_set(err, -errno, "%s: %s", arg + 1, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((rc = fg_buf_append(out, chunk, n)) < 0) {
            rc = fg_err_set(err, rc, "payload larger than 6 MB");
            break;
        }
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ remote */

struct invoke_reply {
    struct fg_buf body;
    char function_error[64];
    char error_type[128];
    char log_result[8192];
};

static size_t invoke_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct invoke_reply *r = arg;
    return fg_buf_append(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static void invoke_header_value(const char *line, size_t len, char *out, size_t outsz)
{
    const char *v = memchr(line, ':', len);
    size_t n;
    if (!v)
        return;
    for (v++; *v == ' '; v++)
        ;
    n = len - (size_t)(v - line);
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    snprintf(out, outsz, "%.*s", (int)n, v);
}

static size_t invoke_on_header(char *p, size_t size, size_t n, void *arg)
{
    struct invoke_reply *r = arg;
    size_t len = size * n;
    if (len > 21 && !strncasecmp(p, "X-Amz-Function-Error:", 21))
        invoke_header_value(p, len, r->function_error, sizeof(r->function_error));
    else if (len > 17 && !strncasecmp(p, "X-Amz-Log-Result:", 17))
        invoke_header_value(p, len, r->log_result, sizeof(r->log_result));
    else if (len > 17 && !strncasecmp(p, "x-amzn-ErrorType:", 17))
        invoke_header_value(p, len, r->error_type, sizeof(r->error_type));
    return len;
}

static void invoke_print_tail(const char *b64)
{
    struct fg_buf dec;
    fg_buf_init(&dec, 16384);
    if (fg_base64_decode(&dec, b64, strlen(b64)) == 0 && dec.len)
        fwrite(dec.data, 1, dec.len, stderr);
    fg_buf_free(&dec);
}

static int invoke_remote(const struct fg_config *conf, const struct invoke_opts *o, struct fg_buf *payload)
{
    struct invoke_reply r;
    struct curl_slist *hdrs = NULL;
    char url[512];
    long status = 0;
    CURLcode cc;
    CURL *curl;
    int rc = 1;

    memset(&r, 0, sizeof(r));
    fg_buf_init(&r.body, FG_PAYLOAD_SYNC_MAX_BYTES + 65536);
    if (o->endpoint)
        snprintf(url, sizeof(url), "%s/2015-03-31/functions/%s/invocations", o->endpoint, o->name);
    else
        snprintf(url, sizeof(url), "http://%s%s%s:%d/2015-03-31/functions/%s/invocations",
                 strchr(conf->listen_host, ':') ? "[" : "", conf->listen_host,
                 strchr(conf->listen_host, ':') ? "]" : "", conf->listen_port, o->name);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(curl = curl_easy_init())) {
        fprintf(stderr, "fngate: cannot initialise libcurl\n");
        goto out;
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (o->log_tail)
        hdrs = curl_slist_append(hdrs, "X-Amz-Log-Type: Tail");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload->data ? payload->data : "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload->len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, invoke_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, invoke_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
        fprintf(stderr, "fngate: cannot reach the gateway at %s: %s (is `fngate serve -c %s` running?)\n",
                url, curl_easy_strerror(cc), o->config);
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (r.log_result[0])
        invoke_print_tail(r.log_result);
    if (status >= 300) {
        fprintf(stderr, "fngate: %s (HTTP %ld): %.*s\n", r.error_type[0] ? r.error_type : "error", status,
                (int)r.body.len, r.body.data ? r.body.data : "");
        goto out;
    }
    if (r.body.len)
        fwrite(r.body.data, 1, r.body.len, stdout);
    fputc('\n', stdout);
    rc = r.function_error[0] ? 1 : 0;
out:
    curl_slist_free_all(hdrs);
    if (curl)
        curl_easy_cleanup(curl);
    curl_global_cleanup();
    fg_buf_free(&r.body);
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
        { "endpoint", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    struct invoke_opts o = { "fngate.yaml", NULL, NULL, NULL, 0, 0 };
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
    if (o.payload && invoke_read_payload(o.payload, &payload, &err) < 0) {
        fprintf(stderr, "fngate: %s\n", err.msg);
        fg_buf_free(&payload);
        return 2;
    }
    if (fg_conf_load(&conf, o.config, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        fg_buf_free(&payload);
        return 1;
    }
    rc = o.local ? invoke_local(&conf, &o, &payload) : invoke_remote(&conf, &o, &payload);
    fg_conf_free(&conf);
    fg_buf_free(&payload);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* cmd_validate.c - `fngate validate`: load the configuration and print what it resolves to. */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../core/url.h"
#include "../router/interp.h"
#include "../triggers/http_route.h"
#include "../triggers/registry.h"
#include "commands.h"
#include "function_url.h"

static void validate_usage(FILE *f)
{
    fprintf(f, "usage: fngate validate [-c FILE] [--stage STAGE] [--region REGION]\n"
               "  Checks the configuration and prints the resolved functions and routes.\n"
               "  Errors are printed as FILE:LINE:COL: message; the exit status is 1.\n");
}

static const char *const validate_jitter[] = { "full", "equal", "no" };

static const char *validate_destination(const struct fg_conf_destination *d)
{
    switch (d->kind) {
    case FG_DEST_DLQ: return "dlq (dead letters)";
    case FG_DEST_FUNCTION:
    case FG_DEST_URL: return d->target;
    default: return "none";
    }
}


/* gateway.authorizers, each with the routes it guards. */
static void validate_authorizers(const struct fg_config *conf)
{
    if (conf->n_authorizers)
        printf("authorizers:\n");
    for (size_t a = 0; a < conf->n_authorizers; a++) {
        const struct fg_conf_authorizer *az = &conf->authorizers[a];
        if (az->type == FG_AUTHORIZER_JWT)
            printf("  %s: jwt, issuer %s, %zu audience(s), keys from %s\n", az->name, az->issuer, az->audience.n,
                   az->jwks);
        else
            printf("  %s: request, function %s, %s answers, cached %d s\n", az->name, az->function,
                   az->simple_responses ? "simple" : "IAM policy", az->ttl_s);
        for (size_t i = 0; i < conf->n_functions; i++) {
            const struct fg_conf_event *ev;
            for (size_t j = 0; (ev = fg_conf_event_of(&conf->functions[i], "http", j)); j++) {
                const struct fg_conf_http *h = ev->conf;
                if (h->auth.authorizer == az)
                    printf("    guards %s %s%s\n", h->method, h->path, h->auth.scopes.n ? " (scopes)" : "");
            }
        }
    }
}

int fg_cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { "stage", required_argument, NULL, 's' }, { "region", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = "fngate.yaml";
    struct fg_config conf;
    struct fg_err err;
    char listen[300], where[300];
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 's': setenv("FNGATE_STAGE", optarg, 1); break;    /* serverless.yml's ${opt:stage} */
        case 'r': setenv("FNGATE_REGION", optarg, 1); break;
        case 'h': validate_usage(stdout); return 0;
        default: validate_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        validate_usage(stderr);
        return 2;
    }
    if (fg_registry_conf_load(&conf, path, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (fg_conf_check_exposure(&conf, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        fg_conf_free(&conf);
        return 1;
    }
    for (size_t i = 0; i < conf.n_warnings; i++)
        fprintf(stderr, "%s\n", conf.warnings[i]);
    fg_url_authority(listen, sizeof(listen), conf.listen.host, conf.listen.port);
    printf("%s", conf.dialect == FG_CONF_SERVERLESS ? "read as: serverless.yml (Serverless Framework)\n"
                 : conf.dialect == FG_CONF_SAM ? "read as: template.yaml (AWS SAM)\n" : "");
    printf("service: %s\nlisten: %s\nstate_dir: %s\ndurability: %s\nregion: %s\nmax_concurrency: %d\n",
           conf.service, listen, conf.state_dir,
           conf.durability == FG_DURABILITY_MEMORY ? "memory (async events are lost on exit)" : "full",
           conf.region, conf.max_concurrency);
    if (fg_conf_tls_on(&conf.tls))
        printf("tls: cert %s, key %s\n", conf.tls.cert, conf.tls.key);
    if (conf.admin.unix_path) {
        printf("admin: unix:%s", conf.admin.unix_path);
    } else {
        fg_url_authority(where, sizeof(where), conf.admin.listen.host, conf.admin.listen.port);
        printf("admin: %s", where);
    }
    printf(", token %s%s\n", conf.admin.token ? "from admin.token" : "in ", conf.admin.token ? "" : conf.admin.token_file);
    if (conf.s3.enabled) {
        fg_url_authority(where, sizeof(where), conf.s3.listen.host, conf.s3.listen.port);
        printf("s3 endpoint: %s, root %s, %s\n", where, conf.s3.root,
               conf.s3.credentials.n ? "signatures required (SigV4 or SigV2)" : "NOT authenticated");
        if (fg_conf_tls_on(&conf.s3.tls))
            printf("s3 tls: cert %s, key %s\n", conf.s3.tls.cert, conf.s3.tls.key);
    }
    printf("functions:\n");
    for (size_t i = 0; i < conf.n_functions; i++) {
        const struct fg_conf_function *fn = &conf.functions[i];
        struct fg_interp in;
        if (fg_interp_find(fn, &in, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            fg_conf_free(&conf);
            return 1;
        }
        if (in.warning[0])
            fprintf(stderr, "%s: warning: %s\n", path, in.warning);
        printf("  %s:\n    runtime: %s", fn->name, fn->runtime_written);
        if (in.path[0])
            printf(" (%s%s%s)", in.path, in.version[0] ? " " : "", in.version);
        printf("\n");
        if (fn->handler)
            printf("    handler: %s\n", fn->handler);
        printf("    code: %s\n    memory: %d MB\n    timeout: %d s\n", fn->code, fn->memory_mb, fn->timeout_s);
        if (fn->role.given)
            printf("    role: %zu statement(s)\n", fn->role.policy.n);
        if (fn->concurrency)
            printf("    concurrency: %d\n", fn->concurrency);
        else
            printf("    concurrency: unreserved (gateway cap %d)\n", conf.max_concurrency);
        printf("    min_warm: %d\n    idle_timeout: %d s\n", fn->min_warm, fn->idle_timeout_s);
        if (fn->rate.per_second > 0)
            printf("    rate: %g/s, burst %d\n", fn->rate.per_second, fn->rate.burst);
        printf("    async: %d retries, max event age %d s, backoff %d ms x%g up to %d ms (%s jitter)\n",
               fn->retries.max_attempts, fn->retries.max_age_s, fn->retries.initial_ms, fn->retries.multiplier,
               fn->retries.max_ms, validate_jitter[fn->retries.jitter]);
        printf("    on_success: %s\n    on_failure: %s\n", validate_destination(&fn->on_success),
               validate_destination(&fn->on_failure));
        if (fn->url.enabled) {
            char url[256];
            fg_function_url_of(&conf, fn->name, conf.listen.port, url, sizeof(url));
            printf("    url: %s (or %s%s/), auth %s%s%s\n", url, FG_FUNCTION_URL_PATH, fn->name,
                   fn->url.auth_type == FG_URL_AUTH_AWS_IAM ? "AWS_IAM" : "NONE",
                   fn->url.invoke_mode == FG_URL_RESPONSE_STREAM ? ", RESPONSE_STREAM" : "",
                   fn->url.cors.mode == FG_CONF_CORS_ON ? ", CORS" : "");
        }
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_trigger_ops *ops = fg_registry_find(fn->events[j].type);
            char line[2048];
            if (ops && ops->summary) {
                ops->summary(&fn->events[j], line, sizeof(line));
                printf("    %s\n", line);
            }
        }
        if (fn->env.n) {
            printf("    environment:\n");
            for (size_t j = 0; j < fn->env.n; j++)
                printf("      %s: %s\n", fn->env.items[j].key, fn->env.items[j].value);
        }
    }
    printf("routes:\n");
    for (size_t i = 0; i < conf.n_functions; i++) {
        const struct fg_conf_event *ev;
        for (size_t j = 0; (ev = fg_conf_event_of(&conf.functions[i], "http", j)); j++) {
            const struct fg_conf_http *h = ev->conf;
            char notes[128] = "";
            size_t n = 0;
            if (h->rate.per_second > 0)
                n += (size_t)snprintf(notes + n, sizeof(notes) - n, ", rate %g/s, burst %d", h->rate.per_second,
                                      h->rate.burst);
            if (h->payload_format == FG_PAYLOAD_FORMAT_1_0 && n < sizeof(notes))
                n += (size_t)snprintf(notes + n, sizeof(notes) - n, ", payload format 1.0");
            if (fg_conf_cors_effective(&h->cors, &conf.cors) && n < sizeof(notes))
                n += (size_t)snprintf(notes + n, sizeof(notes) - n, ", CORS");
            printf("  %-7s %-40s -> %s%s%s%s\n", h->method, h->path, conf.functions[i].name, n ? " (" : "",
                   n ? notes + 2 : "", n ? ")" : "");
        }
    }
    validate_authorizers(&conf);
    if (!conf.invoke_api.enabled)
        printf("invoke API: disabled\n");
    else if (conf.invoke_api.auth == FG_INVOKE_AUTH_SIGV4)
        printf("invoke API: POST %s://%s/2015-03-31/functions/NAME/invocations, SigV4 required (%zu key(s))\n",
               fg_conf_tls_scheme(&conf.tls), listen, conf.invoke_api.credentials.n);
    else
        printf("invoke API: POST %s://%s/2015-03-31/functions/NAME/invocations, NOT authenticated%s\n",
               fg_conf_tls_scheme(&conf.tls), listen, fg_conf_host_is_loopback(conf.listen.host) ? " (loopback only)" : "");
    fg_conf_free(&conf);
    return 0;
}

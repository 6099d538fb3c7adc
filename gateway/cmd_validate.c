/* SPDX-License-Identifier: MIT */
/* cmd_validate.c - `fngate validate`: load the configuration and print what it resolves to. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "commands.h"

static void validate_usage(FILE *f)
{
    fprintf(f, "usage: fngate validate [-c FILE]\n"
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

/* The URL with its password masked. Static buffer: one call per printf. */
static const char *validate_redis(const char *url)
{
    static char out[512];
    const char *at = strchr(url, '@'), *colon = at ? memchr(url + 8, ':', (size_t)(at - url - 8)) : NULL;
    if (!colon)
        return url;
    snprintf(out, sizeof(out), "%.*s:***%s", (int)(colon - url), url, at);
    return out;
}

int fg_cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = "fngate.yaml";
    struct fg_config conf;
    struct fg_err err;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'h': validate_usage(stdout); return 0;
        default: validate_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        validate_usage(stderr);
        return 2;
    }
    if (fg_conf_load(&conf, path, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("service: %s\nlisten: %s:%d\nstate_dir: %s\ndurability: %s\nregion: %s\nmax_concurrency: %d\n",
           conf.service, conf.listen_host, conf.listen_port, conf.state_dir,
           conf.durability == FG_DURABILITY_MEMORY ? "memory (async events are lost on exit)" : "full",
           conf.region, conf.max_concurrency);
    if (conf.s3.enabled)
        printf("s3 endpoint: %s:%d, root %s, %s\n", conf.s3.listen_host, conf.s3.listen_port, conf.s3.root,
               conf.s3.access_key ? "SigV4 required" : "NOT authenticated");
    printf("functions:\n");
    for (size_t i = 0; i < conf.n_functions; i++) {
        const struct fg_conf_function *fn = &conf.functions[i];
        printf("  %s:\n    runtime: %s\n", fn->name, fg_conf_runtime_name(fn->runtime));
        if (fn->handler)
            printf("    handler: %s\n", fn->handler);
        printf("    code: %s\n    memory: %d MB\n    timeout: %d s\n", fn->code, fn->memory_mb, fn->timeout_s);
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
        for (size_t j = 0; j < fn->n_schedules; j++) {
            const struct fg_conf_schedule *sc = &fn->schedules[j];
            static const char *const catch_up[] = { "last", "none", "all" };
            printf("    schedule: %s  (name %s, %s, catch_up %s within %d s%s%s)\n", sc->expression, sc->name,
                   sc->timezone, catch_up[sc->catch_up], sc->max_catch_up_s, sc->input ? ", custom input" : "",
                   sc->enabled ? "" : ", disabled");
        }
        for (size_t j = 0; j < fn->n_fs; j++) {
            const struct fg_conf_fs *f = &fn->fs[j];
            printf("    fs: %s  (bucket %s, name %s, events%s%s%s%s%s%s%s%s)\n", f->path, f->bucket, f->name,
                   f->created ? " created" : "", f->removed ? " removed" : "", f->prefix ? ", prefix " : "",
                   f->prefix ? f->prefix : "", f->suffix ? ", suffix " : "", f->suffix ? f->suffix : "",
                   f->recursive ? ", recursive" : "", f->poll_ms ? ", polled" : ", inotify");
        }
        for (size_t j = 0; j < fn->n_s3; j++)
            printf("    s3: bucket %s  (name %s, events%s%s%s%s%s%s)\n", fn->s3[j].bucket, fn->s3[j].name,
                   fn->s3[j].created ? " created" : "", fn->s3[j].removed ? " removed" : "",
                   fn->s3[j].prefix ? ", prefix " : "", fn->s3[j].prefix ? fn->s3[j].prefix : "",
                   fn->s3[j].suffix ? ", suffix " : "", fn->s3[j].suffix ? fn->s3[j].suffix : "");
        for (size_t j = 0; j < fn->n_queues; j++) {
            const struct fg_conf_queue *q = &fn->queues[j];
            char dlq[300] = "";
            if (q->dead_letter_stream)
                snprintf(dlq, sizeof(dlq), ", dead letters to %s after %d receives", q->dead_letter_stream,
                         q->max_receive_count);
            printf("    queue: %s  (%s, group %s, batch %d, window %d ms, visibility %d s, %d batches at once%s%s%s)\n",
                   q->stream, validate_redis(q->redis), q->group, q->batch_size, q->window_ms, q->visibility_timeout_s,
                   q->max_concurrency, dlq, q->report_failures ? ", partial batch answers" : "",
                   q->filter.n ? ", filtered" : "");
        }
        for (size_t j = 0; j < fn->n_topics; j++)
            printf("    topic: %s %s  (%s%s)\n", fn->topics[j].channel ? "channel" : "pattern",
                   fn->topics[j].channel ? fn->topics[j].channel : fn->topics[j].pattern,
                   validate_redis(fn->topics[j].redis), fn->topics[j].filter.n ? ", filtered" : "");
        for (size_t j = 0; j < fn->n_streams; j++) {
            const struct fg_conf_stream *st = &fn->streams[j];
            static const char *const starts[] = { "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP" };
            printf("    stream: %s  (kafka %s, group %s, format %s, batch %d, window %d ms, from %s, retries %d, "
                   "max age %d s, bisect %s, parallelization %d, on_failure %s%s)\n",
                   st->topic, st->brokers, st->group, st->format == FG_FORMAT_KINESIS ? "kinesis" : "kafka",
                   st->batch_size, st->window_ms, starts[st->starting_position], st->max_retry_attempts,
                   st->max_record_age_s, st->bisect ? "on" : "off", st->parallelization_factor,
                   validate_destination(&st->on_failure), st->filter.n ? ", filtered" : "");
        }
        if (fn->n_env) {
            printf("    environment:\n");
            for (size_t j = 0; j < fn->n_env; j++)
                printf("      %s: %s\n", fn->env[j].key, fn->env[j].value);
        }
    }
    printf("routes:\n");
    for (size_t i = 0; i < conf.n_functions; i++)
        for (size_t j = 0; j < conf.functions[i].n_http; j++)
            if (conf.functions[i].http[j].rate.per_second > 0)
                printf("  %-7s %-40s -> %s (rate %g/s, burst %d)\n", conf.functions[i].http[j].method,
                       conf.functions[i].http[j].path, conf.functions[i].name,
                       conf.functions[i].http[j].rate.per_second, conf.functions[i].http[j].rate.burst);
            else
                printf("  %-7s %-40s -> %s\n", conf.functions[i].http[j].method,
                       conf.functions[i].http[j].path, conf.functions[i].name);
    printf("invoke: POST http://%s:%d/2015-03-31/functions/NAME/invocations\n", conf.listen_host,
           conf.listen_port);
    fg_conf_free(&conf);
    return 0;
}

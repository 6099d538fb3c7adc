/* SPDX-License-Identifier: MIT */
/* reload.c - the configuration of a running gateway: loading it with the command line's
 * overrides, and applying a new one without dropping work (SIGHUP, `fngate reload`).
 *
 * DESIGN: a reload is all or nothing up to the first change: the file is parsed and
 * checked like at start, and a file that fails is refused with its file:line:col while
 * the old configuration keeps serving. Then, on the loop thread, in this order: the router
 * (functions added, drained, changed: router/reconfig.c), the front door (a new route
 * table; requests under way keep theirs), and every adapter whose events changed (a new
 * instance started, the old one stopped and kept until exit; unchanged adapters are left
 * running, so a stream consumer keeps its partitions). Schedules and folders find what
 * they fired for in the router's marks, stream offsets stay with the broker, queue
 * messages stay pending in Redis: nothing accepted depends on an adapter instance.
 *
 * What is bound when the process starts (listeners, TLS, state_dir, the S3 endpoint and
 * its events, isolation, the Invoke API's keys) cannot change under it: a reload that
 * changes it keeps the running value, says so, and lists it in "needsRestart".
 * Configurations are small and never freed before exit (a reload whose file did not
 * change adds none), since so much borrows from them. */
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/strmap.h"
#include "http.h"

/* ------------------------------------------------------------------ loading */

int fg_serve_conf_load(struct fg_serve *st, struct fg_err *err)
{
    struct fg_serve_conf *c = calloc(1, sizeof(*c));
    const struct fg_serve_opts *o = &st->opts;
    struct fg_config *conf;
    int rc;

    if (!c)
        return fg_err_set(err, -ENOMEM, "fngate: out of memory");
    conf = &c->conf;
    if ((rc = fg_registry_conf_load(conf, o->path, err)) < 0) {
        free(c);
        return rc;
    }
    for (size_t i = 0; i < conf->n_warnings; i++)   /* a serverless.yml's keys fngate does not support */
        fg_log(FG_LOG_WARN, "config", "%s", conf->warnings[i]);
    rc = -FG_ECONFIG;
    if (o->listen && fg_conf_hostport(conf, o->listen, &conf->listen.host, &conf->listen.port) < 0) {
        fg_err_set(err, rc, "fngate: --listen expects HOST:PORT (port 0-65535), got '%s'", o->listen);
        goto fail;
    }
    if (o->admin_listen && !strncmp(o->admin_listen, "unix:", 5) && o->admin_listen[5]) {
        conf->admin.unix_path = o->admin_listen + 5;
    } else if (o->admin_listen) {
        conf->admin.unix_path = NULL;
        if (fg_conf_hostport(conf, o->admin_listen, &conf->admin.listen.host, &conf->admin.listen.port) < 0) {
            fg_err_set(err, rc, "fngate: --admin-listen expects HOST:PORT or unix:PATH, got '%s'", o->admin_listen);
            goto fail;
        }
    }
    /* After --listen: the address that will be bound decides whether the Invoke API may be
     * open without keys. */
    if (fg_conf_check_exposure(conf, o->listen, err) < 0) {
        if (o->listen) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            fg_err_set(err, rc, "fngate: %s", msg);
        }
        goto fail;
    }
    if (o->format) {
        if (strcmp(o->format, "text") && strcmp(o->format, "json")) {
            fg_err_set(err, rc, "fngate: --log-format is text or json");
            goto fail;
        }
        conf->log_format = strcmp(o->format, "json") ? FG_LOG_FORMAT_TEXT : FG_LOG_FORMAT_JSON;
    }
    c->older = st->confs;
    st->confs = c;
    return 0;
fail:
    fg_conf_free(conf);
    free(c);
    return rc;
}

void fg_serve_conf_free(struct fg_serve *st)
{
    for (struct fg_serve_conf *c = st->confs, *older; c; c = older) {
        older = c->older;
        fg_conf_free(&c->conf);
        free(c);
    }
    st->confs = NULL;
}

/* Drops the newest configuration (a reload that was refused or changed nothing). */
static void reload_drop_newest(struct fg_serve *st)
{
    struct fg_serve_conf *c = st->confs;
    st->confs = c->older;
    fg_conf_free(&c->conf);
    free(c);
}

/* ------------------------------------------------------------------ comparing */

/* Top-level keys bound at start: a change keeps the running value until a restart. */
static const char *const reload_restart_keys[] = {
    "gateway", "state_dir", "durability", "log_format", "s3", "admin", "invoke_api", "isolation", "logs", NULL,
};

/* The running values of what only a restart changes, into next (pointers into prev's
 * arena, which lives as long as next does). */
static void reload_keep_bound(const struct fg_config *prev, struct fg_config *next)
{
    next->listen = prev->listen;
    next->tls = prev->tls;
    next->listen_pos = prev->listen_pos;
    next->max_concurrency = prev->max_concurrency;
    next->http_threads = prev->http_threads;
    next->debug_errors = prev->debug_errors;
    next->header_timeout_ms = prev->header_timeout_ms;
    next->max_conns_per_client = prev->max_conns_per_client;
    next->queue_memory_mb = prev->queue_memory_mb;
    next->cors = prev->cors;                /* gateway.cors, as every gateway key */
    next->state_dir = prev->state_dir;
    next->durability = prev->durability;
    next->log_format = prev->log_format;
    next->s3 = prev->s3;
    next->admin = prev->admin;
    next->invoke_api = prev->invoke_api;
    next->isolation = prev->isolation;
    next->logs = prev->logs;                /* the log store copied them when it opened */
}

/* What an adapter's instance is made from: the top level (retries, ARNs, stop_timeout)
 * and every function with an event of its kind, as written. */
static unsigned long long reload_fingerprint(const struct fg_config *conf, const struct fg_conf_event_type *type)
{
    unsigned long long h = conf->top_hash;
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t k = 0; k < fn->n_events; k++) {
            if (fn->events[k].type != type)
                continue;
            h = fg_fnv1a(h, fn->name, strlen(fn->name) + 1);
            h = fg_fnv1a(h, &fn->src_hash, sizeof(fn->src_hash));
            break;
        }
    }
    return h;
}

static bool reload_same_file(const struct fg_config *a, const struct fg_config *b)
{
    if (a->top_hash != b->top_hash || a->n_functions != b->n_functions)
        return false;
    for (size_t i = 0; i < a->n_functions; i++)
        if (strcmp(a->functions[i].name, b->functions[i].name) || a->functions[i].src_hash != b->functions[i].src_hash)
            return false;
    return true;
}

/* ------------------------------------------------------------------ applying */

/* The adapter at registry index i: a new instance for next, the old one stopped and kept.
 * Failing to make the new one leaves the old one running. */
static void reload_adapter(struct fg_serve *st, size_t i, const struct fg_config *next, struct fg_buf *restarted)
{
    const struct fg_trigger_ops *ops = fg_registry[i];
    struct fg_trigger *old = st->triggers[i], *fresh = NULL, **retired;
    struct fg_err err = { 0, "" };

    if (ops->new(next, st->router, &st->loop, &fresh, &err) < 0) {
        fg_log(FG_LOG_ERROR, "gateway", "reload: %s events: %s; the running ones stay", ops->name, err.msg);
        return;
    }
    if (old) {
        if (!(retired = realloc(st->retired, (st->n_retired + 1) * sizeof(*retired)))) {
            fg_log(FG_LOG_ERROR, "gateway", "reload: %s events: out of memory; the running ones stay", ops->name);
            ops->stop(fresh);
            ops->free(fresh);
            return;
        }
        st->retired = retired;
        old->ops->stop(old);
        st->retired[st->n_retired++] = old;
    }
    st->triggers[i] = fresh;
    if (fresh && fresh->ops->start(fresh, &err) < 0)
        fg_log(FG_LOG_ERROR, "gateway", "reload: %s events: %s", ops->name, err.msg);
    fg_json_write_field(restarted, restarted->len > 1 ? "," : "", ops->name);
}

int fg_serve_reload(struct fg_serve *st, struct fg_buf *out, struct fg_err *err)
{
    const struct fg_config *prev = &st->confs->conf;
    struct fg_router_reload_stats rs;
    struct fg_config *next;
    struct fg_buf restarted, bound;
    char line[256];
    int rc;

    fg_notify_send(&st->notify, "RELOADING=1\nSTATUS=reloading %s", st->opts.path);
    if ((rc = fg_serve_conf_load(st, err)) < 0) {
        fg_log(FG_LOG_ERROR, "gateway", "reload refused, the running configuration stays: %s", err->msg);
        fg_notify_send(&st->notify, "READY=1\nSTATUS=reload refused: %s", err->msg);
        return rc;
    }
    next = &st->confs->conf;
    if (reload_same_file(prev, next)) {
        reload_drop_newest(st);
        fg_log(FG_LOG_INFO, "gateway", "reload: %s did not change", st->opts.path);
        fg_notify_send(&st->notify, "READY=1\nSTATUS=serving %zu function(s)", prev->n_functions);
        return fg_buf_append_str(out, "{\"reloaded\":false,\"reason\":\"unchanged\"}");
    }
    fg_buf_init(&bound, 4096);
    fg_buf_append_str(&bound, "[");
    for (const char *const *k = reload_restart_keys; *k; k++)
        if (fg_conf_top_key_hash(prev, *k) != fg_conf_top_key_hash(next, *k)) {
            fg_log(FG_LOG_WARN, "gateway", "reload: %s changed; it is bound at start and changes at the next restart",
                   *k);
            fg_json_write_field(&bound, bound.len > 1 ? "," : "", *k);
        }
    reload_keep_bound(prev, next);
    if ((rc = fg_router_reload(st->router, next, &rs, err)) < 0) {
        /* The router's reload is all or nothing: nothing changed. */
        fg_log(FG_LOG_ERROR, "gateway", "reload failed, the running configuration stays: %s", err->msg);
        fg_notify_send(&st->notify, "READY=1\nSTATUS=reload failed: %s", err->msg);
        fg_buf_free(&bound);
        reload_drop_newest(st);
        return rc;
    }
    {
        struct fg_err herr = { 0, "" };
        if (fg_http_reload(st->http, next, &herr) < 0)
            fg_log(FG_LOG_ERROR, "gateway", "reload: the front door keeps its routes: %s", herr.msg);
    }
    fg_buf_init(&restarted, 4096);
    fg_buf_append_str(&restarted, "[");
    for (size_t i = 0; fg_registry[i] && i < FG_REGISTRY_MAX; i++) {
        if (!fg_registry[i]->conf || reload_fingerprint(prev, fg_registry[i]->conf) ==
                                         reload_fingerprint(next, fg_registry[i]->conf))
            continue;
        if (fg_registry[i]->new) {
            reload_adapter(st, i, next, &restarted);
        } else if (strcmp(fg_registry[i]->name, "http")) {
            /* Served by a listener bound at start (the S3 endpoint's notifications). */
            fg_log(FG_LOG_WARN, "gateway", "reload: %s events changed; they change at the next restart",
                   fg_registry[i]->name);
            fg_json_write_field(&bound, bound.len > 1 ? "," : "", fg_registry[i]->name);
        }
    }
    fg_buf_append_str(&restarted, "]");
    fg_buf_append_str(&bound, "]");
    fg_log(FG_LOG_INFO, "gateway", "reloaded %s: %u function(s) added, %u removed, %u changed (new workers), "
           "%u unchanged; sources restarted: %s", st->opts.path, rs.added, rs.removed, rs.changed, rs.kept,
           restarted.len > 2 ? restarted.data : "none");
    fg_notify_send(&st->notify, "READY=1\nSTATUS=serving %zu function(s)", next->n_functions);
    snprintf(line, sizeof(line), "{\"reloaded\":true,\"functions\":{\"added\":%u,\"removed\":%u,\"changed\":%u,"
             "\"unchanged\":%u},\"restarted\":", rs.added, rs.removed, rs.changed, rs.kept);
    fg_buf_append_str(out, line);
    fg_buf_append(out, restarted.data, restarted.len);
    fg_buf_append_str(out, ",\"needsRestart\":");
    fg_buf_append(out, bound.data, bound.len);
    rc = fg_buf_append_str(out, "}");
    fg_buf_free(&restarted);
    fg_buf_free(&bound);
    return rc;
}

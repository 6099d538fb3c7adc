/* SPDX-License-Identifier: MIT */
/* admin_functions.c - the console's functions (see admin_functions.h). Sections: the writer,
 * the summary, the detail, the answer. */
#include "admin_functions.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/json_write.h"
#include "../triggers/registry.h"
#include "function_url.h"

/* ------------------------------------------------------------------ the writer */

/* A document written by hand: the first error sticks and stops every later write. */
struct afn_w {
    struct fg_buf *out;
    int rc;
};

static void afn_raw(struct afn_w *w, const char *s)
{
    if (w->rc == 0)
        w->rc = fg_buf_append_str(w->out, s);
}

/* lead (trusted JSON), then s as a JSON string, or null when s is NULL. */
static void afn_str(struct afn_w *w, const char *lead, const char *s)
{
    if (w->rc == 0)
        w->rc = s ? fg_json_write_field(w->out, lead, s) : fg_buf_append_str(w->out, lead);
    if (!s)
        afn_raw(w, "null");
}

/* Trusted JSON text (numbers, punctuation), printf-style. */
static void afn_fmt(struct afn_w *w, const char *fmt, ...) FG_PRINTF(2, 3);
static void afn_fmt(struct afn_w *w, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    afn_raw(w, text);
}

/* ------------------------------------------------------------------ the summary */

/* The running instance of the adapter ops, or NULL. */
static struct fg_trigger *afn_instance(const struct fg_admin_fn_view *v, const struct fg_trigger_ops *ops)
{
    for (size_t i = 0; v->triggers && i < v->n_triggers; i++)
        if (v->triggers[i] && v->triggers[i]->ops == ops)
            return v->triggers[i];
    return NULL;
}

/* One object per configured event, in file order, then the function URL. */
static void afn_triggers(struct afn_w *w, const struct fg_admin_fn_view *v, const struct fg_conf_function *fn)
{
    afn_raw(w, ",\"triggers\":[");
    for (size_t i = 0; i < fn->n_events && w->rc == 0; i++) {
        const struct fg_trigger_ops *ops = fg_registry_find(fn->events[i].type);
        afn_raw(w, i ? "," : "");
        if (!ops)
            afn_str(w, "{\"type\":", fn->events[i].type->kind);
        else if (ops->console && w->rc == 0)
            w->rc = ops->console(afn_instance(v, ops), &fn->events[i], w->out);
        else
            afn_str(w, "{\"type\":", ops->name);
        if (!ops || !ops->console)
            afn_raw(w, "}");
    }
    if (fn->url.enabled) {
        char url[512];
        fg_function_url_of(v->conf, fn->name, v->url_port, url, sizeof(url));
        afn_str(w, fn->n_events ? ",{\"type\":\"url\",\"url\":" : "{\"type\":\"url\",\"url\":", url);
        afn_fmt(w, ",\"authType\":\"%s\",\"invokeMode\":\"%s\"}",
                fn->url.auth_type == FG_URL_AUTH_AWS_IAM ? "AWS_IAM" : "NONE",
                fn->url.invoke_mode == FG_URL_RESPONSE_STREAM ? "RESPONSE_STREAM" : "BUFFERED");
    }
    afn_raw(w, "]");
}

/* The summary's members after "{", without the closing "}". */
static void afn_members(struct afn_w *w, const struct fg_admin_fn_view *v, const struct fg_conf_function *fn,
                        const struct fg_admin_fn_live *live)
{
    afn_str(w, "{\"name\":", fn->name);
    afn_str(w, ",\"runtime\":", fg_conf_runtime_name(fn->runtime));
    afn_str(w, ",\"handler\":", fn->handler);
    afn_fmt(w, ",\"memoryMb\":%d,\"timeoutS\":%d,\"ephemeralStorageMb\":%d", fn->memory_mb, fn->timeout_s,
            fn->ephemeral_mb);
    if (fn->concurrency > 0)
        afn_fmt(w, ",\"reservedConcurrency\":%d", fn->concurrency);
    else
        afn_raw(w, ",\"reservedConcurrency\":null");
    afn_fmt(w, ",\"concurrent\":%d,\"workers\":%d", live ? live->concurrent : 0, live ? live->workers : 0);
    afn_triggers(w, v, fn);
}

int fg_admin_fn_summary(const struct fg_admin_fn_view *v, const struct fg_conf_function *fn,
                        const struct fg_admin_fn_live *live, struct fg_buf *out)
{
    struct afn_w w = { out, 0 };
    afn_members(&w, v, fn, live);
    afn_raw(&w, "}");
    return w.rc;
}

/* ------------------------------------------------------------------ the detail */

bool fg_admin_fn_secret(const char *name)
{
    static const char *const words[] = { "SECRET", "TOKEN", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "PRIVATE", NULL };
    for (const char *const *w = words; *w; w++)
        if (strcasestr(name, *w))
            return true;
    return false;
}

/* One entry of "config": {"key": key, "value": <value written by the caller>, then afn_pos. */
static void afn_key(struct afn_w *w, const char *key)
{
    bool first = w->out->len && w->out->data && w->out->data[w->out->len - 1] == '[';
    afn_str(w, first ? "{\"key\":" : ",{\"key\":", key);
    afn_raw(w, ",\"value\":");
}

/* The entry's "pos" ("FILE:LINE:COL", or null when the key is not written) and its end. */
static void afn_pos(struct afn_w *w, const struct fg_config *conf, struct fg_conf_pos pos)
{
    char where[1200];
    if (!pos.line) {
        afn_raw(w, ",\"pos\":null}");
        return;
    }
    snprintf(where, sizeof(where), "%s:%d:%d", conf->path ? conf->path : "fngate.yaml", pos.line, pos.col);
    afn_str(w, ",\"pos\":", where);
    afn_raw(w, "}");
}

static void afn_int_key(struct afn_w *w, const struct fg_config *conf, const char *key, int value,
                        struct fg_conf_pos pos)
{
    afn_key(w, key);
    afn_fmt(w, "%d", value);
    afn_pos(w, conf, pos);
}

static void afn_str_key(struct afn_w *w, const struct fg_config *conf, const char *key, const char *value,
                        struct fg_conf_pos pos)
{
    afn_key(w, key);
    afn_str(w, "", value);
    afn_pos(w, conf, pos);
}

/* A destination: "dlq", the function's name or the URL; null for none. */
static void afn_dest_key(struct afn_w *w, const struct fg_config *conf, const char *key,
                         const struct fg_conf_destination *d, struct fg_conf_pos pos)
{
    afn_str_key(w, conf, key, d->kind == FG_DEST_DLQ ? "dlq" : d->kind == FG_DEST_NONE ? NULL : d->target, pos);
}

static void afn_config(struct afn_w *w, const struct fg_admin_fn_view *v, const struct fg_conf_function *fn)
{
    const struct fg_config *conf = v->conf;
    const struct fg_conf_fn_pos *p = &fn->key_pos;

    afn_raw(w, ",\"config\":[");
    afn_int_key(w, conf, "memory", fn->memory_mb, p->memory);
    afn_int_key(w, conf, "timeout", fn->timeout_s, p->timeout);
    afn_int_key(w, conf, "ephemeral_storage", fn->ephemeral_mb, p->ephemeral_storage);
    afn_str_key(w, conf, "runtime", fg_conf_runtime_name(fn->runtime), p->runtime);
    afn_str_key(w, conf, "handler", fn->handler, p->handler);
    afn_str_key(w, conf, "code", fn->code, p->code);
    afn_str_key(w, conf, "network", fn->network == FG_NETWORK_NONE ? "none" : "host", p->network);
    afn_key(w, "concurrency");
    if (fn->concurrency > 0)
        afn_fmt(w, "%d", fn->concurrency);
    else
        afn_raw(w, "null");
    afn_pos(w, conf, p->concurrency);
    afn_key(w, "rate");
    if (fn->rate.per_second > 0)
        afn_fmt(w, "{\"perSecond\":%g,\"burst\":%d}", fn->rate.per_second, fn->rate.burst);
    else
        afn_raw(w, "null");
    afn_pos(w, conf, p->rate);
    afn_key(w, "retries");
    afn_fmt(w, "{\"maximumRetryAttempts\":%d,\"maximumEventAgeInSeconds\":%d}", fn->retries.max_attempts,
            fn->retries.max_age_s);
    afn_pos(w, conf, p->retries);
    afn_dest_key(w, conf, "on_success", &fn->on_success, p->on_success);
    afn_dest_key(w, conf, "on_failure", &fn->on_failure, p->on_failure);
    afn_key(w, "snapstart");
    afn_raw(w, fn->snapstart ? "true" : "false");
    afn_pos(w, conf, p->snapstart);
    afn_key(w, "url");
    if (fn->url.enabled) {
        char url[512];
        fg_function_url_of(conf, fn->name, v->url_port, url, sizeof(url));
        afn_str(w, "", url);
    } else {
        afn_raw(w, "null");
    }
    afn_pos(w, conf, fn->url.pos);
    afn_raw(w, "]");
}

static void afn_environment(struct afn_w *w, const struct fg_conf_function *fn)
{
    afn_raw(w, ",\"environment\":{");
    for (size_t i = 0; i < fn->env.n; i++) {
        const struct fg_conf_pair *e = &fn->env.items[i];
        afn_str(w, i ? "," : "", e->key);
        afn_str(w, ":", fg_admin_fn_secret(e->key) ? "****" : e->value ? e->value : "");
    }
    afn_raw(w, "}");
}

static void afn_strings(struct afn_w *w, const char *lead, const char *const *items, size_t n)
{
    afn_raw(w, lead);
    for (size_t i = 0; i < n; i++)
        afn_str(w, i ? "," : "", items[i]);
    afn_raw(w, "]");
}

/* {"name":"FN-role","statements":[{"effect","action","resource"}]} (the basic role: none). */
static void afn_role(struct afn_w *w, const struct fg_conf_function *fn)
{
    const struct fg_iam_policy *pol = &fn->role.policy;
    char name[300];
    snprintf(name, sizeof(name), "%s-role", fn->name);
    afn_str(w, ",\"role\":{\"name\":", name);
    afn_raw(w, ",\"statements\":[");
    for (size_t i = 0; i < pol->n; i++) {
        const struct fg_iam_statement *s = &pol->statements[i];
        afn_fmt(w, "%s{\"effect\":\"%s\"", i ? "," : "", s->effect == FG_IAM_DENY ? "Deny" : "Allow");
        afn_strings(w, ",\"action\":[", s->actions, s->n_actions);
        afn_strings(w, ",\"resource\":[", s->resources, s->n_resources);
        afn_raw(w, "}");
    }
    afn_raw(w, "]}");
}

int fg_admin_fn_detail(const struct fg_admin_fn_view *v, const struct fg_conf_function *fn,
                       const struct fg_admin_fn_live *live, struct fg_buf *out)
{
    struct afn_w w = { out, 0 };
    afn_members(&w, v, fn, live);
    afn_config(&w, v, fn);
    afn_environment(&w, fn);
    afn_role(&w, fn);
    afn_raw(&w, "}");
    return w.rc;
}

/* ------------------------------------------------------------------ the answer */

int fg_admin_fn_answer(struct fg_router *r, const struct fg_admin_fn_view *v, const char *name, struct fg_buf *out)
{
    struct fg_admin_fn_view view = *v;
    struct fg_admin_fn_live live;
    const struct fg_conf_function *fn;
    int rc = 0;

    view.conf = fg_router_conf(r);
    if (name && name[0]) {
        if (!(fn = fg_conf_function(view.conf, name)))
            return -ENOENT;
        if (!fg_router_function_live(r, fn->name, &live.concurrent, &live.workers))
            live = (struct fg_admin_fn_live){ 0, 0 };
        return fg_admin_fn_detail(&view, fn, &live, out);
    }
    if ((rc = fg_buf_append_str(out, "{\"functions\":[")) < 0)
        return rc;
    for (size_t i = 0; i < view.conf->n_functions && rc == 0; i++) {
        fn = &view.conf->functions[i];
        if (!fg_router_function_live(r, fn->name, &live.concurrent, &live.workers))
            live = (struct fg_admin_fn_live){ 0, 0 };
        if ((rc = fg_buf_append_str(out, i ? "," : "")) == 0)
            rc = fg_admin_fn_summary(&view, fn, &live, out);
    }
    return rc < 0 ? rc : fg_buf_append_str(out, "]}");
}

/* SPDX-License-Identifier: MIT */
/* serve.h - the running gateway as `fngate serve` holds it, shared by cmd_serve.c (start
 * and stop) and reload.c (SIGHUP, POST /_fngate/reload).
 *
 * Everything here is the loop thread's. Configurations are kept, newest first, until the
 * gateway has stopped: the router, the front door's requests under way and adapters that
 * a reload left running borrow from the one they were made with. */
#ifndef FG_SERVE_H
#define FG_SERVE_H

#include "../config/config.h"
#include "../core/buf.h"
#include "../core/loop.h"
#include "../core/notify.h"
#include "../router/router.h"
#include "../triggers/registry.h"

struct fg_s3_server;
struct fg_http_server;
struct fg_admin_server;

/* One loaded configuration; the list owns them. */
struct fg_serve_conf {
    struct fg_config conf;
    struct fg_serve_conf *older;
};

/* The command line's overrides, applied to every configuration loaded (borrowed argv). */
struct fg_serve_opts {
    const char *path, *listen, *admin_listen, *format;
};

struct fg_serve {
    struct fg_loop loop;
    struct fg_router *router;
    struct fg_trigger *triggers[FG_REGISTRY_MAX];   /* by registry index; NULL: none of its events */
    struct fg_trigger **retired;        /* stopped by a reload, freed with the others (owned) */
    size_t n_retired;
    struct fg_s3_server *s3;            /* NULL without a top-level `s3:` */
    struct fg_http_server *http;
    struct fg_admin_server *admin;
    struct fg_notify notify;            /* systemd's Type=notify, when NOTIFY_SOCKET is set */
    struct fg_serve_opts opts;
    struct fg_serve_conf *confs;        /* newest (in force) first */
    int signals;
};

/* Loads opts->path with the command line's overrides into a new configuration, newest of
 * st->confs. 0, or a negative code with err holding the whole message to print (the
 * file's "file:line:col: message", or the bad option) and nothing added. */
int fg_serve_conf_load(struct fg_serve *st, struct fg_err *err) FG_MUST_CHECK;

/* Frees every configuration (after everything that borrows them). */
void fg_serve_conf_free(struct fg_serve *st);

/* Loop thread: reads the configuration again and applies it (reload.c). 0 with a JSON
 * summary appended to out ({"reloaded":..., "functions":{...}, "restarted":[...],
 * "needsRestart":[...]}), or a negative code with err filled ("file:line:col: message"):
 * the configuration in force is unchanged and keeps serving. Logs either way. */
int fg_serve_reload(struct fg_serve *st, struct fg_buf *out, struct fg_err *err) FG_MUST_CHECK;

#endif

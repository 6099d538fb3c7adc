/* SPDX-License-Identifier: MIT */
/* router.h - functions, their worker pools and concurrency caps; where invocations go.
 *
 * The router knows functions and nothing about where an invocation came from (HTTP route,
 * Invoke API, CLI). Every router call except fg_router_submit() is loop-thread only.
 * Lifecycle: new → start → submit... → stop (kills workers, answers what is in flight) →
 * free once the stopped callback ran. Tests: tests/unit/test_router.c, tests/integration. */
#ifndef FG_ROUTER_H
#define FG_ROUTER_H

#include "../config/config.h"
#include "../core/loop.h"
#include "invocation.h"

struct fg_router;

typedef void fg_router_stopped_fn(void *arg);

/* Borrows conf and loop for the router's life. fnlog_fd receives the function log stream
 * (normally STDOUT_FILENO). Returns 0 and an owned router in *out (free with
 * fg_router_free), or -errno with err filled. */
int fg_router_new(const struct fg_config *conf, struct fg_loop *loop, int fnlog_fd,
                  struct fg_router **out, struct fg_err *err) FG_MUST_CHECK;

/* Creates per-function directories, starts min_warm workers and child reaping. */
int fg_router_start(struct fg_router *r, struct fg_err *err) FG_MUST_CHECK;

/* Any thread. Borrows inv until inv->done runs (on the loop thread, never inside this
 * call). 0, or -FG_ESHUTDOWN: done will not run and the caller answers itself. */
int fg_router_submit(struct fg_router *r, struct fg_invocation *inv) FG_MUST_CHECK;

/* Stops taking work, answers in-flight invocations with a service error, kills workers;
 * cb(arg) runs on the loop thread once every worker was reaped (never inside this call). */
void fg_router_stop(struct fg_router *r, fg_router_stopped_fn *cb, void *arg);

/* Frees the router (NULL allowed). After the stopped callback, or if never started. */
void fg_router_free(struct fg_router *r);

#endif

/* SPDX-License-Identifier: MIT */
/* snapshot.h - a function's snapshot template: the process new workers are forked from
 * (`snapstart: true`, Python), so a cold start costs a fork instead of an interpreter
 * start and the handler's import (snapshot.c).
 *
 * The template is the Python bootstrap in template mode: it runs the init phase once
 * (imports the handler, runs before-snapshot hooks), says "ready" on a control socket, then
 * forks one worker per request. A worker asked of a template gets its pid later: it is a
 * worker with pid 0 and w->snap_req set until the template's message names its process.
 * A template that fails its init fails every worker waiting for it with the init error; a
 * template that finds the function's code changed answers "stale" and exits, and its
 * requests go to a new one. Starts are at most one per second per function. Loop thread
 * only. Tests: tests/integration/test_snapstart.py. */
#ifndef FG_SNAPSHOT_H
#define FG_SNAPSHOT_H

#include <sys/types.h>

#include "../core/err.h"

#include <stdbool.h>

struct fg_function;
struct fg_router;
struct fg_worker;

/* Starts fn's template ahead of traffic (router start; Lambda initializes a SnapStart
 * function when a version is published). A failure is logged, not returned: the first
 * worker tries again. */
void fg_snapshot_start(struct fg_function *fn);

/* Asks fn's template for w's process: w (SPAWNING, not yet on fn->workers) is marked
 * restored with a request id; the request goes now if the template is ready, else when it
 * is (a template is started if none runs). Takes out_fd, w's output pipe's write end (kept
 * in w->snap_fd until the pid is known), also on error. 0, or a negative code with err
 * filled (no template could be started): w is then the caller's to free. */
int fg_snapshot_request(struct fg_function *fn, struct fg_worker *w, int out_fd, struct fg_err *err) FG_MUST_CHECK;

/* w was killed while its pid is unknown (fg_worker_kill): a request not sent yet is
 * dropped and w freed soon after (never inside this call); a sent one is killed when its
 * pid arrives. */
void fg_snapshot_forget(struct fg_worker *w);

/* SIGCHLD for a pid no worker has (fg_worker_on_exit said false): a template's end, or a
 * restored worker that ended before its pid was read (remembered for a few seconds). */
void fg_snapshot_on_exit(struct fg_router *r, pid_t pid, int status);

/* Shutdown: kills fn's template; workers whose request was never sent are freed soon. */
void fg_snapshot_stop(struct fg_function *fn);

/* Whether fn's template process is gone (or never ran): a removed function may be freed. */
bool fg_snapshot_idle(const struct fg_function *fn);

/* Frees fn's snapshot state (router free). */
void fg_snapshot_free(struct fg_function *fn);

#endif

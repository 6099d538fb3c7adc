/* SPDX-License-Identifier: MIT */
/* worker.h - one function process: its state, its Runtime API server, its output (worker.c).
 *
 * A worker is one process speaking the Lambda Runtime API on its own loopback port, so the
 * port a request arrives on says which process holds which invocation: a timeout kills
 * exactly that process, and its memory is measured alone. States:
 *
 *   SPAWNING --first /next--> IDLE --assigned--> BUSY --response/error--> IDLE
 *       \__________________ any: timeout, exit, crash, reaping _____________> DEAD (reaped, freed)
 *
 * An invocation is delivered when the worker holds it and has a /next parked. A cold worker
 * (SPAWNING) may be assigned work before its first /next; an answered worker goes straight
 * back to IDLE, so work given to it before its next /next arrives waits for that /next
 * instead of starting another process. The Runtime API server reports each request to
 * worker.c, which turns it into pool and router calls. Loop thread only; a worker belongs
 * to its function (fn->workers) from spawn until it is reaped. Tests:
 * tests/integration/test_workers.py, test_runtimes.py; tests/unit/test_router.c (states
 * the pool sets). */
#ifndef FG_WORKER_H
#define FG_WORKER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/iam_creds.h"
#include "../core/id.h"
#include "memlimit.h"
#include "outlines.h"
#include "runtime_api.h"
#include "sandbox.h"

struct event;
struct fg_function;
struct fg_invocation;
struct fg_router;

enum fg_worker_state {
    FG_WORKER_SPAWNING = 0,   /* started, has not called /next yet */
    FG_WORKER_IDLE,           /* parked in /next, no invocation */
    FG_WORKER_BUSY,           /* holds an invocation */
    FG_WORKER_DEAD,           /* killed or exited; waiting to be reaped */
};

struct fg_worker {
    struct fg_function *fn;
    struct fg_worker *prev, *next;       /* fn->workers */
    struct fg_worker *idle_next;         /* fn->idle stack (LIFO: warmest first) */
    enum fg_worker_state state;
    unsigned id;                         /* per function, for names */
    pid_t pid;
    bool reaped;                         /* waitpid() collected it */
    bool provisioned;                    /* started by min_warm */
    unsigned code_gen;                   /* its function's code generation at spawn */
    bool restored;                       /* forked from its function's snapshot template
                                          * (snapshot.h): REPORT says Restore Duration */
    unsigned snap_req;                   /* restored: its fork request's id while the pid is
                                          * not known yet (pid 0), else 0 */
    bool snap_sent;                      /* that request went to the template */
    int snap_fd;                         /* its output pipe's write end until the pid is
                                          * known (the template is given it), else -1 */
    struct fg_runtime_api api;           /* its Runtime API server, 127.0.0.1:api.port;
                                          * worker.c answers its callbacks */
    struct fg_invocation *inv;           /* assigned or delivered, or NULL */
    char last_request_id[FG_ID_LEN + 1]; /* answered last: a second answer gets 400 */
    char stream_id[FG_ID_LEN + 1];       /* the invocation its Runtime API stream is for:
                                          * bytes of a stream whose invocation ended another
                                          * way (an /error beside it) reach no other one */
    struct fg_outlines out;              /* its stdout+stderr pipe, read as lines */
    long long spawn_us, idle_since_us;
    struct fg_memlimit_worker mem;
    struct fg_sandbox_worker sb;         /* its uid, pids cgroup, namespaces (sandbox.h) */
    struct event *net_ev;                /* network none: waits for its Runtime API socket */
    char log_stream[96];
    char role_key[FG_IAM_KEY_ID_LEN + 1]; /* its role credentials' key id (released when it
                                          * is freed), "" when none; a restored worker's is
                                          * its template's (snapshot.c holds it for it) */
};

/* Starts a process for fn (a fg_pool_spawn_fn: r->spawn). Returns a worker in SPAWNING
 * state, on fn->workers and counted in fn->n_live, owned by fn until fg_worker_on_exit
 * frees it after the reap; or NULL with err filled. */
struct fg_worker *fg_worker_spawn(struct fg_function *fn, bool provisioned, struct fg_err *err);

/* Starts fn's runtime as its snapshot template (snapshot.c): the process a worker starts
 * as, with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, FNGATE_SNAPSTART=3 and ctl_fd as its
 * fd 3, out_fd as stdout and stderr, no memory group, in its own process group and in the
 * sandbox sw (prepared here; the caller releases it with fg_sandbox_release after the
 * reap). Borrows both fds (the caller closes its copies). role_key gets the key id of the
 * role credentials issued to it (one reference: the caller releases it when the template
 * ends; "" on error). The child's pid, or a negative code with err filled (sw then holds
 * nothing). */
pid_t fg_worker_exec_template(struct fg_function *fn, int out_fd, int ctl_fd, const char *log_stream,
                              struct fg_sandbox_worker *sw, char role_key[FG_IAM_KEY_ID_LEN + 1], struct fg_err *err);

/* A restored worker whose process never came (its template failed at init or died before
 * forking it, or it was killed before its request was sent): fails its invocation, if
 * any, with the init error body (type, body: Runtime.InitError shape as /init/error takes
 * it) or, body NULL, as a runtime that exited during init (how: "exit status 1"), then
 * frees it. Not from inside the worker's own callbacks. */
void fg_worker_restore_failed(struct fg_worker *w, const char *type, const char *body, size_t len, const char *how);

/* Kills the worker's process group and closes its Runtime API server (a parked /next
 * too); it becomes DEAD and is freed once reaped (a restored worker whose pid is not known
 * yet: killed when it is, or freed by snapshot.c when it will never be). Its invocation, if any, is the caller's
 * to finish. reason goes to the debug log. Idempotent. */
void fg_worker_kill(struct fg_worker *w, const char *reason);

/* SIGCHLD: status collected for pid. Fails the invocation the worker held, frees the
 * worker, and lets a stopping router finish. false when no worker has pid (then nothing
 * was done: snapshot.c may know it). */
bool fg_worker_on_exit(struct fg_router *r, pid_t pid, int status);

/* Reads whatever output is waiting (before an answer is processed, so lines printed before
 * the answer belong to the invocation). */
void fg_worker_drain_output(struct fg_worker *w);

/* Delivers w->inv (assigned, not yet delivered) to the parked /next: arms its timeout and
 * logs START. The caller checked fg_runtime_api_parked(&w->api). */
void fg_worker_deliver(struct fg_worker *w);

#endif

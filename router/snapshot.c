/* SPDX-License-Identifier: MIT */
/* snapshot.c - a function's snapshot template and the fork requests it serves (see
 * snapshot.h; the template's side is runtimes/python/bootstrap.py, snapshot_template()).
 *
 * DESIGN: Lambda's SnapStart snapshots a microVM after init and restores copies of it;
 * a process that has run init and then fork()s gives the same thing on one machine: the
 * copy shares the initialized interpreter and modules copy-on-write. The template is an
 * ordinary child of fngate (fork + execve by worker.c, its own process group, dies with
 * fngate); it talks to fngate over a SOCK_SEQPACKET socketpair (its fd 3), one JSON
 * message per packet:
 *
 *   fngate -> template  {"id","port","log_stream","procs","rlimit"} + the worker's output
 *                       pipe (SCM_RIGHTS)
 *   template -> fngate  {"t":"ready"} | {"t":"init_error","error":{...}} | {"t":"stale"}
 *                       | {"t":"pid","id","pid"}
 *
 * The template forks twice per request (the middle process reports the worker's pid and
 * exits), so each worker is orphaned at once and, fngate being a child subreaper
 * (router.c), becomes fngate's child: router.c's waitpid() reaps it like any worker. A
 * worker may end before its pid message is read; such exits are remembered for a few
 * seconds (snapshot_exit) and applied when the pid arrives. When the template ends, the
 * socket is read to its end first, so every pid it reported is known; then its requests
 * without a pid fail with its init error (it never got ready) or go to a new template (it
 * was ready: it was stale, or killed). Limits: the template has no memory cap of its own;
 * a worker's cgroup is charged only for the pages it writes after the fork. */
#include "snapshot.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/log.h"
#include "outlines.h"
#include "router_int.h"
#include "worker.h"

#define SNAPSHOT_MSG_MAX        65536
#define SNAPSHOT_LINE_MAX       (64u * 1024)
#define SNAPSHOT_READ_CHUNK     16384
#define SNAPSHOT_RESTART_US     1000000LL   /* at most one template start a second */
#define SNAPSHOT_EXITS          16
#define SNAPSHOT_EXIT_KEEP_US   10000000LL
#define SNAPSHOT_RESEND_US      10000       /* the socket was full: try again after this */
#define SNAPSHOT_WAKE_MSGS      64          /* control messages read per wake-up */

/* ------------------------------------------------------------------ types */

enum snapshot_state {
    SNAPSHOT_NONE = 0,        /* no template */
    SNAPSHOT_STARTING,        /* running init */
    SNAPSHOT_READY,           /* serves fork requests */
    SNAPSHOT_ENDING,          /* said stale or init_error: exits */
};

/* A process that ended before its pid message was read. */
struct snapshot_exit {
    pid_t pid;
    int status;
    long long at_us;
};

struct fg_snapshot {
    struct fg_function *fn;
    enum snapshot_state state;
    bool was_ready;           /* the running template said ready */
    pid_t pid;                /* the template, 0 when none */
    struct fg_sandbox_worker sb;  /* the template's uid, cgroup, namespaces (its workers
                               * share its uid and mounts) */
    int ctl_fd;               /* our end of the control socket */
    struct event *ctl_ev;
    struct fg_outlines out;   /* the template's stdout+stderr, read as lines */
    struct event *start_ev;   /* a start put off by the rate limit */
    struct event *sweep_ev;   /* frees workers killed before their request went */
    struct event *flush_ev;   /* sends again what a full socket refused */
    long long start_us;       /* the running template's start (its Init Duration) */
    long long last_start_us;
    unsigned next_req;
    char *init_error;         /* its init error body (owned), or NULL */
    char init_error_type[128];
    char role_key[FG_IAM_KEY_ID_LEN + 1];  /* the running template's role credentials (one
                                             * reference; each worker it forked holds one
                                             * more), "" when none */
    struct snapshot_exit exits[SNAPSHOT_EXITS];
    unsigned n_exits;         /* total ever recorded; the ring holds the last few */
};

/* ------------------------------------------------------------------ prototypes */

static void snapshot_try_start(struct fg_snapshot *s);
static void snapshot_on_ctl(evutil_socket_t fd, short what, void *arg);

/* ------------------------------------------------------------------ helpers */

static const char *snapshot_name(const struct fg_snapshot *s)
{
    return s->fn->conf->name;
}

/* Pending: restored workers whose pid is not known yet. */
static bool snapshot_has_pending(const struct fg_snapshot *s, bool sent_only)
{
    for (struct fg_worker *w = s->fn->workers; w; w = w->next)
        if (w->snap_req && (w->snap_sent || !sent_only))
            return true;
    return false;
}

/* A template's output line (fg_outlines_fn): it belongs to no invocation. */
static void snapshot_on_line(void *arg, const char *p, size_t n)
{
    struct fg_snapshot *s = arg;
    fg_fnlog_line(&s->fn->router->log, snapshot_name(s), NULL, p, n);
}

/* ------------------------------------------------------------------ requests */

/* Sends w's fork request with its output pipe. 0 or -errno. */
static int snapshot_send(struct fg_snapshot *s, struct fg_worker *w)
{
    const struct fg_memlimit_worker *m = &w->mem;
    json_t *o = json_pack("{s:I,s:i,s:s,s:s,s:I}", "id", (json_int_t)w->snap_req, "port", w->api.port,
                          "log_stream", w->log_stream,
                          /* an unprivileged template cannot: fngate moves it (snapshot_on_pid) */
                          "procs", s->fn->router->sandbox.on ? "" : m->procs,
                          "rlimit", (json_int_t)(m->rlimit ? m->limit_bytes + (256ull << 20) : 0));
    char *msg = o ? json_dumps(o, JSON_COMPACT) : NULL;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov;
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t n;

    /* The restored worker runs as its template does. */
    fg_runtime_api_expect_uid(&w->api, s->sb.uid != (uid_t)-1 ? s->sb.uid : geteuid());
    json_decref(o);
    if (!msg)
        return -ENOMEM;
    memset(cbuf, 0, sizeof(cbuf));
    iov = (struct iovec){ .iov_base = msg, .iov_len = strlen(msg) };
    mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &w->snap_fd, sizeof(int));
    do
        n = sendmsg(s->ctl_fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    free(msg);
    if (n < 0)
        return -errno;
    w->snap_sent = true;
    w->spawn_us = fg_mono_us();      /* Restore Duration runs from here to its first /next */
    return 0;
}

/* A send failed: a full socket is tried again soon; anything else means the template is
 * going, and its end (SIGCHLD) decides. */
static void snapshot_send_failed(struct fg_snapshot *s, int rc)
{
    struct timeval tv = { 0, SNAPSHOT_RESEND_US };
    if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -ENOBUFS) {
        if (!evtimer_pending(s->flush_ev, NULL))
            evtimer_add(s->flush_ev, &tv);
        return;
    }
    fg_log(FG_LOG_WARN, "snapshot", "function %s: cannot reach the snapshot template: %s", snapshot_name(s),
           strerror(-rc));
}

/* Sends every request that waits, the oldest first (the list is newest first). */
static void snapshot_flush(struct fg_snapshot *s)
{
    struct fg_worker *w, *last = NULL;
    int rc;

    if (s->state != SNAPSHOT_READY)
        return;
    for (w = s->fn->workers; w; w = w->next)
        last = w;
    for (w = last; w; w = w->prev) {
        if (!w->snap_req || w->snap_sent || w->state == FG_WORKER_DEAD)
            continue;
        if ((rc = snapshot_send(s, w)) < 0) {
            snapshot_send_failed(s, rc);
            return;
        }
    }
}

static void snapshot_on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    snapshot_flush(arg);
}

/* Frees restored workers that never got a process: with the init error, or as exited. */
static void snapshot_fail_pending(struct fg_snapshot *s, bool dead_only, const char *how)
{
    struct fg_worker *w, *next;
    for (w = s->fn->workers; w; w = next) {
        next = w->next;
        if (!w->snap_req || (dead_only && w->state != FG_WORKER_DEAD))
            continue;
        fg_worker_restore_failed(w, s->init_error_type, s->init_error, s->init_error ? strlen(s->init_error) : 0,
                                 how);
    }
}

static void snapshot_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct fg_snapshot *s = arg;
    struct fg_worker *w, *next;
    (void)fd;
    (void)what;
    for (w = s->fn->workers; w; w = next) {
        next = w->next;
        if (w->snap_req && w->state == FG_WORKER_DEAD && (!w->snap_sent || !s->pid))
            fg_worker_restore_failed(w, NULL, NULL, 0, "killed before it started");
    }
}

/* ------------------------------------------------------------------ control messages */

/* The parent of process pid (from /proc/PID/stat), or -1. */
static pid_t snapshot_ppid(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    ssize_t n;
    int fd;
    long ppid;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold anything but ends at the last ')'. */
    if (!(close_paren = strrchr(buf, ')')) || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* The template runs the function's own code, so a pid it reports is checked before fngate
 * ever signals it: a restored worker is fngate's child (adopted after the middle process
 * exited) or the child of the template's child (the middle, still there), and is no other
 * worker. Anything else (fngate, init, another function's worker) is refused. */
static bool snapshot_pid_ok(const struct fg_snapshot *s, pid_t pid)
{
    const struct fg_router *r = s->fn->router;
    pid_t ppid;

    if (pid <= 1 || pid == getpid() || pid == s->pid || (ppid = snapshot_ppid(pid)) <= 0)
        return false;
    if (ppid != getpid() && (ppid == s->pid || snapshot_ppid(ppid) != s->pid))
        return false;
    for (size_t i = 0; i < r->n_fns; i++)
        for (const struct fg_worker *w = r->fns[i]->workers; w; w = w->next)
            if (w->pid == pid)
                return false;
    return true;
}

/* An isolated template runs unprivileged: fngate puts its restored worker into the
 * worker's own memory and pids groups (so killing the template spares it). */
static void snapshot_adopt(struct fg_snapshot *s, struct fg_worker *w, pid_t pid)
{
    if (fg_memlimit_move(&w->mem, pid) < 0 || fg_sandbox_adopt(&w->sb, pid) < 0)
        fg_log(FG_LOG_WARN, "snapshot", "function %s: cannot move restored worker %d into its cgroups: %s",
               snapshot_name(s), (int)pid, strerror(errno));
}

static void snapshot_on_pid(struct fg_snapshot *s, unsigned id, pid_t pid)
{
    struct fg_router *r = s->fn->router;
    struct fg_worker *w;

    for (w = s->fn->workers; w && w->snap_req != id; w = w->next)
        ;
    if (pid <= 0)
        return;
    for (unsigned i = 0; i < SNAPSHOT_EXITS && i < s->n_exits; i++) {
        struct snapshot_exit *e = &s->exits[i];
        /* An exit before this worker was asked for is another process's (a reused pid). */
        if (e->pid != pid || fg_mono_us() - e->at_us > SNAPSHOT_EXIT_KEEP_US || (w && e->at_us < w->spawn_us))
            continue;
        e->pid = 0;
        if (w) {
            w->pid = pid;
            w->mem.pid = pid;
            w->snap_req = 0;
            fg_worker_on_exit(r, pid, e->status);
        }
        return;
    }
    if (!snapshot_pid_ok(s, pid)) {
        fg_log(FG_LOG_WARN, "snapshot", "function %s: the template reported pid %d, which is not a worker it "
               "forked; ignored", snapshot_name(s), (int)pid);
        return;
    }
    if (!w) {                        /* its worker is gone: nothing may serve its port */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        return;
    }
    w->pid = pid;
    w->mem.pid = pid;
    w->snap_req = 0;
    /* It inherited the template's environment, keys included: they live while it does. */
    if (fg_iam_creds_hold(&r->creds, s->role_key) == 0)
        memcpy(w->role_key, s->role_key, sizeof(w->role_key));
    close(w->snap_fd);
    w->snap_fd = -1;
    if (s->fn->router->sandbox.on)
        snapshot_adopt(s, w, pid);
    fg_log(FG_LOG_DEBUG, "snapshot", "function %s: restored worker %d on runtime port %d", snapshot_name(s),
           (int)pid, w->api.port);
    if (w->state == FG_WORKER_DEAD) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
}

static void snapshot_on_msg(struct fg_snapshot *s, const char *buf, size_t n)
{
    json_t *o = json_loadb(buf, n, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "t"));
    struct fg_router *r = s->fn->router;

    if (!t) {
        fg_log(FG_LOG_WARN, "snapshot", "function %s: bad message from the snapshot template", snapshot_name(s));
    } else if (!strcmp(t, "pid")) {
        snapshot_on_pid(s, (unsigned)json_integer_value(json_object_get(o, "id")),
                        (pid_t)json_integer_value(json_object_get(o, "pid")));
    } else if (!strcmp(t, "ready") && s->state == SNAPSHOT_STARTING) {
        s->state = SNAPSHOT_READY;
        s->was_ready = true;
        fg_fnlog_init_report(&r->log, snapshot_name(s), (double)(fg_mono_us() - s->start_us) / 1000.0,
                             "snap-start");
        snapshot_flush(s);
    } else if (!strcmp(t, "init_error")) {
        json_t *e = json_object_get(o, "error");
        const char *type = json_string_value(json_object_get(e, "errorType"));
        s->state = SNAPSHOT_ENDING;
        free(s->init_error);
        s->init_error = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        snprintf(s->init_error_type, sizeof(s->init_error_type), "%s", type ? type : "Runtime.InitError");
    } else if (!strcmp(t, "stale")) {
        s->state = SNAPSHOT_ENDING;
        fg_log(FG_LOG_INFO, "snapshot", "function %s: code changed: making a new snapshot", snapshot_name(s));
    }
    json_decref(o);
}

static void snapshot_on_ctl(evutil_socket_t fd, short what, void *arg)
{
    struct fg_snapshot *s = arg;
    char buf[SNAPSHOT_MSG_MAX];
    (void)fd;
    (void)what;
    /* A few messages per wake-up: a template that writes without pause cannot hold the
     * loop (the event fires again while more wait). */
    for (int i = 0; i < SNAPSHOT_WAKE_MSGS && s->ctl_fd >= 0; i++) {
        ssize_t n = recv(s->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            snapshot_on_msg(s, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        /* Closed: the template is gone or going; its reap decides what follows. */
        event_del(s->ctl_ev);
        if (s->pid)
            kill(-s->pid, SIGKILL);
        return;
    }
}

/* ------------------------------------------------------------------ the template */

static void snapshot_close_process(struct fg_snapshot *s)
{
    if (s->ctl_fd >= 0)
        snapshot_on_ctl(s->ctl_fd, EV_READ, s);   /* every pid it reported */
    fg_loop_close_fd(&s->ctl_ev, &s->ctl_fd);
    fg_outlines_drain(&s->out);
    fg_outlines_close(&s->out);
    fg_iam_creds_release(&s->fn->router->creds, s->role_key);
    s->role_key[0] = '\0';
    s->pid = 0;
    s->state = SNAPSHOT_NONE;
    fg_sandbox_release(&s->fn->router->sandbox, &s->sb);
}

/* Starts a template now. 0 or a negative code with err filled. */
static int snapshot_start_now(struct fg_snapshot *s, struct fg_err *err)
{
    struct fg_function *fn = s->fn;
    int sv[2] = { -1, -1 }, out[2] = { -1, -1 };
    pid_t pid;
    int rc;

    s->last_start_us = fg_mono_us();
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        rc = fg_err_set(err, -errno, "function %s: snapshot template: %s", fn->conf->name, strerror(errno));
        if (sv[0] >= 0) {
            close(sv[0]);
            close(sv[1]);
        }
        return rc;
    }
    pid = fg_worker_exec_template(fn, out[1], sv[1], "snapshot", &s->sb, s->role_key, err);
    close(out[1]);
    close(sv[1]);
    if (pid < 0) {
        close(out[0]);
        close(sv[0]);
        return (int)pid;
    }
    s->pid = pid;
    s->state = SNAPSHOT_STARTING;
    s->was_ready = false;
    s->start_us = s->last_start_us;
    free(s->init_error);
    s->init_error = NULL;
    s->ctl_fd = sv[0];
    fcntl(s->ctl_fd, F_SETFL, O_NONBLOCK);
    s->ctl_ev = event_new(fn->router->loop->base, s->ctl_fd, EV_READ | EV_PERSIST, snapshot_on_ctl, s);
    rc = fg_outlines_open(&s->out, fn->router->loop->base, out[0]);   /* takes out[0], also on error */
    if (rc < 0 || !s->ctl_ev || event_add(s->ctl_ev, NULL) < 0) {
        kill(-pid, SIGKILL);         /* its reap cleans up */
        return fg_err_set(err, -ENOMEM, "function %s: cannot watch the snapshot template", fn->conf->name);
    }
    fg_log(FG_LOG_INFO, "snapshot", "function %s: snapshot template %d started", fn->conf->name, (int)pid);
    return 0;
}

static void snapshot_on_start(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    snapshot_try_start(arg);
}

/* Starts a template, now or when the rate limit allows. Failures are logged; the workers
 * waiting fail with them. */
static void snapshot_try_start(struct fg_snapshot *s)
{
    long long wait_us = s->last_start_us + SNAPSHOT_RESTART_US - fg_mono_us();
    struct fg_err err;

    if (s->state != SNAPSHOT_NONE || s->fn->router->stopping)
        return;
    if (s->last_start_us && wait_us > 0) {
        struct timeval tv = { (time_t)(wait_us / 1000000), (suseconds_t)(wait_us % 1000000) };
        if (!evtimer_pending(s->start_ev, NULL))
            evtimer_add(s->start_ev, &tv);
        return;
    }
    if (snapshot_start_now(s, &err) < 0) {
        fg_log(FG_LOG_ERROR, "snapshot", "%s", err.msg);
        snapshot_fail_pending(s, false, err.msg);
    }
}

/* The template was reaped. */
static void snapshot_ended(struct fg_snapshot *s, int status)
{
    char how[64];
    bool ready = s->was_ready;

    if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "signal: %s", WTERMSIG(status) == SIGKILL ? "killed" : strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
    snapshot_close_process(s);
    if (s->fn->router->stopping) {
        snapshot_fail_pending(s, false, "shutdown");
        return;
    }
    if (!ready) {
        fg_log(FG_LOG_WARN, "snapshot", "function %s: snapshot template failed its init (%s)", snapshot_name(s), how);
        snapshot_fail_pending(s, false, how);
        return;
    }
    /* A ready template exits when its code changed (stale) or when killed: what it had
     * not forked goes to the next one. */
    snapshot_fail_pending(s, true, how);
    for (struct fg_worker *w = s->fn->workers; w; w = w->next)
        if (w->snap_req)
            w->snap_sent = false;
    if (snapshot_has_pending(s, false))
        snapshot_try_start(s);
}

/* ------------------------------------------------------------------ API */

static struct fg_snapshot *snapshot_get(struct fg_function *fn)
{
    struct fg_snapshot *s = fn->snap;
    struct event_base *base = fn->router->loop->base;

    if (s)
        return s;
    if (!(s = calloc(1, sizeof(*s))))
        return NULL;
    s->fn = fn;
    s->ctl_fd = -1;
    fg_sandbox_worker_init(&s->sb);
    fg_outlines_init(&s->out, SNAPSHOT_LINE_MAX, SNAPSHOT_READ_CHUNK, snapshot_on_line, s);
    s->start_ev = evtimer_new(base, snapshot_on_start, s);
    s->sweep_ev = event_new(base, -1, 0, snapshot_on_sweep, s);
    s->flush_ev = evtimer_new(base, snapshot_on_flush, s);
    fn->snap = s;
    if (!s->start_ev || !s->sweep_ev || !s->flush_ev) {
        fg_snapshot_free(fn);
        return NULL;
    }
    return s;
}

void fg_snapshot_start(struct fg_function *fn)
{
    struct fg_snapshot *s = snapshot_get(fn);
    if (s)
        snapshot_try_start(s);
}

int fg_snapshot_request(struct fg_function *fn, struct fg_worker *w, int out_fd, struct fg_err *err)
{
    struct fg_snapshot *s = snapshot_get(fn);
    int rc;

    if (!s) {
        close(out_fd);
        return fg_err_set(err, -ENOMEM, "function %s: out of memory", fn->conf->name);
    }
    w->restored = true;
    w->snap_fd = out_fd;
    w->snap_sent = false;
    if (!++s->next_req)
        s->next_req = 1;
    w->snap_req = s->next_req;
    w->spawn_us = fg_mono_us();
    /* Behind others still waiting for a full socket: after them. */
    if (s->state == SNAPSHOT_READY && !evtimer_pending(s->flush_ev, NULL) && (rc = snapshot_send(s, w)) < 0)
        snapshot_send_failed(s, rc);
    if (s->state == SNAPSHOT_NONE && !evtimer_pending(s->start_ev, NULL)) {
        if (s->last_start_us && s->last_start_us + SNAPSHOT_RESTART_US > fg_mono_us()) {
            snapshot_try_start(s);
        } else if ((rc = snapshot_start_now(s, err)) < 0) {
            close(w->snap_fd);
            w->snap_fd = -1;
            w->snap_req = 0;
            return rc;
        }
    }
    return 0;
}

void fg_snapshot_forget(struct fg_worker *w)
{
    struct fg_snapshot *s = w->fn->snap;
    if (s && (!w->snap_sent || !s->pid))
        event_active(s->sweep_ev, 0, 0);
}

void fg_snapshot_on_exit(struct fg_router *r, pid_t pid, int status)
{
    for (size_t i = 0; i < r->n_fns; i++) {
        struct fg_snapshot *s = r->fns[i]->snap;
        if (s && s->pid == pid) {
            snapshot_ended(s, status);
            return;
        }
    }
    for (size_t i = 0; i < r->n_fns; i++) {
        struct fg_snapshot *s = r->fns[i]->snap;
        if (s && snapshot_has_pending(s, true)) {
            struct snapshot_exit *e = &s->exits[s->n_exits++ % SNAPSHOT_EXITS];
            *e = (struct snapshot_exit){ .pid = pid, .status = status, .at_us = fg_mono_us() };
        }
    }
}

void fg_snapshot_stop(struct fg_function *fn)
{
    struct fg_snapshot *s = fn->snap;
    if (!s)
        return;
    evtimer_del(s->start_ev);
    evtimer_del(s->flush_ev);
    if (s->pid)
        kill(-s->pid, SIGKILL);      /* its reap frees what waited for it */
    event_active(s->sweep_ev, 0, 0);
}

bool fg_snapshot_idle(const struct fg_function *fn)
{
    return !fn->snap || !fn->snap->pid;
}

void fg_snapshot_free(struct fg_function *fn)
{
    struct fg_snapshot *s = fn->snap;
    if (!s)
        return;
    if (s->pid)
        kill(-s->pid, SIGKILL);
    fg_sandbox_release(&fn->router->sandbox, &s->sb);
    fg_loop_close_fd(&s->ctl_ev, &s->ctl_fd);
    fg_outlines_close(&s->out);
    fg_iam_creds_release(&fn->router->creds, s->role_key);
    if (s->start_ev)
        event_free(s->start_ev);
    if (s->sweep_ev)
        event_free(s->sweep_ev);
    if (s->flush_ev)
        event_free(s->flush_ev);
    free(s->init_error);
    free(s);
    fn->snap = NULL;
}

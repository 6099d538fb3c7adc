/* SPDX-License-Identifier: MIT */
/* worker.c - one function process: spawn, output capture, kill, reap (see worker.h).
 *
 * DESIGN: fork + execve with everything prepared before the fork (argv, envp, cgroup), so
 * the child runs only async-signal-safe calls. The child leads its own process group, so a
 * kill reaches whatever the bootstrap started, and dies with fngate (PR_SET_PDEATHSIG).
 * stdout and stderr share one pipe so lines keep their order; the loop reads it and
 * attributes each line to the invocation the worker holds at that moment. A worker is freed
 * only after waitpid() collected it, so a pid never names two workers. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/assert.h"
#include "../core/log.h"
#include "interp.h"
#include "pool.h"
#include "router_int.h"
#include "runtime_api.h"
#include "sandbox.h"
#include "snapshot.h"
#include "worker.h"

#define WORKER_LINE_MAX   (256u * 1024)
#define WORKER_READ_CHUNK 65536
#define WORKER_ENV_MAX    64

/* ------------------------------------------------------------------ environment */

struct worker_exec {
    char *argv[12];
    char *envp[WORKER_ENV_MAX + 1];
    char store[16384];          /* the strings argv and envp point into */
    size_t used;
    int n_env;
    struct fg_iam_issued role;  /* its role credentials (core/iam_creds.h) */
};

static char *exec_str(struct worker_exec *x, const char *fmt, ...) FG_PRINTF(2, 3);

static char *exec_str(struct worker_exec *x, const char *fmt, ...)
{
    va_list ap;
    char *p = x->store + x->used;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(p, sizeof(x->store) - x->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(x->store) - x->used)
        return NULL;
    x->used += (size_t)n + 1;
    return p;
}

#define EXEC_ENV(x, ...)                                                  \
    do {                                                                  \
        if ((x)->n_env < WORKER_ENV_MAX)                                  \
            (x)->envp[(x)->n_env++] = exec_str((x), __VA_ARGS__);         \
    } while (0)

/* What differs between one process of fn and the next: its Runtime API port, its log
 * stream, its initialization type. */
static int worker_build_exec(struct fg_function *fn, int port, const char *log_stream, const char *init_type,
                             struct worker_exec *x, struct fg_err *err)
{
    const struct fg_conf_function *c = fn->conf;
    struct fg_router *r = fn->router;
    const struct fg_config *conf = r->conf;
    /* The paths as the worker sees them: /var/task and /var/runtime when isolated. */
    const char *code = fg_sandbox_code_dir(&r->sandbox, c);
    const char *rt = fg_sandbox_runtime_dir(&r->sandbox, r->runtime_dir);
    const char *tmp = r->sandbox.on ? "/tmp" : fn->tmpdir;

    struct fg_interp in;
    int a = 0;

    memset(x, 0, sizeof(*x));
    if (fg_interp_find(c, &in, err) < 0)
        return err->code;
    switch (c->runtime) {
    case FG_RUNTIME_PYTHON3:
        x->argv[a++] = exec_str(x, "%s", in.path);
        x->argv[a++] = exec_str(x, "%s/python/bootstrap.py", rt);
        EXEC_ENV(x, "PYTHONDONTWRITEBYTECODE=1");
        break;
    case FG_RUNTIME_NODEJS:
        x->argv[a++] = exec_str(x, "%s", in.path);
        x->argv[a++] = exec_str(x, "%s/node/bootstrap.js", rt);
        EXEC_ENV(x, "NODE_PATH=%s/node_modules", code);
        break;
    case FG_RUNTIME_RUBY:
        x->argv[a++] = exec_str(x, "%s", in.path);
        x->argv[a++] = exec_str(x, "%s/ruby/bootstrap.rb", rt);
        EXEC_ENV(x, "GEM_PATH=%s/vendor/bundle/ruby:%s/vendor/bundle", code, code);
        break;
    case FG_RUNTIME_JAVA:
        /* Lambda's java runtime: the handler's classes at the top of the package, its jars
         * in lib/, the runtime interface client among them (fngate bundles no Java). The
         * flags are the ones Lambda starts its JVMs with: a heap of 85% of the memory,
         * tiered compilation stopped at C1 for fast starts. */
        x->argv[a++] = exec_str(x, "%s", in.path);
        x->argv[a++] = exec_str(x, "-XX:MaxHeapSize=%dm", c->memory_mb * 85 / 100);
        x->argv[a++] = exec_str(x, "-XX:+UseSerialGC");
        x->argv[a++] = exec_str(x, "-XX:+TieredCompilation");
        x->argv[a++] = exec_str(x, "-XX:TieredStopAtLevel=1");
        x->argv[a++] = exec_str(x, "-Xshare:auto");
        x->argv[a++] = exec_str(x, "-cp");
        x->argv[a++] = exec_str(x, "%s:%s/lib/*", code, code);
        x->argv[a++] = exec_str(x, "com.amazonaws.services.lambda.runtime.api.client.AWSLambda");
        x->argv[a++] = exec_str(x, "%s", c->handler);
        break;
    case FG_RUNTIME_PROVIDED:
        x->argv[a++] = exec_str(x, "%s/bootstrap", code);
        break;
    case FG_RUNTIME_GO:
        x->argv[a++] = exec_str(x, "%s/%s", code, c->handler);
        break;
    case FG_RUNTIME_EXEC:
        x->argv[a++] = exec_str(x, "%s", in.path);
        x->argv[a++] = exec_str(x, "%s/exec/bootstrap.py", rt);
        break;
    }
    /* As Lambda sets it: AWS_Lambda_python3.12 (fngate's own names as before); custom
     * runtimes have none. */
    if (c->runtime != FG_RUNTIME_PROVIDED && c->runtime != FG_RUNTIME_EXEC)
        EXEC_ENV(x, "AWS_EXECUTION_ENV=AWS_Lambda_%s", c->runtime_written ? c->runtime_written : fg_conf_runtime_name(c->runtime));
    EXEC_ENV(x, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", port);
    if (c->handler)
        EXEC_ENV(x, "_HANDLER=%s", c->handler);
    EXEC_ENV(x, "LAMBDA_TASK_ROOT=%s", code);
    EXEC_ENV(x, "LAMBDA_RUNTIME_DIR=%s", rt);
    EXEC_ENV(x, "AWS_LAMBDA_FUNCTION_NAME=%s", c->name);
    EXEC_ENV(x, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", c->memory_mb);
    EXEC_ENV(x, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    EXEC_ENV(x, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", c->name);
    EXEC_ENV(x, "AWS_LAMBDA_LOG_STREAM_NAME=%s", log_stream);
    EXEC_ENV(x, "AWS_LAMBDA_INITIALIZATION_TYPE=%s", init_type);
    EXEC_ENV(x, "AWS_REGION=%s", conf->region);
    EXEC_ENV(x, "AWS_DEFAULT_REGION=%s", conf->region);
    if (fg_iam_creds_issue(&r->creds, c->name, &c->role.policy, fg_now_ms() / 1000, &x->role) < 0)
        return fg_err_set(err, -ENOMEM, "function %s: cannot issue its role credentials", c->name);
    for (int i = 0; i < x->role.n_env; i++)
        EXEC_ENV(x, "%s", x->role.env[i]);
    EXEC_ENV(x, "TZ=:UTC");
    EXEC_ENV(x, "LANG=en_US.UTF-8");
    EXEC_ENV(x, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    EXEC_ENV(x, "TMPDIR=%s", tmp);
    EXEC_ENV(x, "HOME=%s", tmp);
    for (size_t i = 0; i < c->env.n; i++)
        EXEC_ENV(x, "%s=%s", c->env.items[i].key, c->env.items[i].value);
    for (int i = 0; i < x->n_env; i++)
        if (!x->envp[i])
            goto too_big;
    for (int i = 0; i < a; i++)
        if (!x->argv[i])
            goto too_big;
    return 0;
too_big:
    fg_iam_creds_release(&r->creds, x->role.key_id);
    return fg_err_set(err, -E2BIG, "function %s: environment or command line too large", c->name);
}

/* ------------------------------------------------------------------ the child */

static void worker_child_fail(const char *what, const char *path)
{
    const char *msg = "fngate: cannot start worker: ";
    ssize_t rc = write(2, msg, strlen(msg));
    rc = write(2, what, strlen(what));
    rc = write(2, " ", 1);
    rc = write(2, path, strlen(path));
    rc = write(2, "\n", 1);
    (void)rc;
    _exit(127);
}

/* Async-signal-safe only: we are a fork of a threaded process. mem NULL: no memory cap;
 * ctl_fd >= 0 becomes fd 3 (a snapshot template's control socket). */
static void worker_child(const struct fg_function *fn, const struct fg_memlimit_worker *mem,
                         const struct fg_sandbox_worker *sw, struct worker_exec *x, int out_fd, int ctl_fd,
                         pid_t parent)
{
    const char *what = NULL;
    sigset_t none;
    int devnull, rc;

    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);   /* fngate ignores it; exec would keep that */
    signal(SIGCHLD, SIG_DFL);
    if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(126);
    if ((devnull = open("/dev/null", O_RDONLY)) >= 0)
        dup2(devnull, 0);
    if (mem && fg_memlimit_enter(mem) < 0)
        worker_child_fail("cannot enter memory group", mem->procs);
    if ((rc = fg_sandbox_enter(&fn->router->sandbox, sw, fn->conf, fn->router->runtime_dir, &what)) < 0)
        worker_child_fail(what, strerrorname_np(-rc));   /* a constant string: no locale */
    if (ctl_fd >= 0) {
        /* dup2 onto itself would keep FD_CLOEXEC */
        if ((ctl_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(ctl_fd, 3)) < 0)
            _exit(126);
        close_range(4, ~0u, 0);
    } else {
        close_range(3, ~0u, 0);
    }
    execve(x->argv[0], x->argv, x->envp);
    worker_child_fail("exec", x->argv[0]);
}

/* ------------------------------------------------------------------ output */

static struct fg_invocation *worker_current(struct fg_worker *w)
{
    return w->inv && w->inv->delivered ? w->inv : NULL;
}

/* An output line (fg_outlines_fn): goes to the invocation the worker holds now. */
static void worker_on_line(void *arg, const char *s, size_t n)
{
    struct fg_worker *w = arg;
    fg_fnlog_line(&w->fn->router->log, w->fn->conf->name, worker_current(w), s, n);
}

void fg_worker_drain_output(struct fg_worker *w)
{
    fg_outlines_drain(&w->out);
}

/* ------------------------------------------------------------------ Runtime API callbacks */

/* What the server's requests mean for this worker: an answer is for the invocation it
 * delivered, a /next makes it ready, an init error ends it. */

/* The invocation an answer for request id concerns: the one delivered and unanswered.
 * -EALREADY for the one answered last, else -ENOENT. */
static int worker_answering(struct fg_worker *w, const char *id, struct fg_invocation **inv)
{
    if (w->inv && w->inv->delivered && !strcmp(w->inv->request_id, id)) {
        *inv = w->inv;
        return 0;
    }
    return !strcmp(w->last_request_id, id) ? -EALREADY : -ENOENT;
}

/* Keeps a JSON object body as the runtime sent it (errorType added when missing); wraps
 * anything else. */
static void worker_fail_with_body(struct fg_worker *w, struct fg_invocation *inv, const char *type,
                                  const char *body, size_t len)
{
    struct fg_router *r = w->fn->router;
    json_t *o = len ? json_loadb(body, len, 0, NULL) : NULL;

    fg_worker_drain_output(w);
    if (o && json_is_object(o)) {
        char *s;
        int rc;
        if (!json_object_get(o, "errorType"))
            json_object_set_new(o, "errorType", json_string(type));
        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = s ? fg_buf_append(&inv->result, s, strlen(s)) : -ENOMEM;
        free(s);
        json_decref(o);
        if (rc == 0) {
            fg_router_finish(r, inv, FG_INV_FUNCTION_ERROR);
            return;
        }
        fg_buf_reset(&inv->result);
    } else {
        json_decref(o);
    }
    fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, type, "%.*s", (int)(len > 4096 ? 4096 : len), body ? body : "");
}

static void worker_on_next(void *arg)
{
    struct fg_worker *w = arg;

    /* Killing a worker closes its server: no request reaches a dead one. */
    FG_ASSERT(w->state != FG_WORKER_DEAD);
    /* With an invocation delivered and unanswered, the runtime broke the protocol: the
     * invocation's timer decides. */
    if (!(w->inv && w->inv->delivered))
        fg_pool_worker_ready(w);
}

static int worker_on_response(void *arg, const char *id, const char *body, size_t len)
{
    struct fg_worker *w = arg;
    struct fg_router *r = w->fn->router;
    struct fg_invocation *inv;
    int rc;

    if ((rc = worker_answering(w, id, &inv)) < 0)
        return rc;
    fg_worker_drain_output(w);
    if (len > FG_PAYLOAD_SYNC_MAX_BYTES) {
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, "Function.ResponseSizeTooLarge", "%s",
                       FG_RUNTIME_API_TOO_LARGE);
        return -FG_ETOOBIG;
    }
    if (fg_buf_append(&inv->result, body ? body : "", len) < 0) {
        fg_router_fail(r, inv, FG_INV_SERVICE_ERROR, "ServiceException", "out of memory");
        return -ENOMEM;
    }
    fg_router_finish(r, inv, FG_INV_OK);
    return 0;
}

static int worker_on_error(void *arg, const char *id, const char *type, const char *body, size_t len)
{
    struct fg_worker *w = arg;
    struct fg_invocation *inv;
    int rc;

    if ((rc = worker_answering(w, id, &inv)) < 0)
        return rc;
    worker_fail_with_body(w, inv, type ? type : "Unhandled", body, len);
    return 0;
}

static int worker_on_init_error(void *arg, const char *type, const char *body, size_t len)
{
    struct fg_worker *w = arg;

    if (w->state != FG_WORKER_SPAWNING)
        return -EPERM;
    if (w->inv)
        worker_fail_with_body(w, w->inv, type ? type : "Runtime.InitError", body, len);
    /* A failed init is not retried in this process: the next invocation starts a new one. */
    fg_worker_kill(w, "init error");
    return 0;
}

/* A streamed response goes to the invocation's sink as it comes, or without one into its
 * result, as a buffered response would (invocation.h). */
static int worker_on_stream_start(void *arg, const char *id, const char *content_type)
{
    struct fg_worker *w = arg;
    struct fg_invocation *inv;
    int rc;

    if ((rc = worker_answering(w, id, &inv)) < 0)
        return rc;
    memcpy(w->stream_id, inv->request_id, sizeof(w->stream_id));
    inv->streamed = true;
    if (inv->stream)
        inv->stream->start(inv->stream_arg, content_type);
    return 0;
}

/* The invocation the server's stream is for, if it is still the one the worker holds. */
static struct fg_invocation *worker_streaming(struct fg_worker *w)
{
    struct fg_invocation *inv = worker_current(w);
    return inv && !strcmp(inv->request_id, w->stream_id) ? inv : NULL;
}

static bool worker_on_stream_data(void *arg, const char *bytes, size_t len)
{
    struct fg_worker *w = arg;
    struct fg_invocation *inv = worker_streaming(w);

    if (!inv)
        return false;
    if (inv->stream)
        return inv->stream->data(inv->stream_arg, bytes, len) > FG_INVOCATION_STREAM_WINDOW_BYTES;
    if (!inv->stream_too_large &&
        (len > FG_PAYLOAD_SYNC_MAX_BYTES - inv->result.len || fg_buf_append(&inv->result, bytes, len) < 0)) {
        inv->stream_too_large = true;
        fg_buf_free(&inv->result);
    }
    return false;
}

static void worker_on_stream_end(void *arg, const char *type, const char *body, size_t len)
{
    struct fg_worker *w = arg;
    struct fg_router *r = w->fn->router;
    struct fg_invocation *inv = worker_streaming(w);

    w->stream_id[0] = '\0';
    if (!inv)
        return;
    fg_worker_drain_output(w);
    if (type && !strcmp(type, FG_RUNTIME_API_STREAM_TOO_LARGE) && !body) {
        fg_buf_reset(&inv->result);
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, type, "%s", FG_RUNTIME_API_STREAM_TOO_LARGE_MSG);
    } else if (type && !strcmp(type, FG_RUNTIME_API_STREAM_CUT) && !body) {
        fg_buf_reset(&inv->result);
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, type,
                       "the runtime closed its connection before the end of its streamed response");
    } else if (type) {
        fg_buf_reset(&inv->result);
        worker_fail_with_body(w, inv, type, body, len);
    } else if (inv->stream_too_large) {
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, "Function.ResponseSizeTooLarge", "%s",
                       FG_RUNTIME_API_TOO_LARGE);
    } else {
        fg_router_finish(r, inv, FG_INV_OK);
    }
}

static const struct fg_runtime_api_ops worker_rapi_ops = {
    .on_next = worker_on_next,
    .on_response = worker_on_response,
    .on_error = worker_on_error,
    .on_init_error = worker_on_init_error,
    .on_stream_start = worker_on_stream_start,
    .on_stream_data = worker_on_stream_data,
    .on_stream_end = worker_on_stream_end,
};

/* ------------------------------------------------------------------ API */

static void worker_log_stream(char out[96])
{
    unsigned char r[16];
    time_t now = time(NULL);
    struct tm tm;
    int n;
    if (getrandom(r, sizeof(r), 0) != sizeof(r))
        memset(r, 0, sizeof(r));
    gmtime_r(&now, &tm);
    n = snprintf(out, 96, "%04d/%02d/%02d/[$LATEST]", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    for (int i = 0; i < 16; i++)
        n += snprintf(out + n, 96 - (size_t)n, "%02x", r[i]);
}

/* network none: the child made its Runtime API socket in its own namespace and sends it;
 * served from when it comes (a runtime that connects sooner waits in its backlog). The
 * loop never waits for a namespace to be made. */
static void worker_on_listener(evutil_socket_t unused, short what, void *arg)
{
    struct fg_worker *w = arg;
    struct fg_err err = { 0, "" };
    int fd = fg_sandbox_listener(&w->sb);

    (void)unused, (void)what;
    if (fd == -EAGAIN)
        return;
    event_free(w->net_ev);
    w->net_ev = NULL;
    if (w->state == FG_WORKER_DEAD) {
        if (fd >= 0)
            close(fd);
        return;
    }
    if (fd < 0 || fg_runtime_api_adopt(&w->api, fd, FG_SANDBOX_NETNS_PORT, w->fn->conf->name, &err) < 0) {
        fg_log(FG_LOG_WARN, "worker", "function %s worker %d: no Runtime API socket from its network namespace%s%s",
               w->fn->conf->name, (int)w->pid, err.msg[0] ? ": " : "", err.msg);
        fg_worker_kill(w, "no Runtime API");   /* its reap fails what it held */
    }
}

static int worker_wait_listener(struct fg_worker *w, struct fg_err *err)
{
    int fd = fg_sandbox_listener_wait_fd(&w->sb);
    w->net_ev = event_new(w->fn->router->loop->base, fd, EV_READ | EV_PERSIST, worker_on_listener, w);
    if (!w->net_ev || event_add(w->net_ev, NULL) < 0)
        return fg_err_set(err, -ENOMEM, "function %s: cannot watch its network namespace", w->fn->conf->name);
    return 0;
}

struct fg_worker *fg_worker_spawn(struct fg_function *fn, bool provisioned, struct fg_err *err)
{
    struct fg_router *r = fn->router;
    struct worker_exec x;
    struct fg_worker *w;
    char name[128];
    int pipefd[2] = { -1, -1 };
    pid_t pid, self = getpid();

    if (!(w = calloc(1, sizeof(*w)))) {
        fg_err_set(err, -ENOMEM, "function %s: out of memory", fn->conf->name);
        return NULL;
    }
    w->fn = fn;
    w->mem.peak_fd = -1;
    fg_sandbox_worker_init(&w->sb);
    fg_runtime_api_init(&w->api, r->loop->base, &worker_rapi_ops, w);
    w->id = fn->next_worker_id++;
    w->provisioned = provisioned;
    w->code_gen = fn->code_gen;
    w->snap_fd = -1;
    fg_outlines_init(&w->out, WORKER_LINE_MAX, WORKER_READ_CHUNK, worker_on_line, w);
    worker_log_stream(w->log_stream);
    snprintf(name, sizeof(name), "%s-%u", fn->conf->name, w->id);
    if (fg_sandbox_prepare(&r->sandbox, (const char *const *)fn->hide, fn->conf, &w->sb, name, err) < 0)
        goto fail;
    /* network none: the child opens it in its namespace, after the fork. */
    if (!w->sb.netns && fg_runtime_api_open(&w->api, fn->conf->name, err) < 0)
        goto fail;
    /* Only the worker's own processes may use its Runtime API: its uid when isolated,
     * fngate's otherwise (other users are refused); in a namespace of its own nothing else
     * can reach it. A restored worker's is its template's (set when its request is sent). */
    fg_runtime_api_expect_uid(&w->api, w->sb.netns ? (uid_t)-1 : w->sb.uid != (uid_t)-1 ? w->sb.uid : geteuid());
    if (fg_memlimit_prepare(&r->mem, &w->mem, name, fn->conf->memory_mb,
                            fn->conf->runtime != FG_RUNTIME_NODEJS && fn->conf->runtime != FG_RUNTIME_JAVA, err) < 0)
        goto fail;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        fg_err_set(err, -errno, "function %s: pipe: %s", fn->conf->name, strerror(errno));
        goto fail;
    }
    if (fn->conf->snapstart && fn->conf->runtime == FG_RUNTIME_PYTHON3) {
        /* A fork of the function's template; its pid comes later (snapshot.c). */
        int out = pipefd[1];
        pipefd[1] = -1;
        if (fg_snapshot_request(fn, w, out, err) < 0)
            goto fail;
    } else {
        if (worker_build_exec(fn, w->sb.netns ? FG_SANDBOX_NETNS_PORT : w->api.port, w->log_stream,
                              provisioned ? "provisioned-concurrency" : "on-demand", &x, err) < 0)
            goto fail;
        memcpy(w->role_key, x.role.key_id, sizeof(w->role_key));
        pid = fork();
        if (pid == 0)
            worker_child(fn, &w->mem, &w->sb, &x, pipefd[1], -1, self);
        explicit_bzero(&x, sizeof(x));   /* the secret stays with the child only */
        if (pid < 0) {
            fg_err_set(err, -errno, "function %s: fork: %s", fn->conf->name, strerror(errno));
            goto fail;
        }
        setpgid(pid, pid);     /* also here, so a kill right after fork reaches the group */
        close(pipefd[1]);
        pipefd[1] = -1;
        w->pid = pid;
        w->mem.pid = pid;
        if (w->sb.netns && worker_wait_listener(w, err) < 0) {
            fg_log(FG_LOG_WARN, "worker", "%s", err->msg);
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            goto started;      /* DEAD at once: its reap frees it */
        }
    }
started:
    if (fg_outlines_open(&w->out, r->loop->base, pipefd[0]) < 0)
        fg_log(FG_LOG_WARN, "worker", "function %s worker %d: cannot watch its output", fn->conf->name, (int)w->pid);
    w->spawn_us = fg_mono_us();
    w->state = FG_WORKER_SPAWNING;
    w->next = fn->workers;
    if (fn->workers)
        fn->workers->prev = w;
    fn->workers = w;
    fn->n_live++;
    fn->n_starting++;
    if (w->restored)
        fg_log(FG_LOG_DEBUG, "worker", "function %s: asked its snapshot for a worker on runtime port %d",
               fn->conf->name, w->api.port);
    else
        fg_log(FG_LOG_DEBUG, "worker", "function %s: started worker %d on runtime port %d", fn->conf->name,
               (int)w->pid, w->api.port);
    return w;

fail:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    fg_runtime_api_close(&w->api);
    fg_memlimit_release(&w->mem);
    fg_sandbox_release(&r->sandbox, &w->sb);
    fg_outlines_close(&w->out);
    fg_iam_creds_release(&r->creds, w->role_key);
    free(w);
    return NULL;
}

pid_t fg_worker_exec_template(struct fg_function *fn, int out_fd, int ctl_fd, const char *log_stream,
                              struct fg_sandbox_worker *sw, char role_key[FG_IAM_KEY_ID_LEN + 1], struct fg_err *err)
{
    struct fg_router *r = fn->router;
    struct worker_exec x;
    char name[128];
    pid_t pid, self = getpid();

    snprintf(name, sizeof(name), "%s-snapshot", fn->conf->name);
    role_key[0] = '\0';
    if (worker_build_exec(fn, 0, log_stream, "snap-start", &x, err) < 0)
        return err->code;
    memcpy(role_key, x.role.key_id, FG_IAM_KEY_ID_LEN + 1);
    if (fg_sandbox_prepare(&r->sandbox, (const char *const *)fn->hide, fn->conf, sw, name, err) < 0) {
        pid = err->code;
        goto fail;
    }
    EXEC_ENV(&x, "FNGATE_SNAPSTART=3");
    if (!x.envp[x.n_env - 1])
        pid = fg_err_set(err, -E2BIG, "function %s: environment too large", fn->conf->name);
    else if ((pid = fork()) < 0)
        pid = fg_err_set(err, -errno, "function %s: fork: %s", fn->conf->name, strerror(errno));
    else if (pid == 0)
        worker_child(fn, NULL, sw, &x, out_fd, ctl_fd, self);
    if (pid < 0)
        fg_sandbox_release(&r->sandbox, sw);
fail:
    explicit_bzero(&x, sizeof(x));   /* the secret stays with the child only */
    if (pid < 0) {
        fg_iam_creds_release(&r->creds, role_key);
        role_key[0] = '\0';
        return pid;
    }
    setpgid(pid, pid);
    return pid;
}

static void worker_unidle(struct fg_worker *w)
{
    struct fg_worker **pp = &w->fn->idle;
    for (; *pp; pp = &(*pp)->idle_next) {
        if (*pp == w) {
            *pp = w->idle_next;
            break;
        }
    }
    w->idle_next = NULL;
}

void fg_worker_kill(struct fg_worker *w, const char *reason)
{
    if (w->state == FG_WORKER_DEAD)
        return;
    if (w->state == FG_WORKER_IDLE)
        worker_unidle(w);
    if (w->state == FG_WORKER_SPAWNING)
        w->fn->n_starting--;
    w->state = FG_WORKER_DEAD;
    w->fn->n_live--;
    fg_log(FG_LOG_DEBUG, "worker", "function %s worker %d: killed (%s)", w->fn->conf->name, (int)w->pid, reason);
    if (w->reaped) {
        /* nothing to signal */
    } else if (w->pid > 0) {
        kill(-w->pid, SIGKILL);
        if (w->restored)
            kill(w->pid, SIGKILL);   /* it may not lead its group yet (setsid) */
    } else if (w->snap_req) {
        fg_snapshot_forget(w);       /* killed when its pid comes, or freed */
    }
    fg_sandbox_kill(&w->sb);         /* and whatever left its group */
    fg_runtime_api_close(&w->api);
}

/* Its memory group goes too; while processes it left are still dying, later. */
static void worker_memlimit_release(struct fg_router *r, struct fg_memlimit_worker *m)
{
    char dir[sizeof(m->dir)];
    snprintf(dir, sizeof(dir), "%s", m->dir);
    if (fg_memlimit_release(m) == -EBUSY)
        fg_sandbox_remove_later(&r->sandbox, dir);
}

static void worker_free(struct fg_worker *w)
{
    struct fg_function *fn = w->fn;
    FG_ASSERT(w->state == FG_WORKER_DEAD && w->reaped && !w->inv);
    if (w->prev)
        w->prev->next = w->next;
    else
        fn->workers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    fg_outlines_close(&w->out);
    if (w->snap_fd >= 0)
        close(w->snap_fd);
    if (w->net_ev)
        event_free(w->net_ev);
    fg_sandbox_release(&fn->router->sandbox, &w->sb);
    worker_memlimit_release(fn->router, &w->mem);
    fg_iam_creds_release(&fn->router->creds, w->role_key);
    free(w);
}

void fg_worker_restore_failed(struct fg_worker *w, const char *type, const char *body, size_t len, const char *how)
{
    struct fg_router *r = w->fn->router;

    FG_ASSERT(w->pid == 0);
    if (w->inv && body) {
        worker_fail_with_body(w, w->inv, type ? type : "Runtime.InitError", body, len);
    } else if (w->inv) {
        struct fg_invocation *inv = w->inv;
        char line[256];
        int n = snprintf(line, sizeof(line), "RequestId: %s Error: Runtime exited with error: %s", inv->request_id,
                         how);
        fg_fnlog_line(&r->log, w->fn->conf->name, NULL, line, (size_t)n);
        inv->sandbox_fault = !inv->delivered;
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, "Runtime.ExitError", "%s", line);
    }
    w->snap_req = 0;
    fg_worker_kill(w, how);
    w->reaped = true;
    worker_free(w);
    fg_router_check_stopped(r);
}

bool fg_worker_on_exit(struct fg_router *r, pid_t pid, int status)
{
    struct fg_worker *w = NULL;
    struct fg_function *fn = NULL;
    char how[64];

    for (size_t i = 0; i < r->n_fns && !w; i++)
        for (w = r->fns[i]->workers; w && w->pid != pid; w = w->next)
            ;
    if (!w)
        return false;
    fn = w->fn;
    w->reaped = true;
    /* Whatever the runtime left behind goes with it: its group, and its cgroup (setsid). */
    kill(-pid, SIGKILL);
    fg_sandbox_kill(&w->sb);
    if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "signal: %s", WTERMSIG(status) == SIGKILL ? "killed" : strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
    fg_worker_drain_output(w);
    /* DEAD first: failing its invocation releases the worker, which must not then take
     * the next waiting one. */
    if (w->state != FG_WORKER_DEAD) {
        fg_log(FG_LOG_INFO, "worker", "function %s worker %d exited (%s)", fn->conf->name, (int)pid, how);
        fg_worker_kill(w, how);
    }
    if (w->inv) {
        struct fg_invocation *inv = w->inv;
        bool oom = fg_memlimit_oom_killed(&w->mem);
        char line[256];
        int n = snprintf(line, sizeof(line), "RequestId: %s Error: Runtime exited with error: %s",
                         inv->request_id, how);
        fg_fnlog_line(&r->log, fn->conf->name, worker_current(w), line, (size_t)n);
        inv->sandbox_fault = !inv->delivered;
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, oom ? "Runtime.OutOfMemory" : "Runtime.ExitError",
                       "%s", line);
    }
    worker_free(w);
    fg_pool_refill(fn);
    fg_router_check_stopped(r);
    return true;
}

void fg_worker_deliver(struct fg_worker *w)
{
    struct fg_invocation *inv = w->inv;
    struct fg_function *fn = w->fn;
    struct timeval tv = { fn->conf->timeout_s, 0 };
    struct fg_runtime_api_event ev;

    FG_ASSERT(inv && !inv->delivered && fg_runtime_api_parked(&w->api));
    inv->delivered = true;
    w->state = FG_WORKER_BUSY;
    inv->start_us = fg_mono_us();
    inv->deadline_ms = fg_now_ms() + (long long)fn->conf->timeout_s * 1000;
    fg_fnlog_start(&fn->router->log, fn->conf->name, inv);
    event_add(&inv->timer, &tv);
    ev = (struct fg_runtime_api_event){
        .request_id = inv->request_id, .deadline_ms = inv->deadline_ms, .function_arn = fn->arn,
        .client_context = inv->client_context, .payload = inv->payload, .payload_len = inv->payload_len,
    };
    fg_runtime_api_send_event(&w->api, &ev);
}

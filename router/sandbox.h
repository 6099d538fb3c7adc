/* SPDX-License-Identifier: MIT */
/* sandbox.h - a worker's execution environment: its own uid, process tree, /tmp and network.
 *
 * Lambda runs each execution environment as an unprivileged user in its own namespaces,
 * with a private, size-capped /tmp, a read-only /var/task holding the code, a process
 * limit, and (in a VPC) only the network it was given. fngate does the same with what one
 * Linux machine has, when it runs as root and `isolation.enabled` (the default):
 *   - a uid (and gid) per worker from isolation.uid_min..uid_max, no supplementary groups,
 *     no capabilities, PR_SET_NO_NEW_PRIVS: it cannot signal fngate or another worker,
 *     read root's files or connect to another worker's Runtime API (router/runtime_api.c
 *     checks the peer's uid);
 *   - a pids cgroup per worker (pids.max 1024): everything it starts, setsid() or not, is
 *     killed with it, and its group is removed once empty (retried while processes die);
 *   - a private mount namespace: /tmp (and /var/tmp, /dev/shm) a tmpfs of
 *     `ephemeral_storage` MB that lives and dies with the environment; the code bound
 *     read-only at /var/task and the runtimes at /var/runtime; /proc mounted with hidepid=2;
 *     fngate's config, state directory, S3 root, secret files and the other functions'
 *     code covered by empty read-only mounts;
 *   - `network: none`: a private network namespace with only loopback, where the worker's
 *     Runtime API listens on 127.0.0.1:9001 (the socket is made in the namespace by the
 *     child and passed to fngate).
 * Unprivileged, or with isolation off, a worker runs as fngate's own user with only the
 * rlimits (1,024 files) and the memory limit (memlimit.h). Loop thread only, except
 * fg_sandbox_enter (the forked child). Tests: tests/integration/test_isolation.py. */
#ifndef FG_SANDBOX_H
#define FG_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../config/config.h"
#include "../core/err.h"

struct event_base;
struct event;
struct fg_sandbox_dir;

/* The port a `network: none` worker's Runtime API has inside its namespace (Lambda's). */
#define FG_SANDBOX_NETNS_PORT 9001

/* Lambda's documented per-environment limits: file descriptors and processes/threads. */
#define FG_SANDBOX_NOFILE 1024
#define FG_SANDBOX_NPROC  1024

/* Router-wide, decided at start. */
struct fg_sandbox {
    bool on;                     /* uids, namespaces and mounts apply */
    bool pids;                   /* per-worker pids cgroups under pids_root */
    char pids_root[PATH_MAX];    /* /sys/fs/cgroup/pids/fngate-PID */
    uid_t uid_min;
    unsigned n_uids, uid_next;
    unsigned char *uid_used;     /* one byte per uid of the range */
    struct fg_sandbox_dir *pending;  /* cgroups whose processes are still dying */
    struct event *retry_ev;
};

/* Per worker (or snapshot template), embedded in it. */
struct fg_sandbox_worker {
    uid_t uid;                   /* its own, or (uid_t)-1: fngate's */
    char pids_dir[PATH_MAX];     /* its pids cgroup, "" without */
    char pids_procs[PATH_MAX + 16];
    char tmp_opts[64];           /* the /tmp tmpfs's mount options */
    bool netns;                  /* network: none */
    int pass_fd[2];              /* network none: the socketpair the listener comes back on */
    const char *const *hide;     /* borrowed from its function (fg_sandbox_hide_list) */
};

/* A worker's state before prepare: nothing to release. */
void fg_sandbox_worker_init(struct fg_sandbox_worker *sw);

/* Decides the mode for conf (probing that namespaces can be made), sweeps cgroups left by
 * a gateway that died, makes the /var/task and /var/runtime mount points. Never fails:
 * what cannot be applied is logged and left off. base: the loop, for retries. */
void fg_sandbox_init(struct fg_sandbox *sb, const struct fg_config *conf, struct event_base *base,
                     const char *memory_root);

/* What a worker of fn must not see: fngate's own files (conf's path, state, keys, secrets)
 * and the other functions' code of conf, unless it holds fn's own. *out: a NULL-terminated
 * list the caller owns (fg_sandbox_hide_free), NULL when isolation is off. Made again when
 * a reload changes the functions. 0 or -ENOMEM. */
int fg_sandbox_hide_list(const struct fg_sandbox *sb, const struct fg_config *conf, const struct fg_conf_function *fn,
                         char ***out) FG_MUST_CHECK;
void fg_sandbox_hide_free(char **list);

/* Before fork, for a worker of c hiding hide (borrowed until the fork): allocates a uid,
 * makes the pids cgroup, the socketpair for network none. 0, or a negative code with err
 * filled. */
int fg_sandbox_prepare(struct fg_sandbox *sb, const char *const *hide, const struct fg_conf_function *c,
                       struct fg_sandbox_worker *sw, const char *name, struct fg_err *err) FG_MUST_CHECK;

/* In the child between fork and exec (async-signal-safe): enters the cgroup and the
 * namespaces, mounts, limits, drops to the worker's uid and changes to its code directory
 * (/var/task when isolated). 0, or -errno with *what naming the step that failed. */
int fg_sandbox_enter(const struct fg_sandbox *sb, const struct fg_sandbox_worker *sw,
                     const struct fg_conf_function *c, const char *runtime_dir, const char **what);

/* In the parent after fork, network none only: the fd (owned by sw) that becomes readable
 * when the child has sent the listening socket it made in its namespace. */
int fg_sandbox_listener_wait_fd(struct fg_sandbox_worker *sw);

/* Then, without blocking: that socket (the caller owns it); -EAGAIN when it has not come
 * yet; -EPIPE when the child ended without sending it. */
int fg_sandbox_listener(struct fg_sandbox_worker *sw);

/* The paths a worker sees for code and runtimes (/var/task, /var/runtime when isolated). */
const char *fg_sandbox_code_dir(const struct fg_sandbox *sb, const struct fg_conf_function *c);
const char *fg_sandbox_runtime_dir(const struct fg_sandbox *sb, const char *runtime_dir);

/* Moves process pid into the worker's pids cgroup (a restored worker, forked by its
 * template). 0, or -errno; 0 without one. */
int fg_sandbox_adopt(const struct fg_sandbox_worker *sw, pid_t pid);

/* SIGKILLs every process of the worker's cgroup (those that left its process group too). */
void fg_sandbox_kill(const struct fg_sandbox_worker *sw);

/* SIGKILLs the processes of the worker's cgroup outside process group pgid (the worker's
 * own): what a handler detached with setsid() or setpgid(). */
void fg_sandbox_kill_strays(const struct fg_sandbox_worker *sw, pid_t pgid);

/* After the worker was reaped: kills what is left, removes its cgroup (now, or on a later
 * retry while its processes die) and frees its uid once it is empty. */
void fg_sandbox_release(struct fg_sandbox *sb, struct fg_sandbox_worker *sw);

/* Removes the cgroup directory dir once its processes are gone (retried on a timer). */
void fg_sandbox_remove_later(struct fg_sandbox *sb, const char *dir);

/* At exit: waits (bounded, 2 s) for pending cgroups, removes the root, frees everything. */
void fg_sandbox_close(struct fg_sandbox *sb);

#endif

/* SPDX-License-Identifier: MIT */
/* memlimit.h - a worker's memory cap and its "Max Memory Used".
 *
 * Lambda caps a function's memory and reports "Max Memory Used" in every REPORT: the high-
 * water mark of the execution environment, which never goes down while the environment is
 * warm. fngate reports the same thing for the worker. Where the cgroup v1 memory
 * controller is writable (/sys/fs/cgroup/memory, as root) each worker gets its own group:
 * memory.limit_in_bytes enforces the cap (the kernel OOM-kills the worker) and
 * memory.max_usage_in_bytes, kept open and read with one pread per invocation, gives the
 * peak; the oom_kill counter of memory.oom_control tells an OOM kill (Runtime.OutOfMemory)
 * from any other death. Elsewhere an address space rlimit caps the worker (not for Node.js,
 * whose heap reservation exceeds any sane RLIMIT_AS) and /proc/PID/status VmHWM gives the
 * peak of the worker's main process. Tests: tests/integration/test_workers.py (REPORT
 * memory figures, Runtime.OutOfMemory). */
#ifndef FG_MEMLIMIT_H
#define FG_MEMLIMIT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../core/err.h"

struct fg_memlimit {
    bool cgroup;              /* true: per-worker cgroups under root */
    char root[PATH_MAX];      /* /sys/fs/cgroup/memory/fngate-PID */
};

/* Per-worker state, embedded in the worker. */
struct fg_memlimit_worker {
    char dir[PATH_MAX];       /* the worker's cgroup, "" without cgroups */
    char procs[PATH_MAX + 16];/* DIR/cgroup.procs, written by the child before exec */
    unsigned long long limit_bytes;
    bool rlimit;              /* apply RLIMIT_AS in the child */
    pid_t pid;
    int peak_fd;              /* memory.max_usage_in_bytes kept open: two syscalls per
                               * invocation instead of six path walks; -1 without cgroups */
};

/* Decides the mode. Never fails: without cgroups it falls back to rlimits. The cgroup v1
 * memory hierarchy is /sys/fs/cgroup/memory unless FNGATE_CGROUP_ROOT names another. */
void fg_memlimit_init(struct fg_memlimit *m);

/* Before fork. name is unique per worker. 0 or -errno (err filled). */
int fg_memlimit_prepare(struct fg_memlimit *m, struct fg_memlimit_worker *w, const char *name,
                        int limit_mb, bool rlimit_ok, struct fg_err *err) FG_MUST_CHECK;

/* In the child between fork and exec: async-signal-safe. 0 or -errno. */
int fg_memlimit_enter(const struct fg_memlimit_worker *w);

/* The worker's peak memory in MB so far (0 when unknown). */
int fg_memlimit_peak_mb(const struct fg_memlimit_worker *w);

/* True when the worker's group recorded an OOM kill (cgroup mode only). */
bool fg_memlimit_oom_killed(const struct fg_memlimit_worker *w);

/* After the worker was reaped: forgets its group and removes it. 0, or -errno from
 * rmdir (-EBUSY: processes it left are still in it; the caller removes it later). */
int fg_memlimit_release(struct fg_memlimit_worker *w);

/* Moves process pid into the worker's group (a restored worker, whose template cannot
 * when it runs unprivileged). 0, or -errno; 0 without cgroups. */
int fg_memlimit_move(const struct fg_memlimit_worker *w, pid_t pid);

/* The cgroup v1 memory hierarchy: /sys/fs/cgroup/memory, or FNGATE_CGROUP_ROOT. Static. */
const char *fg_memlimit_hierarchy(void);

/* Removes the root group (all workers released). */
void fg_memlimit_close(struct fg_memlimit *m);

#endif

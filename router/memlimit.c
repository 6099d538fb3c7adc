/* SPDX-License-Identifier: MIT */
/* memlimit.c - cgroup v1 memory groups with an rlimit fallback (see memlimit.h). */
#include "memlimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"

#define MEMLIMIT_V1 "/sys/fs/cgroup/memory"

static int memlimit_write(const char *dir, const char *file, const char *val)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return fg_fs_write_str(path, val);
}

/* Reads the start of DIR/FILE into buf as a string: 0, or -1 when it cannot be read. */
static int memlimit_read(const char *dir, const char *file, char *buf, size_t size)
{
    char path[PATH_MAX + 64];
    ssize_t n;
    int fd;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

static long long memlimit_read_ll(const char *dir, const char *file)
{
    char buf[64];
    return memlimit_read(dir, file, buf, sizeof(buf)) < 0 ? -1 : atoll(buf);
}

void fg_memlimit_init(struct fg_memlimit *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->root, sizeof(m->root), "%s/fngate-%d", fg_memlimit_hierarchy(), (int)getpid());
    if (mkdir(m->root, 0755) == 0 || errno == EEXIST) {
        /* The controller must also accept a limit, not just a directory. */
        if (memlimit_write(m->root, "memory.use_hierarchy", "1") == 0 ||
            access(m->root, W_OK) == 0) {
            m->cgroup = true;
            return;
        }
        rmdir(m->root);
    }
    m->root[0] = '\0';
}

int fg_memlimit_prepare(struct fg_memlimit *m, struct fg_memlimit_worker *w, const char *name,
                        int limit_mb, bool rlimit_ok, struct fg_err *err)
{
    char val[32];
    int rc;

    memset(w, 0, sizeof(*w));
    w->peak_fd = -1;
    w->limit_bytes = (unsigned long long)limit_mb << 20;
    if (!m->cgroup) {
        w->rlimit = rlimit_ok;
        return 0;
    }
    snprintf(w->dir, sizeof(w->dir), "%s/%s", m->root, name);
    if (mkdir(w->dir, 0755) < 0 && errno != EEXIST)
        return fg_err_set(err, -errno, "cgroup %s: %s", w->dir, strerror(errno));
    snprintf(val, sizeof(val), "%llu", w->limit_bytes);
    if ((rc = memlimit_write(w->dir, "memory.limit_in_bytes", val)) < 0) {
        rmdir(w->dir);
        return fg_err_set(err, rc, "cgroup %s: cannot set memory.limit_in_bytes: %s", w->dir, strerror(-rc));
    }
    /* Without swap accounting this file is absent; the limit above still holds. */
    memlimit_write(w->dir, "memory.memsw.limit_in_bytes", val);
    snprintf(w->procs, sizeof(w->procs), "%s/cgroup.procs", w->dir);
    {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/memory.max_usage_in_bytes", w->dir);
        w->peak_fd = open(path, O_RDWR | O_CLOEXEC);
    }
    return 0;
}

int fg_memlimit_enter(const struct fg_memlimit_worker *w)
{
    if (w->procs[0]) {
        int fd = open(w->procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        if (write(fd, "0", 1) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        close(fd);
    } else if (w->rlimit) {
        /* Address space, with room for the interpreter's own mappings. */
        struct rlimit rl = { w->limit_bytes + (256ull << 20), w->limit_bytes + (256ull << 20) };
        if (setrlimit(RLIMIT_AS, &rl) < 0)
            return -errno;
    }
    return 0;
}

int fg_memlimit_peak_mb(const struct fg_memlimit_worker *w)
{
    if (w->peak_fd >= 0) {
        char buf[32];
        ssize_t n = pread(w->peak_fd, buf, sizeof(buf) - 1, 0);
        long long v;
        if (n <= 0)
            return 0;
        buf[n] = '\0';
        v = atoll(buf);
        return v > 0 ? (int)((v + (1 << 20) - 1) >> 20) : 0;
    }
    if (w->pid > 0) {
        char path[64], line[256];
        long long kb = 0;
        FILE *f;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)w->pid);
        if (!(f = fopen(path, "re")))
            return 0;
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
                break;
        fclose(f);
        return (int)((kb + 1023) / 1024);
    }
    return 0;
}

/* The "oom_kill N" line of memory.oom_control (Linux 4.13+): kills by the OOM killer in the
 * group, or -1 when the kernel does not report them. */
static long long memlimit_oom_kills(const char *dir)
{
    char buf[256];
    const char *p;
    if (memlimit_read(dir, "memory.oom_control", buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\noom_kill ")))
        return -1;
    return atoll(p + 10);
}

bool fg_memlimit_oom_killed(const struct fg_memlimit_worker *w)
{
    long long kills;
    if (!w->dir[0])
        return false;
    /* memory.failcnt cannot tell: recent kernels reclaim and then OOM-kill without counting
     * a failed charge, so a killed group can show failcnt 0. */
    if ((kills = memlimit_oom_kills(w->dir)) >= 0)
        return kills > 0;
    return memlimit_read_ll(w->dir, "memory.failcnt") > 0 &&
           memlimit_read_ll(w->dir, "memory.max_usage_in_bytes") >= (long long)w->limit_bytes - (1 << 20);
}

int fg_memlimit_release(struct fg_memlimit_worker *w)
{
    int rc = 0;
    if (w->peak_fd >= 0)
        close(w->peak_fd);
    w->peak_fd = -1;
    if (w->dir[0] && rmdir(w->dir) < 0 && errno != ENOENT)
        rc = -errno;
    w->dir[0] = '\0';
    w->procs[0] = '\0';
    return rc;
}

int fg_memlimit_move(const struct fg_memlimit_worker *w, pid_t pid)
{
    return w->procs[0] ? fg_fs_write_int(w->procs, pid) : 0;
}

const char *fg_memlimit_hierarchy(void)
{
    const char *base = getenv("FNGATE_CGROUP_ROOT");
    return base && *base ? base : MEMLIMIT_V1;
}

void fg_memlimit_close(struct fg_memlimit *m)
{
    if (m->cgroup && m->root[0])
        rmdir(m->root);
    m->root[0] = '\0';
}

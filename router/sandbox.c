/* SPDX-License-Identifier: MIT */
/* sandbox.c - uids, pids cgroups, mount and network namespaces for workers (see sandbox.h).
 *
 * DESIGN: everything that allocates or formats happens before fork (fg_sandbox_prepare);
 * the child (fg_sandbox_enter) makes only system calls, in an order that keeps each step
 * possible: cgroup first (while root), namespaces, mounts over the sensitive paths, the
 * code and runtime bind mounts (before /tmp is covered: tests and users keep code under
 * /tmp), the private /tmp, /proc, rlimits, and the uid last, with raw syscalls (glibc's
 * setuid wrappers signal every thread of the parent, which the child does not have). */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/log.h"

#define SANDBOX_PIDS_V1 "/sys/fs/cgroup/pids"
#define SANDBOX_TASK    "/var/task"
#define SANDBOX_RUNTIME "/var/runtime"

struct fg_sandbox_dir {
    struct fg_sandbox_dir *next;
    uid_t uid;                   /* freed with the directory, or (uid_t)-1 */
    char path[PATH_MAX];
};

/* ------------------------------------------------------------------ cgroups */

/* SIGKILLs every process listed in DIR/cgroup.procs but those of process group keep (0:
 * none kept); how many it signalled. */
static int sandbox_cgroup_kill_but(const char *dir, pid_t keep)
{
    char path[PATH_MAX + 16];
    FILE *f;
    int pid, n = 0;
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    if (!(f = fopen(path, "re")))
        return 0;
    while (fscanf(f, "%d", &pid) == 1)
        if (pid > 0 && (!keep || getpgid(pid) != keep) && kill(pid, SIGKILL) == 0)
            n++;
    fclose(f);
    return n;
}

static int sandbox_cgroup_kill(const char *dir)
{
    return sandbox_cgroup_kill_but(dir, 0);
}

/* Kills and removes dir: true when it is gone. A few quick rounds: SIGKILLed processes
 * leave the group as soon as they run their exit. */
static bool sandbox_cgroup_remove(const char *dir)
{
    for (int round = 0; round < 4; round++) {
        sandbox_cgroup_kill(dir);
        if (rmdir(dir) == 0 || errno == ENOENT)
            return true;
        if (errno != EBUSY)
            return false;
        sched_yield();
    }
    return false;
}

static void sandbox_free_uid(struct fg_sandbox *sb, uid_t uid)
{
    if (uid != (uid_t)-1 && uid >= sb->uid_min && uid - sb->uid_min < sb->n_uids)
        sb->uid_used[uid - sb->uid_min] = 0;
}

static void sandbox_retry(evutil_socket_t fd, short what, void *arg)
{
    struct fg_sandbox *sb = arg;
    struct fg_sandbox_dir **pp = &sb->pending;
    struct timeval tv = { 0, 100000 };
    (void)fd, (void)what;
    while (*pp) {
        struct fg_sandbox_dir *d = *pp;
        if (sandbox_cgroup_remove(d->path)) {
            sandbox_free_uid(sb, d->uid);
            *pp = d->next;
            free(d);
        } else {
            pp = &d->next;
        }
    }
    if (sb->pending && sb->retry_ev)
        event_add(sb->retry_ev, &tv);
}

static void sandbox_defer(struct fg_sandbox *sb, const char *dir, uid_t uid)
{
    struct fg_sandbox_dir *d = calloc(1, sizeof(*d));
    struct timeval tv = { 0, 100000 };
    if (!d) {
        fg_log(FG_LOG_WARN, "sandbox", "out of memory: cgroup %s is left behind", dir);
        return;
    }
    snprintf(d->path, sizeof(d->path), "%s", dir);
    d->uid = uid;
    d->next = sb->pending;
    sb->pending = d;
    if (sb->retry_ev && !event_pending(sb->retry_ev, EV_TIMEOUT, NULL))
        event_add(sb->retry_ev, &tv);
}

void fg_sandbox_remove_later(struct fg_sandbox *sb, const char *dir)
{
    if (dir && dir[0] && !sandbox_cgroup_remove(dir))
        sandbox_defer(sb, dir, (uid_t)-1);
}

/* True when pid is a running fngate (its cgroup root is in use). */
static bool sandbox_owner_alive(long pid)
{
    char path[64], comm[32] = "";
    int fd;
    ssize_t n;
    snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, comm, sizeof(comm) - 1);
    close(fd);
    comm[n > 0 ? n : 0] = '\0';
    return !strncmp(comm, "fngate", 6);
}

/* Removes hier/fngate-PID trees whose gateway is gone (killed with -9): their processes
 * first. What does not empty at once is retried on the timer (children before parents). */
static void sandbox_sweep(struct fg_sandbox *sb, const char *hier)
{
    DIR *d = opendir(hier);
    struct dirent *e;
    int swept = 0;
    if (!d)
        return;
    while ((e = readdir(d))) {
        char root[PATH_MAX];
        char *end;
        long pid;
        DIR *sub;
        struct dirent *se;
        if (strncmp(e->d_name, "fngate-", 7))
            continue;
        pid = strtol(e->d_name + 7, &end, 10);
        if (*end || pid <= 0 || pid == getpid() || sandbox_owner_alive(pid))
            continue;
        snprintf(root, sizeof(root), "%s/%s", hier, e->d_name);
        if ((sub = opendir(root))) {
            while ((se = readdir(sub))) {
                char dir[PATH_MAX];
                struct stat st;
                if (se->d_name[0] == '.' || snprintf(dir, sizeof(dir), "%s/%s", root, se->d_name) >= (int)sizeof(dir) ||
                    stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                    continue;
                if (!sandbox_cgroup_remove(dir))
                    sandbox_defer(sb, dir, (uid_t)-1);
            }
            closedir(sub);
        }
        if (!sandbox_cgroup_remove(root))
            sandbox_defer(sb, root, (uid_t)-1);
        swept++;
    }
    closedir(d);
    if (swept)
        fg_log(FG_LOG_INFO, "sandbox", "removing %d cgroup trees under %s left by gateways that died", swept, hier);
}

/* ------------------------------------------------------------------ start */

/* Whether this process can make a mount namespace (root in a container may not). */
static bool sandbox_probe(void)
{
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 ? 0 : 1);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* True when a is b or one of b's ancestors. */
static bool sandbox_path_covers(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n == 1 && a[0] == '/')
        return true;
    return !strncmp(a, b, n) && (b[n] == '\0' || b[n] == '/');
}

static int sandbox_add(char ***list, size_t *n, const char *path)
{
    char **l;
    if (!path || !*path)
        return 0;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], path))
            return 0;
    if (!(l = realloc(*list, (*n + 2) * sizeof(*l))))
        return -ENOMEM;
    *list = l;
    if (!(l[*n] = strdup(path)))
        return -ENOMEM;
    l[++*n] = NULL;
    return 0;
}

int fg_sandbox_hide_list(const struct fg_sandbox *sb, const struct fg_config *conf, const struct fg_conf_function *fn,
                         char ***out)
{
    const char *own = fn->code;
    const char *mine[] = { conf->path, conf->state_dir, conf->s3.enabled ? conf->s3.root : NULL,
                           conf->admin.token_file, conf->admin.unix_path, conf->tls.key, conf->admin.tls.key,
                           conf->s3.tls.key };
    char **list = NULL, abs[PATH_MAX];
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    if (!sb->on)
        return 0;
    if (!(list = calloc(1, sizeof(*list))))
        return -ENOMEM;
    for (size_t k = 0; k < sizeof(mine) / sizeof(mine[0]) && !rc; k++) {
        const char *p = mine[k];
        if (p && p[0] != '/' && realpath(p, abs))
            p = abs;
        if (p && !sandbox_path_covers(p, own))
            rc = sandbox_add(&list, &n, p);
    }
    for (size_t i = 0; i < conf->s3.credentials.n && !rc; i++)
        rc = sandbox_add(&list, &n, conf->s3.credentials.items[i].secret_key_file);
    for (size_t i = 0; i < conf->invoke_api.credentials.n && !rc; i++)
        rc = sandbox_add(&list, &n, conf->invoke_api.credentials.items[i].secret_key_file);
    for (size_t k = 0; k < conf->n_functions && !rc; k++)
        if (strcmp(conf->functions[k].name, fn->name) && !sandbox_path_covers(conf->functions[k].code, own))
            rc = sandbox_add(&list, &n, conf->functions[k].code);
    if (rc < 0) {
        fg_sandbox_hide_free(list);
        return rc;
    }
    *out = list;
    return 0;
}

void fg_sandbox_hide_free(char **list)
{
    for (char **h = list; h && *h; h++)
        free(*h);
    free(list);
}

void fg_sandbox_init(struct fg_sandbox *sb, const struct fg_config *conf, struct event_base *base,
                     const char *memory_root)
{
    memset(sb, 0, sizeof(*sb));
    if (geteuid() != 0)
        return;
    if (base)
        sb->retry_ev = evtimer_new(base, sandbox_retry, sb);
    sandbox_sweep(sb, memory_root);
    sandbox_sweep(sb, SANDBOX_PIDS_V1);
    snprintf(sb->pids_root, sizeof(sb->pids_root), "%s/fngate-%d", SANDBOX_PIDS_V1, (int)getpid());
    if (mkdir(sb->pids_root, 0755) == 0 || errno == EEXIST)
        sb->pids = true;
    else
        fg_log(FG_LOG_INFO, "sandbox", "no pids cgroup (%s: %s): a worker's processes are killed by its "
               "process group only", sb->pids_root, strerror(errno));
    if (!conf->isolation.enabled)
        return;
    if (!sandbox_probe()) {
        fg_log(FG_LOG_WARN, "sandbox", "cannot create namespaces here: workers run as root without isolation");
        return;
    }
    sb->uid_min = (uid_t)conf->isolation.uid_min;
    sb->n_uids = (unsigned)(conf->isolation.uid_max - conf->isolation.uid_min + 1);
    if (!(sb->uid_used = calloc(sb->n_uids, 1)))
        goto nomem;
    if ((mkdir(SANDBOX_TASK, 0755) < 0 && errno != EEXIST) || (mkdir(SANDBOX_RUNTIME, 0755) < 0 && errno != EEXIST)) {
        fg_log(FG_LOG_WARN, "sandbox", "cannot make %s and %s: workers run as root without isolation",
               SANDBOX_TASK, SANDBOX_RUNTIME);
        return;
    }
    sb->on = true;
    return;
nomem:
    fg_log(FG_LOG_WARN, "sandbox", "out of memory: workers run as root without isolation");
}

/* ------------------------------------------------------------------ per worker */

void fg_sandbox_worker_init(struct fg_sandbox_worker *sw)
{
    memset(sw, 0, sizeof(*sw));
    sw->uid = (uid_t)-1;
    sw->pass_fd[0] = sw->pass_fd[1] = -1;
}

int fg_sandbox_prepare(struct fg_sandbox *sb, const char *const *hide, const struct fg_conf_function *c,
                       struct fg_sandbox_worker *sw, const char *name, struct fg_err *err)
{
    fg_sandbox_worker_init(sw);
    if (sb->on) {
        unsigned i;
        for (i = 0; i < sb->n_uids && sb->uid_used[(sb->uid_next + i) % sb->n_uids]; i++)
            ;
        if (i == sb->n_uids)
            return fg_err_set(err, -EAGAIN, "function %s: all %u isolation uids are in use", c->name, sb->n_uids);
        i = (sb->uid_next + i) % sb->n_uids;
        sb->uid_used[i] = 1;
        sb->uid_next = (i + 1) % sb->n_uids;
        sw->uid = sb->uid_min + i;
        sw->hide = hide;
        snprintf(sw->tmp_opts, sizeof(sw->tmp_opts), "size=%dm,mode=1777", c->ephemeral_mb);
        if (c->network == FG_NETWORK_NONE) {
            sw->netns = true;
            if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sw->pass_fd) < 0) {
                int e = errno;
                sandbox_free_uid(sb, sw->uid);
                return fg_err_set(err, -e, "function %s: socketpair: %s", c->name, strerror(e));
            }
        }
    }
    if (sb->pids) {
        snprintf(sw->pids_dir, sizeof(sw->pids_dir), "%s/%s", sb->pids_root, name);
        if (mkdir(sw->pids_dir, 0755) < 0 && errno != EEXIST) {
            fg_log(FG_LOG_WARN, "sandbox", "cgroup %s: %s", sw->pids_dir, strerror(errno));
            sw->pids_dir[0] = '\0';
        } else {
            char path[PATH_MAX + 16];
            snprintf(path, sizeof(path), "%s/pids.max", sw->pids_dir);
            fg_fs_write_int(path, FG_SANDBOX_NPROC);
            snprintf(sw->pids_procs, sizeof(sw->pids_procs), "%s/cgroup.procs", sw->pids_dir);
        }
    }
    return 0;
}

const char *fg_sandbox_code_dir(const struct fg_sandbox *sb, const struct fg_conf_function *c)
{
    return sb->on ? SANDBOX_TASK : c->code;
}

const char *fg_sandbox_runtime_dir(const struct fg_sandbox *sb, const char *runtime_dir)
{
    return sb->on ? SANDBOX_RUNTIME : runtime_dir;
}

/* ------------------------------------------------------------------ the child */

/* Loopback up, a listener on 127.0.0.1:9001, sent to fngate over fd. */
static int sandbox_net_listener(int fd)
{
    struct ifreq ifr;
    struct sockaddr_in sa;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *cm;
    char one = 1;
    int s, on = 1;

    if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
        int e = errno;
        close(s);
        return -e;
    }
    close(s);
    if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(FG_SANDBOX_NETNS_PORT);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = &one;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &s, sizeof(int));
    if (sendmsg(fd, &msg, 0) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    close(s);
    return 0;
}

/* Covers path with an empty read-only directory, or /dev/null for a file. Missing: fine. */
static int sandbox_hide(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    if (S_ISDIR(st.st_mode))
        return mount("fngate-hidden", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "size=4k,nr_inodes=2,mode=0") < 0 ? -errno : 0;
    return mount("/dev/null", path, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

/* Binds src read-only at dst. */
static int sandbox_bind_ro(const char *src, const char *dst)
{
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return -errno;
    return 0;
}

#define SANDBOX_STEP(cond, name)   \
    do {                           \
        if (cond) {                \
            *what = (name);        \
            return -errno;         \
        }                          \
    } while (0)

int fg_sandbox_enter(const struct fg_sandbox *sb, const struct fg_sandbox_worker *sw,
                     const struct fg_conf_function *c, const char *runtime_dir, const char **what)
{
    struct rlimit nofile = { FG_SANDBOX_NOFILE, FG_SANDBOX_NOFILE };
    struct rlimit nproc = { FG_SANDBOX_NPROC, FG_SANDBOX_NPROC };
    struct rlimit core = { 0, 0 };
    int rc;

    if (sw->pids_procs[0]) {
        int fd = open(sw->pids_procs, O_WRONLY | O_CLOEXEC);
        SANDBOX_STEP(fd < 0 || write(fd, "0", 1) < 0, "cannot enter its pids cgroup");
        close(fd);
    }
    SANDBOX_STEP(setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0, "setrlimit");
    if (!sb->on || sw->uid == (uid_t)-1) {
        SANDBOX_STEP(chdir(c->code) < 0, "chdir to its code");
        return 0;
    }
    SANDBOX_STEP(unshare(CLONE_NEWNS | (sw->netns ? CLONE_NEWNET : 0)) < 0, "unshare");
    if (sw->netns) {
        close(sw->pass_fd[0]);
        if ((rc = sandbox_net_listener(sw->pass_fd[1])) < 0) {
            errno = -rc;
            SANDBOX_STEP(1, "cannot open its Runtime API in its network namespace");
        }
        close(sw->pass_fd[1]);
    }
    SANDBOX_STEP(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0, "cannot make its mounts private");
    for (const char *const *h = sw->hide; h && *h; h++)
        if ((rc = sandbox_hide(*h)) < 0) {
            errno = -rc;
            SANDBOX_STEP(1, "cannot cover a path of fngate's");
        }
    SANDBOX_STEP(sandbox_bind_ro(c->code, SANDBOX_TASK) < 0, "cannot mount its code at /var/task");
    SANDBOX_STEP(sandbox_bind_ro(runtime_dir, SANDBOX_RUNTIME) < 0, "cannot mount the runtimes at /var/runtime");
    SANDBOX_STEP(mount("fngate-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, sw->tmp_opts) < 0,
                 "cannot mount its /tmp");
    SANDBOX_STEP(mount("/tmp", "/var/tmp", NULL, MS_BIND, NULL) < 0 && errno != ENOENT, "cannot mount /var/tmp");
    SANDBOX_STEP(mount("/tmp", "/dev/shm", NULL, MS_BIND, NULL) < 0 && errno != ENOENT, "cannot mount /dev/shm");
    SANDBOX_STEP(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") < 0,
                 "cannot mount /proc");
    SANDBOX_STEP(chdir(SANDBOX_TASK) < 0, "chdir to /var/task");
    SANDBOX_STEP(setrlimit(RLIMIT_NPROC, &nproc) < 0, "setrlimit");
    SANDBOX_STEP(syscall(SYS_setgroups, 0, NULL) < 0, "setgroups");
    SANDBOX_STEP(syscall(SYS_setresgid, sw->uid, sw->uid, sw->uid) < 0, "setresgid");
    SANDBOX_STEP(syscall(SYS_setresuid, sw->uid, sw->uid, sw->uid) < 0, "setresuid");
    SANDBOX_STEP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0, "no_new_privs");
    return 0;
}

int fg_sandbox_listener_wait_fd(struct fg_sandbox_worker *sw)
{
    if (sw->pass_fd[1] >= 0) {
        close(sw->pass_fd[1]);
        sw->pass_fd[1] = -1;
    }
    if (sw->pass_fd[0] >= 0)
        fcntl(sw->pass_fd[0], F_SETFL, O_NONBLOCK);
    return sw->pass_fd[0];
}

int fg_sandbox_listener(struct fg_sandbox_worker *sw)
{
    char cbuf[CMSG_SPACE(sizeof(int))], one;
    struct iovec iov = { &one, 1 };
    struct msghdr msg;
    struct cmsghdr *cm;
    ssize_t n;
    int fd = -1;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    while ((n = recvmsg(sw->pass_fd[0], &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -EAGAIN;
    if (n > 0 && (cm = CMSG_FIRSTHDR(&msg)) && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    close(sw->pass_fd[0]);
    sw->pass_fd[0] = -1;
    if (fd < 0)
        return -EPIPE;      /* the child ended (or failed) before sending it */
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* ------------------------------------------------------------------ end */

int fg_sandbox_adopt(const struct fg_sandbox_worker *sw, pid_t pid)
{
    return sw->pids_procs[0] ? fg_fs_write_int(sw->pids_procs, pid) : 0;
}

void fg_sandbox_kill(const struct fg_sandbox_worker *sw)
{
    if (sw->pids_dir[0])
        sandbox_cgroup_kill(sw->pids_dir);
}

void fg_sandbox_kill_strays(const struct fg_sandbox_worker *sw, pid_t pgid)
{
    if (sw->pids_dir[0] && pgid > 0)
        sandbox_cgroup_kill_but(sw->pids_dir, pgid);
}

void fg_sandbox_release(struct fg_sandbox *sb, struct fg_sandbox_worker *sw)
{
    for (int i = 0; i < 2; i++)
        if (sw->pass_fd[i] >= 0) {
            close(sw->pass_fd[i]);
            sw->pass_fd[i] = -1;
        }
    if (sw->pids_dir[0] && !sandbox_cgroup_remove(sw->pids_dir))
        sandbox_defer(sb, sw->pids_dir, sw->uid);   /* the uid stays taken until it is empty */
    else
        sandbox_free_uid(sb, sw->uid);
    sw->pids_dir[0] = '\0';
    sw->pids_procs[0] = '\0';
    sw->uid = (uid_t)-1;
}

void fg_sandbox_close(struct fg_sandbox *sb)
{
    struct timespec nap = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 200 && sb->pending; i++) {
        sandbox_retry(-1, 0, sb);
        if (sb->pending)
            nanosleep(&nap, NULL);
    }
    while (sb->pending) {
        struct fg_sandbox_dir *d = sb->pending;
        fg_log(FG_LOG_WARN, "sandbox", "cgroup %s still has processes: left behind", d->path);
        sb->pending = d->next;
        free(d);
    }
    if (sb->retry_ev)
        event_free(sb->retry_ev);
    sb->retry_ev = NULL;
    if (sb->pids && rmdir(sb->pids_root) < 0 && errno != ENOENT)
        fg_log(FG_LOG_WARN, "sandbox", "cannot remove %s: %s", sb->pids_root, strerror(errno));
    sb->pids = false;
    free(sb->uid_used);
    sb->uid_used = NULL;
}

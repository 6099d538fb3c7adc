/* SPDX-License-Identifier: MIT */
/* codewatch.c - inotify on the functions' code trees, debounced (see codewatch.h). */
#include "codewatch.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "pool.h"
#include "router_int.h"

#define CODEWATCH_DIRS_MAX  20000     /* per gateway: a tree larger than this is watched in part */
#define CODEWATCH_SETTLE_MS 200
#define CODEWATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB)

struct codewatch_dir {
    int wd;
    char *path;
};

struct fg_codewatch {
    struct fg_router *router;
    int fd;
    struct event *ev, *settle;
    struct codewatch_dir *dirs;
    size_t n_dirs, cap_dirs;
    bool *changed;                /* per function, since the last settle */
    bool warned;
};

static void codewatch_add_tree(struct fg_codewatch *w, const char *path, int depth);

static void codewatch_add(struct fg_codewatch *w, const char *path)
{
    struct codewatch_dir *d;
    int wd;

    if (w->n_dirs >= CODEWATCH_DIRS_MAX) {
        if (!w->warned)
            fg_log(FG_LOG_WARN, "watch", "more than %d directories under the code: the rest is not watched",
                   CODEWATCH_DIRS_MAX);
        w->warned = true;
        return;
    }
    if ((wd = inotify_add_watch(w->fd, path, CODEWATCH_MASK | IN_ONLYDIR)) < 0) {
        fg_log(FG_LOG_WARN, "watch", "cannot watch %s: %s", path, strerror(errno));
        return;
    }
    for (size_t i = 0; i < w->n_dirs; i++)
        if (w->dirs[i].wd == wd)
            return;               /* two functions share it, or it was seen already */
    if (w->n_dirs == w->cap_dirs) {
        size_t cap = w->cap_dirs ? w->cap_dirs * 2 : 64;
        struct codewatch_dir *n = realloc(w->dirs, cap * sizeof(*n));
        if (!n)
            return;
        w->dirs = n;
        w->cap_dirs = cap;
    }
    d = &w->dirs[w->n_dirs];
    if (!(d->path = strdup(path)))
        return;
    d->wd = wd;
    w->n_dirs++;
}

/* path and the directories below it, hidden ones (.git, .fngate) and the state directory
 * left out. */
static void codewatch_add_tree(struct fg_codewatch *w, const char *path, int depth)
{
    DIR *dir;
    struct dirent *e;

    if (depth > 32 || !strcmp(path, w->router->conf->state_dir))
        return;
    codewatch_add(w, path);
    if (!(dir = opendir(path)))
        return;
    while ((e = readdir(dir))) {
        char sub[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.' || snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub) ||
            lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        codewatch_add_tree(w, sub, depth + 1);
    }
    closedir(dir);
}

/* Marks the functions whose code tree holds dir. */
static void codewatch_mark(struct fg_codewatch *w, const char *dir)
{
    struct fg_router *r = w->router;
    for (size_t i = 0; i < r->n_fns; i++) {
        const char *code = r->fns[i]->conf->code;
        size_t n = strlen(code);
        if (!strncmp(dir, code, n) && (dir[n] == '\0' || dir[n] == '/'))
            w->changed[i] = true;
    }
}

static void codewatch_on_settle(evutil_socket_t fd, short what, void *arg)
{
    struct fg_codewatch *w = arg;
    struct fg_router *r = w->router;
    (void)fd, (void)what;
    for (size_t i = 0; i < r->n_fns; i++) {
        if (!w->changed[i])
            continue;
        w->changed[i] = false;
        fg_log(FG_LOG_INFO, "watch", "function %s: its code changed; new invocations get workers with it",
               r->fns[i]->conf->name);
        fg_pool_code_changed(r->fns[i]);
    }
}

static void codewatch_on_events(evutil_socket_t fd, short what, void *arg)
{
    struct fg_codewatch *w = arg;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct timeval settle = { 0, CODEWATCH_SETTLE_MS * 1000 };
    bool any = false;
    ssize_t n;

    (void)what;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            for (size_t i = 0; i < w->n_dirs; i++) {
                if (w->dirs[i].wd != ev->wd)
                    continue;
                codewatch_mark(w, w->dirs[i].path);
                any = true;
                if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len && ev->name[0] != '.') {
                    char sub[PATH_MAX];
                    if (snprintf(sub, sizeof(sub), "%s/%s", w->dirs[i].path, ev->name) < (int)sizeof(sub))
                        codewatch_add_tree(w, sub, 0);
                }
                break;
            }
        }
    }
    if (any)
        evtimer_add(w->settle, &settle);      /* restarted by every burst: debounced */
}

struct fg_codewatch *fg_codewatch_new(struct fg_router *r, struct fg_err *err)
{
    struct fg_codewatch *w = calloc(1, sizeof(*w));

    if (!w || !(w->changed = calloc(r->n_fns + 1, sizeof(*w->changed)))) {
        free(w);
        fg_err_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    w->router = r;
    if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        fg_err_set(err, -errno, "--watch: inotify: %s", strerror(errno));
        fg_codewatch_free(w);
        return NULL;
    }
    for (size_t i = 0; i < r->n_fns; i++)
        codewatch_add_tree(w, r->fns[i]->conf->code, 0);
    w->ev = event_new(r->loop->base, w->fd, EV_READ | EV_PERSIST, codewatch_on_events, w);
    w->settle = evtimer_new(r->loop->base, codewatch_on_settle, w);
    if (!w->ev || !w->settle || event_add(w->ev, NULL) < 0) {
        fg_err_set(err, -ENOMEM, "--watch: cannot watch the code");
        fg_codewatch_free(w);
        return NULL;
    }
    fg_log(FG_LOG_INFO, "watch", "watching the code of %zu function(s) (%zu directories)", r->n_fns, w->n_dirs);
    return w;
}

void fg_codewatch_free(struct fg_codewatch *w)
{
    if (!w)
        return;
    if (w->ev)
        event_free(w->ev);
    if (w->settle)
        event_free(w->settle);
    if (w->fd >= 0)
        close(w->fd);
    for (size_t i = 0; i < w->n_dirs; i++)
        free(w->dirs[i].path);
    free(w->dirs);
    free(w->changed);
    free(w);
}

/* SPDX-License-Identifier: MIT */
/* fs_watch.c - the inotify watcher thread (see fs_watch.h). */
#include "fs_watch.h"

#include <errno.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/log.h"

#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)

struct watch_root {
    const char *path;
    bool recursive;
    bool lost;              /* deleted or moved away: looked for every second */
};

struct fg_fs_watch {
    struct fg_loop *loop;
    fg_fs_watch_fn *cb;
    void *arg;
    struct watch_root *roots;
    size_t n_roots;
    pthread_t thread;
    bool started;
    atomic_bool stop;
};

static void watch_deliver(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_fs_change *c = (struct fg_fs_change *)((char *)msg - offsetof(struct fg_fs_change, msg));
    (void)loop;
    c->watch->cb(c->watch->arg, c);
}

static void watch_post(struct fg_fs_watch *w, enum fg_fs_change_kind kind, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = name ? strlen(name) : 0;
    struct fg_fs_change *c = malloc(sizeof(*c) + dl + nl + 2);
    if (!c)
        return;     /* a lost change: the next rescan finds it */
    c->kind = kind;
    memcpy(c->path, dir, dl + 1);
    if (nl) {
        if (dl && c->path[dl - 1] != '/')
            c->path[dl++] = '/';
        memcpy(c->path + dl, name, nl + 1);
    }
    c->watch = w;
    if (fg_loop_post(w->loop, &c->msg, watch_deliver) < 0)
        free(c);
}

static bool watch_one(const struct watch_root *r, const char *path)
{
    return r->recursive ? inotifytools_watch_recursively(path, WATCH_EVENTS) != 0
                        : inotifytools_watch_file(path, WATCH_EVENTS) != 0;
}

static void *watch_main(void *arg)
{
    struct fg_fs_watch *w = arg;

    for (size_t i = 0; i < w->n_roots; i++)
        if (!watch_one(&w->roots[i], w->roots[i].path))
            fg_log(FG_LOG_ERROR, "fs", "cannot watch %s: %s", w->roots[i].path, strerror(inotifytools_error()));
    watch_post(w, FG_FS_READY, "", NULL);
    while (!atomic_load(&w->stop)) {
        struct inotify_event *ev = inotifytools_next_event(1);
        const char *dir;
        for (size_t i = 0; i < w->n_roots; i++) {
            struct stat st;
            struct watch_root *r = &w->roots[i];
            if (r->lost && stat(r->path, &st) == 0 && S_ISDIR(st.st_mode) && watch_one(r, r->path)) {
                r->lost = false;
                fg_log(FG_LOG_INFO, "fs", "%s is back: watching it again", r->path);
                watch_post(w, FG_FS_ROOT_BACK, r->path, NULL);
            }
        }
        if (!ev)
            continue;
        if (ev->mask & IN_Q_OVERFLOW) {
            fg_log(FG_LOG_WARN, "fs", "inotify queue overflowed: rescanning every watched folder");
            watch_post(w, FG_FS_OVERFLOW, "", NULL);
            continue;
        }
        if (!(dir = inotifytools_filename_from_wd(ev->wd)))
            continue;
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
            for (size_t i = 0; i < w->n_roots; i++) {
                size_t n = strlen(w->roots[i].path);
                if (!strncmp(dir, w->roots[i].path, n) && (!dir[n] || !strcmp(dir + n, "/"))) {
                    w->roots[i].lost = true;
                    fg_log(FG_LOG_WARN, "fs", "%s disappeared; its files count as removed until it is back",
                           w->roots[i].path);
                    inotifytools_remove_watch_by_wd(ev->wd);
                }
            }
            watch_post(w, FG_FS_DIR_GONE, dir, NULL);
            continue;
        }
        if (!ev->len)
            continue;
        if (ev->mask & IN_ISDIR) {
            if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                char path[4096];
                snprintf(path, sizeof(path), "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", ev->name);
                /* Only recursive roots see subdirectories; watch first, then have it scanned. */
                inotifytools_watch_recursively(path, WATCH_EVENTS);
                watch_post(w, FG_FS_DIR_ADDED, dir, ev->name);
            } else if (ev->mask & IN_MOVED_FROM) {
                watch_post(w, FG_FS_DIR_GONE, dir, ev->name);
            }
            continue;
        }
        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
            watch_post(w, FG_FS_WRITTEN, dir, ev->name);
        else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
            watch_post(w, FG_FS_GONE, dir, ev->name);
    }
    return NULL;
}

int fg_fs_watch_new(struct fg_loop *loop, fg_fs_watch_fn *cb, void *arg, struct fg_fs_watch **out, struct fg_err *err)
{
    struct fg_fs_watch *w = calloc(1, sizeof(*w));
    *out = NULL;
    if (!w)
        return fg_err_set(err, -ENOMEM, "out of memory");
    w->loop = loop;
    w->cb = cb;
    w->arg = arg;
    *out = w;
    return 0;
}

int fg_fs_watch_add(struct fg_fs_watch *w, const char *root, bool recursive, struct fg_err *err)
{
    struct watch_root *r = realloc(w->roots, (w->n_roots + 1) * sizeof(*r));
    if (!r)
        return fg_err_set(err, -ENOMEM, "out of memory");
    w->roots = r;
    w->roots[w->n_roots++] = (struct watch_root){ root, recursive, false };
    return 0;
}

int fg_fs_watch_start(struct fg_fs_watch *w, struct fg_err *err)
{
    int rc;
    atomic_store(&w->stop, false);      /* a fleet's folder lease may start it again */
    if (!inotifytools_initialize())
        return fg_err_set(err, -inotifytools_error(), "cannot start inotify: %s", strerror(inotifytools_error()));
    if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
        inotifytools_cleanup();
        return fg_err_set(err, -rc, "cannot start the watcher thread: %s", strerror(rc));
    }
    w->started = true;
    return 0;
}

void fg_fs_watch_stop(struct fg_fs_watch *w)
{
    if (!w || !w->started)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    inotifytools_cleanup();
    w->started = false;
}

void fg_fs_watch_free(struct fg_fs_watch *w)
{
    if (!w)
        return;
    fg_fs_watch_stop(w);
    free(w->roots);
    free(w);
}

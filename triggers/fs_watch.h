/* SPDX-License-Identifier: MIT */
/* fs_watch.h - the inotify watcher thread, the one place libinotifytools is used.
 *
 * libinotifytools keeps global, non-thread-safe state and blocks in next_event, so it lives
 * in one thread of its own for the whole process: it watches every root (recursively when
 * asked), adds a watch for each new directory as it appears, and hands raw changes to the
 * loop. It knows nothing of triggers, filters or the index (triggers/fs.c does).
 * Changes reported: a file finished (closed after writing, or moved in), a file gone
 * (deleted, or moved out), a directory that appeared (its watch is in place: rescan it, it
 * may already hold files), a directory gone, and an overflow (events were lost: rescan
 * everything). A root that disappears is looked for every second and watched again when it
 * is back. Lifecycle: new → start → stop (joins) → free. */
#ifndef FG_FS_WATCH_H
#define FG_FS_WATCH_H

#include <stdbool.h>

#include "../core/loop.h"

enum fg_fs_change_kind {
    FG_FS_WRITTEN = 0,
    FG_FS_GONE,
    FG_FS_DIR_ADDED,
    FG_FS_DIR_GONE,
    FG_FS_OVERFLOW,       /* path is empty */
    FG_FS_READY,          /* every root is watched (once, after start); path is empty */
    FG_FS_ROOT_BACK,      /* a root that had disappeared exists again and is watched: rescan it */
};

struct fg_fs_watch;

struct fg_fs_change {
    struct fg_loop_msg msg;           /* private */
    struct fg_fs_watch *watch;        /* private */
    enum fg_fs_change_kind kind;
    char path[];                      /* absolute */
};

/* Loop thread; takes ownership of c (free()). */
typedef void fg_fs_watch_fn(void *arg, struct fg_fs_change *c);

int fg_fs_watch_new(struct fg_loop *loop, fg_fs_watch_fn *cb, void *arg, struct fg_fs_watch **out,
                    struct fg_err *err) FG_MUST_CHECK;
/* Before start. Borrows root. */
int fg_fs_watch_add(struct fg_fs_watch *w, const char *root, bool recursive, struct fg_err *err) FG_MUST_CHECK;
int fg_fs_watch_start(struct fg_fs_watch *w, struct fg_err *err) FG_MUST_CHECK;
/* Stops the thread within a second and joins it. Idempotent. */
void fg_fs_watch_stop(struct fg_fs_watch *w);
void fg_fs_watch_free(struct fg_fs_watch *w);

#endif

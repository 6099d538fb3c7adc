/* SPDX-License-Identifier: MIT */
/* fs.h - the folder trigger: every `- fs:` of the configuration fires one S3 event per
 * finished file, through the durable async path.
 *
 * DESIGN: the watcher thread (fs_watch.c) reports raw changes; a worker thread stats, scans
 * and hashes (blocking I/O never runs on the loop); the loop owns, per folder, an index of
 * what has fired (path → size, mtime) and decides. An event fires when a file's (size,
 * mtime) differs from the index, and the new index entry is committed with the event, so
 * every finished file fires once: after an inotify overflow (a full rescan is compared with
 * the index), for directories that fill before their watch exists (rescanned once
 * watched), and across restarts (the index is in the state store; files that changed while
 * fngate was down fire at start). A file still open for writing never fires: a read lease
 * (F_SETLEASE) tells, and where leases are not allowed a file modified in the last second
 * waits. A change whose event cannot be built whole (fg_s3_event_new) or submitted fires
 * nothing and moves no index, so it fires when looked at again: shortly when memory ran
 * out, else when the file changes or at the next rescan (or start); it is logged and counted.
 * GET /_fngate/folders shows each folder (describe): its mode, whether its first scan is
 * done, its index size, work still out and counts. Tests: tests/integration/test_fs.py. */
#ifndef FG_FS_H
#define FG_FS_H

#include "s3_event.h"
#include "trigger.h"

/* `- fs: ...`: a watched folder whose finished files fire S3 events (ev->conf). */
struct fg_conf_fs {
    const char *path;        /* absolute directory */
    const char *bucket;      /* default: the directory's name */
    const char *name;        /* s3.configurationId; keys the folder's index; default FUNCTION-fs-N */
    struct fg_s3_event_kinds events;  /* default [created] */
    const char *prefix, *suffix;
    bool recursive;          /* default true */
    bool hidden;             /* also dot files and editor/temp files (default false) */
    int poll_ms;             /* 0: inotify; else poll every poll_ms (NFS) */
};

/* The adapter: one instance watches every folder of the configuration (none: no
 * instance, no watcher thread). */
extern const struct fg_trigger_ops fg_fs_trigger;

/* Whether an `fs` event of conf watches path (absolute): then the folder trigger fires for
 * it, and the S3 endpoint must not fire a second time. */
bool fg_fs_watches(const struct fg_config *conf, const char *path);

#endif

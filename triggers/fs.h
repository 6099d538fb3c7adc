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
 * waits. GET /_fngate/folders shows each folder (describe): its mode, whether its first
 * scan is done, its index size, work still out and counts. Tests: tests/integration/test_fs.py. */
#ifndef FG_FS_H
#define FG_FS_H

#include "../config/config.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "trigger.h"

/* Builds the trigger for every `fs` event of conf. Borrows conf, router and loop for its
 * life. 0 and an owned trigger in *out (free with out->ops->free; NULL when there are no
 * folders), or a negative code with err filled. */
int fg_fs_trigger_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                      struct fg_trigger **out, struct fg_err *err) FG_MUST_CHECK;

#endif

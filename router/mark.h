/* SPDX-License-Identifier: MIT */
/* mark.h - trigger marks: what schedules and folders already fired for, as the state store
 * held it when the router started, and the way new marks reach the store.
 *
 * A schedule must not fire twice for one tick across a restart, and a folder must not fire
 * again for a file it already saw: the store keeps a schedule's last fire and a folder's
 * file index (store.h, enum fg_mark_kind). This module reads them once, before the store's
 * thread starts, into one array sorted by kind then key, so a schedule's last fire is a
 * binary search and a folder's entries are one contiguous run found by prefix (O(log n + k)).
 * The array is a snapshot and is never updated; marks written later (fg_mark_write, and a
 * fire's own mark once the store committed its event, fg_mark_seen) go to the store and to
 * a hash map beside the array that lookups consult first, so an adapter a reload starts
 * again sees what its predecessor fired for. Loop thread only; the router
 * owns one (struct fg_router's marks) and serves router.h's trigger-state calls from it.
 * Tests: tests/unit/test_router.c (lookups), tests/integration/test_schedule.py and
 * test_fs.py (restarts). */
#ifndef FG_MARK_H
#define FG_MARK_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/err.h"
#include "../core/strmap.h"
#include "store.h"

struct fg_marks {
    struct fg_store *store;     /* borrowed: where fg_mark_write sends marks; NULL: nowhere */
    struct fg_mark *v;          /* sorted by kind, then key (after fg_mark_sort); keys owned */
    size_t n, cap;
    struct fg_strmap later;     /* kind letter + key -> owned struct fg_mark: since the load */
};

/* Reads every mark the store holds into m (zeroed by the caller, or fresh from
 * fg_mark_close) and keeps store, borrowed until fg_mark_close, for fg_mark_write. Before
 * fg_store_start. 0, or the store's error with err filled; m is sound either way. */
int fg_mark_load(struct fg_marks *m, struct fg_store *store, struct fg_err *err) FG_MUST_CHECK;

/* Adds a mark to the snapshot (key copied), leaving it unsorted until fg_mark_sort:
 * fg_mark_load is built on these two, and tests fill a snapshot without a store. Out of
 * memory drops the mark, which then counts as never seen: a schedule does not catch up, a
 * file fires again; nothing fires twice for one tick. */
void fg_mark_add(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b);
void fg_mark_sort(struct fg_marks *m);

/* The last fire (epoch s) of schedule name: true and *last_fire set, or false for a
 * schedule never seen. */
bool fg_mark_last_fire(const struct fg_marks *m, const char *name, long long *last_fire);

/* Runs cb, inside this call, for every file entry whose key starts with prefix, in key order:
 * path is the rest of the key (valid during the call), size in bytes, mtime in ns. */
typedef void fg_mark_file_fn(void *arg, const char *path, long long size, long long mtime_ns);
void fg_mark_each_file(const struct fg_marks *m, const char *prefix, fg_mark_file_fn *cb, void *arg);

/* Fire and forget: queues a mark for the store's next commit (fg_store_mark) and records it
 * (fg_mark_seen). Nothing is queued without a store. */
void fg_mark_write(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b);

/* Records a mark the store has (an event's, after its commit) for later lookups. Out of
 * memory forgets it, as fg_mark_add says. */
void fg_mark_seen(struct fg_marks *m, enum fg_mark_kind kind, const char *key, long long a, long long b);

/* Frees the snapshot and forgets the store; m may be loaded again. */
void fg_mark_close(struct fg_marks *m);

#endif

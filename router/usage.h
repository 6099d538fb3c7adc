/* SPDX-License-Identifier: MIT */
/* usage.h - what Lambda would bill, recorded: requests and billed milliseconds per function,
 * memory size and hour, kept under state_dir/usage/ for `fngate cost`.
 *
 * Why it exists: the bill needs every REPORT's Billed Duration and Memory Size for months
 * (the free tier is monthly, and a year back is a fair question), which the log store keeps
 * only 30 days and at a far greater size. An hour's figures for a function are one line:
 *
 *     {"hour":1764691200000,"function":"Thumbnail","memory_mb":128,"requests":12,"billed_ms":4803}
 *
 * in a file per UTC day (usage/2026-12-02.jsonl). DESIGN: figures add up in memory and are
 * appended every FG_USAGE_FLUSH_MS (and before a read, and at close), so a crash loses at
 * most those seconds; a day may thus hold several lines for one key, which reading sums and
 * which the day's file loses once the day is over (rewritten with one line a key, through a
 * rename). Files older than FG_USAGE_KEEP_DAYS are deleted. One thread (the log store's
 * writer) owns a struct fg_usage. Tests: tests/unit/test_usage.c, tests/integration/test_logs.py (cost). */
#ifndef FG_USAGE_H
#define FG_USAGE_H

#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"

#define FG_USAGE_FLUSH_MS 5000
#define FG_USAGE_KEEP_DAYS 400
#define FG_USAGE_HOUR_MS 3600000LL

struct fg_usage;

/* Creates dir if needed. Returns owned (fg_usage_close), or NULL with err filled. Borrows
 * nothing. */
struct fg_usage *fg_usage_open(const char *dir, struct fg_err *err);

/* One invocation's figures (fn[0..fn_len), at ts_ms). Memory only: fg_usage_flush writes. */
void fg_usage_add(struct fg_usage *u, const char *fn, size_t fn_len, long long ts_ms, long long billed_ms,
                  int memory_mb);

/* Appends what was added since the last flush. 0, or -errno: the figures stay in memory
 * and the next flush tries again. */
int fg_usage_flush(struct fg_usage *u);

/* Day files that ended: rewritten with one line a key; beyond FG_USAGE_KEEP_DAYS: deleted.
 * Cheap when nothing changed since the last call (it remembers the last day it did). */
void fg_usage_maintain(struct fg_usage *u, long long now_ms);

/* Flushes, then writes {"usage":[{hour, function, memory_mb, requests, billed_ms}, ...]} into
 * out: every hour starting in [since_ms rounded down to its hour, until_ms] (until_ms 0:
 * no end), of function (NULL or "": all), oldest first. 0 or a negative code (a fg_buf
 * error, -errno reading). */
int fg_usage_read(struct fg_usage *u, long long since_ms, long long until_ms, const char *function,
                  struct fg_buf *out);

/* Flushes and frees (NULL allowed). */
void fg_usage_close(struct fg_usage *u);

#endif

/* SPDX-License-Identifier: MIT */
/* logseg.h - a function's log directory: segment files named by the time of their first line.
 *
 * Why it exists: the log store's writer (logstore.c) appends segments and deletes the oldest,
 * its reader (logread.c) picks segments by time and reads them; both agree here on what a
 * segment is. state_dir/logs/FUNCTION/ holds "<epoch ms, 13 digits>.jsonl" files; a segment
 * holds the lines from its name's time until the next segment's, one record a line:
 *
 *     {"ts":1764693331123,"request_id":"8f0e...","line":"START RequestId: 8f0e... Version: $LATEST"}
 *
 * ("request_id" only for lines printed during an invocation; "line" is the function log
 * stream's text line without its timestamp and "[FUNCTION] " prefix). Names sort as times,
 * so picking the segments of a time window is a look at their names. Pure helpers over the
 * file system; any thread. Tests: tests/integration/test_logs.py. */
#ifndef FG_LOGSEG_H
#define FG_LOGSEG_H

#include <stdbool.h>
#include <stddef.h>

/* The prefix every record starts with: a line without it is not a record (a damaged file). */
#define FG_LOGSEG_RECORD_PREFIX "{\"ts\":"

struct fg_logseg {
    long long start_ms;         /* from the name: no line in it is older (unless the clock went back) */
    long long size;             /* bytes when listed */
    long long mtime_ms;         /* its last write */
};

/* The segments in dir, oldest first. 0 with an owned array in *out (free(); NULL when
 * there are none) and its length in *n, or -errno (-ENOENT: no such directory). */
int fg_logseg_list(const char *dir, struct fg_logseg **out, size_t *n);

/* "dir/<start_ms>.jsonl" into out. */
void fg_logseg_path(char *out, size_t size, const char *dir, long long start_ms);

/* Whether name can be a function's directory: a function name as the configuration allows
 * it (letters, digits, '-', '_'; 1..64 characters), so never "..", "/" or empty. */
bool fg_logseg_name_ok(const char *name);

/* The record's "ts" (epoch ms) when line[0..len) starts as a record does; -1 otherwise. */
long long fg_logseg_record_ts(const char *line, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/* fs.h - file-system helpers shared by the layers that create fngate's directories.
 * Tests: tests/unit/test_core.c, tests/integration (folders, the S3 endpoint). */
#ifndef FG_CORE_FS_H
#define FG_CORE_FS_H

#include <stdbool.h>
#include <sys/stat.h>

/* mkdir -p: creates path and its missing parents (mode 0755). 0 or -errno. */
int fg_mkdirs(const char *path);

/* Writes the string val to the existing file path in one write (a sysfs or cgroup file,
 * where one write is one setting). 0 or -errno. */
int fg_fs_write_str(const char *path, const char *val);

/* The same with a number written in decimal (a pid into cgroup.procs, a limit). */
int fg_fs_write_int(const char *path, long long v);

/* Calls fn for every regular file in base/rel ("" = base itself), and below it when
 * recursive, with its path relative to base and its stat. Symbolic links are not followed
 * (a link out of a folder is not its content); more than 64 levels are not entered.
 * Unreadable directories are skipped. */
typedef void fg_walk_fn(void *arg, const char *rel, const struct stat *st);
void fg_walk_files(const char *base, const char *rel, bool recursive, fg_walk_fn *fn, void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/* fs.h - file-system helpers shared by the layers that create fngate's directories.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_FS_H
#define FG_FS_H

/* mkdir -p: creates path and its missing parents (mode 0755). 0 or -errno. */
int fg_mkdirs(const char *path);

#endif

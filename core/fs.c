/* SPDX-License-Identifier: MIT */
/* fs.c - see fs.h. */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fg_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int fg_fs_write_str(const char *path, const char *val)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;
    if (fd < 0)
        return -errno;
    if (write(fd, val, strlen(val)) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int fg_fs_write_int(const char *path, long long v)
{
    char val[24];
    snprintf(val, sizeof(val), "%lld", v);
    return fg_fs_write_str(path, val);
}

static void fs_walk(const char *base, const char *rel, bool recursive, fg_walk_fn *fn, void *arg, int depth)
{
    char dir[8192];
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s%s%s", base, *rel ? "/" : "", rel);
    if (depth > 64 || !(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        char sub[8192];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && recursive)
            fs_walk(base, sub, recursive, fn, arg, depth + 1);
        else if (S_ISREG(st.st_mode))
            fn(arg, sub, &st);
    }
    closedir(d);
}

void fg_walk_files(const char *base, const char *rel, bool recursive, fg_walk_fn *fn, void *arg)
{
    fs_walk(base, rel, recursive, fn, arg, 0);
}

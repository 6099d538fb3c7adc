/* SPDX-License-Identifier: MIT */
/* logseg.c - segment names and listings of a function's log directory (see logseg.h). */
#include "logseg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Epoch ms take 13 digits from 2001 to 2286. */
#define LOGSEG_DIGITS 13

static int logseg_cmp(const void *a, const void *b)
{
    long long x = ((const struct fg_logseg *)a)->start_ms, y = ((const struct fg_logseg *)b)->start_ms;
    return x < y ? -1 : x > y;
}

/* The start of a segment called name, or -1 for any other file. */
static long long logseg_parse_name(const char *name)
{
    long long v = 0;
    for (int i = 0; i < LOGSEG_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return strcmp(name + LOGSEG_DIGITS, ".jsonl") ? -1 : v;
}

int fg_logseg_list(const char *dir, struct fg_logseg **out, size_t *n)
{
    DIR *d = opendir(dir);
    struct fg_logseg *segs = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;

    *out = NULL;
    *n = 0;
    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        long long start = logseg_parse_name(e->d_name);
        char path[4096];
        struct stat st;
        if (start < 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;                   /* deleted since readdir, or not ours */
        if (len == cap) {
            struct fg_logseg *grown = realloc(segs, (cap = cap ? cap * 2 : 16) * sizeof(*segs));
            if (!grown) {
                free(segs);
                closedir(d);
                return -ENOMEM;
            }
            segs = grown;
        }
        segs[len++] = (struct fg_logseg){ start, (long long)st.st_size,
                                          (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 };
    }
    closedir(d);
    if (len)
        qsort(segs, len, sizeof(*segs), logseg_cmp);
    *out = segs;
    *n = len;
    return 0;
}

void fg_logseg_path(char *out, size_t size, const char *dir, long long start_ms)
{
    snprintf(out, size, "%s/%0*lld.jsonl", dir, LOGSEG_DIGITS, start_ms);
}

bool fg_logseg_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

long long fg_logseg_record_ts(const char *line, size_t len)
{
    const size_t plen = sizeof(FG_LOGSEG_RECORD_PREFIX) - 1;
    long long v = 0;
    size_t i = plen;

    if (len < plen + 2 || memcmp(line, FG_LOGSEG_RECORD_PREFIX, plen) || line[len - 1] != '}')
        return -1;
    for (; i < len && line[i] >= '0' && line[i] <= '9' && i < plen + 18; i++)
        v = v * 10 + (line[i] - '0');
    return i > plen && i < len && line[i] == ',' ? v : -1;
}

/* SPDX-License-Identifier: MIT */
/* usage.c - hourly billing figures per function under state_dir/usage (see usage.h). */
#include "usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/strmap.h"

#define USAGE_DAY_MS 86400000LL

/* ------------------------------------------------------------------ types */

struct usage_sum {
    long long hour_ms;
    int memory_mb;
    char function[72];
    long long requests, billed_ms;
    bool written;               /* flushed: dropped from the pending table after the flush */
};

/* A table of sums keyed by hour, memory and function: pending figures, or a read's result. */
struct usage_table {
    struct fg_strmap index;     /* key → position + 1 in sums */
    struct usage_sum *sums;
    size_t n, cap;
};

struct fg_usage {
    char dir[PATH_MAX];
    struct usage_table pending;
    long long maintained_day;   /* the UTC day (days since the epoch) maintain last ran on */
};

/* ------------------------------------------------------------------ the table */

static void usage_table_init(struct usage_table *t)
{
    memset(t, 0, sizeof(*t));
    fg_strmap_init(&t->index);
}

static void usage_table_free(struct usage_table *t)
{
    fg_strmap_free(&t->index);
    free(t->sums);
    memset(t, 0, sizeof(*t));
}

/* Adds requests and billed_ms to the key's sum. 0 or -ENOMEM (nothing added). */
static int usage_table_add(struct usage_table *t, long long hour_ms, int memory_mb, const char *fn, size_t fn_len,
                           long long requests, long long billed_ms)
{
    char key[128];
    void *at;

    if (fn_len >= sizeof(t->sums[0].function))
        fn_len = sizeof(t->sums[0].function) - 1;
    snprintf(key, sizeof(key), "%lld/%d/%.*s", hour_ms, memory_mb, (int)fn_len, fn);
    if (!(at = fg_strmap_get(&t->index, key))) {
        struct usage_sum *s;
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 16;
            struct usage_sum *grown = realloc(t->sums, cap * sizeof(*grown));
            if (!grown)
                return -ENOMEM;
            t->sums = grown;
            t->cap = cap;
        }
        if (fg_strmap_put(&t->index, key, (void *)(t->n + 1)) < 0)
            return -ENOMEM;
        s = &t->sums[t->n];
        memset(s, 0, sizeof(*s));
        s->hour_ms = hour_ms;
        s->memory_mb = memory_mb;
        memcpy(s->function, fn, fn_len);
        at = (void *)++t->n;
    }
    t->sums[(size_t)at - 1].requests += requests;
    t->sums[(size_t)at - 1].billed_ms += billed_ms;
    return 0;
}

/* The table without its written sums (their keys too). */
static void usage_table_drop_written(struct usage_table *t)
{
    struct usage_table keep;
    usage_table_init(&keep);
    for (size_t i = 0; i < t->n; i++) {
        const struct usage_sum *s = &t->sums[i];
        if (!s->written && usage_table_add(&keep, s->hour_ms, s->memory_mb, s->function, strlen(s->function),
                                           s->requests, s->billed_ms) < 0)
            break;                      /* out of memory: those figures are lost */
    }
    usage_table_free(t);
    *t = keep;
}

static int usage_cmp(const void *a, const void *b)
{
    const struct usage_sum *x = a, *y = b;
    int c;
    if (x->hour_ms != y->hour_ms)
        return x->hour_ms < y->hour_ms ? -1 : 1;
    if ((c = strcmp(x->function, y->function)))
        return c;
    return (x->memory_mb > y->memory_mb) - (x->memory_mb < y->memory_mb);
}

/* One sum as a file line or an answer's element (no newline). */
static void usage_write_sum(struct fg_buf *b, const struct usage_sum *s)
{
    char num[160];
    snprintf(num, sizeof(num), "{\"hour\":%lld", s->hour_ms);
    fg_buf_append_str(b, num);
    fg_json_write_field(b, ",\"function\":", s->function);
    snprintf(num, sizeof(num), ",\"memory_mb\":%d,\"requests\":%lld,\"billed_ms\":%lld}", s->memory_mb, s->requests,
             s->billed_ms);
    fg_buf_append_str(b, num);
}

/* ------------------------------------------------------------------ day files */

static long long usage_day(long long ms)
{
    return ms >= 0 ? ms / USAGE_DAY_MS : (ms - USAGE_DAY_MS + 1) / USAGE_DAY_MS;
}

static void usage_day_path(const struct fg_usage *u, long long day, char *out, size_t size)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "%s/%04d-%02d-%02d.jsonl", u->dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The day a file called name holds, or -1 for any other file. */
static long long usage_parse_day(const char *name)
{
    struct tm tm;
    int y, m, d, n = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(name, "%4d-%2d-%2d.jsonl%n", &y, &m, &d, &n) != 3 || n != 16 || name[n])
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (long long)timegm(&tm) / 86400;
}

/* Adds every line of a day file to t; *lines counts them. 0, or -errno (-ENOENT: none). */
static int usage_read_day(const char *path, struct usage_table *t, long long from_hour, long long until_ms,
                          const char *function, size_t *lines)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (!f)
        return -errno;
    while ((n = getline(&line, &cap, f)) > 0 && rc == 0) {
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        json_t *fn = json_object_get(j, "function");
        long long hour = json_integer_value(json_object_get(j, "hour"));
        if (json_is_string(fn) && json_is_integer(json_object_get(j, "hour"))) {
            (*lines)++;
            if (hour >= from_hour && (!until_ms || hour <= until_ms) &&
                (!function || !*function || !strcmp(function, json_string_value(fn))))
                rc = usage_table_add(t, hour, (int)json_integer_value(json_object_get(j, "memory_mb")),
                                     json_string_value(fn), json_string_length(fn),
                                     json_integer_value(json_object_get(j, "requests")),
                                     json_integer_value(json_object_get(j, "billed_ms")));
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    return rc;
}

/* Writes all of b to fd; a failure takes back what it wrote. 0 or -errno. */
static int usage_write_all(int fd, const struct fg_buf *b)
{
    off_t start = lseek(fd, 0, SEEK_END);
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int rc = n < 0 ? -errno : -EIO;
            if (start >= 0 && ftruncate(fd, start) < 0) {
                /* The partial line stays; reading skips what does not parse. */
            }
            return rc;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Rewrites a finished day's file with one line a key when it has more. */
static void usage_compact(const char *path)
{
    struct usage_table t;
    struct fg_buf b;
    char tmp[PATH_MAX + 8];
    size_t lines = 0;
    int fd, rc;

    usage_table_init(&t);
    if (usage_read_day(path, &t, LLONG_MIN, 0, NULL, &lines) < 0 || lines <= t.n) {
        usage_table_free(&t);
        return;
    }
    fg_buf_init(&b, 256u << 20);
    if (t.n)
        qsort(t.sums, t.n, sizeof(*t.sums), usage_cmp);
    for (size_t i = 0; i < t.n; i++) {
        usage_write_sum(&b, &t.sums[i]);
        fg_buf_append(&b, "\n", 1);
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    rc = b.err;
    if (rc == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) >= 0) {
        rc = usage_write_all(fd, &b);
        if (rc == 0 && fsync(fd) < 0)
            rc = -errno;
        close(fd);
        if (rc == 0 && rename(tmp, path) < 0)
            rc = -errno;
        if (rc < 0)
            unlink(tmp);
    } else if (rc == 0) {
        rc = -errno;
    }
    if (rc < 0)
        fg_log(FG_LOG_WARN, "logs", "cannot compact %s: %s", path, fg_strerror(rc));
    fg_buf_free(&b);
    usage_table_free(&t);
}

/* ------------------------------------------------------------------ API */

struct fg_usage *fg_usage_open(const char *dir, struct fg_err *err)
{
    struct fg_usage *u;
    int rc;

    if ((rc = fg_mkdirs(dir)) < 0) {
        fg_err_set(err, rc, "cannot create %s: %s", dir, strerror(-rc));
        return NULL;
    }
    if (!(u = calloc(1, sizeof(*u)))) {
        fg_err_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(u->dir, sizeof(u->dir), "%s", dir);
    usage_table_init(&u->pending);
    u->maintained_day = -1;
    return u;
}

void fg_usage_add(struct fg_usage *u, const char *fn, size_t fn_len, long long ts_ms, long long billed_ms,
                  int memory_mb)
{
    long long hour = ts_ms - ((ts_ms % FG_USAGE_HOUR_MS) + FG_USAGE_HOUR_MS) % FG_USAGE_HOUR_MS;
    if (usage_table_add(&u->pending, hour, memory_mb, fn, fn_len, 1, billed_ms) < 0)
        fg_log(FG_LOG_WARN, "logs", "out of memory: an invocation of %.*s is not recorded for the bill", (int)fn_len,
               fn);
}

int fg_usage_flush(struct fg_usage *u)
{
    struct fg_buf b;
    int rc = 0;

    if (!u->pending.n)
        return 0;
    fg_buf_init(&b, 64u << 20);
    /* A file per day: the sums of the first unwritten one's day, then the next day's. */
    for (size_t i = 0; i < u->pending.n; i++) {
        long long day = usage_day(u->pending.sums[i].hour_ms);
        char path[PATH_MAX + 32];
        int fd, wrc;
        if (u->pending.sums[i].written)
            continue;
        fg_buf_reset(&b);
        for (size_t j = i; j < u->pending.n; j++)
            if (!u->pending.sums[j].written && usage_day(u->pending.sums[j].hour_ms) == day) {
                usage_write_sum(&b, &u->pending.sums[j]);
                fg_buf_append(&b, "\n", 1);
            }
        usage_day_path(u, day, path, sizeof(path));
        if ((wrc = b.err) == 0) {
            if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0) {
                wrc = -errno;
            } else {
                /* A few lines every FG_USAGE_FLUSH_MS: the bill is worth an fsync each. */
                if ((wrc = usage_write_all(fd, &b)) == 0 && fdatasync(fd) < 0)
                    fg_log(FG_LOG_WARN, "logs", "fdatasync %s: %s", path, strerror(errno));
                close(fd);
            }
        }
        if (wrc < 0) {
            rc = rc ? rc : wrc;
            continue;
        }
        for (size_t j = i; j < u->pending.n; j++)
            if (usage_day(u->pending.sums[j].hour_ms) == day)
                u->pending.sums[j].written = true;
    }
    fg_buf_free(&b);
    usage_table_drop_written(&u->pending);
    return rc;
}

void fg_usage_maintain(struct fg_usage *u, long long now_ms)
{
    long long today = usage_day(now_ms);
    DIR *d;
    struct dirent *e;

    if (u->maintained_day == today)
        return;
    u->maintained_day = today;
    if (fg_usage_flush(u) < 0 || !(d = opendir(u->dir)))
        return;
    while ((e = readdir(d))) {
        long long day = usage_parse_day(e->d_name);
        char path[PATH_MAX + 300];
        if (day < 0 || day >= today)
            continue;
        snprintf(path, sizeof(path), "%s/%s", u->dir, e->d_name);
        if (day < today - FG_USAGE_KEEP_DAYS)
            unlink(path);
        else
            usage_compact(path);
    }
    closedir(d);
}

int fg_usage_read(struct fg_usage *u, long long since_ms, long long until_ms, const char *function,
                  struct fg_buf *out)
{
    long long from_hour = since_ms - ((since_ms % FG_USAGE_HOUR_MS) + FG_USAGE_HOUR_MS) % FG_USAGE_HOUR_MS;
    long long first = usage_day(from_hour), last = until_ms ? usage_day(until_ms) : LLONG_MAX;
    struct usage_table t;
    DIR *d;
    struct dirent *e;
    size_t lines = 0;
    int rc;

    if ((rc = fg_usage_flush(u)) < 0)
        fg_log(FG_LOG_WARN, "logs", "cannot write usage figures to %s: %s (kept in memory)", u->dir, fg_strerror(rc));
    usage_table_init(&t);
    rc = 0;
    if ((d = opendir(u->dir))) {
        while (rc == 0 && (e = readdir(d))) {
            long long day = usage_parse_day(e->d_name);
            char path[PATH_MAX + 300];
            if (day < 0 || day < first || day > last)
                continue;
            snprintf(path, sizeof(path), "%s/%s", u->dir, e->d_name);
            if ((rc = usage_read_day(path, &t, from_hour, until_ms, function, &lines)) == -ENOENT)
                rc = 0;                 /* deleted since readdir */
        }
        closedir(d);
    }
    /* Figures not written yet (the disk refused them) are still the bill's. */
    for (size_t i = 0; rc == 0 && i < u->pending.n; i++) {
        const struct usage_sum *s = &u->pending.sums[i];
        if (s->hour_ms >= from_hour && (!until_ms || s->hour_ms <= until_ms) &&
            (!function || !*function || !strcmp(function, s->function)))
            rc = usage_table_add(&t, s->hour_ms, s->memory_mb, s->function, strlen(s->function), s->requests,
                                 s->billed_ms);
    }
    if (t.n)
        qsort(t.sums, t.n, sizeof(*t.sums), usage_cmp);
    fg_buf_append_str(out, "{\"usage\":[");
    for (size_t i = 0; i < t.n; i++) {
        if (i)
            fg_buf_append(out, ",", 1);
        usage_write_sum(out, &t.sums[i]);
    }
    fg_buf_append_str(out, "]}");
    usage_table_free(&t);
    return rc < 0 ? rc : out->err;
}

void fg_usage_close(struct fg_usage *u)
{
    int rc;
    if (!u)
        return;
    if ((rc = fg_usage_flush(u)) < 0)
        fg_log(FG_LOG_ERROR, "logs", "usage figures lost at stop: cannot write to %s: %s", u->dir, fg_strerror(rc));
    usage_table_free(&u->pending);
    free(u);
}

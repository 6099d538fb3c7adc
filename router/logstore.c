/* SPDX-License-Identifier: MIT */
/* logstore.c - the function log store's loop side and its writer thread: batches, segment
 * files, retention (see logstore.h; logread.c answers questions, usage.c keeps the bill).
 *
 * DESIGN: a batch packs records as a small header and the bytes of the function name, the
 * request id and the line, so the loop pays a copy per line and no JSON; the writer turns
 * them into JSON lines, gathering each function's into one buffer over all the batches of
 * a round, and writes each with one write(2). A write that fails is taken back (ftruncate to where the segment ended),
 * so a segment never holds half a record, and its lines are counted as dropped. The
 * writer owns everything below "writer thread"; the loop owns the current batch; the two
 * share only the queue, the byte count and the counters. */
#include "logstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/strmap.h"
#include "../core/workq.h"
#include "logseg.h"
#include "usage.h"

/* A batch holds at most this many bytes of lines before the loop hands it over early. */
#define LOGSTORE_BATCH_BYTES (1u << 20)
#define LOGSTORE_HOUR_MS 3600000LL
/* Segments are an eighth of max_size, within these bounds. */
#define LOGSTORE_SEG_MIN (4LL << 10)
#define LOGSTORE_SEG_MAX (16LL << 20)
/* Batches the writer hands back for reuse, at most, and the largest buffer it keeps: the
 * loop then allocates nothing per iteration, and a burst's big batches are not kept. */
#define LOGSTORE_SPARES 8
#define LOGSTORE_SPARE_BYTES (256u << 10)
/* The writer looks at the clock (usage flush, retention) at least this often. */
#define LOGSTORE_TICK_MS 1000
/* After a round of writes the writer lets batches gather this long: under load it writes
 * a function's lines of many loop iterations at once, and the loop's hand-overs do not
 * wake it each time. */
#define LOGSTORE_COALESCE_MS 10

/* ------------------------------------------------------------------ types */

enum logstore_line_kind {
    LOGSTORE_PLATFORM = 0,          /* START, END, REPORT, ...: the line as it is */
    LOGSTORE_OUTPUT,                /* what the function printed: "REQUEST_ID\t" before it */
};

/* A line in a batch: this header, then the function name, the request id and the line. */
struct logstore_rec {
    long long ts_ms;
    unsigned line_len;
    unsigned char fn_len, rid_len, kind;
};

/* A REPORT's figures in a batch: this header, then the function name. */
struct logstore_use {
    long long ts_ms, billed_ms;
    int memory_mb;
    unsigned char fn_len;
};

enum logstore_item_kind {
    LOGSTORE_BATCH = 0,             /* lines and figures from the loop */
    LOGSTORE_USAGE_QUERY,           /* a usage question (logread.h) */
};

struct logstore_batch {
    struct fg_workq_item item;
    enum logstore_item_kind kind;
    unsigned long long seq;         /* BATCH: its number in fg_log_progress.handed */
    struct fg_buf lines;            /* packed struct logstore_rec */
    size_t n_lines;
    struct fg_buf usage;            /* packed struct logstore_use */
    struct fg_log_query *q;         /* USAGE_QUERY */
};

/* Writer thread: one function's segments. */
struct logstore_fn {
    char dir[PATH_MAX];
    int fd;                         /* the open segment, or -1 */
    long long seg_start, seg_end;   /* its name's time; the top of the hour it ends at */
    long long seg_bytes;
    long long total_bytes;          /* of all its segments */
    struct fg_buf pending;          /* JSON lines for the open segment */
    size_t pending_lines;
    struct logstore_fn *next_dirty;
    bool dirty;
};

struct fg_logstore {
    /* set at open, read-only after */
    char logs_dir[PATH_MAX];        /* state_dir/logs, "" when lines are not kept */
    long long retention_ms, max_bytes, seg_max;
    /* loop thread */
    struct logstore_batch *cur;
    struct fg_workq_item *spares;   /* taken from spare_q, not used yet */
    struct fg_log_limit drop_log;
    /* shared */
    atomic_size_t queued_bytes;
    atomic_ullong dropped;
    struct fg_log_progress progress;
    struct fg_workq wq;
    struct fg_workq spare_q;        /* emptied batches, from the writer back to the loop */
    atomic_uint n_spares;
    /* writer thread */
    pthread_t writer;
    bool writer_started, stopped;
    struct fg_strmap fns;           /* name → struct logstore_fn */
    struct logstore_fn *dirty;
    struct fg_usage *usage;         /* NULL when logs.usage is false */
    long long last_trim_ms, last_flush_ms;
    struct fg_log_limit fail_log;
    struct fg_buf scratch;          /* an output line with its request id before it */
    /* the reader thread */
    struct fg_logread reader;
};

/* ------------------------------------------------------------------ batches (loop thread) */

static void logstore_batch_free(struct logstore_batch *b)
{
    if (!b)
        return;
    fg_buf_free(&b->lines);
    fg_buf_free(&b->usage);
    free(b);
}

static struct logstore_batch *logstore_batch_new(enum logstore_item_kind kind)
{
    struct logstore_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->kind = kind;
    fg_buf_init(&b->lines, LOGSTORE_BATCH_BYTES + sizeof(struct logstore_rec) + 128 + FG_LOGSTORE_LINE_MAX);
    fg_buf_init(&b->usage, 64u << 20);
    return b;
}

static struct logstore_batch *logstore_batch_of(struct fg_workq_item *it)
{
    return (struct logstore_batch *)((char *)it - offsetof(struct logstore_batch, item));
}

/* Loop thread: the batch to add to, a spare one when the writer handed some back. */
static struct logstore_batch *logstore_cur(struct fg_logstore *s)
{
    struct logstore_batch *b;
    if (s->cur)
        return s->cur;
    if (!s->spares)
        s->spares = fg_workq_take_all(&s->spare_q, 0);
    if (!s->spares)
        return s->cur = logstore_batch_new(LOGSTORE_BATCH);
    b = logstore_batch_of(s->spares);
    s->spares = s->spares->next;
    atomic_fetch_sub(&s->n_spares, 1);
    return s->cur = b;
}

/* Writer thread: b is done; kept for the loop to fill again, or freed. */
static void logstore_batch_done(struct fg_logstore *s, struct logstore_batch *b)
{
    if (b->kind != LOGSTORE_BATCH || b->lines.cap > LOGSTORE_SPARE_BYTES || b->usage.cap > LOGSTORE_SPARE_BYTES ||
        atomic_load(&s->n_spares) >= LOGSTORE_SPARES) {
        logstore_batch_free(b);
        return;
    }
    fg_buf_reset(&b->lines);
    fg_buf_reset(&b->usage);
    b->n_lines = 0;
    b->seq = 0;
    atomic_fetch_add(&s->n_spares, 1);
    fg_workq_push(&s->spare_q, &b->item);
}

/* The lines of a batch the store cannot take, counted (and logged once a minute). */
static void logstore_drop(struct fg_logstore *s, size_t n, const char *why)
{
    unsigned held;
    if (!n)
        return;
    atomic_fetch_add(&s->dropped, n);
    if (fg_log_limit_pass(&s->drop_log, fg_mono_us(), 60000000, &held))
        fg_log(FG_LOG_WARN, "logs", "%zu function log line(s) not kept: %s (%u more such line(s) since the last; "
               "fngate_log_lines_dropped_total counts them)", n, why, held);
}

static void logstore_add(struct fg_logstore *s, enum logstore_line_kind kind, const char *fn, const char *rid,
                         long long ts_ms, const char *line, size_t len)
{
    struct logstore_rec h;
    size_t mark;

    if (!s || !s->logs_dir[0])
        return;
    if (s->cur && s->cur->lines.len >= LOGSTORE_BATCH_BYTES)
        fg_logstore_flush(s);
    if (!logstore_cur(s)) {
        logstore_drop(s, 1, "out of memory");
        return;
    }
    memset(&h, 0, sizeof(h));
    h.ts_ms = ts_ms;
    h.kind = (unsigned char)kind;
    h.fn_len = (unsigned char)strnlen(fn, 64);
    h.rid_len = (unsigned char)(rid ? strnlen(rid, FG_ID_LEN) : 0);
    h.line_len = (unsigned)(len < FG_LOGSTORE_LINE_MAX ? len : FG_LOGSTORE_LINE_MAX);
    mark = s->cur->lines.len;
    fg_buf_append(&s->cur->lines, &h, sizeof(h));
    fg_buf_append(&s->cur->lines, fn, h.fn_len);
    fg_buf_append(&s->cur->lines, rid ? rid : "", h.rid_len);
    if (fg_buf_append(&s->cur->lines, line, h.line_len) < 0) {
        fg_buf_truncate(&s->cur->lines, mark);
        logstore_drop(s, 1, "out of memory");
        return;
    }
    s->cur->n_lines++;
}

void fg_logstore_line(struct fg_logstore *s, const char *fn, const char *request_id, long long ts_ms,
                      const char *line, size_t len)
{
    logstore_add(s, LOGSTORE_PLATFORM, fn, request_id, ts_ms, line, len);
}

void fg_logstore_output(struct fg_logstore *s, const char *fn, const char *request_id, long long ts_ms,
                        const char *line, size_t len)
{
    logstore_add(s, LOGSTORE_OUTPUT, fn, request_id, ts_ms, line, len);
}

void fg_logstore_usage(struct fg_logstore *s, const char *fn, long long ts_ms, long long billed_ms, int memory_mb)
{
    struct logstore_use u;
    size_t mark;

    if (!s || !s->usage)
        return;
    if (!logstore_cur(s)) {
        fg_log(FG_LOG_WARN, "logs", "out of memory: an invocation of %s is not recorded for the bill", fn);
        return;
    }
    memset(&u, 0, sizeof(u));
    u.ts_ms = ts_ms;
    u.billed_ms = billed_ms;
    u.memory_mb = memory_mb;
    u.fn_len = (unsigned char)strnlen(fn, 64);
    mark = s->cur->usage.len;
    fg_buf_append(&s->cur->usage, &u, sizeof(u));
    if (fg_buf_append(&s->cur->usage, fn, u.fn_len) < 0) {
        fg_buf_truncate(&s->cur->usage, mark);
        fg_log(FG_LOG_WARN, "logs", "out of memory: an invocation of %s is not recorded for the bill", fn);
    }
}

void fg_logstore_flush(struct fg_logstore *s)
{
    struct logstore_batch *b;
    size_t bytes;

    if (!s || !(b = s->cur))
        return;
    s->cur = NULL;
    /* The writer is too far behind: the lines go, the bill's figures still go over. */
    if (atomic_load(&s->queued_bytes) + b->lines.len > FG_LOGSTORE_QUEUE_BYTES) {
        logstore_drop(s, b->n_lines, "the log writer is behind (disk too slow)");
        fg_buf_free(&b->lines);
        b->n_lines = 0;
    }
    if (!b->n_lines && !b->usage.len) {
        logstore_batch_free(b);     /* (dropped lines: its buffer is gone) */
        return;
    }
    bytes = b->lines.len + b->usage.len;
    atomic_fetch_add(&s->queued_bytes, bytes);
    b->seq = atomic_fetch_add(&s->progress.handed, 1) + 1;
    if (!fg_workq_offer(&s->wq, &b->item)) {
        atomic_fetch_sub(&s->queued_bytes, bytes);
        logstore_drop(s, b->n_lines, "the log store is stopping");
        logstore_batch_free(b);
    }
}

/* ------------------------------------------------------------------ segments (writer thread) */

static void logstore_fail(struct fg_logstore *s, const char *what, const char *path, int rc, size_t lines)
{
    unsigned held;
    atomic_fetch_add(&s->dropped, lines);
    if (fg_log_limit_pass(&s->fail_log, fg_mono_us(), 60000000, &held))
        fg_log(FG_LOG_WARN, "logs", "cannot %s %s: %s; %zu function log line(s) not kept (%u more such failure(s) "
               "since the last line)", what, path, fg_strerror(rc), lines, held);
}

static void logstore_close_segment(struct logstore_fn *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* Appends f's pending lines to its open segment; a failure takes back what it wrote. */
static void logstore_write(struct fg_logstore *s, struct logstore_fn *f)
{
    size_t off = 0;
    int rc = 0;

    while (off < f->pending.len) {
        ssize_t n = write(f->fd, f->pending.data + off, f->pending.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -ENOSPC;
            break;
        }
        off += (size_t)n;
    }
    if (rc < 0) {
        char path[PATH_MAX];
        fg_logseg_path(path, sizeof(path), f->dir, f->seg_start);
        /* A partial line that cannot be taken back ends the segment: the next line starts
         * a new one, so nothing is ever appended to half a record. */
        if (off && ftruncate(f->fd, (off_t)f->seg_bytes) < 0)
            logstore_close_segment(f);
        logstore_fail(s, "write", path, rc, f->pending_lines);
    } else {
        f->seg_bytes += (long long)off;
        f->total_bytes += (long long)off;
    }
    fg_buf_reset(&f->pending);
    f->pending_lines = 0;
}

/* Deletes the oldest segments of dir while they are older than the retention or, with f
 * (the function's writer state, may be NULL), while f's lines are past max_size; the open
 * segment only when it is older than the retention. Updates f->total_bytes. */
static void logstore_trim_dir(struct fg_logstore *s, const char *dir, struct logstore_fn *f, long long now_ms)
{
    struct fg_logseg *segs;
    long long total = 0, cutoff = now_ms - s->retention_ms;
    size_t n, i;

    if (fg_logseg_list(dir, &segs, &n) < 0)
        return;
    for (i = 0; i < n; i++)
        total += segs[i].size;
    for (i = 0; i < n; i++) {
        char path[PATH_MAX];
        /* Its last line: no later than its last write, nor than the next segment's start. */
        long long end = i + 1 < n && segs[i + 1].start_ms < segs[i].mtime_ms ? segs[i + 1].start_ms : segs[i].mtime_ms;
        bool open = f && f->fd >= 0 && segs[i].start_ms == f->seg_start;
        bool old = end < cutoff;
        if (!old && (open || total <= s->max_bytes))
            break;
        if (open)
            logstore_close_segment(f);
        fg_logseg_path(path, sizeof(path), dir, segs[i].start_ms);
        if (unlink(path) == 0 || errno == ENOENT)
            total -= segs[i].size;
    }
    if (f)
        f->total_bytes = total;
    else if (n && i == n)
        rmdir(dir);                 /* every segment of a function not writing now went */
    free(segs);
}

/* Every function directory, written to or not (a function removed from the config). */
static void logstore_trim_all(struct fg_logstore *s, long long now_ms)
{
    DIR *d = opendir(s->logs_dir);
    struct dirent *e;

    s->last_trim_ms = now_ms;
    if (!d)
        return;
    while ((e = readdir(d))) {
        char dir[PATH_MAX];
        if (!fg_logseg_name_ok(e->d_name))
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", s->logs_dir, e->d_name);
        logstore_trim_dir(s, dir, fg_strmap_get(&s->fns, e->d_name), now_ms);
    }
    closedir(d);
}

/* Starts a segment for a line at ts_ms. 0 or -errno. */
static int logstore_open_segment(struct fg_logstore *s, struct logstore_fn *f, long long ts_ms)
{
    char path[PATH_MAX];
    long long start = ts_ms;

    for (int tries = 0; tries < 1000; tries++, start++) {
        fg_logseg_path(path, sizeof(path), f->dir, start);
        if ((f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640)) >= 0)
            break;
        if (errno == ENOENT && fg_mkdirs(f->dir) == 0)
            continue;               /* the directory was removed (trimmed empty) */
        if (errno != EEXIST)
            return -errno;
    }
    if (f->fd < 0)
        return -EEXIST;
    f->seg_start = start;
    f->seg_end = (ts_ms / LOGSTORE_HOUR_MS + 1) * LOGSTORE_HOUR_MS;
    f->seg_bytes = 0;
    logstore_trim_dir(s, f->dir, f, fg_now_ms());
    return 0;
}

/* The writer state of function name (NUL-terminated), made on its first line: 0 with *out,
 * or -errno (its directory cannot be made: a file in the way, a full disk). */
static int logstore_fn(struct fg_logstore *s, const char *name, struct logstore_fn **out)
{
    struct logstore_fn *f = fg_strmap_get(&s->fns, name);
    int rc;

    if ((*out = f))
        return 0;
    if (!fg_logseg_name_ok(name))
        return -EINVAL;
    if (!(f = calloc(1, sizeof(*f))))
        return -ENOMEM;
    f->fd = -1;
    snprintf(f->dir, sizeof(f->dir), "%s/%s", s->logs_dir, name);
    fg_buf_init(&f->pending, 2 * LOGSTORE_BATCH_BYTES + 8 * FG_LOGSTORE_LINE_MAX);
    if ((rc = fg_mkdirs(f->dir)) < 0 || (rc = fg_strmap_put(&s->fns, name, f)) < 0) {
        fg_buf_free(&f->pending);
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* One record into its function's pending lines, ending the open segment first when its
 * hour is over or it is full. */
static void logstore_put(struct fg_logstore *s, const struct logstore_rec *h, const char *fn, const char *rid,
                         const char *line)
{
    char name[72];
    struct logstore_fn *f;
    size_t mark;
    int rc;

    snprintf(name, sizeof(name), "%.*s", h->fn_len, fn);
    if ((rc = logstore_fn(s, name, &f)) < 0) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", s->logs_dir, name);
        logstore_fail(s, "create", dir, rc, 1);
        return;
    }
    if (f->pending.len >= LOGSTORE_BATCH_BYTES)
        logstore_write(s, f);       /* many batches gathered: keep the buffer small */
    if (f->fd >= 0 && (h->ts_ms >= f->seg_end || f->seg_bytes + (long long)f->pending.len >= s->seg_max)) {
        logstore_write(s, f);
        logstore_close_segment(f);
    }
    if (f->fd < 0 && (rc = logstore_open_segment(s, f, h->ts_ms)) < 0) {
        logstore_fail(s, "create a segment in", f->dir, rc, 1);
        return;
    }
    mark = f->pending.len;
    {
        char ts[32];
        snprintf(ts, sizeof(ts), FG_LOGSEG_RECORD_PREFIX "%lld", h->ts_ms);
        fg_buf_append_str(&f->pending, ts);
    }
    if (h->rid_len) {
        fg_buf_append_str(&f->pending, ",\"request_id\":");
        fg_json_write_text(&f->pending, rid, h->rid_len);
    }
    fg_buf_append_str(&f->pending, ",\"line\":");
    if (h->kind == LOGSTORE_OUTPUT && h->rid_len) {
        /* As the log stream shows it: the request id, a tab, the line. */
        fg_buf_reset(&s->scratch);
        fg_buf_append(&s->scratch, rid, h->rid_len);
        fg_buf_append(&s->scratch, "\t", 1);
        fg_buf_append(&s->scratch, line, h->line_len);
        fg_json_write_text(&f->pending, s->scratch.data, s->scratch.len);
    } else {
        fg_json_write_text(&f->pending, line, h->line_len);
    }
    if (s->scratch.err || fg_buf_append_str(&f->pending, "}\n") < 0) {
        fg_buf_truncate(&f->pending, mark);
        logstore_fail(s, "keep lines of", name, -ENOMEM, 1);
        return;
    }
    f->pending_lines++;
    if (!f->dirty) {
        f->dirty = true;
        f->next_dirty = s->dirty;
        s->dirty = f;
    }
}

/* ------------------------------------------------------------------ the writer thread */

/* A batch's records into their functions' pending lines and its figures into the usage;
 * returns its number (fg_log_progress.handed). */
static unsigned long long logstore_take_batch(struct fg_logstore *s, struct logstore_batch *b)
{
    for (size_t p = 0; p + sizeof(struct logstore_rec) <= b->lines.len;) {
        struct logstore_rec h;
        const char *at = b->lines.data + p + sizeof(h);
        memcpy(&h, b->lines.data + p, sizeof(h));
        logstore_put(s, &h, at, at + h.fn_len, at + h.fn_len + h.rid_len);
        p += sizeof(h) + h.fn_len + h.rid_len + h.line_len;
    }
    for (size_t p = 0; s->usage && p + sizeof(struct logstore_use) <= b->usage.len;) {
        struct logstore_use u;
        memcpy(&u, b->usage.data + p, sizeof(u));
        fg_usage_add(s->usage, b->usage.data + p + sizeof(u), u.fn_len, u.ts_ms, u.billed_ms, u.memory_mb);
        p += sizeof(u) + u.fn_len;
    }
    atomic_fetch_sub(&s->queued_bytes, b->lines.len + b->usage.len);
    return b->seq;
}

/* Writes every function's pending lines, then tells readers the batches up to seq (0:
 * none taken) are written. */
static void logstore_publish(struct fg_logstore *s, unsigned long long seq)
{
    while (s->dirty) {
        struct logstore_fn *f = s->dirty;
        s->dirty = f->next_dirty;
        f->dirty = false;
        f->next_dirty = NULL;
        if (f->pending.len)
            logstore_write(s, f);
    }
    if (!seq)
        return;
    atomic_store(&s->progress.written, seq);
    pthread_mutex_lock(&s->progress.lock);
    pthread_cond_broadcast(&s->progress.cond);
    pthread_mutex_unlock(&s->progress.lock);
}

static void logstore_run_usage_query(struct fg_logstore *s, struct fg_log_query *q)
{
    int rc;
    if (!s->usage) {
        fg_logread_refuse(q, 404, "usage is not recorded (logs.usage: false)");
    } else if ((rc = fg_usage_read(s->usage, q->since_ms, q->until_ms, q->function, &q->json)) < 0) {
        fg_log(FG_LOG_WARN, "logs", "cannot read the recorded usage: %s", fg_strerror(rc));
        fg_logread_refuse(q, 500, "cannot read the recorded usage (see the gateway log)");
    } else {
        q->status = 200;
    }
    q->done(q, q->done_arg);
}

static void logstore_tick(struct fg_logstore *s)
{
    long long now = fg_now_ms();
    unsigned held;
    int rc;
    if (s->usage && now - s->last_flush_ms >= FG_USAGE_FLUSH_MS) {
        s->last_flush_ms = now;
        if ((rc = fg_usage_flush(s->usage)) < 0 && fg_log_limit_pass(&s->fail_log, fg_mono_us(), 60000000, &held))
            fg_log(FG_LOG_WARN, "logs", "cannot write the usage figures: %s; kept in memory, tried again in %d s "
                   "(%u more such failure(s) since the last line)", fg_strerror(rc), FG_USAGE_FLUSH_MS / 1000, held);
        fg_usage_maintain(s->usage, now);
    }
    if (s->logs_dir[0] && now - s->last_trim_ms >= FG_LOGSTORE_TRIM_MS)
        logstore_trim_all(s, now);
}

static void *logstore_main(void *arg)
{
    struct fg_logstore *s = arg;
    bool closing = false;

    if (s->logs_dir[0])
        logstore_trim_all(s, fg_now_ms());
    if (s->usage)
        fg_usage_maintain(s->usage, fg_now_ms());
    while (!closing) {
        struct fg_workq_item *it = fg_workq_take_all(&s->wq, LOGSTORE_TICK_MS);
        pthread_mutex_lock(&s->wq.lock);
        closing = s->wq.closed;
        pthread_mutex_unlock(&s->wq.lock);
        unsigned long long seq = 0;
        while (it) {
            struct logstore_batch *b = logstore_batch_of(it);
            it = it->next;
            if (b->kind == LOGSTORE_USAGE_QUERY)
                logstore_run_usage_query(s, b->q);
            else
                seq = logstore_take_batch(s, b);
            logstore_batch_done(s, b);
        }
        logstore_publish(s, seq);
        logstore_tick(s);
        if (closing && !fg_workq_empty(&s->wq))
            closing = false;        /* pushed before the close: one more round */
        else if (!closing && seq)
            usleep(LOGSTORE_COALESCE_MS * 1000);
    }
    return NULL;
}

/* ------------------------------------------------------------------ API */

int fg_logstore_open(const struct fg_config *conf, struct fg_logstore **out, struct fg_err *err)
{
    struct fg_logstore *s;
    char usage_dir[PATH_MAX];
    int rc;

    *out = NULL;
    if (!conf->logs.store && !conf->logs.usage)
        return 0;
    if (!(s = calloc(1, sizeof(*s))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->retention_ms = (long long)conf->logs.retention_s * 1000;
    s->max_bytes = conf->logs.max_bytes;
    s->seg_max = s->max_bytes / 8 < LOGSTORE_SEG_MIN ? LOGSTORE_SEG_MIN
               : s->max_bytes / 8 > LOGSTORE_SEG_MAX ? LOGSTORE_SEG_MAX : s->max_bytes / 8;
    fg_strmap_init(&s->fns);
    fg_buf_init(&s->scratch, FG_LOGSTORE_LINE_MAX + FG_ID_LEN + 2);
    fg_workq_init(&s->wq, NULL, NULL);
    fg_workq_init(&s->spare_q, NULL, NULL);
    pthread_mutex_init(&s->progress.lock, NULL);
    fg_cond_init_monotonic(&s->progress.cond);
    s->last_flush_ms = fg_now_ms();
    if (conf->logs.store) {
        snprintf(s->logs_dir, sizeof(s->logs_dir), "%s/logs", conf->state_dir);
        if ((rc = fg_mkdirs(s->logs_dir)) < 0) {
            fg_err_set(err, rc, "cannot create %s: %s", s->logs_dir, strerror(-rc));
            goto fail;
        }
    }
    snprintf(usage_dir, sizeof(usage_dir), "%s/usage", conf->state_dir);
    if (conf->logs.usage && !(s->usage = fg_usage_open(usage_dir, err))) {
        rc = err->code;
        goto fail;
    }
    if ((rc = pthread_create(&s->writer, NULL, logstore_main, s)) != 0) {
        rc = fg_err_set(err, -rc, "cannot start the log writer thread: %s", strerror(rc));
        goto fail;
    }
    s->writer_started = true;
    if ((rc = fg_logread_start(&s->reader, s->logs_dir, &s->progress, err)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    fg_logstore_free(s);
    return rc;
}

int fg_logstore_query(struct fg_logstore *s, struct fg_log_query *q)
{
    struct logstore_batch *b;

    if (!s)
        return -FG_ESHUTDOWN;
    q->status = 500;
    fg_buf_init(&q->json, q->kind == FG_LOG_QUERY_USAGE ? 64u << 20 : FG_LOGREAD_MAX_BYTES + (1u << 20));
    if (q->kind == FG_LOG_QUERY_LINES)
        return fg_logread_post(&s->reader, q);
    if (!(b = logstore_batch_new(LOGSTORE_USAGE_QUERY)))
        return -ENOMEM;
    b->q = q;
    if (!fg_workq_offer(&s->wq, &b->item)) {
        logstore_batch_free(b);
        return -FG_ESHUTDOWN;
    }
    return 0;
}

unsigned long long fg_logstore_dropped(const struct fg_logstore *s)
{
    return s ? atomic_load(&((struct fg_logstore *)s)->dropped) : 0;
}

static void logstore_free_fn(void *arg, const char *key, void *value)
{
    struct logstore_fn *f = value;
    (void)arg;
    (void)key;
    logstore_close_segment(f);
    fg_buf_free(&f->pending);
    free(f);
}

void fg_logstore_stop(struct fg_logstore *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    fg_logstore_flush(s);
    fg_workq_close(&s->wq);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    s->writer_started = false;
    /* After the writer: what the reader answers now holds every line handed over. */
    fg_logread_stop(&s->reader);
}

void fg_logstore_free(struct fg_logstore *s)
{
    if (!s)
        return;
    fg_logstore_stop(s);
    for (struct fg_workq_item *it = fg_workq_take_all(&s->wq, 0); it;) {
        struct logstore_batch *b = logstore_batch_of(it);
        it = it->next;
        logstore_batch_free(b);     /* never started: nothing took them */
    }
    for (int round = 0; round < 2; round++)
        for (struct fg_workq_item *it = round ? fg_workq_take_all(&s->spare_q, 0) : s->spares; it;) {
            struct logstore_batch *b = logstore_batch_of(it);
            it = it->next;
            logstore_batch_free(b);
        }
    s->spares = NULL;
    fg_strmap_each(&s->fns, logstore_free_fn, NULL);
    fg_strmap_free(&s->fns);
    fg_usage_close(s->usage);
    logstore_batch_free(s->cur);
    fg_workq_destroy(&s->wq);
    fg_workq_destroy(&s->spare_q);
    fg_logread_close(&s->reader);
    fg_buf_free(&s->scratch);
    pthread_cond_destroy(&s->progress.cond);
    pthread_mutex_destroy(&s->progress.lock);
    free(s);
}

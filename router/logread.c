/* SPDX-License-Identifier: MIT */
/* logread.c - the log store's reader thread: a function's lines by time, request id and
 * text, newest window or what follows a cursor (see logread.h).
 *
 * DESIGN: a question lists the function's segments (logseg.h) and reads only those whose
 * time span meets [since, until]: newest first for a window (it stops once `limit`
 * records matched), from the cursor's segment on for a follow. A record is tested on its
 * raw bytes first (its "ts", the request id as the writer spells it, the filter as it looks
 * once escaped); only a record that passes all three is parsed to test the filter against
 * its line, so a search of 100 MB parses little. A segment is read whole, up to
 * LOGREAD_READ_MAX (the writer keeps them far smaller), and cut after its last newline: a
 * line the writer is still writing is left for the next look. */
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "logseg.h"

#define LOGREAD_READ_MAX (64u << 20)

/* ------------------------------------------------------------------ types */

/* Records picked for an answer (copies), in the order found. */
struct logread_vec {
    struct { char *p; size_t len; } *v;
    size_t n, cap, bytes;
};

/* What a record must be to be picked. */
struct logread_match {
    long long since, until;
    char rid_needle[FG_ID_LEN + 24];    /* "request_id":"ID", as the writer writes it */
    size_t rid_len;
    const char *filter;
    size_t filter_len;
    struct fg_buf filter_escaped;       /* the filter as it appears inside a JSON string */
};

/* ------------------------------------------------------------------ helpers */

void fg_logread_refuse(struct fg_log_query *q, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    q->status = status;
    if (!q->json.max_bytes)
        fg_buf_init(&q->json, 4096);
    fg_buf_reset(&q->json);
    if (fg_json_write_message(&q->json, msg) < 0)
        q->status = 500;
}

/* Adds a copy of record p to the answer, unless it is not JSON (a damaged file: it is
 * skipped, so an answer is always a document). 0 or -ENOMEM. */
static int vec_push(struct logread_vec *v, const char *p, size_t len)
{
    json_t *check = json_loadb(p, len, 0, NULL);
    char *copy;

    if (!check)
        return 0;
    json_decref(check);
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *grown = realloc(v->v, cap * sizeof(*v->v));
        if (!grown)
            return -ENOMEM;
        v->v = grown;
        v->cap = cap;
    }
    if (!(copy = malloc(len)))
        return -ENOMEM;
    memcpy(copy, p, len);
    v->v[v->n].p = copy;
    v->v[v->n++].len = len;
    v->bytes += len;
    return 0;
}

static void vec_free(struct logread_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i].p);
    free(v->v);
    memset(v, 0, sizeof(*v));
}

/* Whether one more record of len bytes fits the answer (the first one always does). */
static bool vec_room(const struct logread_vec *v, const struct fg_log_query *q, size_t len)
{
    return v->n == 0 || (v->n < (size_t)q->limit && v->bytes + len <= FG_LOGREAD_MAX_BYTES);
}

static void match_init(struct logread_match *m, const struct fg_log_query *q)
{
    memset(m, 0, sizeof(*m));
    m->since = q->since_ms;
    m->until = q->until_ms ? q->until_ms : LLONG_MAX;
    if (q->request_id[0])
        m->rid_len = (size_t)snprintf(m->rid_needle, sizeof(m->rid_needle), "\"request_id\":\"%s\"", q->request_id);
    m->filter = q->filter;
    m->filter_len = strlen(q->filter);
    fg_buf_init(&m->filter_escaped, sizeof(q->filter) * 6 + 1);
    if (m->filter_len && fg_json_write_escaped(&m->filter_escaped, q->filter, m->filter_len) < 0)
        fg_buf_reset(&m->filter_escaped);   /* cannot happen below the ceiling: no raw test */
}

static bool match_record(const struct logread_match *m, const char *rec, size_t len)
{
    long long ts = fg_logseg_record_ts(rec, len);
    json_t *j;
    const char *line;
    bool ok;

    if (ts < 0 || ts < m->since || ts > m->until)
        return false;
    if (m->rid_len && !memmem(rec, len, m->rid_needle, m->rid_len))
        return false;
    if (!m->filter_len)
        return true;
    if (m->filter_escaped.len && !memmem(rec, len, m->filter_escaped.data, m->filter_escaped.len))
        return false;
    j = json_loadb(rec, len, 0, NULL);
    line = json_string_value(json_object_get(j, "line"));
    ok = line && memmem(line, json_string_length(json_object_get(j, "line")), m->filter, m->filter_len);
    json_decref(j);
    return ok;
}

/* Reads path from off (from_end: its last LOGREAD_READ_MAX bytes at most, from a line's
 * start) up to its last newline. 0 with owned *data (free(); may be NULL when empty), its
 * length and the file offset of its first byte in *at; -errno. */
static int logread_load(const char *path, long long off, bool from_end, char **data, size_t *len, long long *at)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t want, got = 0;
    char *buf;

    *data = NULL;
    *len = 0;
    *at = off;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    if (from_end && st.st_size > (off_t)LOGREAD_READ_MAX)
        off = st.st_size - LOGREAD_READ_MAX;
    if (off >= st.st_size) {
        close(fd);
        *at = off;
        return 0;
    }
    want = (size_t)(st.st_size - off) < LOGREAD_READ_MAX ? (size_t)(st.st_size - off) : LOGREAD_READ_MAX;
    if (!(buf = malloc(want))) {
        close(fd);
        return -ENOMEM;
    }
    while (got < want) {
        ssize_t n = pread(fd, buf + got, want - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    while (got && buf[got - 1] != '\n')
        got--;
    if (from_end && off > *at && got) {
        /* Started inside a line: skip to the next one. */
        char *nl = memchr(buf, '\n', got);
        size_t skip = nl ? (size_t)(nl - buf) + 1 : got;
        memmove(buf, buf + skip, got - skip);
        got -= skip;
        off += (off_t)skip;
    }
    *data = buf;
    *len = got;
    *at = off;
    return 0;
}

/* Parses a cursor "START:OFFSET". */
static bool logread_cursor(const char *s, long long *start, long long *off)
{
    char *end;
    errno = 0;
    *start = strtoll(s, &end, 10);
    if (errno || end == s || *end != ':' || *start < 0)
        return false;
    s = end + 1;
    *off = strtoll(s, &end, 10);
    return !errno && end != s && !*end && *off >= 0;
}

/* The answer document from picked records (newest_first: v holds them newest first). */
static void logread_answer(struct fg_log_query *q, const struct logread_vec *v, bool newest_first, long long next_start,
                           long long next_off, bool truncated)
{
    char tail[128];
    fg_buf_reset(&q->json);
    fg_json_write_field(&q->json, "{\"function\":", q->function);
    fg_buf_append_str(&q->json, ",\"records\":[");
    for (size_t i = 0; i < v->n; i++) {
        size_t k = newest_first ? v->n - 1 - i : i;
        if (i)
            fg_buf_append(&q->json, ",", 1);
        fg_buf_append(&q->json, v->v[k].p, v->v[k].len);
    }
    snprintf(tail, sizeof(tail), "],\"next\":\"%lld:%lld\",\"truncated\":%s}", next_start, next_off,
             truncated ? "true" : "false");
    q->status = fg_buf_append_str(&q->json, tail) < 0 ? 500 : 200;
    if (q->status != 200)
        fg_logread_refuse(q, 500, "out of memory");
}

/* ------------------------------------------------------------------ the two questions */

/* The newest records in [since, until]. */
static int logread_window(const char *dir, const struct fg_logseg *segs, size_t n, struct fg_log_query *q,
                          const struct logread_match *m, struct logread_vec *v, long long *next_off, bool *truncated)
{
    *next_off = 0;
    for (size_t i = n; i-- > 0 && !*truncated;) {
        char path[PATH_MAX], *data;
        size_t len, hits = 0, cap = 0;
        size_t(*spans)[2] = NULL;
        long long at;
        int rc;
        /* Segment i holds [start_i, start_i+1): past until, or all of it before since. */
        if (i + 1 < n && segs[i + 1].start_ms <= m->since)
            break;
        if (i + 1 < n && segs[i].start_ms > m->until)
            continue;
        fg_logseg_path(path, sizeof(path), dir, segs[i].start_ms);
        if ((rc = logread_load(path, 0, true, &data, &len, &at)) < 0) {
            if (rc == -ENOENT)
                continue;           /* retention took it since the listing */
            return rc;
        }
        if (i == n - 1)
            *next_off = at + (long long)len;
        for (size_t p = 0; p < len;) {
            char *nl = memchr(data + p, '\n', len - p);
            size_t l = (size_t)(nl - (data + p));
            if (match_record(m, data + p, l)) {
                if (hits == cap) {
                    void *grown = realloc(spans, (cap = cap ? cap * 2 : 256) * sizeof(*spans));
                    if (!grown) {
                        free(spans);
                        free(data);
                        return -ENOMEM;
                    }
                    spans = grown;
                }
                spans[hits][0] = p;
                spans[hits++][1] = l;
            }
            p += l + 1;
        }
        for (size_t h = hits; h-- > 0;) {
            if (!vec_room(v, q, spans[h][1])) {
                *truncated = true;
                break;
            }
            if ((rc = vec_push(v, data + spans[h][0], spans[h][1])) < 0) {
                free(spans);
                free(data);
                return rc;
            }
        }
        free(spans);
        free(data);
    }
    return 0;
}

/* The first records after the cursor (start, off), moving the cursor past what was read. */
static int logread_follow(const char *dir, const struct fg_logseg *segs, size_t n, struct fg_log_query *q,
                          const struct logread_match *m, struct logread_vec *v, long long *start, long long *off,
                          bool *truncated)
{
    for (size_t i = 0; i < n && !*truncated; i++) {
        char path[PATH_MAX], *data;
        size_t len;
        long long at;
        int rc;
        if (segs[i].start_ms < *start)
            continue;
        if (segs[i].start_ms > *start) {
            *start = segs[i].start_ms;  /* a later segment (or the cursor's was deleted) */
            *off = 0;
        }
        fg_logseg_path(path, sizeof(path), dir, segs[i].start_ms);
        if ((rc = logread_load(path, *off, false, &data, &len, &at)) < 0) {
            if (rc == -ENOENT)
                continue;
            return rc;
        }
        for (size_t p = 0; p < len;) {
            char *nl = memchr(data + p, '\n', len - p);
            size_t l = (size_t)(nl - (data + p));
            if (match_record(m, data + p, l)) {
                if (!vec_room(v, q, l)) {
                    *truncated = true;
                    break;
                }
                if ((rc = vec_push(v, data + p, l)) < 0) {
                    free(data);
                    return rc;
                }
            }
            p += l + 1;
            *off = at + (long long)p;
        }
        free(data);
    }
    return 0;
}

/* Answers q, or leaves it unanswered (false) when it may wait for a line and none came. */
static bool logread_lines(struct fg_logread *r, struct fg_log_query *q, bool may_wait)
{
    struct fg_logseg *segs = NULL;
    struct logread_match m;
    struct logread_vec v = { 0 };
    char dir[PATH_MAX];
    long long start = 0, off = 0;
    bool truncated = false, follow = q->after[0] != '\0';
    size_t n = 0;
    int rc;

    if (!r->dir[0]) {
        fg_logread_refuse(q, 404, "function log lines are not kept (logs.store: false)");
        return true;
    }
    if (!fg_logseg_name_ok(q->function)) {
        fg_logread_refuse(q, 404, "no function named %s", q->function);
        return true;
    }
    if (follow && !logread_cursor(q->after, &start, &off)) {
        fg_logread_refuse(q, 400, "after: expected a cursor START:OFFSET from an answer's next");
        return true;
    }
    snprintf(dir, sizeof(dir), "%s/%s", r->dir, q->function);
    if ((rc = fg_logseg_list(dir, &segs, &n)) == -ENOENT && !q->known) {
        fg_logread_refuse(q, 404, "no function named %s", q->function);
        return true;
    }
    if (rc < 0 && rc != -ENOENT) {
        fg_log(FG_LOG_WARN, "logs", "function %s: cannot list %s: %s", q->function, dir, fg_strerror(rc));
        fg_logread_refuse(q, 500, "cannot read the log store (see the gateway log)");
        return true;
    }
    match_init(&m, q);
    if (follow)
        rc = logread_follow(dir, segs, n, q, &m, &v, &start, &off, &truncated);
    else {
        start = n ? segs[n - 1].start_ms : 0;
        rc = logread_window(dir, segs, n, q, &m, &v, &off, &truncated);
    }
    fg_buf_free(&m.filter_escaped);
    free(segs);
    if (rc < 0) {
        fg_log(FG_LOG_WARN, "logs", "function %s: cannot read its log lines: %s", q->function, fg_strerror(rc));
        fg_logread_refuse(q, 500, "cannot read the log store (see the gateway log)");
    } else if (follow && v.n == 0 && may_wait && q->wait_ms > 0 && fg_mono_us() < q->deadline_us) {
        vec_free(&v);
        return false;
    } else {
        logread_answer(q, &v, !follow, start, off, truncated);
    }
    vec_free(&v);
    return true;
}

/* ------------------------------------------------------------------ the thread */

static struct fg_log_query *logread_query(struct fg_workq_item *it)
{
    return (struct fg_log_query *)((char *)it - offsetof(struct fg_log_query, item));
}

/* Waits (at most FG_LOGREAD_CATCH_UP_MS) until the writer wrote what it had been handed. */
static void logread_catch_up(struct fg_logread *r)
{
    struct fg_log_progress *pg = r->progress;
    unsigned long long target = atomic_load(&pg->handed);
    struct timespec deadline;

    fg_monotonic_deadline(&deadline, FG_LOGREAD_CATCH_UP_MS);
    pthread_mutex_lock(&pg->lock);
    while (atomic_load(&pg->written) < target)
        if (pthread_cond_timedwait(&pg->cond, &pg->lock, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&pg->lock);
}

static void logread_run(struct fg_logread *r, struct fg_log_query *q, bool closing)
{
    logread_catch_up(r);
    q->seen_seq = atomic_load(&r->progress->written);
    q->deadline_us = fg_mono_us() + (long long)q->wait_ms * 1000;
    if (logread_lines(r, q, !closing)) {
        q->done(q, q->done_arg);
        return;
    }
    q->next_parked = r->parked;
    r->parked = q;
}

/* Looks again at the questions waiting for a line: when the writer wrote, at their
 * deadline, and when closing (then each is answered with what there is). */
static void logread_recheck(struct fg_logread *r, bool closing)
{
    unsigned long long written = atomic_load(&r->progress->written);
    long long now = fg_mono_us();
    struct fg_log_query **pp = &r->parked;

    while (*pp) {
        struct fg_log_query *q = *pp;
        if (!closing && q->seen_seq == written && now < q->deadline_us) {
            pp = &q->next_parked;
            continue;
        }
        q->seen_seq = written;
        if (logread_lines(r, q, !closing)) {
            *pp = q->next_parked;
            q->next_parked = NULL;
            q->done(q, q->done_arg);
        } else {
            pp = &q->next_parked;
        }
    }
}

static void *logread_main(void *arg)
{
    struct fg_logread *r = arg;

    for (;;) {
        struct fg_workq_item *it = fg_workq_take_all(&r->q, r->parked ? FG_LOGREAD_POLL_MS : -1);
        bool closing;
        pthread_mutex_lock(&r->q.lock);
        closing = r->q.closed;
        pthread_mutex_unlock(&r->q.lock);
        while (it) {
            struct fg_workq_item *next = it->next;
            logread_run(r, logread_query(it), closing);
            it = next;
        }
        logread_recheck(r, closing);
        if (closing && !r->parked && fg_workq_empty(&r->q))
            return NULL;
    }
}

/* ------------------------------------------------------------------ API */

int fg_logread_start(struct fg_logread *r, const char *dir, struct fg_log_progress *progress, struct fg_err *err)
{
    int rc;
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    r->progress = progress;
    r->parked = NULL;
    fg_workq_init(&r->q, NULL, NULL);
    r->made = true;
    if ((rc = pthread_create(&r->thread, NULL, logread_main, r)) != 0)
        return fg_err_set(err, -rc, "cannot start the log reader thread: %s", strerror(rc));
    r->started = true;
    return 0;
}

int fg_logread_post(struct fg_logread *r, struct fg_log_query *q)
{
    q->next_parked = NULL;
    return r->made && fg_workq_offer(&r->q, &q->item) ? 0 : -FG_ESHUTDOWN;
}

/* The queue stays (closed) until fg_logread_close: a post racing with the stop finds it. */
void fg_logread_stop(struct fg_logread *r)
{
    if (r->made)
        fg_workq_close(&r->q);
    if (!r->started)
        return;
    pthread_join(r->thread, NULL);
    r->started = false;
}

void fg_logread_close(struct fg_logread *r)
{
    fg_logread_stop(r);
    if (r->made)
        fg_workq_destroy(&r->q);
    r->made = false;
}

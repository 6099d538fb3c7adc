/* SPDX-License-Identifier: MIT */
/* fs.c - the folder trigger (see fs.h): decisions on the loop, I/O on a worker thread. */
#include "fs.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/id.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/md5.h"
#include "../core/strmap.h"
#include "../core/workq.h"
#include "fs_watch.h"
#include "source_metrics.h"
#include "trigger_console.h"

/* Files larger than this get an eTag from path, size and mtime instead of their content:
 * hashing gigabytes would hold every other file back. */
#define FS_HASH_MAX_BYTES (64LL << 20)
/* A file that may still be written is looked at again after this long. */
#define FS_RETRY_MS 100

struct fs_file {
    long long size, mtime;      /* what fired last; size -1: nothing fired yet */
    bool pending;               /* a hash job is out */
    bool again;                 /* it changed while the job was out */
    unsigned seen;              /* generation of the last full scan that saw it */
};

struct fs_root {
    struct fs_trigger *t;
    const struct fg_conf_function *fn;
    const struct fg_conf_fs *conf;
    size_t path_len;
    struct fg_strmap files;     /* relative path → struct fs_file */
    unsigned gen;               /* full-scan generation */
    int full_scans;             /* full scans in flight */
    struct event *poll_ev;      /* `poll:` mode: a full scan every poll_ms instead of inotify */
    struct fg_filter *filter;   /* filter_criteria, or NULL */
    int jobs;                   /* hash, scan and marker jobs out on the worker */
    int retrying;               /* files waiting to be looked at again (still being written) */
    bool initial_mark;          /* the marker job after the first full scan is out */
    bool initial_done;          /* it came back: every file there at start was looked at */
    long long indexed;          /* entries of files that fired (size >= 0) */
    long long fired, removed, filtered;
    long long errors;           /* changes whose event could not be built or submitted */
    atomic_llong stored, lost;  /* events the store committed, or could not (store thread) */
};

static const struct fg_conf_event_type fs_conf;

/* JOB_MARK does nothing: the worker runs jobs in order, so when it comes back every job
 * queued before it has come back too. */
enum fs_job_kind { JOB_HASH = 0, JOB_SCAN, JOB_MARK };
enum fs_status { ST_OK = 0, ST_GONE, ST_BUSY, ST_ERROR };

struct fs_found {
    struct fs_found *next;
    long long size, mtime;
    char rel[];
};

struct fs_job {
    struct fg_work_job work;    /* on t->worker, then back to the loop */
    struct fs_trigger *t;
    enum fs_job_kind kind;
    size_t root;
    bool full;                  /* SCAN: the whole root (removals are detected) */
    unsigned gen;
    /* ---- results */
    enum fs_status status;
    long long size, mtime;
    char etag[33];
    struct fs_found *found;
    char rel[];                 /* HASH: the file; SCAN: the directory ("" = root) */
};

struct fs_retry {
    struct fs_retry *next;
    size_t root;
    long long at_ms;
    char rel[];
};

struct fs_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct fg_loop *loop;
    struct fs_root *roots;
    size_t n_roots;
    struct fg_fs_watch *watch;
    struct fg_idgen ids;
    unsigned long long sequencer;
    bool running;
    bool fleet;                 /* the state store is shared: only the lease holder watches */
    bool watching;              /* the watcher and the poll timers run */
    struct fs_retry *retries;
    struct event *retry_timer;
    struct fg_work worker;      /* stats, scans and hashes off the loop */
};

/* ------------------------------------------------------------------ the worker thread */

/* Whether another process has the file open for writing. */
static bool fs_busy(int fd, const struct stat *st)
{
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        fcntl(fd, F_SETLEASE, F_UNLCK);
        return false;
    }
    if (errno == EAGAIN)
        return true;
    /* No lease allowed here (not the owner, no CAP_LEASE): a file modified within the
     * last second may still be written. */
    return fg_now_ms() - (long long)st->st_mtim.tv_sec * 1000 - st->st_mtim.tv_nsec / 1000000 < 1000;
}

static void fs_hash(struct fs_trigger *t, struct fs_job *j)
{
    const struct fs_root *r = &t->roots[j->root];
    char path[8192];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", r->conf->path, j->rel);
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
        j->status = errno == ENOENT || errno == ELOOP ? ST_GONE : ST_ERROR;
        return;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        j->status = ST_GONE;
        return;
    }
    if (fs_busy(fd, &st)) {
        close(fd);
        j->status = ST_BUSY;
        return;
    }
    j->size = st.st_size;
    j->mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    if (st.st_size > FS_HASH_MAX_BYTES) {
        struct fg_md5 c;
        unsigned char d[16];
        char id[8300];
        int n = snprintf(id, sizeof(id), "%s:%lld:%lld", j->rel, j->size, j->mtime);
        fg_md5_init(&c);
        fg_md5_update(&c, id, (size_t)n);
        fg_md5_final(&c, d);
        fg_md5_hex(d, j->etag);
    } else if (fg_md5_fd(fd, j->etag) < 0) {
        close(fd);
        j->status = ST_ERROR;
        return;
    }
    close(fd);
    j->status = ST_OK;
}

/* fg_walk_fn: one file found by a scan. */
static void fs_found_file(void *arg, const char *rel, const struct stat *st)
{
    struct fs_job *j = arg;
    size_t n = strlen(rel);
    struct fs_found *f = malloc(sizeof(*f) + n + 1);
    if (!f)
        return;
    memcpy(f->rel, rel, n + 1);
    f->size = st->st_size;
    f->mtime = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    f->next = j->found;
    j->found = f;
}

static void fs_job_free(struct fs_job *j)
{
    while (j->found) {
        struct fs_found *f = j->found;
        j->found = f->next;
        free(f);
    }
    free(j);
}

static struct fs_job *fs_job_of(struct fg_work_job *w)
{
    return (struct fs_job *)((char *)w - offsetof(struct fs_job, work));
}

/* The worker thread: the blocking part of a job. */
static void fs_work_run(struct fg_work *w, struct fg_work_job *work)
{
    struct fs_trigger *t = w->arg;
    struct fs_job *j = fs_job_of(work);
    if (j->kind == JOB_HASH)
        fs_hash(t, j);
    else if (j->kind == JOB_SCAN)
        fg_walk_files(t->roots[j->root].conf->path, j->rel, t->roots[j->root].conf->recursive, fs_found_file, j);
}

static void fs_work_dropped(struct fg_work *w, struct fg_work_job *work)
{
    (void)w;
    fs_job_free(fs_job_of(work));
}

static void fs_on_result(struct fg_loop *loop, struct fg_loop_msg *msg);

/* Jobs still queued at stop are dropped: the next start rescans. */
static const struct fg_work_ops fs_work_ops = {
    .name = "folder worker", .run = fs_work_run, .done = fs_on_result, .dropped = fs_work_dropped, .drain = false,
};

static int fs_queue(struct fs_trigger *t, enum fs_job_kind kind, size_t root, const char *rel, bool full)
{
    size_t n = strlen(rel);
    struct fs_job *j;
    if (!t->worker.started)
        return -FG_ESHUTDOWN;       /* stopped: the next start rescans */
    if (!(j = calloc(1, sizeof(*j) + n + 1))) {
        fg_log(FG_LOG_ERROR, "fs", "out of memory: %s is looked at on the next rescan", rel);
        return -ENOMEM;
    }
    j->t = t;
    j->kind = kind;
    j->root = root;
    j->full = full;
    j->gen = t->roots[root].gen;
    memcpy(j->rel, rel, n + 1);
    t->roots[root].jobs++;
    fg_work_post(&t->worker, &j->work);
    return 0;
}

/* ------------------------------------------------------------------ decisions (loop) */

/* Temp and hidden files: any component starting with '.', editor and download leftovers. */
static bool fs_hidden(const char *rel)
{
    size_t n = strlen(rel);
    for (const char *c = rel; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (*c == '.')
            return true;
    }
    return (n && rel[n - 1] == '~') || (n > 4 && (!strcmp(rel + n - 4, ".swp") || !strcmp(rel + n - 4, ".tmp"))) ||
           (n > 5 && !strcmp(rel + n - 5, ".part")) || (n > 11 && !strcmp(rel + n - 11, ".crdownload"));
}

static bool fs_wanted(const struct fs_root *r, const char *rel)
{
    size_t n = strlen(rel);
    const struct fg_conf_fs *c = r->conf;
    if (!c->hidden && fs_hidden(rel))
        return false;
    if (c->prefix && strncmp(rel, c->prefix, strlen(c->prefix)))
        return false;
    if (c->suffix && (n < strlen(c->suffix) || strcmp(rel + n - strlen(c->suffix), c->suffix)))
        return false;
    return true;
}

static void fs_arm_retry(struct fs_trigger *t)
{
    struct timeval tv = { 0, FS_RETRY_MS * 1000 };
    if (t->retries && t->running)
        evtimer_add(t->retry_timer, &tv);
}

static void fs_retry_later(struct fs_trigger *t, size_t root, const char *rel)
{
    size_t n = strlen(rel);
    struct fs_retry *x = malloc(sizeof(*x) + n + 1);
    if (!x)
        return;
    x->root = root;
    memcpy(x->rel, rel, n + 1);
    t->roots[root].retrying++;
    x->next = t->retries;
    if (!t->retries) {
        t->retries = x;
        fs_arm_retry(t);
    } else {
        t->retries = x;
    }
}

/* Store thread: arg is the event's folder (struct fs_root). */
static void fs_on_committed(void *arg, int rc)
{
    struct fs_root *r = arg;
    atomic_fetch_add_explicit(rc < 0 ? &r->lost : &r->stored, 1, memory_order_relaxed);
    if (rc < 0)
        fg_log(FG_LOG_ERROR, "fs", "a file event could not be stored (%s); it fires again at the next start",
               fg_strerror(rc));
}

/* Fires one change of rel: 0 when its event is submitted or its filter dropped it (the
 * caller moves the index then). Otherwise nothing was submitted or marked and the index
 * must stay as it is, so the change fires later: out of memory, the file is looked at again
 * shortly; else (a record over the payload limit, the router stopping) when it changes or
 * at the next rescan, as for a file that cannot be read. Logged and counted as an error. */
static int fs_fire(struct fs_trigger *t, struct fs_root *r, const char *rel, bool created, long long size,
                   long long mtime, const char *etag)
{
    char seq[17], id[FG_ID_LEN + 1], key[8300];
    struct fg_async_event *ev;
    long long now_us = fg_now_ms() * 1000;
    struct fg_s3_event_info info = {
        .event_name = created ? "ObjectCreated:Put" : "ObjectRemoved:Delete", .bucket = r->conf->bucket,
        .key = rel, .size = size, .etag = etag, .time_ms = now_us / 1000, .region = t->conf->region,
        .source_ip = "127.0.0.1", .config_id = r->conf->name, .request_id = id,
    };
    int rc;

    /* Sequencers grow across restarts too: they start from the clock. */
    t->sequencer = t->sequencer + 1 > (unsigned long long)now_us ? t->sequencer + 1 : (unsigned long long)now_us;
    fg_s3_sequencer(t->sequencer, seq);
    info.sequencer = seq;
    fg_idgen_uuid4(&t->ids, id);
    snprintf(key, sizeof(key), "%s/%s", r->conf->name, rel);
    rc = fg_s3_event_new(&info, r->filter, r->fn->name, FG_PAYLOAD_ASYNC_MAX_BYTES, &ev);
    if (rc == FG_S3_EVENT_FILTERED) {
        /* Filtered out: the index still moves, so the file does not fire later. */
        fg_router_mark(t->router, created ? FG_MARK_FILE : FG_MARK_FILE_GONE, key, size, mtime);
        r->filtered++;
        return 0;
    }
    if (rc == 0 && !(ev->mark.key = strdup(key))) {
        fg_async_event_free(ev);
        rc = -ENOMEM;
    }
    if (rc == 0) {
        ev->mark.kind = created ? FG_MARK_FILE : FG_MARK_FILE_GONE;
        ev->mark.a = size;
        ev->mark.b = mtime;
        rc = fg_router_submit_async(t->router, ev, NULL, fs_on_committed, r);   /* takes ev */
    }
    if (rc < 0) {
        r->errors++;
        fg_log(FG_LOG_ERROR, "fs", "%s/%s: its %s event cannot be %s (%s); it fires %s", r->conf->path, rel,
               info.event_name, rc == -FG_ESHUTDOWN || rc == -ENOENT ? "submitted" : "built", fg_strerror(rc),
               rc == -ENOMEM ? "when looked at again" : "when it changes or at the next rescan");
        if (rc == -ENOMEM)
            fs_retry_later(t, (size_t)(r - t->roots), rel);
        return rc;
    }
    if (created)
        r->fired++;
    else
        r->removed++;
    return 0;
}

static void fs_gone(struct fs_trigger *t, struct fs_root *r, const char *rel)
{
    struct fs_file *f = fg_strmap_get(&r->files, rel);
    char key[8300];
    if (!f)
        return;
    if (f->pending) {
        f->again = true;    /* the job may have read it before it went: look again */
        return;
    }
    if (f->size >= 0) {
        if (r->conf->events.removed) {
            if (fs_fire(t, r, rel, false, 0, 0, NULL) < 0)
                return;             /* still indexed: a later sweep fires the removal */
        } else {
            snprintf(key, sizeof(key), "%s/%s", r->conf->name, rel);
            fg_router_mark(t->router, FG_MARK_FILE_GONE, key, 0, 0);
        }
        r->indexed--;
    }
    free(fg_strmap_del(&r->files, rel));
}

static struct fs_file *fs_entry(struct fs_root *r, const char *rel)
{
    struct fs_file *f = fg_strmap_get(&r->files, rel);
    if (f)
        return f;
    if (!(f = calloc(1, sizeof(*f))))
        return NULL;
    f->size = -1;
    if (fg_strmap_put(&r->files, rel, f) < 0) {
        free(f);
        return NULL;
    }
    return f;
}

/* A file may have changed: hash it (unless a job is out already). */
static void fs_touch(struct fs_trigger *t, size_t root, const char *rel)
{
    struct fs_root *r = &t->roots[root];
    struct fs_file *f;
    if (!fs_wanted(r, rel) || !(f = fs_entry(r, rel)))
        return;
    if (f->pending) {
        f->again = true;
        return;
    }
    f->pending = true;
    if (fs_queue(t, JOB_HASH, root, rel, false) < 0)
        f->pending = false;
}

static void fs_on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct fs_trigger *t = arg;
    struct fs_retry *list = t->retries;
    (void)fd;
    (void)what;
    t->retries = NULL;
    while (list) {
        struct fs_retry *next = list->next;
        t->roots[list->root].retrying--;
        if (t->running)
            fs_touch(t, list->root, list->rel);
        free(list);
        list = next;
    }
    fs_arm_retry(t);
}

static void fs_hashed(struct fs_trigger *t, struct fs_job *j)
{
    struct fs_root *r = &t->roots[j->root];
    struct fs_file *f = fg_strmap_get(&r->files, j->rel);

    if (!f)
        return;
    f->pending = false;
    if (f->again) {
        f->again = false;
        fs_touch(t, j->root, j->rel);
        return;
    }
    switch (j->status) {
    case ST_OK:
        if (f->size == j->size && f->mtime == j->mtime)
            return;                          /* fired already: an echo, a rescan */
        if (fs_fire(t, r, j->rel, true, j->size, j->mtime, j->etag) < 0)
            return;                          /* not fired: the index stays, it fires later */
        r->indexed += f->size < 0;
        f->size = j->size;
        f->mtime = j->mtime;
        return;
    case ST_GONE:
        fs_gone(t, r, j->rel);
        return;
    case ST_BUSY:
        fs_retry_later(t, j->root, j->rel);  /* still being written */
        return;
    default:
        fg_log(FG_LOG_WARN, "fs", "%s/%s cannot be read; skipped until it changes or the next rescan", r->conf->path, j->rel);
        if (f->size < 0)
            free(fg_strmap_del(&r->files, j->rel));
        return;
    }
}

struct fs_sweep {
    struct fs_root *r;
    unsigned gen;
    char **gone;
    size_t n, cap;
};

static void fs_collect_unseen(void *arg, const char *rel, void *value)
{
    struct fs_sweep *s = arg;
    struct fs_file *f = value;
    if (f->seen == s->gen || f->pending || f->size < 0)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **g = realloc(s->gone, cap * sizeof(*g));
        if (!g)
            return;
        s->gone = g;
        s->cap = cap;
    }
    if ((s->gone[s->n] = strdup(rel)))
        s->n++;
}

static void fs_scanned(struct fs_trigger *t, struct fs_job *j)
{
    struct fs_root *r = &t->roots[j->root];

    for (struct fs_found *x = j->found; x; x = x->next) {
        struct fs_file *f;
        if (!fs_wanted(r, x->rel) || !(f = fs_entry(r, x->rel)))
            continue;
        if (j->full)
            f->seen = j->gen;
        if (f->size == x->size && f->mtime == x->mtime)
            continue;                        /* unchanged since it fired */
        fs_touch(t, j->root, x->rel);
    }
    if (j->full && j->gen != r->gen)
        return;                              /* from before a fleet lease moved: stale */
    if (j->full && --r->full_scans == 0) {
        /* What the index has and the folder no longer does went away unseen. */
        struct fs_sweep s = { r, j->gen, NULL, 0, 0 };
        fg_strmap_each(&r->files, fs_collect_unseen, &s);
        for (size_t i = 0; i < s.n; i++) {
            fs_gone(t, r, s.gone[i]);
            free(s.gone[i]);
        }
        free(s.gone);
        /* The first full scan is done; the marker says when the hashes it asked for are. */
        if (!r->initial_done && !r->initial_mark)
            r->initial_mark = fs_queue(t, JOB_MARK, j->root, "", false) == 0;
    }
}

static void fs_on_result(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fs_job *j = fs_job_of((struct fg_work_job *)((char *)msg - offsetof(struct fg_work_job, msg)));
    (void)loop;
    j->t->roots[j->root].jobs--;
    if (j->t->running) {
        if (j->kind == JOB_HASH)
            fs_hashed(j->t, j);
        else if (j->kind == JOB_SCAN)
            fs_scanned(j->t, j);
        else
            j->t->roots[j->root].initial_done = true;
    }
    fs_job_free(j);
}

static void fs_full_scan(struct fs_trigger *t, size_t root)
{
    struct fs_root *r = &t->roots[root];
    r->gen++;
    if (fs_queue(t, JOB_SCAN, root, "", true) == 0)
        r->full_scans++;
}

static void fs_on_change(void *arg, struct fg_fs_change *c)
{
    struct fs_trigger *t = arg;

    if (!t->running) {
        free(c);
        return;
    }
    for (size_t i = 0; i < t->n_roots; i++) {
        struct fs_root *r = &t->roots[i];
        const char *rel;
        if (c->kind == FG_FS_OVERFLOW || c->kind == FG_FS_READY) {
            fs_full_scan(t, i);          /* READY: catch up with what changed while down */
            continue;
        }
        if (strncmp(c->path, r->conf->path, r->path_len) || (c->path[r->path_len] != '/' && c->path[r->path_len]))
            continue;
        rel = c->path[r->path_len] ? c->path + r->path_len + 1 : "";
        if (!r->conf->recursive && strchr(rel, '/'))
            continue;
        switch (c->kind) {
        case FG_FS_WRITTEN:
            fs_touch(t, i, rel);
            break;
        case FG_FS_GONE:
            fs_gone(t, r, rel);
            break;
        case FG_FS_DIR_ADDED:
            if (r->conf->recursive)
                fs_queue(t, JOB_SCAN, i, rel, false);
            break;
        case FG_FS_DIR_GONE:
        case FG_FS_ROOT_BACK:
            /* A directory moved away or deleted, or the folder itself back: a full scan
             * settles what changed. */
            fs_full_scan(t, i);
            break;
        default:
            break;
        }
    }
    free(c);
}

static void fs_on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct fs_root *r = arg;
    struct fs_trigger *t = r->t;
    (void)fd;
    (void)what;
    if (t->running && !r->full_scans)
        fs_full_scan(t, (size_t)(r - t->roots));
}

/* ------------------------------------------------------------------ the trigger */

static void fs_load_entry(void *arg, const char *rel, long long size, long long mtime)
{
    struct fs_root *r = arg;
    struct fs_file *f = fs_entry(r, rel);
    if (f) {
        r->indexed += f->size < 0 && size >= 0;
        f->size = size;
        f->mtime = mtime;
    }
}

static void fs_free_entry(void *arg, const char *key, void *value);

/* Starts watching (inotify or polling): the watcher's first event starts a full scan. */
static int fs_watch(struct fs_trigger *t, struct fg_err *err)
{
    int rc;
    t->running = true;
    if ((rc = fg_fs_watch_start(t->watch, err)) < 0)
        return rc;
    t->watching = true;
    for (size_t i = 0; i < t->n_roots; i++) {
        if (t->roots[i].poll_ev) {
            struct timeval tv = { t->roots[i].conf->poll_ms / 1000, (t->roots[i].conf->poll_ms % 1000) * 1000 };
            event_add(t->roots[i].poll_ev, &tv);
        }
    }
    fg_log(FG_LOG_INFO, "fs", "%zu folder(s) watched", t->n_roots);
    return 0;
}

static void fs_unwatch(struct fs_trigger *t)
{
    t->running = false;
    if (t->retry_timer)
        evtimer_del(t->retry_timer);
    for (size_t i = 0; i < t->n_roots; i++)
        if (t->roots[i].poll_ev)
            event_del(t->roots[i].poll_ev);
    fg_fs_watch_stop(t->watch);
    t->watching = false;
}

/* Fleet mode: this node got the folders' lease (their index as the store holds it comes
 * with it: what the previous owner fired) or lost it. The owner rescans, so what changed
 * while no node or a dying one watched fires now, once. */
static void fs_on_lease(void *arg, bool held, const struct fg_mark *marks, size_t n)
{
    struct fs_trigger *t = arg;
    struct fg_err err;

    if (!held) {
        if (t->watching)
            fs_unwatch(t);
        fg_log(FG_LOG_WARN, "fs", "another node watches the folders now (this one lost their lease)");
        return;
    }
    if (t->watching)
        return;
    for (size_t i = 0; i < t->n_roots; i++) {
        struct fs_root *r = &t->roots[i];
        size_t plen = strlen(r->conf->name);
        fg_strmap_each(&r->files, fs_free_entry, NULL);
        fg_strmap_free(&r->files);
        fg_strmap_init(&r->files);
        r->indexed = 0;
        r->gen++;                        /* scans out from before are stale */
        r->full_scans = 0;
        for (size_t k = 0; k < n; k++)
            if (!strncmp(marks[k].key, r->conf->name, plen) && marks[k].key[plen] == '/')
                fs_load_entry(r, marks[k].key + plen + 1, marks[k].a, marks[k].b);
    }
    fg_log(FG_LOG_INFO, "fs", "this node holds the folders' lease: it watches them (%zu file(s) indexed)", n);
    if (fs_watch(t, &err) < 0)
        fg_log(FG_LOG_ERROR, "fs", "cannot watch the folders: %s", err.msg);
}

static int fs_start(struct fg_trigger *base, struct fg_err *err)
{
    struct fs_trigger *t = (struct fs_trigger *)base;
    int rc;

    if ((rc = fg_work_start(&t->worker, &fs_work_ops, t->loop, t, err)) < 0)
        return rc;
    if (fg_router_shared(t->router)) {
        /* One node of the fleet watches at a time, so each file fires once. */
        t->fleet = true;
        if ((rc = fg_router_lease(t->router, "folders", "", fs_on_lease, t)) < 0)
            return fg_err_set(err, rc, "cannot ask for the folders' lease: %s", fg_strerror(rc));
        fg_log(FG_LOG_INFO, "fs", "%zu folder(s): watched by the node of the fleet that holds their lease", t->n_roots);
        return 0;
    }
    for (size_t i = 0; i < t->n_roots; i++) {
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "%s/", t->roots[i].conf->name);
        fg_router_each_file(t->router, prefix, fs_load_entry, &t->roots[i]);
    }
    return fs_watch(t, err);
}

static void fs_stop(struct fg_trigger *base)
{
    struct fs_trigger *t = (struct fs_trigger *)base;
    fs_unwatch(t);
    fg_work_stop(&t->worker);
}

/* GET /_fngate/folders: per folder, its mode, whether the first scan is done (what was
 * there at start has fired, but for files still being written: those are in "pending"),
 * what the index holds, the work still out, and counts. */
static int fs_describe(struct fg_trigger *base, struct fg_buf *out)
{
    struct fs_trigger *t = (struct fs_trigger *)base;
    int rc;

    if ((rc = fg_buf_append_str(out, "{\"folders\":[")) < 0)
        return rc;
    for (size_t i = 0; i < t->n_roots; i++) {
        const struct fs_root *r = &t->roots[i];
        char line[512];
        int n;
        if ((rc = fg_json_write_field(out, i ? ",{\"name\":" : "{\"name\":", r->conf->name)) < 0 ||
            (rc = fg_json_write_field(out, ",\"function\":", r->fn->name)) < 0 ||
            (rc = fg_json_write_field(out, ",\"path\":", r->conf->path)) < 0 ||
            (rc = fg_json_write_field(out, ",\"bucket\":", r->conf->bucket)) < 0)
            return rc;
        n = snprintf(line, sizeof(line),
                     ",\"mode\":\"%s\",\"pollMs\":%d,\"initialScanDone\":%s,\"indexed\":%lld,\"pending\":%d,"
                     "\"created\":%lld,\"removed\":%lld,\"filtered\":%lld,\"errors\":%lld}",
                     r->poll_ev ? "poll" : "inotify", r->poll_ev ? r->conf->poll_ms : 0,
                     r->initial_done ? "true" : "false", r->indexed, r->jobs + r->retrying, r->fired, r->removed,
                     r->filtered, r->errors);
        if ((rc = fg_buf_append(out, line, (size_t)n)) < 0)
            return rc;
    }
    return fg_buf_append_str(out, "]}");
}

static void fs_free_entry(void *arg, const char *key, void *value)
{
    (void)arg;
    (void)key;
    free(value);
}

/* GET /metrics: per folder, the changes seen (received), stored as events (acknowledged),
 * filtered out, and failed (the event could not be built, submitted or stored). */
static int fs_metrics(struct fg_trigger *base, struct fg_prom *p)
{
    struct fs_trigger *t = (struct fs_trigger *)base;
    for (size_t i = 0; i < t->n_roots; i++) {
        struct fs_root *r = &t->roots[i];
        struct fg_source_figures f;
        fg_source_figures_init(&f, base->ops->name, r->conf->name, r->fn->name);
        f.received = r->fired + r->removed + r->filtered + r->errors;
        f.acknowledged = atomic_load_explicit(&r->stored, memory_order_relaxed);
        f.failed = r->errors + atomic_load_explicit(&r->lost, memory_order_relaxed);
        f.filtered = r->filtered;
        fg_source_metrics(p, &f);
    }
    return p->err;
}

static void fs_free(struct fg_trigger *base)
{
    struct fs_trigger *t = (struct fs_trigger *)base;
    if (!t)
        return;
    fs_stop(base);
    fg_fs_watch_free(t->watch);
    while (t->retries) {
        struct fs_retry *x = t->retries;
        t->retries = x->next;
        free(x);
    }
    if (t->retry_timer)
        event_free(t->retry_timer);
    for (size_t i = 0; i < t->n_roots; i++) {
        fg_strmap_each(&t->roots[i].files, fs_free_entry, NULL);
        fg_strmap_free(&t->roots[i].files);
        if (t->roots[i].poll_ev)
            event_free(t->roots[i].poll_ev);
        fg_filter_free(t->roots[i].filter);
    }
    free(t->roots);
    free(t);
}


static int fs_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                  struct fg_trigger **out, struct fg_err *err)
{
    struct fs_trigger *t;
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!(n = fg_conf_count_events(conf, &fs_conf)))
        return 0;
    if (!(t = calloc(1, sizeof(*t))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    t->base.ops = &fg_fs_trigger;
    t->conf = conf;
    t->router = router;
    t->loop = loop;
    fg_idgen_init(&t->ids);
    if (!(t->roots = calloc(n, sizeof(*t->roots))) || !(t->retry_timer = evtimer_new(loop->base, fs_on_retry, t))) {
        fs_free(&t->base);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    if ((rc = fg_fs_watch_new(loop, fs_on_change, t, &t->watch, err)) < 0) {
        fs_free(&t->base);
        return rc;
    }
    for (size_t i = 0; i < conf->n_functions; i++) {
        for (size_t j = 0; j < conf->functions[i].n_events; j++) {
            const struct fg_conf_event *ev = &conf->functions[i].events[j];
            struct fs_root *r;
            if (ev->type != &fs_conf)
                continue;
            r = &t->roots[t->n_roots++];
            r->fn = &conf->functions[i];
            r->conf = ev->conf;
            r->t = t;
            r->path_len = strlen(r->conf->path);
            fg_strmap_init(&r->files);
            if (ev->filter.n && (rc = fg_filter_compile(ev->filter.patterns, ev->filter.n, &r->filter, err)) < 0) {
                fs_free(&t->base);
                return rc;
            }
            if (r->conf->poll_ms) {
                if (!(r->poll_ev = event_new(loop->base, -1, EV_PERSIST, fs_on_poll, r))) {
                    fs_free(&t->base);
                    return fg_err_set(err, -ENOMEM, "out of memory");
                }
            } else if ((rc = fg_fs_watch_add(t->watch, r->conf->path, r->conf->recursive, err)) < 0) {
                fs_free(&t->base);
                return rc;
            }
        }
    }
    *out = &t->base;
    return 0;
}

bool fg_fs_watches(const struct fg_config *conf, const char *path)
{
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++) {
            const struct fg_conf_fs *f = conf->functions[i].events[j].conf;
            size_t n;
            if (conf->functions[i].events[j].type != &fs_conf)
                continue;
            n = strlen(f->path);
            if (!strncmp(path, f->path, n) && path[n] == '/')
                return true;
        }
    return false;
}

/* ------------------------------------------------------------------ configuration */

static const struct fg_conf_key fs_keys[] = {
    { .name = "path", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_fs, path) },
    { .name = "bucket", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_fs, bucket) },
    { .name = "name", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_fs, name) },
    { .name = "events", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_fs, events),
      .parse = fg_s3_event_kinds_parse },
    { .name = "prefix", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_fs, prefix) },
    { .name = "suffix", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_fs, suffix) },
    { .name = "recursive", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_fs, recursive) },
    { .name = "hidden", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_fs, hidden) },
    { .name = "poll", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_fs, poll_ms), .min = 100, .max = 3600000 },
    FG_CONF_KEY_END,
};

static void fs_conf_defaults(void *obj)
{
    struct fg_conf_fs *f = obj;
    f->events.created = true;
    f->recursive = true;
}

static int fs_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_fs *f = ev->conf;
    struct stat st;

    (void)val;
    if (!f->path)
        return fg_conf_fail(p, ev->pos, "fs: 'path' (the folder to watch) is required");
    if (!(f->path = fg_conf_abspath(p, f->path)))
        return -ENOMEM;
    if (stat(f->path, &st) < 0 || !S_ISDIR(st.st_mode))
        return fg_conf_fail(p, ev->pos, "fs: %s is not a directory", f->path);
    if (!f->bucket) {
        const char *slash = strrchr(f->path, '/');
        f->bucket = slash && slash[1] ? slash + 1 : "files";
    }
    if (!f->name && !(f->name = fg_conf_printf(p, "%s-fs-%zu", ev->fn->name, ev->index)))
        return -ENOMEM;
    return 0;
}

static void fs_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_fs *f = ev->conf;
    snprintf(out, size, "fs: %s  (bucket %s, name %s, events%s%s%s%s%s%s%s%s)", f->path, f->bucket, f->name,
             f->events.created ? " created" : "", f->events.removed ? " removed" : "", f->prefix ? ", prefix " : "",
             f->prefix ? f->prefix : "", f->suffix ? ", suffix " : "", f->suffix ? f->suffix : "",
             f->recursive ? ", recursive" : "", f->poll_ms ? ", polled" : ", inotify");
}

/* {"type":"fs","path","bucket"} */
static int fs_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_fs *f = ev->conf;
    (void)t;
    return fg_trigger_console_object(out, "fs", (const char *const[]){ "path", f->path, "bucket", f->bucket, NULL });
}

static const struct fg_conf_event_type fs_conf = {
    .kind = "fs",
    .where = "fs",
    .size = sizeof(struct fg_conf_fs),
    .keys = fs_keys,
    .short_key = "path",
    .filterable = true,
    .defaults = fs_conf_defaults,
    .check = fs_conf_check,
};

const struct fg_trigger_ops fg_fs_trigger = {
    .name = "fs",
    .conf = &fs_conf,
    .view = "folders",
    .view_empty = "{\"folders\":[]}",
    .new = fs_new,
    .start = fs_start,
    .stop = fs_stop,
    .describe = fs_describe,
    .metrics = fs_metrics,
    .free = fs_free,
    .summary = fs_summary,
    .console = fs_console,
};

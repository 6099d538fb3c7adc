/* SPDX-License-Identifier: MIT */
/* store_open.c - making the state file usable (see store_int.h): one process per state
 * directory, the file checked (SQLite's quick_check; a truncated, emptied or damaged file is
 * refused with its name), the schema created or checked, statements prepared, and the
 * queue read back at start. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "../core/log.h"

/* ------------------------------------------------------------------ open / load */

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS events("
    " id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, function TEXT NOT NULL, url TEXT,"
    " payload BLOB NOT NULL, accepted_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL,"
    " failures INTEGER NOT NULL DEFAULT 0, deferrals INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS dlq("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, function TEXT NOT NULL,"
    " url TEXT, payload BLOB NOT NULL, accepted_ms INTEGER NOT NULL, failed_ms INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, condition TEXT NOT NULL, error_type TEXT, error_message TEXT);"
    "CREATE INDEX IF NOT EXISTS dlq_function ON dlq(function);"
    "CREATE TABLE IF NOT EXISTS schedules(name TEXT PRIMARY KEY, last_fire INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS files(key TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL) WITHOUT ROWID;";

/* What takes a file from schema version i + 1 to i + 2 (store_int.h), run in order from the
 * file's version up to STORE_SCHEMA_VERSION in one transaction with the new user_version, so
 * a crash leaves the file at its old version, which the next start migrates again. A new
 * file gets store_schema (version 1), then every step. */
static const char *const store_migrations[STORE_SCHEMA_VERSION - 1] = {
    /* 1 -> 2: the console's saved test events (store_test_event.c) */
    "CREATE TABLE IF NOT EXISTS test_events(function TEXT NOT NULL, name TEXT NOT NULL, event BLOB NOT NULL,"
    " updated_ms INTEGER NOT NULL, PRIMARY KEY(function, name)) WITHOUT ROWID;",
};

/* The tables a damaged file is searched for, to say what the damage touches. */
static const struct {
    const char *table, *what;
} store_tables[] = {
    { "events", "the async queue" },
    { "dlq", "the dead letters" },
    { "schedules", "the schedules' last fires" },
    { "files", "the folder indexes" },
    { "test_events", "the console's saved test events" },
};

/* Whether PRAGMA quick_check finds table (NULL: the whole file) damaged; its first problem is
 * copied to msg then. A damaged page can also abort the pragma itself (its row scans read
 * the page): that error is the problem then. A table the file lacks is not damaged here. */
static bool store_quick_check(struct fg_sqlite_store *s, const char *table, char *msg, size_t size)
{
    static const char prefix[] = "*** in database main ***\n";
    char sql[64];
    sqlite3_stmt *st = NULL;
    bool damaged = true;
    int rc;

    snprintf(sql, sizeof(sql), table ? "PRAGMA quick_check(%s)" : "PRAGMA quick_check", table);
    if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK && table)
        return false;
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(st, 0);
        if (!row)
            row = "no answer";
        if (!strncmp(row, prefix, sizeof(prefix) - 1))
            row += sizeof(prefix) - 1;
        damaged = strcmp(row, "ok") != 0;
        snprintf(msg, size, "%.*s", (int)strcspn(row, "\n"), row);
    } else {
        snprintf(msg, size, "%s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    return damaged;
}

/* Refuses a damaged file, naming it, its first problem and, when the problem lies in one
 * of fngate's tables, that table. Reads every page: about 0.6 s for 1 GB from the page cache
 * (README, "Restart"; tests/bench/state_check.sh measures it). */
static int store_check(struct fg_sqlite_store *s, struct fg_err *err)
{
    char msg[512], where[160] = "";

    if (!store_quick_check(s, NULL, msg, sizeof(msg)))
        return 0;
    for (size_t i = 0; i < sizeof(store_tables) / sizeof(store_tables[0]); i++) {
        char tmsg[8];
        if (store_quick_check(s, store_tables[i].table, tmsg, sizeof(tmsg))) {
            snprintf(where, sizeof(where), ", in table %s, %s", store_tables[i].table, store_tables[i].what);
            break;
        }
    }
    return fg_err_set(err, -EILSEQ, "state file %s: damaged: %s%s (move it away to start empty, or restore it)",
                      s->path, msg, where);
}

/* Reads the file once, in order, ahead of the check, which visits pages in b-tree order: from
 * a cold page cache that is random I/O (1 GB: 17 s on the 2-core development machine, 2.6 s
 * with this pass first; warm, the pass adds 0.1 s). Skipped for a file over half the RAM,
 * which the cache would not keep. Before SQLite opens the file: closing a descriptor of it
 * later would drop the process's POSIX locks on it, SQLite's included. */
static void store_prefetch(const char *path)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf;

    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && pages > 0 && page_size > 0 && st.st_size <= (off_t)pages / 2 * page_size &&
        (buf = malloc(1 << 20))) {
        while (read(fd, buf, 1 << 20) > 0)
            ;
        free(buf);
    }
    close(fd);
}

/* A 0-byte fngate.db: fngate never leaves one behind (opening writes the header at once),
 * so where fngate ran before (fngate.lock is there, or a write-ahead log) the file was
 * truncated or replaced and is refused. In a state_dir with no such trace it was created
 * ahead, say by a provisioning tool setting its owner and mode: a new file, with a warning.
 * used: whether state_dir showed that trace before this open took the lock. */
static int store_check_empty(struct fg_sqlite_store *s, bool used, struct fg_err *err)
{
    struct stat st;
    if (stat(s->path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 0)
        return 0;
    if (used)
        return fg_err_set(err, -EILSEQ, "state file %s: damaged: empty (0 bytes) in a state_dir fngate has run in "
                                        "(move it away to start empty, or restore it)", s->path);
    fg_log(FG_LOG_WARN, "store", "state file %s is empty (0 bytes) and fngate has not run in %s before: "
                                 "starting with an empty state", s->path, s->conf->state_dir);
    return 0;
}

/* Creates the schema of a new file (version 0) or brings an older one to
 * STORE_SCHEMA_VERSION, logging each step taken. 0 or a negative code with err filled
 * (the file is then as it was). */
static int store_migrate(struct fg_sqlite_store *s, int version, struct fg_err *err)
{
    char sql[64];
    int rc;

    if (version == STORE_SCHEMA_VERSION)
        return 0;
    if ((rc = fg_store_exec(s, "BEGIN IMMEDIATE", err)) < 0)
        return rc;
    if (version < 1 && (rc = fg_store_exec(s, store_schema, err)) < 0)
        goto fail;
    for (int v = version < 1 ? 1 : version; v < STORE_SCHEMA_VERSION; v++) {
        if ((rc = fg_store_exec(s, store_migrations[v - 1], err)) < 0)
            goto fail;
        if (version > 0)
            fg_log(FG_LOG_INFO, "store", "state file %s: schema %d migrated to %d", s->path, v, v + 1);
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", STORE_SCHEMA_VERSION);
    if ((rc = fg_store_exec(s, sql, err)) < 0 || (rc = fg_store_exec(s, "COMMIT", err)) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int store_prepare(struct fg_sqlite_store *s, const char *sql, sqlite3_stmt **st, struct fg_err *err)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? 0 : fg_store_sql_err(s, err, rc, "prepare");
}

int fg_sqlite_store_open(const struct fg_config *conf, struct fg_loop *loop, fg_store_events_fn *on_events,
                  fg_store_events_fn *on_fetched, void *arg, struct fg_sqlite_store **out, struct fg_err *err)
{
    struct fg_sqlite_store *s = calloc(1, sizeof(*s));
    bool memory = conf->durability == FG_DURABILITY_MEMORY, used = false;
    sqlite3_stmt *st = NULL;
    char lock_path[4200], wal_path[4200];
    struct stat sb;
    int rc, version = 0;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->conf = conf;
    s->loop = loop;
    s->on_events = on_events;
    s->on_fetched = on_fetched;
    s->arg = arg;
    s->lock_fd = -1;
    fg_idgen_init(&s->ids);
    pthread_mutex_init(&s->lock, NULL);
    fg_workq_init(&s->ops, NULL, NULL);
    if (memory) {
        snprintf(s->path, sizeof(s->path), ":memory:");
    } else {
        snprintf(s->path, sizeof(s->path), "%s/fngate.db", conf->state_dir);
        if ((rc = fg_mkdirs(conf->state_dir)) < 0) {
            fg_err_set(err, rc, "state_dir %s: cannot create it: %s", conf->state_dir, strerror(-rc));
            goto fail;
        }
        snprintf(lock_path, sizeof(lock_path), "%s/fngate.lock", conf->state_dir);
        snprintf(wal_path, sizeof(wal_path), "%s-wal", s->path);
        used = stat(lock_path, &sb) == 0 || (stat(wal_path, &sb) == 0 && sb.st_size > 0);
        if ((s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
            rc = fg_err_set(err, -errno, "state_dir %s is not writable: %s", conf->state_dir, strerror(errno));
            goto fail;
        }
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
            rc = fg_err_set(err, -EBUSY, "state_dir %s is in use by another fngate process (%s is locked)",
                            conf->state_dir, lock_path);
            goto fail;
        }
        if ((rc = store_check_empty(s, used, err)) < 0)
            goto fail;
        store_prefetch(s->path);
    }
    if ((rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              NULL)) != SQLITE_OK) {
        rc = fg_store_sql_err(s, err, rc, "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Exclusive locking: fngate.lock already keeps every other process out, so SQLite's own
     * per-transaction file locks (two fcntl calls a commit) and its shared-memory index buy
     * nothing. Set before WAL, so the WAL index lives in heap memory. */
    if ((rc = fg_store_exec(s, "PRAGMA locking_mode=EXCLUSIVE", err)) < 0 ||
        (rc = fg_store_exec(s, memory ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL", err)) < 0 ||
        (rc = fg_store_exec(s, memory ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL", err)) < 0)
        goto corrupt;
    if (!memory && (rc = store_check(s, err)) < 0)
        goto fail;
    if ((rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = fg_store_sql_err(s, err, rc, "cannot read the schema version");
        goto corrupt;
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (version > STORE_SCHEMA_VERSION) {
        rc = fg_err_set(err, -EILSEQ, "state file %s was written by a newer fngate (schema %d, this one knows %d)",
                        s->path, version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if ((rc = store_migrate(s, version, err)) < 0)
        goto corrupt;
    if ((rc = store_prepare(s, "INSERT INTO events(request_id, function, url, payload, accepted_ms, due_ms,"
                               " failures, deferrals) VALUES(?,?,?,?,?,?,?,?)", &s->st_insert, err)) < 0 ||
        (rc = store_prepare(s, "DELETE FROM events WHERE id=?", &s->st_delete, err)) < 0 ||
        (rc = store_prepare(s, "UPDATE events SET failures=?, deferrals=?, due_ms=? WHERE id=?", &s->st_retry, err)) < 0 ||
        (rc = store_prepare(s, "INSERT INTO dlq(request_id, function, url, payload, accepted_ms, failed_ms, attempts,"
                               " condition, error_type, error_message) SELECT request_id, function, url, payload,"
                               " accepted_ms, ?, ?, ?, ?, ? FROM events WHERE id=?", &s->st_bury, err)) < 0 ||
        (rc = store_prepare(s, "SELECT payload FROM events WHERE id=?", &s->st_payload, err)) < 0 ||
        (rc = store_prepare(s, "INSERT INTO schedules(name, last_fire) VALUES(?, ?) ON CONFLICT(name) DO UPDATE"
                               " SET last_fire=max(last_fire, excluded.last_fire)", &s->st_mark, err)) < 0 ||
        (rc = store_prepare(s, "INSERT OR REPLACE INTO files(key, size, mtime_ns) VALUES(?, ?, ?)", &s->st_file, err)) < 0 ||
        (rc = store_prepare(s, "DELETE FROM files WHERE key=?", &s->st_file_gone, err)) < 0)
        goto corrupt;
    fg_store_recount(s);
    *out = s;
    return 0;
corrupt:
    if (rc == -EILSEQ || rc == -EIO)
        fg_err_set(err, rc, "state file %s is not a usable fngate database (%s); move it away to start with an "
                            "empty queue, or restore it from a backup", s->path, sqlite3_errmsg(s->db));
fail:
    sqlite3_finalize(st);
    fg_sqlite_store_free(s);
    return rc;
}

int fg_sqlite_store_load(struct fg_sqlite_store *s, size_t warm_bytes, struct fg_async_event **list, struct fg_err *err)
{
    struct fg_async_event *head = NULL, **tail = &head;
    size_t warm = 0;
    sqlite3_stmt *st;
    int rc;

    *list = NULL;
    if ((rc = sqlite3_prepare_v2(s->db, "SELECT id, request_id, function, url, payload, accepted_ms, due_ms,"
                                        " failures, deferrals FROM events ORDER BY id", -1, &st, NULL)) != SQLITE_OK)
        return fg_store_sql_err(s, err, rc, "cannot read the queue");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct fg_async_event *ev = fg_async_event_new((const char *)sqlite3_column_text(st, 2),
                                                       (const char *)sqlite3_column_text(st, 3),
                                                       sqlite3_column_blob(st, 4) ? sqlite3_column_blob(st, 4) : "",
                                                       (size_t)sqlite3_column_bytes(st, 4));
        if (!ev) {
            sqlite3_finalize(st);
            fg_async_event_free_list(head);
            return fg_err_set(err, -ENOMEM, "out of memory loading the queue");
        }
        ev->id = sqlite3_column_int64(st, 0);
        snprintf(ev->request_id, sizeof(ev->request_id), "%s", (const char *)sqlite3_column_text(st, 1));
        ev->accepted_ms = sqlite3_column_int64(st, 5);
        ev->due_ms = sqlite3_column_int64(st, 6);
        ev->failures = sqlite3_column_int(st, 7);
        ev->deferrals = sqlite3_column_int(st, 8);
        if (!ev->url && warm + ev->payload_len > warm_bytes) {
            free(ev->payload);
            ev->payload = NULL;
        } else if (!ev->url) {
            warm += ev->payload_len;
        }
        *tail = ev;
        tail = &ev->next;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fg_async_event_free_list(head);
        return fg_store_sql_err(s, err, rc, "cannot read the queue (corrupt?)");
    }
    *list = head;
    return 0;
}

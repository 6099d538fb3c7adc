/* SPDX-License-Identifier: MIT */
/* store_test_event.c - the console's saved test events in the state file (see store.h,
 * FG_STORE_TEST_*): table test_events (schema version 2), keyed by function name and event
 * name, so a function removed from the configuration keeps its events in the file and finds
 * them again when it comes back (Lambda keeps them with the function).
 *
 * DESIGN: the queries run on the writer thread inside its batch transaction (store.c), like
 * a dead-letter redrive, so the count limit (FG_STORE_TEST_EVENTS_MAX) and the write are one
 * atomic step however many consoles save at once. The event is stored as the compact JSON
 * text the gateway made from the request (gateway/test_event.c); the list parses it back so
 * the answer nests it as a JSON value. Names and bodies are checked before they get here. */
#include "store_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"

/* {"events": [{"name", "event", "updated"}]} sorted by name. */
static int test_event_list(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    json_t *events = json_array(), *o = json_pack("{s:o}", "events", events);
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = sqlite3_prepare_v2(s->db, "SELECT name, event, updated_ms FROM test_events WHERE function=?"
                                        " ORDER BY name", -1, &st, NULL)) != SQLITE_OK) {
        json_decref(o);
        return rc;
    }
    sqlite3_bind_text(st, 1, q->function, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && o) {
        const char *text = sqlite3_column_blob(st, 1);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        json_t *event = json_loadb(text ? text : "", n, JSON_DECODE_ANY, NULL);
        json_t *row = json_pack("{s:s,s:o,s:I}", "name", (const char *)sqlite3_column_text(st, 0), "event",
                                event ? event : json_stringn(text ? text : "", n),
                                "updated", (json_int_t)sqlite3_column_int64(st, 2));
        if (!row || json_array_append_new(events, row) < 0) {
            json_decref(o);
            o = NULL;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        json_decref(o);
        return rc;
    }
    fg_store_answer_json(q, o);
    return SQLITE_OK;
}

/* Creates or replaces q->name; refused when it is new and the function has the most. */
static int test_event_save(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    long long now = fg_now_ms();
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO test_events(function, name, event, updated_ms)"
                                        " SELECT ?1, ?2, ?3, ?4 WHERE (SELECT count(*) FROM test_events"
                                        " WHERE function=?1 AND name<>?2) < ?5"
                                        " ON CONFLICT(function, name) DO UPDATE"
                                        " SET event=excluded.event, updated_ms=excluded.updated_ms",
                                 -1, &st, NULL)) != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->function, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, q->event, (int)q->event_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int(st, 5, FG_STORE_TEST_EVENTS_MAX);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    if (sqlite3_changes(s->db) == 0) {
        fg_store_refuse_test_events_full(q);
        return SQLITE_OK;
    }
    fg_store_answer_json(q, json_pack("{s:s,s:I}", "name", q->name, "updated", (json_int_t)now));
    return SQLITE_OK;
}

static int test_event_delete(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = sqlite3_prepare_v2(s->db, "DELETE FROM test_events WHERE function=? AND name=?", -1, &st, NULL)) !=
        SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->function, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    fg_store_answer_json(q, json_pack("{s:i}", "deleted", sqlite3_changes(s->db)));
    return SQLITE_OK;
}

int fg_store_test_event_run(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    switch (q->kind) {
    case FG_STORE_TEST_LIST:
        return test_event_list(s, q);
    case FG_STORE_TEST_SAVE:
        return test_event_save(s, q);
    case FG_STORE_TEST_DELETE:
        return test_event_delete(s, q);
    default:
        return SQLITE_MISUSE;
    }
}

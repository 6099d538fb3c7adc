/* SPDX-License-Identifier: MIT */
/* test_event.h - the console's Test button as admin API requests (issue 18, contract items
 * 4 and 5): a function's saved test events and a test invocation.
 *
 *   GET  /_fngate/functions/NAME/test-events          {"events":[{"name","event","updated"}]}
 *   POST /_fngate/functions/NAME/test-events          {"name","event"} -> {"name","updated"}
 *   POST /_fngate/functions/NAME/test-events/delete   {"name"} -> {"deleted":0|1}
 *   POST /_fngate/functions/NAME/invoke               {"payload"} -> the execution result
 *
 * This file turns a request into a struct fg_test_req and an invocation into the console's
 * execution result: pure functions, no I/O (gateway/admin_test.c runs them against the
 * router and the state store). Names follow the Lambda console's rule for test events:
 * 1 to 25 characters of letters, digits, '-' and '_'. Tests: tests/unit/test_test_event.c,
 * tests/integration/test_console_test_events.py. */
#ifndef FG_TEST_EVENT_H
#define FG_TEST_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../router/invocation.h"
#include "../router/store.h"

#define FG_TEST_EVENT_NAME_MAX 25

enum fg_test_op {
    FG_TEST_LIST = 0,
    FG_TEST_SAVE,
    FG_TEST_DELETE,
    FG_TEST_INVOKE,
};

struct fg_test_req {
    enum fg_test_op op;
    char function[72];                  /* as configured (URL-decoded from the path) */
    char name[FG_TEST_EVENT_NAME_MAX + 1];  /* SAVE, DELETE */
    char *json;                         /* owned: SAVE's event or INVOKE's payload, compact
                                         * JSON text, NUL-terminated */
    size_t json_len;
    /* ---- running it (gateway/admin_test.c) */
    void (*done)(void *arg);            /* the answer is ready */
    void *done_arg;
    int memory_mb;                      /* INVOKE: the function's memory size */
    struct fg_store_query query;        /* LIST, SAVE, DELETE */
    struct fg_invocation inv;           /* INVOKE */
    int status;                         /* the answer: HTTP status and JSON body (owned) */
    struct fg_buf answer;
};

/* Whether name[0..len) is a test event name the console takes. */
bool fg_test_event_name_ok(const char *name, size_t len);

/* Whether the admin path (from "/functions/", without the query string: path[0..plen)) is
 * one of this file's: /functions/NAME/test-events[/delete] or /functions/NAME/invoke. */
bool fg_test_event_path(const char *path, size_t plen);

/* Parses a request on such a path: method, path[0..plen) and the body (at most
 * FG_ADMIN_MAX_BODY bytes). Zeroes t first. 0, or an HTTP status (400, 404 for a name that
 * cannot be a function's, 405) with err's message. t may hold owned memory either way:
 * fg_test_req_close. */
int fg_test_event_parse(const char *method, const char *path, size_t plen, const char *body, size_t len,
                        struct fg_test_req *t, struct fg_err *err);

/* Appends the console's execution result of a finished invocation (status OK, function
 * error or timeout) to out: {"requestId", "status", "response", "functionError", "logs",
 * "durationMs", "billedDurationMs", "memorySizeMb", "maxMemoryUsedMb", "initDurationMs"}.
 * memory_mb: the function's memory size. 0 or a negative code. */
int fg_test_event_result(const struct fg_invocation *inv, int memory_mb, struct fg_buf *out);

/* Frees what t owns (a zeroed t is fine); t may be parsed again. */
void fg_test_req_close(struct fg_test_req *t);

#endif

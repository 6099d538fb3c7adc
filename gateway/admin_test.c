/* SPDX-License-Identifier: MIT */
/* admin_test.c - the console's Test button run against the router and the state store
 * (see admin_test.h).
 *
 * Answers: a test-event query answers what the store wrote (200, or 400 with its message);
 * a test invocation answers 200 with the execution result whether the function succeeded
 * or failed (the console shows both), 429 when throttled, 404 when the function went away
 * meanwhile (a reload), 500 when fngate could not run it. */
#include "admin_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/json_write.h"

/* Answers at most the sync payload limit plus the result's own fields and a 4 KB log tail
 * (JSON-escaped, up to 6 bytes a byte). */
#define ADMIN_TEST_ANSWER_MAX (FG_PAYLOAD_SYNC_MAX_BYTES + 64 * 1024)

/* t's answer := status with {"message": printf(fmt, ...)}. */
static void admin_test_message(struct fg_test_req *t, int status, const char *fmt, ...) FG_PRINTF(3, 4);
static void admin_test_message(struct fg_test_req *t, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fg_buf_reset(&t->answer);
    t->status = fg_json_write_message(&t->answer, msg) == 0 ? status : 500;
}

/* Loop thread (or the store thread after the loop): the store answered. */
static void admin_test_on_query(struct fg_store_query *q, void *arg)
{
    struct fg_test_req *t = arg;

    if ((q->status == 200 || q->status == 400) && q->json.len) {
        fg_buf_free(&t->answer);
        t->answer = q->json;
        fg_buf_init(&q->json, 0);
        t->status = q->status;
    } else {
        admin_test_message(t, q->status == 503 ? 503 : 500, "%s", q->status == 503 ? "fngate is stopping"
                                                          : "the state file did not answer (see the gateway log)");
    }
    t->done(t->done_arg);
}

/* Loop thread: the invocation ended. */
static void admin_test_on_invoked(struct fg_invocation *inv, void *arg)
{
    struct fg_test_req *t = arg;

    switch (inv->status) {
    case FG_INV_NOT_FOUND:
        admin_test_message(t, 404, "no function named %s", t->function);
        break;
    case FG_INV_THROTTLED:
        admin_test_message(t, 429, "Rate Exceeded. (%s)", inv->throttle_reason ? inv->throttle_reason : "throttled");
        break;
    case FG_INV_SERVICE_ERROR:
        admin_test_message(t, 500, "%s", inv->result.len ? inv->result.data : "fngate could not run the function");
        break;
    default:
        fg_buf_reset(&t->answer);
        t->status = fg_test_event_result(inv, t->memory_mb, &t->answer) == 0 ? 200 : 500;
        if (t->status != 200)
            admin_test_message(t, 500, "the execution result did not fit in %d bytes", ADMIN_TEST_ANSWER_MAX);
        break;
    }
    t->done(t->done_arg);
}

int fg_admin_test_start(struct fg_router *r, struct fg_test_req *t, void (*done)(void *arg), void *arg)
{
    const struct fg_conf_function *fn = fg_conf_function(fg_router_conf(r), t->function);

    fg_buf_init(&t->answer, ADMIN_TEST_ANSWER_MAX);
    t->done = done;
    t->done_arg = arg;
    if (!fn) {
        admin_test_message(t, 404, "no function named %s", t->function);
        return -1;
    }
    if (t->op == FG_TEST_INVOKE) {
        struct fg_invocation *inv = &t->inv;
        fg_invocation_init(inv);
        snprintf(inv->function, sizeof(inv->function), "%s", t->function);
        inv->payload = t->json;
        inv->payload_len = t->json_len;
        inv->want_log_tail = true;
        inv->done = admin_test_on_invoked;
        inv->done_arg = t;
        t->memory_mb = fn->memory_mb;
        if (fg_router_submit(r, inv) < 0) {
            admin_test_message(t, 503, "fngate is stopping");
            return -1;
        }
        return 0;
    }
    t->query.kind = t->op == FG_TEST_LIST ? FG_STORE_TEST_LIST : t->op == FG_TEST_SAVE ? FG_STORE_TEST_SAVE
                                                                                      : FG_STORE_TEST_DELETE;
    t->query.function = t->function;
    t->query.name = t->name;
    t->query.event = t->json;
    t->query.event_len = t->json_len;
    t->query.done = admin_test_on_query;
    t->query.done_arg = t;
    if (fg_router_test_events(r, &t->query) < 0) {
        admin_test_message(t, 503, "fngate is stopping");
        return -1;
    }
    return 0;
}

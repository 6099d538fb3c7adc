/* SPDX-License-Identifier: MIT */
/* test_async.c - the async path's pieces: backoff and its jitter bounds, event age, the token
 * bucket, destination records, and the SQLite store (commit, reload, refusals). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/loop.h"
#include "core/token_bucket.h"
#include "router/destination.h"
#include "router/retry.h"
#include "router/store.h"
#include "unit.h"

static const struct fg_conf_retries pol_full = { 2, 3600, 1000, 300000, 2.0, FG_JITTER_FULL };

START_TEST(test_backoff_schedule)
{
    struct fg_conf_retries p = pol_full;
    p.jitter = FG_JITTER_NONE;
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 1, 0.5), 1000);
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 2, 0.5), 2000);
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 5, 0.5), 16000);
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 9, 0.5), 256000);
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 10, 0.5), 300000);      /* capped at max */
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 1000, 0.5), 300000);    /* no overflow */
    p.multiplier = 1;
    ck_assert_int_eq(fg_retry_backoff_ms(&p, 7, 0.5), 1000);
}
END_TEST

START_TEST(test_backoff_jitter_bounds)
{
    struct fg_conf_retries full = pol_full, equal = pol_full;
    unsigned seed = 12345;
    long long min_full = 1LL << 60, max_full = 0;
    equal.jitter = FG_JITTER_EQUAL;
    for (int i = 0; i < 100000; i++) {
        int n = 1 + i % 12;
        double rnd = (double)rand_r(&seed) / ((double)RAND_MAX + 1.0);
        long long cap = 1000LL << (n - 1);
        if (cap > 300000)
            cap = 300000;
        long long f = fg_retry_backoff_ms(&full, n, rnd), e = fg_retry_backoff_ms(&equal, n, rnd);
        ck_assert_msg(f >= 0 && f <= cap, "full jitter %lld outside [0, %lld]", f, cap);
        ck_assert_msg(e >= cap / 2 && e <= cap, "equal jitter %lld outside [%lld, %lld]", e, cap / 2, cap);
        if (n == 1) {
            if (f < min_full) min_full = f;
            if (f > max_full) max_full = f;
        }
    }
    /* Full jitter really spreads over the whole range. */
    ck_assert_int_lt(min_full, 50);
    ck_assert_int_gt(max_full, 950);
    /* Draws outside [0, 1) are clamped, never past the cap. */
    ck_assert_int_le(fg_retry_backoff_ms(&full, 1, 7.0), 1000);
    ck_assert_int_ge(fg_retry_backoff_ms(&full, 1, -1.0), 0);
}
END_TEST

START_TEST(test_event_age)
{
    struct fg_conf_retries p = pol_full;
    p.max_age_s = 60;
    ck_assert(!fg_retry_expired(&p, 1000000, 1000000));
    ck_assert(!fg_retry_expired(&p, 1000000, 1060000));     /* exactly the age: still allowed */
    ck_assert(fg_retry_expired(&p, 1000000, 1060001));
    p.max_age_s = 21600;
    ck_assert(!fg_retry_expired(&p, 0, 21600000));
    ck_assert(fg_retry_expired(&p, 0, 21600001));
}
END_TEST

START_TEST(test_token_bucket)
{
    struct fg_token_bucket b;
    long long t = 1000000;
    fg_token_bucket_init(&b, 10, 3, t);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fg_token_bucket_take(&b, t), 0);      /* the burst */
    long long wait = fg_token_bucket_take(&b, t);
    ck_assert_int_gt(wait, 99000);                              /* one token per 100 ms */
    ck_assert_int_le(wait, 100001);
    ck_assert_int_gt(fg_token_bucket_take(&b, t + 50000), 0);
    ck_assert_int_eq(fg_token_bucket_take(&b, t + wait), 0);
    /* A long pause refills only up to the burst. */
    t += 60 * 1000000LL;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fg_token_bucket_take(&b, t), 0);
    ck_assert_int_gt(fg_token_bucket_take(&b, t), 0);
    /* Over a simulated second at a steady pace, exactly the rate gets through. */
    int taken = 0;
    fg_token_bucket_init(&b, 50, 1, 0);
    for (long long us = 0; us < 1000000; us += 1000)
        taken += fg_token_bucket_take(&b, us) == 0;
    ck_assert_int_ge(taken, 50);
    ck_assert_int_le(taken, 51);
    /* per_second 0 is no limit. */
    fg_token_bucket_init(&b, 0, 1, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fg_token_bucket_take(&b, 0), 0);
}
END_TEST

START_TEST(test_destination_record)
{
    struct fg_invocation inv;
    struct fg_buf rec, ce;
    json_t *j, *c;
    const char *payload = "{\"id\":7}";
    struct fg_destination_info d = {
        .condition = "RetriesExhausted", .request_id = "11111111-2222-4333-8444-555555555555",
        .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:F", .invoke_count = 3,
        .request_payload = payload, .request_len = strlen(payload), .last = &inv, .now_ms = 1700000000123LL,
    };

    fg_invocation_init(&inv);
    inv.status = FG_INV_FUNCTION_ERROR;
    ck_assert_int_eq(fg_invocation_error_body(&inv.result, "ValueError", "bad \"x\""), 0);
    fg_buf_init(&rec, 1 << 20);
    fg_buf_init(&ce, 1 << 20);
    ck_assert_int_eq(fg_destination_record(&rec, &d), 0);
    ck_assert_ptr_nonnull(j = json_loads(rec.data, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "1.0");
    ck_assert_str_eq(json_string_value(json_object_get(j, "timestamp")), "2023-11-14T22:13:20.123Z");
    c = json_object_get(j, "requestContext");
    ck_assert_str_eq(json_string_value(json_object_get(c, "requestId")), d.request_id);
    ck_assert_str_eq(json_string_value(json_object_get(c, "functionArn")), "arn:aws:lambda:us-east-1:000000000000:function:F:$LATEST");
    ck_assert_str_eq(json_string_value(json_object_get(c, "condition")), "RetriesExhausted");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "approximateInvokeCount")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "requestPayload"), "id")), 7);
    c = json_object_get(j, "responseContext");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "statusCode")), 200);
    ck_assert_str_eq(json_string_value(json_object_get(c, "executedVersion")), "$LATEST");
    ck_assert_str_eq(json_string_value(json_object_get(c, "functionError")), "Unhandled");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "responsePayload"), "errorType")), "ValueError");
    json_decref(j);

    ck_assert_int_eq(fg_destination_cloudevent(&ce, "ce-id", &d, rec.data, rec.len), 0);
    ck_assert_ptr_nonnull(j = json_loads(ce.data, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "specversion")), "1.0");
    ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "ce-id");
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), d.function_arn);
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "fngate.lambda.destination.RetriesExhausted");
    ck_assert_str_eq(json_string_value(json_object_get(j, "datacontenttype")), "application/json");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(j, "data"), "requestContext"),
                                                       "condition")), "RetriesExhausted");
    json_decref(j);

    /* No attempt ran (EventAgeExceeded before a start): no response part. A response that is
     * not JSON is carried as a string. */
    fg_buf_reset(&rec);
    d.condition = "EventAgeExceeded";
    d.last = NULL;
    ck_assert_int_eq(fg_destination_record(&rec, &d), 0);
    ck_assert_ptr_nonnull(j = json_loads(rec.data, 0, NULL));
    ck_assert_ptr_null(json_object_get(j, "responseContext"));
    json_decref(j);
    fg_buf_reset(&rec);
    fg_buf_reset(&inv.result);
    ck_assert_int_eq(fg_buf_append(&inv.result, "plain text", 10), 0);
    inv.status = FG_INV_OK;
    d.last = &inv;
    d.condition = "Success";
    ck_assert_int_eq(fg_destination_record(&rec, &d), 0);
    ck_assert_ptr_nonnull(j = json_loads(rec.data, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "responsePayload")), "plain text");
    ck_assert_ptr_null(json_object_get(json_object_get(j, "responseContext"), "functionError"));
    json_decref(j);
    fg_buf_free(&rec);
    fg_buf_free(&ce);
    fg_invocation_close(&inv);
}
END_TEST

/* ------------------------------------------------------------------ the store */

struct accepts {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, failed;
};

static void on_accept(void *arg, int rc)
{
    struct accepts *a = arg;
    pthread_mutex_lock(&a->lock);
    a->done++;
    a->failed += rc != 0;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static void on_events(void *arg, struct fg_async_event *list)
{
    int *n = arg;
    while (list) {
        struct fg_async_event *next = list->next;
        (*n)++;
        fg_async_event_free(list);
        list = next;
    }
}

static void store_conf(struct fg_config *conf, char *dir)
{
    memset(conf, 0, sizeof(*conf));
    ck_assert_ptr_nonnull(mkdtemp(dir));
    conf->state_dir = dir;
}

START_TEST(test_store_commit_and_reload)
{
    char dir[] = "/tmp/fg-store-XXXXXX", cmd[128];
    struct fg_config conf;
    struct fg_loop loop;
    struct fg_store *s;
    struct fg_err err;
    struct fg_async_event *list;
    struct accepts acc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    int delivered = 0, n = 0;

    store_conf(&conf, dir);
    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);
    ck_assert_msg(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_store_load(s, SIZE_MAX, &list, &err), 0);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(fg_store_start(s, &err), 0);
    for (int i = 0; i < 500; i++) {
        char p[32];
        int len = snprintf(p, sizeof(p), "{\"n\":%d}", i);
        struct fg_async_event *ev = fg_async_event_new("F", NULL, p, (size_t)len);
        snprintf(ev->request_id, sizeof(ev->request_id), "req-%d", i);
        ev->accepted_ms = 1000 + i;
        ck_assert_int_eq(fg_store_accept(s, ev, on_accept, &acc), 0);
    }
    pthread_mutex_lock(&acc.lock);
    while (acc.done < 500)
        pthread_cond_wait(&acc.cond, &acc.lock);
    pthread_mutex_unlock(&acc.lock);
    ck_assert_int_eq(acc.failed, 0);
    fg_store_stop(s);
    /* After stop nothing is taken. */
    struct fg_async_event *late = fg_async_event_new("F", NULL, "{}", 2);
    ck_assert_int_eq(fg_store_accept(s, late, on_accept, &acc), -FG_ESHUTDOWN);
    fg_loop_close_posts(&loop);     /* runs the batches the store posted */
    fg_store_free(s);
    fg_loop_close(&loop);
    ck_assert_int_eq(delivered, 500);
    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);

    /* Reopen: every committed event is there, in order, as it was written. */
    ck_assert_msg(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_store_load(s, SIZE_MAX, &list, &err), 0);
    for (struct fg_async_event *ev = list, *next; ev; ev = next, n++) {
        char want[32];
        next = ev->next;
        snprintf(want, sizeof(want), "{\"n\":%d}", n);
        ck_assert_str_eq(ev->payload, want);
        snprintf(want, sizeof(want), "req-%d", n);
        ck_assert_str_eq(ev->request_id, want);
        ck_assert_int_eq(ev->accepted_ms, 1000 + n);
        ck_assert_int_eq(ev->due_ms, 1000 + n);
        fg_async_event_free(ev);
    }
    ck_assert_int_eq(n, 500);

    /* A second gateway on the same state_dir is refused. */
    struct fg_store *s2;
    ck_assert_int_lt(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s2, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "in use by another fngate"));
    fg_store_free(s);
    fg_loop_close(&loop);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static struct fg_async_event *fetched;

static void on_fetched(void *arg, struct fg_async_event *list)
{
    (void)arg;
    fetched = list;
}

static void on_query(struct fg_store_query *q, void *arg)
{
    (void)q;
    (void)arg;
}

/* A backlog over the memory cap loads cold; fetch brings payloads back; a cold event can be
 * buried (the payload is copied inside the file). */
START_TEST(test_store_cold_events)
{
    char dir[] = "/tmp/fg-store-XXXXXX", cmd[128];
    struct fg_config conf;
    struct fg_loop loop;
    struct fg_store *s;
    struct fg_err err;
    struct fg_async_event *list, *ev;
    struct accepts acc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    struct fg_store_query q = { .kind = FG_STORE_DLQ_SHOW, .done = on_query };
    long long id = 0;
    int delivered = 0, n = 0;

    store_conf(&conf, dir);
    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);
    ck_assert_int_eq(fg_store_open(&conf, &loop, on_events, on_fetched, &delivered, &s, &err), 0);
    ck_assert_int_eq(fg_store_start(s, &err), 0);
    for (int i = 0; i < 10; i++) {
        char p[32];
        int len = snprintf(p, sizeof(p), "{\"n\":%d}", i);
        ev = fg_async_event_new("F", NULL, p, (size_t)len);
        snprintf(ev->request_id, sizeof(ev->request_id), "req-%d", i);
        ev->accepted_ms = 1;
        ck_assert_int_eq(fg_store_accept(s, ev, on_accept, &acc), 0);
    }
    pthread_mutex_lock(&acc.lock);
    while (acc.done < 10)
        pthread_cond_wait(&acc.cond, &acc.lock);
    pthread_mutex_unlock(&acc.lock);
    fg_store_stop(s);
    fg_loop_close_posts(&loop);
    fg_store_free(s);
    fg_loop_close(&loop);

    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);
    ck_assert_int_eq(fg_store_open(&conf, &loop, on_events, on_fetched, &delivered, &s, &err), 0);
    ck_assert_int_eq(fg_store_load(s, 21, &list, &err), 0);     /* room for 3 payloads of 7 bytes */
    for (ev = list; ev; ev = ev->next, n++) {
        ck_assert_int_eq(ev->payload_len, 7);
        ck_assert_msg((n < 3) == (ev->payload != NULL), "event %d warm=%d", n, ev->payload != NULL);
    }
    ck_assert_int_eq(fg_store_start(s, &err), 0);
    ev = list->next->next->next;                  /* the first cold one, req-3 */
    list->next->next->next = ev->next;
    ev->next = NULL;
    ev->failures = 3;
    fg_store_bury(s, ev, "RetriesExhausted", "E", "cold bury");
    id = 1;                                       /* dead letters have their own ids */
    q.ids = &id;
    q.n_ids = 1;
    ck_assert_int_eq(fg_store_query(s, &q), 0);
    fg_store_fetch(s, list->next->next->next);    /* req-4.. */
    list->next->next->next = NULL;
    fg_store_stop(s);
    fg_loop_close_posts(&loop);                   /* runs on_fetched and the query's done */
    n = 4;
    for (ev = fetched; ev; ev = ev->next, n++) {
        char want[32];
        snprintf(want, sizeof(want), "{\"n\":%d}", n);
        ck_assert_ptr_nonnull(ev->payload);
        ck_assert_str_eq(ev->payload, want);
    }
    ck_assert_int_eq(n, 10);
    fg_async_event_free_list(fetched);
    fg_async_event_free_list(list);
    ck_assert_int_eq(q.status, 200);
    ck_assert_msg(strstr(q.json.data, "\"payload\":{\"n\":3}") && strstr(q.json.data, "\"attempts\":3") &&
                  strstr(q.json.data, "\"requestId\":\"req-3\""), "%s", q.json.data);
    ck_assert_int_eq(fg_store_dlq_count(s, "F"), 1);
    fg_buf_free(&q.json);
    fg_store_free(s);
    fg_loop_close(&loop);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_store_refuses_bad_state)
{
    char dir[] = "/tmp/fg-store-XXXXXX", path[256], cmd[128];
    struct fg_config conf;
    struct fg_loop loop;
    struct fg_store *s;
    struct fg_err err;
    int delivered = 0;
    FILE *f;

    store_conf(&conf, dir);
    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);
    snprintf(path, sizeof(path), "%s/fngate.db", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, it is garbage ", f);
    fclose(f);
    ck_assert_int_lt(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "not a usable fngate database"), "%s", err.msg);

    /* A state_dir that cannot be created: a regular file is in the way. */
    snprintf(path, sizeof(path), "%s/fngate.db/sub", dir);
    conf.state_dir = path;
    ck_assert_int_lt(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, "state_dir") && strstr(err.msg, "cannot create"), "%s", err.msg);
    fg_loop_close(&loop);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Garbage over one page of the dead letters: the open's quick_check refuses the file, naming
 * it and the table. A 0-byte file is a new one in a state_dir fngate never ran in, and
 * refused in one it did (fngate.lock is there). */
START_TEST(test_store_refuses_damaged_and_emptied)
{
    char dir[] = "/tmp/fg-store-XXXXXX", path[256], lock[256], cmd[128];
    struct fg_config conf;
    struct fg_loop loop;
    struct fg_store *s;
    struct fg_err err;
    sqlite3 *db;
    sqlite3_stmt *st;
    int delivered = 0, page_size = 0, page = 0, n = 0;
    FILE *f;

    store_conf(&conf, dir);
    snprintf(path, sizeof(path), "%s/fngate.db", dir);
    snprintf(lock, sizeof(lock), "%s/fngate.lock", dir);
    ck_assert_int_eq(fg_loop_init(&loop, &err), 0);

    /* Created ahead, 0 bytes, fngate never ran here: a new file. */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fclose(f);
    ck_assert_msg(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err) == 0, "%s", err.msg);
    fg_store_free(s);

    /* 200 dead letters of 1 KB, written beside the store (its schema, its file). */
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
                                      " INSERT INTO dlq(request_id, function, payload, accepted_ms, failed_ms, attempts,"
                                      " condition) SELECT 'r' || i, 'F', zeroblob(1000), 1, 2, 1, 'RetriesExhausted'"
                                      " FROM n", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat"
                                            " WHERE name = 'dlq' AND pagetype = 'leaf' ORDER BY pageno", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 20) {
            page = sqlite3_column_int(st, 0);
            page_size = sqlite3_column_int(st, 1);
        }
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
    ck_assert_int_gt(n, 40);
    ck_assert_msg(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_store_dlq_count(s, "F"), 200);
    fg_store_free(s);

    ck_assert_ptr_nonnull(f = fopen(path, "r+"));
    ck_assert_int_eq(fseek(f, (long)(page - 1) * page_size, SEEK_SET), 0);
    for (int i = 0; i < page_size; i++)
        fputc("garbage!"[i % 8], f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_lt(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, ": damaged: ") && strstr(err.msg, ", in table dlq, ") &&
                  strstr(err.msg, "(move it away to start empty, or restore it)"), "%s", err.msg);

    /* Truncated where fngate ran: refused, and left as it is. */
    ck_assert_int_eq(access(lock, F_OK), 0);
    ck_assert_int_eq(truncate(path, 0), 0);
    ck_assert_int_lt(fg_store_open(&conf, &loop, on_events, on_events, &delivered, &s, &err), 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "damaged: empty (0 bytes)"), "%s", err.msg);
    ck_assert_int_eq(access(path, F_OK), 0);
    fg_loop_close(&loop);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("async");
    TCase *tc = tcase_create("async");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_backoff_schedule);
    tcase_add_test(tc, test_backoff_jitter_bounds);
    tcase_add_test(tc, test_event_age);
    tcase_add_test(tc, test_token_bucket);
    tcase_add_test(tc, test_destination_record);
    tcase_add_test(tc, test_store_commit_and_reload);
    tcase_add_test(tc, test_store_cold_events);
    tcase_add_test(tc, test_store_refuses_bad_state);
    tcase_add_test(tc, test_store_refuses_damaged_and_emptied);
    return fg_unit_run(s, tc);
}

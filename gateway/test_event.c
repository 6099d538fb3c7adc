/* SPDX-License-Identifier: MIT */
/* test_event.c - the console's Test button: requests parsed, results rendered (see
 * test_event.h).
 *
 * DESIGN: a saved event and a test payload are kept as the compact JSON text jansson makes
 * of the request's value, not the request's own bytes: they are what the function will
 * receive, and whitespace or key order of the console's editor need not survive (numbers
 * keep their value; a real may print with more digits). The execution result's "logs" is
 * the invocation's log tail, its last 4 KB as Lambda's console shows it; a cut UTF-8
 * sequence at its start becomes U+FFFD. */
#include "test_event.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/url.h"
#include "../router/fnlog.h"

#define TEST_PREFIX "/functions/"

static const struct {
    const char *suffix;
    const char *methods;                /* the 405 message */
} test_paths[] = {
    { "/test-events", "use GET (list) or POST (save)" },
    { "/test-events/delete", "use POST" },
    { "/invoke", "use POST" },
};

bool fg_test_event_name_ok(const char *name, size_t len)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    if (len < 1 || len > FG_TEST_EVENT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name[i] || !strchr(ok, name[i]))
            return false;
    return true;
}

/* The index in test_paths of path's suffix after /functions/NAME, with *name_len set; -1
 * when it is none of them. */
static int test_path_kind(const char *path, size_t plen, size_t *name_len)
{
    const char *name = path + sizeof(TEST_PREFIX) - 1, *end = path + plen, *slash;

    if (plen <= sizeof(TEST_PREFIX) - 1 || strncmp(path, TEST_PREFIX, sizeof(TEST_PREFIX) - 1))
        return -1;
    if (!(slash = memchr(name, '/', (size_t)(end - name))) || slash == name)
        return -1;
    for (size_t i = 0; i < sizeof(test_paths) / sizeof(test_paths[0]); i++) {
        size_t n = strlen(test_paths[i].suffix);
        if ((size_t)(end - slash) == n && !strncmp(slash, test_paths[i].suffix, n)) {
            *name_len = (size_t)(slash - name);
            return (int)i;
        }
    }
    return -1;
}

bool fg_test_event_path(const char *path, size_t plen)
{
    size_t n;
    return test_path_kind(path, plen, &n) >= 0;
}

/* The function name of the path, percent-decoded, into t->function. 0 or 404. */
static int test_function(const char *raw, size_t n, struct fg_test_req *t, struct fg_err *err)
{
    struct fg_buf dec;
    int rc = 0;

    fg_buf_init(&dec, sizeof(t->function) - 1);
    if (fg_url_decode(&dec, raw, n, FG_URL_PERCENT) < 0 || !dec.len || strlen(dec.data) != dec.len ||
        strchr(dec.data, '/'))
        rc = fg_err_set(err, 404, "no function named %.*s", (int)(n > 100 ? 100 : n), raw);
    else
        memcpy(t->function, dec.data, dec.len + 1);
    fg_buf_free(&dec);
    return rc;
}

/* body's "name": a test event name, into t->name. 0 or 400. */
static int test_name(json_t *body, struct fg_test_req *t, struct fg_err *err)
{
    json_t *v = json_object_get(body, "name");
    if (!json_is_string(v))
        return fg_err_set(err, 400, "name: required, the test event's name");
    if (!fg_test_event_name_ok(json_string_value(v), json_string_length(v)))
        return fg_err_set(err, 400, "name: 1 to %d characters, each a letter, a digit, '-' or '_' (the Lambda "
                                    "console's rule for test event names)", FG_TEST_EVENT_NAME_MAX);
    memcpy(t->name, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* v (any JSON value) as compact text into t->json. 0 or 500. */
static int test_dump(json_t *v, struct fg_test_req *t, struct fg_err *err)
{
    if (!(t->json = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)))
        return fg_err_set(err, 500, "out of memory");
    t->json_len = strlen(t->json);
    return 0;
}

/* The payload of an invocation that names none: {} as the Invoke API sends. 0 or 500. */
static int test_empty(struct fg_test_req *t, struct fg_err *err)
{
    if (!(t->json = strdup("{}")))
        return fg_err_set(err, 500, "out of memory");
    t->json_len = 2;
    return 0;
}

/* The POST body's fields into t. 0 or 400. */
static int test_body(const char *body, size_t len, struct fg_test_req *t, struct fg_err *err)
{
    json_error_t jerr;
    json_t *j, *v;
    int rc;

    if (t->op == FG_TEST_INVOKE && len == 0)
        return test_empty(t, err);
    if (!(j = json_loadb(body ? body : "", len, 0, &jerr)) || !json_is_object(j)) {
        rc = j ? fg_err_set(err, 400, "expected a JSON object")
               : fg_err_set(err, 400, "the body is not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                            jerr.column);
        json_decref(j);
        return rc;
    }
    switch (t->op) {
    case FG_TEST_SAVE:
        if ((rc = test_name(j, t, err)) == 0) {
            if (!(v = json_object_get(j, "event")))
                rc = fg_err_set(err, 400, "event: required, the test event's JSON (any JSON value)");
            else
                rc = test_dump(v, t, err);
        }
        break;
    case FG_TEST_DELETE:
        rc = test_name(j, t, err);
        break;
    default:
        v = json_object_get(j, "payload");
        rc = v ? test_dump(v, t, err) : test_empty(t, err);
        break;
    }
    json_decref(j);
    return rc;
}

int fg_test_event_parse(const char *method, const char *path, size_t plen, const char *body, size_t len,
                        struct fg_test_req *t, struct fg_err *err)
{
    bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    size_t name_len = 0;
    int kind = test_path_kind(path, plen, &name_len), rc;

    memset(t, 0, sizeof(*t));
    if (kind < 0)
        return fg_err_set(err, 404, "unknown admin path (see README: Admin API)");
    if ((rc = test_function(path + sizeof(TEST_PREFIX) - 1, name_len, t, err)) != 0)
        return rc;
    if (!post && !(kind == 0 && get))
        return fg_err_set(err, 405, "%s", test_paths[kind].methods);
    t->op = kind == 0 ? (get ? FG_TEST_LIST : FG_TEST_SAVE) : kind == 1 ? FG_TEST_DELETE : FG_TEST_INVOKE;
    return t->op == FG_TEST_LIST ? 0 : test_body(body, len, t, err);
}

int fg_test_event_result(const struct fg_invocation *inv, int memory_mb, struct fg_buf *out)
{
    const char *res = inv->result.data ? inv->result.data : "", *log = inv->log_tail.data ? inv->log_tail.data : "";
    size_t res_len = inv->result.len, log_len = inv->log_tail.len;
    json_t *parsed = res_len ? json_loadb(res, res_len, JSON_DECODE_ANY, NULL) : NULL;
    const char *fe = fg_invocation_function_error(inv);
    char num[64];

    if (log_len > FG_LOG_TAIL_BYTES) {
        log += log_len - FG_LOG_TAIL_BYTES;
        log_len = FG_LOG_TAIL_BYTES;
    }
    fg_json_write_field(out, "{\"requestId\":", inv->request_id);
    fg_json_write_field(out, ",\"status\":", inv->status == FG_INV_OK ? "succeeded" : "failed");
    fg_buf_append_str(out, ",\"response\":");
    if (parsed)                         /* the function's JSON as it sent it (jansson checked it) */
        fg_buf_append(out, res, res_len);
    else if (res_len)                   /* not JSON: as a string */
        fg_json_write_text(out, res, res_len);
    else
        fg_buf_append_str(out, "null");
    json_decref(parsed);
    if (fe)
        fg_json_write_field(out, ",\"functionError\":", fe);
    else
        fg_buf_append_str(out, ",\"functionError\":null");
    fg_buf_append_str(out, ",\"logs\":");
    fg_json_write_text(out, log, log_len);
    snprintf(num, sizeof(num), ",\"durationMs\":%.2f,\"billedDurationMs\":%lld", inv->duration_ms,
             fg_fnlog_billed_ms(inv->duration_ms));
    fg_buf_append_str(out, num);
    snprintf(num, sizeof(num), ",\"memorySizeMb\":%d,\"maxMemoryUsedMb\":%d", memory_mb, inv->max_memory_mb);
    fg_buf_append_str(out, num);
    if (inv->init_ms > 0)
        snprintf(num, sizeof(num), ",\"initDurationMs\":%.2f}", inv->init_ms);
    else
        snprintf(num, sizeof(num), ",\"initDurationMs\":null}");
    return fg_buf_append_str(out, num);
}

void fg_test_req_close(struct fg_test_req *t)
{
    free(t->json);
    t->json = NULL;
    fg_buf_free(&t->query.json);
    fg_invocation_close(&t->inv);
    fg_buf_free(&t->answer);
}

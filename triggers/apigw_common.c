/* SPDX-License-Identifier: MIT */
/* apigw_common.c - what both payload formats share (see apigw_common.h). */
#include "apigw_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../config/config.h"
#include "../core/base64.h"
#include "../core/json_write.h"
#include "../core/url.h"

/* ------------------------------------------------------------------ request → event */

/* A body of these types is sent as text when it is UTF-8; anything else as base64. */
static bool apigw_text_type(const char *ct)
{
    static const char *const text[] = { "json", "xml", "javascript", "x-www-form-urlencoded",
                                        "yaml", "csv", "graphql", NULL };
    if (!ct || !*ct)
        return true;
    if (!strncasecmp(ct, "text/", 5))
        return true;
    for (size_t i = 0; text[i]; i++)
        if (strcasestr(ct, text[i]))
            return true;
    return false;
}

int fg_apigw_str_field(struct fg_buf *out, const char *key, const char *val, size_t len)
{
    int rc = fg_json_write_key(out, key);
    return rc ? rc : fg_json_write_str(out, val, len);
}

size_t fg_apigw_query_pairs(const char *q, struct fg_buf *scratch, struct fg_apigw_pair *pairs)
{
    size_t n = 0;
    while (q && *q && n < FG_APIGW_MAX_QUERY) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q)), *kend = eq ? eq : end;
        struct fg_apigw_pair *p = &pairs[n];
        p->koff = scratch->len;
        if (kend > q && fg_url_decode(scratch, q, (size_t)(kend - q), FG_URL_FORM) == 0) {
            p->klen = scratch->len - p->koff;
            p->voff = scratch->len;
            if (fg_url_decode(scratch, eq ? eq + 1 : end, eq ? (size_t)(end - eq - 1) : 0, FG_URL_FORM) == 0) {
                p->vlen = scratch->len - p->voff;
                if (fg_utf8_valid(scratch->data + p->koff, p->klen) &&
                    fg_utf8_valid(scratch->data + p->voff, p->vlen))
                    n++;
            }
        }
        q = amp ? amp + 1 : end;
    }
    return n;
}

bool fg_apigw_same_key(const struct fg_buf *scratch, const struct fg_apigw_pair *a, const struct fg_apigw_pair *b)
{
    return a->klen == b->klen && !memcmp(scratch->data + a->koff, scratch->data + b->koff, a->klen);
}

int fg_apigw_path_params(struct fg_buf *out, const struct fg_route_match *m)
{
    struct fg_buf pv;
    bool first = true;
    int rc = 0;

    if (!m)
        return 0;
    fg_buf_init(&pv, 1 << 20);
    for (size_t i = 0; i < m->n_params && !rc; i++) {
        const struct fg_route_param *p = &m->params[i];
        fg_buf_reset(&pv);
        if ((rc = fg_url_decode(&pv, p->value, p->value_len, FG_URL_PERCENT)) < 0 || !fg_utf8_valid(pv.data, pv.len))
            continue;
        rc = fg_buf_append_str(out, first ? "\"pathParameters\":{" : ",");
        first = false;
        if (!rc)
            rc = fg_json_write_str(out, p->name, p->name_len);
        if (!rc)
            rc = fg_buf_append_str(out, ":");
        if (!rc)
            rc = fg_json_write_str(out, pv.data, pv.len);
    }
    if (!first && !rc)
        rc = fg_buf_append_str(out, "},");
    fg_buf_free(&pv);
    return rc;
}

const char *fg_apigw_header(const struct fg_http_request *req, const char *name, const char *dflt)
{
    const char *v = fg_http_header_get(req->headers, req->n_headers, name);
    return v ? v : dflt;
}

void fg_apigw_stamp(const struct fg_http_request *req, struct fg_apigw_stamp *s)
{
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t sec = (time_t)(req->time_ms / 1000);
    struct tm tm;

    s->host = fg_apigw_header(req, "host", "localhost");
    s->user_agent = fg_apigw_header(req, "user-agent", "");
    if (!fg_utf8_valid(s->host, strlen(s->host)))
        s->host = "localhost";
    if (!fg_utf8_valid(s->user_agent, strlen(s->user_agent)))
        s->user_agent = "";
    gmtime_r(&sec, &tm);
    snprintf(s->time, sizeof(s->time), "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(s->epoch_ms, sizeof(s->epoch_ms), "%lld", req->time_ms);
}

int fg_apigw_body(struct fg_buf *out, const struct fg_http_request *req)
{
    const char *ctype = fg_apigw_header(req, "content-type", NULL);
    bool text;
    int rc;

    if (!req->body_len)
        return fg_buf_append_str(out, "\"isBase64Encoded\":false");
    text = apigw_text_type(ctype) && fg_utf8_valid(req->body, req->body_len);
    if ((rc = fg_json_write_key(out, "body")))
        return rc;
    if (text) {
        rc = fg_json_write_str(out, req->body, req->body_len);
    } else if ((rc = fg_buf_append_str(out, "\"")) == 0 && (rc = fg_base64_encode(out, req->body, req->body_len)) == 0) {
        rc = fg_buf_append_str(out, "\"");
    }
    if (rc)
        return rc;
    return fg_buf_append_str(out, text ? ",\"isBase64Encoded\":false" : ",\"isBase64Encoded\":true");
}

/* ------------------------------------------------------------------ result → response */

int fg_http_response_add_header(struct fg_http_response *resp, const char *name, const char *value)
{
    struct fg_http_header *h = realloc(resp->headers, (resp->n_headers + 1) * sizeof(*h));
    if (!h)
        return -ENOMEM;
    resp->headers = h;
    h[resp->n_headers].name = strdup(name);
    h[resp->n_headers].value = strdup(value);
    resp->n_headers++;
    return h[resp->n_headers - 1].name && h[resp->n_headers - 1].value ? 0 : -ENOMEM;
}

int fg_apigw_scalar_text(json_t *v, char *buf, size_t n, const char **out)
{
    if (json_is_string(v))
        *out = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), *out = buf;
    else if (json_is_real(v))
        snprintf(buf, n, "%g", json_real_value(v)), *out = buf;
    else if (json_is_boolean(v))
        *out = json_is_true(v) ? "true" : "false";
    else
        return -EINVAL;
    return 0;
}

int fg_apigw_header_ok(const char *name, const char *value, struct fg_err *err)
{
    if (strpbrk(value, "\r\n") || strpbrk(name, "\r\n: ") || !*name)
        return fg_err_set(err, -EINVAL, "header %s contains a line break", name);
    return 0;
}

/* Whether o (an object or NULL) has the key name, in any case. */
static bool apigw_has_key(json_t *o, const char *name)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!strcasecmp(key, name))
            return true;
    }
    return false;
}

int fg_apigw_add_headers(json_t *headers, json_t *except, struct fg_http_response *resp, struct fg_err *err)
{
    const char *key, *text;
    char num[64];
    json_t *v;
    int rc;

    json_object_foreach(headers, key, v) {
        if (apigw_has_key(except, key))
            continue;
        if (fg_apigw_scalar_text(v, num, sizeof(num), &text) < 0)
            return fg_err_set(err, -EINVAL, "header %s must be a string", key);
        if ((rc = fg_apigw_header_ok(key, text, err)) < 0 || (rc = fg_http_response_add_header(resp, key, text)) < 0)
            return rc;
    }
    return 0;
}

int fg_apigw_headers_fit(const struct fg_http_response *resp, struct fg_err *err)
{
    size_t bytes = 0;
    if (resp->n_headers > FG_APIGW_MAX_RESPONSE_HEADERS)
        return fg_err_set(err, -EINVAL, "more than %d headers and cookies", FG_APIGW_MAX_RESPONSE_HEADERS);
    for (size_t i = 0; i < resp->n_headers; i++)
        bytes += strlen(resp->headers[i].name) + strlen(resp->headers[i].value) + 4;
    if (bytes > FG_APIGW_MAX_RESPONSE_HEADER_BYTES)
        return fg_err_set(err, -EINVAL, "headers and cookies over %d bytes", FG_APIGW_MAX_RESPONSE_HEADER_BYTES);
    return 0;
}

int fg_apigw_response_body(json_t *body, json_t *b64, struct fg_http_response *resp, struct fg_err *err)
{
    const char *text;
    char num[64];
    int rc;

    if (!body || json_is_null(body))
        return 0;
    if (fg_apigw_scalar_text(body, num, sizeof(num), &text) < 0) {
        /* An object body is sent as its JSON text. */
        char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        rc = s ? fg_buf_append(&resp->body, s, strlen(s)) : -ENOMEM;
        free(s);
        return rc;
    }
    if (json_is_true(b64)) {
        if ((rc = fg_base64_decode(&resp->body, text, strlen(text))) == -EINVAL)
            rc = fg_err_set(err, -EINVAL, "isBase64Encoded is true but body is not base64");
        return rc;
    }
    return fg_buf_append(&resp->body, text, json_is_string(body) ? json_string_length(body) : strlen(text));
}

int fg_apigw_response_open(const char *result, size_t len, struct fg_http_response *resp, json_t **root,
                           struct fg_err *err)
{
    json_error_t jerr;

    memset(resp, 0, sizeof(*resp));
    fg_buf_init(&resp->body, FG_PAYLOAD_SYNC_MAX_BYTES + 1024);
    if (!(*root = json_loadb(result, len, JSON_DECODE_ANY, &jerr)))
        return fg_err_set(err, -EINVAL, "the function's response is not valid JSON: %s", jerr.text);
    return 0;
}

int fg_apigw_response_finish(int rc, json_t *root, struct fg_http_response *resp, struct fg_err *err)
{
    json_decref(root);
    if (rc < 0) {
        if (rc != -EINVAL)
            fg_err_set(err, rc, "%s", fg_strerror(rc));
        fg_http_response_close(resp);
    }
    return rc;
}

int fg_apigw_status(json_t *sc, int *status, struct fg_err *err)
{
    if (!json_is_integer(sc) || json_integer_value(sc) < 200 || json_integer_value(sc) > 599)
        return fg_err_set(err, -EINVAL, "statusCode must be an integer from 200 to 599");
    *status = (int)json_integer_value(sc);
    return 0;
}

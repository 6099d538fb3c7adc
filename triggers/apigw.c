/* SPDX-License-Identifier: MIT */
/* apigw.c - HTTP API payload format 2.0 (see apigw.h). */
#include "apigw.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../config/config.h"
#include "../core/base64.h"

/* ------------------------------------------------------------------ helpers */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int fg_url_decode(struct fg_buf *out, const char *s, size_t n, int plus_space)
{
    int rc;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if ((rc = fg_buf_append(out, &c, 1)) < 0)
            return rc;
    }
    return fg_buf_append(out, "", 0);
}

/* Sets key in obj, or appends ",value" when already there (repeated headers / query keys). */
static int apigw_join(json_t *obj, const char *key, const char *val, size_t vlen)
{
    json_t *old = json_object_get(obj, key);
    if (old) {
        size_t olen = json_string_length(old);
        char *joined = malloc(olen + vlen + 2);
        if (!joined)
            return -ENOMEM;
        memcpy(joined, json_string_value(old), olen);
        joined[olen] = ',';
        memcpy(joined + olen + 1, val, vlen);
        int rc = json_object_set_new(obj, key, json_stringn_nocheck(joined, olen + vlen + 1));
        free(joined);
        return rc < 0 ? -ENOMEM : 0;
    }
    return json_object_set_new(obj, key, json_stringn_nocheck(val, vlen)) < 0 ? -ENOMEM : 0;
}

/* jansson wants valid UTF-8 for json_stringn; request data may not be. */
static bool apigw_utf8(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    bool ok = j != NULL;
    json_decref(j);
    return ok;
}

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

/* ------------------------------------------------------------------ request → event */

static json_t *apigw_query(const char *q)
{
    json_t *obj = json_object();
    struct fg_buf k, v;

    fg_buf_init(&k, 1 << 20);
    fg_buf_init(&v, 1 << 20);
    while (q && *q && obj) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        const char *kend = eq ? eq : end;
        fg_buf_reset(&k);
        fg_buf_reset(&v);
        if (kend > q && fg_url_decode(&k, q, (size_t)(kend - q), 1) == 0 &&
            fg_url_decode(&v, eq ? eq + 1 : end, eq ? (size_t)(end - eq - 1) : 0, 1) == 0 &&
            apigw_utf8(k.data, k.len) && apigw_utf8(v.data, v.len)) {
            if (apigw_join(obj, k.data, v.data, v.len) < 0) {
                json_decref(obj);
                obj = NULL;
            }
        }
        q = amp ? amp + 1 : end;
    }
    fg_buf_free(&k);
    fg_buf_free(&v);
    return obj;
}

static void apigw_time(char out[40], long long ms)
{
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 40, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int fg_apigw_event(const struct fg_http_request *req, const struct fg_route_match *m,
                   struct fg_buf *out)
{
    json_t *ev = json_object(), *headers = json_object(), *cookies = json_array();
    json_t *query = apigw_query(req->raw_query), *params = NULL, *ctx, *http;
    const char *host = "localhost", *ua = "", *ctype = NULL;
    char lower[256], tbuf[40], prefix[128];
    struct fg_buf pv;
    int rc = -ENOMEM;
    char *s = NULL;

    fg_buf_init(&pv, 1 << 20);
    if (!ev || !headers || !cookies || !query)
        goto out;
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name, *val = req->headers[i].value;
        size_t n = strlen(name), vlen = strlen(val);
        if (n >= sizeof(lower) || !apigw_utf8(val, vlen))
            continue;
        for (size_t j = 0; j <= n; j++)
            lower[j] = (char)tolower((unsigned char)name[j]);
        if (!strcmp(lower, "cookie")) {
            for (const char *c = val; *c;) {
                const char *sc = strchr(c, ';'), *e = sc ? sc : c + strlen(c);
                while (c < e && *c == ' ')
                    c++;
                if (e > c)
                    json_array_append_new(cookies, json_stringn_nocheck(c, (size_t)(e - c)));
                c = sc ? sc + 1 : e;
            }
            continue;
        }
        if (!strcmp(lower, "host"))
            host = val;
        else if (!strcmp(lower, "user-agent"))
            ua = val;
        else if (!strcmp(lower, "content-type"))
            ctype = val;
        if (apigw_join(headers, lower, val, vlen) < 0)
            goto out;
    }
    if (m->n_params) {
        params = json_object();
        for (size_t i = 0; i < m->n_params && params; i++) {
            char name[128];
            const struct fg_route_param *p = &m->params[i];
            snprintf(name, sizeof(name), "%.*s", (int)p->name_len, p->name);
            fg_buf_reset(&pv);
            if (fg_url_decode(&pv, p->value, p->value_len, 0) < 0)
                goto out;
            if (apigw_utf8(pv.data, pv.len))
                json_object_set_new(params, name, json_stringn_nocheck(pv.data, pv.len));
        }
    }
    snprintf(prefix, sizeof(prefix), "%.*s", (int)strcspn(host, ".:"), host);
    apigw_time(tbuf, req->time_ms);
    http = json_pack("{s:s,s:s,s:s,s:s,s:s}", "method", req->method, "path", req->raw_path,
                     "protocol", req->protocol, "sourceIp", req->source_ip, "userAgent", ua);
    ctx = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:I}", "accountId", req->account_id,
                    "apiId", "fngate", "domainName", host, "domainPrefix", prefix, "http", http,
                    "requestId", req->request_id, "routeKey", m->route->route_key, "stage", "$default",
                    "time", tbuf, "timeEpoch", (json_int_t)req->time_ms);
    if (!ctx)
        goto out;
    json_object_set_new(ev, "version", json_string("2.0"));
    json_object_set_new(ev, "routeKey", json_string(m->route->route_key));
    json_object_set_new(ev, "rawPath", json_string(req->raw_path));
    json_object_set_new(ev, "rawQueryString", json_string(req->raw_query));
    if (json_array_size(cookies))
        json_object_set(ev, "cookies", cookies);
    json_object_set(ev, "headers", headers);
    if (json_object_size(query))
        json_object_set(ev, "queryStringParameters", query);
    if (params)
        json_object_set(ev, "pathParameters", params);
    json_object_set_new(ev, "requestContext", ctx);
    if (req->body_len) {
        bool text = apigw_text_type(ctype) && apigw_utf8(req->body, req->body_len);
        if (text) {
            json_object_set_new(ev, "body", json_stringn_nocheck(req->body, req->body_len));
        } else {
            struct fg_buf b64;
            fg_buf_init(&b64, (req->body_len / 3 + 2) * 4 + 1);
            if (fg_base64_encode(&b64, req->body, req->body_len) < 0) {
                fg_buf_free(&b64);
                goto out;
            }
            json_object_set_new(ev, "body", json_stringn_nocheck(b64.data, b64.len));
            fg_buf_free(&b64);
        }
        json_object_set_new(ev, "isBase64Encoded", json_boolean(!text));
    } else {
        json_object_set_new(ev, "isBase64Encoded", json_false());
    }
    if (!(s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        goto out;
    rc = fg_buf_append(out, s, strlen(s));
out:
    free(s);
    fg_buf_free(&pv);
    json_decref(params);
    json_decref(query);
    json_decref(cookies);
    json_decref(headers);
    json_decref(ev);
    return rc;
}

/* ------------------------------------------------------------------ result → response */

static int apigw_add_header(struct fg_http_response *resp, const char *name, const char *value)
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

/* Header values may be strings, numbers or booleans in handlers' answers. */
static int apigw_scalar_text(json_t *v, char *buf, size_t n, const char **out)
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

int fg_apigw_response(const char *result, size_t len, struct fg_http_response *resp, struct fg_err *err)
{
    json_error_t jerr;
    json_t *root, *sc;
    int rc = 0;

    memset(resp, 0, sizeof(*resp));
    fg_buf_init(&resp->body, FG_PAYLOAD_SYNC_MAX_BYTES + 1024);
    root = json_loadb(result, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        return fg_err_set(err, -EINVAL, "the function's response is not valid JSON: %s", jerr.text);
    }
    sc = json_is_object(root) ? json_object_get(root, "statusCode") : NULL;
    if (!sc) {
        /* A plain JSON result: 200, the result as the body. */
        resp->status = 200;
        if (json_is_string(root))
            rc = fg_buf_append(&resp->body, json_string_value(root), json_string_length(root));
        else
            rc = fg_buf_append(&resp->body, result, len);
        if (rc == 0)
            rc = apigw_add_header(resp, "content-type", "application/json");
        goto out;
    }
    if (!json_is_integer(sc) || json_integer_value(sc) < 100 || json_integer_value(sc) > 599) {
        rc = fg_err_set(err, -EINVAL, "statusCode must be an integer from 100 to 599");
        goto out;
    }
    resp->status = (int)json_integer_value(sc);
    {
        json_t *headers = json_object_get(root, "headers"), *cookies = json_object_get(root, "cookies");
        json_t *body = json_object_get(root, "body"), *b64 = json_object_get(root, "isBase64Encoded");
        const char *key;
        json_t *v;
        char num[64];
        if (headers && !json_is_object(headers) && !json_is_null(headers)) {
            rc = fg_err_set(err, -EINVAL, "headers must be an object");
            goto out;
        }
        json_object_foreach(headers, key, v) {
            const char *text;
            if (apigw_scalar_text(v, num, sizeof(num), &text) < 0) {
                rc = fg_err_set(err, -EINVAL, "header %s must be a string", key);
                goto out;
            }
            if (strpbrk(text, "\r\n") || strpbrk(key, "\r\n: ")) {
                rc = fg_err_set(err, -EINVAL, "header %s contains a line break", key);
                goto out;
            }
            if ((rc = apigw_add_header(resp, key, text)) < 0)
                goto out;
        }
        if (cookies && json_is_array(cookies)) {
            size_t i;
            json_array_foreach(cookies, i, v) {
                if (json_is_string(v) && !strpbrk(json_string_value(v), "\r\n") &&
                    (rc = apigw_add_header(resp, "set-cookie", json_string_value(v))) < 0)
                    goto out;
            }
        }
        if (body && !json_is_null(body)) {
            const char *text;
            if (apigw_scalar_text(body, num, sizeof(num), &text) < 0) {
                /* An object body is sent as its JSON text. */
                char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
                rc = s ? fg_buf_append(&resp->body, s, strlen(s)) : -ENOMEM;
                free(s);
            } else if (json_is_true(b64)) {
                if ((rc = fg_base64_decode(&resp->body, text, strlen(text))) == -EINVAL)
                    rc = fg_err_set(err, -EINVAL, "isBase64Encoded is true but body is not base64");
            } else {
                rc = fg_buf_append(&resp->body, text, json_is_string(body) ? json_string_length(body) : strlen(text));
            }
        }
    }
out:
    json_decref(root);
    if (rc < 0) {
        if (rc != -EINVAL)
            fg_err_set(err, rc, "%s", fg_strerror(rc));
        fg_http_response_close(resp);
    }
    return rc;
}

void fg_http_response_close(struct fg_http_response *resp)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        free((char *)resp->headers[i].name);
        free((char *)resp->headers[i].value);
    }
    free(resp->headers);
    resp->headers = NULL;
    resp->n_headers = 0;
    fg_buf_free(&resp->body);
}

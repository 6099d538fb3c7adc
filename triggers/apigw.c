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
#include "../core/json_write.h"
#include "../core/url.h"

/* ------------------------------------------------------------------ helpers */

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

/* The event is written straight into the output buffer: one pass, no tree, no allocation
 * beyond the buffer. Repeated names (headers, query keys) are joined with commas at their
 * first occurrence, as API Gateway does. */

struct apigw_pair {
    size_t koff, klen, voff, vlen;   /* into the scratch buffer */
};

#define APIGW_MAX_QUERY 256

static int apigw_raw(struct fg_buf *out, const char *s)
{
    return fg_buf_append(out, s, strlen(s));
}

static int apigw_str_field(struct fg_buf *out, const char *key, const char *val, size_t len)
{
    int rc = fg_json_write_key(out, key);
    return rc ? rc : fg_json_write_str(out, val, len);
}

/* "headers":{...} with lower-case names; Cookie is left out (it becomes "cookies"). */
static int apigw_headers(struct fg_buf *out, const struct fg_http_request *req)
{
    int rc = apigw_raw(out, "\"headers\":{");
    bool first = true;

    for (size_t i = 0; i < req->n_headers && !rc; i++) {
        const struct fg_http_header *h = &req->headers[i];
        char lower[256];
        size_t n = strlen(h->name), seen = 0;
        bool any = false;
        if (n >= sizeof(lower) || !strcasecmp(h->name, "cookie"))
            continue;
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(req->headers[j].name, h->name))
                seen++;
        if (seen)
            continue;            /* joined at its first occurrence */
        for (size_t j = i; j < req->n_headers && !any; j++)
            any = !strcasecmp(req->headers[j].name, h->name) &&
                  fg_utf8_valid(req->headers[j].value, strlen(req->headers[j].value));
        if (!any)
            continue;            /* no value is text: leave the header out */
        any = false;
        for (size_t j = 0; j <= n; j++)
            lower[j] = (char)tolower((unsigned char)h->name[j]);
        if (!fg_utf8_valid(lower, n))
            continue;
        if ((!first && (rc = apigw_raw(out, ","))) || (rc = fg_json_write_str(out, lower, n)) ||
            (rc = apigw_raw(out, ":\"")))
            break;
        first = false;
        for (size_t j = i; j < req->n_headers && !rc; j++) {
            const char *v = req->headers[j].value;
            size_t vlen = strlen(v);
            if (strcasecmp(req->headers[j].name, h->name) || !fg_utf8_valid(v, vlen))
                continue;
            if (any)
                rc = apigw_raw(out, ",");
            any = true;
            if (!rc)
                rc = fg_json_write_escaped(out, v, vlen);
        }
        if (!rc)
            rc = apigw_raw(out, "\"");
    }
    return rc ? rc : apigw_raw(out, "}");
}

static int apigw_cookies(struct fg_buf *out, const struct fg_http_request *req)
{
    bool first = true;
    int rc = 0;
    for (size_t i = 0; i < req->n_headers && !rc; i++) {
        const char *c = req->headers[i].value;
        if (strcasecmp(req->headers[i].name, "cookie") || !fg_utf8_valid(c, strlen(c)))
            continue;
        while (*c && !rc) {
            const char *sc = strchr(c, ';'), *e = sc ? sc : c + strlen(c);
            while (c < e && *c == ' ')
                c++;
            if (e > c) {
                rc = apigw_raw(out, first ? "\"cookies\":[" : ",");
                first = false;
                if (!rc)
                    rc = fg_json_write_str(out, c, (size_t)(e - c));
            }
            c = sc ? sc + 1 : e;
        }
    }
    if (!first && !rc)
        rc = apigw_raw(out, "],");
    return rc;
}

/* Decoded query pairs into scratch; returns how many. */
static size_t apigw_query_pairs(const char *q, struct fg_buf *scratch, struct apigw_pair *pairs)
{
    size_t n = 0;
    while (q && *q && n < APIGW_MAX_QUERY) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q)), *kend = eq ? eq : end;
        struct apigw_pair *p = &pairs[n];
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

static int apigw_query(struct fg_buf *out, const char *raw_query)
{
    struct apigw_pair pairs[APIGW_MAX_QUERY];
    struct fg_buf scratch;
    size_t n;
    int rc = 0;

    fg_buf_init(&scratch, 1 << 20);
    n = apigw_query_pairs(raw_query, &scratch, pairs);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *k = scratch.data + pairs[i].koff;
        bool dup = false, any = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = pairs[j].klen == pairs[i].klen && !memcmp(scratch.data + pairs[j].koff, k, pairs[i].klen);
        if (dup)
            continue;
        rc = apigw_raw(out, i ? "," : "\"queryStringParameters\":{");
        if (!rc)
            rc = fg_json_write_str(out, k, pairs[i].klen);
        if (!rc)
            rc = apigw_raw(out, ":\"");
        for (size_t j = i; j < n && !rc; j++) {
            if (pairs[j].klen != pairs[i].klen || memcmp(scratch.data + pairs[j].koff, k, pairs[i].klen))
                continue;
            if (any)
                rc = apigw_raw(out, ",");
            any = true;
            if (!rc)
                rc = fg_json_write_escaped(out, scratch.data + pairs[j].voff, pairs[j].vlen);
        }
        if (!rc)
            rc = apigw_raw(out, "\"");
    }
    if (n && !rc)
        rc = apigw_raw(out, "},");
    fg_buf_free(&scratch);
    return rc;
}

static int apigw_path_params(struct fg_buf *out, const struct fg_route_match *m)
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
        rc = apigw_raw(out, first ? "\"pathParameters\":{" : ",");
        first = false;
        if (!rc)
            rc = fg_json_write_str(out, p->name, p->name_len);
        if (!rc)
            rc = apigw_raw(out, ":");
        if (!rc)
            rc = fg_json_write_str(out, pv.data, pv.len);
    }
    if (!first && !rc)
        rc = apigw_raw(out, "},");
    fg_buf_free(&pv);
    return rc;
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

static const char *apigw_header(const struct fg_http_request *req, const char *name, const char *dflt)
{
    const char *v = fg_http_header_get(req->headers, req->n_headers, name);
    return v ? v : dflt;
}

static int apigw_context(struct fg_buf *out, const struct fg_http_request *req, const struct fg_apigw_origin *o)
{
    const char *host = o->domain_name ? o->domain_name : apigw_header(req, "host", "localhost");
    const char *ua = apigw_header(req, "user-agent", ""), *account = o->account_id ? o->account_id : req->account_id;
    const char *api = o->api_id ? o->api_id : "fngate";
    char tbuf[40], num[32];
    int rc;

    apigw_time(tbuf, req->time_ms);
    snprintf(num, sizeof(num), "%lld", req->time_ms);
    if (!fg_utf8_valid(host, strlen(host)))
        host = "localhost";
    if (!fg_utf8_valid(ua, strlen(ua)))
        ua = "";
    if ((rc = apigw_raw(out, "\"requestContext\":{")) ||
        (rc = apigw_str_field(out, "accountId", account, strlen(account))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "apiId", api, strlen(api))) || (rc = apigw_raw(out, ",")) ||
        (o->authorizer && ((rc = apigw_raw(out, "\"authorizer\":")) || (rc = apigw_raw(out, o->authorizer)) ||
                           (rc = apigw_raw(out, ",")))) ||
        (rc = apigw_str_field(out, "domainName", host, strlen(host))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "domainPrefix", host, strcspn(host, ".:"))) ||
        (rc = apigw_raw(out, ",\"http\":{")) ||
        (rc = apigw_str_field(out, "method", req->method, strlen(req->method))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "path", req->raw_path, strlen(req->raw_path))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "protocol", req->protocol, strlen(req->protocol))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "sourceIp", req->source_ip, strlen(req->source_ip))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "userAgent", ua, strlen(ua))) || (rc = apigw_raw(out, "},")) ||
        (rc = apigw_str_field(out, "requestId", req->request_id, strlen(req->request_id))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "routeKey", o->route_key, strlen(o->route_key))) ||
        (rc = apigw_raw(out, ",\"stage\":\"$default\",")) ||
        (rc = apigw_str_field(out, "time", tbuf, strlen(tbuf))) || (rc = apigw_raw(out, ",\"timeEpoch\":")) ||
        (rc = apigw_raw(out, num)))
        return rc;
    return apigw_raw(out, "},");
}

static int apigw_body(struct fg_buf *out, const struct fg_http_request *req)
{
    const char *ctype = apigw_header(req, "content-type", NULL);
    bool text;
    int rc;

    if (!req->body_len)
        return apigw_raw(out, "\"isBase64Encoded\":false");
    text = apigw_text_type(ctype) && fg_utf8_valid(req->body, req->body_len);
    if ((rc = fg_json_write_key(out, "body")))
        return rc;
    if (text) {
        rc = fg_json_write_str(out, req->body, req->body_len);
    } else if ((rc = apigw_raw(out, "\"")) == 0 && (rc = fg_base64_encode(out, req->body, req->body_len)) == 0) {
        rc = apigw_raw(out, "\"");
    }
    if (rc)
        return rc;
    return apigw_raw(out, text ? ",\"isBase64Encoded\":false" : ",\"isBase64Encoded\":true");
}

int fg_apigw_event(const struct fg_http_request *req, const struct fg_route_match *m,
                   struct fg_buf *out)
{
    const struct fg_apigw_origin o = { .route_key = m->route->route_key, .match = m };
    return fg_apigw_event_as(req, &o, out);
}

int fg_apigw_event_as(const struct fg_http_request *req, const struct fg_apigw_origin *o,
                      struct fg_buf *out)
{
    const char *key = o->route_key;
    int rc;

    if ((rc = apigw_raw(out, "{\"version\":\"2.0\",")) ||
        (rc = apigw_str_field(out, "routeKey", key, strlen(key))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "rawPath", req->raw_path, strlen(req->raw_path))) || (rc = apigw_raw(out, ",")) ||
        (rc = apigw_str_field(out, "rawQueryString", req->raw_query, strlen(req->raw_query))) ||
        (rc = apigw_raw(out, ",")) || (rc = apigw_cookies(out, req)) || (rc = apigw_headers(out, req)) ||
        (rc = apigw_raw(out, ",")) || (rc = apigw_query(out, req->raw_query)) ||
        (rc = apigw_path_params(out, o->match)) || (rc = apigw_context(out, req, o)) || (rc = apigw_body(out, req)))
        return rc;
    return apigw_raw(out, "}");
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

static size_t apigw_headers_bytes(const struct fg_http_response *resp)
{
    size_t n = 0;
    for (size_t i = 0; i < resp->n_headers; i++)
        n += strlen(resp->headers[i].name) + strlen(resp->headers[i].value) + 4;
    return n;
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
            rc = fg_http_response_add_header(resp, "content-type", "application/json");
        goto out;
    }
    /* 1xx is not a final answer: sent as one, the client would take the next response on
     * the connection for this one. */
    if (!json_is_integer(sc) || json_integer_value(sc) < 200 || json_integer_value(sc) > 599) {
        rc = fg_err_set(err, -EINVAL, "statusCode must be an integer from 200 to 599");
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
            if ((rc = fg_http_response_add_header(resp, key, text)) < 0)
                goto out;
        }
        if (json_object_size(headers) + json_array_size(cookies) > FG_APIGW_MAX_RESPONSE_HEADERS) {
            rc = fg_err_set(err, -EINVAL, "more than %d headers and cookies", FG_APIGW_MAX_RESPONSE_HEADERS);
            goto out;
        }
        if (cookies && json_is_array(cookies)) {
            size_t i;
            json_array_foreach(cookies, i, v) {
                if (json_is_string(v) && !strpbrk(json_string_value(v), "\r\n") &&
                    (rc = fg_http_response_add_header(resp, "set-cookie", json_string_value(v))) < 0)
                    goto out;
            }
        }
        if (apigw_headers_bytes(resp) > FG_APIGW_MAX_RESPONSE_HEADER_BYTES) {
            rc = fg_err_set(err, -EINVAL, "headers and cookies over %d bytes", FG_APIGW_MAX_RESPONSE_HEADER_BYTES);
            goto out;
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

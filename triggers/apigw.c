/* SPDX-License-Identifier: MIT */
/* apigw.c - HTTP API payload format 2.0 (see apigw.h). */
#include "apigw.h"
#include "apigw_common.h"

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

/* ------------------------------------------------------------------ request → event */

/* The event is written straight into the output buffer: one pass, no tree, no allocation
 * beyond the buffer. Repeated names (headers, query keys) are joined with commas at their
 * first occurrence, as API Gateway does. */

static int apigw_raw(struct fg_buf *out, const char *s)
{
    return fg_buf_append_str(out, s);
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

static int apigw_query(struct fg_buf *out, const char *raw_query)
{
    struct fg_apigw_pair pairs[FG_APIGW_MAX_QUERY];
    struct fg_buf scratch;
    size_t n;
    int rc = 0;

    fg_buf_init(&scratch, 1 << 20);
    n = fg_apigw_query_pairs(raw_query, &scratch, pairs);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *k = scratch.data + pairs[i].koff;
        bool dup = false, any = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = fg_apigw_same_key(&scratch, &pairs[j], &pairs[i]);
        if (dup)
            continue;
        rc = apigw_raw(out, i ? "," : "\"queryStringParameters\":{");
        if (!rc)
            rc = fg_json_write_str(out, k, pairs[i].klen);
        if (!rc)
            rc = apigw_raw(out, ":\"");
        for (size_t j = i; j < n && !rc; j++) {
            if (!fg_apigw_same_key(&scratch, &pairs[j], &pairs[i]))
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

static int apigw_context(struct fg_buf *out, const struct fg_http_request *req, const struct fg_apigw_origin *o)
{
    struct fg_apigw_stamp st;
    const char *host, *ua, *account = o->account_id ? o->account_id : req->account_id;
    const char *api = o->api_id ? o->api_id : "fngate";
    int rc;

    fg_apigw_stamp(req, &st);
    host = o->domain_name ? o->domain_name : st.host;
    ua = st.user_agent;
    if ((rc = apigw_raw(out, "\"requestContext\":{")) ||
        (rc = fg_apigw_str_field(out, "accountId", account, strlen(account))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "apiId", api, strlen(api))) || (rc = apigw_raw(out, ",")) ||
        (o->authorizer && ((rc = apigw_raw(out, "\"authorizer\":")) || (rc = apigw_raw(out, o->authorizer)) ||
                           (rc = apigw_raw(out, ",")))) ||
        (rc = fg_apigw_str_field(out, "domainName", host, strlen(host))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "domainPrefix", host, strcspn(host, ".:"))) ||
        (rc = apigw_raw(out, ",\"http\":{")) ||
        (rc = fg_apigw_str_field(out, "method", req->method, strlen(req->method))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "path", req->raw_path, strlen(req->raw_path))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "protocol", req->protocol, strlen(req->protocol))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "sourceIp", req->source_ip, strlen(req->source_ip))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "userAgent", ua, strlen(ua))) || (rc = apigw_raw(out, "},")) ||
        (rc = fg_apigw_str_field(out, "requestId", req->request_id, strlen(req->request_id))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "routeKey", o->route_key, strlen(o->route_key))) ||
        (rc = apigw_raw(out, ",\"stage\":\"$default\",")) ||
        (rc = fg_apigw_str_field(out, "time", st.time, strlen(st.time))) || (rc = apigw_raw(out, ",\"timeEpoch\":")) ||
        (rc = apigw_raw(out, st.epoch_ms)))
        return rc;
    return apigw_raw(out, "},");
}

int fg_apigw_event(const struct fg_http_request *req, const struct fg_route_match *m,
                   struct fg_buf *out)
{
    const struct fg_apigw_origin o = { .route_key = m->route->route_key, .match = m, .authorizer = req->authorizer_v2 };
    return fg_apigw_event_as(req, &o, out);
}

int fg_apigw_event_as(const struct fg_http_request *req, const struct fg_apigw_origin *o,
                      struct fg_buf *out)
{
    const char *key = o->route_key;
    int rc;

    if ((rc = apigw_raw(out, "{\"version\":\"2.0\",")) ||
        (rc = fg_apigw_str_field(out, "routeKey", key, strlen(key))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "rawPath", req->raw_path, strlen(req->raw_path))) || (rc = apigw_raw(out, ",")) ||
        (rc = fg_apigw_str_field(out, "rawQueryString", req->raw_query, strlen(req->raw_query))) ||
        (rc = apigw_raw(out, ",")) || (rc = apigw_cookies(out, req)) || (rc = apigw_headers(out, req)) ||
        (rc = apigw_raw(out, ",")) || (rc = apigw_query(out, req->raw_query)) ||
        (rc = fg_apigw_path_params(out, o->match)) || (rc = apigw_context(out, req, o)) || (rc = fg_apigw_body(out, req)))
        return rc;
    return apigw_raw(out, "}");
}

/* ------------------------------------------------------------------ result → response */

int fg_apigw_response(const char *result, size_t len, struct fg_http_response *resp, struct fg_err *err)
{
    json_t *root, *sc, *headers, *cookies, *v;
    int rc;

    if ((rc = fg_apigw_response_open(result, len, resp, &root, err)) < 0)
        return rc;
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
        return fg_apigw_response_finish(rc, root, resp, err);
    }
    if ((rc = fg_apigw_status(sc, &resp->status, err)) < 0)
        return fg_apigw_response_finish(rc, root, resp, err);
    headers = json_object_get(root, "headers");
    cookies = json_object_get(root, "cookies");
    if (headers && !json_is_object(headers) && !json_is_null(headers))
        return fg_apigw_response_finish(fg_err_set(err, -EINVAL, "headers must be an object"), root, resp, err);
    if (json_object_size(headers) + json_array_size(cookies) > FG_APIGW_MAX_RESPONSE_HEADERS)
        return fg_apigw_response_finish(fg_err_set(err, -EINVAL, "more than %d headers and cookies",
                                                   FG_APIGW_MAX_RESPONSE_HEADERS), root, resp, err);
    if ((rc = fg_apigw_add_headers(headers, NULL, resp, err)) < 0)
        return fg_apigw_response_finish(rc, root, resp, err);
    if (json_is_array(cookies)) {
        size_t i;
        json_array_foreach(cookies, i, v) {
            if (json_is_string(v) && !strpbrk(json_string_value(v), "\r\n") &&
                (rc = fg_http_response_add_header(resp, "set-cookie", json_string_value(v))) < 0)
                return fg_apigw_response_finish(rc, root, resp, err);
        }
    }
    if ((rc = fg_apigw_headers_fit(resp, err)) == 0)
        rc = fg_apigw_response_body(json_object_get(root, "body"), json_object_get(root, "isBase64Encoded"), resp, err);
    return fg_apigw_response_finish(rc, root, resp, err);
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

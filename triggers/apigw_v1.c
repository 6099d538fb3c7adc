/* SPDX-License-Identifier: MIT */
/* apigw_v1.c - payload format 1.0 (see apigw_v1.h).
 *
 * DESIGN: written straight into the output buffer like the 2.0 event (apigw.c), with the
 * helpers both share (apigw_common.h). A repeated name is found by scanning the names
 * before it: header and query counts are bounded (the front door's 128 headers, 256
 * query keys), so the quadratic scan stays small and needs no allocation. */
#include "apigw_v1.h"
#include "apigw_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/json_write.h"

/* ------------------------------------------------------------------ request → event */

/* A header is carried when its name and value are UTF-8 (JSON text). */
static bool apigw_v1_header_ok(const struct fg_http_header *h)
{
    return fg_utf8_valid(h->name, strlen(h->name)) && fg_utf8_valid(h->value, strlen(h->value));
}

/* Whether header i is the first carried one of its name (any case). */
static bool apigw_v1_header_first(const struct fg_http_request *req, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcasecmp(req->headers[j].name, req->headers[i].name) && apigw_v1_header_ok(&req->headers[j]))
            return false;
    return true;
}

/* "headers":{...},"multiValueHeaders":{...}, keyed by the first spelling of each name; null
 * both when the request has none. */
static int apigw_v1_headers(struct fg_buf *out, const struct fg_http_request *req)
{
    static const char *const keys[] = { "\"headers\":", ",\"multiValueHeaders\":" };
    bool any = false;

    for (size_t i = 0; i < req->n_headers && !any; i++)
        any = apigw_v1_header_ok(&req->headers[i]);
    if (!any)
        return fg_buf_append_str(out, "\"headers\":null,\"multiValueHeaders\":null,");
    for (int multi = 0; multi < 2; multi++) {
        bool first = true;
        fg_buf_append_str(out, keys[multi]);
        fg_buf_append_str(out, "{");
        for (size_t i = 0; i < req->n_headers; i++) {
            const char *last = NULL;
            bool one = true;
            if (!apigw_v1_header_ok(&req->headers[i]) || !apigw_v1_header_first(req, i))
                continue;
            fg_buf_append_str(out, first ? "" : ",");
            first = false;
            fg_json_write_str(out, req->headers[i].name, strlen(req->headers[i].name));
            fg_buf_append_str(out, multi ? ":[" : ":");
            for (size_t j = i; j < req->n_headers; j++) {
                if (strcasecmp(req->headers[j].name, req->headers[i].name) || !apigw_v1_header_ok(&req->headers[j]))
                    continue;
                last = req->headers[j].value;
                if (multi) {
                    fg_buf_append_str(out, one ? "" : ",");
                    fg_json_write_str(out, last, strlen(last));
                    one = false;
                }
            }
            if (multi)
                fg_buf_append_str(out, "]");
            else
                fg_json_write_str(out, last, strlen(last));
        }
        fg_buf_append_str(out, "}");
    }
    return fg_buf_append_str(out, ",");
}

/* "queryStringParameters":{...},"multiValueQueryStringParameters":{...}, or nulls. */
static int apigw_v1_query(struct fg_buf *out, const char *raw_query)
{
    static const char *const keys[] = { "\"queryStringParameters\":", ",\"multiValueQueryStringParameters\":" };
    struct fg_apigw_pair pairs[FG_APIGW_MAX_QUERY];
    struct fg_buf scratch;
    size_t n;
    int rc;

    fg_buf_init(&scratch, 1 << 20);
    n = fg_apigw_query_pairs(raw_query, &scratch, pairs);
    if (!n) {
        fg_buf_free(&scratch);
        return fg_buf_append_str(out, "\"queryStringParameters\":null,\"multiValueQueryStringParameters\":null,");
    }
    for (int multi = 0; multi < 2; multi++) {
        bool first = true;
        fg_buf_append_str(out, keys[multi]);
        fg_buf_append_str(out, "{");
        for (size_t i = 0; i < n; i++) {
            const struct fg_apigw_pair *last = NULL;
            bool dup = false, one = true;
            for (size_t j = 0; j < i && !dup; j++)
                dup = fg_apigw_same_key(&scratch, &pairs[j], &pairs[i]);
            if (dup)
                continue;
            fg_buf_append_str(out, first ? "" : ",");
            first = false;
            fg_json_write_str(out, scratch.data + pairs[i].koff, pairs[i].klen);
            fg_buf_append_str(out, multi ? ":[" : ":");
            for (size_t j = i; j < n; j++) {
                if (!fg_apigw_same_key(&scratch, &pairs[j], &pairs[i]))
                    continue;
                last = &pairs[j];
                if (multi) {
                    fg_buf_append_str(out, one ? "" : ",");
                    fg_json_write_str(out, scratch.data + last->voff, last->vlen);
                    one = false;
                }
            }
            if (multi)
                fg_buf_append_str(out, "]");
            else
                fg_json_write_str(out, scratch.data + last->voff, last->vlen);
        }
        fg_buf_append_str(out, "}");
    }
    rc = fg_buf_append_str(out, ",");
    fg_buf_free(&scratch);
    return rc;
}

/* requestContext.identity: who called. Without IAM or Cognito, all but the address and
 * the user agent are null, as API Gateway sends them. */
static void apigw_v1_identity(struct fg_buf *out, const struct fg_http_request *req, const char *ua)
{
    fg_buf_append_str(out, "\"identity\":{\"accessKey\":null,\"accountId\":null,\"caller\":null,\"cognitoAmr\":null,"
                           "\"cognitoAuthenticationProvider\":null,\"cognitoAuthenticationType\":null,"
                           "\"cognitoIdentityId\":null,\"cognitoIdentityPoolId\":null,\"principalOrgId\":null,");
    fg_apigw_str_field(out, "sourceIp", req->source_ip, strlen(req->source_ip));
    fg_buf_append_str(out, ",\"user\":null,");
    fg_apigw_str_field(out, "userAgent", ua, strlen(ua));
    fg_buf_append_str(out, ",\"userArn\":null},");
}

static void apigw_v1_context(struct fg_buf *out, const struct fg_http_request *req, const struct fg_route_match *m,
                       const char *resource)
{
    struct fg_apigw_stamp st;
    const char *host;

    fg_apigw_stamp(req, &st);
    host = st.host;
    fg_buf_append_str(out, "\"requestContext\":{");
    fg_apigw_str_field(out, "accountId", req->account_id, strlen(req->account_id));
    fg_buf_append_str(out, ",\"apiId\":\"fngate\",");
    if (req->authorizer_v1) {
        fg_buf_append_str(out, "\"authorizer\":");
        fg_buf_append_str(out, req->authorizer_v1);
        fg_buf_append_str(out, ",");
    }
    fg_apigw_str_field(out, "domainName", host, strlen(host));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "domainPrefix", host, strcspn(host, ".:"));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "extendedRequestId", req->request_id, strlen(req->request_id));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "httpMethod", req->method, strlen(req->method));
    fg_buf_append_str(out, ",");
    apigw_v1_identity(out, req, st.user_agent);
    fg_apigw_str_field(out, "path", req->raw_path, strlen(req->raw_path));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "protocol", req->protocol, strlen(req->protocol));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "requestId", req->request_id, strlen(req->request_id));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "requestTime", st.time, strlen(st.time));
    fg_buf_append_str(out, ",\"requestTimeEpoch\":");
    fg_buf_append_str(out, st.epoch_ms);
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "resourceId", m->route->route_key, strlen(m->route->route_key));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "resourcePath", resource, strlen(resource));
    fg_buf_append_str(out, ",\"stage\":\"$default\"},");
}

int fg_apigw_v1_event(const struct fg_http_request *req, const struct fg_route_match *m, struct fg_buf *out)
{
    const char *resource = m->route->path;     /* the template, or "$default" */
    size_t mark;

    fg_buf_append_str(out, "{\"version\":\"1.0\",");
    fg_apigw_str_field(out, "resource", resource, strlen(resource));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "path", req->raw_path, strlen(req->raw_path));
    fg_buf_append_str(out, ",");
    fg_apigw_str_field(out, "httpMethod", req->method, strlen(req->method));
    fg_buf_append_str(out, ",");
    apigw_v1_headers(out, req);
    apigw_v1_query(out, req->raw_query);
    apigw_v1_context(out, req, m, resource);
    mark = out->len;
    fg_apigw_path_params(out, m);
    if (out->len == mark)
        fg_buf_append_str(out, "\"pathParameters\":null,");
    fg_buf_append_str(out, "\"stageVariables\":null,");
    if (!req->body_len)
        fg_buf_append_str(out, "\"body\":null,");
    fg_apigw_body(out, req);
    fg_buf_append_str(out, "}");
    return out->err;
}

/* ------------------------------------------------------------------ result → response */

/* Adds every value of multiValueHeaders. */
static int apigw_v1_multi_headers(json_t *multi, struct fg_http_response *resp, struct fg_err *err)
{
    const char *key;
    json_t *list, *v;
    char num[64];
    size_t i;
    int rc;

    json_object_foreach(multi, key, list) {
        if (!json_is_array(list) && !json_is_null(list))
            return fg_err_set(err, -EINVAL, "multiValueHeaders.%s must be a list", key);
        if (resp->n_headers + json_array_size(list) > FG_APIGW_MAX_RESPONSE_HEADERS)
            return fg_err_set(err, -EINVAL, "more than %d headers", FG_APIGW_MAX_RESPONSE_HEADERS);
        json_array_foreach(list, i, v) {
            const char *text;
            if (fg_apigw_scalar_text(v, num, sizeof(num), &text) < 0)
                return fg_err_set(err, -EINVAL, "multiValueHeaders.%s must hold strings", key);
            if ((rc = fg_apigw_header_ok(key, text, err)) < 0 || (rc = fg_http_response_add_header(resp, key, text)) < 0)
                return rc;
        }
    }
    return 0;
}

int fg_apigw_v1_response(const char *result, size_t len, struct fg_http_response *resp, struct fg_err *err)
{
    json_t *root, *headers, *multi;
    int rc;

    if ((rc = fg_apigw_response_open(result, len, resp, &root, err)) < 0)
        return rc;
    if (!json_is_object(root) || !json_object_get(root, "statusCode"))
        return fg_apigw_response_finish(fg_err_set(err, -EINVAL, "a 1.0 response is an object with statusCode"), root,
                                        resp, err);
    if ((rc = fg_apigw_status(json_object_get(root, "statusCode"), &resp->status, err)) < 0)
        return fg_apigw_response_finish(rc, root, resp, err);
    headers = json_object_get(root, "headers");
    multi = json_object_get(root, "multiValueHeaders");
    if ((headers && !json_is_object(headers) && !json_is_null(headers)) ||
        (multi && !json_is_object(multi) && !json_is_null(multi)))
        return fg_apigw_response_finish(fg_err_set(err, -EINVAL, "headers and multiValueHeaders must be objects"), root,
                                        resp, err);
    if (json_object_size(headers) > FG_APIGW_MAX_RESPONSE_HEADERS)
        return fg_apigw_response_finish(fg_err_set(err, -EINVAL, "more than %d headers", FG_APIGW_MAX_RESPONSE_HEADERS),
                                        root, resp, err);
    /* A name in both takes multiValueHeaders' values only. */
    if ((rc = fg_apigw_add_headers(headers, multi, resp, err)) == 0 && (rc = apigw_v1_multi_headers(multi, resp, err)) == 0 &&
        (rc = fg_apigw_headers_fit(resp, err)) == 0)
        rc = fg_apigw_response_body(json_object_get(root, "body"), json_object_get(root, "isBase64Encoded"), resp, err);
    return fg_apigw_response_finish(rc, root, resp, err);
}

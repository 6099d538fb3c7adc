/* SPDX-License-Identifier: MIT */
/* function_url.c - Lambda function URLs on the front door (see function_url.h).
 *
 * DESIGN: a URL is found from the request's Host or path alone, before routes and the
 * Invoke API, so a route can never shadow it and a URL request never reaches the route
 * table. The name form compares the label with function names exactly, then without case
 * (browsers lower-case host names) when that finds one function only. The url-id form
 * derives each URL function's id to compare (a SHA-256 of some 60 bytes per function with
 * a URL, per request of that form: microseconds for hundreds of functions); the name form,
 * the one fngate prints, derives one. The event is triggers/apigw.c's 2.0 writer with an
 * origin (struct fg_apigw_origin) carrying what differs. AWS_IAM reuses the Invoke API's
 * signature check (gateway/invoke_auth.c) without its browser and Host rules, which do
 * not apply to URLs; every refusal is the one 403 Lambda answers for a function URL
 * (awsdocs/aws-lambda-developer-guide#494 quotes it), the reason going to the debug log. */
#include "function_url.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/sha256.h"
#include "sigv4.h"

#define FURL_HOST_SUFFIX "lambda-url.localhost"
#define FURL_FORBIDDEN "{\"Message\":\"Forbidden. For troubleshooting Function URL authorization issues, see: " \
                       "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html\"}"

/* ------------------------------------------------------------------ ids and hosts */

void fg_function_url_id(const struct fg_config *conf, const char *name, char out[FG_FUNCTION_URL_ID_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    struct fg_sha256 sha;
    unsigned char d[32];

    fg_sha256_init(&sha);
    fg_sha256_update(&sha, "fngate-function-url\n", 20);
    fg_sha256_update(&sha, conf->account_id, strlen(conf->account_id));
    fg_sha256_update(&sha, "\n", 1);
    fg_sha256_update(&sha, conf->region, strlen(conf->region));
    fg_sha256_update(&sha, "\n", 1);
    fg_sha256_update(&sha, name, strlen(name));
    fg_sha256_final(&sha, d);
    /* 32 base32 characters: the first 160 bits, five at a time. */
    for (size_t i = 0; i < FG_FUNCTION_URL_ID_LEN; i++) {
        size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
        unsigned v = ((unsigned)d[byte] << 8 | d[byte + 1]) >> (11 - shift);
        out[i] = alphabet[v & 31];
    }
    out[FG_FUNCTION_URL_ID_LEN] = '\0';
}

void fg_function_url_domain(const struct fg_config *conf, const char *name, char *out, size_t size)
{
    char id[FG_FUNCTION_URL_ID_LEN + 1];
    fg_function_url_id(conf, name, id);
    snprintf(out, size, "%s.lambda-url.%s.on.aws", id, conf->region);
}

void fg_function_url_of(const struct fg_config *conf, const char *name, int port, char *out, size_t size)
{
    snprintf(out, size, "%s://%s." FURL_HOST_SUFFIX ":%d/", fg_conf_tls_scheme(&conf->tls), name, port);
}

/* Whether s[0..n) ends with the lower-case suffix, at a label boundary. */
static bool furl_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n > m && s[n - m - 1] == '.' && !strncasecmp(s + n - m, suffix, m);
}

enum fg_function_url_host fg_function_url_parse_host(const char *host, char *label, size_t size)
{
    const char *colon, *dot;
    size_t n, len;
    enum fg_function_url_host kind;

    if (!host || host[0] == '[')
        return FG_FURL_HOST_OTHER;
    n = strlen(host);
    if ((colon = strchr(host, ':'))) {
        for (const char *c = colon + 1; *c; c++)
            if (!isdigit((unsigned char)*c))
                return FG_FURL_HOST_OTHER;
        n = (size_t)(colon - host);
    }
    if (n && host[n - 1] == '.')
        n--;
    if (!(dot = memchr(host, '.', n)) || dot == host)
        return FG_FURL_HOST_OTHER;
    len = (size_t)(dot - host);
    if (furl_ends_with(host, n, FURL_HOST_SUFFIX) && (size_t)(dot + 1 - host) + strlen(FURL_HOST_SUFFIX) == n) {
        kind = FG_FURL_HOST_NAME;
    } else if (furl_ends_with(host, n, "on.aws") && !strncasecmp(dot + 1, "lambda-url.", 11)) {
        /* ID.lambda-url.REGION.on.aws: one label between */
        const char *region = dot + 1 + 11, *end = host + n - 7;
        if (region >= end || memchr(region, '.', (size_t)(end - region)))
            return FG_FURL_HOST_OTHER;
        kind = FG_FURL_HOST_ID;
    } else {
        return FG_FURL_HOST_OTHER;
    }
    if (len >= size)
        return FG_FURL_HOST_OTHER;
    memcpy(label, host, len);
    label[len] = '\0';
    return kind;
}

/* The function with a URL called name[0..n): exactly, or (any_case) without case when only
 * one matches so. NULL when none (or the function has no url:). */
static const struct fg_conf_function *furl_by_name(const struct fg_config *conf, const char *name, size_t n,
                                                   bool any_case)
{
    const struct fg_conf_function *found = NULL;
    size_t folded = 0;

    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        if (strlen(fn->name) != n)
            continue;
        if (!strncmp(fn->name, name, n))
            return fn->url.enabled ? fn : NULL;
        if (any_case && !strncasecmp(fn->name, name, n)) {
            found = fn;
            folded++;
        }
    }
    return folded == 1 && found->url.enabled ? found : NULL;
}

static const struct fg_conf_function *furl_by_id(const struct fg_config *conf, const char *id)
{
    char mine[FG_FUNCTION_URL_ID_LEN + 1];

    if (strlen(id) != FG_FUNCTION_URL_ID_LEN)
        return NULL;
    for (size_t i = 0; i < conf->n_functions; i++) {
        if (!conf->functions[i].url.enabled)
            continue;
        fg_function_url_id(conf, conf->functions[i].name, mine);
        if (!strcasecmp(mine, id))
            return &conf->functions[i];
    }
    return NULL;
}

bool fg_function_url_match(const struct fg_config *conf, const char *host, const char *raw_uri,
                           struct fg_function_url_target *t)
{
    const size_t prefix = sizeof(FG_FUNCTION_URL_PATH) - 1;
    char label[80];

    t->fn = NULL;
    t->path = "/";
    switch (fg_function_url_parse_host(host, label, sizeof(label))) {
    case FG_FURL_HOST_NAME:
        t->fn = furl_by_name(conf, label, strlen(label), true);
        t->path = raw_uri[0] == '/' ? raw_uri : "/";
        return true;
    case FG_FURL_HOST_ID:
        t->fn = furl_by_id(conf, label);
        t->path = raw_uri[0] == '/' ? raw_uri : "/";
        return true;
    default:
        break;
    }
    if (!strncmp(raw_uri, FG_FUNCTION_URL_PATH, prefix)) {
        const char *name = raw_uri + prefix;
        size_t n = strcspn(name, "/?");
        t->fn = furl_by_name(conf, name, n, false);
        if (name[n] == '/')
            t->path = name + n;
        return true;
    }
    /* "/_fngate/url" alone: the prefix without a name */
    return !strncmp(raw_uri, FG_FUNCTION_URL_PATH, prefix - 1) && (raw_uri[prefix - 1] == '\0' || raw_uri[prefix - 1] == '?');
}

/* ------------------------------------------------------------------ answers */

/* resp: status, a body as given, x-amzn-ErrorType (NULL: none), x-amzn-RequestId (NULL: none). */
static void furl_answer(struct fg_http_response *resp, int status, const char *body, const char *error_type,
                        const char *request_id)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = status;
    fg_buf_init(&resp->body, FG_PAYLOAD_SYNC_MAX_BYTES + 1024);
    if (fg_buf_append(&resp->body, body, strlen(body)) < 0 ||
        fg_http_response_add_header(resp, "Content-Type", "application/json") < 0 ||
        (error_type && fg_http_response_add_header(resp, "x-amzn-ErrorType", error_type) < 0) ||
        (request_id && fg_http_response_add_header(resp, "x-amzn-RequestId", request_id) < 0))
        fg_log(FG_LOG_WARN, "http", "function URL: out of memory writing a %d answer", status);
}

void fg_function_url_not_found(struct fg_http_response *resp)
{
    furl_answer(resp, 404, "{\"Message\":null}", NULL, NULL);
}

static int furl_refuse(struct fg_http_response *resp, const struct fg_conf_function *fn, const char *why,
                       const char *detail)
{
    fg_log(FG_LOG_DEBUG, "http", "function URL %s: refused: %s: %s", fn->name, why, detail);
    furl_answer(resp, 403, FURL_FORBIDDEN, "AccessDeniedException", NULL);
    return -EACCES;
}

static int furl_too_large(struct fg_http_response *resp)
{
    furl_answer(resp, 413, "{\"Message\":\"Request must be smaller than 6291456 bytes for the InvokeFunction operation\"}",
                "RequestTooLargeException", NULL);
    return -FG_ETOOBIG;
}

/* requestContext.authorizer for a caller that signed: {"iam":{...}} as Lambda writes it.
 * A listed key is an IAM user named after it; a role's credentials its assumed-role session. */
static int furl_iam(struct fg_buf *out, const struct fg_config *conf, const struct fg_invoke_caller *c,
                    const struct fg_iam_principal *who)
{
    struct fg_sigv4_request r = { c->method, c->raw_path, c->raw_query && *c->raw_query ? c->raw_query : NULL,
                                  c->headers, c->n_headers, NULL, FG_SIGV4_GENERIC };
    struct fg_sigv4_auth sa;
    struct fg_err err;
    char arn[384], caller[160];

    if (fg_sigv4_parse(&r, &sa, &err) < 0)      /* it was parsed to be verified */
        return -EINVAL;
    if (who->function[0]) {
        fg_iam_principal_arn(who, conf->account_id, arn, sizeof(arn));
        snprintf(caller, sizeof(caller), "%s:%s", sa.access_key, who->function);
    } else {
        snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", conf->account_id, sa.access_key);
        snprintf(caller, sizeof(caller), "%s", sa.access_key);
    }
    return fg_json_write_field(out, "{\"iam\":{\"accessKey\":", sa.access_key) ||
                   fg_json_write_field(out, ",\"accountId\":", conf->account_id) ||
                   fg_json_write_field(out, ",\"callerId\":", caller) ||
                   fg_json_write_field(out, ",\"cognitoIdentity\":null,\"principalOrgId\":null,\"userArn\":", arn) ||
                   fg_json_write_field(out, ",\"userId\":", caller) || fg_buf_append(out, "}}", 2)
               ? -ENOMEM
               : 0;
}

int fg_function_url_prepare(struct fg_invoke_auth *auth, const struct fg_config *conf,
                            const struct fg_function_url_target *t, const struct fg_http_request *req,
                            const struct fg_invoke_caller *caller, struct fg_buf *event,
                            struct fg_http_response *refusal)
{
    const struct fg_conf_function *fn = t->fn;
    char id[FG_FUNCTION_URL_ID_LEN + 1], domain[160];
    struct fg_apigw_origin o = { .route_key = "$default", .account_id = "anonymous" };
    struct fg_buf authz;
    int rc;

    fg_buf_init(&authz, 4096);
    /* The method, rawPath and rawQueryString go into the event as they are. */
    if (!fg_http_token_ok(req->method) || !fg_utf8_valid(req->raw_path, strlen(req->raw_path)) ||
        !fg_utf8_valid(req->raw_query, strlen(req->raw_query))) {
        furl_answer(refusal, 400, "{\"Message\":\"Bad Request\"}", NULL, NULL);
        return -EINVAL;
    }
    if (fn->url.auth_type == FG_URL_AUTH_AWS_IAM) {
        struct fg_iam_principal who;
        struct fg_invoke_refusal why;
        char arn[256];
        rc = fg_invoke_auth_check_signed(auth, caller, fg_now_ms() / 1000, &who, &why);
        if (rc == -E2BIG)
            return furl_too_large(refusal);
        if (rc < 0)
            return furl_refuse(refusal, fn, why.error_type, why.message);
        fg_conf_function_arn(conf, fn->name, arn, sizeof(arn));
        if (fg_invoke_auth_authorize(&who, conf->account_id, "lambda:InvokeFunctionUrl", arn, &why) < 0)
            return furl_refuse(refusal, fn, why.error_type, why.message);
        if ((rc = furl_iam(&authz, conf, caller, &who)) < 0) {
            fg_buf_free(&authz);
            furl_answer(refusal, 500, "{\"Message\":\"Internal Server Error\"}", "ServiceException", NULL);
            return rc;
        }
        o.authorizer = authz.data;
        o.account_id = conf->account_id;
    }
    if (caller->body_dropped) {
        fg_buf_free(&authz);
        return furl_too_large(refusal);
    }
    fg_function_url_id(conf, fn->name, id);
    fg_function_url_domain(conf, fn->name, domain, sizeof(domain));
    o.api_id = id;
    o.domain_name = domain;
    rc = fg_apigw_event_as(req, &o, event);
    fg_buf_free(&authz);
    if (rc == -FG_ETOOBIG)
        return furl_too_large(refusal);
    if (rc < 0)
        furl_answer(refusal, 500, "{\"Message\":\"Internal Server Error\"}", "ServiceException", NULL);
    return rc;
}

void fg_function_url_result(const struct fg_invocation *inv, bool debug_errors, struct fg_http_response *resp)
{
    struct fg_err err;
    char after[16];

    switch (inv->status) {
    case FG_INV_OK:
        if (fg_apigw_response(inv->result.data ? inv->result.data : "", inv->result.len, resp, &err) == 0) {
            if (fg_http_response_add_header(resp, "x-amzn-RequestId", inv->request_id) < 0)
                fg_log(FG_LOG_WARN, "http", "function URL: out of memory adding x-amzn-RequestId");
            return;
        }
        fg_log(FG_LOG_INFO, "http", "function URL %s request %s: bad response: %s", inv->function, inv->request_id,
               err.msg);
        break;
    case FG_INV_FUNCTION_ERROR:
    case FG_INV_TIMEOUT:
        if (debug_errors) {
            furl_answer(resp, inv->status == FG_INV_TIMEOUT ? 504 : 502, "", NULL, inv->request_id);
            if (inv->result.len && fg_buf_append(&resp->body, inv->result.data, inv->result.len) < 0)
                fg_buf_reset(&resp->body);
            return;
        }
        break;
    case FG_INV_THROTTLED:
        furl_answer(resp, 429, "{\"Message\":\"Rate Exceeded.\"}", "TooManyRequestsException", inv->request_id);
        snprintf(after, sizeof(after), "%d", inv->retry_after_s > 0 ? inv->retry_after_s : 1);
        if (fg_http_response_add_header(resp, "Retry-After", after) < 0)
            fg_log(FG_LOG_WARN, "http", "function URL: out of memory adding Retry-After");
        return;
    case FG_INV_NOT_FOUND:          /* a reload removed it while the request waited */
        fg_function_url_not_found(resp);
        return;
    default:
        furl_answer(resp, 500, "{\"Message\":\"Internal Server Error\"}", "ServiceException", inv->request_id);
        return;
    }
    /* Lambda answers a failed or unusable invocation behind a URL with a bare 502. */
    furl_answer(resp, 502, "Internal Server Error", NULL, inv->request_id);
}

/* SPDX-License-Identifier: MIT */
/* function_url_api.c - GetFunctionUrlConfig and ListFunctionUrlConfigs (see
 * function_url_api.h).
 *
 * DESIGN: the function segment is read by the Invoke API's own rules (a name, a partial or
 * full ARN, $LATEST only), so every Lambda operation names functions alike. Answers are
 * REST-JSON as botocore parses them; errors reuse the Invoke API's shapes. */
#include "function_url_api.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "function_url.h"
#include "invoke_auth.h"

enum furl_op {
    FURL_OP_GET = 0,        /* .../url */
    FURL_OP_LIST,           /* .../urls */
};

/* ISO-8601 with microseconds, as Lambda writes CreationTime: the file's mtime (now when it
 * cannot be read). */
static void furl_api_time(const struct fg_config *conf, char out[40])
{
    struct stat st;
    struct timespec ts;
    struct tm tm;

    if (!conf->path || stat(conf->path, &st) < 0)
        clock_gettime(CLOCK_REALTIME, &st.st_mtim);
    ts = st.st_mtim;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

/* The FunctionUrlConfig object of fn (owned; NULL when out of memory). */
static json_t *furl_api_config(const struct fg_config *conf, const struct fg_conf_function *fn, int port)
{
    static const char *const auth[] = { "NONE", "AWS_IAM" };
    static const char *const mode[] = { "BUFFERED", "RESPONSE_STREAM" };
    char url[256], arn[256], when[40];

    fg_function_url_of(conf, fn->name, port, url, sizeof(url));
    fg_conf_function_arn(conf, fn->name, arn, sizeof(arn));
    furl_api_time(conf, when);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "FunctionUrl", url, "FunctionArn", arn, "AuthType",
                     auth[fn->url.auth_type], "CreationTime", when, "LastModifiedTime", when, "InvokeMode",
                     mode[fn->url.invoke_mode]);
}

/* The operation raw_path asks for and its function's name; -ENOENT when it is none of
 * ours, -EINVAL with err for a malformed name. */
static int furl_api_parse(const char *raw_path, enum furl_op *op, char *name, size_t size, struct fg_err *err)
{
    const char *p = raw_path + sizeof(FG_FUNCTION_URL_API_PREFIX) - 1, *end;
    char path[1024];

    if (strncmp(raw_path, FG_FUNCTION_URL_API_PREFIX, sizeof(FG_FUNCTION_URL_API_PREFIX) - 1) ||
        !(end = strchr(p, '/')))
        return -ENOENT;
    if (!strcmp(end, "/url"))
        *op = FURL_OP_GET;
    else if (!strcmp(end, "/urls"))
        *op = FURL_OP_LIST;
    else
        return -ENOENT;
    if ((size_t)snprintf(path, sizeof(path), "%s%.*s/invocations", FG_INVOKE_API_PREFIX, (int)(end - p), p) >= sizeof(path))
        return fg_err_set(err, -EINVAL, "invalid function name");
    return fg_invoke_api_function(path, name, size, err);
}

int fg_function_url_api(const struct fg_config *conf, const char *method, const char *raw_path,
                        const struct fg_iam_principal *who, int port, struct fg_invoke_answer *a)
{
    enum furl_op op;
    struct fg_invoke_refusal why;
    struct fg_err err;
    const struct fg_conf_function *fn;
    char name[80], arn[256], msg[400], *text;
    json_t *doc;
    int rc;

    if ((rc = furl_api_parse(raw_path, &op, name, sizeof(name), &err)) == -ENOENT)
        return rc;
    if (rc < 0) {
        fg_invoke_api_error(a, 400, "InvalidParameterValueException", err.msg, NULL);
        return 0;
    }
    if (strcmp(method, "GET")) {
        fg_invoke_api_error(a, 400, "InvalidParameterValueException",
                            "function URLs are configured in fngate.yaml (url: on the function): only "
                            "GetFunctionUrlConfig and ListFunctionUrlConfigs are served", NULL);
        return 0;
    }
    fg_conf_function_arn(conf, name, arn, sizeof(arn));
    if (fg_invoke_auth_authorize(who, conf->account_id,
                                 op == FURL_OP_GET ? "lambda:GetFunctionUrlConfig" : "lambda:ListFunctionUrlConfigs",
                                 arn, &why) < 0) {
        fg_invoke_api_error(a, why.status, why.error_type, why.message, NULL);
        return 0;
    }
    if (!(fn = fg_conf_function(conf, name))) {
        snprintf(msg, sizeof(msg), "Function not found: %s", arn);
        fg_invoke_api_error(a, 404, "ResourceNotFoundException", msg, NULL);
        return 0;
    }
    if (op == FURL_OP_GET && !fn->url.enabled) {
        fg_invoke_api_error(a, 404, "ResourceNotFoundException", "The resource you requested does not exist.", NULL);
        return 0;
    }
    if (op == FURL_OP_GET)
        doc = furl_api_config(conf, fn, port);
    else if ((doc = json_pack("{s:[]}", "FunctionUrlConfigs")) && fn->url.enabled)
        json_array_append_new(json_object_get(doc, "FunctionUrlConfigs"), furl_api_config(conf, fn, port));
    text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text) {
        fg_invoke_api_error(a, 500, "ServiceException", "out of memory", NULL);
        return 0;
    }
    fg_invoke_api_error(a, 200, NULL, "", NULL);
    fg_buf_reset(&a->body);
    if (fg_buf_append(&a->body, text, strlen(text)) < 0) {
        fg_invoke_api_answer_close(a);
        fg_invoke_api_error(a, 500, "ServiceException", "out of memory", NULL);
    }
    free(text);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* admin_cost.c - GET /_fngate/cost (see admin_cost.h). */
#include "admin_cost.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cost_report.h"

int fg_admin_cost_prepare(struct fg_admin_req *req, long long now_ms, struct fg_err *err)
{
    struct fg_log_query *q = &req->logq;
    (void)err;
    snprintf(req->function, sizeof(req->function), "%s", q->function);
    q->function[0] = '\0';          /* every function's: the free tier is the account's */
    req->cost_window_ms = fg_cost_window_start(q->since_ms ? q->since_ms : now_ms - FG_ADMIN_COST_DEFAULT_MS);
    q->since_ms = fg_pricing_month_start(req->cost_window_ms);
    return 0;
}

int fg_admin_cost_render(const struct fg_admin_req *req, const struct fg_config *conf, struct fg_buf *out,
                         struct fg_err *err)
{
    const struct fg_log_query *q = &req->logq;
    struct fg_cost_report report;
    json_t *usage = NULL, *doc = NULL;
    char *text = NULL;
    int status = 200, rc;

    if (req->function[0] && !fg_conf_function(conf, req->function))
        return fg_err_set(err, 404, "no function named %s", req->function);
    if (q->status != 200) {
        json_t *m = json_loadb(q->json.data ? q->json.data : "", q->json.len, 0, NULL);
        const char *msg = json_string_value(json_object_get(m, "message"));
        status = fg_err_set(err, q->status ? q->status : 500, "%s", msg ? msg : "the usage could not be read");
        json_decref(m);
        return status;
    }
    if (!(usage = json_loadb(q->json.data ? q->json.data : "", q->json.len, 0, NULL)))
        return fg_err_set(err, 500, "the usage answer is not JSON");
    if ((rc = fg_cost_report_build(&report, &conf->pricing, usage, req->function[0] ? req->function : NULL,
                                   req->cost_window_ms, err)) < 0) {
        json_decref(usage);
        return 500;
    }
    if (!(doc = fg_cost_report_json(&report)) || !(text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) ||
        fg_buf_append_str(out, text) < 0)
        status = fg_err_set(err, 500, "out of memory");
    free(text);
    json_decref(doc);
    fg_cost_report_close(&report);
    json_decref(usage);
    return status;
}

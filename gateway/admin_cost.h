/* SPDX-License-Identifier: MIT */
/* admin_cost.h - GET /_fngate/cost?function=F&since=MS&until=MS: the bill of the recorded
 * usage, the document `fngate cost [F] --json` prints (cost_report.h computes both), at the
 * running configuration's `pricing:`.
 *
 * The usage is asked of the log store like GET /_fngate/usage (every function's, from the
 * start of the window's UTC month, for the free tier); the bill is made on the MHD thread
 * once the store answered. since defaults to 30 days ago (the CLI's default) and starts at
 * its whole hour; until (inclusive, by hour) defaults to no end. Tests:
 * tests/integration/test_console_api.py. */
#ifndef FG_ADMIN_COST_H
#define FG_ADMIN_COST_H

#include "../config/config.h"
#include "../core/buf.h"
#include "admin.h"

#define FG_ADMIN_COST_DEFAULT_MS (30LL * 24 * 3600 * 1000)

/* After the query string was read into req->logq (since, until, function): moves the
 * function to req->function, sets req->cost_window_ms and makes req->logq the usage
 * question the bill needs. 0 (it cannot fail; err is for the parser's contract). */
int fg_admin_cost_prepare(struct fg_admin_req *req, long long now_ms, struct fg_err *err);

/* The answer once the log store answered req->logq: 200 with the bill appended to out,
 * else an HTTP status with err's message (404 for a function conf does not have, the
 * store's own status). Borrows everything; any thread. */
int fg_admin_cost_render(const struct fg_admin_req *req, const struct fg_config *conf, struct fg_buf *out,
                         struct fg_err *err);

#endif

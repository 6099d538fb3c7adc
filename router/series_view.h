/* SPDX-License-Identifier: MIT */
/* series_view.h - the console's time series as the admin API answers them (contract item
 * 6 of issue 18): GET /_fngate/functions/NAME/metrics?period=P and
 * GET /_fngate/metrics/summary?period=P, written from the functions' rings (series.h) on
 * the loop thread. Tests: tests/integration/test_console_series.py. */
#ifndef FG_SERIES_VIEW_H
#define FG_SERIES_VIEW_H

#include "../core/buf.h"
#include "series.h"

struct fg_router;

/* Loop thread. {"period","stepMs","points":[...]} of the function called name, every
 * point of period p present, oldest first, the last holding now_ms, appended to out.
 * 0; -ENOENT with {"message":"no function named NAME"} in out (404); or out's error. */
int fg_series_view_function(struct fg_router *r, const char *name, const struct fg_series_period *p,
                            long long now_ms, struct fg_buf *out);

/* Loop thread. {"functions":{"NAME":{"invocations","errors","throttles"}}} over period p's
 * points for every configured function, appended to out. 0 or out's error. */
int fg_series_view_summary(struct fg_router *r, const struct fg_series_period *p, long long now_ms,
                           struct fg_buf *out);

#endif

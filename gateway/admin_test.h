/* SPDX-License-Identifier: MIT */
/* admin_test.h - running the console's Test button requests (gateway/test_event.h) for the
 * admin listener: saved test events through the state store's writer (router/store.h),
 * test invocations through the router exactly as the Invoke API's RequestResponse submits
 * them (same admission, throttles, timeout), with the log tail asked for.
 *
 * The admin listener suspends the connection and this file resumes it through done: no MHD
 * thread ever waits. Tests: tests/integration/test_console_test_events.py. */
#ifndef FG_ADMIN_TEST_H
#define FG_ADMIN_TEST_H

#include "../router/router.h"
#include "test_event.h"

/* Any thread. Borrows r, and t (parsed by fg_test_event_parse) until done(arg) runs: on the
 * loop thread (on the store thread once the loop has stopped), never inside this call,
 * with the answer in t->status and t->answer. 0; or -1 when the answer is there already
 * (no such function, a stopping gateway) and done will not run. */
int fg_admin_test_start(struct fg_router *r, struct fg_test_req *t, void (*done)(void *arg), void *arg);

#endif

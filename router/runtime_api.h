/* SPDX-License-Identifier: MIT */
/* runtime_api.h - the AWS Lambda Runtime API, served to one worker on its own port. */
#ifndef FG_RUNTIME_API_H
#define FG_RUNTIME_API_H

#include "../core/err.h"

struct fg_invocation;
struct fg_worker;

/* Opens the worker's Runtime API server on 127.0.0.1:0. 0 or -errno. */
int fg_runtime_api_open(struct fg_worker *w, struct fg_err *err);
/* Answers the parked /next with inv's event. */
void fg_runtime_api_send_event(struct fg_worker *w, struct fg_invocation *inv);
/* Closes the server and any parked request. */
void fg_runtime_api_close(struct fg_worker *w);

#endif

/* SPDX-License-Identifier: MIT */
/* codewatch.h - `fngate serve --watch`: new code without a restart, while developing.
 *
 * What serverless-offline, SAM and LocalStack users ask for most: edit a handler, call it
 * again, get the new code. Each function's code directory tree is watched with inotify on
 * the loop thread (its own descriptor: libinotifytools' global state belongs to the folder
 * trigger's thread); after a burst of changes settles (200 ms) the functions whose trees
 * changed get a new code generation: idle workers stop at once, busy ones finish what they
 * hold and stop, and the next invocation starts a worker that loads the new code
 * (pool.c). Hidden directories (.git, the state directory) are not watched. Off by
 * default. Tests: tests/integration/test_watch.py. */
#ifndef FG_CODEWATCH_H
#define FG_CODEWATCH_H

#include "../core/err.h"

struct fg_router;
struct fg_codewatch;

/* Watches every function's code tree of r. NULL with err filled when inotify cannot be
 * used. Owned by the caller: fg_codewatch_free. */
struct fg_codewatch *fg_codewatch_new(struct fg_router *r, struct fg_err *err);

void fg_codewatch_free(struct fg_codewatch *w);

#endif

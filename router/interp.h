/* SPDX-License-Identifier: MIT */
/* interp.h - which program on this machine runs a function's language.
 *
 * A runtime written as Lambda writes it (python3.12, nodejs20.x, java21, ruby3.3) asks for
 * a language and a version. fngate runs the machine's own interpreter: the exact version
 * when it is installed (python3.12, ruby3.3, a JDK 21 under /usr/lib/jvm), else the one
 * that is, with one warning naming both versions; a language that is not installed is an
 * error at start naming the Debian package that provides it. Decided once per runtime
 * name at start and at a reload, on the loop thread, never per invocation.
 * Tests: tests/integration/test_runtime_names.py. */
#ifndef FG_INTERP_H
#define FG_INTERP_H

#include <limits.h>

#include "../config/config.h"
#include "../core/err.h"

struct fg_interp {
    char path[PATH_MAX];     /* the interpreter; "" for runtimes that run the function's own
                              * executable (provided, go1.x) */
    char version[32];        /* what it says it is ("3.11", "20.20.2", "17"), or "" */
    char warning[512];       /* "" or the one warning to log: the version asked for is not
                              * installed and which one runs instead */
};

/* Finds the interpreter of fn's runtime into out. 0, or -ENOENT with err naming the
 * language and the package to install. Results are remembered by runtime name for the
 * life of the process (a start, a reload, a validate), so `node --version` runs once. */
int fg_interp_find(const struct fg_conf_function *fn, struct fg_interp *out, struct fg_err *err) FG_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/* err.h - error codes and the message carrier every fallible fngate call fills.
 *
 * Functions return 0 (or a count) on success and a negative number on failure: -errno for
 * system errors, -FG_E* for fngate's own conditions. Our codes live far beyond errno's
 * range so the two never collide. Not every negative is a failure: -FG_ESHUTDOWN tells a
 * poster to answer for itself. Outcomes of an invocation (throttled, timed out, ...) are
 * not error codes but enum fg_inv_status. Tests: tests/unit/test_core.c. */
#ifndef FG_ERR_H
#define FG_ERR_H

#include <stddef.h>

#define FG_MUST_CHECK __attribute__((warn_unused_result))
#define FG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Code, name and default message come from one table (err.c). */
#define FG_ERRNO_MAP(X)                                                   \
    X(CONFIG,   4001, "invalid configuration")                            \
    X(TOOBIG,   4002, "size limit exceeded")                              \
    X(SHUTDOWN, 4003, "shutting down")                                    \
    X(STOREDOWN, 4004, "the state store is unreachable")                  \
    X(DUPLICATE, 4005, "already done by another node")

enum fg_errno {
/* Positive like errno values: functions return -FG_ETOOBIG as they return -ENOMEM. */
#define FG_ERR_ENUM(name, code, msg) FG_E##name = (code),
    FG_ERRNO_MAP(FG_ERR_ENUM)
#undef FG_ERR_ENUM
};

/* What went wrong, filled where the failure is found. Callers may prefix, never replace. */
struct fg_err {
    int code;          /* negative: -errno or -FG_E* */
    char msg[1024];
};

/* Fills err (may be NULL) and returns code, so `return fg_err_set(err, -EINVAL, ...)` reads
 * as one step. */
int fg_err_set(struct fg_err *err, int code, const char *fmt, ...) FG_PRINTF(3, 4);

/* Static text for a code (ours or errno). Never NULL. */
const char *fg_strerror(int code);

#endif

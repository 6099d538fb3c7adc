/* SPDX-License-Identifier: MIT */
/* err.h - error codes and the message carrier every fallible fngate call fills.
 *
 * Functions return 0 (or a count) on success and a negative number on failure: -errno for
 * system errors, -FG_E* for fngate's own conditions. Our codes live far below errno's range
 * so the two never collide. Not every negative is a failure: -FG_EBUSY means "throttled,
 * try later" and must never count as a failed attempt. Tests: tests/unit/test_core.c. */
#ifndef FG_ERR_H
#define FG_ERR_H

#include <stddef.h>

#define FG_MUST_CHECK __attribute__((warn_unused_result))
#define FG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Code, name and default message come from one table (err.c). */
#define FG_ERRNO_MAP(X)                                                   \
    X(CONFIG,   4001, "invalid configuration")                            \
    X(NOFN,     4002, "function not found")                               \
    X(BUSY,     4003, "throttled")                                        \
    X(TOOBIG,   4004, "size limit exceeded")                              \
    X(SHUTDOWN, 4005, "shutting down")                                    \
    X(PROTO,    4006, "protocol error")                                   \
    X(USAGE,    4007, "bad command line")

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

/* Puts "prefix: " in front of the current message. err may be NULL. */
void fg_err_prefix(struct fg_err *err, const char *fmt, ...) FG_PRINTF(2, 3);

/* Static text for a code (ours or errno). Never NULL. */
const char *fg_strerror(int code);

#endif

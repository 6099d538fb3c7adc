/* SPDX-License-Identifier: MIT */
/* err.c - the error table and the fg_err helpers (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fg_err_set(struct fg_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void fg_err_prefix(struct fg_err *err, const char *fmt, ...)
{
    char head[512];
    size_t hl, ml, cap;
    va_list ap;
    int n;

    if (!err)
        return;
    va_start(ap, fmt);
    n = vsnprintf(head, sizeof(head) - 2, fmt, ap);
    va_end(ap);
    hl = n < 0 ? 0 : strlen(head);
    memcpy(head + hl, ": ", 2);
    hl += 2;
    cap = sizeof(err->msg) - 1;
    if (hl > cap)
        hl = cap;
    ml = strnlen(err->msg, cap);
    if (ml > cap - hl)
        ml = cap - hl;
    memmove(err->msg + hl, err->msg, ml);
    memcpy(err->msg, head, hl);
    err->msg[hl + ml] = '\0';
}

const char *fg_strerror(int code)
{
    switch (code) {
#define FG_ERR_CASE(name, num, msg) case -(num): return msg;
        FG_ERRNO_MAP(FG_ERR_CASE)
#undef FG_ERR_CASE
    default:
        return code < 0 ? strerror(-code) : "success";
    }
}

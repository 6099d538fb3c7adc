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

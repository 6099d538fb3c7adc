/* SPDX-License-Identifier: MIT */
/* console_int.h - what gateway/console_*.c share: the console's state. */
#ifndef FG_CONSOLE_INT_H
#define FG_CONSOLE_INT_H

#include <limits.h>

#include "console_session.h"

struct fg_console {
    const char *scheme;                      /* static: "http" | "https" */
    char dir[PATH_MAX];                      /* the console's files; "": not found */
    struct fg_console_sessions *sessions;    /* owned */
};

/* Fills c->dir (console.h says where it looks); logs and leaves it "" when not found. */
void fg_console_locate(struct fg_console *c);

#endif

/* SPDX-License-Identifier: MIT */
/* assert.h - invariant checks for programmer errors (never for input).
 *
 * FG_ASSERT stays on in every build we ship and test; a broken invariant is a bug we want
 * to see at the line that found it. */
#ifndef FG_ASSERT_H
#define FG_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define FG_ASSERT(cond)                                                            \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

#endif

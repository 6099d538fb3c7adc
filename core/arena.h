/* SPDX-License-Identifier: MIT */
/* arena.h - bump allocator for objects that share one lifetime (a loaded configuration).
 *
 * Everything allocated from an arena is freed by one fg_arena_free(); nothing is freed piece
 * by piece. Allocation failure returns NULL. Tests: tests/unit/test_core.c. */
#ifndef FG_ARENA_H
#define FG_ARENA_H

#include <stddef.h>

struct fg_arena_block;

struct fg_arena {
    struct fg_arena_block *head;   /* newest block first */
};

void fg_arena_init(struct fg_arena *a);
/* Returns zeroed memory valid until fg_arena_free(a), or NULL. */
void *fg_arena_alloc(struct fg_arena *a, size_t n);
/* Returns a copy valid until fg_arena_free(a), or NULL. s may be NULL (returns NULL). */
char *fg_arena_strdup(struct fg_arena *a, const char *s);
char *fg_arena_strndup(struct fg_arena *a, const char *s, size_t n);
void fg_arena_free(struct fg_arena *a);

#endif

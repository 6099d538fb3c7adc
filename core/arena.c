/* SPDX-License-Identifier: MIT */
/* arena.c - bump allocator (see arena.h). Blocks of 16 KiB, or one block per large object. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_BYTES 16384

struct fg_arena_block {
    struct fg_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char mem[];
};

void fg_arena_init(struct fg_arena *a)
{
    a->head = NULL;
}

void *fg_arena_alloc(struct fg_arena *a, size_t n)
{
    struct fg_arena_block *b = a->head;
    size_t size;
    void *p;

    n = (n + 15) & ~(size_t)15;
    if (!b || b->size - b->used < n) {
        size = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
        if (!(b = malloc(sizeof(*b) + size)))
            return NULL;
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
    }
    p = b->mem + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *fg_arena_strndup(struct fg_arena *a, const char *s, size_t n)
{
    char *p;
    if (!s || !(p = fg_arena_alloc(a, n + 1)))
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *fg_arena_strdup(struct fg_arena *a, const char *s)
{
    return s ? fg_arena_strndup(a, s, strlen(s)) : NULL;
}

void fg_arena_free(struct fg_arena *a)
{
    struct fg_arena_block *b = a->head, *next;
    for (; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
}

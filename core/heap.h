/* SPDX-License-Identifier: MIT */
/* heap.h - a binary min-heap of intrusive nodes keyed by a number (a due time).
 *
 * The loop keeps its timers this way (async retries, schedules): one libevent timer armed
 * for the top of one heap, however many things wait. Nodes are embedded in their owners
 * (container_of to get back); the heap owns only its array. Not locked.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_HEAP_H
#define FG_HEAP_H

#include <stddef.h>

#include "err.h"

struct fg_heap_node {
    long long key;
    size_t idx;          /* 1-based position; 0 = not in a heap */
};

struct fg_heap {
    struct fg_heap_node **v;   /* v[1..len] */
    size_t len, cap;
};

/* Caller-embedded, zeroed. */
void fg_heap_init(struct fg_heap *h);
void fg_heap_free(struct fg_heap *h);

/* 0 or -ENOMEM. n->key must be set. */
int fg_heap_push(struct fg_heap *h, struct fg_heap_node *n) FG_MUST_CHECK;

/* The smallest key, or NULL when empty. */
struct fg_heap_node *fg_heap_top(const struct fg_heap *h);

/* Removes and returns the top, or NULL. */
struct fg_heap_node *fg_heap_pop(struct fg_heap *h);

#endif

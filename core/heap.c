/* SPDX-License-Identifier: MIT */
/* heap.c - see heap.h. */
#include "heap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fg_heap_init(struct fg_heap *h)
{
    memset(h, 0, sizeof(*h));
}

void fg_heap_free(struct fg_heap *h)
{
    free(h->v);
    memset(h, 0, sizeof(*h));
}

static void heap_swap(struct fg_heap *h, size_t i, size_t j)
{
    struct fg_heap_node *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    h->v[i]->idx = i;
    h->v[j]->idx = j;
}

int fg_heap_push(struct fg_heap *h, struct fg_heap_node *n)
{
    size_t i;
    if (h->len + 1 >= h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct fg_heap_node **v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    i = ++h->len;
    h->v[i] = n;
    n->idx = i;
    while (i > 1 && h->v[i]->key < h->v[i / 2]->key) {
        heap_swap(h, i, i / 2);
        i /= 2;
    }
    return 0;
}

struct fg_heap_node *fg_heap_top(const struct fg_heap *h)
{
    return h->len ? h->v[1] : NULL;
}

struct fg_heap_node *fg_heap_pop(struct fg_heap *h)
{
    struct fg_heap_node *top;
    size_t i = 1;
    if (!h->len)
        return NULL;
    top = h->v[1];
    heap_swap(h, 1, h->len);
    h->len--;
    for (;;) {
        size_t l = 2 * i, m = i;
        if (l <= h->len && h->v[l]->key < h->v[m]->key)
            m = l;
        if (l + 1 <= h->len && h->v[l + 1]->key < h->v[m]->key)
            m = l + 1;
        if (m == i)
            break;
        heap_swap(h, i, m);
        i = m;
    }
    top->idx = 0;
    return top;
}

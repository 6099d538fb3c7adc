/* SPDX-License-Identifier: MIT */
/* buf.c - growable buffer with a ceiling (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fg_buf_init(struct fg_buf *b, size_t max_bytes)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max_bytes = max_bytes;
    b->err = 0;
}

static int buf_reserve(struct fg_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > b->max_bytes - b->len)
        return -FG_ETOOBIG;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (!(p = realloc(b->data, cap)))
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int fg_buf_append(struct fg_buf *b, const void *p, size_t n)
{
    int rc = b->err ? b->err : buf_reserve(b, n);
    if (rc < 0)
        return b->err = rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

char *fg_buf_take(struct fg_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = 0;
    return p;
}

void fg_buf_truncate(struct fg_buf *b, size_t len)
{
    b->err = 0;
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

void fg_buf_keep_tail(struct fg_buf *b, size_t n)
{
    if (b->len <= n)
        return;
    memmove(b->data, b->data + b->len - n, n);
    b->len = n;
    b->data[n] = '\0';
}

void fg_buf_reset(struct fg_buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

void fg_buf_free(struct fg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}

int fg_buf_append_str(struct fg_buf *b, const char *s)
{
    return fg_buf_append(b, s, strlen(s));
}

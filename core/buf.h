/* SPDX-License-Identifier: MIT */
/* buf.h - a growable byte buffer with a ceiling set at init.
 *
 * Every buffer fed from outside (request bodies, worker responses, log lines) has a limit,
 * and hitting it is its own condition (-FG_ETOOBIG, which becomes 413), not out-of-memory.
 * The data is always NUL-terminated so JSON and string code can read it in place.
 *
 * Errors are sticky, as in SQLite's StrAccum: once an append fails, every later append
 * does nothing and returns that first error, until the buffer is reset. A writer of a
 * document can therefore append without checking each call and check once at the end
 * (the last append's result, or b->err), with no macro hiding a return. A writer that
 * gives up on part of a document rewinds with fg_buf_truncate, which clears the error. A
 * function that writes a document returns the buffer's error (b->err), never 0 blindly.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_BUF_H
#define FG_BUF_H

#include <stddef.h>

#include "err.h"

struct fg_buf {
    char *data;        /* NULL until the first append; NUL-terminated after it */
    size_t len;        /* bytes used, not counting the NUL */
    size_t cap;        /* bytes allocated */
    size_t max_bytes;  /* ceiling for len */
    int err;           /* the first failed append's error, sticky; 0 while none */
};

/* Caller-embedded: no allocation until the first append. */
void fg_buf_init(struct fg_buf *b, size_t max_bytes);

/* 0, -ENOMEM, or -FG_ETOOBIG when len would pass max_bytes (buffer unchanged); b->err
 * when an earlier append failed. */
int fg_buf_append(struct fg_buf *b, const void *p, size_t n);

/* fg_buf_append of a NUL-terminated string. */
int fg_buf_append_str(struct fg_buf *b, const char *s);

/* Returns owned data (free with free(); may be NULL when empty) and resets b (err too). */
char *fg_buf_take(struct fg_buf *b, size_t *len);

/* Back to the first len bytes (len <= b->len), with the error cleared: for a writer that
 * gives up on what it appended since a mark. */
void fg_buf_truncate(struct fg_buf *b, size_t len);

/* Keeps only the last n bytes. */
void fg_buf_keep_tail(struct fg_buf *b, size_t n);

/* Empties b and clears its error. */
void fg_buf_reset(struct fg_buf *b);
void fg_buf_free(struct fg_buf *b);

#endif

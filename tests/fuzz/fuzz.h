/* SPDX-License-Identifier: MIT */
/* fuzz.h - what the libFuzzer targets in tests/fuzz share: cutting one input into the parts
 * a parser takes, and failing loudly when an invariant breaks.
 *
 * DESIGN: inputs are cut at newlines so that seeds (tests/fuzz/corpus/<target>/) stay
 * readable text a person can write and a mutation can still reach every byte value: the
 * last part ("the rest") keeps its newlines and NUL bytes. Every part is copied into a
 * malloc block of its exact size (+ NUL), so AddressSanitizer reports a read past a part,
 * which a read into the next part of the shared input would hide. Header-only: each target
 * is one .c file linked against the project's libraries (CMakeLists.txt, FG_FUZZ). */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/http_header.h"

/* The part of the input not cut off yet. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

/* Owned NUL-terminated copy of p[0..n) (free()); aborts when memory runs out, which
 * libFuzzer's -rss_limit_mb reports on its own. */
static inline char *fuzz_dup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    FG_ASSERT(s);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Cuts the next line (up to '\n', which is dropped; "\r\n" loses its '\r' too) as an owned
 * string with its length in *len (may be NULL). NULL when the input is used up. */
static inline char *fuzz_line(struct fuzz_in *in, size_t *len)
{
    const uint8_t *nl;
    size_t n, skip;
    if (!in->n)
        return NULL;
    nl = memchr(in->p, '\n', in->n);
    n = nl ? (size_t)(nl - in->p) : in->n;
    skip = nl ? n + 1 : n;
    if (nl && n && in->p[n - 1] == '\r')
        n--;
    char *s = fuzz_dup(in->p, n);
    in->p += skip;
    in->n -= skip;
    if (len)
        *len = n;
    return s;
}

/* Everything left, newlines and NUL bytes included, as an owned string (never NULL: "" at
 * the end) with its length in *len. */
static inline char *fuzz_rest(struct fuzz_in *in, size_t *len)
{
    char *s = fuzz_dup(in->p, in->n);
    if (len)
        *len = in->n;
    in->p += in->n;
    in->n = 0;
    return s;
}

/* "Name: value" lines up to an empty line (or the end), at most max, into headers: each
 * line owned by its name (free the names). How many were read. */
static inline size_t fuzz_headers(struct fuzz_in *in, struct fg_http_header *headers, size_t max)
{
    size_t n = 0;
    char *line;
    while (n < max && (line = fuzz_line(in, NULL))) {
        if (!*line) {
            free(line);
            break;
        }
        char *colon = strchr(line, ':'), *value = colon ? colon + 1 : line + strlen(line);
        if (colon)
            *colon = '\0';
        value += strspn(value, " \t");
        headers[n++] = (struct fg_http_header){ line, value };
    }
    return n;
}

/* A broken invariant: says which and aborts, so libFuzzer saves the input as a crash. */
__attribute__((format(printf, 1, 2), noreturn)) static inline void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz invariant broken: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#endif

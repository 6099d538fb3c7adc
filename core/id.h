/* SPDX-License-Identifier: MIT */
/* id.h - request ids: UUIDv4-shaped strings, as Lambda's request ids are.
 *
 * One getrandom(2) per request showed up as two syscalls on every invocation (Lambda's
 * request id and API Gateway's). A generator instead draws a 128-bit key once and turns an
 * atomic counter into ids through splitmix64, a bijection: ids never repeat within 2^64
 * draws and look random, but they are not secrets (as request ids are not). Any thread.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_ID_H
#define FG_ID_H

#include <stdatomic.h>
#include <stdint.h>

#define FG_ID_LEN 36

struct fg_idgen {
    atomic_uint_fast64_t counter;
    uint64_t key[2];
};

/* Caller-embedded; seeds the key from getrandom(2). */
void fg_idgen_init(struct fg_idgen *g);

/* Fills out with a NUL-terminated lower-case UUIDv4. Any thread. */
void fg_idgen_uuid4(struct fg_idgen *g, char out[FG_ID_LEN + 1]);

#endif

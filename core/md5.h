/* SPDX-License-Identifier: MIT */
/* md5.h - MD5 (RFC 1321), for S3 ETags.
 *
 * An S3 object's ETag is the hex MD5 of its content (for single-part uploads), and
 * clients compare it, so fngate computes it for the objects it announces. Only that:
 * MD5 is not used for anything that needs to resist an attacker. Our own implementation
 * because the allowed dependencies carry no hashing library. Any thread (the context is
 * the caller's). Tests: tests/unit/test_core.c. */
#ifndef FG_MD5_H
#define FG_MD5_H

#include <stddef.h>
#include <stdint.h>

#include "hash_block.h"

struct fg_md5 {
    uint32_t state[4];
    struct fg_hash_blocks in;
};

void fg_md5_init(struct fg_md5 *c);
void fg_md5_update(struct fg_md5 *c, const void *data, size_t n);
/* Writes 16 bytes to digest; c is spent. */
void fg_md5_final(struct fg_md5 *c, unsigned char digest[16]);
/* 32 lower-case hex digits and a NUL. */
void fg_md5_hex(const unsigned char digest[16], char out[33]);

/* The hex MD5 of everything left to read from fd. 0 or -errno. */
int fg_md5_fd(int fd, char out[33]);

#endif

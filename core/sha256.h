/* SPDX-License-Identifier: MIT */
/* sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for AWS Signature V4.
 *
 * S3 clients and Lambda callers sign every request with SigV4: a SHA-256 of the canonical
 * request and a chain of HMAC-SHA256 keys. The S3-compatible endpoint and the Invoke API
 * verify those signatures, and the allowed dependencies carry no hashing library, so this
 * is written from the standards: portable C rounds, and on x86-64 CPUs with the SHA
 * extensions (chosen once at load) those instructions, several times faster.
 * Any thread (contexts are the caller's). Tests: tests/unit/test_core.c. */
#ifndef FG_SHA256_H
#define FG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "hash_block.h"

struct fg_sha256 {
    uint32_t state[8];
    struct fg_hash_blocks in;
};

void fg_sha256_init(struct fg_sha256 *c);
void fg_sha256_update(struct fg_sha256 *c, const void *data, size_t n);
/* Writes 32 bytes; c is spent. */
void fg_sha256_final(struct fg_sha256 *c, unsigned char digest[32]);

/* HMAC-SHA256 of msg under key, into out (32 bytes). */
void fg_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char out[32]);

/* 64 lower-case hex digits and a NUL. */
void fg_sha256_hex(const unsigned char digest[32], char out[65]);

/* Test hook: the SHA-256 of data[0..n) by the portable rounds, whatever the CPU offers
 * (fg_sha256_* use the x86 SHA instructions where there are some), so tests check both. */
void fg_sha256_portable(const void *data, size_t n, unsigned char digest[32]);

#endif

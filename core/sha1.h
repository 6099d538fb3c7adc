/* SPDX-License-Identifier: MIT */
/* sha1.h - SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for AWS Signature Version 2.
 *
 * Older S3 clients (the AWS CLI v1 and boto3's presigned URLs for us-east-1) sign with
 * SigV2: an HMAC-SHA1 of a string built from the request. The S3-compatible endpoint checks
 * those signatures; the allowed dependencies carry no hashing library, so this is written
 * from the standard, beside sha256.c. SHA-1 is used for nothing but that HMAC, whose
 * security does not rest on SHA-1's collision resistance. Any thread (contexts are the
 * caller's). Tests: tests/unit/test_core.c. */
#ifndef FG_SHA1_H
#define FG_SHA1_H

#include <stddef.h>
#include <stdint.h>

#include "hash_block.h"

struct fg_sha1 {
    uint32_t state[5];
    struct fg_hash_blocks in;
};

void fg_sha1_init(struct fg_sha1 *c);
void fg_sha1_update(struct fg_sha1 *c, const void *data, size_t n);
/* Writes 20 bytes; c is spent. */
void fg_sha1_final(struct fg_sha1 *c, unsigned char digest[20]);

/* HMAC-SHA1 of msg under key, into out (20 bytes). */
void fg_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char out[20]);

#endif

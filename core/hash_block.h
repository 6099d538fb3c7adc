/* SPDX-License-Identifier: MIT */
/* hash_block.h - what MD5 and SHA-256 share: input cut into 64-byte blocks, and the final
 * padding (0x80, zeros, the message length in bits) that differs only in byte order.
 * Also hex output. Tests: tests/unit/test_core.c (through both hashes). */
#ifndef FG_HASH_BLOCK_H
#define FG_HASH_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fg_hash_blocks {
    uint64_t bytes;                  /* fed so far */
    unsigned char block[64];         /* the partial block */
};

/* Compresses one full block into the hash state ctx. */
typedef void fg_hash_compress_fn(void *ctx, const unsigned char block[64]);

void fg_hash_blocks_feed(struct fg_hash_blocks *b, const void *data, size_t n, fg_hash_compress_fn *f, void *ctx);
/* Pads and compresses the last block(s); the length is stored big- or little-endian. */
void fg_hash_blocks_pad(struct fg_hash_blocks *b, bool big_endian, fg_hash_compress_fn *f, void *ctx);

/* Lower-case hex of in[0..n) into out (2n characters and a NUL). */
void fg_hex(const unsigned char *in, size_t n, char *out);

/* The bytes of hex (2n hex digits, either case) into out[0..n). 0, or -1 when a character
 * is not a hex digit. */
int fg_unhex(const char *hex, size_t n, unsigned char *out);

#endif

/* SPDX-License-Identifier: MIT */
/* hash_block.c - see hash_block.h. */
#include "hash_block.h"

#include <string.h>

void fg_hash_blocks_feed(struct fg_hash_blocks *b, const void *data, size_t n, fg_hash_compress_fn *f, void *ctx)
{
    const unsigned char *p = data;
    size_t have = (size_t)(b->bytes % 64);
    b->bytes += n;
    if (have) {
        size_t take = 64 - have < n ? 64 - have : n;
        memcpy(b->block + have, p, take);
        p += take;
        n -= take;
        if (have + take < 64)
            return;
        f(ctx, b->block);
    }
    for (; n >= 64; p += 64, n -= 64)
        f(ctx, p);
    memcpy(b->block, p, n);
}

void fg_hash_blocks_pad(struct fg_hash_blocks *b, bool big_endian, fg_hash_compress_fn *f, void *ctx)
{
    uint64_t bits = b->bytes * 8;
    unsigned char pad[72] = { 0x80 };
    size_t have = (size_t)(b->bytes % 64), padlen = have < 56 ? 56 - have : 120 - have;
    for (int i = 0; i < 8; i++)
        pad[padlen + i] = (unsigned char)(bits >> (big_endian ? 56 - 8 * i : 8 * i));
    fg_hash_blocks_feed(b, pad, padlen + 8, f, ctx);
}

void fg_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hash_nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int fg_unhex(const char *hex, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hash_nibble(hex[2 * i]), lo = hi < 0 ? -1 : hash_nibble(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

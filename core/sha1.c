/* SPDX-License-Identifier: MIT */
/* sha1.c - FIPS 180-4 SHA-1 and RFC 2104 HMAC (see sha1.h). */
#include "sha1.h"

#include <string.h>

static uint32_t sha1_rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(void *ctx, const unsigned char *p)
{
    struct fg_sha1 *c = ctx;
    uint32_t w[80], a = c->state[0], b = c->state[1], cc = c->state[2], d = c->state[3], e = c->state[4];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = sha1_rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (int i = 0; i < 80; i++) {
        uint32_t f, k, t;
        if (i < 20) {
            f = (b & cc) | (~b & d);
            k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ cc ^ d;
            k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & cc) | (b & d) | (cc & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ cc ^ d;
            k = 0xca62c1d6;
        }
        t = sha1_rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = cc;
        cc = sha1_rotl(b, 30);
        b = a;
        a = t;
    }
    c->state[0] += a;
    c->state[1] += b;
    c->state[2] += cc;
    c->state[3] += d;
    c->state[4] += e;
}

void fg_sha1_init(struct fg_sha1 *c)
{
    static const uint32_t h0[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
    memcpy(c->state, h0, sizeof(h0));
    c->in.bytes = 0;
}

void fg_sha1_update(struct fg_sha1 *c, const void *data, size_t n)
{
    fg_hash_blocks_feed(&c->in, data, n, sha1_block, c);
}

void fg_sha1_final(struct fg_sha1 *c, unsigned char digest[20])
{
    fg_hash_blocks_pad(&c->in, true, sha1_block, c);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (unsigned char)(c->state[i] >> (24 - 8 * j));
}

void fg_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char out[20])
{
    unsigned char k[64] = { 0 }, pad[64], inner[20];
    struct fg_sha1 c;

    if (key_len > 64) {
        fg_sha1_init(&c);
        fg_sha1_update(&c, key, key_len);
        fg_sha1_final(&c, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    fg_sha1_init(&c);
    fg_sha1_update(&c, pad, 64);
    fg_sha1_update(&c, msg, msg_len);
    fg_sha1_final(&c, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    fg_sha1_init(&c);
    fg_sha1_update(&c, pad, 64);
    fg_sha1_update(&c, inner, 20);
    fg_sha1_final(&c, out);
}

/* SPDX-License-Identifier: MIT */
/* sha256.c - FIPS 180-4 SHA-256 and RFC 2104 HMAC (see sha256.h). */
#include "sha256.h"

#include <string.h>

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t sha_rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* ------------------------------------------------------------------ portable rounds */

/* One block. The eight working variables are named and shifted by assignment, not kept in
 * an array moved each round: compilers then keep them in registers (twice as fast; a
 * SigV4 verification hashes about fifteen blocks, thirty when it derives its key). */
static void sha_block_c(void *ctx, const unsigned char *p)
{
    struct fg_sha256 *c = ctx;
    uint32_t w[64];
    uint32_t a = c->state[0], b = c->state[1], cc = c->state[2], d = c->state[3];
    uint32_t e = c->state[4], f = c->state[5], g = c->state[6], h = c->state[7];

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = sha_rotr(w[i - 15], 7) ^ sha_rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = sha_rotr(w[i - 2], 17) ^ sha_rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (sha_rotr(e, 6) ^ sha_rotr(e, 11) ^ sha_rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (sha_rotr(a, 2) ^ sha_rotr(a, 13) ^ sha_rotr(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->state[0] += a;
    c->state[1] += b;
    c->state[2] += cc;
    c->state[3] += d;
    c->state[4] += e;
    c->state[5] += f;
    c->state[6] += g;
    c->state[7] += h;
}

/* ------------------------------------------------------------------ x86 SHA extensions */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA_HAVE_NI 1
#include <cpuid.h>
#include <immintrin.h>

/* One block with the SHA-NI instructions (Intel's "SHA extensions", in AMD Zen and Intel
 * since Ice Lake and Goldmont): each sha256rnds2 does two rounds, sha256msg1/msg2 the
 * message schedule. The state lives as ABEF and CDGH in two registers. */
__attribute__((target("sha,sse4.1,ssse3")))
static void sha_block_ni(void *ctx, const unsigned char *p)
{
    struct fg_sha256 *c = ctx;
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i m[4], abef, cdgh, abef0, cdgh0, t;

    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&c->state[0]), 0xB1);   /* CDAB */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&c->state[4]), 0x1B); /* EFGH */
    abef = _mm_alignr_epi8(t, cdgh, 8);
    cdgh = _mm_blend_epi16(cdgh, t, 0xF0);
    abef0 = abef;
    cdgh0 = cdgh;
    for (int g = 0; g < 16; g++) {      /* four rounds a group; m[g & 3] holds W[4g..4g+3] */
        if (g < 4) {
            m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * g)), bswap);
        } else {
            t = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
            t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
            m[g & 3] = _mm_sha256msg2_epu32(t, m[(g + 3) & 3]);
        }
        t = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)(const void *)&sha_k[4 * g]));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, t);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(t, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
    t = _mm_shuffle_epi32(abef, 0x1B);          /* FEBA */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);       /* DCHG */
    _mm_storeu_si128((__m128i *)(void *)&c->state[0], _mm_blend_epi16(t, cdgh, 0xF0));   /* DCBA */
    _mm_storeu_si128((__m128i *)(void *)&c->state[4], _mm_alignr_epi8(cdgh, t, 8));      /* HGFE */
}

/* Picks the block function once, when the program is loaded (an ifunc: the dynamic linker
 * keeps the choice, so no flag of ours is written or read per call). It runs while the
 * program is being relocated, before the sanitizers' runtimes are up: it is not
 * instrumented and calls nothing (cpuid.h's __cpuid macros are inline assembly; its
 * __get_cpuid functions may be compiled instrumented). */
__attribute__((used, no_sanitize("address", "undefined")))
static fg_hash_compress_fn *sha_block_resolve(void)
{
    unsigned max, a, b, c, d;
    __cpuid(0, max, b, c, d);
    if (max < 7)
        return sha_block_c;
    __cpuid(1, a, b, c, d);
    if (!(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return sha_block_c;
    __cpuid_count(7, 0, a, b, c, d);
    return b & bit_SHA ? sha_block_ni : sha_block_c;
}

static void sha_block(void *ctx, const unsigned char *p) __attribute__((ifunc("sha_block_resolve")));
#else
static void sha_block(void *ctx, const unsigned char *p)
{
    sha_block_c(ctx, p);
}
#endif

/* ------------------------------------------------------------------ API */

void fg_sha256_init(struct fg_sha256 *c)
{
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(c->state, h0, sizeof(h0));
    c->in.bytes = 0;
}

void fg_sha256_update(struct fg_sha256 *c, const void *data, size_t n)
{
    fg_hash_blocks_feed(&c->in, data, n, sha_block, c);
}

void fg_sha256_final(struct fg_sha256 *c, unsigned char digest[32])
{
    fg_hash_blocks_pad(&c->in, true, sha_block, c);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (unsigned char)(c->state[i] >> (24 - 8 * j));
}

void fg_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char out[32])
{
    unsigned char k[64] = { 0 }, pad[64], inner[32];
    struct fg_sha256 c;

    if (key_len > 64) {
        fg_sha256_init(&c);
        fg_sha256_update(&c, key, key_len);
        fg_sha256_final(&c, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    fg_sha256_init(&c);
    fg_sha256_update(&c, pad, 64);
    fg_sha256_update(&c, msg, msg_len);
    fg_sha256_final(&c, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    fg_sha256_init(&c);
    fg_sha256_update(&c, pad, 64);
    fg_sha256_update(&c, inner, 32);
    fg_sha256_final(&c, out);
}

void fg_sha256_hex(const unsigned char digest[32], char out[65])
{
    fg_hex(digest, 32, out);
}

/* ------------------------------------------------------------------ test hooks */

void fg_sha256_portable(const void *data, size_t n, unsigned char digest[32])
{
    struct fg_sha256 c;
    fg_sha256_init(&c);
    fg_hash_blocks_feed(&c.in, data, n, sha_block_c, &c);
    fg_hash_blocks_pad(&c.in, true, sha_block_c, &c);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (unsigned char)(c.state[i] >> (24 - 8 * j));
}

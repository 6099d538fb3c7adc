/* SPDX-License-Identifier: MIT */
/* id.c - UUIDv4-shaped ids from a keyed counter (see id.h). */
#include "id.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

static uint64_t id_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void fg_idgen_init(struct fg_idgen *g)
{
    if (getrandom(g->key, sizeof(g->key), 0) != (ssize_t)sizeof(g->key)) {
        /* No entropy source: still unique within this process, just guessable. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g->key[0] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        g->key[1] = id_mix(g->key[0]);
    }
    atomic_init(&g->counter, 0);
}

void fg_idgen_uuid4(struct fg_idgen *g, char out[FG_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t n = atomic_fetch_add_explicit(&g->counter, 1, memory_order_relaxed);
    uint64_t hi = id_mix(n ^ g->key[0]), lo = id_mix(hi ^ g->key[1]);
    unsigned char r[16];
    size_t o = 0;

    for (int i = 0; i < 8; i++) {
        r[i] = (unsigned char)(hi >> (56 - 8 * i));
        r[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

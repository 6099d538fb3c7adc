/* SPDX-License-Identifier: MIT */
/* id.c - UUIDv4 from getrandom(2) (see id.h). */
#include "id.h"

#include <stdio.h>
#include <sys/random.h>

void fg_id_uuid4(char out[FG_ID_LEN + 1])
{
    unsigned char r[16];
    ssize_t got = getrandom(r, sizeof(r), 0);
    (void)got;   /* getrandom(16 bytes) does not fail short once the pool is initialised */
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, FG_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
}

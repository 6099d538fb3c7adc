/* SPDX-License-Identifier: MIT */
/* token_bucket.c - see token_bucket.h. */
#include "token_bucket.h"

void fg_token_bucket_init(struct fg_token_bucket *b, double per_second, int burst, long long now_us)
{
    b->per_us = per_second / 1e6;
    b->burst = burst > 0 ? burst : 1;
    b->tokens = b->burst;
    b->last_us = now_us;
}

long long fg_token_bucket_take(struct fg_token_bucket *b, long long now_us)
{
    if (b->per_us <= 0)
        return 0;
    if (now_us > b->last_us) {
        b->tokens += (double)(now_us - b->last_us) * b->per_us;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
        b->last_us = now_us;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    /* Rounded up so a caller that waits this long finds the token there. */
    return (long long)((1.0 - b->tokens) / b->per_us) + 1;
}

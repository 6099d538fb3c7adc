/* SPDX-License-Identifier: MIT */
/* token_bucket.h - the rate limiter behind `rate: {per_second, burst}`.
 *
 * A bucket holds up to burst tokens and refills at per_second; each call takes one. Sync
 * callers over the limit get 429 with the wait as Retry-After; async events stay queued
 * until the wait is over. Time is passed in, so tests need no clock. Not locked: the owner
 * serialises calls (the loop thread for functions, a mutex for HTTP routes).
 * Tests: tests/unit/test_async.c. */
#ifndef FG_TOKEN_BUCKET_H
#define FG_TOKEN_BUCKET_H

struct fg_token_bucket {
    double per_us;        /* tokens per microsecond; 0 = unlimited */
    double burst;
    double tokens;
    long long last_us;
};

/* Caller-embedded; starts full. per_second 0 disables the limit. */
void fg_token_bucket_init(struct fg_token_bucket *b, double per_second, int burst, long long now_us);

/* Takes a token at now_us: 0 when taken, else the microseconds until one will be there
 * (nothing taken). */
long long fg_token_bucket_take(struct fg_token_bucket *b, long long now_us);

#endif

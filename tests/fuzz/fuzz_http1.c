/* SPDX-License-Identifier: MIT */
/* fuzz_http1.c - libFuzzer target for the Runtime API request parser (router/http1.c),
 * which reads bytes from user code. Build and run (not part of make test):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *     tests/fuzz/fuzz_http1.c router/http1.c core/buf.c -o /tmp/fuzz_http1 && /tmp/fuzz_http1 -max_total_time=60
 * Invariants checked: a complete parse consumes no more than it was given, and its slices
 * lie inside the input (or the de-chunk buffer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fg_http1_request rq;
    struct fg_buf scratch;
    const char *buf = (const char *)data;
    long rc;

    fg_buf_init(&scratch, 1 << 16);
    rc = fg_http1_parse(buf, size, 4096, 1 << 16, &scratch, &rq);
    if (rc > 0) {
        if ((size_t)rc > size)
            abort();
        if (rq.method < buf || rq.method + rq.method_len > buf + size)
            abort();
        if (rq.path < buf || rq.path + rq.path_len > buf + size)
            abort();
        if (rq.body && !(rq.body >= buf && rq.body + rq.body_len <= buf + size) &&
            !(rq.body == scratch.data && rq.body_len == scratch.len))
            abort();
    }
    fg_buf_free(&scratch);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* fuzz_http1.c - libFuzzer target for the Runtime API request parser (router/http1.c),
 * which reads bytes from user code (a worker may send anything on its loopback port).
 * Built and run by `make fuzz` (tests/fuzz/run.sh); seeds in corpus/fuzz_http1/.
 *
 * The whole input is the bytes a worker sent. Invariants:
 * - a complete parse consumes no more than it was given, and its slices (method, path,
 *   error type, body) lie inside the input, or the body is the de-chunk buffer;
 * - the runtime API reads a request piece by piece: the bytes a complete request consumed
 *   parse alone to the same request, and one byte fewer is "incomplete", never another
 *   request or an error;
 * - fed one more byte per call with a kept parser (as runtime_api.c reads a request that
 *   arrives in pieces), a complete request of up to FUZZ_STEP_MAX bytes parses the same,
 *   having examined each byte a bounded number of times (the head's end is searched for
 *   in the new byte and the 3 before it, then the head parsed once; body bytes once);
 * - fed in pieces into a buffer compacted after each incomplete parse (fg_http1_compact, as
 *   runtime_api.c drops a chunked body's raw bytes once decoded), it parses to the same
 *   head and body; a streamed body is taken out of scratch after each incomplete parse, as
 *   runtime_api.c hands it on, and its pieces add up to the same body. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router/http1.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_HEADER_MAX 4096
#define FUZZ_BODY_MAX (1 << 16)
#define FUZZ_STEP_MAX 2048

static bool http1_inside(const char *p, size_t n, const char *buf, size_t size)
{
    return !p ? n == 0 : p >= buf && n <= size && p - buf <= (ptrdiff_t)(size - n);
}

static long http1_parse(const char *buf, size_t size, struct fg_buf *scratch, struct fg_http1_request *rq)
{
    struct fg_http1_parser p;
    long rc;

    fg_http1_parser_init(&p, FUZZ_HEADER_MAX, FUZZ_BODY_MAX);
    rc = fg_http1_parse(&p, buf, size, scratch, rq);
    if (rc < 0 && rc != -EMSGSIZE && rc != -FG_ETOOBIG && rc != -EINVAL)
        fuzz_fail("fg_http1_parse returned %ld", rc);
    if (rc <= 0)
        return rc;
    if ((size_t)rc > size)
        fuzz_fail("consumed %ld of %zu bytes", rc, size);
    if (!http1_inside(rq->method, rq->method_len, buf, (size_t)rc) || !rq->method_len ||
        !http1_inside(rq->path, rq->path_len, buf, (size_t)rc) ||
        !http1_inside(rq->error_type, rq->error_type_len, buf, (size_t)rc) ||
        !http1_inside(rq->error_body, rq->error_body_len, buf, (size_t)rc) ||
        !http1_inside(rq->content_type, rq->content_type_len, buf, (size_t)rc))
        fuzz_fail("a head slice lies outside the request");
    if (rq->body && !http1_inside(rq->body, rq->body_len, buf, (size_t)rc) &&
        !(rq->body == scratch->data && rq->body_len == scratch->len))
        fuzz_fail("the body lies outside the request and the de-chunk buffer");
    return rc;
}

/* Every prefix of the rc bytes of a request, parsed with one parser: incomplete until the
 * last, which parses to rc, each byte examined at most 5 times (see the top). */
static void http1_step(const char *buf, long rc, struct fg_buf *scratch)
{
    struct fg_http1_request rq;
    struct fg_http1_parser p;
    long got;

    fg_http1_parser_init(&p, FUZZ_HEADER_MAX, FUZZ_BODY_MAX);
    for (long n = 1; n < rc; n++) {
        if ((got = fg_http1_parse(&p, buf, (size_t)n, scratch, &rq)) != 0)
            fuzz_fail("%ld of a request's %ld bytes, parsed one more at a time, give %ld", n, rc, got);
    }
    if ((got = fg_http1_parse(&p, buf, (size_t)rc, scratch, &rq)) != rc)
        fuzz_fail("a request of %ld bytes parsed one more byte at a time gives %ld", rc, got);
    if (p.scanned || p.head_len)
        fuzz_fail("a complete parse left the parser at %zu, head %zu", p.scanned, p.head_len);
    if (p.bytes_seen > 5 * (unsigned long long)rc)
        fuzz_fail("a request of %ld bytes fed byte by byte was examined for %llu bytes", rc, p.bytes_seen);
}

/* The rc bytes of a request fed step bytes at a time into a buffer compacted after each
 * incomplete parse: the same method, path and body as parsed whole (want, body copied). */
static void http1_compacted(const char *buf, long rc, size_t step, const struct fg_http1_request *want,
                            const char *want_body, struct fg_buf *scratch)
{
    struct fg_http1_request rq;
    struct fg_http1_parser p;
    struct fg_buf in, taken;
    size_t off = 0;
    long got = 0;

    fg_http1_parser_init(&p, FUZZ_HEADER_MAX, FUZZ_BODY_MAX);
    fg_buf_init(&in, (size_t)rc + 1);
    fg_buf_init(&taken, FUZZ_BODY_MAX);
    while (off < (size_t)rc && got == 0) {
        size_t n = (size_t)rc - off < step ? (size_t)rc - off : step;
        if (fg_buf_append(&in, buf + off, n) < 0)
            fuzz_fail("out of memory");
        off += n;
        if ((got = fg_http1_parse(&p, in.data, in.len, scratch, &rq)) == 0) {
            if (rq.stream) {
                if (fg_buf_append(&taken, scratch->data, scratch->len) < 0)
                    fuzz_fail("a streamed body handed on past its limit");
                fg_buf_reset(scratch);
            }
            fg_http1_compact(&p, &in);
        }
    }
    if (got > 0 && taken.len) {
        if (fg_buf_append(&taken, rq.body, rq.body_len) < 0)
            fuzz_fail("a streamed body handed on past its limit");
        rq.body = taken.data;
        rq.body_len = taken.len;
    }
    if (got <= 0 || off != (size_t)rc || (size_t)got != in.len)
        fuzz_fail("a request of %ld bytes fed %zu at a time, compacted, gives %ld (%zu of %zu bytes fed)", rc, step,
                  got, off, in.len);
    if (rq.method_len != want->method_len || memcmp(rq.method, want->method, rq.method_len) ||
        rq.path_len != want->path_len || memcmp(rq.path, want->path, rq.path_len) || rq.body_len != want->body_len ||
        (rq.body_len && memcmp(rq.body, want_body, rq.body_len)))
        fuzz_fail("a request of %ld bytes fed %zu at a time, compacted, parses to another request", rc, step);
    fg_buf_free(&in);
    fg_buf_free(&taken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t len;
    char *buf = fuzz_rest(&in, &len);
    struct fg_http1_request rq, again;
    struct fg_buf scratch;
    long rc, rc2;

    fg_buf_init(&scratch, FUZZ_BODY_MAX);
    rc = http1_parse(buf, len, &scratch, &rq);
    if (rc > 0) {
        size_t method_off = (size_t)(rq.method - buf), path_off = (size_t)(rq.path - buf);
        size_t body_len = rq.body_len;
        char *exact = fuzz_dup(buf, (size_t)rc);
        if ((rc2 = http1_parse(exact, (size_t)rc, &scratch, &again)) != rc)
            fuzz_fail("the %ld bytes of a request parse alone to %ld", rc, rc2);
        if ((size_t)(again.method - exact) != method_off || again.method_len != rq.method_len ||
            (size_t)(again.path - exact) != path_off || again.path_len != rq.path_len ||
            again.body_len != body_len || again.close != rq.close)
            fuzz_fail("the %ld bytes of a request parse alone to another request", rc);
        free(exact);
        exact = fuzz_dup(buf, (size_t)rc - 1);
        if ((rc2 = http1_parse(exact, (size_t)rc - 1, &scratch, &again)) != 0)
            fuzz_fail("a complete request of %ld bytes without its last byte parses to %ld, not 0", rc, rc2);
        free(exact);
        if (rc <= FUZZ_STEP_MAX)
            http1_step(buf, rc, &scratch);
        {
            struct fg_http1_request whole;
            char *body;
            exact = fuzz_dup(buf, (size_t)rc);
            if (http1_parse(exact, (size_t)rc, &scratch, &whole) != rc)
                fuzz_fail("a request parses differently the third time");
            body = fuzz_dup(whole.body ? whole.body : "", whole.body_len);
            whole.body = NULL;
            http1_compacted(exact, rc, 1 + (size_t)rc % 7, &whole, body, &scratch);
            http1_compacted(exact, rc, 4096, &whole, body, &scratch);
            free(body);
            free(exact);
        }
    }
    fg_buf_free(&scratch);
    free(buf);
    return 0;
}

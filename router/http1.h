/* SPDX-License-Identifier: MIT */
/* http1.h - parse one HTTP/1.1 request out of a byte buffer: the Runtime API's protocol
 * layer, kept apart from its socket I/O (runtime_api.c).
 *
 * Workers run user code, so this parser takes untrusted input: every length is bounded,
 * nothing is read past len, and a request is either complete, incomplete (read more), or
 * refused with a reason the caller turns into a status. It understands what Runtime API
 * clients send: Content-Length or chunked bodies, Expect: 100-continue, HTTP/1.0 and
 * Connection: close. Pure functions, any thread. Tests: tests/unit/test_http1.c. */
#ifndef FG_HTTP1_H
#define FG_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"

/* Slices of the caller's buffer (or of scratch, for a de-chunked body), valid until either
 * changes. */
struct fg_http1_request {
    const char *method;
    size_t method_len;
    const char *path;
    size_t path_len;
    const char *error_type;          /* Lambda-Runtime-Function-Error-Type, or NULL */
    size_t error_type_len;
    const char *body;                /* NULL when empty */
    size_t body_len;
    bool close;                      /* HTTP/1.0 or Connection: close: close after answering */
    bool expect_continue;            /* the client waits for "100 Continue" before its body */
};

/* Parses the request at the start of buf[0..len).
 *   > 0           complete: that many bytes belong to it (more requests may follow: a
 *                 pipelining client sends the next one without waiting for the answer)
 *   0             incomplete: read more (rq's head fields are filled once the headers are in,
 *                 so expect_continue can be answered)
 *   -EMSGSIZE     headers over header_max bytes (answer 431)
 *   -FG_ETOOBIG   body over body_max bytes (answer 413)
 *   -EINVAL       malformed (answer 400)
 * scratch receives a chunked body; its own ceiling must allow body_max.
 * scanned (may be NULL) is the caller's memory of how far the search for the head's end got,
 * so a head arriving in pieces is scanned once rather than from its start on every read (one
 * byte per packet would be O(n^2)). Start each request with 0 and pass the same buffer, grown
 * only at its end; the parser resets it to 0 when it returns non-zero. */
long fg_http1_parse(const char *buf, size_t len, size_t header_max, size_t body_max,
                    struct fg_buf *scratch, struct fg_http1_request *rq, size_t *scanned);

#endif

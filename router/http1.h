/* SPDX-License-Identifier: MIT */
/* http1.h - parse one HTTP/1.1 request out of a byte buffer: the Runtime API's protocol
 * layer, kept apart from its socket I/O (runtime_api.c).
 *
 * Workers run user code, so this parser takes untrusted input: every length is bounded,
 * nothing is read past len, and a request is either complete, incomplete (read more), or
 * refused with a reason the caller turns into a status. It understands what Runtime API
 * clients send: Content-Length or chunked bodies, Expect: 100-continue, HTTP/1.0 and
 * Connection: close. Any thread; a parser is one connection's.
 *
 * DESIGN: a request arrives in pieces (one byte per packet, or 1-byte chunks), so the
 * parser keeps its place between calls and never examines a byte twice: the search for the
 * head's end resumes where it stopped, the head is parsed once, and a chunked body is
 * de-chunked by a state machine that copies each chunk's bytes out as they come. After an
 * incomplete parse the caller may drop the raw bytes already de-chunked
 * (fg_http1_compact), so a chunked body costs its decoded size, not its wire size (a 1-byte
 * chunk is 6 bytes on the wire). N bytes cost O(N) however they are split; the parser
 * counts what it examines (bytes_seen) so tests can prove it.
 *
 * A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked) is not
 * held whole: while it is incomplete, each parse leaves the bytes it de-chunked in scratch
 * (at most FG_HTTP1_STREAM_YIELD_BYTES a call) for the caller to hand on and empty, and its
 * total is capped by stream_max (Lambda's 200 MB) instead of body_max. The trailers that
 * end any chunked body are kept in the buffer (compaction leaves them) and read once the
 * body is complete: Lambda-Runtime-Function-Error-Type and -Error-Body. Tests:
 * tests/unit/test_http1.c; fuzzed by tests/fuzz/fuzz_http1.c. */
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
    const char *error_type;          /* Lambda-Runtime-Function-Error-Type (header, or trailer
                                      * of a chunked body), or NULL */
    size_t error_type_len;
    const char *error_body;          /* Lambda-Runtime-Function-Error-Body trailer (base64), or NULL */
    size_t error_body_len;
    const char *content_type;        /* Content-Type, or NULL */
    size_t content_type_len;
    const char *body;                /* NULL when empty */
    size_t body_len;
    size_t head_len;                 /* bytes of the head, its blank line included */
    unsigned long long content_length; /* as announced; 0 when none or chunked */
    bool chunked;                    /* Transfer-Encoding: chunked */
    bool stream;                     /* chunked with Lambda-Runtime-Function-Response-Mode:
                                      * streaming: its body comes piecewise (see above) */
    bool close;                      /* HTTP/1.0 or Connection: close: close after answering */
    bool expect_continue;            /* the client waits for "100 Continue" before its body */
};

/* One connection's place in the request it is reading. Caller-embedded; plain data (no
 * allocation), so it needs no close. */
struct fg_http1_parser {
    size_t header_max;               /* limits, set by fg_http1_parser_init */
    size_t body_max;
    unsigned long long bytes_seen;   /* bytes examined over the parser's life (tests) */
    /* The request being read; reset to zero when a parse returns non-zero. */
    size_t scanned;                  /* how far the search for the head's end got */
    size_t head_len;                 /* 0 until the head is parsed */
    size_t method_len;               /* the head, once parsed: offsets into the buffer */
    size_t path_off, path_len;
    size_t error_type_off, error_type_len;  /* error_type_off 0: none */
    size_t content_type_off, content_type_len;  /* content_type_off 0: none */
    unsigned long long content_length;
    bool chunked, close, expect_continue, stream;
    unsigned long long stream_max;   /* limit of a streamed body (kept across requests) */
    unsigned long long decoded;      /* chunked: body bytes de-chunked so far */
    size_t trailer_off;              /* chunked: where the trailers start in the buffer */
    size_t pos;                      /* chunked: the next raw byte to decode */
    unsigned long long chunk_left;   /* chunked: data bytes still to come in this chunk */
    unsigned line_bytes;             /* chunked: bytes in the current size or trailer line */
    unsigned trailer_bytes;          /* chunked: bytes of trailers so far */
    unsigned char digits;            /* chunked: hex digits of the current size */
    unsigned char state;             /* chunked: where the decoder is (http1.c) */
};

/* At most this many de-chunked bytes of a streamed body are left in scratch per parse. */
#define FG_HTTP1_STREAM_YIELD_BYTES (256u * 1024)

/* Limits for every request on a connection: headers over header_max bytes are -EMSGSIZE,
 * a body over body_max (announced or de-chunked) -FG_ETOOBIG. A streamed body's limit is
 * body_max too until fg_http1_parser_stream_limit sets its own. */
void fg_http1_parser_init(struct fg_http1_parser *p, size_t header_max, size_t body_max);

/* From now on a streamed body (rq->stream) may total stream_max bytes; past it the parse
 * is -FG_ETOOBIG. */
void fg_http1_parser_stream_limit(struct fg_http1_parser *p, unsigned long long stream_max);

/* Parses the request at the start of buf[0..len), going on from where the last call on p
 * stopped: pass the same buffer, grown only at its end (or compacted by fg_http1_compact).
 *   > 0           complete: that many bytes belong to it (more requests may follow: a
 *                 pipelining client sends the next one without waiting for the answer)
 *   0             incomplete: read more (rq's head fields are filled once the headers are in,
 *                 so expect_continue can be answered). With rq->stream, scratch holds the
 *                 body bytes de-chunked by this call, which the caller takes and empties
 *                 (fg_buf_reset); when it then holds FG_HTTP1_STREAM_YIELD_BYTES, parse
 *                 again before reading more: undecoded bytes may wait in buf
 *   -EMSGSIZE     headers over header_max bytes (answer 431)
 *   -FG_ETOOBIG   body over body_max bytes (answer 413); rq's head fields are filled, and
 *                 rq->content_length says how much body the client announced. A streamed
 *                 body is refused as it passes stream_max: scratch then holds its bytes up
 *                 to the limit, still to be handed on
 *   -EINVAL       malformed (answer 400)
 * scratch receives a chunked body; its own ceiling must allow body_max; it is emptied when
 * a chunked body starts. On a non-zero return p is ready for the next request. */
long fg_http1_parse(struct fg_http1_parser *p, const char *buf, size_t len, struct fg_buf *scratch,
                    struct fg_http1_request *rq);

/* After fg_http1_parse returned 0: removes from in the raw bytes of a chunked body already
 * de-chunked into scratch (they lie between the head and p's position), so in holds the
 * head, the trailer lines read so far and what is not decoded yet. Nothing to do for other
 * requests. O(bytes kept). */
void fg_http1_compact(struct fg_http1_parser *p, struct fg_buf *in);

#endif

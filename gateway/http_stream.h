/* SPDX-License-Identifier: MIT */
/* http_stream.h - a function's streamed response passed on to an HTTP client as it arrives:
 * the one piece between the router's stream sink (loop thread, the producer) and a
 * libmicrohttpd response read by an MHD thread (the consumer), for InvokeWithResponseStream
 * (AWS's event-stream encoding) and function URLs in RESPONSE_STREAM mode (the bytes as
 * they come, after the HTTP prelude awslambda.HttpResponseStream.from() writes).
 *
 * Lifecycle, for the MHD thread that serves the request: new (copies the request) →
 * submit (suspends the connection) → the connection is resumed once the answer's head is
 * known (the runtime began streaming, the prelude is in, or the invocation finished) →
 * head() says what to answer: the streamed body (response(), chunked: MHD_SIZE_UNKNOWN),
 * or a finished invocation the caller renders as it renders any → release. The stream
 * lives until the router's done(), the MHD response and the caller have all let go, so a
 * client that disconnects mid-stream changes nothing for the invocation: its bytes are
 * dropped from then on and its worker is never left paused.
 *
 * DESIGN: one bounded buffer under a mutex. The loop appends what the worker sends (and,
 * for InvokeWithResponseStream, its PayloadChunk and InvokeComplete framing); the MHD
 * reader callback takes from it. When it holds more than FG_INVOCATION_STREAM_WINDOW_BYTES
 * the router stops reading the worker; when the reader has drained it below half, it posts
 * fg_invocation_stream_resume to the loop. When it is empty the reader suspends its
 * connection (MHD 0.9.75: returning 0 from a content reader in internal-polling mode must
 * go with MHD_suspend_connection, called from the reader itself) and the loop resumes it
 * when bytes or the end come; a flag set under the mutex with the suspend makes sure a
 * resume never precedes its suspend. Memory per stream: the window plus one Runtime API
 * read, however long the stream. Tests: tests/integration/test_response_stream.py. */
#ifndef FG_HTTP_STREAM_H
#define FG_HTTP_STREAM_H

#include <microhttpd.h>
#include <stdbool.h>

#include "../router/router.h"

enum fg_http_stream_mode {
    FG_HTTP_STREAM_EVENTS = 0,   /* InvokeWithResponseStream: event-stream messages */
    FG_HTTP_STREAM_URL,          /* a function URL: the prelude's status and headers, raw body */
};

enum fg_http_stream_head {
    FG_HTTP_STREAM_BODY = 0,     /* answer 200 (URL: the prelude's status) with response() */
    FG_HTTP_STREAM_FINISHED,     /* the invocation finished without a streamed answer:
                                  * render fg_http_stream_invocation() as usual */
};

struct fg_http_stream;

/* MHD thread. A stream for the invocation req describes: its function, payload, client
 * context and want_log_tail are copied (req is not kept). Returns owned
 * (fg_http_stream_release), or NULL when out of memory. */
struct fg_http_stream *fg_http_stream_new(enum fg_http_stream_mode mode, const struct fg_invocation *req);

/* MHD thread, inside the access handler of conn: suspends conn and submits the invocation
 * to r; conn is resumed (once) when head() may be asked. Borrows conn until the caller
 * releases the stream or the response is queued. */
void fg_http_stream_submit(struct fg_http_stream *s, struct fg_router *r, struct MHD_Connection *conn);

/* MHD thread, after the resume: what to answer. */
enum fg_http_stream_head fg_http_stream_head(struct fg_http_stream *s);

/* With FG_HTTP_STREAM_FINISHED: the finished invocation (its result the caller's to take,
 * as after any done()). With BODY: its request id is valid, nothing else. Valid until the
 * stream is released. */
struct fg_invocation *fg_http_stream_invocation(struct fg_http_stream *s);

/* With FG_HTTP_STREAM_BODY: a new MHD response (owned by the caller, who queues and
 * destroys it) whose body is the stream, with its Content-Type set
 * (application/vnd.amazon.eventstream; for a URL the prelude's headers and cookies, or the
 * runtime's Content-Type). *status: the status to queue it with. NULL when out of memory. */
struct MHD_Response *fg_http_stream_response(struct fg_http_stream *s, unsigned *status);

/* Any thread: the caller lets go (NULL allowed). */
void fg_http_stream_release(struct fg_http_stream *s);

#endif

/* SPDX-License-Identifier: MIT */
/* url_prelude.h - the HTTP prelude of a streamed function URL response: what
 * awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies}) writes before
 * the body, a JSON object then eight NUL bytes, the stream's Content-Type being
 * application/vnd.awslambda.http-integration-response (FG_URL_PRELUDE_CONTENT_TYPE).
 *
 * Incremental: the bytes arrive in pieces of any size, and each call says how many of
 * them were prelude; what follows is body, passed through untouched. The prelude is capped
 * (FG_URL_PRELUDE_MAX_BYTES). Its fields are read as a buffered response's are
 * (triggers/apigw.h: statusCode 200..599, headers of strings, cookies as Set-Cookie), with
 * statusCode 200 when absent and Content-Type application/octet-stream (the runtime's
 * default) when the headers set none. JSON holds no NUL byte, so the first NUL starts the
 * delimiter; anything else is a malformed prelude, which the front door answers 502 as a
 * function URL answers a function's unusable response. Pure; one stream's.
 * Tests: tests/unit/test_url_prelude.c (split at every byte position). */
#ifndef FG_URL_PRELUDE_H
#define FG_URL_PRELUDE_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../triggers/apigw.h"

#define FG_URL_PRELUDE_CONTENT_TYPE "application/vnd.awslambda.http-integration-response"
#define FG_URL_PRELUDE_MAX_BYTES (64u * 1024)

/* Caller-embedded. */
struct fg_url_prelude {
    struct fg_buf json;               /* the prelude's bytes so far */
    unsigned zeros;                   /* NUL bytes of the delimiter seen */
    bool done;                        /* the prelude ended: head is filled */
    struct fg_http_response head;     /* status and headers (its body unused); owned */
};

void fg_url_prelude_init(struct fg_url_prelude *p);

/* Feeds the stream's next bytes. Returns how many of buf[0..len) belong to the prelude
 * (all of them while it goes on; once p->done, the rest of buf is body); -EINVAL with err
 * filled when the prelude is malformed, -FG_ETOOBIG when it is over
 * FG_URL_PRELUDE_MAX_BYTES. After done, feeding returns 0. */
long fg_url_prelude_feed(struct fg_url_prelude *p, const char *buf, size_t len, struct fg_err *err);

/* The stream ended before the delimiter: an empty prelude (the handler wrote nothing)
 * gives the defaults (0, done); anything else -EINVAL with err filled. */
int fg_url_prelude_finish(struct fg_url_prelude *p, struct fg_err *err);

void fg_url_prelude_close(struct fg_url_prelude *p);

#endif

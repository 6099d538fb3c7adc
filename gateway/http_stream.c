/* SPDX-License-Identifier: MIT */
/* http_stream.c - a streamed response from the router's sink to an MHD response (see
 * http_stream.h).
 *
 * Three parties hold a stream: the caller (its request context, until it releases it),
 * the router (from submit until done), and the MHD response made by response() (until MHD
 * frees it); a resume posted to the loop holds it too. The last to let go frees it. The
 * invocation is the loop's between submit and done: the MHD side reads only what the
 * mutex guards, and the invocation itself once done ran. */
#include "http_stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/base64.h"
#include "../core/log.h"
#include "../router/destination.h"
#include "eventstream.h"
#include "url_prelude.h"

/* What the buffer may hold: the window, a Runtime API read past it, a whole buffered
 * response (6 MB) sent as one event, and the framing. */
#define STREAM_BUF_MAX_BYTES (FG_PAYLOAD_SYNC_MAX_BYTES + 2u * FG_INVOCATION_STREAM_WINDOW_BYTES + 64u * 1024)
/* The reader moves what is left to the front once it has taken this much. */
#define STREAM_COMPACT_BYTES (256u * 1024)

struct fg_http_stream {
    enum fg_http_stream_mode mode;
    struct fg_router *router;
    struct MHD_Connection *conn;
    struct fg_invocation inv;         /* the loop's from submit until done */
    struct fg_buf payload, client_context;   /* the request's copies */
    struct fg_loop_msg resume_msg;    /* at most one in flight (resume_posted) */
    struct fg_url_prelude prelude;    /* URL mode, loop thread until the head is ready */
    bool with_prelude;                /* URL mode: the runtime's Content-Type announced one */
    char content_type[128];           /* URL mode without prelude: the runtime's */

    pthread_mutex_t lock;             /* guards everything below */
    int refs;
    struct fg_buf out;                /* bytes for the client, from out_pos on */
    size_t out_pos;
    enum fg_http_stream_head head;
    bool head_ready;                  /* the answer's head is known (connection resumed) */
    bool suspended;                   /* conn suspended by us, to be resumed by the loop */
    bool done;                        /* the router's done ran */
    bool cut;                         /* end the body with an error (URL: no final chunk) */
    bool producer_paused;             /* the router holds the worker until a resume */
    bool resume_posted;
    bool consumer_gone;               /* the MHD response was freed (client gone or done) */
};

/* ------------------------------------------------------------------ references */

static void stream_unref(struct fg_http_stream *s)
{
    int left;

    pthread_mutex_lock(&s->lock);
    left = --s->refs;
    pthread_mutex_unlock(&s->lock);
    if (left)
        return;
    fg_invocation_close(&s->inv);
    fg_buf_free(&s->payload);
    fg_buf_free(&s->client_context);
    fg_buf_free(&s->out);
    fg_url_prelude_close(&s->prelude);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Under the lock: bytes waiting for the client. */
static size_t stream_held(const struct fg_http_stream *s)
{
    return s->out.len - s->out_pos;
}

/* Under the lock: whether the connection must be resumed now (then it is no longer
 * marked suspended); the caller resumes it after unlocking. */
static bool stream_wake(struct fg_http_stream *s)
{
    bool wake = s->suspended && s->head_ready;
    if (wake)
        s->suspended = false;
    return wake;
}

/* ------------------------------------------------------------------ the loop's side */

static void stream_on_resume(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_http_stream *s = (struct fg_http_stream *)((char *)msg - offsetof(struct fg_http_stream, resume_msg));

    (void)loop;
    pthread_mutex_lock(&s->lock);
    s->resume_posted = false;
    pthread_mutex_unlock(&s->lock);
    if (!s->done)                     /* done is written on this thread only */
        fg_invocation_stream_resume(&s->inv);
    stream_unref(s);
}

/* Under the lock, any thread: asks the loop to read the worker again, once. */
static void stream_post_resume(struct fg_http_stream *s)
{
    if (!s->producer_paused || s->resume_posted)
        return;
    s->producer_paused = false;
    s->resume_posted = true;
    s->refs++;
    if (fg_router_post(s->router, &s->resume_msg, stream_on_resume) < 0) {
        s->resume_posted = false;
        s->refs--;                    /* stopping: the router ends the invocation itself */
    }
}

/* Appends body bytes as the mode frames them. Under the lock. */
static void stream_append(struct fg_http_stream *s, const char *bytes, size_t len)
{
    if (s->mode == FG_HTTP_STREAM_EVENTS)
        fg_eventstream_payload_chunk(&s->out, bytes, len);
    else
        fg_buf_append(&s->out, bytes, len);
}

static void stream_sink_start(void *arg, const char *content_type)
{
    struct fg_http_stream *s = arg;
    bool wake;

    if (s->mode == FG_HTTP_STREAM_URL) {
        s->with_prelude = content_type && !strcmp(content_type, FG_URL_PRELUDE_CONTENT_TYPE);
        snprintf(s->content_type, sizeof(s->content_type), "%s",
                 content_type ? content_type : "application/octet-stream");
        if (s->with_prelude)
            return;                   /* the head is ready once the prelude is in */
    }
    pthread_mutex_lock(&s->lock);
    s->head = FG_HTTP_STREAM_BODY;
    s->head_ready = true;
    wake = stream_wake(s);
    pthread_mutex_unlock(&s->lock);
    if (wake)
        MHD_resume_connection(s->conn);
}

/* URL mode with a prelude: feeds it; true when bytes, advanced past it, are body. A
 * malformed prelude ends the stream (502 once done: the bytes after it are dropped). */
static bool stream_prelude(struct fg_http_stream *s, const char **bytes, size_t *len)
{
    struct fg_err err;
    long n;

    if (!s->with_prelude || s->prelude.done)
        return true;
    if ((n = fg_url_prelude_feed(&s->prelude, *bytes, *len, &err)) < 0) {
        fg_log(FG_LOG_INFO, "http", "function %s request %s: %s", s->inv.function, s->inv.request_id, err.msg);
        s->with_prelude = false;
        s->cut = true;
        return false;
    }
    *bytes += n;
    *len -= (size_t)n;
    return s->prelude.done;
}

static size_t stream_sink_data(void *arg, const char *bytes, size_t len)
{
    struct fg_http_stream *s = arg;
    bool wake, was_ready;
    size_t held;

    if (s->cut)
        return 0;
    was_ready = s->head_ready;        /* written by this thread only */
    if (!stream_prelude(s, &bytes, &len))
        return 0;
    pthread_mutex_lock(&s->lock);
    if (!was_ready) {                 /* the prelude just ended */
        s->head = FG_HTTP_STREAM_BODY;
        s->head_ready = true;
    }
    if (s->consumer_gone) {
        pthread_mutex_unlock(&s->lock);
        return 0;                     /* nobody reads: dropped, the worker goes on */
    }
    if (len)
        stream_append(s, bytes, len);
    held = stream_held(s);
    if (held > FG_INVOCATION_STREAM_WINDOW_BYTES)
        s->producer_paused = true;
    wake = stream_wake(s);
    pthread_mutex_unlock(&s->lock);
    if (wake)
        MHD_resume_connection(s->conn);
    return held;
}

/* InvokeWithResponseStream's last event, and a buffered response's bytes before it: what
 * AWS sends for the invocation's outcome. Under the lock. */
static void stream_events_end(struct fg_http_stream *s)
{
    struct fg_invocation *inv = &s->inv;
    char type[128] = "", msg[1024] = "";
    struct fg_buf tail;

    if (inv->status == FG_INV_OK && !inv->streamed && inv->result.len)
        fg_eventstream_payload_chunk(&s->out, inv->result.data, inv->result.len);
    if (inv->status != FG_INV_OK)
        fg_destination_error_fields(inv->result.data, inv->result.len, type, sizeof(type), msg, sizeof(msg));
    fg_buf_init(&tail, 8192);
    if (inv->want_log_tail && inv->log_tail.len) {
        fg_buf_keep_tail(&inv->log_tail, FG_LOG_TAIL_BYTES);
        if (fg_base64_encode(&tail, inv->log_tail.data, inv->log_tail.len) < 0)
            fg_buf_reset(&tail);
    }
    fg_eventstream_invoke_complete(&s->out, type, msg, tail.len ? tail.data : NULL);
    fg_buf_free(&tail);
}

static void stream_on_done(struct fg_invocation *inv, void *arg)
{
    struct fg_http_stream *s = arg;
    struct fg_err err;
    bool wake, answered = inv->status == FG_INV_OK || inv->status == FG_INV_FUNCTION_ERROR ||
                                    inv->status == FG_INV_TIMEOUT;

    if (s->mode == FG_HTTP_STREAM_URL && s->with_prelude && !s->prelude.done && inv->status == FG_INV_OK &&
        fg_url_prelude_finish(&s->prelude, &err) < 0)
        s->cut = true;
    pthread_mutex_lock(&s->lock);
    s->done = true;
    if (!s->head_ready) {
        /* URL mode: the stream failed or its prelude did before any body; else the
         * runtime did not stream. InvokeWithResponseStream answers the outcome as events. */
        bool empty_body = s->mode == FG_HTTP_STREAM_URL && s->with_prelude && s->prelude.done && !s->cut &&
                          inv->status == FG_INV_OK;   /* a prelude and no body: its head, nothing after */
        s->head = (s->mode == FG_HTTP_STREAM_EVENTS && answered) || empty_body ? FG_HTTP_STREAM_BODY
                                                                               : FG_HTTP_STREAM_FINISHED;
        s->head_ready = true;
        if (s->mode == FG_HTTP_STREAM_URL && s->cut && inv->status == FG_INV_OK) {
            inv->status = FG_INV_FUNCTION_ERROR;   /* unusable: the caller answers 502 */
            fg_invocation_error_body(&inv->result, "Runtime.InvalidResponsePrelude", "malformed response prelude");
        }
    }
    if (s->head == FG_HTTP_STREAM_BODY) {
        if (s->mode == FG_HTTP_STREAM_EVENTS)
            stream_events_end(s);
        else if (inv->status != FG_INV_OK) {
            char type[128], msg[512];
            s->cut = true;            /* a URL's body ends without its last chunk */
            fg_destination_error_fields(inv->result.data, inv->result.len, type, sizeof(type), msg, sizeof(msg));
            fg_log(FG_LOG_INFO, "http", "function URL: function %s request %s failed mid-stream: %s: %s",
                   inv->function, inv->request_id, type[0] ? type : "Unknown", msg);
        }
    }
    wake = stream_wake(s);
    pthread_mutex_unlock(&s->lock);
    if (wake)
        MHD_resume_connection(s->conn);
    stream_unref(s);
}

static const struct fg_invocation_stream_ops stream_sink_ops = {
    .start = stream_sink_start,
    .data = stream_sink_data,
};

/* ------------------------------------------------------------------ the MHD side */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct fg_http_stream *s = cls;
    size_t n;

    (void)pos;
    pthread_mutex_lock(&s->lock);
    if ((n = stream_held(s))) {
        if (n > max)
            n = max;
        memcpy(buf, s->out.data + s->out_pos, n);
        s->out_pos += n;
        if (s->out_pos == s->out.len) {
            s->out.len = s->out_pos = 0;
        } else if (s->out_pos >= STREAM_COMPACT_BYTES) {
            memmove(s->out.data, s->out.data + s->out_pos, s->out.len - s->out_pos);
            s->out.len -= s->out_pos;
            s->out_pos = 0;
        }
        if (stream_held(s) < FG_INVOCATION_STREAM_WINDOW_BYTES / 2)
            stream_post_resume(s);
        pthread_mutex_unlock(&s->lock);
        return (ssize_t)n;
    }
    if (s->done) {
        bool cut = s->cut;
        pthread_mutex_unlock(&s->lock);
        return cut ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    }
    /* Nothing yet: the loop resumes the connection when bytes or the end come. */
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void stream_read_free(void *cls)
{
    struct fg_http_stream *s = cls;

    pthread_mutex_lock(&s->lock);
    s->consumer_gone = true;
    fg_buf_free(&s->out);
    s->out_pos = 0;
    stream_post_resume(s);            /* a paused worker goes on, its bytes dropped */
    pthread_mutex_unlock(&s->lock);
    stream_unref(s);
}

/* ------------------------------------------------------------------ API */

struct fg_http_stream *fg_http_stream_new(enum fg_http_stream_mode mode, const struct fg_invocation *req)
{
    struct fg_http_stream *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->mode = mode;
    s->refs = 1;
    pthread_mutex_init(&s->lock, NULL);
    fg_invocation_init(&s->inv);
    fg_buf_init(&s->payload, FG_PAYLOAD_SYNC_MAX_BYTES);
    fg_buf_init(&s->client_context, 4096);
    fg_buf_init(&s->out, STREAM_BUF_MAX_BYTES);
    fg_url_prelude_init(&s->prelude);
    memcpy(s->inv.function, req->function, sizeof(s->inv.function));
    memcpy(s->inv.request_id, req->request_id, sizeof(s->inv.request_id));
    s->inv.want_log_tail = req->want_log_tail;
    if (fg_buf_append(&s->payload, req->payload ? req->payload : "", req->payload_len) < 0 ||
        (req->client_context && fg_buf_append_str(&s->client_context, req->client_context) < 0)) {
        stream_unref(s);
        return NULL;
    }
    s->inv.payload = s->payload.data;
    s->inv.payload_len = s->payload.len;
    s->inv.client_context = req->client_context ? s->client_context.data : NULL;
    s->inv.stream = &stream_sink_ops;
    s->inv.stream_arg = s;
    s->inv.done = stream_on_done;
    s->inv.done_arg = s;
    return s;
}

void fg_http_stream_submit(struct fg_http_stream *s, struct fg_router *r, struct MHD_Connection *conn)
{
    s->router = r;
    s->conn = conn;
    pthread_mutex_lock(&s->lock);
    s->refs++;                        /* the router's, until done */
    s->suspended = true;
    MHD_suspend_connection(conn);
    pthread_mutex_unlock(&s->lock);
    if (fg_router_submit(r, &s->inv) < 0) {
        s->inv.status = FG_INV_SERVICE_ERROR;
        pthread_mutex_lock(&s->lock);
        s->done = s->head_ready = true;
        s->head = FG_HTTP_STREAM_FINISHED;
        s->suspended = false;
        s->refs--;
        pthread_mutex_unlock(&s->lock);
        MHD_resume_connection(conn);
    }
}

enum fg_http_stream_head fg_http_stream_head(struct fg_http_stream *s)
{
    enum fg_http_stream_head h;
    pthread_mutex_lock(&s->lock);
    h = s->head;
    pthread_mutex_unlock(&s->lock);
    return h;
}

struct fg_invocation *fg_http_stream_invocation(struct fg_http_stream *s)
{
    return &s->inv;
}

struct MHD_Response *fg_http_stream_response(struct fg_http_stream *s, unsigned *status)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
                                                                  stream_read_free);
    if (!resp)
        return NULL;
    pthread_mutex_lock(&s->lock);
    s->refs++;                        /* the response's, until stream_read_free */
    pthread_mutex_unlock(&s->lock);
    *status = 200;
    if (s->mode == FG_HTTP_STREAM_EVENTS) {
        MHD_add_response_header(resp, "Content-Type", "application/vnd.amazon.eventstream");
    } else if (s->with_prelude && s->prelude.done) {
        /* The prelude is read: nothing on the loop writes it any more. */
        *status = (unsigned)s->prelude.head.status;
        for (size_t i = 0; i < s->prelude.head.n_headers; i++)
            MHD_add_response_header(resp, s->prelude.head.headers[i].name, s->prelude.head.headers[i].value);
    } else {
        MHD_add_response_header(resp, "Content-Type", s->content_type);
    }
    return resp;
}

void fg_http_stream_release(struct fg_http_stream *s)
{
    if (s)
        stream_unref(s);
}

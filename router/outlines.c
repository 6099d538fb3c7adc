/* SPDX-License-Identifier: MIT */
/* outlines.c - a child process's output pipe read as lines (see outlines.h).
 *
 * DESIGN: a line that ends inside the chunk just read and has nothing kept before it is
 * emitted straight from the read buffer, so the common case (short lines) copies nothing;
 * only an unfinished tail goes to the line buffer. The buffer's ceiling turns an endless
 * line into pieces of at most line_max bytes (plus the chunk that overflowed it) instead
 * of an unbounded allocation. Reads are capped per wake-up (FG_OUTLINES_WAKE_READS); the
 * event is level-triggered, so what is left wakes the loop again. */
#include "outlines.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../core/assert.h"
#include "../core/loop.h"

/* ------------------------------------------------------------------ helpers */

static void outlines_emit(struct fg_outlines *o, const char *p, size_t n)
{
    if (n && p[n - 1] == '\r')
        n--;
    o->emit(o->arg, p, n);
}

/* Emits what the line buffer holds, if anything, and empties it (its error too). */
static void outlines_flush(struct fg_outlines *o)
{
    if (o->line.len)
        outlines_emit(o, o->line.data, o->line.len);
    fg_buf_reset(&o->line);
}

/* Splits p[0..n) into lines; keeps the unfinished tail in o->line. */
static void outlines_take(struct fg_outlines *o, const char *p, size_t n)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t part = nl ? (size_t)(nl - p) : n;
        if (nl && !o->line.len) {
            outlines_emit(o, p, part);
        } else if (fg_buf_append(&o->line, p, part) < 0) {
            /* over the line limit: what was kept goes out, then this piece */
            outlines_flush(o);
            outlines_emit(o, p, part);
        } else if (nl) {
            outlines_flush(o);
        }
        if (!nl)
            break;
        p += part + 1;
        n -= part + 1;
    }
}

static void outlines_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fg_outlines_read(arg, FG_OUTLINES_WAKE_READS);
}

/* ------------------------------------------------------------------ API */

void fg_outlines_init(struct fg_outlines *o, size_t line_max_bytes, size_t read_chunk_bytes, fg_outlines_fn *emit,
                      void *arg)
{
    FG_ASSERT(emit && read_chunk_bytes > 0);
    o->fd = -1;
    o->ev = NULL;
    fg_buf_init(&o->line, line_max_bytes);
    o->read_chunk_bytes = read_chunk_bytes < FG_OUTLINES_CHUNK_MAX ? read_chunk_bytes : FG_OUTLINES_CHUNK_MAX;
    o->emit = emit;
    o->arg = arg;
}

int fg_outlines_open(struct fg_outlines *o, struct event_base *base, int fd)
{
    FG_ASSERT(o->fd < 0 && !o->ev && fd >= 0);
    o->fd = fd;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    o->ev = event_new(base, fd, EV_READ | EV_PERSIST, outlines_on_read, o);
    if (!o->ev || event_add(o->ev, NULL) < 0)
        return -ENOMEM;
    return 0;
}

int fg_outlines_read(struct fg_outlines *o, int max_reads)
{
    char buf[FG_OUTLINES_CHUNK_MAX];

    for (int i = 0; i < max_reads && o->fd >= 0; i++) {
        ssize_t n = read(o->fd, buf, o->read_chunk_bytes);
        if (n > 0) {
            outlines_take(o, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        fg_outlines_close(o);
    }
    return o->fd < 0;
}

void fg_outlines_drain(struct fg_outlines *o)
{
    fg_outlines_read(o, 1 << 20);
}

void fg_outlines_close(struct fg_outlines *o)
{
    outlines_flush(o);
    fg_buf_free(&o->line);
    fg_loop_close_fd(&o->ev, &o->fd);
}

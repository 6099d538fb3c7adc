/* SPDX-License-Identifier: MIT */
/* outlines.h - a child process's output pipe read as lines (outlines.c).
 *
 * Why it exists: a worker (worker.c) and a snapshot template (snapshot.c) both write
 * stdout+stderr to one pipe that the loop reads without blocking, cuts into lines and
 * hands, line by line, to the function's log. This is that reader, once.
 *
 * Lines: a line is what precedes a '\n'; a trailing '\r' is dropped before emit sees it.
 * The unfinished line waits in a buffer of at most line_max bytes; a line longer than that
 * is emitted in pieces (what was kept, then the piece that did not fit), never dropped. At
 * end of file, and on close, the unfinished line is emitted as it is.
 *
 * Ownership: the caller embeds struct fg_outlines and owns it; the reader owns the fd
 * (from fg_outlines_open to fg_outlines_close), its event and the line buffer. The line
 * given to emit is borrowed: valid only during the call. Loop thread only; emit runs on
 * the loop thread, from the event callback, fg_outlines_read/drain, or fg_outlines_close.
 * Tests: tests/unit/test_outlines.c; tests/integration/test_workers.py, test_snapstart.py. */
#ifndef FG_OUTLINES_H
#define FG_OUTLINES_H

#include <stddef.h>

#include "../core/buf.h"

struct event;
struct event_base;

/* Chunks read per wake-up of the event: a process printing without pause cannot starve
 * the loop (the rest waits for the next wake-up). */
#define FG_OUTLINES_WAKE_READS 4
/* Ceiling for read_chunk_bytes: the read buffer lives on the stack. */
#define FG_OUTLINES_CHUNK_MAX  65536

/* One line of output, '\n' and a trailing '\r' removed (len may be 0). line is borrowed,
 * valid during the call; not NUL-terminated. May not call fg_outlines_close on its reader. */
typedef void fg_outlines_fn(void *arg, const char *line, size_t len);

struct fg_outlines {
    int fd;                    /* the pipe's read end (owned, non-blocking), -1 when closed */
    struct event *ev;          /* EV_READ|EV_PERSIST on fd, or NULL */
    struct fg_buf line;        /* the unfinished line, at most line_max bytes */
    size_t read_chunk_bytes;   /* bytes per read(), <= FG_OUTLINES_CHUNK_MAX */
    fg_outlines_fn *emit;      /* never NULL */
    void *arg;                 /* emit's first argument, borrowed */
};

/* Caller-embedded, closed (fd -1): no allocation. line_max_bytes bounds the unfinished
 * line; read_chunk_bytes is clamped to FG_OUTLINES_CHUNK_MAX. emit must not be NULL; arg
 * is borrowed and must outlive the reader's last emit (fg_outlines_close). */
void fg_outlines_init(struct fg_outlines *o, size_t line_max_bytes, size_t read_chunk_bytes, fg_outlines_fn *emit,
                      void *arg);

/* Takes fd (a pipe's read end; made non-blocking here) and watches it on base, reading
 * FG_OUTLINES_WAKE_READS chunks per wake-up. o must be closed (after init or close). 0, or
 * -ENOMEM when the event cannot be made or added: o still owns fd then (fg_outlines_read
 * and fg_outlines_close work; nothing reads it by itself). */
int fg_outlines_open(struct fg_outlines *o, struct event_base *base, int fd);

/* Reads at most max_reads chunks, emitting each finished line. At end of file (or a read
 * error) closes o as fg_outlines_close does. 1 when o is closed on return, else 0 (no more
 * data waiting, or max_reads reached). A closed o: returns 1, does nothing. */
int fg_outlines_read(struct fg_outlines *o, int max_reads);

/* Reads everything waiting now (so lines printed before some event are emitted before it
 * is handled). Does not wait for more. */
void fg_outlines_drain(struct fg_outlines *o);

/* Emits the unfinished line, if any, frees the buffer's memory, stops watching and closes
 * the fd. Idempotent; o may be opened again. */
void fg_outlines_close(struct fg_outlines *o);

#endif

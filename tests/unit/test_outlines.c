/* SPDX-License-Identifier: MIT */
/* test_outlines.c - what router/outlines.h promises: lines cut at '\n' with a trailing '\r'
 * dropped, a line over the limit emitted in pieces, the unfinished line emitted at end of
 * file and on close, reads capped per call, and the event reading on its own. */
#include <check.h>
#include <event2/event.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "router/outlines.h"
#include "unit.h"

#define SEEN_MAX 16

struct seen {
    char line[SEEN_MAX][64];
    size_t len[SEEN_MAX];
    int n;
};

static void seen_line(void *arg, const char *line, size_t len)
{
    struct seen *s = arg;
    ck_assert_int_lt(s->n, SEEN_MAX);
    ck_assert_uint_lt(len, sizeof(s->line[0]));
    memcpy(s->line[s->n], line, len);
    s->line[s->n][len] = '\0';
    s->len[s->n++] = len;
}

/* A reader on a fresh pipe; returns the write end. */
static int open_pipe(struct fg_outlines *o, struct seen *s, struct event_base *base, size_t line_max, size_t chunk)
{
    int fds[2];
    memset(s, 0, sizeof(*s));
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    fg_outlines_init(o, line_max, chunk, seen_line, s);
    ck_assert_int_eq(fg_outlines_open(o, base, fds[0]), 0);
    ck_assert_int_eq(fcntl(fds[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    return fds[1];
}

static void put(int fd, const char *text)
{
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

START_TEST(test_lines)
{
    struct event_base *base = event_base_new();
    struct fg_outlines o;
    struct seen s;
    int w = open_pipe(&o, &s, base, 1024, 4096);

    put(w, "one\ntwo\r\n\nthr");
    fg_outlines_drain(&o);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.line[0], "one");
    ck_assert_str_eq(s.line[1], "two");
    ck_assert_uint_eq(s.len[2], 0);
    put(w, "ee\nfo");
    ck_assert_int_eq(fg_outlines_read(&o, 1), 0);
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.line[3], "three");
    put(w, "ur\r");
    close(w);
    ck_assert_int_eq(fg_outlines_read(&o, 8), 1);       /* EOF: the tail goes out, o closes */
    ck_assert_int_eq(s.n, 5);
    ck_assert_str_eq(s.line[4], "four");
    ck_assert_int_eq(o.fd, -1);
    ck_assert_ptr_null(o.ev);
    ck_assert_int_eq(fg_outlines_read(&o, 1), 1);
    fg_outlines_close(&o);                               /* idempotent */
    ck_assert_int_eq(s.n, 5);
    event_base_free(base);
}
END_TEST

START_TEST(test_long_line_in_pieces)
{
    struct event_base *base = event_base_new();
    struct fg_outlines o;
    struct seen s;
    int w = open_pipe(&o, &s, base, 8, 4);               /* 4-byte reads, 8-byte lines */

    put(w, "abcdefghij\n");
    fg_outlines_drain(&o);
    /* kept "abcdefgh", then "ij" would pass 8: both go out, in order, nothing lost */
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.line[0], "abcdefgh");
    ck_assert_str_eq(s.line[1], "ij");
    put(w, "xy\n");                                      /* the buffer works again */
    fg_outlines_drain(&o);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.line[2], "xy");
    close(w);
    fg_outlines_close(&o);
    event_base_free(base);
}
END_TEST

START_TEST(test_close_and_reopen)
{
    struct event_base *base = event_base_new();
    struct fg_outlines o;
    struct seen s;
    int fds[2];
    int w = open_pipe(&o, &s, base, 64, 64);

    put(w, "a\nunfinished");
    fg_outlines_drain(&o);
    ck_assert_int_eq(s.n, 1);
    fg_outlines_close(&o);                               /* the writer is still open */
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.line[1], "unfinished");
    close(w);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    ck_assert_int_eq(fg_outlines_open(&o, base, fds[0]), 0);
    put(fds[1], "b\n");
    fg_outlines_drain(&o);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.line[2], "b");
    close(fds[1]);
    fg_outlines_close(&o);
    event_base_free(base);
}
END_TEST

START_TEST(test_event_reads_capped)
{
    struct event_base *base = event_base_new();
    struct fg_outlines o;
    struct seen s;
    int w = open_pipe(&o, &s, base, 64, 2);              /* one 2-byte read per line */

    put(w, "1\n2\n3\n4\n5\n6\n");
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_int_eq(s.n, FG_OUTLINES_WAKE_READS);
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_int_eq(s.n, 6);
    ck_assert_str_eq(s.line[5], "6");
    close(w);
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_int_eq(o.fd, -1);                          /* EOF closed it from the event */
    fg_outlines_close(&o);
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outlines");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lines);
    tcase_add_test(tc, test_long_line_in_pieces);
    tcase_add_test(tc, test_close_and_reopen);
    tcase_add_test(tc, test_event_reads_capped);
    return fg_unit_run(s, tc);
}

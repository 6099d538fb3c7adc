/* SPDX-License-Identifier: MIT */
/* console_session.h - the console's login sessions: a small table in memory of random ids
 * that POST /_fngate/login hands out as the fngate_session cookie.
 *
 * Bounded: at most `max` sessions (the oldest is dropped for a new one) and each lives
 * `lifetime_ms` from its login. Nothing is stored on disk: a restart logs everyone out.
 * Thread-safe (a mutex); times are passed in so tests can move the clock. */
#ifndef FG_CONSOLE_SESSION_H
#define FG_CONSOLE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A session id: 32 random bytes as lowercase hex. */
#define FG_CONSOLE_SESSION_ID_LEN 64
#define FG_CONSOLE_SESSIONS_MAX 64
#define FG_CONSOLE_SESSION_LIFETIME_MS (12LL * 3600 * 1000)

struct fg_console_sessions;

/* A table of at most max sessions living lifetime_ms each; NULL when out of memory. The
 * caller owns it: fg_console_sessions_free. */
struct fg_console_sessions *fg_console_sessions_new(size_t max, int64_t lifetime_ms);
void fg_console_sessions_free(struct fg_console_sessions *s);

/* Opens a session at now_ms: its id into out (NUL-terminated). Drops the oldest session
 * when the table is full. 0, or -EIO when no randomness was to be had. */
int fg_console_session_open(struct fg_console_sessions *s, int64_t now_ms, char out[FG_CONSOLE_SESSION_ID_LEN + 1]);

/* True when id names a session opened less than lifetime_ms before now_ms (the
 * comparison takes the same time whatever id is). An expired session is forgotten. */
bool fg_console_session_valid(struct fg_console_sessions *s, const char *id, int64_t now_ms);

/* Forgets the session id names: true when there was one. */
bool fg_console_session_close(struct fg_console_sessions *s, const char *id);

/* Sessions held now (expired ones not yet dropped included). */
size_t fg_console_session_count(struct fg_console_sessions *s);

#endif

/* SPDX-License-Identifier: MIT */
/* console_session.c - the console's login sessions (see console_session.h). */
#include "console_session.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admin_token.h"

struct console_session {
    char id[FG_CONSOLE_SESSION_ID_LEN + 1];   /* "" : a free slot */
    int64_t opened_ms;
};

struct fg_console_sessions {
    pthread_mutex_t mu;
    size_t max;
    int64_t lifetime_ms;
    struct console_session *slots;             /* max of them, owned */
};

struct fg_console_sessions *fg_console_sessions_new(size_t max, int64_t lifetime_ms)
{
    struct fg_console_sessions *s = calloc(1, sizeof(*s));
    if (!s || !max || !(s->slots = calloc(max, sizeof(*s->slots)))) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->max = max;
    s->lifetime_ms = lifetime_ms;
    return s;
}

void fg_console_sessions_free(struct fg_console_sessions *s)
{
    if (!s)
        return;
    explicit_bzero(s->slots, s->max * sizeof(*s->slots));
    free(s->slots);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The slot holding id, or NULL. Every slot is compared in full: the time says nothing. */
static struct console_session *sessions_find(struct fg_console_sessions *s, const char *id)
{
    struct console_session *hit = NULL;
    size_t n = strlen(id);
    if (n != FG_CONSOLE_SESSION_ID_LEN)
        return NULL;
    for (size_t i = 0; i < s->max; i++)
        if (s->slots[i].id[0] && fg_admin_token_equal(s->slots[i].id, id, n))
            hit = &s->slots[i];
    return hit;
}

int fg_console_session_open(struct fg_console_sessions *s, int64_t now_ms, char out[FG_CONSOLE_SESSION_ID_LEN + 1])
{
    unsigned char raw[FG_CONSOLE_SESSION_ID_LEN / 2];
    struct console_session *slot = NULL;

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->max; i++) {
        struct console_session *c = &s->slots[i];
        if (!c->id[0] || now_ms - c->opened_ms >= s->lifetime_ms) {     /* free or expired */
            slot = c;
            break;
        }
        if (!slot || c->opened_ms < slot->opened_ms)                     /* else the oldest */
            slot = c;
    }
    memcpy(slot->id, out, FG_CONSOLE_SESSION_ID_LEN + 1);
    slot->opened_ms = now_ms;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

bool fg_console_session_valid(struct fg_console_sessions *s, const char *id, int64_t now_ms)
{
    struct console_session *c;
    bool ok = false;

    pthread_mutex_lock(&s->mu);
    if ((c = sessions_find(s, id))) {
        ok = now_ms >= c->opened_ms && now_ms - c->opened_ms < s->lifetime_ms;
        if (!ok)
            explicit_bzero(c, sizeof(*c));
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool fg_console_session_close(struct fg_console_sessions *s, const char *id)
{
    struct console_session *c;

    pthread_mutex_lock(&s->mu);
    if ((c = sessions_find(s, id)))
        explicit_bzero(c, sizeof(*c));
    pthread_mutex_unlock(&s->mu);
    return c != NULL;
}

size_t fg_console_session_count(struct fg_console_sessions *s)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->max; i++)
        n += s->slots[i].id[0] != '\0';
    pthread_mutex_unlock(&s->mu);
    return n;
}

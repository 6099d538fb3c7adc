/* SPDX-License-Identifier: MIT */
/* store_redis_pull.c - the Redis store's reader: this node's lease, and the events it
 * takes from the fleet's queue (see store_redis_int.h).
 *
 * DESIGN: a node reads a function's stream only while it has room for more of its events
 * (RS_HOLD_MAX, or twice what the function may run at once): the rest of the backlog stays
 * in Redis for nodes with room, instead of one node hoarding it. A node is alive while its
 * key {P}:node:CONSUMER exists; it renews the key every quarter visibility_timeout. Events
 * held by a consumer whose key expired (the node died or was cut off) are taken over by
 * the next node that looks, in one script, so two nodes never take the same event, and
 * run again (at least once). A node that finds its own key gone starts a new lease
 * generation: what it read under the old one is dropped before it starts (fg_store_claimed),
 * since another node may run it already. Liveness, not an entry's idle time, decides: an
 * event that runs for an hour on a live node is never taken from it. Due retries are
 * moved back to their streams by whichever node looks first (one script, so once). */
#include "store_redis_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RS_READ_MAX 64          /* entries per stream and read */
#define RS_MOVE_MAX 200         /* due retries moved per look */

/* The i-th function stream (NULL past the last): the array may grow meanwhile (an accept
 * for a function added by a reload), the streams themselves never move. */
static struct rs_fn *rs_fn_at(struct fg_redis_store *s, size_t i)
{
    struct rs_fn *f;
    pthread_mutex_lock(&s->lock);
    f = i < s->n_fns ? s->fns[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return f;
}

static void rs_wait(struct fg_redis_store *s, long ms)
{
    struct timespec ts;
    fg_monotonic_deadline(&ts, ms);
    pthread_mutex_lock(&s->wake_lock);
    if (!atomic_load(&s->stopping))
        pthread_cond_timedwait(&s->wake, &s->wake_lock, &ts);
    pthread_mutex_unlock(&s->wake_lock);
}

static void rs_drop(struct fg_redis_store *s, const char *why)
{
    fg_log(FG_LOG_DEBUG, "store", "reader: %s", why && why[0] ? why : "connection lost");
    redisFree(s->rc);
    s->rc = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_fns; i++)
        s->fns[i]->group_ok = false;     /* a restarted server may have lost them */
    pthread_mutex_unlock(&s->lock);
}

/* A command on the reader's connection; NULL when the connection broke (dropped). */
static redisReply *rs_cmd(struct fg_redis_store *s, int argc, const char **argv, const size_t *len)
{
    redisReply *r = redisCommandArgv(s->rc, argc, argv, len);
    if (!r)
        rs_drop(s, s->rc->errstr);
    return r;
}

static int rs_leases(struct fg_redis_store *s, const char *consumer);

/* Renews (or first takes) this node's lease. 0, or -1 when the connection broke. */
static int rs_heartbeat(struct fg_redis_store *s)
{
    char key[256], px[24], consumer[128];
    long long sent = fg_now_ms(), until = atomic_load(&s->lease_until);
    bool fresh = until == 0;
    redisReply *r;

    pthread_mutex_lock(&s->lock);
    snprintf(consumer, sizeof(consumer), "%s", s->consumer);
    pthread_mutex_unlock(&s->lock);
    snprintf(key, sizeof(key), "%s:node:%s", s->pfx, consumer);
    snprintf(px, sizeof(px), "%d", s->vis_ms);
    const char *argv[] = { "SET", key, s->node, "PX", px, fresh ? "NX" : "XX" };
    if (!(r = rs_cmd(s, 6, argv, NULL)))
        return -1;
    if (fg_rs_reply_error(r)) {
        fg_log(FG_LOG_ERROR, "store", "state store %s: renewing this node's lease: %s", s->url, r->str);
        freeReplyObject(r);
        return 0;
    }
    if (r->type == REDIS_REPLY_NIL && !fresh) {
        /* Cut off longer than visibility_timeout: others may run what it read. */
        unsigned gen = atomic_fetch_add(&s->claim, 1) + 1;
        pthread_mutex_lock(&s->lock);
        snprintf(s->consumer, sizeof(s->consumer), "%s.%u", s->node, gen);
        pthread_mutex_unlock(&s->lock);
        atomic_store(&s->lease_until, 0);
        fg_log(FG_LOG_WARN, "store", "this node's lease expired (out of touch with Redis longer than visibility_timeout): other nodes took its events; it drops what it held and starts a new lease");
        freeReplyObject(r);
        fg_rs_post(s, NULL, false);
        return rs_heartbeat(s);
    }
    freeReplyObject(r);
    atomic_store(&s->lease_until, sent + s->vis_ms - s->cmd_ms);
    if (until <= sent)
        fg_rs_post(s, NULL, false);      /* events waiting on the lease may start */
    return rs_leases(s, consumer);
}

struct rs_lease_msg {
    struct fg_loop_msg msg;
    struct rs_lease *l;
    bool held;
    struct fg_mark *marks;
    size_t n;
};

static void rs_lease_msg_free(struct rs_lease_msg *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->marks[i].key);
    free(m->marks);
    free(m);
}

static void rs_on_lease(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct rs_lease_msg *m = (struct rs_lease_msg *)(void *)msg;
    (void)loop;
    m->l->cb(m->l->arg, m->held, m->marks, m->n);
    rs_lease_msg_free(m);
}

/* Tells the loop lease l changed hands (marks: taken). */
static void rs_lease_post(struct fg_redis_store *s, struct rs_lease *l, bool held, struct fg_mark *marks, size_t n)
{
    struct rs_lease_msg *m = calloc(1, sizeof(*m));
    l->held = held;
    fg_log(FG_LOG_INFO, "store", "lease %s: %s", l->name, held ? "this node holds it now" : "lost to another node");
    if (m) {
        *m = (struct rs_lease_msg){ .l = l, .held = held, .marks = marks, .n = n };
        if (fg_loop_post(s->loop, &m->msg, rs_on_lease) == 0)
            return;
        m->marks = NULL;
        m->n = 0;
        rs_lease_msg_free(m);
    }
    for (size_t i = 0; i < n; i++)
        free(marks[i].key);
    free(marks);
}

/* The file index entries under l's prefix. 0, or -1 when the connection broke. */
static int rs_lease_marks(struct fg_redis_store *s, struct rs_lease *l, struct fg_mark **out, size_t *n_out)
{
    char key[128];
    size_t plen = strlen(l->prefix), n = 0;
    struct fg_mark *v;
    redisReply *r;

    snprintf(key, sizeof(key), "%s:marks", s->pfx);
    const char *argv[] = { "HGETALL", key };
    *out = NULL;
    *n_out = 0;
    if (!(r = rs_cmd(s, 2, argv, NULL)))
        return -1;
    v = calloc(r->type == REDIS_REPLY_ARRAY && r->elements ? r->elements / 2 : 1, sizeof(*v));
    for (size_t i = 0; v && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *k = r->element[i]->str, *val = r->element[i + 1]->str;
        long long a = 0, b = 0;
        if (!k || !val || strncmp(k, l->prefix, plen) || sscanf(val, "%lld %lld", &a, &b) != 2)
            continue;
        if (!(v[n].key = strdup(k + 2)))
            break;
        v[n].kind = FG_MARK_FILE;
        v[n].a = a;
        v[n++].b = b;
    }
    freeReplyObject(r);
    *out = v;
    *n_out = n;
    return 0;
}

/* Renews or takes each lease asked for; a lease newly held comes with its file marks. 0 or
 * -1 when the connection broke. */
static int rs_leases(struct fg_redis_store *s, const char *consumer)
{
    char px[24];
    snprintf(px, sizeof(px), "%d", s->vis_ms);
    pthread_mutex_lock(&s->lock);
    size_t n_leases = s->n_leases;
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n_leases; i++) {
        struct rs_lease *l = &s->leases[i];
        const char *argv[] = { "EVAL", fg_rs_lua_lease, "1", l->key, consumer, px };
        redisReply *r = rs_cmd(s, 6, argv, NULL);
        long long got;
        if (!r)
            return -1;
        got = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        freeReplyObject(r);
        if (got && !l->held) {
            struct fg_mark *marks;
            size_t n;
            if (rs_lease_marks(s, l, &marks, &n) < 0)
                return -1;
            rs_lease_post(s, l, true, marks, n);
        } else if (!got && l->held) {
            rs_lease_post(s, l, false, NULL, 0);
        }
    }
    return 0;
}

/* The node's own lease ran out before it could renew it: its leases are no longer its. */
static void rs_leases_expired(struct fg_redis_store *s)
{
    for (size_t i = 0; i < s->n_leases; i++)
        if (s->leases[i].held)
            rs_lease_post(s, &s->leases[i], false, NULL, 0);
}

/* Creates fn's group (from the stream's start: events accepted before any node read are
 * kept). 0, or -1 when the connection broke. */
static int rs_group(struct fg_redis_store *s, struct rs_fn *f)
{
    const char *argv[] = { "XGROUP", "CREATE", f->key, RS_GROUP, "0", "MKSTREAM" };
    redisReply *r = rs_cmd(s, 6, argv, NULL);
    if (!r)
        return -1;
    if (!fg_rs_reply_error(r) || !strncmp(r->str, "BUSYGROUP", 9))
        f->group_ok = true;
    else
        fg_log(FG_LOG_ERROR, "store", "state store %s: %s: %s", s->url, f->key, r->str);
    freeReplyObject(r);
    return 0;
}

/* Entries [[id, fields]...] of f's stream become events held under this lease. */
static struct fg_async_event *rs_take(struct fg_redis_store *s, struct rs_fn *f, const redisReply *entries,
                                      struct fg_async_event *list)
{
    unsigned gen = atomic_load(&s->claim);
    for (size_t i = 0; entries && entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        struct fg_async_event *ev;
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        if (!(ev = fg_rs_event(e->element[1]))) {
            fg_log(FG_LOG_ERROR, "store", "%s: entry %s is not an fngate event; left pending", f->key,
                   e->element[0]->str);
            continue;
        }
        snprintf(ev->sid, sizeof(ev->sid), "%s", e->element[0]->str);
        ev->claim = gen;
        fg_rs_held_add(s, f->name, ev->sid);
        atomic_fetch_add(&f->held, 1);
        ev->next = list;
        list = ev;
    }
    return list;
}

/* Reverses a list built by pushing on its head, so events keep their stream order. */
static struct fg_async_event *rs_reverse(struct fg_async_event *l)
{
    struct fg_async_event *out = NULL;
    while (l) {
        struct fg_async_event *next = l->next;
        l->next = out;
        out = l;
        l = next;
    }
    return out;
}

static int rs_grant(struct fg_redis_store *s, struct rs_fn *f, const char *consumer, int room);
static int rs_give_back(struct fg_redis_store *s, struct rs_fn *f, const char *consumer, int slots, int tokens);

/* Takes over the events of nodes that are gone, and moves due retries back. 0 or -1. */
static int rs_look_after(struct fg_redis_store *s)
{
    char nodes[128], retry[128], now[24], consumer[128];
    struct fg_async_event *list = NULL;
    redisReply *r;

    snprintf(nodes, sizeof(nodes), "%s:node:", s->pfx);
    snprintf(retry, sizeof(retry), "%s:retry", s->pfx);
    snprintf(now, sizeof(now), "%lld", fg_now_ms());
    const char *mv[] = { "EVAL", fg_rs_lua_move_due, "1", retry, s->pfx, now, "200" };
    if (!(r = rs_cmd(s, 7, mv, NULL)))
        return -1;
    if (fg_rs_reply_error(r))
        fg_log(FG_LOG_ERROR, "store", "state store %s: moving due retries: %s", s->url, r->str);
    freeReplyObject(r);
    pthread_mutex_lock(&s->lock);
    snprintf(consumer, sizeof(consumer), "%s", s->consumer);
    pthread_mutex_unlock(&s->lock);
    struct rs_fn *f;
    for (size_t i = 0; (f = rs_fn_at(s, i)); i++) {
        int room = f->budget - atomic_load(&f->held);
        char count[16];
        if (room <= 0 || !f->group_ok)
            continue;
        int granted = f->fleet_limit || f->rate > 0 ? rs_grant(s, f, consumer, room) : room;
        if (granted < 0) {
            fg_rs_post(s, rs_reverse(list), false);
            return -1;
        }
        if (granted == 0)
            continue;
        room = granted;
        snprintf(count, sizeof(count), "%d", room);
        const char *argv[] = { "EVAL", fg_rs_lua_reclaim, "1", f->key, RS_GROUP, consumer, nodes, count };
        if (!(r = rs_cmd(s, 8, argv, NULL))) {
            fg_rs_post(s, rs_reverse(list), false);
            return -1;
        }
        if (fg_rs_reply_error(r))
            fg_log(FG_LOG_ERROR, "store", "state store %s: taking over %s: %s", s->url, f->key, r->str);
        else if (r->elements) {
            fg_log(FG_LOG_WARN, "store", "%s: took over %zu event(s) of a node that is gone", f->name, r->elements);
            list = rs_take(s, f, r, list);
        }
        int unused = room - (fg_rs_reply_error(r) ? 0 : (int)r->elements);
        freeReplyObject(r);
        if ((f->fleet_limit || f->rate > 0) && unused > 0 && rs_give_back(s, f, consumer, unused, unused) < 0) {
            fg_rs_post(s, rs_reverse(list), false);
            return -1;
        }
    }
    if (list)
        fg_rs_post(s, rs_reverse(list), false);
    return 0;
}

/* Refreshes the fleet's figures of f: entries no node read yet (the group's lag) and
 * entries read and not acknowledged (its pending count). 0 or -1. */
static int rs_fleet_figures(struct fg_redis_store *s, struct rs_fn *f, const redisReply *retrying)
{
    const char *argv[] = { "XINFO", "GROUPS", f->key };
    const redisReply *n = NULL;
    redisReply *r;

    for (size_t i = 0; retrying && retrying->type == REDIS_REPLY_ARRAY && i + 1 < retrying->elements; i += 2)
        if (retrying->element[i]->str && !strcmp(retrying->element[i]->str, f->name))
            n = retrying->element[i + 1];
    atomic_store(&f->fleet_retrying, n && n->str ? strtoll(n->str, NULL, 10) : 0);
    if (!(r = rs_cmd(s, 3, argv, NULL)))
        return -1;
    for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
        const redisReply *grp = r->element[g];
        bool ours = false;
        long long lag = 0, pending = 0;
        for (size_t i = 0; grp->type == REDIS_REPLY_ARRAY && i + 1 < grp->elements; i += 2) {
            const char *k = grp->element[i]->str;
            const redisReply *v = grp->element[i + 1];
            if (!k)
                continue;
            if (!strcmp(k, "name"))
                ours = v->str && !strcmp(v->str, RS_GROUP);
            else if (!strcmp(k, "lag"))
                lag = v->type == REDIS_REPLY_INTEGER ? v->integer : 0;   /* nil: unknown after deletes */
            else if (!strcmp(k, "pending"))
                pending = v->integer;
        }
        if (ours) {
            atomic_store(&f->fleet_queued, lag);
            atomic_store(&f->fleet_held, pending);
        }
    }
    freeReplyObject(r);
    return 0;
}

/* Entries pending under this node's consumer that it does not hold: read by a command
 * whose answer a lost connection swallowed (Redis recorded the delivery, this node never
 * saw it). No other node takes them while this one lives, so it takes them back itself.
 * 0 or -1. */
static int rs_rescue(struct fg_redis_store *s, const char *consumer)
{
    struct fg_async_event *list = NULL;
    struct rs_fn *f;
    for (size_t i = 0; (f = rs_fn_at(s, i)); i++) {
        const char *pv[] = { "XPENDING", f->key, RS_GROUP, "-", "+", "200", consumer };
        const char *ids[200 + 5];
        redisReply *p, *r;
        int n = 0;
        if (!f->group_ok && rs_group(s, f) < 0)
            goto broke;
        if (!(p = rs_cmd(s, 7, pv, NULL)))
            goto broke;
        ids[n++] = "XCLAIM";
        ids[n++] = f->key;
        ids[n++] = RS_GROUP;
        ids[n++] = consumer;
        ids[n++] = "0";
        for (size_t k = 0; p->type == REDIS_REPLY_ARRAY && k < p->elements; k++) {
            const redisReply *e = p->element[k];
            if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 && e->element[0]->str &&
                !fg_rs_held_has(s, f->name, e->element[0]->str))
                ids[n++] = e->element[0]->str;
        }
        if (n > 5) {
            fg_log(FG_LOG_WARN, "store", "%s: %d event(s) read before a lost connection are taken back", f->name, n - 5);
            if (!(r = rs_cmd(s, n, ids, NULL))) {
                freeReplyObject(p);
                goto broke;
            }
            if (!fg_rs_reply_error(r))
                list = rs_take(s, f, r, list);
            freeReplyObject(r);
        }
        freeReplyObject(p);
    }
    if (list)
        fg_rs_post(s, rs_reverse(list), false);
    return 0;
broke:
    if (list)
        fg_rs_post(s, rs_reverse(list), false);
    return -1;
}

/* Refreshes the dead-letter counts and the fleet's figures. 0 or -1. */
static int rs_counts(struct fg_redis_store *s)
{
    char key[128];
    redisReply *r;

    snprintf(key, sizeof(key), "%s:dlqn", s->pfx);
    const char *argv[] = { "HGETALL", key };
    if (!(r = rs_cmd(s, 2, argv, NULL)))
        return -1;
    if (r->type == REDIS_REPLY_ARRAY) {
        size_t n = r->elements / 2;
        struct rs_count *c = calloc(n ? n : 1, sizeof(*c));
        for (size_t i = 0; c && i < n; i++) {
            snprintf(c[i].function, sizeof(c[i].function), "%s", r->element[2 * i]->str ? r->element[2 * i]->str : "");
            c[i].n = r->element[2 * i + 1]->str ? strtoll(r->element[2 * i + 1]->str, NULL, 10) : 0;
        }
        if (c) {
            pthread_mutex_lock(&s->lock);
            free(s->counts);
            s->counts = c;
            s->n_counts = n;
            pthread_mutex_unlock(&s->lock);
        }
    }
    freeReplyObject(r);
    snprintf(key, sizeof(key), "%s:retryn", s->pfx);
    const char *rv[] = { "HGETALL", key };
    if (!(r = rs_cmd(s, 2, rv, NULL)))
        return -1;
    struct rs_fn *f;
    for (size_t i = 0; (f = rs_fn_at(s, i)); i++) {
        if (f->group_ok && rs_fleet_figures(s, f, r) < 0) {
            freeReplyObject(r);
            return -1;
        }
    }
    freeReplyObject(r);
    return 0;
}

/* What f may read now: its room, cut to the fleet-wide running count and token bucket.
 * Grants come back with rs_give_back when fewer events were read. -1: connection broke. */
static int rs_grant(struct fg_redis_store *s, struct rs_fn *f, const char *consumer, int room)
{
    char want[16], limit[16], rate[32], burst[16], nodes[128];
    redisReply *r;
    int g = room;

    snprintf(nodes, sizeof(nodes), "%s:node:", s->pfx);
    if (f->fleet_limit && g > 0) {
        snprintf(want, sizeof(want), "%d", g);
        snprintf(limit, sizeof(limit), "%d", f->fleet_limit);
        const char *argv[] = { "EVAL", fg_rs_lua_slots, "1", f->run_key, nodes, consumer, want, limit };
        if (!(r = rs_cmd(s, 8, argv, NULL)))
            return -1;
        g = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0;
        freeReplyObject(r);
    }
    if (f->rate > 0 && g > 0) {
        int asked = g;
        snprintf(want, sizeof(want), "%d", g);
        snprintf(rate, sizeof(rate), "%.6f", f->rate);
        snprintf(burst, sizeof(burst), "%d", f->burst);
        const char *argv[] = { "EVAL", fg_rs_lua_tokens, "1", f->rate_key, rate, burst, want };
        if (!(r = rs_cmd(s, 7, argv, NULL)))
            return -1;
        g = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0;
        freeReplyObject(r);
        if (f->fleet_limit && g < asked && rs_give_back(s, f, consumer, asked - g, 0) < 0)
            return -1;
    }
    return g;
}

/* Gives back slots (running counts) and tokens granted but not used. 0 or -1. */
static int rs_give_back(struct fg_redis_store *s, struct rs_fn *f, const char *consumer, int slots, int tokens)
{
    char n[16], burst[16];
    redisReply *r;

    if (f->fleet_limit && slots > 0) {
        snprintf(n, sizeof(n), "%d", slots);
        const char *argv[] = { "EVAL", fg_rs_lua_slots_release, "1", f->run_key, consumer, n };
        if (!(r = rs_cmd(s, 6, argv, NULL)))
            return -1;
        freeReplyObject(r);
    }
    if (f->rate > 0 && tokens > 0) {
        snprintf(n, sizeof(n), "%d", tokens);
        snprintf(burst, sizeof(burst), "%d", f->burst);
        const char *argv[] = { "EVAL", fg_rs_lua_tokens_back, "1", f->rate_key, burst, n };
        if (!(r = rs_cmd(s, 6, argv, NULL)))
            return -1;
        freeReplyObject(r);
    }
    return 0;
}

/* A function with a fleet-wide limit is read on its own, as many as it was granted. Events
 * read, or -1 when the connection broke. */
static int rs_read_limited(struct fg_redis_store *s, struct rs_fn *f, const char *consumer, int room,
                           struct fg_async_event **list)
{
    char count[16];
    redisReply *r;
    int g = rs_grant(s, f, consumer, room), got = 0;

    if (g <= 0)
        return g;
    snprintf(count, sizeof(count), "%d", g);
    const char *argv[] = { "XREADGROUP", "GROUP", RS_GROUP, consumer, "COUNT", count, "STREAMS", f->key, ">" };
    if (!(r = rs_cmd(s, 9, argv, NULL)))
        return -1;
    if (fg_rs_reply_error(r) && !strncmp(r->str, "NOGROUP", 7))
        f->group_ok = false;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2) {
        got = (int)r->element[0]->element[1]->elements;
        *list = rs_take(s, f, r->element[0]->element[1], *list);
    }
    freeReplyObject(r);
    if (got < g && rs_give_back(s, f, consumer, g - got, g - got) < 0)
        return -1;
    return got;
}

/* One read across the streams with room. Events read, or -1 when the connection broke. */
static int rs_read(struct fg_redis_store *s, int block_ms)
{
    const char *argv[8 + 2 * 64];
    struct rs_fn *with[64];
    char count[16], block[16], consumer[128];
    int n = 0, min_room = RS_READ_MAX, got = 0, limited = 0;
    struct fg_async_event *list = NULL;
    redisReply *r;

    pthread_mutex_lock(&s->lock);
    snprintf(consumer, sizeof(consumer), "%s", s->consumer);
    size_t total = s->n_fns;
    pthread_mutex_unlock(&s->lock);
    /* Round-robin start so that many functions share the 64 slots of one read. */
    for (size_t k = 0; k < total && n < 64; k++) {
        struct rs_fn *f = rs_fn_at(s, (s->rr + k) % total);
        int room = f->budget - atomic_load(&f->held);
        if (room <= 0)
            continue;
        if (!f->group_ok && rs_group(s, f) < 0)
            goto broke;
        if (!f->group_ok)
            continue;
        if (f->fleet_limit || f->rate > 0) {
            int g = rs_read_limited(s, f, consumer, room, &list);
            if (g < 0)
                goto broke;
            got += g;
            limited++;
            continue;
        }
        with[n++] = f;
        if (room < min_room)
            min_room = room;
    }
    s->rr++;
    if (!n) {
        if (list)
            fg_rs_post(s, rs_reverse(list), false);
        else
            rs_wait(s, limited ? 50 : 100);   /* until a finished event makes room, or tokens */
        return got;
    }
    snprintf(count, sizeof(count), "%d", min_room);
    snprintf(block, sizeof(block), "%d", limited || got ? 0 : block_ms);
    int argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = RS_GROUP;
    argv[argc++] = consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = count;
    if (block_ms > 0 && !limited && !got) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block;
    }
    argv[argc++] = "STREAMS";
    for (int i = 0; i < n; i++)
        argv[argc++] = with[i]->key;
    for (int i = 0; i < n; i++)
        argv[argc++] = ">";
    if (!(r = rs_cmd(s, argc, argv, NULL)))
        goto broke;
    if (fg_rs_reply_error(r)) {
        if (!strncmp(r->str, "NOGROUP", 7))
            for (int i = 0; i < n; i++)
                with[i]->group_ok = false;
        else
            fg_log(FG_LOG_ERROR, "store", "state store %s: reading: %s", s->url, r->str);
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *st = r->element[i];
        if (st->type != REDIS_REPLY_ARRAY || st->elements != 2)
            continue;
        for (int j = 0; j < n; j++)
            if (!strcmp(with[j]->key, st->element[0]->str)) {
                size_t before = st->element[1]->elements;
                list = rs_take(s, with[j], st->element[1], list);
                got += (int)before;
                break;
            }
    }
    freeReplyObject(r);
    if (list)
        fg_rs_post(s, rs_reverse(list), false);
    return got;
broke:
    /* What was read before the connection broke is held all the same. */
    if (list)
        fg_rs_post(s, rs_reverse(list), false);
    return -1;
}

void *fg_rs_reader_main(void *arg)
{
    struct fg_redis_store *s = arg;
    long long next_beat = 0, next_look = 0, next_count = 0, next_rescue = 0;
    int beat = s->vis_ms / 4, block = s->cmd_ms / 2 < 200 ? s->cmd_ms / 2 : 200;
    bool idle = false, lapsed = false;

    while (!atomic_load(&s->stopping)) {
        long long now = fg_now_ms();
        if (!s->rc) {
            struct fg_err err;
            if (now < s->rc_retry_at) {
                rs_wait(s, (long)(s->rc_retry_at - now));
                continue;
            }
            if (!(s->rc = fg_rs_connect(s, &err))) {
                s->rc_backoff = s->rc_backoff ? s->rc_backoff * 2 : 100;
                if (s->rc_backoff > 2000)
                    s->rc_backoff = 2000;
                s->rc_retry_at = now + s->rc_backoff;
                continue;
            }
            s->rc_backoff = 0;
            next_beat = 0;
            next_rescue = 0;                 /* reads the lost connection swallowed */
        }
        if (now >= next_beat) {
            if (rs_heartbeat(s) < 0)
                continue;
            next_beat = now + beat;
        }
        if (fg_now_ms() >= atomic_load(&s->lease_until)) {
            if (!lapsed)
                fg_log(FG_LOG_ERROR, "store", "state store %s: this node could not renew its lease in time; it is not ready and starts nothing until it can",
                       s->url);
            lapsed = true;
            rs_leases_expired(s);
            rs_wait(s, 50);
            continue;
        }
        if (lapsed)
            fg_log(FG_LOG_INFO, "store", "state store %s: this node's lease holds again", s->url);
        lapsed = false;
        if (now >= next_look) {
            if (rs_look_after(s) < 0)
                continue;
            next_look = now + beat;
        }
        if (now >= next_rescue) {
            char consumer[128];
            pthread_mutex_lock(&s->lock);
            snprintf(consumer, sizeof(consumer), "%s", s->consumer);
            pthread_mutex_unlock(&s->lock);
            if (rs_rescue(s, consumer) < 0)
                continue;
            next_rescue = now + beat;
        }
        if (now >= next_count) {
            if (rs_counts(s) < 0)
                continue;
            next_count = now + 1000;
        }
        int got = rs_read(s, idle ? block : 0);
        if (got < 0)
            continue;
        idle = got == 0;
    }
    return NULL;
}

void fg_rs_leave(struct fg_redis_store *s, redisContext *c)
{
    char key[256], consumer[128];
    long long back = 0;

    pthread_mutex_lock(&s->lock);
    snprintf(consumer, sizeof(consumer), "%s", s->consumer);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < s->n_fns; i++) {
        const char *argv[] = { "EVAL", fg_rs_lua_release, "1", s->fns[i]->key, RS_GROUP, consumer };
        redisReply *r = redisCommandArgv(c, 6, argv, NULL);
        if (!r)
            return;
        if (r->type == REDIS_REPLY_INTEGER)
            back += r->integer;
        freeReplyObject(r);
    }
    for (size_t i = 0; i < s->n_leases; i++) {
        const char *argv[] = { "EVAL", fg_rs_lua_lease_drop, "1", s->leases[i].key, consumer };
        freeReplyObject(redisCommandArgv(c, 5, argv, NULL));
    }
    snprintf(key, sizeof(key), "%s:node:%s", s->pfx, consumer);
    freeReplyObject(redisCommand(c, "DEL %s", key));
    fg_log(FG_LOG_INFO, "store", "node %s left the fleet; %lld unfinished event(s) went back to the queue", s->node,
           back);
}

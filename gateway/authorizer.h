/* SPDX-License-Identifier: MIT */
/* authorizer.h - the per-request decision of a route's authorizer, as API Gateway HTTP
 * APIs make it: a JWT authorizer (gateway/jwt.h, keys from gateway/jwks.h) or a Lambda
 * authorizer (REQUEST type, payload 2.0), before the route's event is built.
 *
 * Outcomes as API Gateway answers them: no identity source or a token that does not
 * verify, 401 {"message":"Unauthorized"}; a token without one of the route's scopes, or an
 * authorizer that says no, 403 {"message":"Forbidden"}; an authorizer function that fails,
 * times out or answers something unusable, 500 {"message":"Internal Server Error"}. The
 * route's function is never invoked then. Allowed, the call carries the JSON the event's
 * requestContext.authorizer holds, in payload 2.0 and in 1.0 form.
 *
 * A decision may have to wait (a Lambda authorizer's invocation, a JWKS refresh): the
 * caller suspends its connection, then calls fg_auth_start, and when resumed calls
 * fg_auth_check again, which carries on where it stopped. Threads: libmicrohttpd's for
 * check and start; resume runs on the loop thread (an invocation) or the JWKS thread.
 * Tests: tests/unit/test_authorizer.c, tests/integration/test_authorizers.py. */
#ifndef FG_AUTHORIZER_H
#define FG_AUTHORIZER_H

#include "../config/config.h"
#include "../router/invocation.h"
#include "../triggers/apigw.h"
#include "auth_cache.h"
#include "jwks.h"

struct fg_router;

/* What the front door keeps for its whole life: the JWKS thread and the router that runs
 * Lambda authorizers. Caller-embedded. */
struct fg_auth_service {
    struct fg_router *router;
    struct fg_jwks_fetcher fetcher;
};

int fg_auth_service_start(struct fg_auth_service *s, struct fg_router *router, struct fg_err *err) FG_MUST_CHECK;
/* Resumes every request waiting for keys and joins the JWKS thread. Idempotent. */
void fg_auth_service_stop(struct fg_auth_service *s);

/* One configured authorizer at run time. */
struct fg_authorizer {
    const struct fg_conf_authorizer *conf;
    struct fg_jwks jwks;             /* jwt only */
    bool has_jwks;
    struct fg_auth_cache cache;      /* verified tokens, or Lambda answers (ttl > 0) */
};

/* Every authorizer of one configuration (a front-door view). Caller-embedded. */
struct fg_authorizers {
    const struct fg_config *conf;
    struct fg_auth_service *svc;
    struct fg_authorizer *items;
    size_t n;
};

/* Borrows svc and conf for its life; JWKS files are read now (a bad one fails the call,
 * naming the authorizer and the file). 0, or a negative code with err filled. */
int fg_authorizers_init(struct fg_authorizers *set, struct fg_auth_service *svc, const struct fg_config *conf,
                        struct fg_err *err) FG_MUST_CHECK;
/* After fg_auth_service_stop. */
void fg_authorizers_close(struct fg_authorizers *set);

enum fg_auth_verdict {
    FG_AUTH_ALLOW = 0,               /* c->v2 and c->v1 hold requestContext.authorizer */
    FG_AUTH_UNAUTHORIZED,            /* 401 */
    FG_AUTH_FORBIDDEN,               /* 403 */
    FG_AUTH_FAILED,                  /* 500: the authorizer could not decide */
    FG_AUTH_PENDING,                 /* suspend, then fg_auth_start */
};

enum fg_auth_state {
    FG_AUTH_STATE_NEW = 0,
    FG_AUTH_STATE_KEYS,              /* waiting for a JWKS refresh */
    FG_AUTH_STATE_LAMBDA,            /* the authorizer function is running */
};

/* One request's authorization; embedded in the request's context. */
struct fg_auth_call {
    enum fg_auth_state state;
    bool waited_keys;                /* one JWKS refresh per request at most */
    struct fg_authorizer *az;        /* chosen by the first check */
    struct fg_jwks_waiter waiter;
    struct fg_invocation inv;        /* a Lambda authorizer's */
    struct fg_buf event;             /* its event */
    struct fg_buf ids;               /* the identity source values, NUL-separated */
    struct fg_router *router;        /* runs the Lambda authorizer */
    struct fg_buf a, b;              /* scratch: claims and scopes, or an authorizer's answer */
    struct fg_buf v2, v1;            /* the results, NUL-terminated JSON objects */
    unsigned char key[32];           /* the cache key of this request's identity */
    char route_arn[1024];
    void (*resume)(void *arg);
    void *resume_arg;
};

void fg_auth_call_init(struct fg_auth_call *c);
/* Not while an invocation or a refresh it started is under way. */
void fg_auth_call_close(struct fg_auth_call *c);

/* The decision for req on the route m (whose route->auth names an authorizer of set):
 * the first call, and again after each resume. Borrows req and m until the decision. */
enum fg_auth_verdict fg_auth_check(struct fg_authorizers *set, struct fg_auth_call *c,
                                   const struct fg_http_request *req, const struct fg_route_match *m);

/* After FG_AUTH_PENDING, with the caller's connection suspended: starts what the decision
 * waits for. 0: resume(arg) runs once, later, on another thread; negative: nothing was
 * started and resume will not run (the caller resumes itself; the next check decides). */
int fg_auth_start(struct fg_auth_call *c, void (*resume)(void *arg), void *arg) FG_MUST_CHECK;

/* The number of JWKS documents read or fetched so far (GET /metrics). */
unsigned long fg_auth_jwks_fetches(const struct fg_auth_service *s);

#endif

/* SPDX-License-Identifier: MIT */
/* invoke_auth.h - who may call the Invoke API: callers that sign with one of
 * invoke_api.credentials (SigV4, service lambda), and never a web browser.
 *
 * The Invoke API runs any function with any payload, so it is the front door's most
 * powerful path. With `invoke_api.auth: sigv4` every call must carry a valid AWS Signature
 * Version 4 (Authorization header, or a presigned query) made with a listed key, for the
 * service `lambda`, in any region, dated within 15 minutes of fngate's clock; the body is
 * part of what is signed (its SHA-256, computed here when no x-amz-content-sha256 header
 * says it). Refusals carry Lambda's error types and messages.
 *
 * Whatever the mode, a request a browser sent (an Origin or Sec-Fetch-Site header; AWS
 * SDKs outside a browser send neither) is refused: a web page could otherwise POST a
 * "simple" cross-site request (text/plain, no preflight) to a gateway on the visitor's own
 * machine. With auth none on a loopback listener, the Host header must also name loopback
 * (an IP literal or localhost), so a DNS-rebinding page cannot pass itself off as
 * same-origin. Pure functions, any thread. Tests: tests/unit/test_invoke_auth.c,
 * tests/integration/test_invoke_auth.py. */
#ifndef FG_INVOKE_AUTH_H
#define FG_INVOKE_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/http_header.h"
#include "../core/iam_creds.h"

struct fg_invoke_auth_key;

/* What a listener checks, fixed at start, and the signing keys it derived. */
struct fg_invoke_auth {
    const struct fg_conf_invoke_api *conf;  /* borrowed for the listener's life */
    bool check_host;        /* auth none on a loopback listener: Host must name loopback */
    pthread_mutex_t lock;   /* guards keys: MHD threads verify at once */
    struct fg_invoke_auth_key *keys;    /* per credential (same index), its last derived key */
    size_t n_keys;
    struct fg_iam_creds *creds;         /* workers' role credentials (borrowed; the caller sets
                                         * it after init), or NULL: no role key is known */
};

/* A call as the front door read it. */
struct fg_invoke_caller {
    const char *method;
    const char *raw_path;       /* as sent, without the query */
    const char *raw_query;      /* as sent, without '?'; NULL or "" when none */
    const struct fg_http_header *headers;
    size_t n_headers;
    const char *body;           /* the whole body (NULL when empty) */
    size_t body_len;
    bool body_dropped;          /* over the size limit and not kept: it cannot be hashed */
};

/* Why a call is refused, as Lambda answers it: the status, x-amzn-ErrorType and the
 * body's message (AWS's signature layer answers {"message": ...}). */
struct fg_invoke_refusal {
    int status;                 /* 400 or 403 */
    const char *error_type;     /* static */
    char message[1024];         /* room for IAM's refusal with 64-character names */
};

/* Caller-embedded a; conf is borrowed until fg_invoke_auth_close; listen_host is the
 * address the front door binds (gateway.listen or --listen). Allocates a key slot per
 * credential. 0 or -ENOMEM. */
int fg_invoke_auth_init(struct fg_invoke_auth *a, const struct fg_conf_invoke_api *conf,
                        const char *listen_host) FG_MUST_CHECK;

/* Frees what init allocated (the derived keys, wiped). Zeroed or initialised a. */
void fg_invoke_auth_close(struct fg_invoke_auth *a);

/* Any thread. Decides whether c may call the Invoke API at now_s (epoch seconds). 0: it
 * may; -EACCES: refused, *why filled; -E2BIG: the head is acceptable but the body was
 * dropped, so the signature could not be checked: the caller answers 413
 * (RequestTooLargeException) and runs nothing. The signing key of a credential's scope is
 * derived once per day and region and kept (the derivation is half a verification). */
int fg_invoke_auth_check(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                         struct fg_invoke_refusal *why) FG_MUST_CHECK;

/* The same, saying who signed: who->function[0] is '\0' for a configured key or an
 * unauthenticated call, else the call was signed with the role credentials of that
 * function (checked against a->creds: live key, its session token from X-Amz-Security-Token
 * or the presigned query, its secret) and the caller must authorize it against
 * who->policy. Role signatures are checked with auth none too. A role key that is unknown
 * or released is refused as UnrecognizedClientException, an expired one as
 * ExpiredTokenException (403, Lambda's words). */
int fg_invoke_auth_check_as(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                            struct fg_iam_principal *who, struct fg_invoke_refusal *why) FG_MUST_CHECK;

/* The signature alone, whatever invoke_api.auth says, with neither the browser nor the
 * Host check: for function URLs with auth type AWS_IAM, which browsers and any Host may
 * reach. The same keys (invoke_api.credentials, role credentials) and returns. */
int fg_invoke_auth_check_signed(struct fg_invoke_auth *a, const struct fg_invoke_caller *c, long long now_s,
                                struct fg_iam_principal *who, struct fg_invoke_refusal *why) FG_MUST_CHECK;

/* Whether a role principal (who->function set) may do action ("lambda:InvokeFunction") on
 * the function arn: 0, or -EACCES with why filled as Lambda refuses it (403
 * AccessDeniedException, IAM's text). A configured key (who->function "") may do anything. */
int fg_invoke_auth_authorize(const struct fg_iam_principal *who, const char *account_id, const char *action,
                             const char *arn, struct fg_invoke_refusal *why) FG_MUST_CHECK;

#endif

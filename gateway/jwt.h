/* SPDX-License-Identifier: MIT */
/* jwt.h - JSON Web Tokens as API Gateway's JWT authorizers check them: parse a compact
 * token, verify its RS256 or ES256 signature with a JSON Web Key, check iss, aud (or
 * client_id), exp, nbf and iat, read its scopes and write its claims as the event carries
 * them.
 *
 * The signature is checked by GnuTLS (already linked for TLS): no hand-written crypto.
 * Only RS256 and ES256 are accepted: `alg: none`, HS256 (a public key used as an HMAC
 * secret) and anything else are refused when the token is parsed, and a key only verifies
 * the algorithm of its own type (kty RSA: RS256, kty EC with crv P-256: ES256, and the
 * key's own `alg` when it names one). Pure functions, any thread; a struct fg_jwk is
 * read-only once imported and may be shared. Tests: tests/unit/test_jwt.c. */
#ifndef FG_JWT_H
#define FG_JWT_H

#include <gnutls/abstract.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/buf.h"
#include "../core/err.h"

/* The longest token looked at (API Gateway's headers are 10 KB in all). */
#define FG_JWT_MAX_BYTES 10240
#define FG_JWK_KID_MAX 128

enum fg_jwt_alg {
    FG_JWT_ALG_NONE = 0,     /* a key that names no alg */
    FG_JWT_RS256,
    FG_JWT_ES256,
};

struct fg_jwk {
    char kid[FG_JWK_KID_MAX];       /* "" when the key has none */
    enum fg_jwt_alg alg;            /* what the key's type verifies */
    gnutls_pubkey_t key;            /* owned; fg_jwk_close */
};

/* One key of a JWKS (a JSON object) into k (caller-embedded). Keys fngate cannot use
 * (kty oct, crv P-384, use enc, an RSA modulus under 2048 bits) are -ENOTSUP with err
 * saying why, so a key set may hold them beside usable ones; a malformed key is -EINVAL;
 * -ENOMEM. On failure k holds nothing. */
int fg_jwk_import(json_t *jwk, struct fg_jwk *k, struct fg_err *err) FG_MUST_CHECK;
void fg_jwk_close(struct fg_jwk *k);

/* A parsed token. Owns claims. */
struct fg_jwt {
    enum fg_jwt_alg alg;
    char kid[FG_JWK_KID_MAX];       /* the header's kid, "" when none */
    json_t *claims;                 /* the payload object */
    size_t signed_len;              /* the token's first signed_len bytes are the signing input */
    struct fg_buf sig;              /* the decoded signature */
};

/* token[0..len) (no "Bearer ") into t (caller-embedded, zeroed by the call): three
 * base64url parts, a JSON header with alg RS256 or ES256 and no crit, a JSON object as
 * payload. 0, or -EINVAL with err saying why (t then holds nothing), or -ENOMEM. */
int fg_jwt_parse(const char *token, size_t len, struct fg_jwt *t, struct fg_err *err) FG_MUST_CHECK;
void fg_jwt_close(struct fg_jwt *t);

/* Whether t's signature over token's signing input verifies under k (whose alg must be
 * t's). 0, or -EACCES with err saying why. */
int fg_jwt_verify(const struct fg_jwt *t, const char *token, const struct fg_jwk *k, struct fg_err *err) FG_MUST_CHECK;

/* What a token must say, and when it is checked (epoch seconds). */
struct fg_jwt_expect {
    const char *issuer;
    const char *const *audience;    /* aud (a string or a list) or client_id must be one of these */
    size_t n_audience;
    long long now_s;
};

/* API Gateway's claim checks: iss equal to the issuer; aud, or client_id when there is
 * no aud, one of the audiences; exp present and after now; nbf and iat, when present, not
 * after now; each a number of seconds within 10^15 either way. *exp_s and *nbf_s receive
 * exp and nbf (nbf 0 when absent) so a cache can check the times again later. 0, or
 * -EACCES with err saying which claim. */
int fg_jwt_check_claims(const struct fg_jwt *t, const struct fg_jwt_expect *x, long long *exp_s, long long *nbf_s,
                        struct fg_err *err) FG_MUST_CHECK;

/* The token's scopes, space-separated, into out (reset first): the `scope` claim (a
 * space-separated string, OAuth 2.0) or else `scp` (a list, or a string). 0 or the
 * fg_buf error. */
int fg_jwt_scopes(const struct fg_jwt *t, struct fg_buf *out) FG_MUST_CHECK;

/* Whether the space-separated scopes hold at least one of want[0..n) (API Gateway's rule
 * for a route's authorization scopes); n 0 is true. */
bool fg_jwt_scopes_any(const char *scopes, const char *const *want, size_t n);

/* The claims as API Gateway's event carries them, a JSON object of strings appended to
 * out: strings as they are, numbers and booleans as their JSON text, lists as "[a b]" and
 * objects as "map[k:v]" (keys sorted), nulls left out. 0 or the fg_buf error. */
int fg_jwt_claims_write(const struct fg_jwt *t, struct fg_buf *out) FG_MUST_CHECK;

#endif

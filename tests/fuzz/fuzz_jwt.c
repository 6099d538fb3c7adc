/* SPDX-License-Identifier: MIT */
/* fuzz_jwt.c - libFuzzer target for JSON Web Tokens and key sets (gateway/jwt.c,
 * gateway/jwks.c): a token arrives from any client in an Authorization header, a key set
 * from an identity provider's URL. Built and run by `make fuzz`; seeds in corpus/fuzz_jwt/.
 *
 * Input, cut at newlines (fuzz.h): a JWKS document on one line; the rest is the token.
 * Invariants:
 * - fg_jwks_parse: 0 with 1..FG_JWKS_MAX_KEYS keys whose kid fits, or -EINVAL/-ENOMEM with
 *   nothing to free;
 * - fg_jwt_parse: 0 with alg RS256 or ES256, a signing input that ends before the last dot
 *   and a JSON object of claims, or -EINVAL with nothing left to free;
 * - fg_jwt_verify never succeeds with a key of the other algorithm;
 * - claims accepted by fg_jwt_check_claims have exp after now and nbf not after it;
 * - fg_jwt_claims_write gives a JSON object whose values are all strings, and the scopes
 *   are a string without doubled or outer spaces from scp lists. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "gateway/jwks.h"
#include "gateway/jwt.h"
#include "tests/fuzz/fuzz.h"

static void jwt_check_token(const char *tok, size_t n, const struct fg_jwks_keys *keys)
{
    struct fg_jwt t;
    struct fg_err err;
    struct fg_buf b;
    static const char *const aud[] = { "api" };
    struct fg_jwt_expect x = { "https://id.example.test", aud, 1, 1800000000LL };
    long long exp, nbf;
    json_t *claims, *v;
    const char *key;
    int rc = fg_jwt_parse(tok, n, &t, &err);

    if (rc < 0) {
        if (rc != -EINVAL && rc != -ENOMEM)
            fuzz_fail("fg_jwt_parse: rc %d", rc);
        if (t.claims)
            fuzz_fail("fg_jwt_parse failed but kept its claims");
        return;
    }
    if ((t.alg != FG_JWT_RS256 && t.alg != FG_JWT_ES256) || !json_is_object(t.claims) || t.signed_len >= n ||
        tok[t.signed_len] != '.')
        fuzz_fail("fg_jwt_parse: a token it should have refused");
    for (size_t i = 0; keys && i < keys->n; i++) {
        rc = fg_jwt_verify(&t, tok, &keys->keys[i], &err);
        if (rc == 0 && keys->keys[i].alg != t.alg)
            fuzz_fail("a %s token verified with a key of the other type",
                      t.alg == FG_JWT_RS256 ? "RS256" : "ES256");
    }
    if (fg_jwt_check_claims(&t, &x, &exp, &nbf, &err) == 0 && (exp <= x.now_s || nbf > x.now_s))
        fuzz_fail("claims accepted with exp %lld, nbf %lld at %lld", exp, nbf, x.now_s);
    fg_buf_init(&b, 1 << 20);
    if (fg_jwt_claims_write(&t, &b) == 0) {
        if (!(claims = json_loadb(b.data, b.len, 0, NULL)) || !json_is_object(claims))
            fuzz_fail("flattened claims are not a JSON object: %s", b.data);
        json_object_foreach(claims, key, v)
            if (!json_is_string(v))
                fuzz_fail("claim %s is not a string", key);
        json_decref(claims);
    }
    fg_buf_reset(&b);
    if (fg_jwt_scopes(&t, &b) == 0 && b.len && !json_is_string(json_object_get(t.claims, "scope")) &&
        (b.data[0] == ' ' || b.data[b.len - 1] == ' ' || strstr(b.data, "  ")))
        fuzz_fail("scopes from scp: '%s'", b.data);
    fg_buf_free(&b);
    fg_jwt_close(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct fg_jwks_keys *keys = NULL;
    struct fg_err err;
    size_t jlen = 0, tlen = 0;
    char *jwks = fuzz_line(&in, &jlen), *tok;
    int rc;

    if (!jwks)
        return 0;
    tok = fuzz_rest(&in, &tlen);
    rc = fg_jwks_parse(jwks, jlen, &keys, &err);
    if (rc < 0 && (keys || (rc != -EINVAL && rc != -ENOMEM)))
        fuzz_fail("fg_jwks_parse: rc %d", rc);
    if (rc == 0 && (!keys || !keys->n || keys->n > FG_JWKS_MAX_KEYS))
        fuzz_fail("fg_jwks_parse: %zu keys", keys ? keys->n : 0);
    jwt_check_token(tok, tlen, keys);
    fg_jwks_release(keys);
    free(tok);
    free(jwks);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* jwt.c - JSON Web Tokens: parse, verify with GnuTLS, check claims (see jwt.h).
 *
 * DESIGN: the token is untrusted input checked in the cheapest order: its size, its three
 * base64url parts, the header's alg (before any key is looked up), then the payload as a
 * JSON object. Claims are checked only after the signature (the caller's order, in
 * gateway/authorizer.c), so nothing in an unsigned payload decides anything. ES256's JOSE
 * signature is r||s (32 bytes each); GnuTLS verifies DER, so it is re-encoded with
 * gnutls_encode_rs_value (leading zero bytes dropped: DER integers are minimal). */
#include "jwt.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/base64.h"
#include "../core/json_write.h"

#define JWT_PART_MAX 8192      /* a decoded header or payload */
#define JWK_NUM_MAX 1024       /* a decoded n (8192 bits), e, x or y */

/* ------------------------------------------------------------------ keys */

/* The base64url member name of o, decoded into out (reset first). */
static int jwk_member(json_t *o, const char *name, struct fg_buf *out, struct fg_err *err)
{
    json_t *v = json_object_get(o, name);
    fg_buf_reset(out);
    if (!json_is_string(v) || !json_string_length(v) ||
        fg_base64url_decode(out, json_string_value(v), json_string_length(v)) < 0 || !out->len)
        return fg_err_set(err, out->err == -ENOMEM ? -ENOMEM : -EINVAL, "'%s' is not a base64url number", name);
    return 0;
}

static int jwk_import_rsa(json_t *jwk, struct fg_jwk *k, struct fg_err *err)
{
    struct fg_buf n, e;
    unsigned bits = 0;
    int rc;

    fg_buf_init(&n, JWK_NUM_MAX);
    fg_buf_init(&e, 16);
    if ((rc = jwk_member(jwk, "n", &n, err)) == 0 && (rc = jwk_member(jwk, "e", &e, err)) == 0) {
        gnutls_datum_t dn = { (unsigned char *)n.data, (unsigned)n.len }, de = { (unsigned char *)e.data, (unsigned)e.len };
        if (gnutls_pubkey_import_rsa_raw(k->key, &dn, &de) < 0)
            rc = fg_err_set(err, -EINVAL, "not an RSA public key");
        else if (gnutls_pubkey_get_pk_algorithm(k->key, &bits) != GNUTLS_PK_RSA || bits < 2048)
            rc = fg_err_set(err, -ENOTSUP, "an RSA key of %u bits (2048 at least)", bits);
    }
    fg_buf_free(&n);
    fg_buf_free(&e);
    k->alg = FG_JWT_RS256;
    return rc;
}

static int jwk_import_ec(json_t *jwk, struct fg_jwk *k, struct fg_err *err)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    struct fg_buf x, y;
    int rc;

    if (!crv || strcmp(crv, "P-256"))
        return fg_err_set(err, -ENOTSUP, "EC curve %s (fngate verifies P-256, ES256)", crv ? crv : "missing");
    fg_buf_init(&x, 32);
    fg_buf_init(&y, 32);
    if ((rc = jwk_member(jwk, "x", &x, err)) == 0 && (rc = jwk_member(jwk, "y", &y, err)) == 0) {
        gnutls_datum_t dx = { (unsigned char *)x.data, (unsigned)x.len }, dy = { (unsigned char *)y.data, (unsigned)y.len };
        if (x.len != 32 || y.len != 32 || gnutls_pubkey_import_ecc_raw(k->key, GNUTLS_ECC_CURVE_SECP256R1, &dx, &dy) < 0)
            rc = fg_err_set(err, -EINVAL, "not a P-256 public key");
    }
    fg_buf_free(&x);
    fg_buf_free(&y);
    k->alg = FG_JWT_ES256;
    return rc;
}

int fg_jwk_import(json_t *jwk, struct fg_jwk *k, struct fg_err *err)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    const char *alg = json_string_value(json_object_get(jwk, "alg"));
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    int rc;

    memset(k, 0, sizeof(*k));
    if (!json_is_object(jwk) || !kty)
        return fg_err_set(err, -EINVAL, "a key is an object with kty");
    if (use && strcmp(use, "sig"))
        return fg_err_set(err, -ENOTSUP, "use %s (not sig)", use);
    if (kid && strlen(kid) >= sizeof(k->kid))
        return fg_err_set(err, -EINVAL, "kid longer than %d bytes", FG_JWK_KID_MAX - 1);
    if (strcmp(kty, "RSA") && strcmp(kty, "EC"))
        return fg_err_set(err, -ENOTSUP, "kty %s (fngate verifies RSA and EC keys)", kty);
    if (gnutls_pubkey_init(&k->key) < 0)
        return fg_err_set(err, -ENOMEM, "out of memory");
    rc = !strcmp(kty, "RSA") ? jwk_import_rsa(jwk, k, err) : jwk_import_ec(jwk, k, err);
    if (rc == 0 && alg && strcmp(alg, k->alg == FG_JWT_RS256 ? "RS256" : "ES256"))
        rc = fg_err_set(err, -ENOTSUP, "alg %s on a %s key (fngate verifies RS256 and ES256)", alg, kty);
    if (rc < 0) {
        fg_jwk_close(k);
        return rc;
    }
    snprintf(k->kid, sizeof(k->kid), "%s", kid ? kid : "");
    return 0;
}

void fg_jwk_close(struct fg_jwk *k)
{
    if (k->key)
        gnutls_pubkey_deinit(k->key);
    k->key = NULL;
}

/* ------------------------------------------------------------------ tokens */

/* A base64url JSON object part into *out (owned). */
static int jwt_json_part(const char *s, size_t n, const char *what, json_t **out, struct fg_err *err)
{
    struct fg_buf b;
    int rc = 0;

    fg_buf_init(&b, JWT_PART_MAX);
    *out = NULL;
    if (fg_base64url_decode(&b, s, n) < 0 || !b.len)
        rc = fg_err_set(err, -EINVAL, "the %s is not base64url", what);
    else if (!(*out = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(*out))
        rc = fg_err_set(err, -EINVAL, "the %s is not a JSON object", what);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    fg_buf_free(&b);
    return rc;
}

int fg_jwt_parse(const char *token, size_t len, struct fg_jwt *t, struct fg_err *err)
{
    const char *d1, *d2, *alg, *kid;
    json_t *header = NULL;
    int rc;

    memset(t, 0, sizeof(*t));
    fg_buf_init(&t->sig, 1024);
    if (len > FG_JWT_MAX_BYTES)
        return fg_err_set(err, -EINVAL, "the token is longer than %d bytes", FG_JWT_MAX_BYTES);
    if (!(d1 = memchr(token, '.', len)) || !(d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ||
        memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return fg_err_set(err, -EINVAL, "a token is three parts separated by dots");
    if ((rc = jwt_json_part(token, (size_t)(d1 - token), "header", &header, err)) < 0)
        return rc;
    alg = json_string_value(json_object_get(header, "alg"));
    kid = json_string_value(json_object_get(header, "kid"));
    if (!alg || (strcmp(alg, "RS256") && strcmp(alg, "ES256")))
        rc = fg_err_set(err, -EINVAL, "alg %s is not accepted (RS256 or ES256)", alg ? alg : "missing");
    else if (json_object_get(header, "crit"))
        rc = fg_err_set(err, -EINVAL, "the header has crit extensions");
    else if (kid && strlen(kid) >= sizeof(t->kid))
        rc = fg_err_set(err, -EINVAL, "kid longer than %d bytes", FG_JWK_KID_MAX - 1);
    if (rc == 0) {
        t->alg = !strcmp(alg, "RS256") ? FG_JWT_RS256 : FG_JWT_ES256;
        snprintf(t->kid, sizeof(t->kid), "%s", kid ? kid : "");
        rc = jwt_json_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &t->claims, err);
    }
    json_decref(header);
    if (rc == 0 && (fg_base64url_decode(&t->sig, d2 + 1, len - (size_t)(d2 + 1 - token)) < 0 || !t->sig.len))
        rc = fg_err_set(err, -EINVAL, "the signature is not base64url");
    t->signed_len = (size_t)(d2 - token);
    if (rc < 0)
        fg_jwt_close(t);
    return rc;
}

void fg_jwt_close(struct fg_jwt *t)
{
    json_decref(t->claims);
    t->claims = NULL;
    fg_buf_free(&t->sig);
}

/* n bytes at p without their leading zeros (one kept). */
static gnutls_datum_t jwt_unsigned(const unsigned char *p, unsigned n)
{
    while (n > 1 && !*p)
        p++, n--;
    return (gnutls_datum_t){ (unsigned char *)p, n };
}

int fg_jwt_verify(const struct fg_jwt *t, const char *token, const struct fg_jwk *k, struct fg_err *err)
{
    gnutls_datum_t data = { (unsigned char *)token, (unsigned)t->signed_len };
    gnutls_datum_t sig = { (unsigned char *)t->sig.data, (unsigned)t->sig.len }, der = { NULL, 0 };
    int rc;

    if (k->alg != t->alg)
        return fg_err_set(err, -EACCES, "the key %s does not verify %s", k->kid, t->alg == FG_JWT_RS256 ? "RS256" : "ES256");
    if (t->alg == FG_JWT_ES256) {
        const unsigned char *rs = (const unsigned char *)t->sig.data;
        gnutls_datum_t r, s;
        if (t->sig.len != 64)
            return fg_err_set(err, -EACCES, "an ES256 signature is 64 bytes");
        r = jwt_unsigned(rs, 32);
        s = jwt_unsigned(rs + 32, 32);
        if (gnutls_encode_rs_value(&der, &r, &s) < 0)
            return fg_err_set(err, -EACCES, "the ES256 signature cannot be encoded");
        sig = der;
    }
    rc = gnutls_pubkey_verify_data2(k->key, t->alg == FG_JWT_RS256 ? GNUTLS_SIGN_RSA_SHA256 : GNUTLS_SIGN_ECDSA_SHA256,
                                    0, &data, &sig);
    gnutls_free(der.data);
    return rc < 0 ? fg_err_set(err, -EACCES, "bad signature") : 0;
}

/* ------------------------------------------------------------------ claims */

/* NumericDates beyond this many seconds either way (31 million years) are not dates: such
 * a claim is refused, and every accepted one converts to milliseconds without overflow. */
#define JWT_TIME_MAX_S 1000000000000000LL

/* A NumericDate claim: absent (-ENOENT), or a number (seconds) into *out; -EINVAL when it
 * is not a number within JWT_TIME_MAX_S. */
static int jwt_time(const struct fg_jwt *t, const char *name, long long *out)
{
    json_t *v = json_object_get(t->claims, name);
    if (!v)
        return -ENOENT;
    if (json_is_integer(v) && json_integer_value(v) >= -JWT_TIME_MAX_S && json_integer_value(v) <= JWT_TIME_MAX_S)
        *out = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) >= -(double)JWT_TIME_MAX_S &&
             json_real_value(v) <= (double)JWT_TIME_MAX_S)
        *out = (long long)json_real_value(v);
    else
        return -EINVAL;
    return 0;
}

static bool jwt_audience_ok(json_t *v, const struct fg_jwt_expect *x)
{
    size_t i;
    json_t *item;

    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (jwt_audience_ok(item, x))
                return true;
        return false;
    }
    for (i = 0; json_is_string(v) && i < x->n_audience; i++)
        if (!strcmp(json_string_value(v), x->audience[i]))
            return true;
    return false;
}

int fg_jwt_check_claims(const struct fg_jwt *t, const struct fg_jwt_expect *x, long long *exp_s, long long *nbf_s,
                        struct fg_err *err)
{
    const char *iss = json_string_value(json_object_get(t->claims, "iss"));
    json_t *aud = json_object_get(t->claims, "aud");
    long long v;
    int rc;

    if (!iss || strcmp(iss, x->issuer))
        return fg_err_set(err, -EACCES, "iss is not the issuer");
    if (!jwt_audience_ok(aud ? aud : json_object_get(t->claims, "client_id"), x))
        return fg_err_set(err, -EACCES, "%s is not one of the audiences", aud ? "aud" : "client_id");
    if (jwt_time(t, "exp", exp_s) < 0)
        return fg_err_set(err, -EACCES, "exp is missing or not a number");
    if (*exp_s <= x->now_s)
        return fg_err_set(err, -EACCES, "expired");
    *nbf_s = 0;
    if ((rc = jwt_time(t, "nbf", nbf_s)) == -EINVAL || (rc == 0 && *nbf_s > x->now_s))
        return fg_err_set(err, -EACCES, "not valid yet (nbf)");
    if ((rc = jwt_time(t, "iat", &v)) == -EINVAL || (rc == 0 && v > x->now_s))
        return fg_err_set(err, -EACCES, "issued in the future (iat)");
    return 0;
}

int fg_jwt_scopes(const struct fg_jwt *t, struct fg_buf *out)
{
    json_t *v = json_object_get(t->claims, "scope"), *item;
    size_t i;

    fg_buf_reset(out);
    if (!json_is_string(v))
        v = json_object_get(t->claims, "scp");
    if (json_is_string(v))
        return fg_buf_append(out, json_string_value(v), json_string_length(v));
    json_array_foreach(v, i, item)
        if (json_is_string(item) && !strchr(json_string_value(item), ' ')) {
            if (out->len)
                fg_buf_append(out, " ", 1);
            fg_buf_append(out, json_string_value(item), json_string_length(item));
        }
    return fg_buf_append(out, "", 0);
}

bool fg_jwt_scopes_any(const char *scopes, const char *const *want, size_t n)
{
    if (!n)
        return true;
    for (const char *s = scopes; s && *s;) {
        size_t len = strcspn(s, " ");
        for (size_t i = 0; i < n; i++)
            if (strlen(want[i]) == len && !memcmp(want[i], s, len))
                return true;
        s += len;
        s += strspn(s, " ");
    }
    return false;
}

static int jwt_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* v as Go's %v prints decoded JSON (API Gateway's flattening), escaped, into out. */
static int jwt_flat(struct fg_buf *out, json_t *v, int depth)
{
    char num[64];
    size_t i;
    json_t *item;

    if (depth > 16)
        return fg_buf_append(out, "", 0);
    switch (json_typeof(v)) {
    case JSON_STRING:
        return fg_json_write_escaped(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return fg_buf_append_str(out, num);
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return fg_buf_append_str(out, num);
    case JSON_TRUE:
        return fg_buf_append_str(out, "true");
    case JSON_FALSE:
        return fg_buf_append_str(out, "false");
    case JSON_ARRAY:
        fg_buf_append(out, "[", 1);
        json_array_foreach(v, i, item) {
            if (i)
                fg_buf_append(out, " ", 1);
            jwt_flat(out, item, depth + 1);
        }
        return fg_buf_append(out, "]", 1);
    case JSON_OBJECT: {
        size_t n = json_object_size(v), k = 0;
        const char **keys = malloc((n ? n : 1) * sizeof(*keys)), *key;
        if (!keys)
            return -ENOMEM;
        json_object_foreach(v, key, item)
            keys[k++] = key;
        qsort(keys, k, sizeof(*keys), jwt_key_cmp);
        fg_buf_append_str(out, "map[");
        for (i = 0; i < k; i++) {
            if (i)
                fg_buf_append(out, " ", 1);
            fg_json_write_escaped(out, keys[i], strlen(keys[i]));
            fg_buf_append(out, ":", 1);
            jwt_flat(out, json_object_get(v, keys[i]), depth + 1);
        }
        free(keys);
        return fg_buf_append(out, "]", 1);
    }
    default:
        return fg_buf_append_str(out, "<nil>");
    }
}

int fg_jwt_claims_write(const struct fg_jwt *t, struct fg_buf *out)
{
    const char *key;
    json_t *v;
    bool first = true;

    fg_buf_append(out, "{", 1);
    json_object_foreach(t->claims, key, v) {
        if (json_is_null(v))
            continue;
        if (!first)
            fg_buf_append(out, ",", 1);
        first = false;
        fg_json_write_str(out, key, strlen(key));
        fg_buf_append(out, ":\"", 2);
        jwt_flat(out, v, 0);
        fg_buf_append(out, "\"", 1);
    }
    return fg_buf_append(out, "}", 1);
}

/* SPDX-License-Identifier: MIT */
/* test_jwt.c - gateway/jwt.h (parse, verify RS256 and ES256 with fixed vectors, refuse
 * forged and wrongly typed tokens, claim checks, scopes, the flattened claims) and
 * gateway/jwks.h's parser. The vectors were made once with python3-cryptography (keys
 * of their own; the tokens expire in 2100). */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "gateway/jwks.h"
#include "gateway/jwt.h"
#include "unit.h"

static const char jwks_json[] =
    "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"rsa-1\", \"use\": \"sig\", \"alg\": \"RS256\", \"n\": \"kNUewMDIjqaiKHRdwfV"
    "E858i5LZsxa-Tx6Koqix27s-AAs63mZk9BQTYQwwTtTHcP-ufLXbNkslr9zK-kggoFCH0Y0U9QrGhwmDBfzX_F9PjRwIJ9OI"
    "tddPwWQ0QFE_-UkiKi_E8w3vcP17FmnCEtNck8hqDQ2aS19wuELlJsHw9syN0LZsM-VncSPCcOqeYKiI6q0cEx7c8JbRk8xG"
    "etgt5mPme3PkNUa0YM5H4KJlgsMjTOdapRGDBvXlM6y1yyPfHcjkVGfZh8IIDOwEeIAYsoFxd9NGD-7J0TLx3Af2fNkOBJ9p"
    "uLIwK9YGbZR4EW6mqBHK2BE2piv80cr2D8w\", \"e\": \"AQAB\"}, {\"kty\": \"EC\", \"kid\": \"ec-1\", \"crv\": \"P-256\","
    " \"x\": \"lntmcJBkPv1bv4YkF4g1Gp84X4h4ZVJGDdaIKxHJpA8\", \"y\": \"0aKiaoR3uxKSOhFEvpXVtoG67D5zUgKyXoHtu"
    "Gg5Ez0\"}]}";

/* {"alg":"RS256","typ":"JWT","kid":"rsa-1"} over the claims below. */
static const char rs256[] =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS0xIn0.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVz"
    "dCIsImF1ZCI6WyJhcGkiLCJ4Il0sInN1YiI6ImFsaWNlIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInNj"
    "b3BlIjoib3JkZXJzOnJlYWQgcHJvZmlsZSIsImdyb3VwcyI6WyJhIiwiYiJdLCJuIjo0Miwib2JqIjp7ImIiOjEsImEiOiJ4"
    "In0sIm5vdGhpbmciOm51bGx9.Z_9fRiPSNZQ4oBVx_sVmTdg3xXNydwJuBmzUuxgiP1hPWxgOoEDEslW6aluJaHSXPBHQRDR"
    "IB418qAksuR8qhBd1IONCbNhhlJ2ztHSd61qcip8L1dfGvM70xjRxazAv87je7f0wJDO68ZBKuQbOBZNgamNOcRKn-a0SC8k"
    "SC-AxnXdFmrKXdnHqIMLGapeFSwnNtDPdQ4RVX01G5249Ut-YtHKtuzzu3updS8ghXtd29hYn2x2R1Pc23ZHvVfu5TAmaloy"
    "YrhD4JNJChuMG1iKuNlov83ZCFutlkHALDh9SLglxmLohjy0LvoRNNa4h13NYfZUUBDkYXib7ZfD1GQ";

/* The same claims, ES256 (raw r||s), kid ec-1. */
static const char es256[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzd"
    "CIsImF1ZCI6WyJhcGkiLCJ4Il0sInN1YiI6ImFsaWNlIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDAsInNjb"
    "3BlIjoib3JkZXJzOnJlYWQgcHJvZmlsZSIsImdyb3VwcyI6WyJhIiwiYiJdLCJuIjo0Miwib2JqIjp7ImIiOjEsImEiOiJ4I"
    "n0sIm5vdGhpbmciOm51bGx9.ShlwsPj6cNNQvAoLYfd1IcPCHJQBYsJ23tyUz3WcvG7rj-VLzYi2Sw-h2SK0ilZDeBxMEEmW"
    "DrdvU0_s5xTVtg";

/* Claims of both: iss https://id.example.test, aud [api x], sub alice, iat 1700000000,
 * exp 4102444800, scope "orders:read profile", groups [a b], n 42, obj {b:1, a:"x"},
 * nothing null. */
#define NOW 1800000000LL

static struct fg_jwks_keys *load_keys(void)
{
    struct fg_jwks_keys *k = NULL;
    struct fg_err err;
    ck_assert_msg(fg_jwks_parse(jwks_json, strlen(jwks_json), &k, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(k->n, 2);
    ck_assert_str_eq(k->keys[0].kid, "rsa-1");
    ck_assert_str_eq(k->keys[1].kid, "ec-1");
    return k;
}

static const char *const audience[] = { "other", "api" };

START_TEST(test_verify_vectors)
{
    struct fg_jwks_keys *k = load_keys();
    const char *tokens[] = { rs256, es256 };
    struct fg_err err;

    for (int i = 0; i < 2; i++) {
        struct fg_jwt t;
        struct fg_jwt_expect x = { "https://id.example.test", audience, 2, NOW };
        long long exp = 0, nbf = -1;
        ck_assert_msg(fg_jwt_parse(tokens[i], strlen(tokens[i]), &t, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(t.alg, i ? FG_JWT_ES256 : FG_JWT_RS256);
        ck_assert_str_eq(t.kid, i ? "ec-1" : "rsa-1");
        ck_assert_msg(fg_jwt_verify(&t, tokens[i], &k->keys[i], &err) == 0, "%s", err.msg);
        /* The other key (the other type) never verifies it. */
        ck_assert_int_eq(fg_jwt_verify(&t, tokens[i], &k->keys[1 - i], &err), -EACCES);
        ck_assert_msg(fg_jwt_check_claims(&t, &x, &exp, &nbf, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(exp, 4102444800LL);
        ck_assert_int_eq(nbf, 0);
        fg_jwt_close(&t);
    }
    fg_jwks_release(k);
}
END_TEST

/* tokens[i] with one byte of part `part` changed. */
static void flip(char *out, size_t size, const char *tok, int part)
{
    const char *p = tok;
    size_t off;
    for (int i = 0; i < part; i++)
        p = strchr(p, '.') + 1;
    off = (size_t)(p - tok) + 5;
    snprintf(out, size, "%s", tok);
    out[off] = out[off] == 'A' ? 'B' : 'A';
}

START_TEST(test_forged)
{
    struct fg_jwks_keys *k = load_keys();
    const char *tokens[] = { rs256, es256 };
    char bad[2048];
    struct fg_jwt t;
    struct fg_err err;

    for (int i = 0; i < 2; i++) {
        for (int part = 1; part <= 2; part++) {
            flip(bad, sizeof(bad), tokens[i], part);
            if (fg_jwt_parse(bad, strlen(bad), &t, &err) == 0) {
                ck_assert_int_eq(fg_jwt_verify(&t, bad, &k->keys[i], &err), -EACCES);
                fg_jwt_close(&t);
            }
        }
    }
    /* An ES256 signature that is not 64 bytes (r||s) is refused, not read past. */
    snprintf(bad, sizeof(bad), "%.*sAAAA", (int)(strrchr(es256, '.') + 1 - es256), es256);
    ck_assert_int_eq(fg_jwt_parse(bad, strlen(bad), &t, &err), 0);
    ck_assert_int_eq(fg_jwt_verify(&t, bad, &k->keys[1], &err), -EACCES);
    ck_assert_str_eq(err.msg, "an ES256 signature is 64 bytes");
    fg_jwt_close(&t);
    fg_jwks_release(k);
}
END_TEST

static const struct {
    const char *token;
    const char *why;
} refused_cases[] = {
    { "", "three parts" },
    { "a.b", "three parts" },
    { "a.b.c.d", "three parts" },
    /* {"alg":"none"} . {} . */
    { "eyJhbGciOiJub25lIn0.e30.", "alg none" },
    /* {"alg":"HS256","kid":"rsa-1"} . {} . x */
    { "eyJhbGciOiJIUzI1NiIsImtpZCI6InJzYS0xIn0.e30.eA", "HS256" },
    /* {"alg":"RS256","crit":["x"]} . {} . x */
    { "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsieCJdfQ.e30.eA", "crit" },
    /* {"alg":"RS256"} . [] . x: the payload is not an object */
    { "eyJhbGciOiJSUzI1NiJ9.W10.eA", "payload" },
    /* padding and the standard alphabet are not base64url */
    { "eyJhbGciOiJSUzI1NiJ9=.e30.eA", "header" },
    { "eyJhbGciOiJSUzI1NiJ9.e30.e+A", "signature" },
};

START_TEST(test_refused_at_parse)
{
    struct fg_jwt t;
    struct fg_err err;
    const char *tok = refused_cases[_i].token;
    ck_assert_int_eq(fg_jwt_parse(tok, strlen(tok), &t, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, refused_cases[_i].why), "%s: %s", tok, err.msg);
}
END_TEST

START_TEST(test_claims)
{
    struct fg_jwt t;
    struct fg_err err;
    struct fg_buf b;
    long long exp, nbf;
    static const char *const only_other[] = { "other" };
    struct fg_jwt_expect ok = { "https://id.example.test", audience, 2, NOW };
    struct fg_jwt_expect x;

    ck_assert_int_eq(fg_jwt_parse(rs256, strlen(rs256), &t, &err), 0);
    x = ok;
    x.issuer = "https://id.example.test/";
    ck_assert_int_eq(fg_jwt_check_claims(&t, &x, &exp, &nbf, &err), -EACCES);
    ck_assert_str_eq(err.msg, "iss is not the issuer");
    x = ok;
    x.audience = only_other;
    x.n_audience = 1;
    ck_assert_int_eq(fg_jwt_check_claims(&t, &x, &exp, &nbf, &err), -EACCES);
    x = ok;
    x.now_s = 4102444800LL;                  /* exp is not after now */
    ck_assert_int_eq(fg_jwt_check_claims(&t, &x, &exp, &nbf, &err), -EACCES);
    ck_assert_str_eq(err.msg, "expired");
    x = ok;
    x.now_s = 1699999999LL;                  /* issued in the future */
    ck_assert_int_eq(fg_jwt_check_claims(&t, &x, &exp, &nbf, &err), -EACCES);

    /* Times that are not dates (they would overflow as milliseconds) are refused. */
    {
        /* {"alg":"RS256"} . {"iss":...,"aud":"api","exp":9223372036854775807} . x, and nbf -9e18 */
        static const char *const huge[] = {
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzdCIsImF1ZCI6ImFwaSIsImV4cCI6"
            "OTIyMzM3MjAzNjg1NDc3NTgwN30.eA",
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzdCIsImF1ZCI6ImFwaSIsImV4cCI6"
            "NDEwMjQ0NDgwMCwibmJmIjotOTAwMDAwMDAwMDAwMDAwMDAwMH0.eA",
        };
        for (int i = 0; i < 2; i++) {
            struct fg_jwt h;
            ck_assert_int_eq(fg_jwt_parse(huge[i], strlen(huge[i]), &h, &err), 0);
            ck_assert_int_eq(fg_jwt_check_claims(&h, &ok, &exp, &nbf, &err), -EACCES);
            fg_jwt_close(&h);
        }
    }
    fg_buf_init(&b, 4096);
    ck_assert_int_eq(fg_jwt_scopes(&t, &b), 0);
    ck_assert_str_eq(b.data, "orders:read profile");
    ck_assert(fg_jwt_scopes_any(b.data, (const char *const[]){ "x", "profile" }, 2));
    ck_assert(!fg_jwt_scopes_any(b.data, (const char *const[]){ "orders", "orders:read:all" }, 2));
    ck_assert(fg_jwt_scopes_any(b.data, NULL, 0));
    ck_assert(!fg_jwt_scopes_any("", (const char *const[]){ "a" }, 1));
    fg_buf_reset(&b);
    ck_assert_int_eq(fg_jwt_claims_write(&t, &b), 0);
    ck_assert_str_eq(b.data, "{\"iss\":\"https://id.example.test\",\"aud\":\"[api x]\",\"sub\":\"alice\","
                             "\"iat\":\"1700000000\",\"exp\":\"4102444800\",\"scope\":\"orders:read profile\","
                             "\"groups\":\"[a b]\",\"n\":\"42\",\"obj\":\"map[a:x b:1]\"}");
    fg_buf_free(&b);
    fg_jwt_close(&t);
}
END_TEST

START_TEST(test_jwks_parse)
{
    struct fg_jwks_keys *k = NULL;
    struct fg_err err;
    /* Unusable keys are skipped (oct, P-384, enc, a short RSA modulus); none left is an error. */
    static const char only_unusable[] =
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
    ck_assert_int_eq(fg_jwks_parse(only_unusable, strlen(only_unusable), &k, &err), -EINVAL);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(fg_jwks_parse("[]", 2, &k, &err), -EINVAL);
    ck_assert_int_eq(fg_jwks_parse("{\"keys\":", 8, &k, &err), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("jwt");
    tcase_add_test(tc, test_verify_vectors);
    tcase_add_test(tc, test_forged);
    tcase_add_loop_test(tc, test_refused_at_parse, 0, (int)(sizeof(refused_cases) / sizeof(refused_cases[0])));
    tcase_add_test(tc, test_claims);
    tcase_add_test(tc, test_jwks_parse);
    return fg_unit_run(s, tc);
}

/* SPDX-License-Identifier: MIT */
/* test_invoke_auth.c - gateway/invoke_auth.h: who may call the Invoke API. A request botocore
 * signed (the vector of test_sigv4.c) is accepted with its key and refused, with Lambda's
 * error type and message, when anything about it is wrong; browsers are refused in every
 * mode; with auth none on loopback the Host must be an address or localhost. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/sha256.h"
#include "gateway/invoke_auth.h"
#include "unit.h"

#define AK "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define PATH "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3AF%3A%24LATEST/invocations"
#define BODY "{\"a\":1}"
#define SIGNED_AT 1767323045LL    /* 2026-01-02T03:04:05Z, when botocore signed it */
#define AUTHZ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-3/lambda/aws4_request, " \
              "SignedHeaders=host;x-amz-date;x-amz-invocation-type, "                             \
              "Signature=1f25d2b6524a1a822a9cfedb68c9053bbeaaf09f99b36cf1774545f178a952e8"

/* The signed request, with up to two headers added or replaced. */
struct auth_req {
    struct fg_http_header h[8];
    struct fg_invoke_caller c;
};

static void auth_req_init(struct auth_req *q)
{
    static const struct fg_http_header base[] = {
        { "Host", "127.0.0.1:8080" },
        { "X-Amz-Invocation-Type", "RequestResponse" },
        { "X-Amz-Date", "20260102T030405Z" },
        { "Authorization", AUTHZ },
    };
    memset(q, 0, sizeof(*q));
    memcpy(q->h, base, sizeof(base));
    q->c = (struct fg_invoke_caller){ .method = "POST", .raw_path = PATH, .raw_query = "", .headers = q->h,
                                      .n_headers = 4, .body = BODY, .body_len = strlen(BODY) };
}

static void auth_req_set(struct auth_req *q, const char *name, const char *value)
{
    for (size_t i = 0; i < q->c.n_headers; i++)
        if (!strcasecmp(q->h[i].name, name)) {
            q->h[i].value = value;
            return;
        }
    q->h[q->c.n_headers++] = (struct fg_http_header){ name, value };
}

static void auth_req_drop(struct auth_req *q, const char *name)
{
    for (size_t i = 0; i < q->c.n_headers; i++)
        if (!strcasecmp(q->h[i].name, name)) {
            q->h[i] = q->h[--q->c.n_headers];
            return;
        }
}

static struct fg_conf_credential creds[] = {
    { .access_key = "OTHERKEY", .secret_key = "other" },
    { .access_key = AK, .secret_key = SECRET },
};

/* A gate over conf (replacing the one a held: close a zeroed one is fine). */
static void auth_open(struct fg_invoke_auth *a, struct fg_conf_invoke_api *conf, const char *listen_host)
{
    fg_invoke_auth_close(a);
    ck_assert_int_eq(fg_invoke_auth_init(a, conf, listen_host), 0);
}

static void auth_sigv4(struct fg_invoke_auth *a, struct fg_conf_invoke_api *conf, size_t n_creds)
{
    *conf = (struct fg_conf_invoke_api){ .enabled = true, .auth = FG_INVOKE_AUTH_SIGV4,
                                         .credentials = { n_creds == 2 ? creds : creds + 1, n_creds } };
    auth_open(a, conf, "127.0.0.1");
}

/* Refused with this status, type and a message starting with message. */
static void assert_refused(struct fg_invoke_auth *a, const struct auth_req *q, long long now, int status,
                           const char *type, const char *message)
{
    struct fg_invoke_refusal why;
    ck_assert_int_eq(fg_invoke_auth_check(a, &q->c, now, &why), -EACCES);
    ck_assert_int_eq(why.status, status);
    ck_assert_str_eq(why.error_type, type);
    ck_assert_msg(!strncmp(why.message, message, strlen(message)), "message: %s", why.message);
}

START_TEST(test_signed_by_a_listed_key)
{
    struct fg_conf_invoke_api conf;
    struct fg_invoke_auth a = { 0 };
    struct fg_invoke_refusal why;
    struct auth_req q;

    auth_sigv4(&a, &conf, 2);       /* the key is the second of two */
    auth_req_init(&q);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &q.c, SIGNED_AT, &why), 0);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &q.c, SIGNED_AT + 900, &why), 0);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &q.c, SIGNED_AT - 900, &why), 0);
    /* The payload hash a client declares is used when it is the body's. */
    char hex[65];
    struct fg_sha256 sha;
    unsigned char d[32];
    fg_sha256_init(&sha);
    fg_sha256_update(&sha, BODY, strlen(BODY));
    fg_sha256_final(&sha, d);
    fg_sha256_hex(d, hex);
    auth_req_set(&q, "x-amz-content-sha256", hex);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &q.c, SIGNED_AT, &why), 0);
    /* A body too large to keep cannot be hashed: the caller answers 413 instead. */
    auth_req_init(&q);
    q.c.body = NULL;
    q.c.body_len = 0;
    q.c.body_dropped = true;
    ck_assert_int_eq(fg_invoke_auth_check(&a, &q.c, SIGNED_AT, &why), -E2BIG);
    fg_invoke_auth_close(&a);
}
END_TEST

START_TEST(test_refusals_in_lambdas_words)
{
    struct fg_conf_invoke_api conf;
    struct fg_invoke_auth a = { 0 };
    struct auth_req q;

    auth_sigv4(&a, &conf, 2);
    auth_req_init(&q);
    auth_req_drop(&q, "Authorization");
    assert_refused(&a, &q, SIGNED_AT, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");

    conf.credentials = (struct fg_conf_credentials){ creds, 1 };     /* only OTHERKEY */
    auth_open(&a, &conf, "127.0.0.1");
    auth_req_init(&q);
    assert_refused(&a, &q, SIGNED_AT, 403, "UnrecognizedClientException",
                   "The security token included in the request is invalid.");

    struct fg_conf_credential wrong[] = { { .access_key = AK, .secret_key = "not the secret" } };
    conf.credentials = (struct fg_conf_credentials){ wrong, 1 };
    auth_open(&a, &conf, "127.0.0.1");
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException",
                   "The request signature we calculated does not match the signature you provided. Check your AWS "
                   "Secret Access Key and signing method.");

    auth_sigv4(&a, &conf, 2);
    assert_refused(&a, &q, SIGNED_AT + 901, 403, "InvalidSignatureException",
                   "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T031906Z - 15 min.)");
    assert_refused(&a, &q, SIGNED_AT - 901, 403, "InvalidSignatureException",
                   "Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z "
                   "(20260102T024904Z + 15 min.)");

    q.c.body = "{\"a\":2}";             /* another body than the one signed */
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException", "The request signature we calculated");
    auth_req_init(&q);
    q.c.raw_path = "/2015-03-31/functions/G/invocations";
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException", "The request signature we calculated");
    auth_req_init(&q);
    auth_req_set(&q, "X-Amz-Invocation-Type", "Event");     /* a signed header */
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException", "The request signature we calculated");
    auth_req_init(&q);
    auth_req_set(&q, "x-amz-content-sha256", "0000000000000000000000000000000000000000000000000000000000000000");
    assert_refused(&a, &q, SIGNED_AT, 400, "InvalidSignatureException",
                   "The provided 'x-amz-content-sha256' header does not match what was computed.");

    auth_req_init(&q);
    auth_req_set(&q, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-3/s3/aws4_request, "
                                      "SignedHeaders=host;x-amz-date, Signature="
                                      "1f25d2b6524a1a822a9cfedb68c9053bbeaaf09f99b36cf1774545f178a952e8");
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException",
                   "Credential should be scoped to correct service: 'lambda'.");
    auth_req_set(&q, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/lambda/aws4_request, "
                                      "SignedHeaders=host;x-amz-date, Signature="
                                      "1f25d2b6524a1a822a9cfedb68c9053bbeaaf09f99b36cf1774545f178a952e8");
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException",
                   "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                   "'20260101' != '20260102'");
    auth_req_set(&q, "Authorization", "Bearer abc");
    assert_refused(&a, &q, SIGNED_AT, 400, "IncompleteSignatureException", "only AWS4-HMAC-SHA256 is supported");
    auth_req_init(&q);
    auth_req_set(&q, "X-Amz-Date", "2026-01-02T03:04:05Z");
    assert_refused(&a, &q, SIGNED_AT, 400, "IncompleteSignatureException",
                   "Date must be in ISO-8601 'basic format'. Got '2026-01-02T03:04:05Z'.");
    fg_invoke_auth_close(&a);
}
END_TEST

/* The presigned vector of test_sigv4.c, through the gate: valid for its 300 seconds; and the
 * same key signing for two regions in turn. */
START_TEST(test_presigned)
{
    static const struct fg_http_header hs[] = { { "Host", "127.0.0.1:8080" } };
    struct fg_conf_invoke_api conf;
    struct fg_invoke_auth a = { 0 };
    struct fg_invoke_refusal why;
    struct fg_invoke_caller c = {
        .method = "POST", .raw_path = "/2015-03-31/functions/F/invocations", .headers = hs, .n_headers = 1,
        .raw_query = "Qualifier=%24LATEST&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102"
                     "%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=300"
                     "&X-Amz-SignedHeaders=host"
                     "&X-Amz-Signature=bd1747a365841b48a710a0c418da7d8a5d287c829e2ba0ae0f9494bb3b8ff32e",
    };
    struct auth_req q = { .c = c };

    struct auth_req header_signed;

    auth_sigv4(&a, &conf, 2);
    auth_req_init(&header_signed);
    /* One key, two scopes (eu-west-3, us-east-1) in turn: the kept signing key follows. */
    ck_assert_int_eq(fg_invoke_auth_check(&a, &header_signed.c, SIGNED_AT, &why), 0);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &c, SIGNED_AT + 300, &why), 0);
    ck_assert_int_eq(fg_invoke_auth_check(&a, &header_signed.c, SIGNED_AT, &why), 0);
    assert_refused(&a, &q, SIGNED_AT + 301, 403, "InvalidSignatureException",
                   "Signature expired: the presigned request was valid until 20260102T030905Z");
    c.body = "{}";                      /* it signed an empty body */
    c.body_len = 2;
    q.c = c;
    assert_refused(&a, &q, SIGNED_AT, 403, "InvalidSignatureException", "The request signature we calculated");
    fg_invoke_auth_close(&a);
}
END_TEST

/* A browser's request is refused whatever the mode and however well signed. */
START_TEST(test_browsers_refused)
{
    static const char *const browser[][2] = {
        { "Origin", "http://attacker.example" }, { "Origin", "null" }, { "Origin", "http://127.0.0.1:8080" },
        { "Sec-Fetch-Site", "cross-site" }, { "sec-fetch-site", "same-origin" },
    };
    struct fg_conf_invoke_api conf;
    struct fg_invoke_auth a = { 0 };
    struct auth_req q;

    for (size_t i = 0; i < sizeof(browser) / sizeof(browser[0]); i++) {
        auth_sigv4(&a, &conf, 2);
        auth_req_init(&q);
        auth_req_set(&q, browser[i][0], browser[i][1]);
        assert_refused(&a, &q, SIGNED_AT, 403, "AccessDeniedException", "fngate does not take Invoke API calls from web browsers");
        conf = (struct fg_conf_invoke_api){ .enabled = true, .auth = FG_INVOKE_AUTH_NONE };
        auth_open(&a, &conf, "0.0.0.0");
        assert_refused(&a, &q, SIGNED_AT, 403, "AccessDeniedException", "fngate does not take Invoke API calls from web browsers");
    }
    fg_invoke_auth_close(&a);
}
END_TEST

/* auth none on loopback: Host must be an address or localhost (DNS rebinding). */
START_TEST(test_host_on_loopback_without_auth)
{
    static const struct { const char *host; bool ok; } rows[] = {
        { "127.0.0.1:8080", true }, { "127.0.0.1", true }, { "localhost:8080", true }, { "LocalHost", true },
        { "[::1]:8080", true }, { "[::1]", true }, { "::1", true }, { "192.168.1.20:8080", true },
        { NULL, true },
        { "attacker.example", false }, { "attacker.example:8080", false }, { "127.0.0.1.nip.io:8080", false },
        { "localhost.:8080", false }, { "x.localhost:8080", false }, { "127.0.0.1:80x", false },
        { "127.0.0.1:", false }, { "[::1]x", false }, { "[::1", false }, { "", false },
    };
    struct fg_conf_invoke_api conf = { .enabled = true, .auth = FG_INVOKE_AUTH_NONE };
    struct fg_invoke_auth a = { 0 }, open_lan = { 0 };
    struct fg_invoke_refusal why;
    struct auth_req q;

    auth_open(&a, &conf, "127.0.0.1");
    auth_open(&open_lan, &conf, "0.0.0.0");    /* auth none written on purpose: any Host */
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        auth_req_init(&q);
        auth_req_drop(&q, "Authorization");
        if (rows[i].host)
            auth_req_set(&q, "Host", rows[i].host);
        else
            auth_req_drop(&q, "Host");
        if (rows[i].ok)
            ck_assert_msg(fg_invoke_auth_check(&a, &q.c, 0, &why) == 0, "Host %s: %s", rows[i].host, why.message);
        else
            assert_refused(&a, &q, 0, 403, "AccessDeniedException", "Host '");
        ck_assert_int_eq(fg_invoke_auth_check(&open_lan, &q.c, 0, &why), 0);
    }
    fg_invoke_auth_close(&a);
    fg_invoke_auth_close(&open_lan);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("invoke_auth");
    TCase *tc = tcase_create("invoke_auth");
    tcase_add_test(tc, test_signed_by_a_listed_key);
    tcase_add_test(tc, test_refusals_in_lambdas_words);
    tcase_add_test(tc, test_presigned);
    tcase_add_test(tc, test_browsers_refused);
    tcase_add_test(tc, test_host_on_loopback_without_auth);
    return fg_unit_run(s, tc);
}

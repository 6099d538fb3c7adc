/* SPDX-License-Identifier: MIT */
/* test_sigv4.c - gateway/sigv4.h against AWS's published examples: the S3 GET Object
 * example of the S3 documentation, the string-to-sign example of the SigV4 test suite, a
 * presigned URL, and the refusals (wrong key, wrong secret, expired, malformed); and
 * against botocore for Lambda's rules (the path encoded twice, the body's hash). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/sha256.h"
#include "gateway/sigv4.h"
#include "unit.h"

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct fg_http_header get_headers[] = {
    { "Host", "examplebucket.s3.amazonaws.com" },
    { "Range", "bytes=0-9" },
    { "x-amz-content-sha256", EMPTY },
    { "x-amz-date", "20130524T000000Z" },
    { "Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
};

START_TEST(test_s3_get_object_example)
{
    struct fg_sigv4_request r = { "GET", "/test.txt", NULL, get_headers, 5, EMPTY, FG_SIGV4_S3 };
    struct fg_sigv4_auth a;
    struct fg_err err;
    struct fg_buf canon;

    ck_assert_int_eq(fg_sigv4_parse(&r, &a, &err), 0);
    ck_assert_str_eq(a.access_key, S3_AK);
    ck_assert_str_eq(a.date, "20130524");
    ck_assert_str_eq(a.region, "us-east-1");
    ck_assert_str_eq(a.service, "s3");
    ck_assert_str_eq(a.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
    fg_buf_init(&canon, 1 << 16);
    ck_assert_int_eq(fg_sigv4_canonical(&r, &a, &canon), 0);
    ck_assert_str_eq(canon.data, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                                 "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
                                 "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
    fg_buf_free(&canon);
    ck_assert_msg(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, "wrong-secret", 1369353600, &err), -EACCES);
    ck_assert_ptr_nonnull(strstr(err.msg, "SignatureDoesNotMatch"));
    ck_assert_int_eq(fg_sigv4_verify(&r, "AKIAOTHER", S3_SECRET, 1369353600, &err), -EACCES);
    ck_assert_ptr_nonnull(strstr(err.msg, "InvalidAccessKeyId"));
    /* Signed at 20130524T000000Z: 15 minutes either way is fine, a second more is skewed. */
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600 + 900, &err), 0);
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600 - 900, &err), 0);
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600 + 901, &err), -EACCES);
    ck_assert_ptr_nonnull(strstr(err.msg, "RequestTimeTooSkewed"));
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600 - 901, &err), -EACCES);
    ck_assert_ptr_nonnull(strstr(err.msg, "RequestTimeTooSkewed"));
    /* A changed header breaks the signature. */
    struct fg_http_header h2[5];
    memcpy(h2, get_headers, sizeof(h2));
    h2[1].value = "bytes=0-99";
    r.headers = h2;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 1369353600, &err), -EACCES);
}
END_TEST

START_TEST(test_string_to_sign_example)
{
    /* SigV4 test suite: this string to sign, signed for host/us-east-1 on 20110909. */
    struct fg_sigv4_auth a = { .date = "20110909", .region = "us-east-1", .service = "host", .amz_date = "20110909T233600Z" };
    const char *canonical = "GET\n/\nfoo=Zoo&foo=aha\ndate:Mon, 09 Sep 2011 23:36:00 GMT\nhost:host.foo.com\n\ndate;host\n" EMPTY;
    unsigned char h[32];
    char hex[65], sig[65];
    struct fg_sha256 c;
    fg_sha256_init(&c);
    fg_sha256_update(&c, canonical, strlen(canonical));
    fg_sha256_final(&c, h);
    fg_sha256_hex(h, hex);
    ck_assert_str_eq(hex, "e25f777ba161a0f1baf778a87faf057187cf5987f17953320e3ca399feb5f00d");
    fg_sigv4_sign("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &a, canonical, strlen(canonical), sig);
    ck_assert_str_eq(sig, "be7148d34ebccdc6423b19085378aa0bee970bdc61d144bd1a8c48c33079ab09");

    /* The canonical query sorts by key then value: the suite's foo=Zoo&foo=aha. */
    static const struct fg_http_header hs[] = { { "Date", "Mon, 09 Sep 2011 23:36:00 GMT" }, { "Host", "host.foo.com" } };
    struct fg_sigv4_request r = { "GET", "/", "foo=aha&foo=Zoo", hs, 2, NULL, FG_SIGV4_S3 };
    struct fg_buf canon;
    a.presigned = false;
    snprintf(a.signed_headers, sizeof(a.signed_headers), "date;host");
    fg_buf_init(&canon, 1 << 16);
    ck_assert_int_eq(fg_sigv4_canonical(&r, &a, &canon), 0);
    ck_assert_str_eq(canon.data, canonical);
    fg_buf_free(&canon);
}
END_TEST

START_TEST(test_presigned_url)
{
    /* Build a presigned GET the way an SDK does, then verify it. */
    static const struct fg_http_header hs[] = { { "Host", "127.0.0.1:9000" } };
    const char *base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" S3_AK "%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
                       "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host";
    struct fg_sigv4_request r = { "GET", "/uploads/a%20b.txt", base, hs, 1, NULL, FG_SIGV4_S3 };
    struct fg_sigv4_auth a = { .access_key = S3_AK, .date = "20260101", .region = "us-east-1", .service = "s3",
                               .signed_headers = "host", .amz_date = "20260101T000000Z", .presigned = true };
    struct fg_buf canon;
    struct fg_err err;
    char sig[65], query[1024];
    long long t0 = 1767225600;     /* 2026-01-01T00:00:00Z */

    fg_buf_init(&canon, 1 << 16);
    ck_assert_int_eq(fg_sigv4_canonical(&r, &a, &canon), 0);
    ck_assert_ptr_nonnull(strstr(canon.data, "\n/uploads/a%20b.txt\n"));
    ck_assert_ptr_nonnull(strstr(canon.data, "\nUNSIGNED-PAYLOAD"));
    fg_sigv4_sign(S3_SECRET, &a, canon.data, canon.len, sig);
    fg_buf_free(&canon);
    snprintf(query, sizeof(query), "%s&X-Amz-Signature=%s", base, sig);
    r.raw_query = query;
    ck_assert_msg(fg_sigv4_verify(&r, S3_AK, S3_SECRET, t0 + 10, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, t0 + 601, &err), -EACCES);
    ck_assert_ptr_nonnull(strstr(err.msg, "AccessDenied: Request has expired"));
    r.raw_path = "/uploads/a%20c.txt";      /* another object with the same URL signature */
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, t0 + 10, &err), -EACCES);
}
END_TEST

START_TEST(test_unsigned_and_malformed)
{
    static const struct fg_http_header none[] = { { "Host", "x" } };
    static const struct fg_http_header bad[] = { { "Authorization", "AWS AKIA:abc" } };
    static const struct fg_http_header short_cred[] = {
        { "Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1, SignedHeaders=host, Signature=00" },
    };
    struct fg_sigv4_request r = { "GET", "/", NULL, none, 1, NULL, FG_SIGV4_S3 };
    struct fg_err err;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -ENOENT);
    r.headers = bad;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "AuthorizationHeaderMalformed"));
    r.headers = short_cred;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -EINVAL);
}
END_TEST

/* Signed by botocore 1.29 (Debian's python3-botocore: SigV4Auth(creds, "lambda", "eu-west-3")
 * with its clock at 2026-01-02T03:04:05Z): an Invoke of a qualified ARN, body {"a":1}. */
#define LAMBDA_AK "AKIDEXAMPLE"
#define LAMBDA_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define LAMBDA_PATH "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3AF%3A%24LATEST/invocations"

static const struct fg_http_header lambda_headers[] = {
    { "Host", "127.0.0.1:8080" },
    { "X-Amz-Invocation-Type", "RequestResponse" },
    { "X-Amz-Date", "20260102T030405Z" },
    { "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-3/lambda/aws4_request, "
                       "SignedHeaders=host;x-amz-date;x-amz-invocation-type, "
                       "Signature=1f25d2b6524a1a822a9cfedb68c9053bbeaaf09f99b36cf1774545f178a952e8" },
};

static void sha_hex(const char *s, char out[65])
{
    struct fg_sha256 c;
    unsigned char h[32];
    fg_sha256_init(&c);
    fg_sha256_update(&c, s, strlen(s));
    fg_sha256_final(&c, h);
    fg_sha256_hex(h, out);
}

START_TEST(test_lambda_rules_botocore)
{
    char body_hash[65];
    struct fg_sigv4_request r = { "POST", LAMBDA_PATH, NULL, lambda_headers, 4, body_hash, FG_SIGV4_GENERIC };
    struct fg_sigv4_auth a;
    struct fg_err err;
    struct fg_buf canon;

    sha_hex("{\"a\":1}", body_hash);
    ck_assert_int_eq(fg_sigv4_parse(&r, &a, &err), 0);
    ck_assert_str_eq(a.service, "lambda");
    ck_assert_str_eq(a.region, "eu-west-3");
    fg_buf_init(&canon, 1 << 16);
    ck_assert_int_eq(fg_sigv4_canonical(&r, &a, &canon), 0);
    ck_assert_ptr_nonnull(strstr(canon.data, "\n/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A"
                                             "000000000000%253Afunction%253AF%253A%2524LATEST/invocations\n"));
    fg_buf_free(&canon);
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), 0);
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, "another secret"), -EACCES);
    r.rules = FG_SIGV4_S3;              /* S3's canonical path is another one */
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), -EACCES);
    r.rules = FG_SIGV4_GENERIC;
    sha_hex("{\"a\":2}", body_hash);  /* the body is signed */
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), -EACCES);
}
END_TEST

/* botocore's SigV4QueryAuth(creds, "lambda", "us-east-1", expires=300) at the same time, for
 * POST .../functions/F/invocations?Qualifier=%24LATEST with an empty body: a presigned URL
 * of another service than S3 signs the body's hash, not UNSIGNED-PAYLOAD. */
START_TEST(test_lambda_presigned_botocore)
{
    static const struct fg_http_header hs[] = { { "Host", "127.0.0.1:8080" } };
    const char *query = "Qualifier=%24LATEST&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102"
                        "%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=300"
                        "&X-Amz-SignedHeaders=host"
                        "&X-Amz-Signature=bd1747a365841b48a710a0c418da7d8a5d287c829e2ba0ae0f9494bb3b8ff32e";
    struct fg_sigv4_request r = { "POST", "/2015-03-31/functions/F/invocations", query, hs, 1, EMPTY, FG_SIGV4_GENERIC };
    struct fg_sigv4_auth a;
    struct fg_err err;

    ck_assert_int_eq(fg_sigv4_parse(&r, &a, &err), 0);
    ck_assert(a.presigned);
    ck_assert_int_eq(a.expires_s, 300);
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), 0);
    r.payload_hash = NULL;              /* no body: the empty hash as well */
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), 0);
    r.rules = FG_SIGV4_S3;              /* S3 would have signed UNSIGNED-PAYLOAD */
    ck_assert_int_eq(fg_sigv4_signature_check(&r, &a, LAMBDA_SECRET), -EACCES);
}
END_TEST

START_TEST(test_sigv4_time)
{
    ck_assert_int_eq(fg_sigv4_time("20260102T030405Z"), 1767323045);
    ck_assert_int_eq(fg_sigv4_time("20260102T030405"), -1);
    ck_assert_int_eq(fg_sigv4_time("2026010 T030405Z"), -1);
    ck_assert_int_eq(fg_sigv4_time("+2026102T030405Z"), -1);
    ck_assert_int_eq(fg_sigv4_time("20261302T030405Z"), -1);
    ck_assert_int_eq(fg_sigv4_time("20260102T250405Z"), -1);
    ck_assert_int_eq(fg_sigv4_time(""), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc = tcase_create("sigv4");
    tcase_add_test(tc, test_s3_get_object_example);
    tcase_add_test(tc, test_string_to_sign_example);
    tcase_add_test(tc, test_presigned_url);
    tcase_add_test(tc, test_unsigned_and_malformed);
    tcase_add_test(tc, test_lambda_rules_botocore);
    tcase_add_test(tc, test_lambda_presigned_botocore);
    tcase_add_test(tc, test_sigv4_time);
    return fg_unit_run(s, tc);
}

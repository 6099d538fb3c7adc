/* SPDX-License-Identifier: MIT */
/* test_sigv4.c - gateway/sigv4.h against AWS's published examples: the S3 GET Object
 * example of the S3 documentation, the string-to-sign example of the SigV4 test suite, a
 * presigned URL, and the refusals (wrong key, wrong secret, expired, malformed). */
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
    struct fg_sigv4_request r = { "GET", "/test.txt", NULL, get_headers, 5, EMPTY };
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
    struct fg_sigv4_request r = { "GET", "/", "foo=aha&foo=Zoo", hs, 2, NULL };
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
    struct fg_sigv4_request r = { "GET", "/uploads/a%20b.txt", base, hs, 1, NULL };
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
    struct fg_sigv4_request r = { "GET", "/", NULL, none, 1, NULL };
    struct fg_err err;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -ENOENT);
    r.headers = bad;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "AuthorizationHeaderMalformed"));
    r.headers = short_cred;
    ck_assert_int_eq(fg_sigv4_verify(&r, S3_AK, S3_SECRET, 0, &err), -EINVAL);
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
    return fg_unit_run(s, tc);
}

/* SPDX-License-Identifier: MIT */
/* test_sigv2.c - gateway/sigv2.h against the SigV2 examples of the S3 REST authentication
 * documentation (the "johnsmith" requests: object GET and PUT, a listing, ?acl, an upload
 * with repeated x-amz-meta headers, ListAllMyBuckets, a key with UTF-8 escapes), a presigned
 * URL, and the refusals (expired, wrong key, tampered, skewed, incomplete). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/sha1.h"
#include "gateway/sigv2.h"
#include "unit.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Checks the StringToSign (date from the Date header) and that the Authorization header's
 * signature verifies at the request's own time. */
static void check_example(const struct fg_sigv2_request *r, const char *date, long long when, const char *want_sts)
{
    struct fg_buf sts;
    struct fg_err err;
    int rc;

    fg_buf_init(&sts, 1 << 16);
    ck_assert_int_eq(fg_sigv2_string_to_sign(r, date, &sts), 0);
    ck_assert_str_eq(sts.data, want_sts);
    fg_buf_free(&sts);
    rc = fg_sigv2_verify(r, AK, SECRET, when, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
}

START_TEST(test_documented_examples)
{
    static const struct fg_http_header get[] = {
        { "Host", "johnsmith.s3.amazonaws.com" }, { "Date", "Tue, 27 Mar 2007 19:36:42 +0000" },
        { "Authorization", "AWS " AK ":bWq2s1WEIj+Ydj0vQ697zp+IXMU=" },
    };
    static const struct fg_http_header put[] = {
        { "Content-Type", "image/jpeg" }, { "Content-Length", "94328" }, { "Host", "johnsmith.s3.amazonaws.com" },
        { "Date", "Tue, 27 Mar 2007 21:15:45 +0000" }, { "Authorization", "AWS " AK ":MyyxeRY7whkBe+bq8fHCL/2kKUg=" },
    };
    static const struct fg_http_header list[] = {
        { "User-Agent", "Mozilla/5.0" }, { "Host", "johnsmith.s3.amazonaws.com" },
        { "Date", "Tue, 27 Mar 2007 19:42:41 +0000" }, { "Authorization", "AWS " AK ":htDYFYduRNen8P9ZfE/s9SuKy0U=" },
    };
    static const struct fg_http_header acl[] = {
        { "Host", "johnsmith.s3.amazonaws.com" }, { "Date", "Tue, 27 Mar 2007 19:44:46 +0000" },
        { "Authorization", "AWS " AK ":c2WLPFtWHVgbEmeEG93a4cG37dM=" },
    };
    static const struct fg_http_header upload[] = {
        { "User-Agent", "curl/7.15.5" }, { "Host", "static.johnsmith.net:8080" },
        { "Date", "Tue, 27 Mar 2007 21:06:08 +0000" }, { "x-amz-acl", "public-read" },
        { "content-type", "application/x-download" }, { "Content-MD5", "4gJE4saaMU4BqNR0kLY+lw==" },
        { "X-Amz-Meta-ReviewedBy", "joe@johnsmith.net" }, { "X-Amz-Meta-ReviewedBy", "jane@johnsmith.net" },
        { "X-Amz-Meta-FileChecksum", "0x02661779" }, { "X-Amz-Meta-ChecksumAlgorithm", "crc32" },
        { "Content-Disposition", "attachment; filename=database.dat" }, { "Content-Encoding", "gzip" },
        { "Content-Length", "5913339" }, { "Authorization", "AWS " AK ":ilyl83RwaSoYIEdixDQcA4OnAnc=" },
    };
    static const struct fg_http_header buckets[] = {
        { "Host", "s3.amazonaws.com" }, { "Date", "Wed, 28 Mar 2007 01:29:59 +0000" },
        { "Authorization", "AWS " AK ":qGdzdERIC03wnaRNKh6OqZehG9s=" },
    };
    static const struct fg_http_header unicode[] = {
        { "Host", "s3.amazonaws.com" }, { "Date", "Wed, 28 Mar 2007 01:49:49 +0000" },
        { "Authorization", "AWS " AK ":DNEZGsoieTZ92F3bUfSPQcbGmlM=" },
    };
    struct fg_sigv2_request r;

    r = (struct fg_sigv2_request){ "GET", "/photos/puppy.jpg", NULL, "johnsmith", get, N(get) };
    check_example(&r, get[1].value, 1175024202, "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
    r = (struct fg_sigv2_request){ "PUT", "/photos/puppy.jpg", NULL, "johnsmith", put, N(put) };
    check_example(&r, put[3].value, 1175030145,
                  "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg");
    r = (struct fg_sigv2_request){ "GET", "/", "prefix=photos&max-keys=50&marker=puppy", "johnsmith", list, N(list) };
    check_example(&r, list[2].value, 1175024561, "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/");
    r = (struct fg_sigv2_request){ "GET", "/", "acl", "johnsmith", acl, N(acl) };
    check_example(&r, acl[1].value, 1175024686, "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl");
    r = (struct fg_sigv2_request){ "PUT", "/db-backup.dat.gz", NULL, "static.johnsmith.net", upload, N(upload) };
    check_example(&r, upload[2].value, 1175029568,
                  "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
                  "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
                  "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz");
    r = (struct fg_sigv2_request){ "GET", "/", NULL, NULL, buckets, N(buckets) };
    check_example(&r, buckets[1].value, 1175045399, "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/");
    r = (struct fg_sigv2_request){ "GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", NULL, NULL, unicode, N(unicode) };
    check_example(&r, unicode[1].value, 1175046589,
                  "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re");
}
END_TEST

START_TEST(test_sign)
{
    char out[29];
    const char *sts = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg";
    fg_sigv2_sign(SECRET, sts, strlen(sts), out);
    ck_assert_str_eq(out, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
}
END_TEST

/* x-amz-date replaces Date: signed among the x-amz-* headers, the date's place left empty.
 * Sub-resources are sorted and their values decoded; other parameters are not signed. */
START_TEST(test_amz_date_and_subresources)
{
    static const struct fg_http_header del[] = {
        { "Date", "Tue, 27 Mar 2007 21:20:27 +0000" }, { "x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000" },
        { "Authorization", "AWS " AK ":R4dJ53KECjStyBO5iTBJZ4XVOaI=" },
    };
    struct fg_sigv2_request r = { "DELETE", "/johnsmith/photos/puppy.jpg", NULL, NULL, del, N(del) };
    struct fg_err err;
    struct fg_buf sts;

    fg_buf_init(&sts, 1 << 16);
    ck_assert_int_eq(fg_sigv2_string_to_sign(&r, "", &sts), 0);
    ck_assert_str_eq(sts.data, "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg");
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175030426, &err), 0);
    fg_buf_reset(&sts);
    r = (struct fg_sigv2_request){ "PUT", "/b/k", "uploadId=a%2Bb%2Fc&prefix=x&partNumber=2&uploads", NULL, NULL, 0 };
    ck_assert_int_eq(fg_sigv2_string_to_sign(&r, "1", &sts), 0);
    ck_assert_str_eq(sts.data, "PUT\n\n\n1\n/b/k?partNumber=2&uploadId=a+b/c&uploads");
    fg_buf_free(&sts);
}
END_TEST

/* A path-style bucket alone is signed with its '/' (S3 wants "/b/"); botocore signs
 * ListObjectsV2 and CreateMultipartUpload with its operation's fixed query in the path
 * ("/b?list-type=2", "/b/k?uploads?uploads"), taken beside S3's own form. Signatures
 * computed independently (Python's hmac) over the strings shown. */
START_TEST(test_bucket_slash_and_botocore_paths)
{
#define DATE "Tue, 27 Mar 2007 19:36:42 +0000"
    static const struct fg_http_header head[] = { { "Date", DATE }, { "Authorization", "AWS " AK ":5TiThHTnSUfINMoqxTMvHHLKAwY=" } };
    static const struct fg_http_header list[] = { { "Date", DATE }, { "Authorization", "AWS " AK ":RcLV8tPAaDH8VMs4wO91B9EcOvM=" } };
    static const struct fg_http_header mpu[] = { { "Date", DATE }, { "Authorization", "AWS " AK ":uW36WDHjB8nWUZtRqSpS7fcryow=" } };
    static const struct fg_http_header mpu_s3[] = { { "Date", DATE }, { "Authorization", "AWS " AK ":wrojmvqYzVgE5Jt6k+m3L3TRrdk=" } };
    struct fg_sigv2_request r = { "HEAD", "/johnsmith", NULL, NULL, head, N(head) };
    struct fg_err err;
    struct fg_buf sts;

    fg_buf_init(&sts, 1 << 16);
    ck_assert_int_eq(fg_sigv2_string_to_sign(&r, DATE, &sts), 0);
    ck_assert_str_eq(sts.data, "HEAD\n\n\n" DATE "\n/johnsmith/");
    fg_buf_free(&sts);
    ck_assert_msg(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err) == 0, "%s", err.msg);
    r = (struct fg_sigv2_request){ "GET", "/johnsmith", "list-type=2&prefix=dir%2F&encoding-type=url", NULL, list, N(list) };
    ck_assert_msg(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err) == 0, "%s", err.msg);
    r = (struct fg_sigv2_request){ "POST", "/johnsmith/k", "uploads", NULL, mpu, N(mpu) };
    ck_assert_msg(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err) == 0, "%s", err.msg);
    r.headers = mpu_s3;
    ck_assert_msg(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err) == 0, "%s", err.msg);
    r.method = "PUT";           /* botocore's form is only taken for the operation it belongs to */
    r.headers = mpu;
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err), -EACCES);
#undef DATE
}
END_TEST

/* A presigned URL (the query-string alternative): Expires in the date's place. */
START_TEST(test_presigned_url)
{
    static const struct fg_http_header h[] = { { "Host", "127.0.0.1:9000" } };
    const char *q = "AWSAccessKeyId=" AK "&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    struct fg_sigv2_request r = { "GET", "/johnsmith/photos/puppy.jpg", q, NULL, h, N(h) };
    struct fg_err err;

    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139620, &err), 0);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139621, &err), -EACCES);
    ck_assert_str_eq(err.msg, "AccessDenied: Request has expired");
    ck_assert_int_eq(fg_sigv2_verify(&r, "OTHERKEY", SECRET, 1175139000, &err), -EACCES);
    ck_assert(!strncmp(err.msg, "InvalidAccessKeyId:", 19));
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, "wrong", 1175139000, &err), -EACCES);
    ck_assert(!strncmp(err.msg, "SignatureDoesNotMatch:", 22));
    r.method = "PUT";           /* the method is signed */
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EACCES);
    r.method = "GET";
    r.raw_path = "/johnsmith/photos/kitten.jpg";
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EACCES);
    r.raw_path = "/johnsmith/photos/puppy.jpg";
    r.raw_query = "AWSAccessKeyId=" AK "&Expires=1175139620&Signature=MpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EACCES);
    ck_assert(!strncmp(err.msg, "SignatureDoesNotMatch:", 22));
    r.raw_query = "AWSAccessKeyId=" AK "&Expires=1175139621&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EACCES);     /* Expires is signed */
    r.raw_query = "AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EACCES);
    ck_assert(!strncmp(err.msg, "AccessDenied: Query-string authentication requires", 50));
    r.raw_query = "AWSAccessKeyId=" AK "&Expires=soon&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175139000, &err), -EINVAL);
}
END_TEST

START_TEST(test_not_sigv2_and_refusals)
{
    static const struct fg_http_header v4[] = { { "Authorization", "AWS4-HMAC-SHA256 Credential=x" } };
    static const struct fg_http_header bad[] = { { "Date", "Tue, 27 Mar 2007 19:36:42 +0000" },
                                                 { "Authorization", "AWS " AK } };
    static const struct fg_http_header nodate[] = { { "Authorization", "AWS " AK ":bWq2s1WEIj+Ydj0vQ697zp+IXMU=" } };
    static const struct fg_http_header gmt[] = {
        { "Date", "Tue, 27 Mar 2007 19:36:42 GMT" }, { "Authorization", "AWS " AK ":bWq2s1WEIj+Ydj0vQ697zp+IXMU=" },
    };
    struct fg_sigv2_request r = { "GET", "/johnsmith/photos/puppy.jpg", "X-Amz-Algorithm=AWS4-HMAC-SHA256", NULL, NULL, 0 };
    struct fg_err err;

    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 0, &err), -ENOENT);     /* SigV4 presigned, or unsigned */
    r.headers = v4;
    r.n_headers = N(v4);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 0, &err), -ENOENT);
    r.raw_query = NULL;
    r.headers = bad;
    r.n_headers = N(bad);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err), -EINVAL);
    r.headers = nodate;
    r.n_headers = N(nodate);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202, &err), -EACCES);
    ck_assert(!strncmp(err.msg, "AccessDenied:", 13));
    /* The documented GET, path-style and dated GMT: signed the same, checked against the
     * clock: 15 minutes either way. */
    r.headers = gmt;
    r.n_headers = N(gmt);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202 + 14 * 60, &err), -EACCES);
    ck_assert_msg(!strncmp(err.msg, "SignatureDoesNotMatch:", 22), "%s", err.msg);   /* "GMT" is in the string */
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202 + 16 * 60, &err), -EACCES);
    ck_assert_msg(!strncmp(err.msg, "RequestTimeTooSkewed:", 21), "%s", err.msg);
    ck_assert_int_eq(fg_sigv2_verify(&r, AK, SECRET, 1175024202 - 16 * 60, &err), -EACCES);
    ck_assert_msg(!strncmp(err.msg, "RequestTimeTooSkewed:", 21), "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sigv2");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_documented_examples);
    tcase_add_test(tc, test_sign);
    tcase_add_test(tc, test_amz_date_and_subresources);
    tcase_add_test(tc, test_bucket_slash_and_botocore_paths);
    tcase_add_test(tc, test_presigned_url);
    tcase_add_test(tc, test_not_sigv2_and_refusals);
    return fg_unit_run(s, tc);
}

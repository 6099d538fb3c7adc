/* SPDX-License-Identifier: MIT */
/* test_iam.c - core/iam_policy.h (IAM's matching and evaluation rules, the syntax checks,
 * the refusal's words), core/iam_creds.h (issue, environment, lookup, token, expiry,
 * references, release) and gateway/s3_role.h (S3 operations as IAM actions). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/iam_creds.h"
#include "core/iam_policy.h"
#include "gateway/s3_role.h"
#include "unit.h"

/* ------------------------------------------------------------------ matching */

static const struct {
    const char *pattern, *s;
    bool action, resource;      /* expected as an action, as a resource */
} match_cases[] = {
    { "s3:GetObject", "s3:GetObject", true, true },
    { "s3:getobject", "s3:GetObject", true, false },       /* actions ignore case, resources do not */
    { "S3:GETOBJECT", "s3:GetObject", true, false },
    { "s3:Get*", "s3:GetObject", true, true },
    { "s3:*", "s3:PutObject", true, true },
    { "*", "lambda:InvokeFunction", true, true },
    { "s3:*Object", "s3:GetObjectAcl", false, false },
    { "s3:?etObject", "s3:GetObject", true, true },
    { "s3:?etObject", "s3:etObject", false, false },
    { "s3:GetObject", "s3:GetObjects", false, false },
    { "arn:aws:s3:::uploads/*", "arn:aws:s3:::uploads/a/b/c.jpg", true, true },   /* '*' crosses '/' */
    { "arn:aws:s3:::uploads/*", "arn:aws:s3:::uploads", false, false },
    { "arn:aws:s3:::uploads/*", "arn:aws:s3:::Uploads/x", true, false },
    { "arn:aws:s3:::uploads/*.jpg", "arn:aws:s3:::uploads/a.jpg.png", false, false },
    { "arn:aws:s3:::uploads/*.jpg", "arn:aws:s3:::uploads/a.png.jpg", true, true },
    { "arn:aws:s3:::*/*", "arn:aws:s3:::b/k", true, true },
    { "a*b*c", "aXbYbZc", true, true },
    { "", "", true, true },
    { "*", "", true, true },
    { "?", "", false, false },
};

START_TEST(test_match)
{
    ck_assert_msg(fg_iam_match_action(match_cases[_i].pattern, match_cases[_i].s) == match_cases[_i].action,
                  "action %s ~ %s", match_cases[_i].pattern, match_cases[_i].s);
    ck_assert_msg(fg_iam_match_resource(match_cases[_i].pattern, match_cases[_i].s) == match_cases[_i].resource,
                  "resource %s ~ %s", match_cases[_i].pattern, match_cases[_i].s);
}
END_TEST

/* ------------------------------------------------------------------ evaluation */

static const char *get_put[] = { "s3:GetObject", "s3:PutObject" };
static const char *uploads[] = { "arn:aws:s3:::photos/uploads/*" };
static const char *s3_all[] = { "s3:*" };
static const char *private_[] = { "arn:aws:s3:::photos/uploads/private/*" };
static const char *invoke[] = { "lambda:invokefunction" };
static const char *fn_g[] = { "arn:aws:lambda:us-east-1:123456789012:function:G*" };

static const struct fg_iam_statement statements[] = {
    { FG_IAM_ALLOW, get_put, 2, uploads, 1 },
    { FG_IAM_ALLOW, invoke, 1, fn_g, 1 },
    { FG_IAM_DENY, s3_all, 1, private_, 1 },       /* after the Allow: still wins */
};
static const struct fg_iam_policy policy = { statements, 3 };

START_TEST(test_evaluate)
{
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:GetObject", "arn:aws:s3:::photos/uploads/a.jpg"), FG_IAM_ALLOWED);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:PutObject", "arn:aws:s3:::photos/uploads/a.jpg"), FG_IAM_ALLOWED);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:DeleteObject", "arn:aws:s3:::photos/uploads/a.jpg"),
                     FG_IAM_IMPLICIT_DENY);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:GetObject", "arn:aws:s3:::photos/thumbs/a.jpg"), FG_IAM_IMPLICIT_DENY);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:GetObject", "arn:aws:s3:::other/uploads/a.jpg"), FG_IAM_IMPLICIT_DENY);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "s3:GetObject", "arn:aws:s3:::photos/uploads/private/x"),
                     FG_IAM_EXPLICIT_DENY);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:Go"),
                     FG_IAM_ALLOWED);
    ck_assert_int_eq(fg_iam_evaluate(&policy, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:F"),
                     FG_IAM_IMPLICIT_DENY);
    /* The basic role: no statements, or none at all. */
    struct fg_iam_policy basic = { NULL, 0 };
    ck_assert_int_eq(fg_iam_evaluate(&basic, "s3:GetObject", "arn:aws:s3:::photos/uploads/a.jpg"), FG_IAM_IMPLICIT_DENY);
    ck_assert_int_eq(fg_iam_evaluate(NULL, "s3:ListAllMyBuckets", "*"), FG_IAM_IMPLICIT_DENY);
}
END_TEST

START_TEST(test_syntax_and_message)
{
    char msg[512];
    ck_assert_ptr_null(fg_iam_action_check("*"));
    ck_assert_ptr_null(fg_iam_action_check("s3:Get*"));
    ck_assert_ptr_null(fg_iam_action_check("lambda:InvokeFunction"));
    ck_assert_ptr_nonnull(fg_iam_action_check("s3"));
    ck_assert_ptr_nonnull(fg_iam_action_check(":Get"));
    ck_assert_ptr_nonnull(fg_iam_action_check("s3:"));
    ck_assert_ptr_nonnull(fg_iam_action_check("s3:Get Object"));
    ck_assert_ptr_null(fg_iam_resource_check("*"));
    ck_assert_ptr_null(fg_iam_resource_check("arn:aws:s3:::b/*"));
    ck_assert_ptr_null(fg_iam_resource_check("arn:aws:lambda:us-east-1:123456789012:function:F"));
    ck_assert_ptr_nonnull(fg_iam_resource_check("b/*"));
    ck_assert_ptr_nonnull(fg_iam_resource_check("arn:aws:s3:b"));
    ck_assert_ptr_nonnull(fg_iam_resource_check("arn:aws:s3:::b c"));
    fg_iam_denied_message(msg, sizeof(msg), "arn:aws:sts::123456789012:assumed-role/F-role/F", "lambda:InvokeFunction",
                          "arn:aws:lambda:us-east-1:123456789012:function:G", FG_IAM_IMPLICIT_DENY, false);
    ck_assert_str_eq(msg, "User: arn:aws:sts::123456789012:assumed-role/F-role/F is not authorized to perform: "
                          "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:G because "
                          "no identity-based policy allows the lambda:InvokeFunction action");
    fg_iam_denied_message(msg, sizeof(msg), "P", "s3:GetObject", "arn:aws:s3:::b/k", FG_IAM_EXPLICIT_DENY, true);
    ck_assert_str_eq(msg, "User: P is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" with "
                          "an explicit deny in an identity-based policy");
}
END_TEST

/* ------------------------------------------------------------------ credentials */

static const char *env_value(const struct fg_iam_issued *is, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < is->n_env; i++)
        if (!strncmp(is->env[i], name, n) && is->env[i][n] == '=')
            return is->env[i] + n + 1;
    return NULL;
}

START_TEST(test_creds_issue_lookup_release)
{
    struct fg_iam_creds c;
    struct fg_iam_issued a, b;
    struct fg_iam_principal who;
    char secret[FG_IAM_SECRET_LEN + 1], token[FG_IAM_TOKEN_LEN + 1];
    const long long t0 = 1800000000;

    ck_assert_int_eq(fg_iam_creds_init(&c), 0);
    fg_iam_creds_set_endpoints(&c, "http://127.0.0.1:9000", "http://127.0.0.1:8080");
    ck_assert_int_eq(fg_iam_creds_issue(&c, "F", &policy, t0, &a), 0);
    ck_assert_int_eq(fg_iam_creds_issue(&c, "G", NULL, t0, &b), 0);
    ck_assert_int_eq((int)fg_iam_creds_count(&c), 2);
    /* The environment an SDK reads. */
    ck_assert_int_eq(a.n_env, 5);
    ck_assert_str_eq(env_value(&a, "AWS_ACCESS_KEY_ID"), a.key_id);
    ck_assert_int_eq((int)strlen(a.key_id), 20);
    ck_assert(fg_iam_creds_is_role_key(a.key_id));
    ck_assert(!fg_iam_creds_is_role_key("AKIAIOSFODNN7EXAMPLE"));
    ck_assert(!fg_iam_creds_is_role_key("ASIAshort"));
    ck_assert_int_eq((int)strlen(env_value(&a, "AWS_SECRET_ACCESS_KEY")), 40);
    ck_assert_int_eq((int)strlen(env_value(&a, "AWS_SESSION_TOKEN")), FG_IAM_TOKEN_LEN);
    ck_assert_str_eq(env_value(&a, "AWS_ENDPOINT_URL_S3"), "http://127.0.0.1:9000");
    ck_assert_str_eq(env_value(&a, "AWS_ENDPOINT_URL_LAMBDA"), "http://127.0.0.1:8080");
    ck_assert_str_ne(a.key_id, b.key_id);
    ck_assert_str_ne(env_value(&a, "AWS_SESSION_TOKEN"), env_value(&b, "AWS_SESSION_TOKEN"));
    snprintf(token, sizeof(token), "%s", env_value(&a, "AWS_SESSION_TOKEN"));

    /* Lookup: the token must be its own; a's key says F and F's policy. */
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0 + 1, secret, &who), 0);
    ck_assert_str_eq(secret, env_value(&a, "AWS_SECRET_ACCESS_KEY"));
    ck_assert_str_eq(who.function, "F");
    ck_assert_ptr_eq(who.policy, &policy);
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, NULL, t0, secret, &who), -EACCES);
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, env_value(&b, "AWS_SESSION_TOKEN"), t0, secret, &who), -EACCES);
    token[5] ^= 1;
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0, secret, &who), -EACCES);
    token[5] ^= 1;
    ck_assert_int_eq(fg_iam_creds_lookup(&c, "ASIAAAAAAAAAAAAAAAAA", token, t0, secret, &who), -ENOENT);
    /* Expiry: 12 hours after issue. */
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0 + FG_IAM_CREDS_LIFETIME_S - 1, secret, &who), 0);
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0 + FG_IAM_CREDS_LIFETIME_S, secret, &who), -ETIMEDOUT);

    /* References: a template and a worker forked from it; the last release revokes. */
    ck_assert_int_eq(fg_iam_creds_hold(&c, a.key_id), 0);
    fg_iam_creds_release(&c, a.key_id);
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0, secret, &who), 0);
    fg_iam_creds_release(&c, a.key_id);
    ck_assert_int_eq(fg_iam_creds_lookup(&c, a.key_id, token, t0, secret, &who), -ENOENT);
    ck_assert_int_eq(fg_iam_creds_hold(&c, a.key_id), -ENOENT);
    fg_iam_creds_release(&c, a.key_id);      /* unknown: nothing */
    fg_iam_creds_release(&c, "");
    ck_assert_int_eq((int)fg_iam_creds_count(&c), 1);

    /* Without endpoints: only the keys. b is freed by close. */
    fg_iam_creds_set_endpoints(&c, NULL, "");
    ck_assert_int_eq(fg_iam_creds_issue(&c, "H", NULL, t0, &a), 0);
    ck_assert_int_eq(a.n_env, 3);
    fg_iam_creds_close(&c);
    fg_iam_creds_close(&c);                  /* twice: nothing */
}
END_TEST

START_TEST(test_principal_arn)
{
    struct fg_iam_principal who = { "Thumbnail", NULL };
    char arn[256];
    fg_iam_principal_arn(&who, "123456789012", arn, sizeof(arn));
    ck_assert_str_eq(arn, "arn:aws:sts::123456789012:assumed-role/Thumbnail-role/Thumbnail");
}
END_TEST

/* ------------------------------------------------------------------ S3 operations */

START_TEST(test_s3_actions)
{
    static const struct {
        enum fg_s3_op op;
        const char *action, *resource;
    } rows[] = {
        { FG_S3_OP_LIST_BUCKETS, "s3:ListAllMyBuckets", "*" },
        { FG_S3_OP_CREATE_BUCKET, "s3:CreateBucket", "arn:aws:s3:::photos" },
        { FG_S3_OP_HEAD_BUCKET, "s3:ListBucket", "arn:aws:s3:::photos" },
        { FG_S3_OP_DELETE_BUCKET, "s3:DeleteBucket", "arn:aws:s3:::photos" },
        { FG_S3_OP_LIST_OBJECTS, "s3:ListBucket", "arn:aws:s3:::photos" },
        { FG_S3_OP_PUT, "s3:PutObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_GET, "s3:GetObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_HEAD, "s3:GetObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_DELETE, "s3:DeleteObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_MPU_CREATE, "s3:PutObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_MPU_PART, "s3:PutObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_MPU_COMPLETE, "s3:PutObject", "arn:aws:s3:::photos/uploads/a.jpg" },
        { FG_S3_OP_MPU_ABORT, "s3:AbortMultipartUpload", "arn:aws:s3:::photos/uploads/a.jpg" },
    };
    struct fg_s3_route r = { .bucket = "photos", .key = "uploads/a.jpg" };
    struct fg_iam_principal who = { "F", &policy };
    struct fg_s3_error e = { 0 };
    char res[2048];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        r.op = rows[i].op;
        ck_assert_str_eq(fg_s3_role_action(&r, res, sizeof(res)), rows[i].action);
        ck_assert_str_eq(res, rows[i].resource);
    }
    r.op = FG_S3_OP_NONE;
    ck_assert_ptr_null(fg_s3_role_action(&r, res, sizeof(res)));
    r.op = FG_S3_OP_GET;
    ck_assert_int_eq(fg_s3_role_authorize(&r, &who, "123456789012", &e), 0);
    ck_assert_int_eq(e.status, 0);
    r.op = FG_S3_OP_DELETE;
    ck_assert_int_eq(fg_s3_role_authorize(&r, &who, "123456789012", &e), -1);
    ck_assert_int_eq(e.status, 403);
    ck_assert_str_eq(e.code, "AccessDenied");
    ck_assert_str_eq(e.message, "User: arn:aws:sts::123456789012:assumed-role/F-role/F is not authorized to perform: "
                                "s3:DeleteObject on resource: \"arn:aws:s3:::photos/uploads/a.jpg\" because no "
                                "identity-based policy allows the s3:DeleteObject action");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iam");
    TCase *tc = tcase_create("iam");
    tcase_add_loop_test(tc, test_match, 0, (int)(sizeof(match_cases) / sizeof(match_cases[0])));
    tcase_add_test(tc, test_evaluate);
    tcase_add_test(tc, test_syntax_and_message);
    tcase_add_test(tc, test_creds_issue_lookup_release);
    tcase_add_test(tc, test_principal_arn);
    tcase_add_test(tc, test_s3_actions);
    return fg_unit_run(s, tc);
}

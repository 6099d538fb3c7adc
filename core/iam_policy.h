/* SPDX-License-Identifier: MIT */
/* iam_policy.h - a function's execution role as IAM evaluates it: statements of Allow or
 * Deny over actions and resources, and the question "may this role do ACTION on RESOURCE?".
 *
 * The rules are IAM's for identity-based policies without conditions: an action pattern
 * ("s3:Get*", "lambda:InvokeFunction", "*") matches case-insensitively, a resource pattern
 * (an ARN, or "*") case-sensitively, both with '*' (any run of characters, '/' included)
 * and '?' (one character); an explicit Deny wins over any Allow; nothing allowed is
 * denied. The types are plain data that config/ fills (config.h's
 * struct fg_conf_role) and the gateway evaluates per request. The syntax checks are here
 * too, so the loader's errors and the evaluator agree on what a pattern is. Pure
 * functions, any thread. Tests: tests/unit/test_iam.c. */
#ifndef FG_IAM_POLICY_H
#define FG_IAM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum fg_iam_effect {
    FG_IAM_ALLOW = 0,
    FG_IAM_DENY,
};

struct fg_iam_statement {
    enum fg_iam_effect effect;
    const char **actions;       /* "service:Action" patterns or "*"; n_actions >= 1 */
    size_t n_actions;
    const char **resources;     /* ARN patterns or "*"; n_resources >= 1 */
    size_t n_resources;
};

/* A role's policy. n 0 is the basic role: everything denied (a function may still write
 * its logs, which fngate keeps without asking). */
struct fg_iam_policy {
    const struct fg_iam_statement *statements;
    size_t n;
};

enum fg_iam_decision {
    FG_IAM_ALLOWED = 0,
    FG_IAM_IMPLICIT_DENY,       /* no statement allows it */
    FG_IAM_EXPLICIT_DENY,       /* a Deny statement matches */
};

/* Whether pattern matches s: '*' any run (possibly empty), '?' one character; the action
 * form ignores case (IAM's actions do), the resource form does not. */
bool fg_iam_match_action(const char *pattern, const char *action);
bool fg_iam_match_resource(const char *pattern, const char *resource);

/* The decision for action ("s3:GetObject") on resource ("arn:aws:s3:::b/k", or "*" for
 * actions without resources, such as s3:ListAllMyBuckets). policy NULL: the basic role. */
enum fg_iam_decision fg_iam_evaluate(const struct fg_iam_policy *policy, const char *action, const char *resource);

/* Syntax checks for the loader. NULL when s is well formed, else a static reason
 * ("expected SERVICE:ACTION, e.g. s3:GetObject"). */
const char *fg_iam_action_check(const char *s);
const char *fg_iam_resource_check(const char *s);

/* The refusal's text as AWS writes it: "User: PRINCIPAL is not authorized to perform:
 * ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action"
 * (or "with an explicit deny in an identity-based policy"). quote_resource: S3 puts the
 * resource in double quotes, Lambda does not. Writes at most size bytes, always ended. */
void fg_iam_denied_message(char *out, size_t size, const char *principal_arn, const char *action,
                           const char *resource, enum fg_iam_decision d, bool quote_resource);

#endif

/* SPDX-License-Identifier: MIT */
/* iam_policy.c - IAM statements evaluated as IAM does (see iam_policy.h).
 *
 * DESIGN: the glob match is the usual two-cursor walk that remembers the last '*' and
 * retries one character further on a mismatch: O(len(pattern) * len(s)) at worst, which
 * for a 1,024-byte S3 key and a policy's few patterns is nothing beside the signature
 * check that precedes it. Every statement is looked at: a Deny may follow the Allow. */
#include "iam_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ matching */

static bool iam_char_eq(char a, char b, bool fold)
{
    return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

static bool iam_glob(const char *p, const char *s, bool fold)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && (*p == '?' || iam_char_eq(*p, *s, fold))) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return !*p;
}

bool fg_iam_match_action(const char *pattern, const char *action)
{
    return iam_glob(pattern, action, true);
}

bool fg_iam_match_resource(const char *pattern, const char *resource)
{
    return iam_glob(pattern, resource, false);
}

/* ------------------------------------------------------------------ evaluation */

static bool iam_statement_matches(const struct fg_iam_statement *st, const char *action, const char *resource)
{
    bool hit = false;
    for (size_t i = 0; i < st->n_actions && !hit; i++)
        hit = fg_iam_match_action(st->actions[i], action);
    if (!hit)
        return false;
    for (size_t i = 0; i < st->n_resources; i++)
        if (fg_iam_match_resource(st->resources[i], resource))
            return true;
    return false;
}

enum fg_iam_decision fg_iam_evaluate(const struct fg_iam_policy *policy, const char *action, const char *resource)
{
    bool allowed = false;
    if (!policy)
        return FG_IAM_IMPLICIT_DENY;
    for (size_t i = 0; i < policy->n; i++) {
        const struct fg_iam_statement *st = &policy->statements[i];
        if (!iam_statement_matches(st, action, resource))
            continue;
        if (st->effect == FG_IAM_DENY)
            return FG_IAM_EXPLICIT_DENY;
        allowed = true;
    }
    return allowed ? FG_IAM_ALLOWED : FG_IAM_IMPLICIT_DENY;
}

/* ------------------------------------------------------------------ syntax */

const char *fg_iam_action_check(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!strcmp(s, "*"))
        return NULL;
    if (!colon || colon == s || !colon[1])
        return "expected SERVICE:ACTION (e.g. s3:GetObject, s3:*, lambda:InvokeFunction) or *";
    for (const char *c = s; c < colon; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return "the service is lowercase letters, digits and - (s3, lambda)";
    for (const char *c = colon + 1; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '*' && *c != '?')
            return "the action is letters and digits, with * and ? as wildcards";
    return NULL;
}

const char *fg_iam_resource_check(const char *s)
{
    int colons = 0;
    if (!strcmp(s, "*"))
        return NULL;
    if (strncmp(s, "arn:", 4))
        return "expected an ARN (arn:aws:s3:::bucket/prefix*, arn:aws:lambda:REGION:ACCOUNT:function:NAME) or *";
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return "an ARN has no spaces or control characters";
        colons += *c == ':';
    }
    if (colons < 5)
        return "an ARN has six parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (S3's leave region and "
               "account empty: arn:aws:s3:::bucket/key)";
    return NULL;
}

/* ------------------------------------------------------------------ messages */

void fg_iam_denied_message(char *out, size_t size, const char *principal_arn, const char *action,
                           const char *resource, enum fg_iam_decision d, bool quote_resource)
{
    const char *q = quote_resource ? "\"" : "";
    if (d == FG_IAM_EXPLICIT_DENY)
        snprintf(out, size, "User: %s is not authorized to perform: %s on resource: %s%s%s with an explicit deny "
                 "in an identity-based policy", principal_arn, action, q, resource, q);
    else
        snprintf(out, size, "User: %s is not authorized to perform: %s on resource: %s%s%s because no "
                 "identity-based policy allows the %s action", principal_arn, action, q, resource, q, action);
}

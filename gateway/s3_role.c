/* SPDX-License-Identifier: MIT */
/* s3_role.c - S3 operations as IAM actions, and the role's verdict (see s3_role.h).
 *
 * DESIGN: one table row per operation, so an operation the endpoint learns later is one
 * line here; an operation missing from it is refused, never let through. */
#include "s3_role.h"

#include <stdio.h>

static const struct {
    enum fg_s3_op op;
    const char *action;
    enum { S3_ROLE_NONE, S3_ROLE_BUCKET, S3_ROLE_OBJECT } on;
} s3_role_ops[] = {
    { FG_S3_OP_LIST_BUCKETS, "s3:ListAllMyBuckets", S3_ROLE_NONE },
    { FG_S3_OP_CREATE_BUCKET, "s3:CreateBucket", S3_ROLE_BUCKET },
    { FG_S3_OP_HEAD_BUCKET, "s3:ListBucket", S3_ROLE_BUCKET },
    { FG_S3_OP_DELETE_BUCKET, "s3:DeleteBucket", S3_ROLE_BUCKET },
    { FG_S3_OP_LIST_OBJECTS, "s3:ListBucket", S3_ROLE_BUCKET },
    { FG_S3_OP_PUT, "s3:PutObject", S3_ROLE_OBJECT },
    { FG_S3_OP_GET, "s3:GetObject", S3_ROLE_OBJECT },
    { FG_S3_OP_HEAD, "s3:GetObject", S3_ROLE_OBJECT },
    { FG_S3_OP_DELETE, "s3:DeleteObject", S3_ROLE_OBJECT },
    { FG_S3_OP_MPU_CREATE, "s3:PutObject", S3_ROLE_OBJECT },
    { FG_S3_OP_MPU_PART, "s3:PutObject", S3_ROLE_OBJECT },
    { FG_S3_OP_MPU_COMPLETE, "s3:PutObject", S3_ROLE_OBJECT },
    { FG_S3_OP_MPU_ABORT, "s3:AbortMultipartUpload", S3_ROLE_OBJECT },
};

const char *fg_s3_role_action(const struct fg_s3_route *r, char *resource, size_t size)
{
    for (size_t i = 0; i < sizeof(s3_role_ops) / sizeof(s3_role_ops[0]); i++) {
        if (s3_role_ops[i].op != r->op)
            continue;
        if (s3_role_ops[i].on == S3_ROLE_NONE)
            snprintf(resource, size, "*");
        else if (s3_role_ops[i].on == S3_ROLE_BUCKET)
            snprintf(resource, size, "arn:aws:s3:::%s", r->bucket);
        else
            snprintf(resource, size, "arn:aws:s3:::%s/%s", r->bucket, r->key);
        return s3_role_ops[i].action;
    }
    snprintf(resource, size, "arn:aws:s3:::%s", r->bucket);
    return NULL;
}

int fg_s3_role_authorize(const struct fg_s3_route *r, const struct fg_iam_principal *who, const char *account_id,
                         struct fg_s3_error *e)
{
    char resource[FG_S3_MAX_KEY + 96], principal[256], msg[2048];
    const char *action = fg_s3_role_action(r, resource, sizeof(resource));
    enum fg_iam_decision d = action ? fg_iam_evaluate(who->policy, action, resource) : FG_IAM_IMPLICIT_DENY;

    if (d == FG_IAM_ALLOWED)
        return 0;
    fg_iam_principal_arn(who, account_id, principal, sizeof(principal));
    fg_iam_denied_message(msg, sizeof(msg), principal, action ? action : "s3:*", resource, d, true);
    return fg_s3_error_set(e, 403, "AccessDenied", "%s", msg);
}

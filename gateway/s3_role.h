/* SPDX-License-Identifier: MIT */
/* s3_role.h - what a function's execution role must allow for an S3 request signed with
 * its credentials, and the refusal when it does not.
 *
 * Each operation the endpoint serves needs the IAM action AWS documents for it, on the
 * object's or the bucket's ARN: GetObject and HeadObject s3:GetObject on
 * arn:aws:s3:::BUCKET/KEY; PutObject and a multipart upload's Create, UploadPart and
 * Complete s3:PutObject there; AbortMultipartUpload s3:AbortMultipartUpload; DeleteObject
 * s3:DeleteObject; ListObjects(V2) and HeadBucket s3:ListBucket on arn:aws:s3:::BUCKET;
 * CreateBucket s3:CreateBucket, DeleteBucket s3:DeleteBucket; ListBuckets
 * s3:ListAllMyBuckets on *. Pure, any thread. Tests: tests/unit/test_iam.c,
 * tests/integration/test_role.py. */
#ifndef FG_S3_ROLE_H
#define FG_S3_ROLE_H

#include <stddef.h>

#include "../core/iam_creds.h"
#include "s3_route.h"

/* The action r needs ("s3:GetObject"; static) and its resource, written into resource. */
const char *fg_s3_role_action(const struct fg_s3_route *r, char *resource, size_t size);

/* 0 when who's policy allows r; else -1 with e set to 403 AccessDenied, its message as S3
 * words a refusal by an identity-based policy ("User: arn:aws:sts::ACCOUNT:assumed-role/...
 * is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no
 * identity-based policy allows the s3:GetObject action"). */
int fg_s3_role_authorize(const struct fg_s3_route *r, const struct fg_iam_principal *who, const char *account_id,
                         struct fg_s3_error *e);

#endif

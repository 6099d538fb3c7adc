/* SPDX-License-Identifier: MIT */
/* iam_creds.h - the temporary credentials fngate gives each execution environment, as
 * Lambda gives a function its role's session credentials.
 *
 * A worker (or a snapshot template, whose forks share its environment) is issued an
 * access key id ("ASIA" + 16 base32 characters, as STS's temporary keys look), a 40-character
 * secret and a session token, bound to its function and that function's policy. They reach
 * the process as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN beside
 * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_LAMBDA (fngate's own listeners), so an AWS SDK with
 * no configuration signs its calls to fngate with them. The S3 endpoint and the Invoke API
 * look the key up, check the secret (through the signature) and the token, and evaluate
 * the policy (iam_policy.h).
 *
 * DESIGN: kept in memory only, never on disk, in a map keyed by access key id under a
 * read-write lock: the loop thread issues and releases (a spawn, a reap), the HTTP threads
 * look up, many at once. An entry is counted: a snapshot template holds one reference and
 * each worker forked from it another, so the keys they all inherited die with the last of
 * them. Credentials also expire FG_IAM_CREDS_LIFETIME_S after issue (Lambda's environments
 * live at most about that long); an expired entry is kept until released so the caller can
 * say "expired" rather than "unknown". Tests: tests/unit/test_iam.c,
 * tests/integration/test_role.py. */
#ifndef FG_IAM_CREDS_H
#define FG_IAM_CREDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "iam_policy.h"
#include "strmap.h"

#define FG_IAM_KEY_ID_LEN    20          /* "ASIA" + 16 */
#define FG_IAM_SECRET_LEN    40
#define FG_IAM_TOKEN_LEN     128         /* base64 of 96 random bytes */
#define FG_IAM_FUNCTION_MAX  64          /* Lambda's name limit */
#define FG_IAM_CREDS_LIFETIME_S (12 * 3600)
#define FG_IAM_ENV_MAX       5
#define FG_IAM_URL_MAX       300

struct fg_iam_creds {
    pthread_rwlock_t lock;               /* guards map */
    struct fg_strmap map;                /* key id -> struct iam_entry (owned) */
    long long lifetime_s;                /* FG_IAM_CREDS_LIFETIME_S; tests shorten it */
    char s3_url[FG_IAM_URL_MAX];         /* "" when the S3 endpoint is off */
    char lambda_url[FG_IAM_URL_MAX];     /* "" when the Invoke API is off */
};

/* What one issue gives a process: the key id to release later and its environment lines
 * ("AWS_ACCESS_KEY_ID=ASIA...", ...), secret included: wipe it once the process has it. */
struct fg_iam_issued {
    char key_id[FG_IAM_KEY_ID_LEN + 1];
    char env[FG_IAM_ENV_MAX][FG_IAM_URL_MAX + 32];
    int n_env;
};

/* Who signed a request with role credentials, as the listeners need it. policy is
 * borrowed from the configuration (lives as long as the gateway). */
struct fg_iam_principal {
    char function[FG_IAM_FUNCTION_MAX + 1];
    const struct fg_iam_policy *policy;
};

/* Caller-embedded c, empty, no endpoints. 0 or -errno. */
int fg_iam_creds_init(struct fg_iam_creds *c) FG_MUST_CHECK;

/* Frees every entry (secrets wiped). Zeroed or initialised c. */
void fg_iam_creds_close(struct fg_iam_creds *c);

/* Before any issue (one thread, before the listeners' threads look up): the URLs SDKs are
 * pointed at ("http://127.0.0.1:9000"); NULL or "" leaves a variable out. */
void fg_iam_creds_set_endpoints(struct fg_iam_creds *c, const char *s3_url, const char *lambda_url);

/* Loop thread. New credentials for function (borrowed, copied) under policy (borrowed for
 * the entry's life), issued at now_s (epoch seconds), one reference held: *out gets the key
 * id and the environment. 0, or -ENOMEM / -errno (getrandom) with nothing issued. */
int fg_iam_creds_issue(struct fg_iam_creds *c, const char *function, const struct fg_iam_policy *policy,
                       long long now_s, struct fg_iam_issued *out) FG_MUST_CHECK;

/* Loop thread. One more holder of key_id (a worker forked from a template). 0, or -ENOENT
 * when it was never issued or is released. */
int fg_iam_creds_hold(struct fg_iam_creds *c, const char *key_id) FG_MUST_CHECK;

/* Loop thread. Drops one reference; the last one removes the credentials, which from then
 * on are unknown. key_id "" or unknown: nothing happens. */
void fg_iam_creds_release(struct fg_iam_creds *c, const char *key_id);

/* Any thread. Whether key_id looks like credentials fngate issues (a signature by such a
 * key is a role's even when the key is no longer known). */
bool fg_iam_creds_is_role_key(const char *key_id);

/* Any thread. The credentials of key_id at now_s: 0 with secret (FG_IAM_SECRET_LEN + 1
 * bytes) and *who filled; -ENOENT unknown or released; -ETIMEDOUT expired; -EACCES when
 * token (the request's session token, NULL when it sent none) is not the one issued. The
 * token is compared in time independent of where it differs. */
int fg_iam_creds_lookup(struct fg_iam_creds *c, const char *key_id, const char *token, long long now_s,
                        char *secret, struct fg_iam_principal *who) FG_MUST_CHECK;

/* The ARN a principal's calls are made as, for refusals:
 * "arn:aws:sts::ACCOUNT:assumed-role/FUNCTION-role/FUNCTION". Always ended. */
void fg_iam_principal_arn(const struct fg_iam_principal *who, const char *account_id, char *out, size_t size);

/* Number of credentials held (tests). */
size_t fg_iam_creds_count(struct fg_iam_creds *c);

#endif

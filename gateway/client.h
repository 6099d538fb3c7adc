/* SPDX-License-Identifier: MIT */
/* client.h - the CLI's side of a running gateway: where it listens, and one HTTP request;
 * and how every verb reads an argument that may name a file (JSON|@FILE|@-).
 *
 * `fngate invoke`, `fngate queue` and `fngate dlq` are clients of the gateway's own HTTP
 * APIs (Invoke API, admin API), so they work against a gateway anywhere and show exactly
 * what an HTTP client would see. Tests: tests/integration/test_cli.py, test_async.py. */
#ifndef FG_CLIENT_H
#define FG_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include <jansson.h>

#include "../core/buf.h"

/* endpoint (e.g. http://127.0.0.1:8080), or the config's listen address. */
void fg_client_base_url(const struct fg_config *conf, const char *endpoint, char *out, size_t out_size);

struct fg_client_reply {
    long status;
    struct fg_buf body;               /* owned: fg_client_reply_close */
    char function_error[64];          /* X-Amz-Function-Error */
    char error_type[128];             /* x-amzn-ErrorType */
    char log_result[8192];            /* X-Amz-Log-Result */
};

/* A SigV4 key the CLI signs Invoke API calls with (service lambda), as the AWS CLI would.
 * All strings borrowed. */
struct fg_client_key {
    const char *access_key;
    const char *secret_key;
    const char *region;
};

/* Sends method url with body (may be NULL) and extra header lines (NULL-terminated list,
 * may be NULL), signed with key when it is not NULL (Host, X-Amz-Date and the body's hash
 * signed). 0 with the reply filled (whatever the status), or -EIO with err saying why the
 * gateway could not be reached (-EINVAL: url cannot be signed). */
int fg_client_request(const char *method, const char *url, const char *const *headers, const char *body,
                      size_t len, const struct fg_client_key *key, struct fg_client_reply *r,
                      struct fg_err *err) FG_MUST_CHECK;

void fg_client_reply_close(struct fg_client_reply *r);

/* Where the CLI's admin verbs (queue, dlq, schedules) find the admin API: --admin URL
 * (http://HOST:PORT or unix:PATH) and --token, else FNGATE_ADMIN_TOKEN for the token, else
 * the config's admin.listen and its token (admin.token, admin.token_file, or the one the
 * gateway made in state_dir). All borrowed. */
struct fg_client_admin {
    const char *config;
    const char *url;                  /* NULL: from the config */
    const char *token;                /* NULL: from the environment or the config */
};

/* The getopt_long entries every admin verb takes (--admin, --endpoint as its old name,
 * --token) and the handling of one: true when c was one of them. */
#define FG_CLIENT_ADMIN_OPTIONS                                                              \
    { "admin", required_argument, NULL, 'A' }, { "endpoint", required_argument, NULL, 'A' }, \
    { "token", required_argument, NULL, 'T' }
bool fg_client_admin_option(struct fg_client_admin *a, int c, const char *arg);
#define FG_CLIENT_ADMIN_USAGE                                                                        \
    "  --admin URL         the admin API: http://HOST:PORT or unix:PATH (default: admin.listen)\n" \
    "  --token TOKEN       its bearer token (default: $FNGATE_ADMIN_TOKEN, else the config's)\n"

/* The admin API from the CLI: method path (with body, may be NULL). Problems (no config, no
 * token, no gateway, an HTTP error, not JSON) are printed on stderr. The parsed answer
 * (owned: json_decref), or NULL. */
json_t *fg_client_call_json(const struct fg_client_admin *a, const char *method, const char *path, const char *body);

/* Appends "&key=value" (or "?key=value" to an out without '?') with value percent-encoded,
 * for a question's query string. 0 or a fg_buf error. */
int fg_client_query_param(struct fg_buf *out, const char *key, const char *value);

/* A time on the command line as epoch ms: a duration before now_ms ("30s", "10m", "2h",
 * "7d", "1w"), an ISO 8601 date or time ("2026-12-01", "2026-12-01T10:00",
 * "2026-12-01T10:00:00.250Z", "2026-12-01T12:00:00+02:00"; without a zone it is UTC), or
 * epoch milliseconds (12 digits or more). 0, or -EINVAL. */
int fg_client_time_arg(const char *s, long long now_ms, long long *out) FG_MUST_CHECK;

/* An argument that is text, or @FILE (that file's content), or @- (standard input), appended
 * to out (whose ceiling bounds it). what names it in messages ("payload"). 0, or a negative
 * code with err saying why (-errno for the file, -FG_ETOOBIG past out's ceiling). */
int fg_client_read_arg(const char *arg, const char *what, struct fg_buf *out, struct fg_err *err) FG_MUST_CHECK;

#endif

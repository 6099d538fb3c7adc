/* SPDX-License-Identifier: MIT */
/* admin_token.h - the admin API's bearer token: written in the config (admin.token, often
 * ${FNGATE_ADMIN_TOKEN}), read from a file (admin.token_file), or else made on the first
 * start into state_dir/admin.token with mode 0600, so the admin listener is never open
 * without one and the CLI, run by the same user, finds it. Tests:
 * tests/integration/test_admin.py. */
#ifndef FG_ADMIN_TOKEN_H
#define FG_ADMIN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/err.h"

#define FG_ADMIN_TOKEN_MAX 256

/* The token into out (FG_ADMIN_TOKEN_MAX + 1 bytes). With create, a missing default file is
 * made (64 hex digits from getrandom, mode 0600, its directory 0700 when missing; two
 * gateways racing agree on one). 0, or a negative code with err naming the file and what
 * to do. */
int fg_admin_token_load(const struct fg_conf_admin *a, bool create, char out[FG_ADMIN_TOKEN_MAX + 1],
                        struct fg_err *err) FG_MUST_CHECK;

/* Whether got (length n) is the token, in time that does not depend on where they differ. */
bool fg_admin_token_equal(const char *token, const char *got, size_t n);

#endif

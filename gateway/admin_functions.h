/* SPDX-License-Identifier: MIT */
/* admin_functions.h - GET /_fngate/functions and GET /_fngate/functions/NAME: the console's
 * functions page and a function's Configuration tab (README "Admin API").
 *
 * Why it exists: the console shows what the Lambda console shows of a function (runtime,
 * memory, timeout, ephemeral storage, reserved and current concurrency, its triggers, its
 * configuration with where each key is written, its environment and its role), and all of
 * it is either the running configuration (the router's, a reload swaps it) or the router's
 * live figures, which only the loop thread may read: the whole answer is built there, in one
 * pass, like GET /_fngate/queue. Each configured event is shown by its adapter's console
 * slot (triggers/trigger.h), the function URL by gateway/function_url.h.
 *
 * DESIGN: environment values whose name looks secret (fg_admin_fn_secret) are shown as
 * "****": the console is for people who may see the configuration's shape, and a screen
 * or a screenshot should not carry keys. A key's position is the file position of the key
 * as written (config/ records it while walking), null when the default applies. The
 * builders are pure: tests/unit/test_admin_functions.c; the endpoint:
 * tests/integration/test_console_api.py. */
#ifndef FG_ADMIN_FUNCTIONS_H
#define FG_ADMIN_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/buf.h"
#include "../router/router.h"
#include "../triggers/trigger.h"

/* What the builders read besides the function's configuration. */
struct fg_admin_fn_view {
    const struct fg_config *conf;           /* the configuration in force (borrowed) */
    struct fg_trigger *const *triggers;     /* running adapter instances, NULL entries and
                                             * NULL allowed (borrowed) */
    size_t n_triggers;
    int url_port;                           /* the front door's port, for function URLs */
};

/* A function's figures now (the router's, loop thread). */
struct fg_admin_fn_live {
    int concurrent;                         /* invocations running */
    int workers;                            /* warm worker processes */
};

/* Whether an environment variable's value is masked: its name contains SECRET, TOKEN,
 * PASSWORD, PASSWD, KEY, CREDENTIAL or PRIVATE, in any case. */
bool fg_admin_fn_secret(const char *name);

/* Appends fn as the list shows it: {"name", "runtime", "handler", "memoryMb", "timeoutS",
 * "ephemeralStorageMb", "reservedConcurrency", "concurrent", "workers", "triggers"}. The
 * triggers' adapter instances are used only on the loop thread (NULL triggers: pure).
 * 0 or a fg_buf error. */
int fg_admin_fn_summary(const struct fg_admin_fn_view *v, const struct fg_conf_function *fn,
                        const struct fg_admin_fn_live *live, struct fg_buf *out) FG_MUST_CHECK;

/* Appends fn's detail: the summary's members plus "config" ([{key, value, pos}]),
 * "environment" (masked) and "role" ({name, statements}). Same contract. */
int fg_admin_fn_detail(const struct fg_admin_fn_view *v, const struct fg_conf_function *fn,
                       const struct fg_admin_fn_live *live, struct fg_buf *out) FG_MUST_CHECK;

/* Loop thread: the answer to GET /_fngate/functions (name NULL or "": {"functions":[...]})
 * or GET /_fngate/functions/NAME, from the router's configuration and figures, appended to
 * out. v->conf is ignored (the router's is used). 0, -ENOENT when no function has that name,
 * or a fg_buf error. */
int fg_admin_fn_answer(struct fg_router *r, const struct fg_admin_fn_view *v, const char *name,
                       struct fg_buf *out) FG_MUST_CHECK;

#endif

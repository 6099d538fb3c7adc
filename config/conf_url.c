/* SPDX-License-Identifier: MIT */
/* conf_url.c - a function's `url:` (struct fg_conf_url in config.h): whether it has a
 * function URL, who may call it and how it answers.
 *
 * url: true, or url: {auth_type: NONE|AWS_IAM, invoke_mode: BUFFERED|RESPONSE_STREAM, cors: ...}.
 *
 * DESIGN: Lambda's CreateFunctionUrlConfig requires AuthType; fngate takes NONE when it is
 * not written, as the Serverless Framework does for `url: true`, so the shorthand and an
 * empty mapping mean the same. Values are written as Lambda's API spells them (upper
 * case). `url: false` (or null) is no URL, which lets an anchor's URL be switched off.
 * A mapping is read by the generic walker, so unknown keys get the usual did-you-mean;
 * `cors` is the same key as a route's (config/conf_cors.h); gateway.cors does not reach a
 * URL, as an HTTP API's CORS does not reach Lambda's function URLs. Tests: tests/unit/test_config.c. */
#include "config.h"

#include <libfyaml.h>
#include <stddef.h>
#include <string.h>

#include "conf_walk.h"

static const char *const url_auth_names[] = { "NONE", "AWS_IAM", NULL };
static const char *const url_mode_names[] = { "BUFFERED", "RESPONSE_STREAM", NULL };

static const struct fg_conf_key url_keys[] = {
    { .name = "auth_type", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_url, auth_type),
      .names = url_auth_names },
    { .name = "invoke_mode", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_url, invoke_mode),
      .names = url_mode_names },
    { .name = "cors", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_url, cors), .parse = fg_conf_parse_cors },
    FG_CONF_KEY_END,
};

int fg_conf_parse_url(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                      struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_url *url = field;
    const char *s;
    int rc;

    memset(url, 0, sizeof(*url));
    url->pos = kpos;
    if (!val || fy_node_is_null(val))
        return 0;
    if (fg_conf_is_scalar(val)) {
        if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
            return rc;
        if (strcmp(s, "true") && strcmp(s, "false"))
            return fg_conf_fail(p, fg_conf_node_pos(val, kpos),
                                "url: expected true, false or {auth_type: NONE|AWS_IAM, invoke_mode: BUFFERED|RESPONSE_STREAM}, got '%s'", s);
        url->enabled = !strcmp(s, "true");
        return 0;
    }
    if ((rc = fg_conf_mapping(p, val, kpos, k->name, "true or {auth_type: NONE|AWS_IAM, invoke_mode: ...}")) < 0)
        return rc;
    url->enabled = true;
    return fg_conf_walk(p, val, kpos, "url", url_keys, url);
}

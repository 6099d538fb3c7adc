/* SPDX-License-Identifier: MIT */
/* conf_role.c - a function's `role:` (struct fg_conf_role in config.h): IAM policy
 * statements as plain data for core/iam_policy.c.
 *
 * role: {statements: [{effect: Allow|Deny, action: ACTIONS, resource: ARNS}, ...]}, as README
 * "Execution role" shows.
 *
 * DESIGN: written as fngate's other keys (snake_case, lowercase) or as an IAM policy
 * document is (`Statement`, `Effect`, `Action`, `Resource`, `Version`, `Sid`), since
 * Serverless and SAM users paste those; action and resource take one string or a list.
 * Each action and resource is checked by core/iam_policy.c's own syntax rules, so what
 * loads is what the evaluator understands. Conditions, NotAction, NotResource and
 * Principal are refused by name rather than ignored: a policy that loads means what it
 * says. Tests: tests/unit/test_config.c. */
#include "config.h"

#include <errno.h>
#include <libfyaml.h>
#include <string.h>
#include <strings.h>

#include "conf_walk.h"

/* `action` or `resource`: one string or a non-empty list of them, each checked. */
static int role_strings(struct fg_conf_parser *p, struct fy_node *val, struct fg_conf_pos pos, const char *what,
                        const char *(*check)(const char *), const char ***out, size_t *n)
{
    struct fy_node *item;
    void *it = NULL;
    size_t cap;
    int rc;

    if (val && fg_conf_is_scalar(val)) {
        cap = 1;
    } else if (val && fy_node_is_sequence(val) && fy_node_sequence_item_count(val) > 0) {
        cap = (size_t)fy_node_sequence_item_count(val);
    } else {
        return fg_conf_fail(p, pos, "role: %s: expected a string or a non-empty list of strings", what);
    }
    if (!(*out = fg_arena_alloc(&p->conf->arena, sizeof(**out) * cap)))
        return -ENOMEM;
    *n = 0;
    while ((item = fg_conf_is_scalar(val) ? (*n ? NULL : val) : fy_node_sequence_iterate(val, &it))) {
        struct fg_conf_pos ipos = fg_conf_node_pos(item, pos);
        const char *s, *why;
        if ((rc = fg_conf_string(p, item, ipos, what, &s)) < 0)
            return rc;
        if ((why = check(s)))
            return fg_conf_fail(p, ipos, "role: %s '%s': %s", what, s, why);
        (*out)[(*n)++] = s;
    }
    return 0;
}

/* The statement key name stands for, case-folded: its canonical name or NULL. */
static const char *role_key_name(const char *name)
{
    static const char *const known[] = { "effect", "action", "resource", "sid", NULL };
    for (const char *const *k = known; *k; k++)
        if (!strcasecmp(name, *k))
            return *k;
    return NULL;
}

static int role_statement(struct fg_conf_parser *p, struct fy_node *item, struct fg_conf_pos pos,
                          struct fg_iam_statement *st)
{
    static const char *const names[] = { "effect", "action", "resource", "sid", NULL };
    struct fy_node_pair *pair;
    struct fy_node *effect = NULL;
    void *it = NULL;
    bool has_action = false, has_resource = false;
    int rc;

    if (!fy_node_is_mapping(item))
        return fg_conf_fail(p, pos, "role: each statement is a mapping {effect: Allow|Deny, action: [...], resource: [...]}");
    while ((pair = fy_node_mapping_iterate(item, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);
        struct fg_conf_pos kpos = fg_conf_node_pos(kn, pos);
        const char *name, *canon;
        char msg[256];
        if ((rc = fg_conf_key_text(p, kn, kpos, "role statement", &name)) < 0)
            return rc;
        if (!(canon = role_key_name(name))) {
            if (!strcasecmp(name, "condition") || !strcasecmp(name, "notaction") || !strcasecmp(name, "notresource") ||
                !strcasecmp(name, "principal") || !strcasecmp(name, "notprincipal"))
                return fg_conf_fail(p, kpos, "role: %s is not supported by fngate (a statement has effect, action and resource)", name);
            snprintf(msg, sizeof(msg), "role: unknown statement key '%s'", name);
            fg_conf_suggest(msg, sizeof(msg), name, names);
            return fg_conf_fail(p, kpos, "%s", msg);
        }
        if (!strcmp(canon, "effect")) {
            effect = val;
        } else if (!strcmp(canon, "action")) {
            if ((rc = role_strings(p, val, kpos, "action", fg_iam_action_check, &st->actions, &st->n_actions)) < 0)
                return rc;
            has_action = true;
        } else if (!strcmp(canon, "resource")) {
            if ((rc = role_strings(p, val, kpos, "resource", fg_iam_resource_check, &st->resources, &st->n_resources)) < 0)
                return rc;
            has_resource = true;
        }
    }
    if (!effect)
        return fg_conf_fail(p, pos, "role: a statement needs 'effect' (Allow or Deny)");
    {
        struct fg_conf_pos epos = fg_conf_node_pos(effect, pos);
        const char *e;
        if ((rc = fg_conf_string(p, effect, epos, "effect", &e)) < 0)
            return rc;
        if (!strcmp(e, "Allow"))
            st->effect = FG_IAM_ALLOW;
        else if (!strcmp(e, "Deny"))
            st->effect = FG_IAM_DENY;
        else
            return fg_conf_fail(p, epos, "role: effect '%s': expected Allow or Deny (as IAM writes them)", e);
    }
    if (!has_action)
        return fg_conf_fail(p, pos, "role: a statement needs 'action' (e.g. s3:GetObject, or a list)");
    if (!has_resource)
        return fg_conf_fail(p, pos, "role: a statement needs 'resource' (an ARN such as arn:aws:s3:::bucket/*, or *)");
    return 0;
}

/* Where a statement starts: its first key (a mapping node has no position of its own). */
static struct fg_conf_pos role_item_pos(struct fy_node *item, struct fg_conf_pos fallback)
{
    void *it = NULL;
    struct fy_node_pair *first = fy_node_is_mapping(item) ? fy_node_mapping_iterate(item, &it) : NULL;
    return first ? fg_conf_node_pos(fy_node_pair_key(first), fallback) : fg_conf_node_pos(item, fallback);
}

int fg_conf_parse_role(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_role *role = field;
    struct fy_node_pair *pair;
    struct fy_node *stmts = NULL, *item;
    struct fg_iam_statement *sts;
    void *it = NULL;
    size_t n = 0;
    int rc;

    role->given = true;
    role->pos = kpos;
    if ((rc = fg_conf_mapping(p, val, kpos, k->name, "{statements: [{effect, action, resource}, ...]}")) <= 0)
        return rc;
    while ((pair = fy_node_mapping_iterate(val, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair);
        struct fg_conf_pos pos = fg_conf_node_pos(kn, kpos);
        const char *name;
        if ((rc = fg_conf_key_text(p, kn, pos, "role", &name)) < 0)
            return rc;
        if (!strcmp(name, "statements") || !strcmp(name, "Statement"))
            stmts = fy_node_pair_value(pair);
        else if (strcmp(name, "Version") && strcmp(name, "version"))
            return fg_conf_fail(p, pos, "role: unknown key '%s' (expected statements)", name);
    }
    if (!stmts || fy_node_is_null(stmts))
        return 0;               /* no statements: the basic role */
    if (fy_node_is_mapping(stmts))
        n = 1;                  /* IAM allows one statement without a list */
    else if (fy_node_is_sequence(stmts))
        n = (size_t)fy_node_sequence_item_count(stmts);
    else
        return fg_conf_fail(p, fg_conf_node_pos(stmts, kpos), "role: statements: expected a list of {effect, action, resource}");
    if (!(sts = fg_arena_alloc(&p->conf->arena, sizeof(*sts) * (n + 1))))
        return -ENOMEM;
    memset(sts, 0, sizeof(*sts) * (n + 1));
    it = NULL;
    role->policy.n = 0;
    while ((item = fy_node_is_mapping(stmts) ? (role->policy.n ? NULL : stmts) : fy_node_sequence_iterate(stmts, &it))) {
        if ((rc = role_statement(p, item, role_item_pos(item, kpos), &sts[role->policy.n])) < 0)
            return rc;
        role->policy.n++;
    }
    role->policy.statements = sts;
    return 0;
}

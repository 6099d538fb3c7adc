/* SPDX-License-Identifier: MIT */
/* conf_defaults.c - fngate.yaml's `defaults:` block (conf_doc.h).
 *
 * serverless.yml's provider block sets runtime, memory, timeout, environment and the role
 * once for every function; fngate.yaml users get the same with `defaults:`, and the
 * Serverless and SAM translations write their provider and Globals sections into it. The
 * block is merged into each function's mapping before the walk, as copies of its nodes,
 * so a bad default is reported at the line of the default, once per function that takes
 * it. Environment variables merge name by name (the function's own win), as provider and
 * function environments do in serverless.yml; any other key is taken only when the function
 * does not write it. */
#include "conf_doc.h"

#include <errno.h>
#include <string.h>

/* The function keys a default may set: what is about how functions run, not what they are
 * (handler, events, url, name-bound keys stay per function). */
static const char *const defaults_keys[] = {
    "runtime", "code", "memory", "timeout", "environment", "role", "ephemeral_storage", "network", "retries",
    "destinations", "scaling", "idle_timeout", "max_workers", "concurrency", "snapstart", NULL,
};

static int defaults_check(struct fg_conf_parser *p, struct fy_node *defs)
{
    struct fy_node_pair *pair;
    void *it = NULL;

    while ((pair = fy_node_mapping_iterate(defs, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair);
        const char *k = fg_doc_text(kn);
        struct fg_conf_pos pos = fg_conf_node_pos(kn, (struct fg_conf_pos){ 1, 1 });
        size_t i;
        for (i = 0; defaults_keys[i] && (!k || strcmp(k, defaults_keys[i])); i++)
            ;
        if (!defaults_keys[i]) {
            char hint[512] = "";
            fg_conf_suggest(hint, sizeof(hint), k ? k : "", defaults_keys);
            return fg_conf_fail(p, pos, "unknown key '%s' in defaults%s", k ? k : "?", hint);
        }
    }
    return 0;
}

/* Adds defaults' environment entries that fn's env does not have. */
static int defaults_merge_env(struct fy_node *fenv, struct fy_node *denv)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    while ((pair = fy_node_mapping_iterate(denv, &it))) {
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        if (k && !fg_doc_get(fenv, k) && (rc = fg_doc_set_copy(fenv, k, fy_node_pair_value(pair))) < 0)
            return rc;
    }
    return 0;
}

int fg_conf_apply_defaults(struct fg_conf_parser *p, struct fy_document *doc)
{
    struct fy_node *root = fy_document_root(doc), *defs, *fns;
    struct fy_node_pair *fpair;
    void *fit = NULL;
    int rc;

    if (!root || !fy_node_is_mapping(root) || !(defs = fg_doc_get(root, "defaults")))
        return 0;
    if ((rc = fg_conf_mapping(p, defs, fg_conf_node_pos(defs, (struct fg_conf_pos){ 1, 1 }), "defaults",
                              "a mapping of function keys (runtime, memory, timeout, environment, ...)")) <= 0)
        goto out;
    if ((rc = defaults_check(p, defs)) < 0)
        return rc;
    fns = fg_doc_get(root, "functions");
    while (fns && fy_node_is_mapping(fns) && (fpair = fy_node_mapping_iterate(fns, &fit))) {
        struct fy_node *fn = fy_node_pair_value(fpair);
        struct fy_node_pair *dpair;
        void *dit = NULL;
        if (!fn || !fy_node_is_mapping(fn))
            continue;   /* the walk reports it */
        while ((dpair = fy_node_mapping_iterate(defs, &dit))) {
            const char *k = fg_doc_text(fy_node_pair_key(dpair));
            struct fy_node *mine = fg_doc_get(fn, k), *dv = fy_node_pair_value(dpair);
            if (!mine)
                rc = fg_doc_set_copy(fn, k, dv);
            else if (!strcmp(k, "environment") && fy_node_is_mapping(mine) && dv && fy_node_is_mapping(dv))
                rc = defaults_merge_env(mine, dv);
            if (rc < 0)
                return rc;
        }
    }
out:
    if (rc < 0)
        return rc;
    fy_node_free(fy_node_mapping_remove_by_key(root, fy_node_create_scalar(doc, "defaults", 8)));
    return 0;
}

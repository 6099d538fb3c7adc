/* SPDX-License-Identifier: MIT */
/* conf_sam.c - an AWS SAM template.yaml read as it is (conf_doc.h).
 *
 * A template is recognised by `Transform: AWS::Serverless-2016-10-31` (or
 * AWSTemplateFormatVersion with AWS::Serverless::Function resources). Each
 * AWS::Serverless::Function becomes an fngate function named by its logical id, as
 * `sam local invoke HelloWorldFunction` names it:
 *   CodeUri (a directory; default the template's) -> code; Handler, Runtime -> handler, runtime
 *   MemorySize, Timeout (SAM's defaults 128 MB and 3 s, as fngate's) -> memory, timeout
 *   Environment.Variables -> environment; ReservedConcurrentExecutions -> concurrency;
 *   ProvisionedConcurrencyConfig -> min_warm; EphemeralStorage.Size -> ephemeral_storage;
 *   SnapStart -> snapstart; FunctionUrlConfig -> url; EventInvokeConfig -> retries and
 *   destinations; Policies (S3 and Lambda templates, managed policies fngate knows, inline
 *   statements) -> role; Events -> conf_sam_events.c
 * Globals.Function gives every function the properties it does not write itself
 * (environment variables merge name by name), as SAM does. Values go through CloudFormation's
 * intrinsics (conf_cfn.c) against Parameters (their Default) and Resources. Metadata.fngate
 * holds fngate.yaml's own top-level keys and where queues, topics and streams live
 * (conf_sources.c). Other resources are not created; keys fngate does not support are one
 * warning each. */
#include "conf_sam.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fg_conf_pos sam_pos(struct fy_node *n)
{
    return fg_doc_pos(n);
}

/* A function's property, else Globals.Function's. */
static struct fy_node *sam_prop(struct fg_sam *s, struct fy_node *props, const char *key)
{
    struct fy_node *v = fg_doc_get(props, key), *g = fg_doc_get(s->globals, key), *m;
    struct fy_node_pair *pair;
    void *it = NULL;

    if (!v || !g || !fy_node_is_mapping(v) || !fy_node_is_mapping(g) || !s->scratch)
        return v ? v : g;
    /* Both are maps: SAM merges them, the function's keys over Globals' (one level, as the
     * maps fngate reads here are). The merged map lives in s->scratch until the end. */
    if (!(m = fg_doc_copy(s->cfn.out, v)) || fy_node_sequence_append(s->scratch, m) < 0) {
        fy_node_free(m);
        return v;
    }
    while ((pair = fy_node_mapping_iterate(g, &it))) {
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        if (k && fg_doc_set_absent(m, k, fg_doc_copy(s->cfn.out, fy_node_pair_value(pair))) < 0)
            return v;
    }
    return m;
}

/* A statement {effect: Allow, action: [...], resource: [...]} of the role. */
static int sam_statement(struct fy_node *list, const char *const *actions, const char *const *resources)
{
    struct fy_document *d = fy_node_document(list);
    struct fy_node *st = fy_node_create_mapping(d), *a, *r;
    int rc;
    if (!st || fy_node_sequence_append(list, st) < 0)
        return -ENOMEM;
    if ((rc = fg_doc_set(st, "effect", fg_doc_str(d, "Allow"))) < 0 || !(a = fg_doc_seq_at(st, "action")) ||
        !(r = fg_doc_seq_at(st, "resource")))
        return rc < 0 ? rc : -ENOMEM;
    for (size_t i = 0; actions[i]; i++)
        if (fy_node_sequence_append(a, fg_doc_str(d, "%s", actions[i])) < 0)
            return -ENOMEM;
    for (size_t i = 0; resources[i]; i++)
        if (fy_node_sequence_append(r, fg_doc_str(d, "%s", resources[i])) < 0)
            return -ENOMEM;
    return 0;
}

/* One Policies entry: a managed policy's name, a policy template {S3ReadPolicy: {BucketName}},
 * or an inline document {Statement: [...]}. Only S3 and Lambda actions are enforced by
 * fngate (README "Execution role"); other templates are a warning. */
static int sam_policy(struct fg_sam *s, struct fy_node *item, struct fy_node *list)
{
    static const char *const s3_read[] = { "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation",
                                           "s3:GetObjectVersion", "s3:GetLifecycleConfiguration", NULL };
    static const char *const s3_write[] = { "s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration", NULL };
    static const char *const s3_crud[] = { "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
                                           "s3:PutObject", "s3:PutObjectAcl", "s3:GetLifecycleConfiguration",
                                           "s3:PutLifecycleConfiguration", "s3:DeleteObject", NULL };
    static const char *const s3_all[] = { "s3:*", NULL };
    static const char *const s3_ro[] = { "s3:Get*", "s3:List*", NULL };
    static const char *const invoke[] = { "lambda:InvokeFunction", NULL };
    static const char *const any[] = { "*", NULL };
    const char *name = fg_doc_text(item), *arg;
    struct fy_node *val;
    char id[128], r1[512], r2[512];
    const char *res[] = { r1, r2, NULL };
    int rc;

    if (name) {
        if (!strcmp(name, "AmazonS3ReadOnlyAccess"))
            return sam_statement(list, s3_ro, any);
        if (!strcmp(name, "AmazonS3FullAccess"))
            return sam_statement(list, s3_all, any);
        if (!strcmp(name, "AWSLambdaRole") || !strcmp(name, "AWSLambda_FullAccess"))
            return sam_statement(list, invoke, any);
        if (!strcmp(name, "AWSLambdaExecute")) {
            static const char *const rw[] = { "s3:GetObject", "s3:PutObject", NULL };
            static const char *const all_obj[] = { "arn:aws:s3:::*", NULL };
            return sam_statement(list, rw, all_obj);
        }
        if (!strcmp(name, "AWSLambdaBasicExecutionRole") || !strcmp(name, "AWSLambdaVPCAccessExecutionRole"))
            return 0;   /* logs: every fngate function has them */
        snprintf(id, sizeof(id), "Policies.%s", name);
        return fg_doc_warn(s->p, id, sam_pos(item), "Policies: %s: fngate's roles govern S3 and Lambda actions only; "
                           "this policy is ignored", name);
    }
    if (!item || !fy_node_is_mapping(item) || fy_node_mapping_item_count(item) != 1)
        return fg_conf_fail(s->p, sam_pos(item), "Policies: expected a policy name, a policy template or {Statement: [...]}");
    name = fg_doc_text(fy_node_pair_key(fy_node_mapping_get_by_index(item, 0)));
    val = fy_node_pair_value(fy_node_mapping_get_by_index(item, 0));
    if (name && !strcmp(name, "Statement")) {
        struct fy_node *st;
        void *it = NULL;
        while (val && fy_node_is_sequence(val) && (st = fy_node_sequence_iterate(val, &it))) {
            struct fy_node *copy;
            if ((rc = fg_cfn_copy(&s->cfn, st, &copy)) < 0)
                return rc;
            if (fy_node_sequence_append(list, copy) < 0) {
                fy_node_free(copy);
                return -ENOMEM;
            }
        }
        return 0;
    }
    if (name && !strncmp(name, "S3", 2) && fg_doc_get(val, "BucketName")) {
        if ((rc = fg_cfn_string(&s->cfn, fg_doc_get(val, "BucketName"), &arg)) < 0)
            return rc;
        snprintf(r1, sizeof(r1), "arn:aws:s3:::%s", arg);
        snprintf(r2, sizeof(r2), "arn:aws:s3:::%s/*", arg);
        if (!strcmp(name, "S3ReadPolicy"))
            return sam_statement(list, s3_read, res);
        if (!strcmp(name, "S3WritePolicy"))
            return sam_statement(list, s3_write, res);
        if (!strcmp(name, "S3CrudPolicy"))
            return sam_statement(list, s3_crud, res);
        if (!strcmp(name, "S3FullAccessPolicy"))
            return sam_statement(list, s3_all, res);
    }
    if (name && !strcmp(name, "LambdaInvokePolicy") && fg_doc_get(val, "FunctionName")) {
        if ((rc = fg_cfn_string(&s->cfn, fg_doc_get(val, "FunctionName"), &arg)) < 0)
            return rc;
        snprintf(r1, sizeof(r1), "arn:aws:lambda:%s:%s:function:%s*", s->cfn.region, s->cfn.account, arg);
        res[1] = NULL;
        return sam_statement(list, invoke, res);
    }
    snprintf(id, sizeof(id), "Policies.%s", name ? name : "?");
    return fg_doc_warn(s->p, id, sam_pos(item), "Policies: %s: fngate's roles govern S3 and Lambda actions only; "
                       "this policy template is ignored", name ? name : "?");
}

static int sam_policies(struct fg_sam *s, struct fy_node *pol, struct fy_node *out)
{
    struct fy_node *role, *list, *item;
    void *it = NULL;
    int rc;
    if (!pol)
        return 0;
    if (!(role = fg_doc_map_at(out, "role")) || !(list = fg_doc_seq_at(role, "statements")))
        return -ENOMEM;
    if (!fy_node_is_sequence(pol))
        return sam_policy(s, pol, list);
    while ((item = fy_node_sequence_iterate(pol, &it)))
        if ((rc = sam_policy(s, item, list)) < 0)
            return rc;
    return 0;
}

/* EventInvokeConfig: {MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig:
 * {OnSuccess: {Type, Destination}, OnFailure: ...}}. */
static int sam_invoke_config(struct fg_sam *s, struct fy_node *cfg, struct fy_node *out)
{
    static const char *const keys[][2] = { { "OnSuccess", "on_success" }, { "OnFailure", "on_failure" } };
    struct fy_node *retries, *dests, *dc;
    int rc;
    if (!cfg)
        return 0;
    if ((fg_doc_get(cfg, "MaximumRetryAttempts") || fg_doc_get(cfg, "MaximumEventAgeInSeconds")) &&
        (!(retries = fg_doc_map_at(out, "retries")) ||
         (rc = fg_cfn_set(&s->cfn, retries, "maximum_retry_attempts", fg_doc_get(cfg, "MaximumRetryAttempts"))) < 0 ||
         (rc = fg_cfn_set(&s->cfn, retries, "maximum_event_age", fg_doc_get(cfg, "MaximumEventAgeInSeconds"))) < 0))
        return -ENOMEM;
    if (!(dc = fg_doc_get(cfg, "DestinationConfig")))
        return 0;
    if (!(dests = fg_doc_map_at(out, "destinations")))
        return -ENOMEM;
    for (size_t i = 0; i < 2; i++) {
        struct fy_node *d = fg_doc_get(fg_doc_get(dc, keys[i][0]), "Destination");
        const char *t;
        char buf[256];
        if (!d)
            continue;
        if ((rc = fg_cfn_string(&s->cfn, d, &t)) < 0)
            return rc;
        if (strstr(t, ":lambda:"))
            rc = fg_doc_set(dests, keys[i][1], fg_doc_str(s->cfn.out, "%s", fg_doc_arn_name(t, buf, sizeof(buf))));
        else if (i == 1)
            rc = fg_doc_warn(s->p, "DestinationConfig", sam_pos(d), "EventInvokeConfig: %s is not a function; fngate "
                             "keeps failed events in its dead letters", t);
        else
            rc = fg_doc_warn(s->p, "DestinationConfig", sam_pos(d), "EventInvokeConfig: %s is not a function and is "
                             "ignored", t);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* CORS as SAM writes it for HTTP APIs and function URLs: {AllowOrigins, AllowMethods,
 * AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials}, or true. */
static int sam_cors(struct fg_sam *s, struct fy_node *map, struct fy_node *val)
{
    static const char *const pairs[][2] = {
        { "AllowOrigins", "allow_origins" }, { "AllowMethods", "allow_methods" }, { "AllowHeaders", "allow_headers" },
        { "ExposeHeaders", "expose_headers" }, { "MaxAge", "max_age" }, { "AllowCredentials", "allow_credentials" },
    };
    struct fy_node *c;
    int rc;
    if (!val || !fy_node_is_mapping(val))
        return fg_cfn_set(&s->cfn, map, "cors", val);
    if (!(c = fg_doc_map_at(map, "cors")))
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if ((rc = fg_cfn_set(&s->cfn, c, pairs[i][1], fg_doc_get(val, pairs[i][0]))) < 0)
            return rc;
    return 0;
}

static int sam_url(struct fg_sam *s, struct fy_node *cfg, struct fy_node *out)
{
    struct fy_node *u;
    int rc;
    if (!cfg)
        return 0;
    if (!(u = fg_doc_map_at(out, "url")))
        return -ENOMEM;
    if ((rc = fg_cfn_set(&s->cfn, u, "auth_type", fg_doc_get(cfg, "AuthType"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, u, "invoke_mode", fg_doc_get(cfg, "InvokeMode"))) < 0)
        return rc;
    return fg_doc_get(cfg, "Cors") ? sam_cors(s, u, fg_doc_get(cfg, "Cors")) : 0;
}

static int sam_function(struct fg_sam *s, const char *name, struct fy_node *res, struct fy_node *fns)
{
    static const char *const known[] = { "CodeUri", "Handler", "Runtime", "MemorySize", "Timeout", "Environment",
                                         "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig",
                                         "EphemeralStorage", "SnapStart", "FunctionUrlConfig", "EventInvokeConfig",
                                         "Policies", "Events", "Description", "FunctionName", "Architectures", NULL };
    static const char *const quiet[] = { "Tags", "AutoPublishAlias", "AutoPublishCodeSha256", "DeploymentPreference",
                                         "VersionDescription", "PropagateTags", "RuntimeManagementConfig",
                                         "LoggingConfig", "PermissionsBoundary", NULL };
    struct fy_node *props = fg_doc_get(res, "Properties"), *out, *env, *v;
    const char *code = NULL, *arch;
    int rc;

    if (!(out = fg_doc_map_at(fns, name)))
        return -ENOMEM;
    if ((v = sam_prop(s, props, "InlineCode")))
        return fg_conf_fail(s->p, sam_pos(v), "function %s: InlineCode: write the code in a file and give its "
                            "directory as CodeUri", name);
    if ((v = sam_prop(s, props, "PackageType")) && fg_doc_text(v) && !strcmp(fg_doc_text(v), "Image"))
        return fg_conf_fail(s->p, sam_pos(v), "function %s: PackageType Image: fngate runs code from a directory, "
                            "not container images", name);
    if ((v = sam_prop(s, props, "CodeUri")) && !fg_doc_text(v) && !fg_doc_get(v, "Ref") && !fg_doc_get(v, "Fn::Sub"))
        return fg_conf_fail(s->p, sam_pos(v), "function %s: CodeUri: fngate runs code from a directory beside the "
                            "template (an S3 location cannot be read)", name);
    if (v && (rc = fg_cfn_string(&s->cfn, v, &code)) < 0)
        return rc;
    if ((rc = fg_doc_set(out, "code", fg_doc_str(s->cfn.out, "%s", code && *code ? code : "."))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "handler", sam_prop(s, props, "Handler"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "runtime", sam_prop(s, props, "Runtime"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "memory", sam_prop(s, props, "MemorySize"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "timeout", sam_prop(s, props, "Timeout"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "description", sam_prop(s, props, "Description"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "concurrency", sam_prop(s, props, "ReservedConcurrentExecutions"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "min_warm", fg_doc_get(sam_prop(s, props, "ProvisionedConcurrencyConfig"),
                                                             "ProvisionedConcurrentExecutions"))) < 0 ||
        (rc = fg_cfn_set(&s->cfn, out, "ephemeral_storage", fg_doc_get(sam_prop(s, props, "EphemeralStorage"), "Size"))) < 0)
        return rc;
    /* Environment.Variables: the function's, then Globals' it does not set */
    if ((fg_doc_get(fg_doc_get(props, "Environment"), "Variables") ||
         fg_doc_get(fg_doc_get(s->globals, "Environment"), "Variables"))) {
        struct fy_node *vars[2] = { fg_doc_get(fg_doc_get(props, "Environment"), "Variables"),
                                    fg_doc_get(fg_doc_get(s->globals, "Environment"), "Variables") };
        if (!(env = fg_doc_map_at(out, "environment")))
            return -ENOMEM;
        for (int i = 0; i < 2; i++) {
            struct fy_node_pair *pair;
            void *it = NULL;
            while (vars[i] && fy_node_is_mapping(vars[i]) && (pair = fy_node_mapping_iterate(vars[i], &it))) {
                const char *k = fg_doc_text(fy_node_pair_key(pair));
                if (k && !fg_doc_get(env, k) && (rc = fg_cfn_set(&s->cfn, env, k, fy_node_pair_value(pair))) < 0)
                    return rc;
            }
        }
    }
    if ((v = sam_prop(s, props, "SnapStart")) && fg_doc_get_text(v, "ApplyOn") &&
        strcmp(fg_doc_get_text(v, "ApplyOn"), "None") && (rc = fg_doc_set(out, "snapstart", fg_doc_str(s->cfn.out, "true"))) < 0)
        return rc;
    if ((rc = sam_url(s, sam_prop(s, props, "FunctionUrlConfig"), out)) < 0 ||
        (rc = sam_invoke_config(s, sam_prop(s, props, "EventInvokeConfig"), out)) < 0 ||
        (rc = sam_policies(s, fg_doc_get(props, "Policies"), out)) < 0)
        return rc;
    if ((v = fg_doc_get(props, "FunctionName")) &&
        (rc = fg_doc_warn(s->p, "FunctionName", sam_pos(v), "FunctionName: fngate names each function by its logical "
                          "id (%s), as sam local does", name)) < 0)
        return rc;
    if ((v = sam_prop(s, props, "Architectures")) && fy_node_is_sequence(v) &&
        (arch = fg_doc_text(fy_node_sequence_get_by_index(v, 0))) && strcmp(arch, "x86_64") &&
        (rc = fg_doc_warn(s->p, "Architectures", sam_pos(v), "Architectures: %s: functions run on this machine's "
                          "architecture", arch)) < 0)
        return rc;
    if ((rc = fg_sam_events(s, name, fg_doc_get(props, "Events"), out)) < 0)
        return rc;
    if ((rc = fg_doc_unsupported(s->p, props, "Properties", known, quiet)) < 0)
        return rc;
    return fg_doc_unsupported(s->p, s->globals, "Globals.Function", known, quiet);
}

static bool sam_detect(struct fy_node *root)
{
    struct fy_node *t = fg_doc_get(root, "Transform"), *item;
    void *it = NULL;
    if (!root || !fy_node_is_mapping(root))
        return false;
    if (fg_doc_text(t) && !strncmp(fg_doc_text(t), "AWS::Serverless", 15))
        return true;
    while (t && fy_node_is_sequence(t) && (item = fy_node_sequence_iterate(t, &it)))
        if (fg_doc_text(item) && !strncmp(fg_doc_text(item), "AWS::Serverless", 15))
            return true;
    return fg_doc_get(root, "AWSTemplateFormatVersion") && fg_doc_get(root, "Resources");
}

/* Globals.HttpApi.CorsConfiguration -> gateway.cors; Globals.Api.Cors kept for Api routes. */
static int sam_globals(struct fg_sam *s, struct fy_node *globals)
{
    static const char *const known[] = { "Function", "Api", "HttpApi", NULL };
    static const char *const quiet[] = { "SimpleTable", "StateMachine", "LayerVersion", NULL };
    struct fy_node *cors = fg_doc_get(fg_doc_get(globals, "HttpApi"), "CorsConfiguration"), *gw;
    int rc;
    if (globals && (rc = fg_conf_mapping(s->p, globals, fg_doc_pos(globals), "Globals", "a mapping of Function, Api, HttpApi")) < 0)
        return rc;
    for (int i = 0; i < 3; i++) {
        static const char *const g[] = { "Function", "Api", "HttpApi" };
        struct fy_node *v = fg_doc_get(globals, g[i]);
        if (v && !fg_doc_is_null(v) && !fy_node_is_mapping(v))
            return fg_conf_fail(s->p, fg_doc_pos(v), "Globals.%s: expected a mapping of properties", g[i]);
    }
    s->globals = fg_doc_get(globals, "Function");
    s->api_cors = fg_doc_get(fg_doc_get(globals, "Api"), "Cors");
    for (int i = 0; i < 2; i++) {   /* an API's Auth is not applied: said, never silently open */
        struct fy_node *api = fg_doc_get(globals, i ? "HttpApi" : "Api");
        if (fg_doc_get(api, "Auth") &&
            (rc = fg_doc_warn(s->p, i ? "Globals.HttpApi.Auth" : "Globals.Api.Auth", fg_doc_key_pos(api, "Auth"),
                              "Globals.%s.Auth is not applied by fngate: its routes are NOT authenticated (write "
                              "the authorizers in Metadata.fngate.gateway.authorizers)", i ? "HttpApi" : "Api")) < 0)
            return rc;
    }
    if (cors) {
        if (!(gw = fg_doc_map_at(s->top, "gateway")))
            return -ENOMEM;
        s->http_api_cors = true;
        if ((rc = sam_cors(s, gw, cors)) < 0)
            return rc;
    }
    return fg_doc_unsupported(s->p, globals, "Globals", known, quiet);
}

int fg_conf_sam_translate(struct fg_conf_parser *p, struct fy_document **doc)
{
    static const char *const known[] = { "AWSTemplateFormatVersion", "Transform", "Description", "Parameters",
                                         "Globals", "Resources", "Metadata", "Outputs", NULL };
    static const char *const quiet[] = { "Conditions", "Mappings", "Rules", NULL };
    struct fg_sam s = { .p = p };
    struct fy_document *out;
    struct fy_node *root = fy_document_root(*doc), *res, *fns;
    struct fy_node_pair *pair;
    void *it = NULL;
    const char *region = getenv("FNGATE_REGION");
    int rc = 0, others = 0;

    if (p->conf->dialect != FG_CONF_FNGATE || !sam_detect(root))
        return 0;
    p->conf->dialect = FG_CONF_SAM;
    p->raw_scalars = true;
    if (!(out = fy_document_create(NULL)) || !(s.top = fy_node_create_mapping(out)) ||
        fy_document_set_root(out, s.top) < 0) {
        if (out)
            fy_document_destroy(out);
        return -ENOMEM;
    }
    s.root = root;
    if (!(s.scratch = fy_node_create_sequence(out))) {
        fy_document_destroy(out);
        return -ENOMEM;
    }
    s.section = fg_doc_get(fg_doc_get(root, "Metadata"), "fngate");
    res = fg_doc_get(root, "Resources");
    s.cfn = (struct fg_cfn){ .p = p, .resources = res, .params = fg_doc_get(root, "Parameters"),
                             .region = region && *region ? region : "us-east-1", .account = "000000000000",
                             .stack = "sam-app", .out = out };
    if ((rc = fg_doc_fngate_section(p, s.section, s.top)) == 0) {
        const char *r = fg_doc_get_text(s.top, "region"), *a = fg_doc_get_text(s.top, "account_id"),
                   *svc = fg_doc_get_text(s.top, "service");
        if (r && !(region && *region))
            s.cfn.region = r;
        else if ((rc = fg_doc_set(s.top, "region", fg_doc_str(out, "%s", s.cfn.region))) < 0)
            goto out;
        if (a)
            s.cfn.account = a;
        if (svc)
            s.cfn.stack = svc;
        rc = sam_globals(&s, fg_doc_get(root, "Globals"));
    }
    if (rc == 0 && !(fns = fg_doc_map_at(s.top, "functions")))
        rc = -ENOMEM;
    if (rc == 0 && res && !fy_node_is_mapping(res))
        rc = fg_conf_fail(p, sam_pos(res), "Resources: expected a mapping of logical ids");
    while (rc == 0 && res && (pair = fy_node_mapping_iterate(res, &it))) {
        const char *name = fg_doc_text(fy_node_pair_key(pair));
        const char *type = fg_doc_get_text(fy_node_pair_value(pair), "Type");
        if (!name || !type)
            rc = fg_conf_fail(p, sam_pos(fy_node_pair_key(pair)), "Resources: every resource has a Type");
        else if (!strcmp(type, "AWS::Serverless::Function")) {
            rc = sam_function(&s, name, fy_node_pair_value(pair), fns);
            fg_doc_mark_key(fns, name, sam_pos(fy_node_pair_key(pair)));
        }
        else if (!strcmp(type, "AWS::Lambda::Function"))
            rc = fg_doc_warn(p, "AWS::Lambda::Function", sam_pos(fy_node_pair_key(pair)), "%s: AWS::Lambda::Function "
                             "is not run by fngate (write it as AWS::Serverless::Function)", name);
        else
            others++;
    }
    if (rc == 0 && s.s3_used)
        rc = fg_doc_s3_endpoint(s.top);
    if (rc == 0 && others)
        rc = fg_doc_warn(p, "Resources", fg_doc_key_pos(root, "Resources"), "Resources: fngate creates no resources "
                         "(%d besides functions); it reads their names for Ref and GetAtt", others);
    if (rc == 0)
        rc = fg_doc_unsupported(p, root, "", known, quiet);
out:
    fy_node_free(s.scratch);
    return fg_doc_finish(p, rc, doc, out);
}

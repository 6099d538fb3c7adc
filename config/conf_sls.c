/* SPDX-License-Identifier: MIT */
/* conf_sls.c - a Serverless Framework v3/v4 serverless.yml read as it is (conf_doc.h).
 *
 * The file is recognised by its `provider:` (or `frameworkVersion:`); its variables are
 * resolved first (conf_sls_vars.c), then it is rewritten into the fngate.yaml it stands for:
 *   service                      -> service
 *   provider.runtime, memorySize, timeout, environment, iam.role.statements (or the older
 *     iamRoleStatements)         -> defaults (runtime, memory, timeout, environment, role)
 *   provider.region              -> region (--region wins, as in `serverless deploy`)
 *   provider.httpApi.cors, .authorizers, .payload -> gateway.cors, gateway.authorizers,
 *                                   each httpApi route's payload_format
 *   provider.logRetentionInDays  -> logs.retention
 *   functions.F.handler, runtime, memorySize, timeout, environment, reservedConcurrency,
 *     provisionedConcurrency, url, description, ephemeralStorageSize, destinations,
 *     maximumRetryAttempts, maximumEventAge, snapStart -> functions.F (code: the file's
 *     directory, which is what a deployment package holds)
 *   functions.F.events          -> conf_sls_events.c
 *   custom.fngate               -> fngate.yaml's own top-level keys, and where queues,
 *                                   topics and streams live (conf_sources.c)
 * Serverless's defaults are kept where fngate's differ: 1024 MB and 6 s. Keys that only
 * matter to a deployment (deploymentBucket, tags, package.patterns, ...) are ignored
 * quietly; every other key fngate does not support is one warning. */
#include "conf_sls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fg_conf_pos sls_pos(struct fy_node *n)
{
    return fg_doc_pos(n);
}

/* httpApi's {allowedOrigins, ...} or http's {origin(s), headers, allowCredentials, maxAge}. */
int fg_sls_cors(struct fg_sls *s, struct fy_node *map, struct fy_node *val, const char *method)
{
    static const char *const pairs[][2] = {
        { "allowedOrigins", "allow_origins" }, { "allowedHeaders", "allow_headers" },
        { "allowedMethods", "allow_methods" }, { "allowCredentials", "allow_credentials" },
        { "exposedResponseHeaders", "expose_headers" }, { "maxAge", "max_age" },
        { "origins", "allow_origins" },        { "origin", "allow_origins" },
        { "headers", "allow_headers" },        { "methods", "allow_methods" },
    };
    static const char *const quiet[] = { "cacheControl", NULL };
    static const char *const known[] = { "allowedOrigins", "allowedHeaders", "allowedMethods", "allowCredentials",
                                         "exposedResponseHeaders", "maxAge", "origins", "origin", "headers",
                                         "methods", NULL };
    struct fy_document *d = fy_node_document(map);
    struct fy_node *cors;
    int rc;

    static const char *const dflt_headers[] = { "Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
                                                "X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id", NULL };
    const char *const *defaults[] = { (const char *const[]){ "*", NULL }, dflt_headers };
    const char *const dkeys[] = { "allow_origins", "allow_headers" };

    if (!val || !fy_node_is_mapping(val))
        return fg_doc_set_copy(map, "cors", val);
    if (!(cors = fy_node_create_mapping(d)) || (rc = fg_doc_set(map, "cors", cors)) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct fy_node *v = fg_doc_get(val, pairs[i][0]), *list;
        if (!v || fg_doc_get(cors, pairs[i][1]))
            continue;
        if (fg_doc_text(v) && strcmp(pairs[i][1], "allow_credentials") && strcmp(pairs[i][1], "max_age")) {
            /* origin: '*' is one origin: fngate's key takes a list */
            if (!(list = fg_doc_seq_at(cors, pairs[i][1])) || fy_node_sequence_append(list, fg_doc_copy(d, v)) < 0)
                return -ENOMEM;
        } else if ((rc = fg_doc_set_copy(cors, pairs[i][1], v)) < 0) {
            return rc;
        }
    }
    /* what the Framework fills in for keys left out: any origin, its header list, and for a
     * REST route its own method and OPTIONS (an HTTP API's routes: any method) */
    for (size_t i = 0; i < 2; i++) {
        struct fy_node *list;
        if (fg_doc_get(cors, dkeys[i]))
            continue;
        if (!(list = fg_doc_seq_at(cors, dkeys[i])))
            return -ENOMEM;
        for (size_t j = 0; defaults[i][j]; j++)
            if (fy_node_sequence_append(list, fg_doc_str(d, "%s", defaults[i][j])) < 0)
                return -ENOMEM;
    }
    if (!method && !fg_doc_get(cors, "allow_methods")) {
        struct fy_node *list = fg_doc_seq_at(cors, "allow_methods");
        if (!list || fy_node_sequence_append(list, fg_doc_str(d, "*")) < 0)
            return -ENOMEM;
    }
    /* http's per-route form lists no methods: the route's own, as the Framework does */
    if (method && !fg_doc_get(cors, "allow_methods")) {
        struct fy_node *list = fg_doc_seq_at(cors, "allow_methods");
        if (!list || fy_node_sequence_append(list, fg_doc_str(d, "%s", strcasecmp(method, "any") ? method : "*")) < 0 ||
            fy_node_sequence_append(list, fg_doc_str(d, "OPTIONS")) < 0)
            return -ENOMEM;
    }
    return fg_doc_unsupported(s->p, val, "cors", known, quiet);
}

/* provider.httpApi.authorizers: NAME: {type, identitySource, issuerUrl, audience,
 * functionName, resultTtlInSeconds, enableSimpleResponses}. */
static int sls_authorizers(struct fg_sls *s, struct fy_node *auths, struct fy_node *gw)
{
    static const char *const known[] = { "type", "identitySource", "issuerUrl", "audience", "functionName",
                                         "functionArn", "resultTtlInSeconds", "enableSimpleResponses",
                                         "payloadVersion", "name", NULL };
    struct fy_node_pair *pair;
    struct fy_node *out;
    void *it = NULL;
    int rc;

    if (!auths || !fy_node_is_mapping(auths) || fg_doc_get(gw, "authorizers"))
        return 0;
    if (!(out = fg_doc_map_at(gw, "authorizers")))
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(auths, &it))) {
        const char *name = fg_doc_text(fy_node_pair_key(pair)), *type, *iss, *fn;
        struct fy_node *a = fy_node_pair_value(pair), *o;
        char buf[256];
        if (!name || !a || !fy_node_is_mapping(a))
            continue;
        if (!(o = fg_doc_map_at(out, name)))
            return -ENOMEM;
        type = fg_doc_get_text(a, "type");
        if ((rc = fg_doc_set(o, "type", fg_doc_str(fy_node_document(o), "%s", type ? type : "jwt"))) < 0 ||
            (rc = fg_doc_set_copy(o, "identity_source", fg_doc_get(a, "identitySource"))) < 0 ||
            (rc = fg_doc_set_copy(o, "issuer", fg_doc_get(a, "issuerUrl"))) < 0 ||
            (rc = fg_doc_set_copy(o, "audience", fg_doc_get(a, "audience"))) < 0 ||
            (rc = fg_doc_set_copy(o, "ttl", fg_doc_get(a, "resultTtlInSeconds"))) < 0 ||
            (rc = fg_doc_set_copy(o, "enable_simple_responses", fg_doc_get(a, "enableSimpleResponses"))) < 0)
            return rc;
        /* API Gateway finds the keys through the issuer's discovery document; Cognito and
         * Auth0 serve them at ISSUER/.well-known/jwks.json, which fngate reads directly. */
        if ((iss = fg_doc_get_text(a, "issuerUrl")) &&
            (rc = fg_doc_set(o, "jwks", fg_doc_str(fy_node_document(o), "%s%s.well-known/jwks.json", iss,
                                                   iss[0] && iss[strlen(iss) - 1] == '/' ? "" : "/"))) < 0)
            return rc;
        if ((fn = fg_doc_get_text(a, "functionName")) || (fn = fg_doc_get_text(a, "functionArn")))
            if ((rc = fg_doc_set(o, "function", fg_doc_str(fy_node_document(o), "%s", fg_doc_arn_name(fn, buf, sizeof(buf))))) < 0)
                return rc;
        if ((rc = fg_doc_unsupported(s->p, a, "provider.httpApi.authorizers.*", known, NULL)) < 0)
            return rc;
    }
    return 0;
}

/* iam.role.statements: each statement's intrinsics resolved. An Allow whose resources
 * cannot be resolved here is left out with a warning (the role grants less); a Deny that
 * cannot is an error (the role would grant more). */
static int sls_role(struct fg_sls *s, struct fy_node *stmts, struct fy_node *defaults)
{
    struct fy_node *role, *list, *item;
    void *it = NULL;
    int rc, n = 0;

    if (!stmts)
        return 0;
    if (!fy_node_is_sequence(stmts))
        return fg_conf_fail(s->p, sls_pos(stmts), "iam.role.statements: expected a list of {Effect, Action, Resource}");
    if (!(role = fg_doc_map_at(defaults, "role")) || !(list = fg_doc_seq_at(role, "statements")))
        return -ENOMEM;
    while ((item = fy_node_sequence_iterate(stmts, &it))) {
        struct fy_node *copy;
        const char *effect = fg_doc_get_text(item, "Effect");
        n++;
        if ((rc = fg_cfn_copy(&s->cfn, item, &copy)) == -FG_ECONFIG && effect && !strcmp(effect, "Allow")) {
            char id[32];
            snprintf(id, sizeof(id), "iam.statement.%d", n);
            if ((rc = fg_doc_warn(s->p, id, sls_pos(item), "iam statement %d is left out of the role: %s", n,
                                  s->p->err->msg)) < 0)
                return rc;
            continue;
        }
        if (rc < 0)
            return rc;
        if (fy_node_sequence_append(list, copy) < 0) {
            fy_node_free(copy);
            return -ENOMEM;
        }
    }
    return 0;
}

static int sls_provider_read(struct fg_sls *s, struct fy_node *prov)
{
    static const char *const known[] = { "name", "runtime", "memorySize", "timeout", "environment", "region",
                                         "stage", "iam", "iamRoleStatements", "httpApi", "logRetentionInDays",
                                         "architecture", NULL };
    static const char *const quiet[] = { "profile", "deploymentBucket", "deploymentPrefix", "stackName", "stackTags",
                                         "tags", "versionFunctions", "deploymentMethod", "lambdaHashingVersion",
                                         "stackPolicy", "disableRollback", "rollbackConfiguration",
                                         "notificationArns", "cfnRole", "stackParameters", "apiName", NULL };
    static const char *const http_known[] = { "cors", "authorizers", "payload", NULL };
    static const char *const http_quiet[] = { "id", "name", "disableDefaultEndpoint", "metrics", "useProviderTags", NULL };
    struct fy_node *defaults, *http, *iam, *gw;
    const char *name, *arch;
    const char *region = getenv("FNGATE_REGION");
    int rc;

    name = fg_doc_get_text(prov, "name");
    arch = fg_doc_get_text(prov, "architecture");
    if (name && strcmp(name, "aws"))
        return fg_conf_fail(s->p, sls_pos(fg_doc_get(prov, "name")), "provider.name: fngate runs AWS Lambda "
                            "functions (provider name aws), not %s", name);
    if (!(defaults = fg_doc_map_at(s->top, "defaults")))
        return fg_conf_fail(s->p, (struct fg_conf_pos){ 1, 1 }, "custom.fngate.defaults: expected a mapping");
    /* custom.fngate.defaults, when written, wins key by key */
    if ((rc = fg_doc_set_absent(defaults, "code", fg_doc_str(s->cfn.out, "."))) < 0 ||
        (rc = fg_doc_set_absent(defaults, "runtime", fg_doc_copy(s->cfn.out, fg_doc_get(prov, "runtime")))) < 0 ||
        (rc = fg_doc_set_absent(defaults, "memory", fg_doc_get(prov, "memorySize") ? fg_doc_copy(s->cfn.out,
                                fg_doc_get(prov, "memorySize")) : fg_doc_str(s->cfn.out, "1024"))) < 0 ||
        (rc = fg_doc_set_absent(defaults, "timeout", fg_doc_get(prov, "timeout") ? fg_doc_copy(s->cfn.out,
                                fg_doc_get(prov, "timeout")) : fg_doc_str(s->cfn.out, "6"))) < 0)
        return rc;
    if (fg_doc_get(prov, "environment") && !fg_doc_get(defaults, "environment") &&
        (rc = fg_cfn_set(&s->cfn, defaults, "environment", fg_doc_get(prov, "environment"))) < 0)
        return rc;
    if (region && *region)
        rc = fg_doc_set_absent(s->top, "region", fg_doc_str(s->cfn.out, "%s", region));
    else
        rc = fg_doc_set_absent(s->top, "region", fg_doc_copy(s->cfn.out, fg_doc_get(prov, "region")));
    if (rc < 0)
        return rc;
    iam = fg_doc_get(fg_doc_get(prov, "iam"), "role");
    if (iam && fg_doc_text(iam) &&
        (rc = fg_doc_warn(s->p, "provider.iam.role", sls_pos(iam), "provider.iam.role: fngate cannot take an "
                          "existing role by ARN; functions get the basic role (write iam.role.statements)")) < 0)
        return rc;
    if ((rc = sls_role(s, iam && fy_node_is_mapping(iam) ? fg_doc_get(iam, "statements") : fg_doc_get(prov, "iamRoleStatements"),
                       defaults)) < 0)
        return rc;
    if (iam && fy_node_is_mapping(iam)) {
        static const char *const role_known[] = { "statements", NULL };
        static const char *const role_quiet[] = { "name", "path", "tags", NULL };
        if ((rc = fg_doc_unsupported(s->p, iam, "provider.iam.role", role_known, role_quiet)) < 0)
            return rc;
    }
    if (fg_doc_get(prov, "logRetentionInDays")) {
        struct fy_node *logs = fg_doc_map_at(s->top, "logs"), *d;
        const char *days = fg_doc_get_text(prov, "logRetentionInDays");
        if (!logs)
            return fg_conf_fail(s->p, fg_doc_key_pos(prov, "logRetentionInDays"), "custom.fngate.logs: expected a mapping");
        if ((d = fg_doc_str(s->cfn.out, "%sd", days ? days : "?")))
            fg_doc_mark(d, fg_doc_pos(fg_doc_get(prov, "logRetentionInDays")));
        if ((rc = fg_doc_set_absent(logs, "retention", d)) < 0)
            return rc;
    }
    if (arch && strcmp(arch, "x86_64") &&
        (rc = fg_doc_warn(s->p, "provider.architecture", sls_pos(fg_doc_get(prov, "architecture")),
                          "provider.architecture: %s: functions run on this machine's architecture", arch)) < 0)
        return rc;
    http = fg_doc_get(prov, "httpApi");
    if (http && fy_node_is_mapping(http)) {
        if (!(gw = fg_doc_map_at(s->top, "gateway")))
            return -ENOMEM;
        s->payload = fg_doc_get_text(http, "payload");
        if (fg_doc_get(http, "cors") && !fg_doc_get(gw, "cors")) {
            s->http_api_cors = true;
            if ((rc = fg_sls_cors(s, gw, fg_doc_get(http, "cors"), NULL)) < 0)
                return rc;
        }
        if ((rc = sls_authorizers(s, fg_doc_get(http, "authorizers"), gw)) < 0 ||
            (rc = fg_doc_unsupported(s->p, http, "provider.httpApi", http_known, http_quiet)) < 0)
            return rc;
    }
    return fg_doc_unsupported(s->p, prov, "provider", known, quiet);
}

static int sls_provider(struct fg_sls *s, struct fy_node *prov)
{
    struct fy_node *made = NULL;
    int rc;
    if (!prov && !(prov = made = fy_node_create_mapping(s->cfn.out)))   /* frameworkVersion without provider */
        return -ENOMEM;
    rc = sls_provider_read(s, prov);
    fy_node_free(made);
    return rc;
}

/* destinations: {onSuccess, onFailure}: a function of this file (name or ARN) or a URL;
 * SQS, SNS and EventBridge targets become the dead letters with a warning. */
static int sls_destinations(struct fg_sls *s, struct fy_node *dest, struct fy_node *out)
{
    static const char *const keys[] = { "onSuccess", "onFailure" };
    struct fy_node *d;
    int rc;

    if (!dest || !fy_node_is_mapping(dest))
        return 0;
    if (!(d = fg_doc_map_at(out, "destinations")))
        return -ENOMEM;
    for (size_t i = 0; i < 2; i++) {
        struct fy_node *v = fg_doc_get(dest, keys[i]);
        const char *t;
        char buf[256];
        if (!v)
            continue;
        if (fy_node_is_mapping(v) && fg_doc_get(v, "arn"))   /* {type, arn} */
            v = fg_doc_get(v, "arn");
        if ((rc = fg_cfn_string(&s->cfn, v, &t)) < 0)
            return rc;
        if (!strncmp(t, "arn:", 4) && !strstr(t, ":lambda:")) {
            if ((rc = fg_doc_warn(s->p, "destinations", sls_pos(v), "destinations.%s: %s is not a function; "
                                  "fngate keeps such records in its dead letters", keys[i], t)) < 0)
                return rc;
            if (i == 0)
                continue;
            t = "dlq";
        }
        if ((rc = fg_doc_set(d, i ? "on_failure" : "on_success",
                             fg_doc_str(fy_node_document(d), "%s", strncmp(t, "arn:", 4) ? t : fg_doc_arn_name(t, buf, sizeof(buf))))) < 0)
            return rc;
    }
    return 0;
}

/* url: true | {authorizer: aws_iam, cors, invokeMode}. */
static int sls_url(struct fg_sls *s, struct fy_node *url, struct fy_node *out)
{
    struct fy_node *u;
    const char *auth, *mode;
    int rc;

    if (!url || !fy_node_is_mapping(url))
        return fg_doc_set_copy(out, "url", url);
    if (!(u = fg_doc_map_at(out, "url")))
        return -ENOMEM;
    auth = fg_doc_get_text(url, "authorizer");
    mode = fg_doc_get_text(url, "invokeMode");
    if (auth && (rc = fg_doc_set(u, "auth_type", fg_doc_str(s->cfn.out, "%s", strcasecmp(auth, "aws_iam") ? auth : "AWS_IAM"))) < 0)
        return rc;
    if (mode && (rc = fg_doc_set(u, "invoke_mode", fg_doc_str(s->cfn.out, "%s", mode))) < 0)
        return rc;
    if (fg_doc_get(url, "cors") && (rc = fg_sls_cors(s, u, fg_doc_get(url, "cors"), NULL)) < 0)
        return rc;
    {
        static const char *const known[] = { "authorizer", "invokeMode", "cors", NULL };
        return fg_doc_unsupported(s->p, url, "functions.*.url", known, NULL);
    }
}

static int sls_function(struct fg_sls *s, const char *name, struct fy_node *fn, struct fy_node *fns)
{
    static const char *const known[] = { "handler", "runtime", "memorySize", "timeout", "environment",
                                         "reservedConcurrency", "provisionedConcurrency", "description", "url",
                                         "events", "ephemeralStorageSize", "destinations", "maximumRetryAttempts",
                                         "maximumEventAge", "snapStart", "architecture", "package", NULL };
    static const char *const quiet[] = { "tags", "versionFunction", "condition", "dependsOn", "disableLogs",
                                         "logRetentionInDays", NULL };
    static const struct { const char *from, *to; } same[] = {
        { "handler", "handler" }, { "runtime", "runtime" }, { "memorySize", "memory" }, { "timeout", "timeout" },
        { "reservedConcurrency", "concurrency" }, { "provisionedConcurrency", "min_warm" },
        { "description", "description" }, { "ephemeralStorageSize", "ephemeral_storage" },
        { "snapStart", "snapstart" },
    };
    struct fy_node *out, *retries = NULL, *pkg;
    int rc;

    if (!fn || !fy_node_is_mapping(fn))
        return fg_conf_fail(s->p, sls_pos(fn), "function %s: expected a mapping with handler and events", name);
    if (!(out = fg_doc_map_at(fns, name)))
        return -ENOMEM;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if ((rc = fg_doc_set_copy(out, same[i].to, fg_doc_get(fn, same[i].from))) < 0)
            return rc;
    if ((rc = fg_cfn_set(&s->cfn, out, "environment", fg_doc_get(fn, "environment"))) < 0 ||
        (rc = sls_url(s, fg_doc_get(fn, "url"), out)) < 0 ||
        (rc = sls_destinations(s, fg_doc_get(fn, "destinations"), out)) < 0)
        return rc;
    if ((fg_doc_get(fn, "maximumRetryAttempts") || fg_doc_get(fn, "maximumEventAge")) &&
        (!(retries = fg_doc_map_at(out, "retries")) ||
         (rc = fg_doc_set_copy(retries, "maximum_retry_attempts", fg_doc_get(fn, "maximumRetryAttempts"))) < 0 ||
         (rc = fg_doc_set_copy(retries, "maximum_event_age", fg_doc_get(fn, "maximumEventAge"))) < 0))
        return retries ? rc : -ENOMEM;
    if ((pkg = fg_doc_get(fn, "package")) && fg_doc_get(pkg, "artifact") &&
        (rc = fg_doc_warn(s->p, "functions.*.package.artifact", sls_pos(fg_doc_get(pkg, "artifact")),
                          "package.artifact: fngate runs the code in the file's directory, not a built archive")) < 0)
        return rc;
    if ((rc = fg_sls_events(s, name, fg_doc_get(fn, "events"), out)) < 0)
        return rc;
    return fg_doc_unsupported(s->p, fn, "functions.*", known, quiet);
}

static bool sls_detect(struct fy_node *root)
{
    return root && fy_node_is_mapping(root) && (fg_doc_get(root, "provider") || fg_doc_get(root, "frameworkVersion"));
}

int fg_conf_sls_translate(struct fg_conf_parser *p, struct fy_document **doc)
{
    static const char *const known[] = { "service", "provider", "functions", "custom", "resources", "plugins",
                                         "frameworkVersion", "package", NULL };
    static const char *const quiet[] = { "configValidationMode", "variablesResolutionMode", "org", "app", "console",
                                         "dashboard", "deprecationNotificationMode", "disabledDeprecations",
                                         "unresolvedVariablesNotificationMode", "outputs", "licenseKey", NULL };
    struct fg_sls s = { .p = p };
    struct fy_document *resolved = NULL, *out = NULL;
    struct fy_node *root = fy_document_root(*doc), *fns, *ofns, *svc, *custom, *res;
    struct fy_node_pair *pair;
    void *it = NULL;
    const char *service;
    int rc;

    if (!sls_detect(root))
        return 0;
    if (p->n_src_docs >= sizeof(p->src_docs) / sizeof(p->src_docs[0]) - 2)
        return -ENOMEM;
    p->conf->dialect = FG_CONF_SERVERLESS;
    p->raw_scalars = true;
    if ((rc = fg_conf_sls_vars(p, *doc, &resolved)) < 0)
        return rc;
    p->src_docs[p->n_src_docs++] = resolved;
    s.root = root = fy_document_root(resolved);
    if (!(out = fy_document_create(NULL)) || !(s.top = fy_node_create_mapping(out)) ||
        fy_document_set_root(out, s.top) < 0) {
        if (out)
            fy_document_destroy(out);
        return -ENOMEM;
    }
    custom = fg_doc_get(root, "custom");
    s.section = fg_doc_get(custom, "fngate");
    res = fg_doc_get(root, "resources");
    svc = fg_doc_get(root, "service");
    service = fg_doc_text(svc) ? fg_doc_text(svc) : fg_doc_get_text(svc, "name");
    s.cfn = (struct fg_cfn){ .p = p, .resources = fg_doc_get(res, "Resources"), .region = "us-east-1",
                             .account = "000000000000", .stack = service ? service : "fngate", .out = out };
    /* ARNs that Ref and GetAtt build carry the region and account the functions will see */
    if (getenv("FNGATE_REGION") && *getenv("FNGATE_REGION"))
        s.cfn.region = getenv("FNGATE_REGION");
    else if (fg_doc_get_text(fg_doc_get(root, "provider"), "region"))
        s.cfn.region = fg_doc_get_text(fg_doc_get(root, "provider"), "region");
    if (fg_doc_get_text(s.section, "account_id"))
        s.cfn.account = fg_doc_get_text(s.section, "account_id");
    /* the fngate section first: what it writes wins */
    if ((rc = fg_doc_fngate_section(p, s.section, s.top)) == 0 && service)
        rc = fg_doc_set_absent(s.top, "service", fg_doc_str(out, "%s", service));
    if (rc == 0 && fg_doc_get_text(s.top, "region") && !(getenv("FNGATE_REGION") && *getenv("FNGATE_REGION")))
        s.cfn.region = fg_doc_get_text(s.top, "region");
    if (rc == 0)
        rc = sls_provider(&s, fg_doc_get(root, "provider"));
    if (rc == 0 && !(ofns = fg_doc_map_at(s.top, "functions")))
        rc = -ENOMEM;
    fns = fg_doc_get(root, "functions");
    while (rc == 0 && fns && fy_node_is_mapping(fns) && (pair = fy_node_mapping_iterate(fns, &it))) {
        const char *name = fg_doc_text(fy_node_pair_key(pair));
        if (!name) {
            rc = fg_conf_fail(p, sls_pos(fy_node_pair_key(pair)), "functions: a function's name must be text");
            break;
        }
        if (!fy_node_pair_value(pair) || !fy_node_is_mapping(fy_node_pair_value(pair)))
            rc = fg_conf_fail(p, fg_doc_pos(fy_node_pair_key(pair)), "function %s: expected a mapping with handler and "
                              "events", name);
        else {
            rc = sls_function(&s, name, fy_node_pair_value(pair), ofns);
            fg_doc_mark_key(ofns, name, fg_doc_pos(fy_node_pair_key(pair)));
        }
    }
    if (rc == 0 && s.s3_used)
        rc = fg_doc_s3_endpoint(s.top);
    if (rc == 0 && fg_doc_get(root, "plugins"))
        rc = fg_doc_warn(p, "plugins", fg_doc_key_pos(root, "plugins"), "plugins are not run by fngate "
                         "(serverless-offline is not needed: fngate serves the functions itself)");
    if (rc == 0 && res)
        rc = fg_doc_warn(p, "resources", fg_doc_key_pos(root, "resources"), "resources: fngate creates no "
                         "CloudFormation resources; it reads their names for Ref and GetAtt");
    if (rc == 0 && (pair = NULL, fg_doc_get(fg_doc_get(root, "package"), "artifact")))
        rc = fg_doc_warn(p, "package.artifact", sls_pos(fg_doc_get(root, "package")),
                         "package.artifact: fngate runs the code in the file's directory, not a built archive");
    if (rc == 0)
        rc = fg_doc_unsupported(p, root, "", known, quiet);
    return fg_doc_finish(p, rc, doc, out);
}

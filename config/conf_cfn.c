/* SPDX-License-Identifier: MIT */
/* conf_cfn.c - CloudFormation's intrinsic functions where a function's settings use them.
 *
 * SAM templates and serverless.yml files name their queues, topics, buckets and tables
 * through CloudFormation: `!GetAtt Orders.Arn`, `!Ref Uploads`, `!Sub '${AWS::StackName}-x'`,
 * `{"Fn::Join": [...]}`. fngate creates no resources, but it can say what those names are:
 * a resource's physical name is its name property (QueueName, BucketName, ...) or, as
 * fngate's stand-in for CloudFormation's generated names, its logical id; ARNs are built
 * from fngate's region and account. Parameters resolve to their Default, pseudo parameters
 * to fngate's region, account and the service name. What cannot be known here (ImportValue,
 * conditions, attributes fngate has no value for) is an error at the value that asks, and
 * only values fngate reads are resolved: resources, outputs and conditions are not.
 * Tests: tests/unit/test_config.c (templates), tests/integration/test_templates.py. */
#include "conf_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"

#define CFN_MAX_DEPTH 16

/* A resource type's name property and how its ARN and its Ref read. */
struct cfn_type {
    const char *type;
    const char *name_prop;
    const char *arn;        /* printf: region, account, name */
    int ref;                /* 0: the name, 1: the ARN, 2: an SQS queue URL */
};

static const struct cfn_type cfn_types[] = {
    { "AWS::SQS::Queue", "QueueName", "arn:aws:sqs:%s:%s:%s", 2 },
    { "AWS::SNS::Topic", "TopicName", "arn:aws:sns:%s:%s:%s", 1 },
    { "AWS::S3::Bucket", "BucketName", "arn:aws:s3:::%.0s%.0s%s", 0 },
    { "AWS::Kinesis::Stream", "Name", "arn:aws:kinesis:%s:%s:stream/%s", 0 },
    { "AWS::DynamoDB::Table", "TableName", "arn:aws:dynamodb:%s:%s:table/%s", 0 },
    { "AWS::Serverless::SimpleTable", "TableName", "arn:aws:dynamodb:%s:%s:table/%s", 0 },
    { "AWS::Serverless::Function", "FunctionName", "arn:aws:lambda:%s:%s:function:%s", 0 },
    { "AWS::Lambda::Function", "FunctionName", "arn:aws:lambda:%s:%s:function:%s", 0 },
    { "AWS::Events::EventBus", "Name", "arn:aws:events:%s:%s:event-bus/%s", 0 },
    { "AWS::Serverless::StateMachine", "Name", "arn:aws:states:%s:%s:stateMachine:%s", 1 },
};

static int cfn_text(struct fg_cfn *c, struct fy_node *n, struct fg_buf *out);

static struct fg_conf_pos cfn_pos(struct fy_node *n)
{
    return fg_doc_pos(n);
}

/* The intrinsic n stands for: its name ("Ref", "Fn::GetAtt") and its argument, from a
 * tag (!Ref X) or a one-key mapping ({Ref: X}). false when n is a plain value. */
static bool cfn_intrinsic(struct fy_node *n, char *name, size_t size, struct fy_node **arg)
{
    size_t tlen = 0;
    const char *tag = fy_node_get_tag(n, &tlen);
    if (tag && tlen > 1 && tag[0] == '!' && tag[1] != '!') {
        snprintf(name, size, "%s%.*s", !strncmp(tag, "!Ref", tlen) && tlen == 4 ? "" : "Fn::", (int)tlen - 1, tag + 1);
        *arg = n;
        return true;
    }
    if (fy_node_is_mapping(n) && fy_node_mapping_item_count(n) == 1) {
        struct fy_node_pair *pair = fy_node_mapping_get_by_index(n, 0);
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        if (k && (!strcmp(k, "Ref") || !strncmp(k, "Fn::", 4) || !strcmp(k, "Condition"))) {
            snprintf(name, size, "%s", k);
            *arg = fy_node_pair_value(pair);
            return true;
        }
    }
    return false;
}

static const struct cfn_type *cfn_type_of(struct fy_node *res)
{
    const char *type = fg_doc_get_text(res, "Type");
    for (size_t i = 0; type && i < sizeof(cfn_types) / sizeof(cfn_types[0]); i++)
        if (!strcmp(type, cfn_types[i].type))
            return &cfn_types[i];
    return NULL;
}

/* A resource's physical name: its name property, else the logical id. Each is worked out
 * once and remembered (c->names), so names built from names cost their size, not the
 * number of paths through them, and a name that needs itself is a cycle. */
static int cfn_resource_name(struct fg_cfn *c, struct fy_node *at, const char *id, struct fy_node *res,
                             struct fg_buf *out)
{
    const struct cfn_type *t = cfn_type_of(res);
    struct fy_node *name = t ? fg_doc_get(fg_doc_get(res, "Properties"), t->name_prop) : NULL;
    struct fg_cfn_name *e = NULL;
    struct fg_buf nb;
    int rc;

    if (!name)
        return fg_buf_append(out, id, strlen(id));
    for (size_t i = 0; i < c->n_names; i++)
        if (!strcmp(c->names[i].id, id))
            e = &c->names[i];
    if (e && !e->name)
        return fg_conf_fail(c->p, cfn_pos(at), "%s: its name refers to itself", id);
    if (e)
        return fg_buf_append(out, e->name, strlen(e->name));
    if (c->n_names == c->cap_names) {
        size_t cap = c->cap_names ? c->cap_names * 2 : 16;
        struct fg_cfn_name *grown = fg_arena_alloc(&c->p->conf->arena, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        if (c->n_names)
            memcpy(grown, c->names, c->n_names * sizeof(*grown));
        c->names = grown;
        c->cap_names = cap;
    }
    size_t idx = c->n_names++;   /* by index: working it out may grow the array */
    const char *made = NULL;
    c->names[idx] = (struct fg_cfn_name){ id, NULL };   /* NULL: being worked out */
    fg_buf_init(&nb, 1u << 16);
    if ((rc = cfn_text(c, name, &nb)) >= 0 && (rc = fg_buf_append(&nb, "", 0)) >= 0 &&
        !(made = fg_arena_strdup(&c->p->conf->arena, nb.data)))
        rc = -ENOMEM;
    fg_buf_free(&nb);
    if (rc == -FG_ETOOBIG)
        return fg_conf_fail(c->p, cfn_pos(name), "%s: a name longer than 64 KB", id);
    if (rc < 0)
        return rc;
    c->names[idx].name = made;
    return fg_buf_append(out, made, strlen(made));
}

static int cfn_printf(struct fg_buf *out, const char *fmt, const char *a, const char *b, const char *cc)
{
    char s[1024];
    snprintf(s, sizeof(s), fmt, a, b, cc);
    return fg_buf_append(out, s, strlen(s));
}

static int cfn_pseudo(struct fg_cfn *c, const char *name, struct fg_buf *out)
{
    const char *v = !strcmp(name, "AWS::Region") ? c->region : !strcmp(name, "AWS::AccountId") ? c->account
                  : !strcmp(name, "AWS::StackName") ? c->stack : !strcmp(name, "AWS::Partition") ? "aws"
                  : !strcmp(name, "AWS::URLSuffix") ? "amazonaws.com" : !strcmp(name, "AWS::StackId") ? c->stack : NULL;
    return v ? fg_buf_append(out, v, strlen(v)) : 1;
}

/* The key node of name in map (its text lives as long as the document). */
static struct fy_node *cfn_key(struct fy_node *map, const char *name)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    while (map && fy_node_is_mapping(map) && (pair = fy_node_mapping_iterate(map, &it)))
        if (fg_doc_text(fy_node_pair_key(pair)) && !strcmp(fg_doc_text(fy_node_pair_key(pair)), name))
            return fy_node_pair_key(pair);
    return NULL;
}

/* Ref name, or name.Attr with attr (GetAtt, Fn::Sub's ${X.Attr}). at: for errors. */
static int cfn_ref(struct fg_cfn *c, struct fy_node *at, const char *name, const char *attr, struct fg_buf *out)
{
    struct fy_node *param = fg_doc_get(c->params, name), *res = fg_doc_get(c->resources, name);
    const struct cfn_type *t;
    struct fg_buf nb;
    int rc;

    if (!attr && (rc = cfn_pseudo(c, name, out)) <= 0)
        return rc;
    if (!attr && param) {
        /* CloudFormation takes a literal Default only, so a parameter cannot refer on */
        struct fy_node *dn = fg_doc_get(param, "Default");
        const char *d = fg_doc_text(dn);
        size_t tlen = 0;
        if (!d || fy_node_get_tag(dn, &tlen))
            return fg_conf_fail(c->p, cfn_pos(at), "Ref %s: the parameter has no Default (fngate takes no "
                                "parameter overrides; give it a literal Default)", name);
        return fg_buf_append(out, d, strlen(d));
    }
    if (!res)
        return fg_conf_fail(c->p, cfn_pos(at), "%s %s%s%s: no parameter or resource of that name in the file",
                            attr ? "GetAtt" : "Ref", name, attr ? "." : "", attr ? attr : "");
    if (++c->depth > CFN_MAX_DEPTH) {
        c->depth--;
        return fg_conf_fail(c->p, cfn_pos(at), "%s: names refer to each other too deeply (a cycle?)", name);
    }
    t = cfn_type_of(res);
    fg_buf_init(&nb, 1u << 16);
    if ((rc = cfn_resource_name(c, at, fg_doc_text(cfn_key(c->resources, name)) ? fg_doc_text(cfn_key(c->resources, name)) : name, res, &nb)) < 0 || (rc = fg_buf_append(&nb, "", 0)) < 0)
        goto out;
    if (!attr && (!t || t->ref == 0))
        rc = fg_buf_append(out, nb.data, nb.len);
    else if (!attr && t->ref == 2)
        rc = cfn_printf(out, "https://sqs.%s.amazonaws.com/%s/%s", c->region, c->account, nb.data);
    else if (t && (!attr || !strcmp(attr, "Arn") || !strcmp(attr, "StreamArn") || !strcmp(attr, "TopicArn")))
        rc = cfn_printf(out, t->arn, c->region, c->account, nb.data);
    else if (attr && (!strcmp(attr, "QueueName") || !strcmp(attr, "TopicName") || !strcmp(attr, "Name")))
        rc = fg_buf_append(out, nb.data, nb.len);
    else if (attr && t && t->ref == 2 && !strcmp(attr, "QueueUrl"))
        rc = cfn_printf(out, "https://sqs.%s.amazonaws.com/%s/%s", c->region, c->account, nb.data);
    else
        rc = fg_conf_fail(c->p, cfn_pos(at), "GetAtt %s.%s: fngate has no value for this attribute of %s", name,
                          attr, fg_doc_get_text(res, "Type") ? fg_doc_get_text(res, "Type") : "the resource");
out:
    c->depth--;
    fg_buf_free(&nb);
    return rc;
}

/* Fn::Sub's text with ${Name}, ${Name.Attr}, ${AWS::Region} and ${!Literal}; vars: its
 * own variables (the list form), or NULL. */
static int cfn_sub(struct fg_cfn *c, struct fy_node *at, const char *s, struct fy_node *vars, struct fg_buf *out)
{
    int rc = 0;
    for (size_t i = 0; s[i] && rc >= 0;) {
        const char *close;
        char name[256], *dot;
        if (s[i] != '$' || s[i + 1] != '{' || !(close = strchr(s + i + 2, '}'))) {
            rc = fg_buf_append(out, s + i, 1);
            i++;
            continue;
        }
        if ((size_t)(close - s - i - 2) >= sizeof(name))
            return fg_conf_fail(c->p, cfn_pos(at), "Sub: a name longer than %zu characters", sizeof(name));
        snprintf(name, sizeof(name), "%.*s", (int)(close - s - i - 2), s + i + 2);
        i = (size_t)(close - s) + 1;
        if (name[0] == '!') {   /* ${!Literal} is the text ${Literal} */
            if ((rc = fg_buf_append(out, "${", 2)) >= 0 && (rc = fg_buf_append(out, name + 1, strlen(name + 1))) >= 0)
                rc = fg_buf_append(out, "}", 1);
            continue;
        }
        if (vars && fg_doc_get(vars, name)) {
            rc = cfn_text(c, fg_doc_get(vars, name), out);
            continue;
        }
        dot = strncmp(name, "AWS::", 5) ? strchr(name, '.') : NULL;
        if (dot)
            *dot = '\0';
        rc = cfn_ref(c, at, name, dot ? dot + 1 : NULL, out);
    }
    return rc < 0 ? rc : 0;
}

static int cfn_call(struct fg_cfn *c, struct fy_node *n, const char *fn, struct fy_node *arg, struct fg_buf *out)
{
    const char *s = fg_doc_text(arg);
    int rc;

    if (!strcmp(fn, "Ref")) {
        if (!s)
            return fg_conf_fail(c->p, cfn_pos(n), "Ref: expected a name");
        return cfn_ref(c, arg, s, NULL, out);
    }
    if (!strcmp(fn, "Fn::GetAtt")) {
        char name[256];
        const char *attr;
        if (s && strchr(s, '.') && (size_t)(strchr(s, '.') - s) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(strchr(s, '.') - s), s);
            attr = strchr(s, '.') + 1;
        } else if (fy_node_is_sequence(arg) && fy_node_sequence_item_count(arg) == 2 &&
                   fg_doc_text(fy_node_sequence_get_by_index(arg, 0)) && fg_doc_text(fy_node_sequence_get_by_index(arg, 1)) &&
                   strlen(fg_doc_text(fy_node_sequence_get_by_index(arg, 0))) < sizeof(name)) {
            snprintf(name, sizeof(name), "%s", fg_doc_text(fy_node_sequence_get_by_index(arg, 0)));
            attr = fg_doc_text(fy_node_sequence_get_by_index(arg, 1));
        } else {
            return fg_conf_fail(c->p, cfn_pos(n), "GetAtt: expected NAME.ATTRIBUTE or [NAME, ATTRIBUTE] (a logical "
                                "id of at most 255 characters)");
        }
        return cfn_ref(c, arg, name, attr, out);
    }
    if (!strcmp(fn, "Fn::Sub")) {
        if (s)
            return cfn_sub(c, arg, s, NULL, out);
        if (fy_node_is_sequence(arg) && fy_node_sequence_item_count(arg) == 2 &&
            (s = fg_doc_text(fy_node_sequence_get_by_index(arg, 0))))
            return cfn_sub(c, arg, s, fy_node_sequence_get_by_index(arg, 1), out);
        return fg_conf_fail(c->p, cfn_pos(n), "Sub: expected a text or [text, {NAME: value}]");
    }
    if (!strcmp(fn, "Fn::Join")) {
        struct fy_node *list, *item;
        const char *delim;
        void *it = NULL;
        bool first = true;
        if (!fy_node_is_sequence(arg) || fy_node_sequence_item_count(arg) != 2 ||
            !(delim = fg_doc_text(fy_node_sequence_get_by_index(arg, 0))) ||
            !fy_node_is_sequence(list = fy_node_sequence_get_by_index(arg, 1)))
            return fg_conf_fail(c->p, cfn_pos(n), "Join: expected [DELIMITER, [values]]");
        while ((item = fy_node_sequence_iterate(list, &it))) {
            if ((!first && (rc = fg_buf_append(out, delim, strlen(delim))) < 0) || (rc = cfn_text(c, item, out)) < 0)
                return rc;
            first = false;
        }
        return 0;
    }
    if (!strcmp(fn, "Fn::Select")) {
        struct fy_node *idx, *list;
        const char *is;
        if (!fy_node_is_sequence(arg) || fy_node_sequence_item_count(arg) != 2 ||
            !(is = fg_doc_text(idx = fy_node_sequence_get_by_index(arg, 0))) ||
            !fy_node_is_sequence(list = fy_node_sequence_get_by_index(arg, 1)) ||
            !is[0] || strspn(is, "0123456789") != strlen(is) || strlen(is) > 6 ||
            atoi(is) >= fy_node_sequence_item_count(list))
            return fg_conf_fail(c->p, cfn_pos(n), "Select: expected [INDEX, [values]] with the index in the list");
        return cfn_text(c, fy_node_sequence_get_by_index(list, atoi(is)), out);
    }
    return fg_conf_fail(c->p, cfn_pos(n), "%s: fngate resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join and Fn::Select "
                        "only (no stacks to import from, no conditions)", fn);
}

/* The text n stands for, appended to out. */
static int cfn_text(struct fg_cfn *c, struct fy_node *n, struct fg_buf *out)
{
    char fn[64];
    struct fy_node *arg;
    const char *s;

    if (cfn_intrinsic(n, fn, sizeof(fn), &arg))
        return cfn_call(c, n, fn, arg, out);
    if (!(s = fg_doc_text(n)))
        return fg_conf_fail(c->p, cfn_pos(n), "expected a text here, got %s", fg_conf_node_kind(n));
    return fg_buf_append(out, s, strlen(s));
}

int fg_cfn_copy(struct fg_cfn *c, struct fy_node *n, struct fy_node **out)
{
    struct fy_node_pair *pair;
    struct fy_node *item, *arg;
    void *it = NULL;
    char fn[64];
    int rc = 0;

    *out = NULL;
    if (!n)
        return 0;
    if (cfn_intrinsic(n, fn, sizeof(fn), &arg)) {
        struct fg_buf b;
        fg_buf_init(&b, 1u << 20);
        if ((rc = cfn_call(c, n, fn, arg, &b)) >= 0 &&
            !(*out = fy_node_create_scalar_copy(c->out, b.data ? b.data : "", b.len)))
            rc = -ENOMEM;
        fg_buf_free(&b);
        if (rc == -FG_ETOOBIG)
            return fg_conf_fail(c->p, cfn_pos(n), "a value is longer than 1 MB");
        fg_doc_mark(*out, cfn_pos(n));
        return rc < 0 ? rc : 0;
    }
    if (fy_node_is_scalar(n))
        return (*out = fg_doc_copy(c->out, n)) ? 0 : -ENOMEM;
    if (!(*out = fy_node_is_sequence(n) ? fy_node_create_sequence(c->out) : fy_node_create_mapping(c->out)))
        return -ENOMEM;
    if (fy_node_is_sequence(n)) {
        while (rc == 0 && (item = fy_node_sequence_iterate(n, &it))) {
            struct fy_node *r;
            if ((rc = fg_cfn_copy(c, item, &r)) == 0 && r && fy_node_sequence_append(*out, r) < 0) {
                fy_node_free(r);
                rc = -ENOMEM;
            }
        }
    } else {
        while (rc == 0 && (pair = fy_node_mapping_iterate(n, &it))) {
            struct fy_node *r = NULL;
            if ((rc = fg_cfn_copy(c, fy_node_pair_value(pair), &r)) == 0)
                rc = fg_doc_set(*out, fg_doc_text(fy_node_pair_key(pair)) ? fg_doc_text(fy_node_pair_key(pair)) : "",
                                r ? r : fy_node_build_from_string(c->out, "null", 4));
        }
    }
    if (rc < 0) {
        fy_node_free(*out);
        *out = NULL;
    }
    return rc;
}

int fg_cfn_string(struct fg_cfn *c, struct fy_node *n, const char **out)
{
    struct fg_buf b;
    int rc;
    *out = NULL;
    fg_buf_init(&b, 1u << 20);
    if ((rc = cfn_text(c, n, &b)) >= 0 && (rc = fg_buf_append(&b, "", 0)) >= 0 &&
        !(*out = fg_arena_strdup(&c->p->conf->arena, b.data)))
        rc = -ENOMEM;
    fg_buf_free(&b);
    return rc < 0 ? rc : 0;
}

int fg_cfn_set(struct fg_cfn *c, struct fy_node *map, const char *key, struct fy_node *src)
{
    struct fy_node *r;
    int rc;
    if (!src)
        return 0;
    if ((rc = fg_cfn_copy(c, src, &r)) < 0)
        return rc;
    return fg_doc_set(map, key, r);
}

int fg_cfn_set_keys(struct fg_cfn *c, struct fy_node *src, struct fy_node *out, const char *const (*pairs)[2], size_t n)
{
    int rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = fg_cfn_set(c, out, pairs[i][1], fg_doc_get(src, pairs[i][0]))) < 0)
            return rc;
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* conf_sls_vars.c - serverless.yml's variables: ${self:...}, ${env:...}, ${opt:stage, 'dev'},
 * ${sls:stage}, ${aws:region}, ${file(./x.yml):key}, fallbacks, nesting.
 *
 * The Serverless Framework resolves variables over the whole file before it reads any key;
 * so does this, producing a new document with every value resolved (conf_sls.c then reads
 * that). A value that is one variable becomes what it points at (a mapping, a list, a
 * number); variables inside longer text are replaced by their scalar text. A self
 * reference is resolved where it points, so `stage: ${opt:stage, 'dev'}` then
 * `${self:provider.stage}` works, and a cycle is an error at the value that starts it, as
 * is a reference nested deeper than 32. What resolving may produce is bounded like the
 * file's aliases (conf_yaml.c), so a file referring to its own large blocks many times is
 * fine and an exponential one is an error. Sources fngate cannot read (ssm:, cf:, s3:,
 * param:) are errors unless the variable has a fallback.
 *
 * opt:stage and opt:region are `fngate serve|validate --stage S --region R`, which set
 * FNGATE_STAGE and FNGATE_REGION for the process (a reload sees the same). */
#include "conf_doc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/buf.h"

#define VARS_MAX_DEPTH 32
#define VARS_MAX_FILES 16                 /* distinct files ${file()} may read */
#define VARS_MAX_BYTES (64u << 20)        /* of text variables may make in all */

struct vars {
    struct fg_conf_parser *p;
    struct fy_document *src, *out;
    const char *main_name;                   /* the serverless.yml's name, for self references */
    struct fy_node *stack[VARS_MAX_DEPTH];   /* self references being resolved */
    int depth;
    int nest;                                /* ${ inside ${ being read */
    size_t made, limit;                      /* nodes made, and the most allowed */
    size_t bytes;                            /* text made */
    struct fg_conf_pos rebase;               /* while copying an included file's values: the
                                              * ${file()} that brought them, where errors about
                                              * them point (line 0: not in an included file) */
};

static int vars_node(struct vars *v, struct fy_node *n, struct fy_node **out);

static struct fg_conf_pos vars_pos(struct fy_node *n)
{
    return fg_doc_pos(n);
}

static int vars_count(struct vars *v, struct fy_node *at)
{
    if (++v->made <= v->limit)
        return 0;
    return fg_conf_fail(v->p, vars_pos(at), "variables here expand to more values than the file may hold");
}

/* A scalar made from text: counted against the byte budget, and given the place of the
 * value it came from. */
static int vars_scalar(struct vars *v, struct fy_node *at, const char *text, size_t len, struct fy_node **out)
{
    if ((v->bytes += len) > VARS_MAX_BYTES)
        return fg_conf_fail(v->p, vars_pos(at), "variables here make more than 64 MB of text");
    if (!(*out = fy_node_create_scalar_copy(v->out, text, len)))
        return -ENOMEM;
    fg_doc_mark(*out, v->rebase.line ? v->rebase : vars_pos(at));
    return vars_count(v, at);
}

/* The end of the ${...} starting at s[i] (the index of its '}'), or 0 when unterminated.
 * Nested ${ } and quotes are skipped. */
static size_t vars_close(const char *s, size_t i)
{
    int level = 0;
    char quote = 0;
    for (size_t j = i; s[j]; j++) {
        if (quote) {
            if (s[j] == quote)
                quote = 0;
        } else if (s[j] == '\'' || s[j] == '"') {
            quote = level > 0 ? s[j] : 0;
        } else if (s[j] == '$' && s[j + 1] == '{') {
            level++;
            j++;
        } else if (s[j] == '}' && --level == 0) {
            return j;
        }
    }
    return 0;
}

static char *vars_trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* The node at a dotted path below root ("provider.stage"; "" is root), or NULL. */
static struct fy_node *vars_path(struct fy_node *root, const char *path)
{
    char seg[256];
    struct fy_node *n = root;
    while (n && *path) {
        size_t len = strcspn(path, ".");
        if (len >= sizeof(seg))
            return NULL;
        memcpy(seg, path, len);
        seg[len] = '\0';
        if (fy_node_is_sequence(n)) {
            char *end;
            long idx = strtol(seg, &end, 10);
            n = *end || idx < 0 ? NULL : fy_node_sequence_get_by_index(n, (int)idx);
        } else {
            n = fg_doc_get(n, seg);
        }
        path += len + (path[len] == '.');
    }
    return n;
}

/* A file's document (YAML or JSON), parsed once and kept in the parser. NULL with the
 * error set. */
static struct fy_document *vars_file(struct vars *v, struct fy_node *at, const char *rel)
{
    char path[PATH_MAX];
    struct fg_buf b;
    struct fy_document *doc = NULL;
    const char *saved = v->p->name;
    FILE *f;
    char chunk[8192];
    size_t n;
    const char *dot = strrchr(rel, '.');

    if (dot && (!strcmp(dot, ".js") || !strcmp(dot, ".ts") || !strcmp(dot, ".mjs") || !strcmp(dot, ".cjs"))) {
        fg_conf_fail(v->p, vars_pos(at), "${file(%s)}: fngate reads YAML and JSON files, it does not run JavaScript", rel);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s%s%s", rel[0] == '/' ? "" : v->p->conf->dir, rel[0] == '/' ? "" : "/", rel);
    {   /* each file is read once, however often it is named */
        char real[PATH_MAX];
        if (realpath(path, real))
            snprintf(path, sizeof(path), "%s", real);
        for (size_t i = 0; i < v->p->n_src_texts; i++)
            if (!strcmp(v->p->src_paths[i], path))
                return v->p->src_text_docs[i];
    }
    if (v->p->n_src_texts >= VARS_MAX_FILES) {
        fg_conf_fail(v->p, vars_pos(at), "${file(%s)}: at most %d files may be included", rel, VARS_MAX_FILES);
        return NULL;
    }
    {   /* a regular file: a FIFO would block the load, a device never end */
        struct stat st;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            fg_conf_fail(v->p, vars_pos(at), "${file(%s)}: %s is not a regular file", rel, path);
            return NULL;
        }
    }
    if (!(f = fopen(path, "r"))) {
        fg_conf_fail(v->p, vars_pos(at), "${file(%s)}: cannot open %s: %s", rel, path, strerror(errno));
        return NULL;
    }
    fg_buf_init(&b, 16u << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (fg_buf_append(&b, chunk, n) < 0) {
            fclose(f);
            fg_buf_free(&b);
            fg_conf_fail(v->p, vars_pos(at), "${file(%s)}: larger than 16 MB", rel);
            return NULL;
        }
    fclose(f);
    if (fg_buf_append(&b, "", 0) < 0) {
        fg_buf_free(&b);
        return NULL;
    }
    v->p->name = path;   /* its syntax errors are its own */
    if (fg_conf_yaml_parse(v->p, b.data, b.len, &doc) == 0 && doc) {
        const char *kept = fg_conf_printf(v->p, "%s", path);
        if (!kept) {
            fy_document_destroy(doc);
            doc = NULL;
        } else {
            v->p->src_docs[v->p->n_src_docs++] = doc;
            v->p->src_text_docs[v->p->n_src_texts] = doc;
            v->p->src_paths[v->p->n_src_texts] = kept;
            v->p->src_texts[v->p->n_src_texts++] = b.data;   /* the document points into it */
            b.data = NULL;
        }
    }
    v->p->name = saved;
    fg_buf_free(&b);
    return doc;
}

static int vars_source(struct vars *v, struct fy_node *at, const char *src, struct fy_node **found, char *why,
                       size_t why_size);

/* The stage or region: the command line's (env), else the provider's, else the default. */
static int vars_setting(struct vars *v, struct fy_node *at, const char *env, const char *path, const char *dflt,
                        struct fy_node **found)
{
    const char *val = getenv(env);
    char why[300], self[64];
    if (!val || !*val) {
        snprintf(self, sizeof(self), "self:%s", path);
        if (vars_path(fy_document_root(v->src), path)) {
            int rc = vars_source(v, at, self, found, why, sizeof(why));
            if (rc < 0 || *found)
                return rc;
        }
        val = dflt;
    }
    return vars_scalar(v, at, val, strlen(val), found);
}

/* Looks one source up: *found NULL when it has no value (the next fallback is tried);
 * a negative code on a real error. *why says what was missing, for the final message. */
static int vars_source(struct vars *v, struct fy_node *at, const char *src, struct fy_node **found, char *why,
                       size_t why_size)
{
    struct fy_node *root = fy_document_root(v->src), *n = NULL;
    const char *val = NULL;
    size_t len = strlen(src);

    *found = NULL;
    if ((src[0] == '\'' || src[0] == '"') && len >= 2 && src[len - 1] == src[0])
        return vars_scalar(v, at, src + 1, len - 2, found);
    if (!strncmp(src, "self:", 5)) {
        if (!(n = vars_path(root, src + 5))) {
            snprintf(why, why_size, "%s is not in the file", src + 5);
            return 0;
        }
        for (int i = 0; i < v->depth; i++)
            if (v->stack[i] == n)
                return fg_conf_fail(v->p, vars_pos(at), "${%s}: a variable that refers to itself", src);
        if (v->depth >= VARS_MAX_DEPTH)
            return fg_conf_fail(v->p, vars_pos(at), "${%s}: variables nested deeper than %d", src, VARS_MAX_DEPTH);
        if (fg_doc_is_null(n)) {
            snprintf(why, why_size, "%s is null", src + 5);   /* the next fallback, as the Framework does */
            return 0;
        }
        const char *saved = v->p->name;
        struct fg_conf_pos rebase = v->rebase;
        v->p->name = v->main_name;    /* errors in what it points at are the serverless.yml's */
        v->rebase = (struct fg_conf_pos){ 0, 0 };
        v->stack[v->depth++] = n;
        int rc = vars_node(v, n, found);
        v->depth--;
        v->p->name = saved;
        v->rebase = rebase;
        return rc;
    }
    if (!strncmp(src, "file(", 5)) {
        const char *close = strchr(src, ')');
        char rel[PATH_MAX];
        struct fy_document *doc;
        if (!close || (size_t)(close - src - 5) >= sizeof(rel))
            return fg_conf_fail(v->p, vars_pos(at), "${%s}: expected ${file(PATH)} or ${file(PATH):KEY}", src);
        snprintf(rel, sizeof(rel), "%.*s", (int)(close - src - 5), src + 5);
        if (!(doc = vars_file(v, at, vars_trim(rel))))
            return -FG_ECONFIG;
        n = vars_path(fy_document_root(doc), close[1] == ':' ? close + 2 : "");
        if (!n) {
            snprintf(why, why_size, "%s has no %s", rel, close[1] == ':' ? close + 2 : "content");
            return 0;
        }
        {   /* what goes wrong inside it is reported at its own file:line:col */
            const char *saved = v->p->name;
            const char *name = fg_conf_printf(v->p, "%s", vars_trim(rel));
            struct fg_conf_pos rebase = v->rebase;
            int rc;
            if (!name)
                return -ENOMEM;
            v->p->name = name;
            /* the values it brings are checked later, against the serverless.yml: errors
             * about them point at this ${file()} */
            if (!v->rebase.line)
                v->rebase = fg_doc_pos(at);
            rc = vars_node(v, n, found);
            v->p->name = saved;
            v->rebase = rebase;
            return rc;
        }
    }
    if (!strncmp(src, "env:", 4)) {
        if (!(val = getenv(src + 4)))
            snprintf(why, why_size, "environment variable %s is not set", src + 4);
    } else if (!strcmp(src, "opt:stage") || !strcmp(src, "opt:region")) {
        const char *var = src[4] == 's' ? "FNGATE_STAGE" : "FNGATE_REGION";
        if (!(val = getenv(var)) || !*val)
            snprintf(why, why_size, "--%s was not given", src + 4);
    } else if (!strcmp(src, "sls:stage")) {
        return vars_setting(v, at, "FNGATE_STAGE", "provider.stage", "dev", found);
    } else if (!strcmp(src, "sls:instanceId")) {
        val = "fngate";
    } else if (!strcmp(src, "aws:region")) {
        return vars_setting(v, at, "FNGATE_REGION", vars_path(fy_document_root(v->src), "custom.fngate.region") ?
                            "custom.fngate.region" : "provider.region", "us-east-1", found);
    } else if (!strcmp(src, "aws:accountId")) {
        val = "000000000000";
    } else if (!strcmp(src, "null")) {
        *found = fy_node_build_from_string(v->out, "null", 4);
        return *found ? 0 : -ENOMEM;
    } else if (strspn(src, "0123456789.-") == len || !strcmp(src, "true") || !strcmp(src, "false")) {
        val = src;
    } else {
        size_t colon = strcspn(src, ":(");
        snprintf(why, why_size, "fngate cannot read %.*s: values (only self, env, opt, sls, aws:region, file)",
                 (int)colon, src);
    }
    if (!val)
        return 0;
    return vars_scalar(v, at, val, strlen(val), found);
}

/* ${AWS::Region}, ${Queue.Arn}, ${Param}, ${!Literal}: CloudFormation's Fn::Sub syntax,
 * which the Serverless Framework leaves to CloudFormation. */
static bool vars_is_cfn(const char *inner)
{
    static const char *const ours[] = { "self:", "env:", "opt:", "sls:", "aws:", "file(", "ssm:", "cf:", "cf(",
                                        "s3:", "param:", "strToBool(", NULL };
    if (inner[0] == '!' || !strncmp(inner, "AWS::", 5))
        return true;
    for (size_t i = 0; ours[i]; i++)
        if (!strncmp(inner, ours[i], strlen(ours[i])))
            return false;
    return inner[0] && strspn(inner, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") == strlen(inner);
}

static bool vars_cfn_whole(const char *s)
{
    char inner[256];
    size_t len = strlen(s);
    if (len < 3 || len - 3 >= sizeof(inner))
        return false;
    memcpy(inner, s + 2, len - 3);
    inner[len - 3] = '\0';
    return vars_is_cfn(inner);
}

/* Resolves text of the form "${...}" inside a value (s holds what is between the braces). */
static int vars_expr(struct vars *v, struct fy_node *at, const char *expr, struct fy_node **out);

/* Replaces every ${...} in text; *out is a new scalar, or (whole 1) what the one variable
 * that is the whole text stands for. */
static int vars_text_in(struct vars *v, struct fy_node *at, const char *s, bool whole_ok, struct fy_node **out);

/* vars_text_in, with ${ inside ${ counted: nesting is bounded as self references are. */
static int vars_text(struct vars *v, struct fy_node *at, const char *s, bool whole_ok, struct fy_node **out)
{
    int rc;
    *out = NULL;
    if (v->nest >= VARS_MAX_DEPTH)
        return fg_conf_fail(v->p, vars_pos(at), "variables nested deeper than %d", VARS_MAX_DEPTH);
    v->nest++;
    rc = vars_text_in(v, at, s, whole_ok, out);
    v->nest--;
    return rc;
}

static int vars_text_in(struct vars *v, struct fy_node *at, const char *s, bool whole_ok, struct fy_node **out)
{
    size_t len = strlen(s), end;
    struct fg_buf b;
    int rc = 0;

    *out = NULL;
    if (whole_ok && s[0] == '$' && s[1] == '{' && (end = vars_close(s, 0)) == len - 1 && !vars_cfn_whole(s)) {
        char *inner = strndup(s + 2, len - 3);
        if (!inner)
            return -ENOMEM;
        rc = vars_expr(v, at, inner, out);
        free(inner);
        return rc;
    }
    fg_buf_init(&b, 1u << 20);
    for (size_t i = 0; i < len && rc == 0;) {
        struct fy_node *part = NULL;
        char *inner;
        const char *t;
        if (s[i] != '$' || s[i + 1] != '{') {
            rc = fg_buf_append(&b, s + i, 1);
            i++;
            continue;
        }
        if (!(end = vars_close(s, i))) {
            rc = fg_conf_fail(v->p, vars_pos(at), "unterminated ${ in '%s'", s);
            break;
        }
        if (!(inner = strndup(s + i + 2, end - i - 2)))
            return -ENOMEM;
        if (vars_is_cfn(inner)) {   /* Fn::Sub's, not ours: kept for conf_cfn.c */
            rc = fg_buf_append(&b, s + i, end + 1 - i);
            free(inner);
            i = end + 1;
            continue;
        }
        rc = vars_expr(v, at, inner, &part);
        if (rc == 0 && !(t = fg_doc_text(part)) && part && !fy_node_is_null(part))
            rc = fg_conf_fail(v->p, vars_pos(at), "${%s} stands for %s, which cannot be part of a text", inner,
                              fg_conf_node_kind(part));
        else if (rc == 0 && t)
            rc = fg_buf_append(&b, t, strlen(t));
        free(inner);
        if (part)
            fy_node_free(part);
        i = end + 1;
    }
    if (rc == 0)
        rc = vars_scalar(v, at, b.data ? b.data : "", b.len, out);
    fg_buf_free(&b);
    if (rc == -FG_ETOOBIG)
        return fg_conf_fail(v->p, vars_pos(at), "a value is longer than 1 MB");
    return rc;
}

static int vars_expr(struct vars *v, struct fy_node *at, const char *expr, struct fy_node **out)
{
    char why[300] = "";
    char *copy = strdup(expr), *item = copy;
    int rc = 0;

    *out = NULL;
    if (!copy)
        return -ENOMEM;
    /* Fallbacks: "a, b, 'c'", split at commas outside ${ } and quotes. */
    while (item && !*out && rc == 0) {
        char *next = NULL, quote = 0;
        int level = 0;
        for (char *c = item; *c; c++) {
            if (quote) {
                quote = *c == quote ? 0 : quote;
            } else if (*c == '\'' || *c == '"') {
                quote = *c;
            } else if (c[0] == '$' && c[1] == '{') {
                level++;
                c++;
            } else if (*c == '}') {
                level--;
            } else if (*c == ',' && level == 0) {
                *c = '\0';
                next = c + 1;
                break;
            }
        }
        char *src = vars_trim(item);
        if (src[0] == '$' && src[1] == '{') {
            rc = vars_text(v, at, src, true, out);
        } else if (strstr(src, "${")) {
            struct fy_node *addr = NULL;   /* ${self:custom.${opt:stage}} */
            if ((rc = vars_text(v, at, src, false, &addr)) == 0)
                rc = vars_source(v, at, fg_doc_text(addr), out, why, sizeof(why));
            if (addr)
                fy_node_free(addr);
        } else {
            rc = vars_source(v, at, src, out, why, sizeof(why));
        }
        item = next;
    }
    if (rc == 0 && !*out)
        rc = fg_conf_fail(v->p, vars_pos(at), "${%s}: %s (give a default: ${%s, 'value'})", expr,
                          why[0] ? why : "no value", expr);
    free(copy);
    return rc;
}

/* n resolved into v->out: a new node (owned by the caller until placed). */
static int vars_node(struct vars *v, struct fy_node *n, struct fy_node **out)
{
    struct fy_node_pair *pair;
    struct fy_node *item;
    void *it = NULL;
    const char *s;
    int rc;

    *out = NULL;
    if ((rc = vars_count(v, n)) < 0)
        return rc;
    if (fy_node_is_scalar(n)) {
        if ((s = fg_doc_text(n)) && strstr(s, "${")) {
            size_t tlen = 0;
            const char *tag = fy_node_get_tag(n, &tlen);
            if ((rc = vars_text(v, n, s, true, out)) == 0 && tag && fy_node_is_scalar(*out) &&
                fy_node_set_tag(*out, tag, tlen) < 0)
                rc = -ENOMEM;
            return rc;
        }
        if (v->rebase.line) {   /* an included file's value: a copy placed at the ${file()} */
            size_t len, tlen = 0;
            const char *text = fy_node_get_scalar(n, &len), *tag = fy_node_get_tag(n, &tlen);
            if (fg_doc_is_null(n))
                return (*out = fy_node_build_from_string(v->out, "null", 4)) ? 0 : -ENOMEM;
            if ((rc = vars_scalar(v, n, text ? text : "", text ? len : 0, out)) == 0 && tag &&
                fy_node_set_tag(*out, tag, tlen) < 0)
                rc = -ENOMEM;
            return rc;
        }
        return (*out = fy_node_copy(v->out, n)) ? 0 : -ENOMEM;
    }
    if (!(*out = fy_node_is_sequence(n) ? fy_node_create_sequence(v->out) : fy_node_create_mapping(v->out)))
        return -ENOMEM;
    {   /* !GetAtt [Queue, Arn], !Join [...]: the tag is the intrinsic */
        size_t tlen = 0;
        const char *tag = fy_node_get_tag(n, &tlen);
        if (tag && fy_node_set_tag(*out, tag, tlen) < 0) {
            fy_node_free(*out);
            *out = NULL;
            return -ENOMEM;
        }
    }
    fg_doc_mark(*out, v->rebase.line ? v->rebase : (struct fg_conf_pos){ 0, 0 });
    if (fy_node_is_sequence(n)) {
        while ((item = fy_node_sequence_iterate(n, &it))) {
            struct fy_node *r;
            if ((rc = vars_node(v, item, &r)) < 0 || (rc = fy_node_sequence_append(*out, r) < 0 ? -ENOMEM : 0) < 0)
                goto fail;
        }
        return 0;
    }
    while ((pair = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_copy(v->out, fy_node_pair_key(pair)), *r = NULL;
        if (k && v->rebase.line) {   /* its place is the ${file()}'s, not a line of another file */
            size_t klen;
            const char *kt = fy_node_get_scalar(fy_node_pair_key(pair), &klen);
            fy_node_free(k);
            if ((k = kt ? fy_node_create_scalar_copy(v->out, kt, klen) : NULL))
                fg_doc_mark(k, v->rebase);
        }
        if (!k) {
            rc = -ENOMEM;
            goto fail;
        }
        if (fy_node_pair_value(pair) && (rc = vars_node(v, fy_node_pair_value(pair), &r)) < 0) {
            fy_node_free(k);
            goto fail;
        }
        if (fy_node_mapping_append(*out, k, r) < 0) {
            fy_node_free(k);
            fy_node_free(r);
            rc = -ENOMEM;
            goto fail;
        }
    }
    return 0;
fail:
    fy_node_free(*out);
    *out = NULL;
    return rc;
}

int fg_conf_sls_vars(struct fg_conf_parser *p, struct fy_document *src, struct fy_document **out)
{
    struct vars *v = calloc(1, sizeof(*v));
    struct fy_node *root = fy_document_root(src), *r = NULL;
    int rc;

    *out = NULL;
    if (!v)
        return -ENOMEM;
    v->p = p;
    v->src = src;
    v->main_name = p->name;
    v->limit = fg_conf_node_count(root) * 16 > 100000 ? fg_conf_node_count(root) * 16 : 100000;
    if (!(v->out = fy_document_create(NULL))) {
        free(v);
        return -ENOMEM;
    }
    if ((rc = vars_node(v, root, &r)) == 0 && fy_document_set_root(v->out, r) < 0) {
        fy_node_free(r);
        rc = -ENOMEM;
    }
    if (rc < 0)
        fy_document_destroy(v->out);
    else
        *out = v->out;
    free(v);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* conf_doc.h - building an fngate.yaml document out of another file's nodes.
 *
 * serverless.yml (conf_sls.c) and SAM's template.yaml (conf_sam.c) are read by rewriting
 * them into the document fngate.yaml would be, then walking that as any fngate.yaml: one
 * set of checks and messages for all three. Values are copied node by node, and a copied
 * node keeps its place in the original file, so an error in a copied value still points at
 * the line and column the user wrote (a value made up here points at its key instead).
 * Warnings (keys fngate does not support) are collected once each, with the position of
 * their first occurrence, and end up in struct fg_config's warnings. Private to config/. */
#ifndef FG_CONF_DOC_H
#define FG_CONF_DOC_H

#include <libfyaml.h>
#include <stdbool.h>

#include "conf_walk.h"

/* Scalar text of n (NUL-terminated, libfyaml's, valid as long as n's document); NULL when
 * n is not a scalar or is YAML's null. */
const char *fg_doc_text(struct fy_node *n);

/* Gives n (a node a translation made) the place in the file it stands for, so errors about
 * it point there; nothing when n has a place of its own or pos is unknown. */
void fg_doc_mark(struct fy_node *n, struct fg_conf_pos pos);

/* fg_doc_mark of map's key (a function made by a translation: its errors point at the
 * name as the file writes it). */
void fg_doc_mark_key(struct fy_node *map, const char *key, struct fg_conf_pos pos);

/* A deep copy of n into d: scalars keep their place in the file, collections their tag,
 * and every node the place fg_doc_mark gave it. NULL on allocation failure or NULL n. */
struct fy_node *fg_doc_copy(struct fy_document *d, struct fy_node *n);

/* Where n was written: a scalar's own place, a mapping's first key's, a list's first
 * item's; 1:1 when it was made here. */
struct fg_conf_pos fg_doc_pos(struct fy_node *n);

/* Where map's key is written (map's own place when it has no such key). */
struct fg_conf_pos fg_doc_key_pos(struct fy_node *map, const char *key);

/* YAML's null: absent, or a plain null, Null, NULL, ~ or nothing. */
bool fg_doc_is_null(struct fy_node *n);

/* The value of key in mapping map (compared as text, not parsed), or NULL. Borrowed. */
struct fy_node *fg_doc_get(struct fy_node *map, const char *key);

/* The text of map's key, or NULL when absent or not a scalar. */
const char *fg_doc_get_text(struct fy_node *map, const char *key);

/* A new scalar in d (NULL on allocation failure). */
struct fy_node *fg_doc_str(struct fy_document *d, const char *fmt, ...) FG_PRINTF(2, 3);

/* Appends key: val to mapping map (val becomes map's; a NULL val is an allocation failure);
 * the new key takes val's place in the file. 0, -ENOMEM, or -EEXIST when map has the key
 * already (val is freed either way). */
int fg_doc_set(struct fy_node *map, const char *key, struct fy_node *val) FG_MUST_CHECK;

/* fg_doc_set unless map has key already (then val is freed): what a file's own fngate
 * section wrote wins. A NULL val sets nothing. 0 or -ENOMEM. */
int fg_doc_set_absent(struct fy_node *map, const char *key, struct fy_node *val) FG_MUST_CHECK;

/* Appends key: a copy of src (into map's document) when src is not NULL. 0 or -ENOMEM. */
int fg_doc_set_copy(struct fy_node *map, const char *key, struct fy_node *src) FG_MUST_CHECK;

/* The mapping at key in map, made when missing. NULL on allocation failure or when key
 * holds something else. */
struct fy_node *fg_doc_map_at(struct fy_node *map, const char *key);

/* The list at key in map, made when missing; NULL as above. */
struct fy_node *fg_doc_seq_at(struct fy_node *map, const char *key);

/* Appends {kind: {}} to the events list; the inner mapping in *out. 0 or -ENOMEM. */
int fg_doc_event_new(struct fy_node *list, const char *kind, struct fy_node **out) FG_MUST_CHECK;

/* Records "LINE:COL: warning: MESSAGE" for the configuration's warnings, once per key
 * (the same key again is not repeated). 0 or -ENOMEM. */
int fg_doc_warn(struct fg_conf_parser *p, const char *key, struct fg_conf_pos pos, const char *fmt, ...)
    FG_PRINTF(4, 5) FG_MUST_CHECK;

/* Warns once per key for every key of map not in known[] nor in quiet[] (keys that only
 * matter to a deployment, ignored without a word). where: "provider", "functions.*". */
int fg_doc_unsupported(struct fg_conf_parser *p, struct fy_node *map, const char *where, const char *const *known,
                       const char *const *quiet) FG_MUST_CHECK;

/* True when s is a whole ${...} or any text with "${" inside (a variable left unresolved). */
bool fg_doc_has_var(const char *s);

/* conf_defaults.c: fngate.yaml's `defaults:` (provider-level settings, as serverless.yml's
 * provider block) given to every function that does not write them itself; environment
 * variables are merged name by name. The key is removed from the document afterwards.
 * 0 or a negative code with the error set. */
int fg_conf_apply_defaults(struct fg_conf_parser *p, struct fy_document *doc) FG_MUST_CHECK;

/* conf_cfn.c: CloudFormation's Ref, Fn::GetAtt, Fn::Sub, Fn::Join and Fn::Select (tags or
 * mappings) in the values fngate reads, against the file's Parameters and Resources. */
struct fg_cfn_name {
    const char *id;              /* a resource's logical id */
    const char *name;            /* its name, or NULL while it is being worked out */
};

struct fg_cfn {
    struct fg_conf_parser *p;
    struct fy_node *resources;   /* Resources (SAM) or resources.Resources (serverless.yml), or NULL */
    struct fy_node *params;      /* Parameters, or NULL */
    const char *region, *account, *stack;   /* pseudo parameters */
    struct fy_document *out;     /* where copies go */
    int depth;
    struct fg_cfn_name *names;   /* resource names worked out so far (the config's arena) */
    size_t n_names, cap_names;
};

/* n copied into c->out with every intrinsic in it replaced by its text; *out NULL when n
 * is NULL. 0 or a negative code with the error set at the intrinsic. */
int fg_cfn_copy(struct fg_cfn *c, struct fy_node *n, struct fy_node **out) FG_MUST_CHECK;

/* The text n stands for (a scalar or an intrinsic), in the config's arena. */
int fg_cfn_string(struct fg_cfn *c, struct fy_node *n, const char **out) FG_MUST_CHECK;

/* fg_doc_set of key to a resolved copy of src (nothing when src is NULL). */
int fg_cfn_set(struct fg_cfn *c, struct fy_node *map, const char *key, struct fy_node *src) FG_MUST_CHECK;

/* conf_sources.c: section is custom.fngate / Metadata.fngate (may be NULL). Copies its
 * fngate.yaml top-level keys into top (not over keys top already has). */
int fg_doc_fngate_section(struct fg_conf_parser *p, struct fy_node *section, struct fy_node *top) FG_MUST_CHECK;

/* Fills the fngate event mapping ev with where the AWS source arn (an ARN, a queue URL or a
 * name) lives: kind "queues" (redis, stream), "topics" (redis, channel) or "streams" (kafka,
 * topic). An error at pos naming the key to add when section does not say. */
int fg_doc_source(struct fg_conf_parser *p, struct fy_node *section, const char *kind, const char *arn,
                  struct fg_conf_pos pos, struct fy_node *ev) FG_MUST_CHECK;

/* The name at the end of an ARN or URL (a Lambda function ARN's function name, without a
 * qualifier); a plain name is itself. Written into buf, which is returned. */
const char *fg_doc_arn_name(const char *arn, char *buf, size_t size);

/* conf_sources.c: self-managed Kafka's bootstrap servers (a list, or one text) as ev's
 * kafka.brokers ("a:9092,b:9092"), and format kafka. An error at servers (at, the event,
 * when there are none) when none is given or they are not texts. */
int fg_doc_kafka_brokers(struct fg_conf_parser *p, struct fy_node *servers, struct fy_node *at, struct fy_node *ev)
    FG_MUST_CHECK;

/* conf_sources.c: s3 events need the S3 endpoint: top's `s3` made when missing (loopback
 * port 9000, buckets under the state directory), with create_buckets, as the Framework and
 * CloudFormation create the buckets of s3 events. 0 or -ENOMEM. */
int fg_doc_s3_endpoint(struct fy_node *top) FG_MUST_CHECK;

/* fg_cfn_set of each pairs[i][1] in out to src's pairs[i][0] (those src has). */
int fg_cfn_set_keys(struct fg_cfn *c, struct fy_node *src, struct fy_node *out, const char *const (*pairs)[2],
                    size_t n) FG_MUST_CHECK;

/* The end of a translation: on success the original *doc is kept in the parser and *doc
 * becomes out; on failure out is destroyed. rc as given (-EEXIST made an error message). */
int fg_doc_finish(struct fg_conf_parser *p, int rc, struct fy_document **doc, struct fy_document *out) FG_MUST_CHECK;

/* conf_sls_vars.c: src with serverless.yml's variables resolved, as a new document in *out
 * (owned: fy_document_destroy). 0 or a negative code with the error set. */
int fg_conf_sls_vars(struct fg_conf_parser *p, struct fy_document *src, struct fy_document **out) FG_MUST_CHECK;

/* conf_sls.c / conf_sam.c: when doc is a serverless.yml or a SAM template, *doc is replaced by
 * the fngate.yaml document it stands for (the original is kept in the parser until it
 * closes). 0 when it was neither or was rewritten, else a negative code with the error. */
int fg_conf_sls_translate(struct fg_conf_parser *p, struct fy_document **doc) FG_MUST_CHECK;
int fg_conf_sam_translate(struct fg_conf_parser *p, struct fy_document **doc) FG_MUST_CHECK;

#endif

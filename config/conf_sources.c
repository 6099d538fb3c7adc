/* SPDX-License-Identifier: MIT */
/* conf_sources.c - where a serverless.yml's or a SAM template's AWS event sources live on
 * this machine (conf_doc.h).
 *
 * An `sqs` event names an SQS queue by ARN; fngate's counterpart is a Redis stream, an SNS
 * topic's is a Redis channel, a Kinesis stream's a Kafka topic. The file says which in a
 * small section of its own, `custom.fngate` in serverless.yml and `Metadata.fngate` in a
 * SAM template (both places AWS's tools leave alone):
 *
 *   custom:
 *     fngate:
 *       redis: redis://127.0.0.1:6379/0     # every queue and topic, named as on AWS
 *       kafka: 127.0.0.1:9092               # every Kinesis stream, a topic of its name
 *       queues: {orders: {stream: orders-v2, dead_letter_stream: orders-dlq}}
 *       topics: {alerts: redis://10.0.0.5:6379}
 *       streams: {clicks: {topic: clickstream}}
 *       gateway: {listen: 127.0.0.1:3000}   # and any other top-level key of fngate.yaml
 *
 * A source with no mapping is an error naming the queue and the key to add. */
#include "conf_doc.h"

#include "../core/buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const sources_own[] = { "redis", "kafka", "queues", "topics", "streams", NULL };

/* A copy of the section's value n: fngate's own keys, so fngate.yaml's ${VAR} from the
 * environment is expanded here (a SAM template has no variables of its own); in a
 * serverless.yml the Framework's ${env:VAR} is the way, and a ${...} left is an error rather
 * than the text of a token or a path. */
static int sources_copy(struct fg_conf_parser *p, struct fy_document *d, struct fy_node *n, struct fy_node **out)
{
    struct fy_node_pair *pair;
    struct fy_node *item;
    void *it = NULL;
    const char *s = fg_doc_text(n);
    int rc = 0;

    *out = NULL;
    if (s && strstr(s, "${")) {
        char *v;
        if (p->conf->dialect != FG_CONF_SAM)
            return fg_conf_fail(p, fg_doc_pos(n), "custom.fngate: '%s' is not a variable the Framework knows; "
                                "write ${env:NAME} for an environment variable", s);
        if ((rc = fg_conf_expand(p, fg_doc_pos(n), s, strlen(s), &v)) < 0)
            return rc;
        if (!(*out = fg_doc_str(d, "%s", v)))
            return -ENOMEM;
        fg_doc_mark(*out, fg_doc_pos(n));
        return 0;
    }
    if (!n || fy_node_is_scalar(n))
        return (*out = fg_doc_copy(d, n)) || !n ? 0 : -ENOMEM;
    if (!(*out = fy_node_is_sequence(n) ? fy_node_create_sequence(d) : fy_node_create_mapping(d)))
        return -ENOMEM;
    while (rc == 0 && fy_node_is_sequence(n) && (item = fy_node_sequence_iterate(n, &it))) {
        struct fy_node *c;
        if ((rc = sources_copy(p, d, item, &c)) == 0 && (!c || fy_node_sequence_append(*out, c) < 0)) {
            fy_node_free(c);
            rc = -ENOMEM;
        }
    }
    while (rc == 0 && fy_node_is_mapping(n) && (pair = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *c;
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        if (!k)
            continue;
        if ((rc = sources_copy(p, d, fy_node_pair_value(pair), &c)) == 0)
            rc = fg_doc_set(*out, k, c ? c : fy_node_build_from_string(d, "null", 4));
    }
    if (rc < 0) {
        fy_node_free(*out);
        *out = NULL;
    }
    return rc;
}

int fg_doc_fngate_section(struct fg_conf_parser *p, struct fy_node *section, struct fy_node *top)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if (!section)
        return 0;
    if ((rc = fg_conf_mapping(p, section, fg_conf_node_pos(section, (struct fg_conf_pos){ 1, 1 }), "fngate",
                              "a mapping of fngate.yaml's top-level keys")) <= 0)
        return rc;
    while ((pair = fy_node_mapping_iterate(section, &it))) {
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        size_t i;
        for (i = 0; sources_own[i] && (!k || strcmp(k, sources_own[i])); i++)
            ;
        if (k && !sources_own[i] && !fg_doc_get(top, k)) {
            struct fy_node *c;
            if ((rc = sources_copy(p, fy_node_document(top), fy_node_pair_value(pair), &c)) < 0 ||
                (rc = fg_doc_set(top, k, c ? c : fy_node_build_from_string(fy_node_document(top), "null", 4))) < 0)
                return rc;
        }
    }
    return 0;
}

const char *fg_doc_arn_name(const char *arn, char *buf, size_t size)
{
    const char *s = arn, *c;
    if (!strncmp(arn, "arn:", 4)) {
        if ((c = strstr(arn, ":function:"))) {   /* arn:aws:lambda:R:A:function:NAME[:QUALIFIER] */
            snprintf(buf, size, "%.*s", (int)strcspn(c + 10, ":"), c + 10);
            return buf;
        }
        s = strrchr(arn, ':') + 1;
    } else if (!strncmp(arn, "https://", 8)) {
        s = arn + 8;
    }
    snprintf(buf, size, "%s", strrchr(s, '/') ? strrchr(s, '/') + 1 : s);
    return buf;
}

int fg_doc_source(struct fg_conf_parser *p, struct fy_node *section, const char *kind, const char *arn,
                  struct fg_conf_pos pos, struct fy_node *ev)
{
    static const struct {
        const char *kind, *what, *server, *name_key, *example;
    } kinds[] = {
        { "queues", "queue", "redis", "stream", "{redis: redis://127.0.0.1:6379/0, stream: %s}" },
        { "topics", "topic", "redis", "channel", "{redis: redis://127.0.0.1:6379/0, channel: %s}" },
        { "streams", "stream", "kafka", "topic", "{kafka: 127.0.0.1:9092, topic: %s}" },
    };
    char nbuf[256];
    const char *name = fg_doc_arn_name(arn, nbuf, sizeof(nbuf));
    struct fy_node *entry, *dflt = fg_doc_get(section, kinds[0].server);
    size_t k;
    char example[300];
    int rc;

    for (k = 0; strcmp(kinds[k].kind, kind); k++)
        ;
    dflt = fg_doc_get(section, kinds[k].server);
    entry = fg_doc_get(fg_doc_get(section, kind), name);
    if (entry && fy_node_is_mapping(entry)) {
        struct fy_node_pair *pair;
        void *it = NULL;
        while ((pair = fy_node_mapping_iterate(entry, &it))) {
            struct fy_node *c;
            const char *key = fg_doc_text(fy_node_pair_key(pair));
            if (!key)
                continue;
            if ((rc = sources_copy(p, fy_node_document(ev), fy_node_pair_value(pair), &c)) < 0 ||
                (rc = fg_doc_set_absent(ev, key, c)) < 0)
                return rc;
        }
    } else if (entry && fg_doc_text(entry)) {
        struct fy_node *c;
        if ((rc = sources_copy(p, fy_node_document(ev), entry, &c)) < 0 || (rc = fg_doc_set_absent(ev, kinds[k].server, c)) < 0)
            return rc;
    } else if (!dflt) {
        snprintf(example, sizeof(example), kinds[k].example, name);
        return fg_conf_fail(p, pos, "%s %s: fngate does not know where this %s is: add %s.%s.%s: %s (or %s.%s for every %s)",
                            kinds[k].what, arn, kinds[k].what, p->conf->dialect == FG_CONF_SAM ? "Metadata.fngate" : "custom.fngate",
                            kind, name, example, p->conf->dialect == FG_CONF_SAM ? "Metadata.fngate" : "custom.fngate",
                            kinds[k].server, kinds[k].what);
    }
    if (!fg_doc_get(ev, kinds[k].server) && dflt) {
        struct fy_node *c;
        if ((rc = sources_copy(p, fy_node_document(ev), dflt, &c)) < 0 || (rc = fg_doc_set_absent(ev, kinds[k].server, c)) < 0)
            return rc;
    }
    if (!fg_doc_get(ev, kinds[k].name_key) && !(k == 1 && fg_doc_get(ev, "pattern")) &&
        (rc = fg_doc_set(ev, kinds[k].name_key, fg_doc_str(fy_node_document(ev), "%s", name))) < 0)
        return rc;
    return 0;
}

int fg_doc_s3_endpoint(struct fy_node *top)
{
    struct fy_document *d = fy_node_document(top);
    struct fy_node *s3 = fg_doc_get(top, "s3");
    const char *sd = fg_doc_get_text(top, "state_dir");
    int rc;

    if (!s3) {
        if (!(s3 = fg_doc_map_at(top, "s3")) || (rc = fg_doc_set(s3, "listen", fg_doc_str(d, "127.0.0.1:9000"))) < 0 ||
            (rc = fg_doc_set(s3, "root", fg_doc_str(d, "%s/s3", sd ? sd : ".fngate"))) < 0)
            return -ENOMEM;
    }
    if (fy_node_is_mapping(s3) && !fg_doc_get(s3, "create_buckets"))
        return fg_doc_set(s3, "create_buckets", fg_doc_str(d, "true"));
    return 0;
}

int fg_doc_kafka_brokers(struct fg_conf_parser *p, struct fy_node *servers, struct fy_node *at, struct fy_node *ev)
{
    struct fy_document *d = fy_node_document(ev);
    struct fy_node *item, *k, *b;
    struct fg_buf buf;
    void *it = NULL;
    int rc = 0;

    fg_buf_init(&buf, 64u << 10);
    if (fg_doc_text(servers))
        rc = fg_buf_append_str(&buf, fg_doc_text(servers));
    while (rc >= 0 && servers && fy_node_is_sequence(servers) && (item = fy_node_sequence_iterate(servers, &it))) {
        if (!fg_doc_text(item)) {
            rc = fg_conf_fail(p, fg_doc_pos(item), "bootstrap servers: expected HOST:PORT texts");
            break;
        }
        if ((buf.len && (rc = fg_buf_append(&buf, ",", 1)) < 0) || (rc = fg_buf_append_str(&buf, fg_doc_text(item))) < 0)
            break;
    }
    if (rc == -FG_ETOOBIG)
        rc = fg_conf_fail(p, fg_doc_pos(servers), "bootstrap servers: longer than 64 KB in all");
    if (rc >= 0 && !buf.len)
        rc = fg_conf_fail(p, fg_doc_pos(servers ? servers : at), "bootstrap servers: at least one HOST:PORT is required");
    if (rc >= 0) {
        b = fg_doc_str(d, "%s", buf.data);
        fg_doc_mark(b, fg_doc_pos(servers));
        if (!(k = fg_doc_map_at(ev, "kafka")) || (rc = fg_doc_set(k, "brokers", b)) < 0 ||
            (rc = fg_doc_set(ev, "format", fg_doc_str(d, "kafka"))) < 0)
            rc = rc < 0 ? rc : -ENOMEM;
    }
    fg_buf_free(&buf);
    return rc < 0 ? rc : 0;
}

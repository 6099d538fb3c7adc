/* SPDX-License-Identifier: MIT */
/* conf_sls_events.c - a serverless.yml function's events as fngate events (conf_sls.h).
 *
 *   httpApi: 'GET /path' | {method, path, authorizer}  -> http (payload 2.0, or provider.httpApi.payload)
 *   http: 'GET path' | {method, path, cors, authorizer} -> http with payload_format 1.0 (REST's
 *                                                           proxy event) and the route's CORS
 *   schedule: 'rate(...)' | {rate: expr or [exprs], enabled, input, name, description,
 *             timezone}                                  -> one schedule per expression
 *   s3: bucket | {bucket, event, rules: [{prefix}, {suffix}]} -> s3 (the S3 endpoint)
 *   sqs: ARN | {arn, batchSize, maximumBatchingWindow, functionResponseType,
 *        filterPatterns, maximumConcurrency, enabled}    -> queue (a Redis stream)
 *   sns: name | ARN | {arn, topicName, filterPolicy (MessageBody scope)} -> topic (Redis pub/sub)
 *   stream: ARN | {arn, type: kinesis, batchSize, startingPosition, ...} -> stream (Kafka,
 *           format kinesis); DynamoDB streams have no counterpart
 *   kafka: {bootstrapServers, topic, batchSize, startingPosition, consumerGroupId} -> stream
 * Where queues, topics and streams live comes from custom.fngate (conf_sources.c). An event
 * written with `enabled: false` is left out, as it would be disabled on AWS. Events fngate
 * has no counterpart for (alb, websocket, eventBridge, cloudwatchLog, iot, ...) are one
 * warning each. */
#include "conf_sls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sls_ev {
    struct fg_sls *s;
    struct fy_node *list;       /* the function's fngate events */
    struct fy_document *d;
};

static struct fg_conf_pos ev_pos(struct fy_node *n)
{
    return fg_doc_pos(n);
}

static bool ev_disabled(struct fy_node *val)
{
    const char *en = fg_doc_get_text(val, "enabled");
    return en && !strcmp(en, "false");
}

/* "GET /path" (httpApi) or "GET path" (http) into method and path. */
static int ev_route_text(struct sls_ev *e, struct fy_node *at, const char *s, bool rest, struct fy_node *out)
{
    const char *sp = strchr(s, ' ');
    int rc;
    if (!strcmp(s, "*"))   /* httpApi: '*' is the catch-all route */
        return (rc = fg_doc_set(out, "method", fg_doc_str(e->d, "ANY"))) < 0 ? rc
             : fg_doc_set(out, "path", fg_doc_str(e->d, "$default"));
    if (!sp)
        return fg_conf_fail(e->s->p, ev_pos(at), "%s: expected 'METHOD PATH' (GET %s/users), got '%s'",
                            rest ? "http" : "httpApi", rest ? "" : "", s);
    while (*sp == ' ')
        sp++;
    if ((rc = fg_doc_set(out, "method", fg_doc_str(e->d, "%.*s", (int)strcspn(s, " "), s))) < 0)
        return rc;
    return fg_doc_set(out, "path", fg_doc_str(e->d, "%s%s", sp[0] == '/' ? "" : "/", sp));
}

/* authorizer: NAME | {name, scopes} | {type: aws_iam} | {id}. */
static int ev_authorizer(struct sls_ev *e, struct fy_node *a, struct fy_node *out)
{
    const char *type = fg_doc_get_text(a, "type");
    struct fy_node *o;
    int rc;
    if (!a)
        return 0;
    if (fg_doc_text(a))
        return fg_doc_set_copy(out, "authorizer", a);
    if (type && !strcasecmp(type, "aws_iam"))
        return fg_doc_warn(e->s->p, "authorizer.aws_iam", ev_pos(a), "authorizer type aws_iam on a route is not "
                           "supported by fngate: the route is not authenticated (use a function url with "
                           "authorizer: aws_iam)");
    if (!(o = fg_doc_map_at(out, "authorizer")))
        return -ENOMEM;
    if ((rc = fg_doc_set_copy(o, "name", fg_doc_get(a, "name") ? fg_doc_get(a, "name") : fg_doc_get(a, "id"))) < 0)
        return rc;
    return fg_doc_set_copy(o, "scopes", fg_doc_get(a, "scopes"));
}

static int ev_http(struct sls_ev *e, struct fy_node *val, bool rest)
{
    static const char *const api_known[] = { "method", "path", "authorizer", NULL };
    static const char *const rest_known[] = { "method", "path", "cors", "authorizer", "private", NULL };
    static const char *const rest_quiet[] = { "integration", "async", "operationId", "documentation", "summary",
                                              "description", NULL };
    struct fy_node *out;
    const char *s = fg_doc_text(val), *method;
    int rc;

    if ((rc = fg_doc_event_new(e->list, "http", &out)) < 0)
        return rc;
    if (s)
        rc = ev_route_text(e, val, s, rest, out);
    else if (!val || !fy_node_is_mapping(val))
        return fg_conf_fail(e->s->p, ev_pos(val), "%s: expected 'METHOD PATH' or {method, path}", rest ? "http" : "httpApi");
    else {
        const char *m = fg_doc_get_text(val, "method"), *path = fg_doc_get_text(val, "path");
        if (!path)
            return fg_conf_fail(e->s->p, ev_pos(val), "%s: 'path' is required", rest ? "http" : "httpApi");
        if ((rc = fg_doc_set(out, "method", fg_doc_str(e->d, "%s", m && strcmp(m, "*") ? m : "ANY"))) == 0)
            rc = fg_doc_set(out, "path", fg_doc_str(e->d, "%s%s", path[0] == '/' || !strcmp(path, "*") ? "" : "/",
                                                  !strcmp(path, "*") ? "$default" : path));
        if (rc == 0)
            rc = ev_authorizer(e, fg_doc_get(val, "authorizer"), out);
        if (rc == 0)
            rc = fg_doc_unsupported(e->s->p, val, rest ? "events.http" : "events.httpApi", rest ? rest_known : api_known,
                                    rest ? rest_quiet : NULL);
        if (rc == 0 && rest && fg_doc_get_text(val, "private") && !strcmp(fg_doc_get_text(val, "private"), "true"))
            rc = fg_doc_warn(e->s->p, "http.private", fg_doc_key_pos(val, "private"), "http private: true: fngate has "
                             "no API keys, so this route is NOT private (put an authorizer on it)");
        if (rc == 0 && rest) {
            const char *integ = fg_doc_get_text(val, "integration");
            if (integ && strcasecmp(integ, "lambda-proxy") && strcasecmp(integ, "aws_proxy"))
                rc = fg_doc_warn(e->s->p, "http.integration", ev_pos(fg_doc_get(val, "integration")),
                                 "http integration %s: fngate sends the proxy event (lambda-proxy)", integ);
        }
    }
    if (rc < 0)
        return rc;
    method = fg_doc_get_text(out, "method");
    if (rest) {
        if ((rc = fg_doc_set(out, "payload_format", fg_doc_str(e->d, "1.0"))) < 0)
            return rc;
        if (val && fy_node_is_mapping(val) && fg_doc_get(val, "cors"))
            return fg_sls_cors(e->s, out, fg_doc_get(val, "cors"), method);
        /* provider.httpApi.cors is the HTTP API's, not the REST routes' */
        return e->s->http_api_cors ? fg_doc_set(out, "cors", fg_doc_str(e->d, "false")) : 0;
    }
    if (e->s->payload && (rc = fg_doc_set(out, "payload_format", fg_doc_str(e->d, "%s", e->s->payload))) < 0)
        return rc;
    return 0;
}

static int ev_schedule(struct sls_ev *e, const char *fname, struct fy_node *val)
{
    static const char *const known[] = { "rate", "enabled", "input", "name", "description", "timezone", "method", NULL };
    static const char *const pairs[][2] = { { "enabled", "enabled" }, { "input", "input" },
                                            { "description", "description" }, { "timezone", "timezone" } };
    struct fy_node *rate, *item, *out;
    void *it = NULL;
    int rc, n = 0;

    if (fg_doc_text(val)) {
        if ((rc = fg_doc_event_new(e->list, "schedule", &out)) < 0)
            return rc;
        return fg_doc_set_copy(out, "expression", val);
    }
    if (!val || !fy_node_is_mapping(val) || !(rate = fg_doc_get(val, "rate")))
        return fg_conf_fail(e->s->p, ev_pos(val), "schedule: expected rate(...) / cron(...) or {rate: ...}");
    if ((rc = fg_doc_unsupported(e->s->p, val, "events.schedule", known, NULL)) < 0)
        return rc;
    if (fg_doc_get(val, "inputPath") || fg_doc_get(val, "inputTransformer"))
        if ((rc = fg_doc_warn(e->s->p, "schedule.input*", ev_pos(val), "schedule: inputPath and inputTransformer "
                              "are not supported by fngate")) < 0)
            return rc;
    /* rate: one expression, or a list of them (each its own schedule) */
    while ((item = fy_node_is_sequence(rate) ? fy_node_sequence_iterate(rate, &it) : (n ? NULL : rate))) {
        n++;
        if ((rc = fg_doc_event_new(e->list, "schedule", &out)) < 0 || (rc = fg_doc_set_copy(out, "expression", item)) < 0 ||
            (rc = fg_cfn_set_keys(&e->s->cfn, val, out, pairs, sizeof(pairs) / sizeof(pairs[0]))) < 0)
            return rc;
        if (fg_doc_get(val, "name") &&
            (rc = fg_doc_set(out, "name", fy_node_is_sequence(rate) && n > 1
                             ? fg_doc_str(e->d, "%s-%d", fg_doc_get_text(val, "name"), n)
                             : fg_doc_copy(e->d, fg_doc_get(val, "name")))) < 0)
            return rc;
    }
    (void)fname;
    return 0;
}

static int ev_s3(struct sls_ev *e, struct fy_node *val)
{
    static const char *const known[] = { "bucket", "event", "rules", "existing", "forceDeploy", NULL };
    struct fy_node *out, *rules, *r;
    void *it = NULL;
    int rc;

    e->s->s3_used = true;
    if ((rc = fg_doc_event_new(e->list, "s3", &out)) < 0)
        return rc;
    if (fg_doc_text(val) || (val && fg_doc_get(val, "Ref")))
        return fg_cfn_set(&e->s->cfn, out, "bucket", val);
    if (!val || !fy_node_is_mapping(val))
        return fg_conf_fail(e->s->p, ev_pos(val), "s3: expected a bucket name or {bucket, event, rules}");
    if ((rc = fg_cfn_set(&e->s->cfn, out, "bucket", fg_doc_get(val, "bucket"))) < 0)
        return rc;
    if (fg_doc_get(val, "event")) {
        struct fy_node *evs = fg_doc_seq_at(out, "events"), *c;
        if (!evs || !(c = fg_doc_copy(e->d, fg_doc_get(val, "event"))) || fy_node_sequence_append(evs, c) < 0)
            return -ENOMEM;
    }
    rules = fg_doc_get(val, "rules");
    while (rules && fy_node_is_sequence(rules) && (r = fy_node_sequence_iterate(rules, &it))) {
        for (int i = 0; i < 2; i++) {
            const char *rule = i ? "suffix" : "prefix";
            if (!fg_doc_get(r, rule))
                continue;
            if (fg_doc_get(out, rule))   /* as S3 refuses overlapping rules */
                return fg_conf_fail(e->s->p, fg_doc_pos(r), "s3 rules: one %s only", rule);
            if ((rc = fg_doc_set_copy(out, rule, fg_doc_get(r, rule))) < 0)
                return rc;
        }
    }
    return fg_doc_unsupported(e->s->p, val, "events.s3", known, NULL);
}

/* sqs / sns / stream / kafka: the source's location, then the batching keys. */
static int ev_source(struct sls_ev *e, const char *sls_kind, struct fy_node *val)
{
    static const char *const sqs_pairs[][2] = {
        { "batchSize", "batch_size" }, { "maximumBatchingWindow", "maximum_batching_window" },
        { "filterPatterns", "filter_criteria" }, { "maximumConcurrency", "maximum_concurrency" },
    };
    static const char *const sqs_known[] = { "arn", "batchSize", "maximumBatchingWindow", "filterPatterns",
                                             "maximumConcurrency", "functionResponseType", "enabled", NULL };
    static const char *const stream_pairs[][2] = {
        { "batchSize", "batch_size" }, { "batchWindow", "maximum_batching_window" },
        { "maximumBatchingWindow", "maximum_batching_window" }, { "startingPosition", "starting_position" },
        { "startingPositionTimestamp", "starting_position_timestamp" },
        { "maximumRetryAttempts", "maximum_retry_attempts" }, { "maximumRecordAgeInSeconds", "maximum_record_age" },
        { "bisectBatchOnFunctionError", "bisect_batch_on_function_error" },
        { "parallelizationFactor", "parallelization_factor" }, { "filterPatterns", "filter_criteria" },
        { "consumerGroupId", "group" }, { "topic", "topic" },
    };
    static const char *const stream_known[] = { "arn", "type", "batchSize", "batchWindow", "maximumBatchingWindow",
                                                "startingPosition", "startingPositionTimestamp", "maximumRetryAttempts",
                                                "maximumRecordAgeInSeconds", "bisectBatchOnFunctionError",
                                                "parallelizationFactor", "filterPatterns", "functionResponseType",
                                                "destinations", "enabled", "consumer", NULL };
    static const char *const kafka_known[] = { "bootstrapServers", "topic", "batchSize", "maximumBatchingWindow",
                                               "startingPosition", "startingPositionTimestamp", "consumerGroupId",
                                               "filterPatterns", "enabled", "accessConfigurations", NULL };
    static const char *const sns_known[] = { "arn", "topicName", "filterPolicy", "filterPolicyScope", "displayName", NULL };
    bool sqs = !strcmp(sls_kind, "sqs"), sns = !strcmp(sls_kind, "sns"), kafka = !strcmp(sls_kind, "kafka");
    struct fy_node *out, *arn_node = fg_doc_text(val) ? val : fg_doc_get(val, "arn");
    const char *arn = NULL, *type = fg_doc_get_text(val, "type"), *resp = fg_doc_get_text(val, "functionResponseType");
    int rc;

    if (ev_disabled(val))
        return 0;
    if (!kafka && !arn_node && sns)
        arn_node = fg_doc_get(val, "topicName");
    if (!kafka && !arn_node)
        return fg_conf_fail(e->s->p, ev_pos(val), "%s: expected an ARN or {arn: ...}", sls_kind);
    if (type && !strcmp(type, "dynamodb"))
        return fg_doc_warn(e->s->p, "stream.dynamodb", ev_pos(val), "stream type dynamodb: fngate has no DynamoDB "
                           "streams; the event is left out");
    if (arn_node && (rc = fg_cfn_string(&e->s->cfn, arn_node, &arn)) < 0)
        return rc;
    if (arn && strstr(arn, ":dynamodb:"))
        return fg_doc_warn(e->s->p, "stream.dynamodb", ev_pos(val), "stream %s: fngate has no DynamoDB streams; "
                           "the event is left out", arn);
    if ((rc = fg_doc_event_new(e->list, sqs ? "queue" : sns ? "topic" : "stream", &out)) < 0)
        return rc;
    if (kafka) {
        if ((rc = fg_doc_kafka_brokers(e->s->p, fg_doc_get(val, "bootstrapServers"), val, out)) < 0)
            return rc;
        if (fg_doc_get(val, "accessConfigurations") &&
            (rc = fg_doc_warn(e->s->p, "kafka.accessConfigurations", ev_pos(val), "kafka accessConfigurations: "
                              "write librdkafka's security settings in custom.fngate (see README)")) < 0)
            return rc;
    } else if ((rc = fg_doc_source(e->s->p, e->s->section, sqs ? "queues" : sns ? "topics" : "streams", arn,
                                   ev_pos(arn_node), out)) < 0) {
        return rc;
    }
    if (sqs)
        rc = fg_cfn_set_keys(&e->s->cfn, val, out, sqs_pairs, sizeof(sqs_pairs) / sizeof(sqs_pairs[0]));
    else if (!sns && fy_node_is_mapping(val))
        rc = fg_cfn_set_keys(&e->s->cfn, val, out, stream_pairs, sizeof(stream_pairs) / sizeof(stream_pairs[0]));
    if (rc == 0 && !sqs && !sns && !kafka && !fg_doc_get(out, "format"))
        rc = fg_doc_set(out, "format", fg_doc_str(e->d, "kinesis"));
    if (rc == 0 && resp) {
        struct fy_node *types = fg_doc_seq_at(out, "function_response_types"), *t = fg_doc_str(e->d, "%s", resp);
        if (!types || !t || fy_node_sequence_append(types, t) < 0)
            rc = -ENOMEM;
    }
    if (rc == 0 && !sqs && !sns && fg_doc_get(fg_doc_get(val, "destinations"), "onFailure")) {
        const char *t;
        char buf[256];
        if ((rc = fg_cfn_string(&e->s->cfn, fg_doc_get(fg_doc_get(val, "destinations"), "onFailure"), &t)) == 0)
            rc = fg_doc_set(out, "on_failure", fg_doc_str(e->d, "%s", strstr(t, ":lambda:") ? fg_doc_arn_name(t, buf, sizeof(buf))
                                                                                          : strncmp(t, "arn:", 4) ? t : "dlq"));
    }
    if (rc == 0 && sns && fg_doc_get(val, "filterPolicy")) {
        /* SNS filters message attributes unless the scope is MessageBody; Redis messages
         * have only a body, which fngate's topic filter matches */
        const char *scope = fg_doc_get_text(val, "filterPolicyScope");
        if (scope && !strcmp(scope, "MessageBody")) {
            struct fy_node *list = fg_doc_seq_at(out, "filter_criteria"), *c;
            if (!list || !(c = fg_doc_copy(e->d, fg_doc_get(val, "filterPolicy"))) || fy_node_sequence_append(list, c) < 0)
                rc = -ENOMEM;
        } else {
            rc = fg_doc_warn(e->s->p, "sns.filterPolicy", ev_pos(fg_doc_get(val, "filterPolicy")), "sns filterPolicy on "
                             "message attributes: Redis messages have none; only filterPolicyScope: MessageBody is applied");
        }
    }
    if (rc == 0 && fy_node_is_mapping(val))
        rc = fg_doc_unsupported(e->s->p, val, sqs ? "events.sqs" : sns ? "events.sns" : kafka ? "events.kafka" : "events.stream",
                                sqs ? sqs_known : sns ? sns_known : kafka ? kafka_known : stream_known, NULL);
    return rc;
}

int fg_sls_events(struct fg_sls *s, const char *fname, struct fy_node *events, struct fy_node *out)
{
    struct sls_ev e = { .s = s, .d = fy_node_document(out) };
    struct fy_node *item;
    void *it = NULL;
    int rc = 0;

    if (!events)
        return 0;
    if (!fy_node_is_sequence(events))
        return fg_conf_fail(s->p, ev_pos(events), "function %s: events: expected a list", fname);
    if (!(e.list = fg_doc_seq_at(out, "events")))
        return -ENOMEM;
    while (rc == 0 && (item = fy_node_sequence_iterate(events, &it))) {
        struct fy_node_pair *pair;
        const char *kind;
        struct fy_node *val;
        char id[64];
        if (!fy_node_is_mapping(item) || fy_node_mapping_item_count(item) != 1)
            return fg_conf_fail(s->p, ev_pos(item), "function %s: an event is a mapping with one key (httpApi, http, "
                                "schedule, s3, sqs, sns, stream)", fname);
        pair = fy_node_mapping_get_by_index(item, 0);
        kind = fg_doc_text(fy_node_pair_key(pair));
        val = fy_node_pair_value(pair);
        if (!kind)
            kind = "?";
        if (!val || (fy_node_is_scalar(val) && !fg_doc_text(val)))
            return fg_conf_fail(s->p, ev_pos(fy_node_pair_key(pair)), "function %s: event %s: a value is required",
                                fname, kind);
        if (!strcmp(kind, "httpApi") || !strcmp(kind, "http"))
            rc = ev_http(&e, val, kind[4] == '\0');
        else if (!strcmp(kind, "schedule"))
            rc = ev_schedule(&e, fname, val);
        else if (!strcmp(kind, "s3"))
            rc = ev_s3(&e, val);
        else if (!strcmp(kind, "sqs") || !strcmp(kind, "sns") || !strcmp(kind, "stream") || !strcmp(kind, "kafka"))
            rc = ev_source(&e, kind, val);
        else {
            snprintf(id, sizeof(id), "events.%s", kind);
            rc = fg_doc_warn(s->p, id, ev_pos(fy_node_pair_key(pair)), "event %s is not supported by fngate and is "
                             "ignored (fngate has httpApi, http, schedule, s3, sqs, sns, stream and kafka)", kind);
        }
    }
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* conf_sam_events.c - a SAM function's Events as fngate events (conf_sam.h).
 *
 *   Api {Path, Method}                -> http, payload format 1.0 (REST's proxy event), with
 *                                        Globals.Api.Cors
 *   HttpApi {Path, Method, PayloadFormatVersion} -> http (2.0); no Path: the $default route
 *   Schedule {Schedule, Input, Enabled, State, Name, Description} -> schedule
 *   ScheduleV2 {ScheduleExpression, ScheduleExpressionTimezone, Input, State, Name} -> schedule
 *   S3 {Bucket, Events, Filter.S3Key.Rules}   -> s3 (the S3 endpoint)
 *   SQS {Queue, BatchSize, MaximumBatchingWindowInSeconds, FunctionResponseTypes,
 *        FilterCriteria, ScalingConfig}   -> queue
 *   SNS {Topic, FilterPolicy, FilterPolicyScope} -> topic
 *   Kinesis {Stream, StartingPosition, BatchSize, ...} -> stream (format kinesis)
 *   SelfManagedKafka {KafkaBootstrapServers, Topics, ...} -> stream (format kafka)
 * `Enabled: false` (or State DISABLED for a schedule) is kept as SAM means it: the event
 * source exists but does not fire. Other types are one warning each. */
#include "conf_sam.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sam_ev {
    struct fg_sam *s;
    struct fy_node *list;
    struct fy_document *d;
};

/* REST's Cors: "'*'" or {AllowOrigin: "'*'", AllowMethods: "'GET,POST'", AllowHeaders,
 * MaxAge, AllowCredentials}: API Gateway's header values, quoted, comma-separated. */
static int sev_rest_cors(struct sam_ev *e, struct fy_node *out, struct fy_node *cors, const char *method)
{
    static const char *const pairs[][2] = { { "AllowOrigin", "allow_origins" }, { "AllowMethods", "allow_methods" },
                                            { "AllowHeaders", "allow_headers" } };
    struct fy_node *c = fg_doc_map_at(out, "cors");
    const char *t;
    int rc;
    if (!c)
        return -ENOMEM;
    for (size_t i = 0; i < 3; i++) {
        struct fy_node *v = fg_doc_text(cors) && i == 0 ? cors : fg_doc_get(cors, pairs[i][0]), *list;
        char buf[1024], *save = NULL;
        if (!v)
            continue;
        if ((rc = fg_cfn_string(&e->s->cfn, v, &t)) < 0)
            return rc;
        if (strlen(t) >= sizeof(buf))
            return fg_conf_fail(e->s->p, fg_doc_pos(v), "Cors: %s longer than %zu characters", pairs[i][0], sizeof(buf) - 1);
        snprintf(buf, sizeof(buf), "%s", t);
        if (!(list = fg_doc_seq_at(c, pairs[i][1])))
            return -ENOMEM;
        for (char *tok = strtok_r(buf, ",'\" ", &save); tok; tok = strtok_r(NULL, ",'\" ", &save))
            if (fy_node_sequence_append(list, fg_doc_str(e->d, "%s", tok)) < 0)
                return -ENOMEM;
    }
    if (!fg_doc_get(c, "allow_methods")) {
        struct fy_node *list = fg_doc_seq_at(c, "allow_methods");
        if (!list || fy_node_sequence_append(list, fg_doc_str(e->d, "%s", strcasecmp(method, "any") ? method : "*")) < 0)
            return -ENOMEM;
    }
    if (fg_doc_get(cors, "MaxAge") && (rc = fg_cfn_set(&e->s->cfn, c, "max_age", fg_doc_get(cors, "MaxAge"))) < 0)
        return rc;
    return fg_cfn_set(&e->s->cfn, c, "allow_credentials", fg_doc_get(cors, "AllowCredentials"));
}

static int sev_http(struct sam_ev *e, struct fy_node *props, bool rest)
{
    static const char *const known[] = { "Path", "Method", "PayloadFormatVersion", "ApiId", "RestApiId", "Auth",
                                         "TimeoutInMillis", NULL };
    struct fy_node *out, *path = fg_doc_get(props, "Path"), *method = fg_doc_get(props, "Method");
    const char *m = fg_doc_text(method);
    int rc;

    if ((rc = fg_doc_event_new(e->list, "http", &out)) < 0)
        return rc;
    if (!path && rest)
        return fg_conf_fail(e->s->p, fg_doc_pos(props), "Api event: Path and Method are required");
    if ((rc = fg_doc_set(out, "method", fg_doc_str(e->d, "%s", m && strcmp(m, "*") && strcasecmp(m, "x-amazon-apigateway-any-method") ? m : "ANY"))) < 0)
        return rc;
    if ((rc = path ? fg_cfn_set(&e->s->cfn, out, "path", path) : fg_doc_set(out, "path", fg_doc_str(e->d, "$default"))) < 0)
        return rc;
    if (rest) {
        if ((rc = fg_doc_set(out, "payload_format", fg_doc_str(e->d, "1.0"))) < 0)
            return rc;
        if (e->s->api_cors)
            rc = sev_rest_cors(e, out, e->s->api_cors, m ? m : "ANY");
        else if (e->s->http_api_cors)
            rc = fg_doc_set(out, "cors", fg_doc_str(e->d, "false"));
    } else {
        rc = fg_cfn_set(&e->s->cfn, out, "payload_format", fg_doc_get(props, "PayloadFormatVersion"));
    }
    if (rc == 0) {
        struct fy_node *id = fg_doc_get(props, rest ? "RestApiId" : "ApiId"), *arg = fg_doc_get(id, "Ref");
        const char *name = arg ? fg_doc_text(arg) : fg_doc_text(id);
        struct fy_node *api = fg_doc_get(fg_doc_get(e->s->cfn.resources, name ? name : ""), "Properties");
        if (api && (fg_doc_get(api, "Auth") || fg_doc_get(api, "Cors") || fg_doc_get(api, "CorsConfiguration")))
            rc = fg_doc_warn(e->s->p, "Events.ApiId", fg_doc_pos(id), "the API %s's Auth and Cors are not applied by "
                             "fngate: its routes are NOT authenticated (write them in Metadata.fngate.gateway)", name);
    }
    if (rc == 0 && fg_doc_get(props, "Auth"))
        rc = fg_doc_warn(e->s->p, "Events.Auth", fg_doc_key_pos(props, "Auth"), "Auth on an %s event is not read by "
                         "fngate: write the authorizer in Metadata.fngate.gateway.authorizers", rest ? "Api" : "HttpApi");
    return rc < 0 ? rc : fg_doc_unsupported(e->s->p, props, "Events.Api", known, NULL);
}

static int sev_schedule(struct sam_ev *e, struct fy_node *props, bool v2)
{
    static const char *const v1[][2] = { { "Schedule", "expression" }, { "Input", "input" }, { "Name", "name" },
                                         { "Description", "description" }, { "Enabled", "enabled" } };
    static const char *const v2p[][2] = { { "ScheduleExpression", "expression" }, { "Input", "input" },
                                          { "Name", "name" }, { "Description", "description" },
                                          { "ScheduleExpressionTimezone", "timezone" } };
    static const char *const known1[] = { "Schedule", "Input", "Name", "Description", "Enabled", "State", NULL };
    static const char *const known2[] = { "ScheduleExpression", "Input", "Name", "Description", "State",
                                          "ScheduleExpressionTimezone", "FlexibleTimeWindow", "StartDate", "EndDate",
                                          "RetryPolicy", "DeadLetterConfig", "GroupName", NULL };
    struct fy_node *out;
    const char *state = fg_doc_get_text(props, "State");
    int rc;
    if ((rc = fg_doc_event_new(e->list, "schedule", &out)) < 0 || (rc = fg_cfn_set_keys(&e->s->cfn, props, out, v2 ? v2p : v1, 5)) < 0)
        return rc;
    if (state && !strcmp(state, "DISABLED") && (rc = fg_doc_set(out, "enabled", fg_doc_str(e->d, "false"))) < 0)
        return rc;
    return fg_doc_unsupported(e->s->p, props, v2 ? "Events.ScheduleV2" : "Events.Schedule", v2 ? known2 : known1,
                              NULL);
}

static int sev_s3(struct sam_ev *e, struct fy_node *props)
{
    static const char *const known[] = { "Bucket", "Events", "Filter", NULL };
    struct fy_node *out, *rules = fg_doc_get(fg_doc_get(fg_doc_get(props, "Filter"), "S3Key"), "Rules"), *r, *evs;
    void *it = NULL;
    int rc;
    e->s->s3_used = true;
    if ((rc = fg_doc_event_new(e->list, "s3", &out)) < 0 || (rc = fg_cfn_set(&e->s->cfn, out, "bucket", fg_doc_get(props, "Bucket"))) < 0)
        return rc;
    evs = fg_doc_get(props, "Events");
    if (evs && fg_doc_text(evs)) {
        struct fy_node *list = fg_doc_seq_at(out, "events"), *c = fg_doc_copy(e->d, evs);
        if (!list || !c || fy_node_sequence_append(list, c) < 0)
            return -ENOMEM;
    } else if ((rc = fg_cfn_set(&e->s->cfn, out, "events", evs)) < 0) {
        return rc;
    }
    while (rules && fy_node_is_sequence(rules) && (r = fy_node_sequence_iterate(rules, &it))) {
        const char *name = fg_doc_get_text(r, "Name");
        const char *rule = name && !strcasecmp(name, "prefix") ? "prefix" : name && !strcasecmp(name, "suffix") ? "suffix" : NULL;
        if (!rule)
            continue;
        if (fg_doc_get(out, rule))   /* as S3 refuses overlapping rules */
            return fg_conf_fail(e->s->p, fg_doc_pos(r), "S3 Filter: one %s rule only", rule);
        if ((rc = fg_cfn_set(&e->s->cfn, out, rule, fg_doc_get(r, "Value"))) < 0)
            return rc;
    }
    return fg_doc_unsupported(e->s->p, props, "Events.S3", known, NULL);
}

static int sev_source(struct sam_ev *e, struct fy_node *props, const char *type)
{
    static const char *const pairs[][2] = {
        { "BatchSize", "batch_size" }, { "MaximumBatchingWindowInSeconds", "maximum_batching_window" },
        { "FunctionResponseTypes", "function_response_types" }, { "FilterCriteria", "filter_criteria" },
        { "StartingPosition", "starting_position" }, { "StartingPositionTimestamp", "starting_position_timestamp" },
        { "MaximumRetryAttempts", "maximum_retry_attempts" }, { "MaximumRecordAgeInSeconds", "maximum_record_age" },
        { "BisectBatchOnFunctionError", "bisect_batch_on_function_error" },
        { "ParallelizationFactor", "parallelization_factor" }, { "ConsumerGroupId", "group" },
    };
    static const char *const known[] = { "Queue", "Topic", "Stream", "BatchSize", "MaximumBatchingWindowInSeconds",
                                         "FunctionResponseTypes", "FilterCriteria", "StartingPosition",
                                         "StartingPositionTimestamp", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                                         "BisectBatchOnFunctionError", "ParallelizationFactor", "ScalingConfig",
                                         "DestinationConfig", "Enabled", "FilterPolicy", "FilterPolicyScope",
                                         "KafkaBootstrapServers", "Topics", "ConsumerGroupId", "SourceAccessConfigurations",
                                         NULL };
    bool sqs = !strcmp(type, "SQS"), sns = !strcmp(type, "SNS"), kafka = !strcmp(type, "SelfManagedKafka");
    struct fy_node *out, *where = fg_doc_get(props, sqs ? "Queue" : sns ? "Topic" : "Stream");
    const char *arn = NULL, *en = fg_doc_get_text(props, "Enabled");
    char id[64];
    int rc;

    if (en && !strcmp(en, "false"))
        return 0;   /* a disabled mapping delivers nothing */
    if (!kafka && !where)
        return fg_conf_fail(e->s->p, fg_doc_pos(props), "%s event: %s is required", type, sqs ? "Queue" : sns ? "Topic" : "Stream");
    if (where && (rc = fg_cfn_string(&e->s->cfn, where, &arn)) < 0)
        return rc;
    if ((rc = fg_doc_event_new(e->list, sqs ? "queue" : sns ? "topic" : "stream", &out)) < 0)
        return rc;
    if (kafka) {
        struct fy_node *topics = fg_doc_get(props, "Topics");
        if ((rc = fg_doc_kafka_brokers(e->s->p, fg_doc_get(props, "KafkaBootstrapServers"), props, out)) < 0 ||
            (rc = fg_cfn_set(&e->s->cfn, out, "topic", fy_node_is_sequence(topics) ?
                             fy_node_sequence_get_by_index(topics, 0) : topics)) < 0)
            return rc;
    } else if ((rc = fg_doc_source(e->s->p, e->s->section, sqs ? "queues" : sns ? "topics" : "streams", arn,
                                   fg_doc_pos(where), out)) < 0) {
        return rc;
    }
    if (!sns && (rc = fg_cfn_set_keys(&e->s->cfn, props, out, pairs, sizeof(pairs) / sizeof(pairs[0]))) < 0)
        return rc;
    if (sqs && (rc = fg_cfn_set(&e->s->cfn, out, "maximum_concurrency",
                                fg_doc_get(fg_doc_get(props, "ScalingConfig"), "MaximumConcurrency"))) < 0)
        return rc;
    if (!strcmp(type, "Kinesis") && (rc = fg_doc_set(out, "format", fg_doc_str(e->d, "kinesis"))) < 0)
        return rc;
    if (!sqs && !sns && fg_doc_get(fg_doc_get(fg_doc_get(props, "DestinationConfig"), "OnFailure"), "Destination")) {
        const char *t;
        char buf[256];
        if ((rc = fg_cfn_string(&e->s->cfn, fg_doc_get(fg_doc_get(fg_doc_get(props, "DestinationConfig"), "OnFailure"),
                                                       "Destination"), &t)) < 0 ||
            (rc = fg_doc_set(out, "on_failure", fg_doc_str(e->d, "%s", strstr(t, ":lambda:") ? fg_doc_arn_name(t, buf, sizeof(buf)) : "dlq"))) < 0)
            return rc;
    }
    if (sns && fg_doc_get(props, "FilterPolicy")) {
        const char *scope = fg_doc_get_text(props, "FilterPolicyScope");
        if (scope && !strcmp(scope, "MessageBody")) {
            struct fy_node *list = fg_doc_seq_at(out, "filter_criteria"), *c;
            if (!list || (rc = fg_cfn_copy(&e->s->cfn, fg_doc_get(props, "FilterPolicy"), &c)) < 0 || !c ||
                fy_node_sequence_append(list, c) < 0)
                return -ENOMEM;
        } else if ((rc = fg_doc_warn(e->s->p, "SNS.FilterPolicy", fg_doc_key_pos(props, "FilterPolicy"), "SNS "
                                     "FilterPolicy on message attributes: Redis messages have none; only "
                                     "FilterPolicyScope: MessageBody is applied")) < 0) {
            return rc;
        }
    }
    snprintf(id, sizeof(id), "Events.%s", type);
    return fg_doc_unsupported(e->s->p, props, id, known, NULL);
}

int fg_sam_events(struct fg_sam *s, const char *fname, struct fy_node *events, struct fy_node *out)
{
    struct sam_ev e = { .s = s, .d = fy_node_document(out) };
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc = 0;

    if (!events)
        return 0;
    if (!fy_node_is_mapping(events))
        return fg_conf_fail(s->p, fg_doc_pos(events), "function %s: Events: expected a mapping of NAME: {Type, Properties}",
                            fname);
    if (!(e.list = fg_doc_seq_at(out, "events")))
        return -ENOMEM;
    while (rc == 0 && (pair = fy_node_mapping_iterate(events, &it))) {
        struct fy_node *ev = fy_node_pair_value(pair), *props = fg_doc_get(ev, "Properties");
        const char *type = fg_doc_get_text(ev, "Type");
        char id[96];
        if (!type)
            return fg_conf_fail(s->p, fg_doc_pos(fy_node_pair_key(pair)), "function %s: every event has a Type", fname);
        if ((props && !fy_node_is_mapping(props)) || (!props && strcmp(type, "HttpApi")))
            return fg_conf_fail(s->p, props ? fg_doc_pos(props) : fg_doc_pos(fy_node_pair_key(pair)),
                                "function %s: event %s: Properties must be a mapping", fname, type);
        if (!strcmp(type, "Api") || !strcmp(type, "HttpApi"))
            rc = sev_http(&e, props, type[1] == 'p');
        else if (!strcmp(type, "Schedule") || !strcmp(type, "ScheduleV2"))
            rc = sev_schedule(&e, props, type[8] == 'V');
        else if (!strcmp(type, "S3"))
            rc = sev_s3(&e, props);
        else if (!strcmp(type, "SQS") || !strcmp(type, "SNS") || !strcmp(type, "Kinesis") || !strcmp(type, "SelfManagedKafka"))
            rc = sev_source(&e, props, type);
        else {
            snprintf(id, sizeof(id), "Events.Type.%s", type);
            rc = fg_doc_warn(s->p, id, fg_doc_pos(fg_doc_get(ev, "Type")), "event type %s is not supported by fngate "
                             "and is ignored (fngate has Api, HttpApi, Schedule, ScheduleV2, S3, SQS, SNS, Kinesis, "
                             "SelfManagedKafka)", type);
        }
    }
    return rc;
}

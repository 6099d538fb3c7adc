/* SPDX-License-Identifier: MIT */
/* config.h - fngate.yaml as plain data.
 *
 * fg_conf_load() parses, substitutes ${ENV_VAR}, applies defaults and checks every rule it
 * can check without starting anything; the first violation comes back as
 * "file:line:col: message". The structure is read-only afterwards and every string in it
 * lives in the config's arena until fg_conf_free(). Reference of every key: README.md
 * "Configuration". Tests: tests/unit/test_config.c. */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/arena.h"
#include "../core/err.h"
#include "../core/schedule_expr.h"

#define FG_PAYLOAD_SYNC_MAX_BYTES   (6u * 1024 * 1024)
#define FG_PAYLOAD_ASYNC_MAX_BYTES  (1u * 1024 * 1024)
#define FG_ENV_MAX_BYTES            4096

enum fg_runtime {
    FG_RUNTIME_PYTHON3 = 0,
    FG_RUNTIME_NODEJS,
    FG_RUNTIME_PROVIDED,
    FG_RUNTIME_EXEC,
};

enum fg_log_format {
    FG_LOG_FORMAT_TEXT = 0,
    FG_LOG_FORMAT_JSON,
};

/* Where a value came from, for errors raised after parsing (duplicate routes, runtime). */
struct fg_conf_pos {
    int line, col;     /* 1-based; 0 when not from the file */
};

struct fg_conf_env {
    const char *key, *value;
};

/* A token bucket: per_second tokens a second, at most burst saved up. per_second 0 = no
 * limit. */
struct fg_conf_rate {
    double per_second;
    int burst;               /* defaults to max(1, ceil(per_second)) */
};

struct fg_conf_http {
    const char *method;      /* upper case, or "ANY" */
    const char *path;        /* "/hello/{name}", "/files/{proxy+}", or "$default" */
    struct fg_conf_rate rate;
    struct fg_conf_pos pos;
};

enum fg_catch_up {
    FG_CATCH_UP_LAST = 0,    /* fires missed while down: run the latest once */
    FG_CATCH_UP_NONE,        /* skip them */
    FG_CATCH_UP_ALL,         /* run each of them, in order */
};

/* `- schedule: ...`: a cron, rate or at() trigger of a function. */
struct fg_conf_schedule {
    const char *expression;  /* as written */
    struct fg_sched_expr expr;
    const char *timezone;    /* IANA name, checked at load; default "UTC" */
    const char *name;        /* unique per service; default FUNCTION-schedule-N */
    const char *description;
    const char *input;       /* JSON text replacing the Scheduled Event, or NULL */
    bool enabled;
    int catch_up;            /* enum fg_catch_up */
    int max_catch_up_s;      /* missed fires older than this are skipped (default 3600) */
    struct fg_conf_pos pos;
};

/* `filter_criteria: {filters: [{pattern: ...}]}` (or a bare list of patterns): up to 5
 * EventBridge patterns as JSON texts, checked at load (core/filter.h) and compiled by the
 * source that applies them. n 0: everything passes. */
struct fg_conf_filter {
    const char **patterns;
    size_t n;
    struct fg_conf_pos pos;
};

/* `- fs: ...`: a watched folder whose finished files fire S3 events. */
struct fg_conf_fs {
    const char *path;        /* absolute directory */
    const char *bucket;      /* default: the directory's name */
    const char *name;        /* s3.configurationId; keys the folder's index; default FUNCTION-fs-N */
    bool created, removed;   /* events: [created, removed]; default [created] */
    const char *prefix, *suffix;
    bool recursive;          /* default true */
    bool hidden;             /* also dot files and editor/temp files (default false) */
    int poll_ms;             /* 0: inotify; else poll every poll_ms (NFS) */
    struct fg_conf_filter filter;    /* matched against the S3 record */
    struct fg_conf_pos pos;
};

/* `- s3: ...`: objects written through fngate's S3-compatible endpoint fire S3 events. */
struct fg_conf_s3_event {
    const char *bucket;
    const char *name;        /* s3.configurationId; default FUNCTION-s3-N */
    bool created, removed;   /* default [s3:ObjectCreated:*] */
    const char *prefix, *suffix;
    struct fg_conf_filter filter;    /* matched against the S3 record */
    struct fg_conf_pos pos;
};

/* The top-level `s3:` endpoint (MinIO-style): buckets are the directories under root. */
struct fg_conf_s3 {
    bool enabled;
    const char *listen_host;
    int listen_port;
    const char *root;        /* absolute */
    const char *access_key, *secret_key;   /* both NULL: requests are not authenticated */
};

enum fg_jitter {
    FG_JITTER_FULL = 0,      /* uniform in [0, delay] */
    FG_JITTER_EQUAL,         /* uniform in [delay/2, delay] */
    FG_JITTER_NONE,
};

/* How an async event is retried. The top-level `retries:` sets defaults; a function's own
 * block overrides them key by key. */
struct fg_conf_retries {
    int max_attempts;        /* retries after the first attempt, 0..1000 (default 2) */
    int max_age_s;           /* 60..21600 (default 21600) */
    int initial_ms;          /* backoff: first delay (default 1000) */
    int max_ms;              /* backoff: ceiling (default 300000) */
    double multiplier;       /* backoff: growth per retry, 1..10 (default 2) */
    int jitter;              /* enum fg_jitter */
};

enum fg_dest_kind {
    FG_DEST_NONE = 0,
    FG_DEST_DLQ,             /* the built-in dead-letter store */
    FG_DEST_FUNCTION,        /* an async invoke of another function */
    FG_DEST_URL,             /* a CloudEvents POST */
};

struct fg_conf_destination {
    enum fg_dest_kind kind;
    const char *target;      /* function name or URL; NULL for DLQ and NONE */
    struct fg_conf_pos pos;
};

/* `- queue: ...`: a Redis stream consumed through a consumer group, like SQS. */
struct fg_conf_queue {
    const char *redis;           /* redis://[[user]:password@]host[:port][/db] */
    const char *stream;
    const char *group;           /* default "fngate" */
    int batch_size;              /* 1..10000 (default 10) */
    int window_ms;               /* maximum_batching_window, 0..300 s (default 0) */
    int visibility_timeout_s;    /* 0..43200 (default 30); at least the function's timeout */
    int max_receive_count;       /* 0: never redrive; 1..1000 (default 5 with a dead-letter stream) */
    const char *dead_letter_stream;  /* NULL: failed messages stay in the stream */
    bool report_failures;        /* function_response_types: [ReportBatchItemFailures] */
    int max_concurrency;         /* batches in flight (default: the function's concurrency, else 5) */
    struct fg_conf_filter filter;
    struct fg_conf_pos pos;
};

/* `- topic: ...`: Redis pub/sub, delivered like SNS (async, fan-out). */
struct fg_conf_topic {
    const char *redis;
    const char *channel;         /* exactly one of channel and pattern */
    const char *pattern;         /* PSUBSCRIBE glob */
    struct fg_conf_filter filter;    /* matched against the message (parsed when JSON) */
    struct fg_conf_pos pos;
};

enum fg_start_pos {
    FG_START_TRIM_HORIZON = 0,
    FG_START_LATEST,
    FG_START_AT_TIMESTAMP,
};

enum fg_stream_format {
    FG_FORMAT_KAFKA = 0,         /* self-managed Kafka event */
    FG_FORMAT_KINESIS,           /* Kinesis records */
};

/* `- stream: ...`: a Kafka topic consumed like a Kinesis stream or self-managed Kafka. */
struct fg_conf_stream {
    const char *brokers;         /* kafka.brokers: host:port[,host:port] */
    struct fg_conf_env *properties;  /* kafka.properties: librdkafka settings */
    size_t n_properties;
    const char *topic;
    const char *group;           /* default "fngate" */
    int batch_size;              /* 1..10000 (default 100) */
    int window_ms;               /* maximum_batching_window, 0..300 s (default 500 ms) */
    int starting_position;       /* enum fg_start_pos (default TRIM_HORIZON) */
    long long starting_timestamp_ms;  /* with AT_TIMESTAMP */
    int format;                  /* enum fg_stream_format */
    int max_retry_attempts;      /* -1 (forever) or 0..10000 */
    int max_record_age_s;        /* -1 (forever) or 60..604800 */
    bool bisect;                 /* bisect_batch_on_function_error */
    bool report_failures;        /* function_response_types: [ReportBatchItemFailures] */
    struct fg_conf_destination on_failure;  /* default: the dead letters */
    int parallelization_factor;  /* 1..10: batches in flight per partition, by key */
    struct fg_conf_filter filter;
    struct fg_conf_pos pos;
};

struct fg_conf_function {
    const char *name;
    enum fg_runtime runtime;
    const char *handler;     /* module.function, or the command for exec; NULL for provided */
    const char *code;        /* absolute directory */
    const char *description;
    int memory_mb;           /* 128..10240 */
    int timeout_s;           /* 1..900 */
    int concurrency;         /* reserved concurrency; 0 = only the gateway's cap applies */
    int min_warm;            /* workers started ahead of traffic */
    int idle_timeout_s;      /* idle workers above min_warm are stopped after this */
    struct fg_conf_env *env;
    size_t n_env;
    struct fg_conf_http *http;
    size_t n_http;
    struct fg_conf_schedule *schedules;
    size_t n_schedules;
    struct fg_conf_fs *fs;
    size_t n_fs;
    struct fg_conf_s3_event *s3;
    size_t n_s3;
    struct fg_conf_queue *queues;
    size_t n_queues;
    struct fg_conf_topic *topics;
    size_t n_topics;
    struct fg_conf_stream *streams;
    size_t n_streams;
    struct fg_conf_retries retries;       /* resolved against the top-level defaults */
    struct fg_conf_destination on_success; /* NONE unless set */
    struct fg_conf_destination on_failure; /* DLQ unless set: a failed event is never dropped */
    struct fg_conf_rate rate;
    struct fg_conf_pos pos;
};

enum fg_durability {
    FG_DURABILITY_FULL = 0,  /* committed and fsynced before 202 */
    FG_DURABILITY_MEMORY,    /* kept in memory only: lost on exit (benchmarks, throwaway runs) */
};

struct fg_config {
    struct fg_arena arena;   /* owns everything below */
    const char *path;        /* the file as given */
    const char *dir;         /* absolute directory of the file; relative paths start here */
    const char *service;
    const char *listen_host; /* "127.0.0.1" */
    int listen_port;
    int max_concurrency;     /* gateway-wide cap on running invocations */
    int http_threads;        /* libmicrohttpd thread pool size */
    int queue_memory_mb;     /* async payloads held in memory; the rest wait in the state file */
    const char *state_dir;   /* absolute */
    const char *region;      /* AWS_REGION given to functions, used in ARNs */
    const char *account_id;  /* 12 digits, used in ARNs */
    enum fg_log_format log_format;
    enum fg_durability durability;
    struct fg_conf_retries retries;  /* defaults for every function */
    struct fg_conf_s3 s3;            /* the S3-compatible endpoint (s3.enabled) */
    struct fg_conf_function *functions;
    size_t n_functions;
};

/* Parses path into conf (caller-embedded, zeroed by the call). On error conf holds nothing
 * to free and err->msg is "path:line:col: message". 0 or -FG_ECONFIG / -errno. */
int fg_conf_load(struct fg_config *conf, const char *path, struct fg_err *err) FG_MUST_CHECK;

/* Same, from a string; name is used in messages. dir is where relative paths start. */
int fg_conf_load_string(struct fg_config *conf, const char *name, const char *dir,
                        const char *yaml, struct fg_err *err) FG_MUST_CHECK;

void fg_conf_free(struct fg_config *conf);

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" (host 127.0.0.1) for a listener: *host is
 * copied into conf's arena, *port is 0..65535 (0: any free port). 0, or -1 when s is not
 * that (no colon, a port that is not a number or out of range). */
int fg_conf_hostport(struct fg_config *conf, const char *s, const char **host, int *port) FG_MUST_CHECK;

/* Borrowed lookups; NULL when absent. */
const struct fg_conf_function *fg_conf_function(const struct fg_config *conf, const char *name);

/* "python3", ... Static string. */
const char *fg_conf_runtime_name(enum fg_runtime rt);

#endif

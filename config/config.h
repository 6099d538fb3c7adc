/* SPDX-License-Identifier: MIT */
/* config.h - fngate.yaml as plain data.
 *
 * fg_conf_load() parses, substitutes ${ENV_VAR}, applies defaults and checks every rule it
 * can check without starting anything; the first violation comes back as
 * "file:line:col: message". The structure is read-only afterwards and every string in it
 * lives in the config's arena until fg_conf_free(). A function's events belong to trigger
 * adapters: the loader is given their types (struct fg_conf_event_type) as data and keeps
 * each event as {type, the adapter's parsed struct, filter, position}; the adapters' own
 * headers describe those structs. Reference of every key: README.md "Configuration".
 * Tests: tests/unit/test_config.c. */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/arena.h"
#include "../core/err.h"
#include "../core/iam_policy.h"
#include "conf_cors.h"
#include "conf_key.h"

#define FG_PAYLOAD_SYNC_MAX_BYTES   (6u * 1024 * 1024)
#define FG_PAYLOAD_ASYNC_MAX_BYTES  (1u * 1024 * 1024)
#define FG_ENV_MAX_BYTES            4096
#define FG_CONNS_PER_CLIENT_DEFAULT 256   /* gateway. and s3.max_connections_per_client */

enum fg_runtime {
    FG_RUNTIME_PYTHON3 = 0,
    FG_RUNTIME_NODEJS,
    FG_RUNTIME_PROVIDED,
    FG_RUNTIME_EXEC,
    /* Lambda's runtime identifiers only (conf_runtime.c): */
    FG_RUNTIME_RUBY,         /* ruby3.3: the bundled runtimes/ruby bootstrap on the machine's ruby */
    FG_RUNTIME_JAVA,         /* java21: the handler's own runtime interface client on the machine's java */
    FG_RUNTIME_GO,           /* go1.x: the handler is an executable in code (a Runtime API client) */
};

enum fg_log_format {
    FG_LOG_FORMAT_TEXT = 0,
    FG_LOG_FORMAT_JSON,
};

struct fg_conf_function;
struct fg_config;

/* A token bucket: per_second tokens a second, at most burst saved up. per_second 0 = no
 * limit. */
struct fg_conf_rate {
    double per_second;
    int burst;               /* defaults to max(1, ceil(per_second)) */
};

/* The rate table (per_second, burst) and its check, for any key that limits a rate. */
extern const struct fg_conf_key fg_conf_rate_keys[];
int fg_conf_rate_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field);

/* One SigV4 key pair a client may sign with (s3.credentials, invoke_api.credentials). */
struct fg_conf_credential {
    const char *access_key;         /* no '/', ',', '=' or spaces: it travels in Credential=AK/... */
    const char *secret_key;         /* from secret_key, or read from secret_key_file at load */
    const char *secret_key_file;    /* absolute, or NULL when the secret is written inline */
    struct fg_conf_pos pos;
};

/* `credentials:` as one {access_key, secret_key} mapping or a list of them; access keys are
 * unique. n 0: none given. */
struct fg_conf_credentials {
    struct fg_conf_credential *items;
    size_t n;
};

/* The credential whose access key is access_key (compared exactly), or NULL. Borrowed. */
const struct fg_conf_credential *fg_conf_credential_find(const struct fg_conf_credentials *c, const char *access_key);

/* The top-level `s3:` endpoint (MinIO-style): buckets are the directories under root. */
struct fg_conf_s3 {
    bool enabled;
    struct fg_conf_addr listen;
    struct fg_conf_tls tls;  /* s3.tls; cert NULL: plain HTTP */
    const char *root;        /* absolute */
    struct fg_conf_credentials credentials;   /* n 0: requests are not authenticated */
    int max_conns_per_client;  /* open connections from one client address; 0: no cap */
};

enum fg_invoke_auth_mode {
    FG_INVOKE_AUTH_SIGV4 = 0,   /* every call carries a SigV4 signature by one of the credentials */
    FG_INVOKE_AUTH_NONE,        /* calls are not authenticated */
};

/* The top-level `invoke_api:`: the Lambda Invoke API on the front door. */
struct fg_conf_invoke_api {
    bool enabled;                    /* default true; false: its paths are unknown routes */
    int auth;                        /* enum fg_invoke_auth_mode: sigv4 when credentials are given, else none */
    bool auth_explicit;              /* `auth:` was written (none is then allowed off loopback) */
    struct fg_conf_credentials credentials;
};

/* The top-level `admin:` listener (gateway/admin_http.c): the admin API, never on the
 * front door. */
struct fg_conf_admin {
    struct fg_conf_addr listen;  /* default 127.0.0.1:9180 */
    const char *unix_path;       /* `listen: unix:/path` (absolute), else NULL and listen applies */
    const char *token;           /* the bearer token as written (e.g. ${FNGATE_ADMIN_TOKEN}), or NULL */
    const char *token_file;      /* absolute: where the token is read (and made on first start
                                  * when it is the default, state_dir/admin.token) */
    bool token_file_default;     /* token_file was not written */
    struct fg_conf_tls tls;      /* admin.tls (TCP only); cert NULL: plain HTTP */
};
/* The fewest characters an admin token may have. */
#define FG_ADMIN_TOKEN_MIN 16

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

struct fg_conf_event;

/* A kind of event under a function's `events:`, as a trigger adapter describes it
 * (triggers/trigger.h holds it in the adapter's ops). The loader is given the list of
 * types as data (fg_conf_load): it knows no adapter. */
struct fg_conf_event_type {
    const char *kind;                   /* the key under events: ("schedule") */
    const char *alias;                  /* another spelling ("httpApi"), or NULL */
    const char *where;                  /* the mapping in messages ("schedule", "http event") */
    size_t size;                        /* of the adapter's config struct (ev->conf) */
    const struct fg_conf_key *keys;     /* its keys, ended by FG_CONF_KEY_END */
    const char *short_key;              /* a scalar value is this key's value; NULL: a mapping */
    bool filterable;                    /* takes filter_criteria (into ev->filter) */
    bool poll;                          /* a poll source (the source keeps records until the
                                         * function succeeds): its batches have an iterator age */
    /* Fills the defaults into a zeroed conf before the keys. May be NULL. */
    void (*defaults)(void *conf);
    /* After the event's keys: required keys, rules across them, defaults that need the
     * function's name. val is the event's value (for positions). May be NULL. */
    int (*check)(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val);
    /* Once the whole file is read: rules across events and functions (duplicate names,
     * a function's timeout). May be NULL. */
    int (*check_all)(struct fg_conf_parser *p, struct fg_config *conf);
};

/* One entry of a function's `events:`. */
struct fg_conf_event {
    const struct fg_conf_event_type *type;
    void *conf;                         /* the adapter's struct, type->size bytes */
    struct fg_conf_filter filter;       /* filterable types; n 0: everything passes */
    const struct fg_conf_function *fn;  /* the function it triggers */
    size_t index;                       /* 1-based among fn's events of this type */
    struct fg_conf_pos pos;             /* of the event's key */
};

/* A function's execution role (`role: {statements: [...]}`, conf_role.c): the policy its
 * temporary credentials are evaluated against (core/iam_policy.h). Not given: the basic
 * role, an empty policy that denies every S3 and Lambda action. */
struct fg_conf_role {
    struct fg_iam_policy policy;        /* statements in the config's arena */
    bool given;
    struct fg_conf_pos pos;             /* of the `role` key */
};

/* The `role` key's parser (a FG_CONF_CUSTOM filling struct fg_conf_role). */
int fg_conf_parse_role(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* Who may call a function URL (`url.auth_type`). */
enum fg_url_auth {
    FG_URL_AUTH_NONE = 0,       /* anyone who reaches the front door */
    FG_URL_AUTH_AWS_IAM,        /* SigV4 (service lambda) by an invoke_api key or a role's credentials */
};

/* How a function URL answers (`url.invoke_mode`). */
enum fg_url_invoke_mode {
    FG_URL_BUFFERED = 0,        /* the whole response at once */
    FG_URL_RESPONSE_STREAM,     /* passed on as the function streams it (gateway/http_stream.h) */
};

/* A function's `url:` (conf_url.c): its own URL on the front door (gateway/function_url.h).
 * `url: true` is {auth_type: NONE, invoke_mode: BUFFERED}, as the Serverless Framework
 * reads it. */
struct fg_conf_url {
    bool enabled;
    int auth_type;                      /* enum fg_url_auth */
    int invoke_mode;                    /* enum fg_url_invoke_mode */
    struct fg_conf_cors cors;           /* `cors:`; mode UNSET/OFF: none (gateway.cors does not apply) */
    struct fg_conf_pos pos;             /* of the `url` key */
};

/* The `runtime` key's parser (a FG_CONF_CUSTOM filling the function itself: runtime,
 * runtime_written, runtime_version), conf_runtime.c. */
int fg_conf_parse_runtime(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                          struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* The `url` key's parser (a FG_CONF_CUSTOM filling struct fg_conf_url). */
int fg_conf_parse_url(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                      struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* How a function's pool grows when every worker is busy (README "Warm pools"). */
enum fg_scaling {
    FG_SCALING_ADAPTIVE = 0, /* wait for a warm worker unless a start is worth its cost */
    FG_SCALING_PER_REQUEST,  /* Lambda's rule: one worker per concurrent invocation */
};

/* `network:` (README "Isolation"): fngate's stand-in for Lambda's VPC placement. */
enum fg_network {
    FG_NETWORK_HOST = 0,     /* the machine's network, as fngate has it */
    FG_NETWORK_NONE,         /* a private network namespace with only loopback: nothing but
                              * its own Runtime API is reachable */
};

/* The top-level `isolation:`: how workers are confined when fngate runs as root. */
struct fg_conf_isolation {
    bool enabled;            /* default true; false: workers run as fngate's own user */
    int uid_min, uid_max;    /* per-worker uids and gids come from here (systemd's
                              * DynamicUser range 61184..65519 by default) */
};

/* Where a function's keys are written (the key's file position; {0, 0}: not written, the
 * default applies), for the console (gateway/admin_functions.c). The keys' table fills it. */
struct fg_conf_fn_pos {
    struct fg_conf_pos runtime, handler, code, memory, timeout, ephemeral_storage, network, concurrency, rate,
        retries, on_success, on_failure, snapstart;
};

struct fg_conf_function {
    const char *name;
    enum fg_runtime runtime;
    const char *runtime_written;   /* as the file writes it ("python3.12"); NULL when not written */
    const char *runtime_version;   /* the version a Lambda identifier asks for ("3.12", "20", "21"), or NULL */
    const char *handler;     /* module.function, or the command for exec; NULL for provided */
    const char *code;        /* absolute directory */
    const char *description;
    int memory_mb;           /* 128..10240 */
    int timeout_s;           /* 1..900 */
    int concurrency;         /* reserved concurrency; 0 = only the gateway's cap applies */
    int min_warm;            /* workers started ahead of traffic */
    int idle_timeout_s;      /* idle workers above min_warm are stopped after this */
    int max_workers;         /* processes at most; 0 = as many as admission finds useful */
    enum fg_scaling scaling; /* when a busy function starts another worker (router/pool.c) */
    bool snapstart;          /* python3: new workers fork from an initialized template
                              * (router/snapshot.c); nodejs: stored only */
    int ephemeral_mb;        /* `ephemeral_storage`: /tmp's size, 512..10240 */
    enum fg_network network;
    struct fg_conf_pairs env;            /* environment: NAME: value */
    struct fg_conf_role role;            /* its execution role */
    struct fg_conf_url url;              /* its function URL (url.enabled) */
    struct fg_conf_event *events;        /* in file order */
    size_t n_events;
    struct fg_conf_retries retries;       /* resolved against the top-level defaults */
    struct fg_conf_destination on_success; /* NONE unless set */
    struct fg_conf_destination on_failure; /* DLQ unless set: a failed event is never dropped */
    struct fg_conf_rate rate;
    struct fg_conf_pos pos;
    struct fg_conf_fn_pos key_pos;       /* of each key above that has one (url, role: their own) */
    /* What a reload compares (gateway/reload.c), hashes of the function's YAML as written:
     * src_hash of all of it; worker_hash of what its workers are made from (everything but
     * events, concurrency, min_warm, max_workers, scaling, idle_timeout, description,
     * retries, destinations and rate, which apply to running workers). */
    unsigned long long src_hash, worker_hash;
};

enum fg_durability {
    FG_DURABILITY_FULL = 0,  /* committed and fsynced before 202 */
    FG_DURABILITY_MEMORY,    /* kept in memory only: lost on exit (benchmarks, throwaway runs) */
};

#include "../core/pricing.h"
#include "conf_state.h"

enum fg_authorizer_type {
    FG_AUTHORIZER_JWT = 0,   /* API Gateway HTTP API JWT authorizer */
    FG_AUTHORIZER_REQUEST,   /* Lambda authorizer, REQUEST type, payload 2.0 */
};

/* Where an identity source is read: "$request.header.NAME" or "$request.querystring.NAME". */
enum fg_identity_where {
    FG_IDENTITY_HEADER = 0,
    FG_IDENTITY_QUERY,
};

struct fg_conf_identity {
    enum fg_identity_where where;
    const char *name;        /* header (any case) or query parameter name */
};

/* One of `gateway.authorizers` (conf_authorizer.c; README "Authorizers"). */
struct fg_conf_authorizer {
    const char *name;
    int type;                         /* enum fg_authorizer_type */
    struct fg_conf_strings identity_source;   /* as written */
    struct fg_conf_identity *identity;        /* parsed, identity_source.n of them */
    /* jwt */
    const char *issuer;
    struct fg_conf_strings audience;
    const char *jwks;                 /* an http(s):// URL, or an absolute file path */
    bool jwks_is_url;
    /* request */
    const char *function;
    int ttl_s;                        /* result cache, 0..3600 (default 300); 0: none */
    bool simple_responses;            /* `enable_simple_responses` (default false, as AWS) */
    struct fg_conf_pos pos, function_pos;
};

/* gateway.authorizers' parser (a FG_CONF_CUSTOM filling conf->authorizers), and the rules
 * that need the whole file (a request authorizer's function exists), run by the loader. */
int fg_conf_parse_authorizers(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;
int fg_conf_check_authorizers(struct fg_conf_parser *p) FG_MUST_CHECK;

/* The top-level `logs:`: what router/logstore.h keeps under state_dir. */
struct fg_conf_logs {
    bool store;              /* function log lines kept in state_dir/logs/FUNCTION (default true) */
    bool usage;              /* REPORT figures kept in state_dir/usage for `fngate cost` (default true) */
    int retention_s;         /* lines older than this are deleted (default 30 days) */
    long long max_bytes;     /* per function: past it the oldest lines go first (default 100 MB) */
};

/* What a configuration file was written as (fg_config.dialect). */
enum fg_conf_dialect {
    FG_CONF_FNGATE = 0,      /* fngate.yaml */
    FG_CONF_SERVERLESS,      /* a Serverless Framework v3/v4 serverless.yml (conf_sls.c) */
    FG_CONF_SAM,             /* an AWS SAM template.yaml (conf_sam.c) */
};
#define FG_CONF_WARNINGS_MAX 100

struct fg_config {
    struct fg_arena arena;   /* owns everything below */
    const char *path;        /* the file as given */
    const char *dir;         /* absolute directory of the file; relative paths start here */
    const char *service;
    struct fg_conf_addr listen;  /* gateway.listen, default 127.0.0.1:8080 */
    struct fg_conf_tls tls;      /* gateway.tls; cert NULL: plain HTTP */
    struct fg_conf_pos listen_pos;  /* of gateway.listen's value; {0, 0} when not written */
    int max_concurrency;     /* gateway-wide cap on running invocations */
    int http_threads;        /* libmicrohttpd thread pool size */
    bool debug_errors;       /* routes answer a function's error JSON, not API Gateway's body */
    int header_timeout_ms;   /* a request head not complete by then is closed (both listeners) */
    int max_conns_per_client;  /* front door: open connections from one client address; 0: no cap */
    int queue_memory_mb;     /* async payloads held in memory; the rest wait in the state file */
    struct fg_conf_cors cors;    /* gateway.cors: every route's unless it says its own */
    const char *state_dir;   /* absolute */
    struct fg_conf_state state;  /* `state:`: the sqlite file in state_dir, or a shared Redis */
    const char *region;      /* AWS_REGION given to functions, used in ARNs */
    const char *account_id;  /* 12 digits, used in ARNs */
    enum fg_log_format log_format;
    enum fg_durability durability;
    struct fg_conf_retries retries;  /* defaults for every function */
    struct fg_conf_s3 s3;            /* the S3-compatible endpoint (s3.enabled) */
    struct fg_conf_admin admin;      /* the admin listener */
    struct fg_conf_invoke_api invoke_api;
    struct fg_conf_isolation isolation;
    struct fg_pricing pricing;       /* `pricing:`, what `fngate cost` charges (AWS's by default) */
    struct fg_conf_logs logs;        /* `logs:`, the function log store and the recorded usage */
    int stop_timeout_ms;             /* after SIGTERM, how long sources may take to let go */
    struct fg_conf_authorizer *authorizers;  /* gateway.authorizers, in file order */
    size_t n_authorizers;
    struct fg_conf_function *functions;
    size_t n_functions;
    const char **warnings;           /* "file:line:col: warning: ..." for keys of a serverless.yml or
                                      * SAM template that fngate does not support, each key once */
    size_t n_warnings;               /* at most FG_CONF_WARNINGS_MAX */
    int dialect;                     /* enum fg_conf_dialect: what the file was written as */
    unsigned long long top_hash;     /* of every top-level key but functions, as written */
    struct fg_conf_key_hash *top_keys;   /* each top-level key's hash, in file order */
    size_t n_top_keys;
};

/* A top-level key and the hash of its value as written (a reload compares them). */
struct fg_conf_key_hash {
    const char *key;
    unsigned long long hash;
};

/* The hash of top-level key's value as written in conf, 0 when the key is not written. */
unsigned long long fg_conf_top_key_hash(const struct fg_config *conf, const char *key);

/* Parses path into conf (caller-embedded, zeroed by the call). On error conf holds nothing
 * to free and err->msg is "path:line:col: message". 0 or -FG_ECONFIG / -errno. */
int fg_conf_load(struct fg_config *conf, const char *path, const struct fg_conf_event_type *const *types,
                 struct fg_err *err) FG_MUST_CHECK;

/* Same, from a string; name is used in messages. dir is where relative paths start. */
int fg_conf_load_string(struct fg_config *conf, const char *name, const char *dir, const char *yaml,
                        const struct fg_conf_event_type *const *types, struct fg_err *err) FG_MUST_CHECK;

void fg_conf_free(struct fg_config *conf);

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" (host 127.0.0.1) for a listener: *host is
 * copied into conf's arena, *port is 0..65535 (0: any free port). 0, or -1 when s is not
 * that (no colon, a port that is not a number or out of range, a host that is not an IPv4
 * or IPv6 address or localhost: listeners bind addresses). */
int fg_conf_hostport(struct fg_config *conf, const char *s, const char **host, int *port) FG_MUST_CHECK;

/* 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or localhost. */
bool fg_conf_host_is_loopback(const char *host);

/* The Invoke API takes no unauthenticated calls off loopback unless the file asks for it:
 * refused when the API is enabled without credentials, `invoke_api.auth: none` is not
 * written, and conf->listen (the effective front door: gateway.listen, or --listen once
 * the caller applied it) is not loopback. listen_arg is the --listen text the caller
 * applied, NULL when the address is the file's (the message then starts with gateway.listen's
 * "file:line:col"). Not part of fg_conf_load, which cannot know --listen. 0, or -FG_ECONFIG
 * with err naming the address and the keys that allow it. */
int fg_conf_check_exposure(const struct fg_config *conf, const char *listen_arg, struct fg_err *err) FG_MUST_CHECK;

/* Borrowed lookups; NULL when absent. */
const struct fg_conf_function *fg_conf_function(const struct fg_config *conf, const char *name);
const struct fg_conf_authorizer *fg_conf_authorizer(const struct fg_config *conf, const char *name);

/* Function name's ARN under conf's region and account ("arn:aws:lambda:REGION:ACCOUNT:
 * function:NAME") into out (truncated to size). */
void fg_conf_function_arn(const struct fg_config *conf, const char *name, char *out, size_t size);

/* The i-th (0-based) event of fn of the given kind ("http"); borrowed, NULL when absent. */
const struct fg_conf_event *fg_conf_event_of(const struct fg_conf_function *fn, const char *kind, size_t i);

/* How many events of this type the whole configuration has. */
size_t fg_conf_count_events(const struct fg_config *conf, const struct fg_conf_event_type *type);

/* fngate's name of a runtime kind ("python3", "java"). Static string. */
const char *fg_conf_runtime_name(enum fg_runtime rt);

#endif

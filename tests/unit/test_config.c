/* SPDX-License-Identifier: MIT */
/* test_config.c - config/config.h: every rule with the file:line:col it reports. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "triggers/http_route.h"
#include "triggers/kafka_stream.h"
#include "triggers/redis_queue.h"
#include "triggers/redis_topic.h"
#include "triggers/registry.h"
#include "triggers/schedule.h"
#include "unit.h"

/* How many events of kind fn has, and the adapter config of the i-th. */
static size_t conf_count(const struct fg_conf_function *fn, const char *kind)
{
    size_t n = 0;
    while (fg_conf_event_of(fn, kind, n))
        n++;
    return n;
}

static const void *conf_ev(const struct fg_conf_function *fn, const char *kind, size_t i)
{
    const struct fg_conf_event *ev = fg_conf_event_of(fn, kind, i);
    ck_assert_ptr_nonnull(ev);
    return ev->conf;
}

#define HTTP(fn, i) ((const struct fg_conf_http *)conf_ev(fn, "http", i))
#define SCHED(fn, i) ((const struct fg_conf_schedule *)conf_ev(fn, "schedule", i))
#define QUEUE(fn, i) ((const struct fg_conf_queue *)conf_ev(fn, "queue", i))
#define TOPIC(fn, i) ((const struct fg_conf_topic *)conf_ev(fn, "topic", i))
#define STREAM(fn, i) ((const struct fg_conf_stream *)conf_ev(fn, "stream", i))

struct conf_case {
    const char *yaml;
    const char *error;     /* NULL: loads; else a substring of the message, with position */
};

#define HEAD "functions:\n  F:\n    runtime: python3\n    handler: app.h\n    code: .\n"

static const struct conf_case conf_cases[] = {
    { HEAD, NULL },
    { "service: x\nfunctons: {}\n", "t.yaml:2:1: unknown key 'functons' in the top level (did you mean 'functions'?)" },
    { HEAD "    memroy: 256\n", "t.yaml:6:5: unknown key 'memroy' in function F (did you mean 'memory'?)" },
    { HEAD "    memory: 64\n", "t.yaml:6:13: memory: 64 is out of range (128..10240)" },
    { HEAD "    memory: lots\n", "t.yaml:6:13: memory: expected an integer, got 'lots'" },
    { HEAD "    timeout: 901\n", "t.yaml:6:14: timeout: 901 is out of range (1..900 seconds)" },
    { HEAD "    timeout: 2m\n", NULL },
    { HEAD "    ephemeral_storage: 256\n", "t.yaml:6:24: ephemeral_storage: 256 is out of range (512..10240)" },
    { HEAD "    ephemeral_storage: 10240\n    network: none\n", NULL },
    { HEAD "    network: vpc\n", "t.yaml:6:14: network: unknown value 'vpc'" },
    { HEAD "    network: none\n    snapstart: true\n", "t.yaml:2:3: function F: snapstart and network: none cannot be combined" },
    { HEAD "isolation: {uid_min: 70000, uid_max: 60000}\n", "isolation: uid_min (70000) is above uid_max (60000)" },
    { HEAD "pricing: {gb_second: -1}\n", "gb_second: -1 is out of range" },
    { HEAD "pricing: {requests_per_million: 0.25, gb_second: 0.0000133334}\n", NULL },
    { HEAD "isolation: {uid_min: 0}\n", "t.yaml:6:22: uid_min: 0 is out of range" },
    { HEAD "    memory: [1]\n", "t.yaml:6:5: memory: expected a scalar, got a list" },
    { "functions:\n  F:\n    runtime: python4\n    handler: a.b\n    code: .\n",
      "t.yaml:3:14: runtime: unknown value 'python4' (did you mean 'python3'?)" },
#define RT(name, handler) "functions:\n  F:\n    runtime: " name "\n    handler: " handler "\n    code: .\n"
    { RT("python3.12", "app.h"), NULL },
    { RT("python3.9", "app.h"), NULL },
    { RT("nodejs20.x", "index.handler"), NULL },
    { RT("nodejs18.x", "index.handler"), NULL },
    { RT("java21", "example.Hello::handleRequest"), NULL },
    { RT("java8.al2", "example.Hello"), NULL },
    { RT("ruby3.3", "function.handler"), NULL },
    { RT("ruby3.3", "function"), "t.yaml:2:3: function F: handler 'function' must be FILE.FUNCTION" },
    { RT("nodejs20", "index.handler"), "t.yaml:3:14: runtime: unknown value 'nodejs20' (did you mean 'nodejs'?)" },
    { RT("python2.7", "app.h"), "t.yaml:3:14: runtime: unknown value 'python2.7'" },
    { RT("ruby3", "f.h"), "t.yaml:3:14: runtime: unknown value 'ruby3'" },
    { RT("dotnet8", "A::B::C"), "t.yaml:3:14: runtime dotnet8: .NET is not available on Debian 12" },
    { RT("go1.x", "no-such-binary"), "runtime go1.x needs an executable" },
    { RT("go1.x", "../../bin/sh"), "runtime go1.x needs an executable" },
    { RT("provided.al2023", "x"), "runtime provided.al2023 needs an executable" },
    { "functions:\n  F:\n    runtime: python3\n    code: .\n", "t.yaml:2:3: function F: 'handler' is required for runtime python3" },
    { "functions:\n  F:\n    runtime: python3\n    handler: a.b\n", "t.yaml:2:3: function F: 'code' (the directory holding the handler) is required" },
    { "functions:\n  F:\n    runtime: python3\n    handler: a.b\n    code: /nonexistent/dir\n", "does not exist" },
    { "functions:\n  F:\n    runtime: python3\n    handler: nodot\n    code: .\n", "handler 'nodot' must be FILE.FUNCTION" },
    { HEAD "    environment: {AWS_REGION: x}\n", "t.yaml:6:19: environment: AWS_REGION is reserved" },
    { HEAD "    environment: {1BAD: x}\n", "t.yaml:6:19: environment: '1BAD' is not a valid name" },
    { HEAD "    environment: {GOOD: \"${FG_TEST_UNSET_VAR}\"}\n", "t.yaml:6:26: environment variable FG_TEST_UNSET_VAR is not set" },
    { HEAD "    environment: {GOOD: \"${FG_TEST_UNSET_VAR:-fallback}\"}\n", NULL },
    { HEAD "    events:\n      - http: GET /a/{x}\n      - http: {method: get, path: \"/a/{y}\"}\n",
      "t.yaml:8:36: duplicate route GET /a/{y} (already defined at t.yaml:7:15 for function F)" },
    { HEAD "    events:\n      - http: GET /a/{x}\n      - http: POST /a/{y}\n", NULL },
    { HEAD "    events:\n      - http: FETCH /a\n", "t.yaml:7:15: http: unknown method 'FETCH'" },
    { HEAD "    events:\n      - http: GET /a/{p+}/b\n", "t.yaml:7:15: path '/a/{p+}/b': a greedy {p+} must be the last segment" },
    { HEAD "    events:\n      - htp: GET /a\n", "t.yaml:7:9: events: unknown event type 'htp' (did you mean 'http'?)" },
    { HEAD "    events:\n      - http: {method: GET, path: /a/{x}}\n", "must be quoted, e.g. path: \"/hello/{name}\"" },
    { "gateway: {listen: nonsense}\n", "t.yaml:1:19: listen: expected HOST:PORT" },
    { "gateway: {listen: \"example.com:80\"}\n", "t.yaml:1:20: listen: expected HOST:PORT with an IP address" },
    { "s3: {listen: \"[::1]:9000\"}\n", NULL },
    { "gateway: {listen: \"localhost:0\"}\n", NULL },
    { "functions: [1, 2]\n", "t.yaml:1:1: functions: expected a mapping of NAME: {...}, got a list" },
    { "functions:\n  \"bad name\":\n    runtime: python3\n", "function name 'bad name'" },
    { "a: [\n", "t.yaml:" },
    /* What libfyaml finds at the end of the text is placed at its end, not on a line after it. */
    { "functions: {F: {code: ., ha", "t.yaml:1:28: " },
    { "a: 1\nfunctions: [", "t.yaml:2:13: flow sequence without a closing bracket" },
    /* A lone CR ends a line in YAML, for libfyaml's positions and for ours alike. */
    { "a: 1\rfunctions: [", "t.yaml:2:13: flow sequence without a closing bracket" },
    { "a: 1\r\nfunctions: [", "t.yaml:2:13: flow sequence without a closing bracket" },
    { "a: 1\rb: \xff\r", "t.yaml:2:4: invalid UTF-8 (byte 0xff)" },
    /* YAML syntax errors point at the line and column libfyaml names (1-based already). */
    { "service: x\nservice: y\nfunctions: {}\n", "t.yaml:2:1: duplicate key" },
    { "a: b\n c: d\n", "t.yaml:1:4: invalid multiline plain key" },
    { "service: x\nfunctions:\n  F:\n    runtime: python3\n    handler: a: b: c\n", "t.yaml:5:" },
    /* Anchors and aliases are resolved; an alias bomb is refused where it starts. */
    { HEAD "    environment: &e {AB: x}\n  G:\n    runtime: python3\n    handler: app.h\n    code: .\n"
           "    environment: *e\n", NULL },
    { HEAD "    events:\n      - schedule: {rate: rate(1 minute), input: {l0: &a [x, x, x, x, x, x, x, x, x, x], l1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], l2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], l3: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c], l4: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d], l5: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]}}\n", "t.yaml:7:273: *d: aliases here expand to more values than the file may hold" },
    { "x: &a [1, *a]\n", "t.yaml:1:12: *a: a recursive alias" },
    { "x: *nope\n", "t.yaml:1:5: *nope: an alias to no anchor" },
    { HEAD "    \"memory\\0x\": 512\n", "t.yaml:6:6: function F: a key contains a NUL byte" },
    { HEAD "    <<: {memory: 256}\n", "t.yaml:6:5: a merge key (<<) takes an alias or a list of aliases" },
    /* libfyaml's JSON emitter refuses the tag; its report into the collecting diag leaked. */
    { HEAD "    events:\n      - topic:\n          redis: \"redis://h\"\n          channel: c\n"
           "          filter_criteria: {filters: [{pattern: {!evel: [high]}}]}\n", "pattern 1 is not JSON" },
    /* Single-quoted scalars with '': up to 4 are read; more are refused before libfyaml reads
     * them (it leaked the buffer it unescapes them into; LeakSanitizer checks these loads). */
    { HEAD "    description: 'it''s ''a'' b'''\n    environment: {'A''B': x}\n    memory: 1\n", "memory" },
    { HEAD "    description: 'x''''''''''y'\n", "t.yaml:6:19: more than 4 '' in one single-quoted value" },
    { HEAD "    'a''b''c''d''e''f': 1\n", "t.yaml:6:6: more than 4 ''" },
    { HEAD "    events:\n      - schedule: {expression: \"rate(1 minute)\", input: {a: 'x''''''''''''y'}}\n",
      "t.yaml:7:62: more than 4 ''" },
    { HEAD "    environment: {AB: \"x\\0y\"}\n", "t.yaml:6:24: AB: the value contains a NUL byte" },
    { HEAD "    environment: {AB: \xff}\n", "t.yaml:6:23: invalid UTF-8 (byte 0xff)" },
    { HEAD "    events:\n      - http: GET\n", "t.yaml:7:15: http: 'GET' is a method without a path; write 'GET /path'" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, dead_letter_stream: d, max_receive_count: 0}\n", NULL },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, maximum_record_age: 30s}\n", "maximum_record_age is -1 (forever) or 60..604800" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, maximum_record_age: 1h}\n", NULL },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, maximum_record_age: -1}\n", NULL },
    { HEAD "    concurrency: 2\n    min_warm: 3\n", "min_warm (3) is above concurrency (2)" },
    { HEAD "    retries: {maximum_event_age: 30}\n", "t.yaml:6:34: maximum_event_age: 30 is out of range (60..21600 seconds)" },
    { HEAD "    retries: {maximum_retry_attempts: -1}\n", "maximum_retry_attempts: -1 is out of range (0..1000)" },
    { HEAD "    retries: {backoff: {initial: 1x}}\n", "t.yaml:6:34: initial: expected a duration like 250ms, 2s, 5m or 1h, got '1x'" },
    { HEAD "    retries: {backoff: {jitter: half}}\n", "jitter: unknown value 'half'" },
    { HEAD "    retries: {backoff: {multiplier: 0.5}}\n", "multiplier: 0.5 is out of range (1..10)" },
    { HEAD "    retries: {backoff: {initial: 10m, max: 1m}}\n", "backoff initial (600000 ms) is above max (60000 ms)" },
    { HEAD "    retries: {maximum_retry_attempt: 1}\n", "unknown key 'maximum_retry_attempt' in retries (did you mean 'maximum_retry_attempts'?)" },
    { "retries: {backoff: {max: 1s, initial: 2s}}\n" HEAD, "retries: backoff initial (2000 ms) is above max (1000 ms)" },
    { HEAD "    destinations: {on_failure: Nope}\n", "t.yaml:6:32: function F: on_failure: no function named 'Nope'" },
    { HEAD "    destinations: {on_success: F}\n", "on_success cannot be the function itself" },
    { HEAD "    destinations: {on_success: dlq}\n", "on_success cannot be dlq" },
    { HEAD "    destinations: {on_failure: \"ftp://x/y\"}\n", "only http:// and https:// URLs are destinations" },
    { HEAD "    destinations: {onSuccess: \"http://127.0.0.1:9/x\", onFailure: dlq}\n", NULL },
    { HEAD "    destinations: {on_sucess: dlq}\n", "(did you mean 'on_success'?)" },
    { HEAD "    rate: {burst: 5}\n", "rate: 'per_second' is required" },
    { HEAD "    rate: {per_second: lots}\n", "per_second: expected a number, got 'lots'" },
    { HEAD "    events:\n      - http: {method: GET, path: /a, rate: {per_second: 0.5}}\n", NULL },
    { HEAD "    events:\n      - http: GET /_fngate/queue\n", "/_fngate/ is reserved for fngate (function URLs" },
    { "durability: disk\n" HEAD, "durability: unknown value 'disk'" },
    { "gateway: {max_connections_per_client: -1}\n" HEAD, "max_connections_per_client: -1 is out of range (0..1000000)" },
    { "s3: {max_connections_per_client: lots}\n" HEAD, "max_connections_per_client: expected an integer, got 'lots'" },
    { "gateway: {max_connections_per_client: 0}\ns3: {max_connections_per_client: 16}\n" HEAD, NULL },
    { HEAD "    events:\n      - schedule: rate(5 minutes)\n      - schedule: \"30 2 * * *\"\n", NULL },
    { HEAD "    events:\n      - schedule: rate(5 minute)\n", "t.yaml:7:26: schedule rate(5 minute): 'minute' is for 1; write rate(5 minutes)" },
    { HEAD "    events:\n      - schedule: \"cron(0 12 1 * MON *)\"\n", "t.yaml:7:34: schedule cron(0 12 1 * MON *): day-of-month and day-of-week" },
    { HEAD "    events:\n      - schedule: {timezone: UTC}\n", "t.yaml:7:9: schedule: 'expression' is required" },
    { HEAD "    events:\n      - schedule: {expression: rate(1 hour), timezone: Europe/Berln}\n", "t.yaml:7:56: timezone: unknown time zone 'Europe/Berln'" },
    { HEAD "    events:\n      - schedule: {expression: rate(1 hour), enabled: maybe}\n", "enabled: expected true or false, got 'maybe'" },
    { HEAD "    events:\n      - schedule: {expression: rate(1 hour), max_catch_up: 90y}\n", "max_catch_up: expected a duration" },
    { HEAD "    events:\n      - schedule: {expression: rate(1 hour), max_catch_up: 2d}\n", NULL },
    { HEAD "    events:\n      - schedule: {expresion: rate(1 hour)}\n", "(did you mean 'expression'?)" },
    { HEAD "    events:\n      - queue: {stream: s}\n", "t.yaml:7:9: 'redis' (a redis://host:port/db URL) is required" },
    { HEAD "    events:\n      - queue: {redis: \"http://x\", stream: s}\n", "redis: 'http://x' is not a redis://host:port/db URL" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\"}\n", "queue: 'stream' (the Redis stream to consume) is required" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, max_receive_count: 3}\n", "max_receive_count needs a dead_letter_stream" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, dead_letter_stream: s}\n", "dead_letter_stream cannot be the stream itself" },
    { HEAD "    timeout: 60\n    events:\n      - queue: {redis: \"redis://h\", stream: s}\n", "visibility_timeout (30 s) is below the function's timeout (60 s)" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, batch_size: 0}\n", "batch_size: 0 is out of range (1..10000)" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, function_response_types: [Partial]}\n", "function_response_types: unknown type 'Partial'" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, filter_criteria: {filters: [{pattern: {body: [{wat: 1}]}}]}}\n", "filter_criteria: " },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, filter_criteria: [a, b, c, d, e, f]}\n", "filter_criteria: at most 5 patterns" },
    { HEAD "    events:\n      - queue: {redis: \"redis://h\", stream: s, visibilty_timeout: 5}\n", "(did you mean 'visibility_timeout'?)" },
    { HEAD "    events:\n      - topic: {redis: \"redis://h\"}\n", "topic: give exactly one of 'channel' and 'pattern'" },
    { HEAD "    events:\n      - topic: {redis: \"redis://h\", channel: a, pattern: b}\n", "topic: give exactly one of 'channel' and 'pattern'" },
    { HEAD "    events:\n      - stream: {topic: t}\n", "stream: 'kafka: {brokers: host:port}' is required" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\"}\n", "stream: 'topic' is required" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, starting_position: NOW}\n", "starting_position: unknown value 'NOW'" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, starting_position: AT_TIMESTAMP}\n", "AT_TIMESTAMP goes with starting_position_timestamp" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, maximum_record_age: 30}\n", "maximum_record_age is -1 (forever) or 60..604800" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, parallelization_factor: 11}\n", "parallelization_factor: 11 is out of range (1..10)" },
    { HEAD "    events:\n      - stream: {kafka: {brokers: \"h:9092\", properties: {enable.auto.commit: true}}, topic: t}\n", "enable.auto.commit is fngate's to set" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, on_failure: Nope}\n", "on_failure: no function named 'Nope'" },
    { HEAD "    events:\n      - stream: {kafka: \"h:9092\", topic: t, on_failure: {destination: dlq}, maximum_retry_attempts: -1}\n", NULL },
    /* The Invoke API's keys, and the credentials it shares with the S3 endpoint. */
    { "invoke_api: {auth: sigv4}\n", "t.yaml:1:20: invoke_api: auth sigv4 needs credentials" },
    { "invoke_api: {auth: sigv5}\n", "t.yaml:1:20: auth: unknown value 'sigv5' (did you mean 'sigv4'?)" },
    { "invoke_api: {auth: none, credentials: {access_key: a, secret_key: b}}\n",
      "t.yaml:1:20: invoke_api: auth none would ignore the credentials listed" },
    { "invoke_api: {enabled: maybe}\n", "t.yaml:1:23: enabled: expected true or false, got 'maybe'" },
    { "invoke_api: {enabled: false}\n", NULL },
    { "invoke_api: {auth: none}\n", NULL },
    { "invoke_api: {credentials: [{access_key: a, secret_key: b}, {access_key: c, secret_key: \"${FG_TEST_SECRET:-d}\"}]}\n", NULL },
    { "invoke_api: {credentials: [{access_key: a}]}\n",
      "t.yaml:1:41: credentials: access_key a: give exactly one of secret_key and secret_key_file" },
    { "invoke_api: {credentials: [{access_key: a, secret_key: b, secret_key_file: f}]}\n",
      "give exactly one of secret_key and secret_key_file" },
    { "invoke_api: {credentials: [{secret_key: b}]}\n", "t.yaml:1:14: credentials: 'access_key' is required" },
    { "invoke_api: {credentials: [{access_key: \"a/b\", secret_key: b}]}\n",
      "t.yaml:1:42: credentials: access_key 'a/b': 1 to 127 characters, without '/'" },
    { "invoke_api: {credentials: [{access_key: a, secret_key: b}, {access_key: a, secret_key: c}]}\n",
      "t.yaml:1:73: credentials: access_key a is already listed at t.yaml:1:41" },
    { "invoke_api: {credentials: []}\n", "t.yaml:1:14: credentials: expected {access_key: ..., secret_key: ...} or a list of them" },
    { "invoke_api: {credentials: [{access_key: a, secrt_key: b}]}\n", "unknown key 'secrt_key' in credentials (did you mean 'secret_key'?)" },
    { "invoke_api: {credentials: [{access_key: a, secret_key_file: /nonexistent/secret}]}\n",
      "t.yaml:1:61: credentials: secret_key_file /nonexistent/secret: No such file or directory" },
    { "invoke_api: {credentails: []}\n", "(did you mean 'credentials'?)" },
    { "s3: {credentials: [{access_key: a, secret_key: b}, {access_key: c, secret_key: d}]}\n", NULL },
    { "s3: {credentials: {access_key: a}}\n", "credentials: access_key a: give exactly one of secret_key and secret_key_file" },
    /* role: fngate's keys, IAM's capitalised ones, one string or a list */
    { HEAD "    role: {statements: [{effect: Allow, action: [s3:GetObject, 's3:Put*'], resource: ['arn:aws:s3:::b/*']}]}\n", NULL },
    { HEAD "    role: {Version: '2012-10-17', Statement: [{Sid: x, Effect: Deny, Action: '*', Resource: '*'}]}\n", NULL },
    { HEAD "    role: {Statement: {Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:us-east-1:123456789012:function:G'}}\n", NULL },
    { HEAD "    role: {}\n", NULL },
    { HEAD "    role: {statements: [{effect: allow, action: s3:GetObject, resource: '*'}]}\n",
      "t.yaml:6:34: role: effect 'allow': expected Allow or Deny (as IAM writes them)" },
    { HEAD "    role: {statements: [{effect: Allow, action: GetObject, resource: '*'}]}\n",
      "t.yaml:6:49: role: action 'GetObject': expected SERVICE:ACTION" },
    { HEAD "    role: {statements: [{effect: Allow, action: 'S3:GetObject', resource: '*'}]}\n",
      "role: action 'S3:GetObject': the service is lowercase letters" },
    { HEAD "    role: {statements: [{effect: Allow, action: s3:GetObject, resource: 'bucket/*'}]}\n",
      "role: resource 'bucket/*': expected an ARN" },
    { HEAD "    role: {statements: [{effect: Allow, action: s3:GetObject, resource: 'arn:aws:s3:bucket'}]}\n",
      "role: resource 'arn:aws:s3:bucket': an ARN has six parts" },
    { HEAD "    role: {statements: [{effect: Allow, action: s3:GetObject}]}\n", "t.yaml:6:26: role: a statement needs 'resource'" },
    { HEAD "    role: {statements: [{action: s3:GetObject, resource: '*'}]}\n", "role: a statement needs 'effect'" },
    { HEAD "    role: {statements: [{effect: Allow, action: [], resource: '*'}]}\n",
      "role: action: expected a string or a non-empty list of strings" },
    { HEAD "    role: {statements: [{effect: Allow, action: '*', resource: '*', Condition: {}}]}\n",
      "role: Condition is not supported by fngate" },
    { HEAD "    role: {statements: [{effect: Allow, actions: '*', resource: '*'}]}\n",
      "role: unknown statement key 'actions' (did you mean 'action'?)" },
    { HEAD "    role: {statement: []}\n", "role: unknown key 'statement' (expected statements)" },
    { HEAD "    role: [a]\n", "t.yaml:6:5: role: expected" },
    { HEAD "    environment: {AWS_SESSION_TOKEN: x}\n", "environment: AWS_SESSION_TOKEN is reserved by the Lambda runtime and set by fngate" },
    { HEAD "logs: {store: false, usage: false, retention: 7d, max_size: 512KB}\n", NULL },
    { HEAD "logs: {max_size: 1GB, retention: 3650d}\n", NULL },
    { HEAD "logs: {max_size: 8KB}\n", "t.yaml:6:18: max_size: 8KB is out of range (16384..1099511627776 bytes)" },
    { HEAD "logs: {max_size: 10 MB}\n", "t.yaml:6:18: max_size: expected a size like 512KB, 100MB or 1GB, got '10 MB'" },
    { HEAD "logs: {retention: 0}\n", "t.yaml:6:19: retention: 0 is out of range (1..315360000 seconds)" },
    { HEAD "logs: {retension: 7d}\n", "t.yaml:6:8: unknown key 'retension' in logs (did you mean 'retention'?)" },
};

START_TEST(test_conf_table)
{
    const struct conf_case *c = &conf_cases[_i];
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    int rc = fg_registry_conf_load_string(&conf, "t.yaml", ".", c->yaml, &err);
    if (!c->error) {
        ck_assert_msg(rc == 0, "case %d should load, got: %s", _i, err.msg);
        fg_conf_free(&conf);
    } else {
        ck_assert_msg(rc == -FG_ECONFIG, "case %d should fail (rc %d)", _i, rc);
        ck_assert_msg(strstr(err.msg, c->error), "case %d: expected '%s' in '%s'", _i, c->error, err.msg);
    }
}
END_TEST

/* What a reload compares (gateway/reload.c, router/reconfig.c): the hashes of the file as
 * written, per function and per top-level key. */
static void hashes_of(const char *yaml, struct fg_config *conf)
{
    struct fg_err err = { 0, "" };
    ck_assert_msg(fg_registry_conf_load_string(conf, "t.yaml", "/tmp", yaml, &err) == 0, "%s", err.msg);
}

START_TEST(test_conf_reload_hashes)
{
    static const char base[] = "functions:\n  f:\n    runtime: python3\n    handler: a.h\n    code: /tmp\n"
                               "    environment: {AA: '1'}\n";
    struct fg_config a, b;
    hashes_of(base, &a);
    /* The same text: the same hashes. */
    hashes_of(base, &b);
    ck_assert(a.functions[0].src_hash == b.functions[0].src_hash && a.top_hash == b.top_hash);
    ck_assert(a.functions[0].worker_hash == b.functions[0].worker_hash);
    fg_conf_free(&b);
    /* concurrency and events apply in place: the workers' hash stays. */
    hashes_of("functions:\n  f:\n    runtime: python3\n    handler: a.h\n    code: /tmp\n"
              "    environment: {AA: '1'}\n    concurrency: 3\n    events:\n      - schedule: rate(1 minute)\n", &b);
    ck_assert(a.functions[0].src_hash != b.functions[0].src_hash);
    ck_assert(a.functions[0].worker_hash == b.functions[0].worker_hash);
    ck_assert(a.top_hash == b.top_hash);
    fg_conf_free(&b);
    /* The environment makes workers. */
    hashes_of("functions:\n  f:\n    runtime: python3\n    handler: a.h\n    code: /tmp\n"
              "    environment: {AA: '2'}\n", &b);
    ck_assert(a.functions[0].worker_hash != b.functions[0].worker_hash);
    fg_conf_free(&b);
    /* A top-level key: its own hash and the top's; absent keys hash 0. */
    hashes_of("state_dir: /tmp/x\nfunctions:\n  f:\n    runtime: python3\n    handler: a.h\n    code: /tmp\n"
              "    environment: {AA: '1'}\n", &b);
    ck_assert(a.top_hash != b.top_hash && a.functions[0].src_hash == b.functions[0].src_hash);
    ck_assert(fg_conf_top_key_hash(&a, "state_dir") == 0 && fg_conf_top_key_hash(&b, "state_dir") != 0);
    ck_assert(fg_conf_top_key_hash(&a, "functions") != 0);
    fg_conf_free(&b);
    fg_conf_free(&a);
}
END_TEST

START_TEST(test_conf_values)
{
    struct fg_config conf;
    struct fg_err err;
    const char *yaml =
        "service: demo\ngateway: {listen: \"127.0.0.1:${FG_TEST_PORT}\", max_concurrency: 50}\n"
        "state_dir: ./st\nfunctions:\n  Hello:\n    runtime: python3\n    handler: app.lambda_handler\n"
        "    code: .\n    memory: 256\n    timeout: 10\n    concurrency: 5\n"
        "    environment: {GREETING: Hello, NUM: 3}\n    events:\n      - http: {method: GET, path: \"/hello/{name}\"}\n"
        "      - http: ANY /{proxy+}\n      - http: '*'\n";
    setenv("FG_TEST_PORT", "9123", 1);
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp", yaml, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(conf.service, "demo");
    ck_assert_str_eq(conf.listen.host, "127.0.0.1");
    ck_assert_int_eq(conf.listen.port, 9123);
    ck_assert_int_eq(conf.max_concurrency, 50);
    ck_assert_int_eq(conf.max_conns_per_client, 256);     /* the default */
    ck_assert_int_eq(conf.s3.max_conns_per_client, 256);
    ck_assert_str_eq(conf.state_dir, "/tmp/st");
    ck_assert_uint_eq(conf.n_functions, 1);
    const struct fg_conf_function *fn = fg_conf_function(&conf, "Hello");
    ck_assert_ptr_nonnull(fn);
    ck_assert_int_eq(fn->runtime, FG_RUNTIME_PYTHON3);
    ck_assert_str_eq(fn->code, "/tmp");
    ck_assert_int_eq(fn->memory_mb, 256);
    ck_assert_int_eq(fn->timeout_s, 10);
    ck_assert_int_eq(fn->concurrency, 5);
    ck_assert_uint_eq(fn->env.n, 2);
    ck_assert_str_eq(fn->env.items[1].key, "NUM");
    ck_assert_str_eq(fn->env.items[1].value, "3");
    ck_assert_uint_eq(conf_count(fn, "http"), 3);
    ck_assert_str_eq(HTTP(fn, 0)->path, "/hello/{name}");
    ck_assert_str_eq(HTTP(fn, 1)->method, "ANY");
    ck_assert_str_eq(HTTP(fn, 2)->path, "$default");
    ck_assert_ptr_null(fg_conf_function(&conf, "Nope"));
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_conf_defaults)
{
    struct fg_config conf;
    struct fg_err err;
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", "/srv", HEAD, &err), 0);
    ck_assert_int_eq(conf.listen.port, 8080);
    ck_assert_str_eq(conf.state_dir, "/srv/.fngate");
    ck_assert(conf.logs.store && conf.logs.usage);
    ck_assert_int_eq(conf.logs.retention_s, 30 * 86400);
    ck_assert_int_eq(conf.logs.max_bytes, 100LL << 20);
    ck_assert_str_eq(conf.region, "us-east-1");
    ck_assert_int_eq(conf.functions[0].memory_mb, 128);
    ck_assert_int_eq(conf.functions[0].timeout_s, 3);
    ck_assert_int_eq(conf.functions[0].concurrency, 0);
    ck_assert_int_eq(conf.functions[0].ephemeral_mb, 512);
    ck_assert_int_eq(conf.functions[0].network, FG_NETWORK_HOST);
    ck_assert(conf.isolation.enabled);
    ck_assert_int_eq(conf.isolation.uid_min, 61184);
    ck_assert_int_eq(conf.isolation.uid_max, 65519);
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_conf_async)
{
    struct fg_config conf;
    struct fg_err err;
    const char *yaml =
        "durability: memory\nretries: {maximum_retry_attempts: 5, backoff: {initial: 250ms, jitter: none}}\n"
        "functions:\n  A:\n    runtime: python3\n    handler: a.b\n    code: .\n"
        "    retries: {maximum_event_age: 2m, backoff: {max: 10s}}\n"
        "    destinations: {on_success: B, on_failure: \"http://127.0.0.1:9/hook\"}\n"
        "    rate: {per_second: 2.5}\n"
        "  B:\n    runtime: python3\n    handler: a.b\n    code: .\n";
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp", yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(conf.durability, FG_DURABILITY_MEMORY);
    const struct fg_conf_function *a = fg_conf_function(&conf, "A"), *b = fg_conf_function(&conf, "B");
    /* A function's block overrides the top level key by key; the rest are inherited. */
    ck_assert_int_eq(a->retries.max_attempts, 5);
    ck_assert_int_eq(a->retries.max_age_s, 120);
    ck_assert_int_eq(a->retries.initial_ms, 250);
    ck_assert_int_eq(a->retries.max_ms, 10000);
    ck_assert(a->retries.multiplier == 2.0);
    ck_assert_int_eq(a->retries.jitter, FG_JITTER_NONE);
    ck_assert_int_eq(b->retries.max_attempts, 5);
    ck_assert_int_eq(b->retries.max_age_s, 21600);
    ck_assert_int_eq(b->retries.max_ms, 300000);
    ck_assert_int_eq(a->on_success.kind, FG_DEST_FUNCTION);
    ck_assert_str_eq(a->on_success.target, "B");
    ck_assert_int_eq(a->on_failure.kind, FG_DEST_URL);
    ck_assert_str_eq(a->on_failure.target, "http://127.0.0.1:9/hook");
    /* Without a destination a failure still lands in the dead letters. */
    ck_assert_int_eq(b->on_success.kind, FG_DEST_NONE);
    ck_assert_int_eq(b->on_failure.kind, FG_DEST_DLQ);
    ck_assert(a->rate.per_second == 2.5);
    ck_assert_int_eq(a->rate.burst, 3);
    ck_assert(b->rate.per_second == 0);
    fg_conf_free(&conf);

    /* Defaults: AWS's 2 retries and 6 hours; backoff 1 s doubling to 5 min, full jitter. */
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", "/srv", HEAD, &err), 0);
    ck_assert_int_eq(conf.durability, FG_DURABILITY_FULL);
    ck_assert_int_eq(conf.functions[0].retries.max_attempts, 2);
    ck_assert_int_eq(conf.functions[0].retries.max_age_s, 21600);
    ck_assert_int_eq(conf.functions[0].retries.initial_ms, 1000);
    ck_assert_int_eq(conf.functions[0].retries.max_ms, 300000);
    ck_assert_int_eq(conf.functions[0].retries.jitter, FG_JITTER_FULL);
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_conf_schedules)
{
    struct fg_config conf;
    struct fg_err err;
    const char *yaml = HEAD "    events:\n      - schedule: rate(5 minutes)\n"
                       "      - schedule: {rate: \"cron(0 12 * * ? *)\", timezone: Europe/Berlin, name: noon,"
                       " input: {a: 1, b: [x, true]}, enabled: false, catch_up: all, max_catch_up: 2h}\n";
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    const struct fg_conf_function *f = &conf.functions[0];
    ck_assert_uint_eq(conf_count(f, "schedule"), 2);
    ck_assert_str_eq(SCHED(f, 0)->name, "F-schedule-1");
    ck_assert_str_eq(SCHED(f, 0)->timezone, "UTC");
    ck_assert(SCHED(f, 0)->enabled);
    ck_assert_int_eq(SCHED(f, 0)->catch_up, FG_CATCH_UP_LAST);
    ck_assert_int_eq(SCHED(f, 0)->max_catch_up_s, 3600);
    ck_assert_int_eq(SCHED(f, 0)->expr.kind, FG_SCHED_RATE);
    ck_assert_int_eq(SCHED(f, 0)->expr.rate_s, 300);
    ck_assert_ptr_null(SCHED(f, 0)->input);
    ck_assert_str_eq(SCHED(f, 1)->name, "noon");
    ck_assert_str_eq(SCHED(f, 1)->timezone, "Europe/Berlin");
    ck_assert_str_eq(SCHED(f, 1)->input, "{\"a\": 1, \"b\": [\"x\", true]}");
    ck_assert(!SCHED(f, 1)->enabled);
    ck_assert_int_eq(SCHED(f, 1)->catch_up, FG_CATCH_UP_ALL);
    ck_assert_int_eq(SCHED(f, 1)->max_catch_up_s, 7200);
    ck_assert_int_eq(SCHED(f, 1)->expr.kind, FG_SCHED_CRON);
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_conf_poll_sources)
{
    struct fg_config conf;
    struct fg_err err;
    const char *yaml = HEAD "    concurrency: 3\n    events:\n"
                       "      - queue: {redis: \"redis://:pw@127.0.0.1:6380/2\", stream: orders, dead_letter_stream: orders-dlq,"
                       " maximum_batching_window: 2s, function_response_types: [ReportBatchItemFailures],"
                       " filter_criteria: [{body: {kind: [order]}}, '{\"body\": [{\"prefix\": \"x\"}]}']}\n"
                       "      - topic: {redis: \"redis://h\", pattern: \"alerts.*\"}\n"
                       "      - stream: {kafka: {brokers: \"b:9092\", properties: {session.timeout.ms: 6000}}, topic: clicks,"
                       " format: kinesis, starting_position: AT_TIMESTAMP, starting_position_timestamp: 1700000000,"
                       " bisect_batch_on_function_error: true}\n";
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    const struct fg_conf_function *f = &conf.functions[0];
    ck_assert_uint_eq(conf_count(f, "queue"), 1);
    ck_assert_str_eq(QUEUE(f, 0)->group, "fngate");
    ck_assert_int_eq(QUEUE(f, 0)->batch_size, 10);
    ck_assert_int_eq(QUEUE(f, 0)->window_ms, 2000);
    ck_assert_int_eq(QUEUE(f, 0)->visibility_timeout_s, 30);
    ck_assert_int_eq(QUEUE(f, 0)->max_receive_count, 5);
    ck_assert_int_eq(QUEUE(f, 0)->max_concurrency, 3);
    ck_assert(QUEUE(f, 0)->report_failures);
    ck_assert_uint_eq(fg_conf_event_of(f, "queue", 0)->filter.n, 2);
    ck_assert_str_eq(fg_conf_event_of(f, "queue", 0)->filter.patterns[0], "{\"body\": {\"kind\": [\"order\"]}}");
    ck_assert_uint_eq(conf_count(f, "topic"), 1);
    ck_assert_str_eq(TOPIC(f, 0)->pattern, "alerts.*");
    ck_assert_uint_eq(conf_count(f, "stream"), 1);
    ck_assert_int_eq(STREAM(f, 0)->batch_size, 100);
    ck_assert_int_eq(STREAM(f, 0)->window_ms, 500);
    ck_assert_int_eq(STREAM(f, 0)->format, FG_FORMAT_KINESIS);
    ck_assert_int_eq(STREAM(f, 0)->max_retry_attempts, -1);
    ck_assert_int_eq(STREAM(f, 0)->parallelization_factor, 1);
    ck_assert(STREAM(f, 0)->starting_timestamp_ms == 1700000000000LL);
    ck_assert_int_eq(STREAM(f, 0)->on_failure.kind, FG_DEST_DLQ);
    ck_assert_str_eq(STREAM(f, 0)->properties.items[0].key, "session.timeout.ms");
    fg_conf_free(&conf);
}
END_TEST

/* Anchors, aliases and merge keys as YAML defines them (serverless.yml files use them). */
START_TEST(test_conf_aliases)
{
    struct fg_config conf;
    struct fg_err err;
    const char *yaml = "functions:\n  A:\n    runtime: python3\n    handler: app.h\n    code: .\n"
                       "    environment: &env {AB: &v hello, CD: *v}\n"
                       "    events:\n      - http: &route /r\n"
                       "  B: &fn\n    runtime: python3\n    handler: app.h\n    code: .\n    memory: 256\n"
                       "    environment: *env\n"
                       "  C:\n    <<: *fn\n    memory: 512\n    events:\n      - http: {method: GET, path: *route}\n";
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    const struct fg_conf_function *a = fg_conf_function(&conf, "A"), *b = fg_conf_function(&conf, "B"),
                                   *c = fg_conf_function(&conf, "C");
    ck_assert_str_eq(a->env.items[1].key, "CD");
    ck_assert_str_eq(a->env.items[1].value, "hello");
    ck_assert_uint_eq(b->env.n, 2);
    ck_assert_str_eq(b->env.items[0].value, "hello");
    ck_assert_int_eq(b->memory_mb, 256);
    ck_assert_int_eq(c->memory_mb, 512);        /* a key next to the merge wins */
    ck_assert_uint_eq(c->env.n, 2);             /* the rest comes from B */
    ck_assert_str_eq(HTTP(a, 0)->path, "/r");
    ck_assert_str_eq(HTTP(c, 0)->path, "/r");
    ck_assert_str_eq(HTTP(c, 0)->method, "GET");
    fg_conf_free(&conf);

    /* A block shared by many functions is not an alias bomb: the bound grows with the file. */
    char *big = malloc(4u << 20), *w = big;
    w += sprintf(w, "functions:\n  D: &d\n    runtime: python3\n    handler: app.h\n    code: .\n"
                    "    environment: {");
    for (int i = 0; i < 30; i++)
        w += sprintf(w, "%sV%02d: x", i ? ", " : "", i);
    w += sprintf(w, "}\n");
    for (int i = 0; i < 3000; i++)
        w += sprintf(w, "  F%d: {<<: *d, timeout: 5}\n", i);
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", big, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(conf.n_functions, 3001);
    ck_assert_uint_eq(conf.functions[3000].env.n, 30);
    ck_assert_int_eq(conf.functions[3000].timeout_s, 5);
    fg_conf_free(&conf);
    free(big);
}
END_TEST

/* A test-only adapter: the loader reads any adapter's keys from its table, with the same
 * errors as every other key, and knows nothing else about it. */
struct probe_conf {
    const char *url;
    int every_ms;
    bool loud;
};

static const struct fg_conf_key probe_keys[] = {
    { .name = "url", .type = FG_CONF_STR, .offset = offsetof(struct probe_conf, url) },
    { .name = "every", .type = FG_CONF_MS, .offset = offsetof(struct probe_conf, every_ms), .min = 10, .max = 60000 },
    { .name = "loud", .type = FG_CONF_BOOL, .offset = offsetof(struct probe_conf, loud) },
    FG_CONF_KEY_END,
};

static void probe_defaults(void *obj)
{
    ((struct probe_conf *)obj)->every_ms = 1000;
}

static int probe_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    (void)val;
    return ((struct probe_conf *)ev->conf)->url ? 0 : fg_conf_fail(p, ev->pos, "probe: 'url' is required");
}

static const struct fg_conf_event_type probe_type = {
    .kind = "probe", .where = "probe", .size = sizeof(struct probe_conf), .keys = probe_keys,
    .short_key = "url", .filterable = true, .defaults = probe_defaults, .check = probe_check,
};

START_TEST(test_conf_any_adapter)
{
    static const struct fg_conf_event_type *const types[] = { &probe_type, NULL };
    struct fg_config conf;
    struct fg_err err;
    const char *ok = HEAD "    events:\n      - probe: http://a\n      - probe: {url: http://b, every: 2s,"
                          " filter_criteria: [{a: [1]}]}\n";
    ck_assert_msg(fg_conf_load_string(&conf, "t.yaml", ".", ok, types, &err) == 0, "%s", err.msg);
    const struct fg_conf_function *fn = &conf.functions[0];
    ck_assert_uint_eq(fn->n_events, 2);
    ck_assert_ptr_eq(fn->events[1].type, &probe_type);
    ck_assert_str_eq(((const struct probe_conf *)fn->events[0].conf)->url, "http://a");
    ck_assert_int_eq(((const struct probe_conf *)fn->events[0].conf)->every_ms, 1000);
    ck_assert_int_eq(((const struct probe_conf *)fn->events[1].conf)->every_ms, 2000);
    ck_assert_uint_eq(fn->events[1].index, 2);
    ck_assert_uint_eq(fn->events[1].filter.n, 1);
    ck_assert_uint_eq(fg_conf_count_events(&conf, &probe_type), 2);
    fg_conf_free(&conf);
    ck_assert_int_eq(fg_conf_load_string(&conf, "t.yaml", ".", HEAD "    events:\n      - probe: {url: x, evry: 5}\n",
                                         types, &err), -FG_ECONFIG);
    ck_assert_str_eq(err.msg, "t.yaml:7:25: unknown key 'evry' in probe (did you mean 'every'?)");
    ck_assert_int_eq(fg_conf_load_string(&conf, "t.yaml", ".", HEAD "    events:\n      - probe: {url: x, every: 5ms}\n",
                                         types, &err), -FG_ECONFIG);
    ck_assert_str_eq(err.msg, "t.yaml:7:32: every: 5ms is out of range (10..60000 ms)");
    ck_assert_int_eq(fg_conf_load_string(&conf, "t.yaml", ".", HEAD "    events:\n      - probe: {loud: true}\n",
                                         types, &err), -FG_ECONFIG);
    ck_assert_str_eq(err.msg, "t.yaml:7:9: probe: 'url' is required");
    /* Without the adapter, its kind is unknown: the loader has no list of its own. */
    ck_assert_int_eq(fg_conf_load_string(&conf, "t.yaml", ".", ok, NULL, &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, "unknown event type 'probe'"), "%s", err.msg);
}
END_TEST

/* invoke_api resolved: its defaults, sigv4 once credentials are given, secrets read from
 * files; and the start-time rule for a front door that is not loopback. */
START_TEST(test_conf_invoke_api)
{
    char secret_path[] = "/tmp/fg-secret-XXXXXX", yaml[512];
    struct fg_config conf;
    struct fg_err err;
    int fd;

    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", HEAD, &err), 0);
    ck_assert(conf.invoke_api.enabled);
    ck_assert_int_eq(conf.invoke_api.auth, FG_INVOKE_AUTH_NONE);
    ck_assert(!conf.invoke_api.auth_explicit);
    ck_assert_int_eq(fg_conf_check_exposure(&conf, NULL, &err), 0);
    conf.listen.host = "0.0.0.0";       /* as `serve --listen 0.0.0.0:0` leaves it */
    ck_assert_int_eq(fg_conf_check_exposure(&conf, "0.0.0.0:0", &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, "--listen 0.0.0.0:0 is not loopback") == err.msg, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "invoke_api.credentials") && strstr(err.msg, "invoke_api.auth: none"), "%s", err.msg);
    fg_conf_free(&conf);

    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", "service: x\ngateway: {listen: \"[::]:8080\"}\n" HEAD, &err), 0);
    ck_assert_int_eq(fg_conf_check_exposure(&conf, NULL, &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, "t.yaml:2:20: gateway.listen [::]:8080 is not loopback, and the Invoke API there "
                                  "would run any function for anyone who can reach it: give invoke_api.credentials") == err.msg,
                  "%s", err.msg);
    conf.listen.host = "127.0.0.1";     /* --listen 127.0.0.1:0 over a file that says [::] */
    ck_assert_int_eq(fg_conf_check_exposure(&conf, "127.0.0.1:0", &err), 0);
    fg_conf_free(&conf);

    static const char *const allowed[] = {
        "gateway: {listen: \"0.0.0.0:80\"}\ninvoke_api: {auth: none}\n",
        "gateway: {listen: \"0.0.0.0:80\"}\ninvoke_api: {enabled: false}\n",
        "gateway: {listen: \"192.168.1.2:80\"}\ninvoke_api: {credentials: {access_key: a, secret_key: b}}\n",
        "gateway: {listen: \"127.9.9.9:80\"}\n", "gateway: {listen: \"[::1]:80\"}\n", "gateway: {listen: \"localhost:80\"}\n",
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", allowed[i], &err) == 0, "%s", err.msg);
        ck_assert_msg(fg_conf_check_exposure(&conf, NULL, &err) == 0, "%s: %s", allowed[i], err.msg);
        fg_conf_free(&conf);
    }

    fd = mkstemp(secret_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "s3cr3t\n", 7), 7);
    close(fd);
    snprintf(yaml, sizeof(yaml), "invoke_api:\n  credentials:\n    - {access_key: one, secret_key: inline}\n"
                                 "    - {access_key: two, secret_key_file: %s}\n", secret_path);
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(conf.invoke_api.auth, FG_INVOKE_AUTH_SIGV4);
    ck_assert_uint_eq(conf.invoke_api.credentials.n, 2);
    ck_assert_str_eq(fg_conf_credential_find(&conf.invoke_api.credentials, "one")->secret_key, "inline");
    ck_assert_str_eq(fg_conf_credential_find(&conf.invoke_api.credentials, "two")->secret_key, "s3cr3t");
    ck_assert_ptr_null(fg_conf_credential_find(&conf.invoke_api.credentials, "three"));
    fg_conf_free(&conf);
    fd = open(secret_path, O_WRONLY | O_TRUNC);
    close(fd);
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, "t.yaml:4:42: credentials: secret_key_file") && strstr(err.msg, "is empty"), "%s", err.msg);
    unlink(secret_path);

    static const struct { const char *host; bool loopback; } hosts[] = {
        { "127.0.0.1", true }, { "127.1.2.3", true }, { "::1", true }, { "::ffff:127.0.0.1", true },
        { "localhost", true }, { "0.0.0.0", false }, { "::", false }, { "10.0.0.1", false }, { "128.0.0.1", false },
    };
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        ck_assert_msg(fg_conf_host_is_loopback(hosts[i].host) == hosts[i].loopback, "%s", hosts[i].host);
}
END_TEST

START_TEST(test_conf_env_limit)
{
    struct fg_config conf;
    struct fg_err err;
    char *yaml = malloc(8192), *p;
    p = yaml + sprintf(yaml, HEAD "    environment:\n");
    for (int i = 0; i < 60; i++)
        p += sprintf(p, "      VAR%02d: \"%070d\"\n", i, i);
    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, "exceed Lambda's 4 KB limit"), "%s", err.msg);
    free(yaml);
}
END_TEST

/* A raw NUL byte in the file is an error where it is, not the end of the file. */
START_TEST(test_conf_nul_in_file)
{
    static const char text[] = "service: x\nfunctions: {}\n\0timeout: 9\n";
    char path[] = "/tmp/fg-conf-XXXXXX";
    struct fg_config conf;
    struct fg_err err;
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
    close(fd);
    ck_assert_int_eq(fg_registry_conf_load(&conf, path, &err), -FG_ECONFIG);
    ck_assert_msg(strstr(err.msg, ":3:1: a NUL byte"), "%s", err.msg);
    unlink(path);
}
END_TEST

START_TEST(test_conf_missing_file)
{
    struct fg_config conf;
    struct fg_err err;
    ck_assert_int_lt(fg_registry_conf_load(&conf, "/nonexistent/fngate.yaml", &err), 0);
    ck_assert_msg(strstr(err.msg, "/nonexistent/fngate.yaml: No such file"), "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    unsetenv("FG_TEST_UNSET_VAR");
    tcase_add_loop_test(tc, test_conf_table, 0, (int)(sizeof(conf_cases) / sizeof(conf_cases[0])));
    tcase_add_test(tc, test_conf_values);
    tcase_add_test(tc, test_conf_defaults);
    tcase_add_test(tc, test_conf_async);
    tcase_add_test(tc, test_conf_schedules);
    tcase_add_test(tc, test_conf_env_limit);
    tcase_add_test(tc, test_conf_invoke_api);
    tcase_add_test(tc, test_conf_aliases);
    tcase_add_test(tc, test_conf_any_adapter);
    tcase_add_test(tc, test_conf_poll_sources);
    tcase_add_test(tc, test_conf_missing_file);
    tcase_add_test(tc, test_conf_reload_hashes);
    tcase_add_test(tc, test_conf_nul_in_file);
    return fg_unit_run(s, tc);
}

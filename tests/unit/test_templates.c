/* SPDX-License-Identifier: MIT */
/* test_templates.c - serverless.yml and SAM template.yaml read as they are (config/conf_sls.c,
 * conf_sam.c, conf_cfn.c, conf_sls_vars.c) and fngate.yaml's defaults: (conf_defaults.c):
 * what each function becomes, the warnings, and errors at file:line:col. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "triggers/http_route.h"
#include "triggers/redis_queue.h"
#include "triggers/registry.h"
#include "triggers/s3.h"
#include "triggers/schedule.h"
#include "unit.h"

static const void *ev_conf(const struct fg_conf_function *fn, const char *kind, size_t i)
{
    const struct fg_conf_event *ev = fg_conf_event_of(fn, kind, i);
    ck_assert_msg(ev != NULL, "%s: no %s event %zu", fn->name, kind, i);
    return ev->conf;
}

static const char *env_of(const struct fg_conf_function *fn, const char *k)
{
    for (size_t i = 0; i < fn->env.n; i++)
        if (!strcmp(fn->env.items[i].key, k))
            return fn->env.items[i].value;
    return NULL;
}

static bool warned(const struct fg_config *c, const char *needle)
{
    for (size_t i = 0; i < c->n_warnings; i++)
        if (strstr(c->warnings[i], needle))
            return true;
    return false;
}

static void load_ok(struct fg_config *c, const char *yaml)
{
    struct fg_err err = { 0, "" };
    int rc = fg_registry_conf_load_string(c, "serverless.yml", ".", yaml, &err);
    ck_assert_msg(rc == 0, "should load, got: %s", err.msg);
}

static void load_fails(const char *yaml, const char *expect)
{
    struct fg_config c;
    struct fg_err err = { 0, "" };
    int rc = fg_registry_conf_load_string(&c, "serverless.yml", ".", yaml, &err);
    ck_assert_msg(rc < 0, "should fail with '%s'", expect);
    ck_assert_msg(strstr(err.msg, expect), "expected '%s' in '%s'", expect, err.msg);
}

/* The Serverless Framework's aws-node-http-api example, as written. */
static const char sls_http_api[] =
    "service: serverless-http-api\n"
    "frameworkVersion: '3'\n"
    "\n"
    "provider:\n"
    "  name: aws\n"
    "  runtime: nodejs18.x\n"
    "\n"
    "functions:\n"
    "  api:\n"
    "    handler: index.handler\n"
    "    events:\n"
    "      - httpApi:\n"
    "          path: /\n"
    "          method: get\n";

START_TEST(test_sls_http_api_example)
{
    struct fg_config c;
    const struct fg_conf_function *fn;
    const struct fg_conf_http *h;
    load_ok(&c, sls_http_api);
    ck_assert_int_eq(c.dialect, FG_CONF_SERVERLESS);
    ck_assert_str_eq(c.service, "serverless-http-api");
    fn = fg_conf_function(&c, "api");
    ck_assert_ptr_nonnull(fn);
    ck_assert_int_eq(fn->runtime, FG_RUNTIME_NODEJS);
    ck_assert_str_eq(fn->runtime_written, "nodejs18.x");
    ck_assert_str_eq(fn->runtime_version, "18");
    ck_assert_str_eq(fn->handler, "index.handler");
    ck_assert_int_eq(fn->memory_mb, 1024);      /* the Framework's defaults, not fngate's */
    ck_assert_int_eq(fn->timeout_s, 6);
    h = ev_conf(fn, "http", 0);
    ck_assert_str_eq(h->method, "GET");
    ck_assert_str_eq(h->path, "/");
    ck_assert_int_eq(h->payload_format, FG_PAYLOAD_FORMAT_2_0);
    ck_assert_uint_eq(c.n_warnings, 0);
    fg_conf_free(&c);
}
END_TEST

static const char sls_full[] =
    "service: shop\n"
    "frameworkVersion: '3'\n"
    "plugins: [serverless-offline]\n"
    "provider:\n"
    "  name: aws\n"
    "  runtime: python3.11\n"
    "  stage: ${opt:stage, 'dev'}\n"
    "  region: eu-west-1\n"
    "  memorySize: 256\n"
    "  environment:\n"
    "    STAGE: ${sls:stage}\n"
    "    SERVICE: ${self:service}\n"
    "    SHARED: provider\n"
    "    QUEUE: !GetAtt Orders.Arn\n"
    "    OPT: ${env:FNGATE_TEST_UNSET_VAR, 'fallback'}\n"
    "  iamRoleStatements:\n"
    "    - Effect: Allow\n"
    "      Action: [s3:GetObject]\n"
    "      Resource: arn:aws:s3:::${self:custom.bucket}/*\n"
    "  httpApi: {cors: true}\n"
    "custom:\n"
    "  bucket: uploads-${sls:stage}\n"
    "  fngate:\n"
    "    redis: redis://127.0.0.1:6379/0\n"
    "functions:\n"
    "  api:\n"
    "    handler: handler.api\n"
    "    environment: {SHARED: function}\n"
    "    layers: [x]\n"
    "    events:\n"
    "      - http: {method: get, path: 'legacy/{id}'}\n"
    "      - httpApi: 'POST /items'\n"
    "  cron:\n"
    "    handler: handler.cron\n"
    "    layers: [x]\n"
    "    reservedConcurrency: 2\n"
    "    events:\n"
    "      - schedule:\n"
    "          rate: [rate(5 minutes), cron(0 12 * * ? *)]\n"
    "          input: {a: 1}\n"
    "      - s3:\n"
    "          bucket: ${self:custom.bucket}\n"
    "          event: s3:ObjectCreated:*\n"
    "          rules: [{prefix: img/}, {suffix: .png}]\n"
    "      - sqs: {arn: !GetAtt Orders.Arn, batchSize: 5}\n"
    "      - websocket: $connect\n"
    "resources:\n"
    "  Resources:\n"
    "    Orders:\n"
    "      Type: AWS::SQS::Queue\n"
    "      Properties:\n"
    "        QueueName: orders-${sls:stage}\n";

START_TEST(test_sls_full)
{
    struct fg_config c;
    const struct fg_conf_function *api, *cron;
    const struct fg_conf_http *h;
    const struct fg_conf_schedule *sc;
    const struct fg_conf_queue *q;
    const struct fg_conf_s3_event *s3;

    setenv("FNGATE_STAGE", "prod", 1);
    load_ok(&c, sls_full);
    unsetenv("FNGATE_STAGE");
    api = fg_conf_function(&c, "api");
    cron = fg_conf_function(&c, "cron");
    ck_assert_str_eq(c.region, "eu-west-1");
    ck_assert_int_eq(api->memory_mb, 256);
    ck_assert_str_eq(env_of(api, "STAGE"), "prod");
    ck_assert_str_eq(env_of(api, "SERVICE"), "shop");
    ck_assert_str_eq(env_of(api, "SHARED"), "function");   /* the function's own wins */
    ck_assert_str_eq(env_of(cron, "SHARED"), "provider");
    ck_assert_str_eq(env_of(api, "QUEUE"), "arn:aws:sqs:eu-west-1:000000000000:orders-prod");
    ck_assert_str_eq(env_of(api, "OPT"), "fallback");
    ck_assert(api->role.given);
    ck_assert_uint_eq(api->role.policy.n, 1);
    ck_assert_str_eq(api->role.policy.statements[0].resources[0], "arn:aws:s3:::uploads-prod/*");
    h = ev_conf(api, "http", 0);
    ck_assert_str_eq(h->path, "/legacy/{id}");
    ck_assert_int_eq(h->payload_format, FG_PAYLOAD_FORMAT_1_0);
    ck_assert_int_eq(h->cors.mode, FG_CONF_CORS_OFF);       /* httpApi's CORS is not REST's */
    h = ev_conf(api, "http", 1);
    ck_assert_str_eq(h->method, "POST");
    ck_assert_int_eq(h->payload_format, FG_PAYLOAD_FORMAT_2_0);
    ck_assert_int_eq(c.cors.mode, FG_CONF_CORS_ON);
    ck_assert_int_eq(cron->concurrency, 2);
    sc = ev_conf(cron, "schedule", 0);
    ck_assert_str_eq(sc->expression, "rate(5 minutes)");
    ck_assert_str_eq(sc->input, "{\"a\": 1}");
    sc = ev_conf(cron, "schedule", 1);
    ck_assert_str_eq(sc->expression, "cron(0 12 * * ? *)");
    s3 = ev_conf(cron, "s3", 0);
    ck_assert_str_eq(s3->bucket, "uploads-prod");
    ck_assert_str_eq(s3->prefix, "img/");
    ck_assert_str_eq(s3->suffix, ".png");
    ck_assert(c.s3.enabled);                                 /* s3 events turn the endpoint on */
    q = ev_conf(cron, "queue", 0);
    ck_assert_str_eq(q->stream, "orders-prod");
    ck_assert_str_eq(q->redis, "redis://127.0.0.1:6379/0");
    ck_assert_int_eq(q->batch_size, 5);
    ck_assert(warned(&c, "serverless.yml:3:1: warning: plugins are not run by fngate"));
    ck_assert(warned(&c, "event websocket is not supported by fngate and is ignored"));
    ck_assert(warned(&c, "serverless.yml:29:5: warning: functions.*.layers is not supported"));
    ck_assert_uint_eq(c.n_warnings, 4);   /* plugins, layers once for both, websocket, resources */
    fg_conf_free(&c);
}
END_TEST

START_TEST(test_sls_errors)
{
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n  f:\n    handler: h.h\n"
               "    events:\n      - sqs: arn:aws:sqs:us-east-1:1:jobs\n",
               "serverless.yml:7:14: queue arn:aws:sqs:us-east-1:1:jobs: fngate does not know where this queue is: "
               "add custom.fngate.queues.jobs:");
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11, stage: '${opt:stage}'}\nfunctions: {}\n",
               "serverless.yml:2:52: ${opt:stage}: --stage was not given (give a default: ${opt:stage, 'value'})");
    load_fails("service: x\nprovider: {name: aws}\ncustom: {a: '${self:custom.b}', b: '${self:custom.a}'}\n"
               "functions: {f: {handler: h.h, runtime: python3.11, environment: {X: '${self:custom.a}'}}}\n",
               "a variable that refers to itself");
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11}\nfunctions: {f: {handler: h.h, "
               "environment: {X: '${ssm:/a/b}'}}}\n", "fngate cannot read ssm: values");
    load_fails("service: x\nprovider: {name: azure}\nfunctions: {}\n", "serverless.yml:2:18: provider.name: fngate runs AWS Lambda");
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11, memorySize: 64}\nfunctions: {f: {handler: h.h}}\n",
               "serverless.yml:2:56: memory: 64 is out of range (128..10240)");
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11}\nfunctions: {f: {handler: h.h, environment: "
               "{X: '${file(./no-such-file.yml):a}'}}}\n", "cannot open");
}
END_TEST

static const char sam_template[] =
    "AWSTemplateFormatVersion: '2010-09-09'\n"
    "Transform: AWS::Serverless-2016-10-31\n"
    "Parameters:\n"
    "  Stage: {Type: String, Default: dev}\n"
    "Globals:\n"
    "  Function:\n"
    "    Timeout: 10\n"
    "    Runtime: python3.11\n"
    "    Tracing: Active\n"
    "    Environment: {Variables: {STAGE: !Ref Stage, SHARED: globals}}\n"
    "  Api:\n"
    "    Cors: \"'*'\"\n"
    "Resources:\n"
    "  HelloWorldFunction:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties:\n"
    "      CodeUri: .\n"
    "      Handler: app.lambda_handler\n"
    "      MemorySize: 256\n"
    "      ReservedConcurrentExecutions: 3\n"
    "      Environment:\n"
    "        Variables:\n"
    "          SHARED: mine\n"
    "          GREETING: !Sub 'hi from ${AWS::Region} ${Stage}'\n"
    "          BUCKET_ARN: !GetAtt Uploads.Arn\n"
    "          JOIN: !Join [':', [a, !Ref Stage]]\n"
    "      FunctionUrlConfig: {AuthType: AWS_IAM}\n"
    "      Policies:\n"
    "        - S3ReadPolicy: {BucketName: !Ref Uploads}\n"
    "        - DynamoDBCrudPolicy: {TableName: t}\n"
    "      Events:\n"
    "        Hello: {Type: Api, Properties: {Path: /hello, Method: get}}\n"
    "        Http: {Type: HttpApi, Properties: {Path: /h2, Method: POST}}\n"
    "        Nightly: {Type: ScheduleV2, Properties: {ScheduleExpression: cron(0 3 * * ? *), "
    "ScheduleExpressionTimezone: Europe/Berlin, State: DISABLED}}\n"
    "        Up: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: 's3:ObjectCreated:*', "
    "Filter: {S3Key: {Rules: [{Name: suffix, Value: .jpg}]}}}}\n"
    "        Table: {Type: DynamoDB, Properties: {Stream: x}}\n"
    "  Uploads:\n"
    "    Type: AWS::S3::Bucket\n"
    "    Properties: {BucketName: !Sub 'uploads-${Stage}'}\n"
    "Outputs:\n"
    "  Api: {Value: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello/'}\n";

START_TEST(test_sam_template)
{
    struct fg_config c;
    struct fg_err err = { 0, "" };
    const struct fg_conf_function *fn;
    const struct fg_conf_http *h;
    const struct fg_conf_schedule *sc;
    const struct fg_conf_s3_event *s3;
    int rc = fg_registry_conf_load_string(&c, "template.yaml", ".", sam_template, &err);

    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_int_eq(c.dialect, FG_CONF_SAM);
    fn = fg_conf_function(&c, "HelloWorldFunction");
    ck_assert_ptr_nonnull(fn);
    ck_assert_int_eq(fn->timeout_s, 10);              /* Globals */
    ck_assert_int_eq(fn->memory_mb, 256);             /* its own */
    ck_assert_int_eq(fn->concurrency, 3);
    ck_assert_str_eq(fn->runtime_written, "python3.11");
    ck_assert_str_eq(env_of(fn, "STAGE"), "dev");
    ck_assert_str_eq(env_of(fn, "SHARED"), "mine");
    ck_assert_str_eq(env_of(fn, "GREETING"), "hi from us-east-1 dev");
    ck_assert_str_eq(env_of(fn, "BUCKET_ARN"), "arn:aws:s3:::uploads-dev");
    ck_assert_str_eq(env_of(fn, "JOIN"), "a:dev");
    ck_assert(fn->url.enabled);
    ck_assert_int_eq(fn->url.auth_type, FG_URL_AUTH_AWS_IAM);
    ck_assert_uint_eq(fn->role.policy.n, 1);
    ck_assert_str_eq(fn->role.policy.statements[0].resources[1], "arn:aws:s3:::uploads-dev/*");
    h = ev_conf(fn, "http", 0);
    ck_assert_str_eq(h->path, "/hello");
    ck_assert_int_eq(h->payload_format, FG_PAYLOAD_FORMAT_1_0);
    ck_assert_int_eq(h->cors.mode, FG_CONF_CORS_ON);
    h = ev_conf(fn, "http", 1);
    ck_assert_int_eq(h->payload_format, FG_PAYLOAD_FORMAT_2_0);
    sc = ev_conf(fn, "schedule", 0);
    ck_assert_str_eq(sc->timezone, "Europe/Berlin");
    ck_assert(!sc->enabled);
    s3 = ev_conf(fn, "s3", 0);
    ck_assert_str_eq(s3->bucket, "uploads-dev");
    ck_assert_str_eq(s3->suffix, ".jpg");
    ck_assert(warned(&c, "Policies: DynamoDBCrudPolicy"));
    ck_assert(warned(&c, "template.yaml:36:23: warning: event type DynamoDB is not supported"));
    ck_assert(warned(&c, "Globals.Function.Tracing is not supported"));
    fg_conf_free(&c);
}
END_TEST

START_TEST(test_sam_errors)
{
    static const char head[] = "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
                               "    Properties:\n      Handler: app.h\n      Runtime: python3.11\n";
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%s      Environment: {Variables: {A: !Ref Nope}}\n", head);
    load_fails(yaml, "serverless.yml:8:41: Ref Nope: no parameter or resource of that name in the file");
    snprintf(yaml, sizeof(yaml), "Parameters: {P: {Type: String}}\n%s      Environment: {Variables: {A: !Ref P}}\n", head);
    load_fails(yaml, "Ref P: the parameter has no Default");
    snprintf(yaml, sizeof(yaml), "%s      Environment: {Variables: {A: !ImportValue x}}\n", head);
    load_fails(yaml, "Fn::ImportValue: fngate resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join and Fn::Select only");
    snprintf(yaml, sizeof(yaml), "%s      InlineCode: 'def h(e, c): pass'\n", head);
    load_fails(yaml, "InlineCode: write the code in a file");
    snprintf(yaml, sizeof(yaml), "%s      Events: {Q: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:q}}}\n", head);
    load_fails(yaml, "add Metadata.fngate.queues.q:");
}
END_TEST

START_TEST(test_fngate_defaults)
{
    struct fg_config c;
    struct fg_err err = { 0, "" };
    const struct fg_conf_function *a, *b;
    int rc = fg_registry_conf_load_string(&c, "f.yaml", ".",
                                          "defaults:\n  runtime: python3\n  code: .\n  memory: 512\n"
                                          "  environment: {AA: d, BB: d}\n"
                                          "functions:\n  a: {handler: x.h, environment: {BB: own}}\n"
                                          "  b: {handler: x.h, memory: 128, runtime: nodejs}\n", &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    a = fg_conf_function(&c, "a");
    b = fg_conf_function(&c, "b");
    ck_assert_int_eq(a->memory_mb, 512);
    ck_assert_int_eq(b->memory_mb, 128);
    ck_assert_int_eq(b->runtime, FG_RUNTIME_NODEJS);
    ck_assert_str_eq(env_of(a, "AA"), "d");
    ck_assert_str_eq(env_of(a, "BB"), "own");
    ck_assert_str_eq(env_of(b, "BB"), "d");
    fg_conf_free(&c);
    rc = fg_registry_conf_load_string(&c, "f.yaml", ".", "defaults: {memroy: 5}\nfunctions: {}\n", &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(err.msg, "f.yaml:1:12: unknown key 'memroy' in defaults (did you mean 'memory'?)"), "%s", err.msg);
    rc = fg_registry_conf_load_string(&c, "f.yaml", ".", "defaults: {memory: 5}\nfunctions: {a: {handler: x.h, runtime: python3, code: .}}\n", &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_msg(strstr(err.msg, "f.yaml:1:20: memory: 5 is out of range"), "%s", err.msg);
}
END_TEST


/* What a review found, kept found. */
START_TEST(test_hostile_and_edge)
{
    struct fg_config c;
    struct fg_err err = { 0, "" };
    const struct fg_conf_function *fn;
    char yaml[8192];
    size_t n;
    int rc;

    /* a parameter that refers to itself: CloudFormation's Default is a literal */
    load_fails("Transform: AWS::Serverless-2016-10-31\nParameters: {P: {Type: String, Default: !Ref P}}\n"
               "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a.h, Runtime: python3.11, "
               "Environment: {Variables: {XX: !Ref P}}}\n", "Ref P: the parameter has no Default");
    /* a resource whose name needs itself */
    load_fails("Transform: AWS::Serverless-2016-10-31\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
               "    Properties: {QueueName: !GetAtt Q.QueueName}\n  F:\n    Type: AWS::Serverless::Function\n"
               "    Properties: {Handler: a.h, Runtime: python3.11, Environment: {Variables: {XX: !Ref Q}}}\n",
               "Q: its name refers to itself");
    /* ${ inside ${ forty deep */
    n = (size_t)snprintf(yaml, sizeof(yaml), "service: x\nprovider: {name: aws, runtime: python3.11}\ncustom:\n  a: \"");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "${");
    n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "env:HOME");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "}");
    snprintf(yaml + n, sizeof(yaml) - n, "\"\nfunctions:\n  f: {handler: h.h, environment: {XX: '${self:custom.a}'}}\n");
    load_fails(yaml, "variables nested deeper than 32");
    /* null is no value */
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11}\ncustom: {fngate: {redis: 'redis://h'}}\n"
               "functions:\n  f:\n    handler: h.h\n    events:\n      - sns: null\n",
               "serverless.yml:8:9: function f: event sns: a value is required");
    load_fails("service: x\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n  f:\n", "serverless.yml:4:3: function f: "
               "expected a mapping");
    /* a value a variable made is reported where the variable is written */
    setenv("FNGATE_TEST_MEM", "lots", 1);
    load_fails("service: x\nprovider:\n  name: aws\n  runtime: python3.11\n  memorySize: ${env:FNGATE_TEST_MEM}\n"
               "functions:\n  f: {handler: h.h}\n", "serverless.yml:5:15: memory: expected an integer, got 'lots'");
    unsetenv("FNGATE_TEST_MEM");

    /* custom.fngate wins over provider.region; a list-form intrinsic; CORS as the Framework
     * fills it; Globals maps merged */
    load_ok(&c, "service: x\nprovider: {name: aws, runtime: python3.11, region: eu-west-1}\n"
                "custom: {fngate: {region: eu-central-1}}\n"
                "functions:\n  f:\n    handler: h.h\n    environment:\n      QQ: !GetAtt [Orders, Arn]\n"
                "    events:\n      - http: {method: get, path: a, cors: {origin: '*'}}\n"
                "resources:\n  Resources:\n    Orders: {Type: AWS::SQS::Queue}\n");
    fn = fg_conf_function(&c, "f");
    ck_assert_str_eq(c.region, "eu-central-1");
    ck_assert_str_eq(env_of(fn, "QQ"), "arn:aws:sqs:eu-central-1:000000000000:Orders");   /* the region functions see */
    ck_assert_int_eq(((const struct fg_conf_http *)ev_conf(fn, "http", 0))->cors.mode, FG_CONF_CORS_ON);
    fg_conf_free(&c);
    rc = fg_registry_conf_load_string(&c, "template.yaml", ".",
                                      "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n"
                                      "    EventInvokeConfig: {MaximumRetryAttempts: 0}\nResources:\n  F:\n"
                                      "    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n"
                                      "      Runtime: python3.11\n      EventInvokeConfig:\n        DestinationConfig:\n"
                                      "          OnFailure: {Type: Lambda, Destination: 'arn:aws:lambda:us-east-1:1:function:G'}\n"
                                      "  G:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a.h, Runtime: python3.11}\n",
                                      &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    fn = fg_conf_function(&c, "F");
    ck_assert_int_eq(fn->retries.max_attempts, 0);
    ck_assert_int_eq(fn->on_failure.kind, FG_DEST_FUNCTION);
    fg_conf_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("templates");
    TCase *tc = tcase_create("templates");
    tcase_add_test(tc, test_sls_http_api_example);
    tcase_add_test(tc, test_sls_full);
    tcase_add_test(tc, test_sls_errors);
    tcase_add_test(tc, test_sam_template);
    tcase_add_test(tc, test_sam_errors);
    tcase_add_test(tc, test_fngate_defaults);
    tcase_add_test(tc, test_hostile_and_edge);
    return fg_unit_run(s, tc);
}

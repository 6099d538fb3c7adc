# SPDX-License-Identifier: MIT
"""serverless.yml and SAM template.yaml files served as they are written (config/conf_sls.c,
conf_sam.c): the Serverless Framework's own examples (an HTTP API in Node.js, a cron job in
Python) and an S3 thumbnail service, a SAM template with Globals, Parameters and
intrinsics, the bundled examples/serverless and examples/sam, and Lambda's runtime names
(router/interp.c). Each checks the events arrive in the payload format AWS sends for that
event type."""
import json
import os
import re
import shutil
import subprocess

from harness import ROOT, Gateway, check, free_port, run_cli, wait_until, write

EXAMPLES = os.path.join(ROOT, "examples")

# serverless/examples aws-node-http-api (frameworkVersion 3), as written.
NODE_HTTP_API_YML = """service: serverless-http-api
frameworkVersion: '3'

provider:
  name: aws
  runtime: nodejs18.x

functions:
  api:
    handler: index.handler
    events:
      - httpApi:
          path: /
          method: get
"""

NODE_HTTP_API_JS = """module.exports.handler = async (event) => {
  return {
    statusCode: 200,
    body: JSON.stringify(
      {
        message: "Go Serverless v3.0! Your function executed successfully!",
        input: event,
      },
      null,
      2
    ),
  };
};
"""

# serverless/examples aws-python-scheduled-cron, as written.
PYTHON_CRON_YML = """service: aws-python-scheduled-cron

frameworkVersion: '3'


provider:
  name: aws
  runtime: python3.9

functions:
  rateHandler:
    handler: handler.run
    events:
      # Invoke Lambda function every minute
      - schedule: rate(1 minute)
  cronHandler:
    handler: handler.run
    events:
      # Invoke Lambda function every 2nd minute from Mon-Fri
      - schedule: cron(0/2 * ? * MON-FRI *)
"""

# Its handler.py, plus one line that shows the event it was given.
PYTHON_CRON_PY = """import datetime
import json
import logging

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def run(event, context):
    current_time = datetime.datetime.now().time()
    name = context.function_name
    logger.info("Your cron function " + name + " ran at " + str(current_time))
    print("EVENT " + json.dumps(event))
"""


def service_dir(tmp):
    """A directory for a service's files that isolated workers (other uids) can read, as a
    deployment package's files are: the test's own temp dir is private."""
    os.chmod(tmp, 0o755)
    d = os.path.join(tmp, "svc")
    os.makedirs(d, mode=0o755)
    return d


def validate(path, *args):
    p = run_cli("validate", "-c", path, *args)
    check(p.returncode == 0, "fngate validate -c %s: %s%s" % (path, p.stdout, p.stderr))
    return p


def test_serverless_http_api_node(tmp):
    tmp = service_dir(tmp)
    write(os.path.join(tmp, "serverless.yml"), NODE_HTTP_API_YML)
    write(os.path.join(tmp, "index.js"), NODE_HTTP_API_JS)
    p = validate(os.path.join(tmp, "serverless.yml"))
    check("read as: serverless.yml (Serverless Framework)" in p.stdout, p.stdout)
    check(re.search(r"api:\n    runtime: nodejs18\.x \(\S+/node [\d.]+\)", p.stdout), p.stdout)
    check(re.search(r"GET +/ +-> api\n", p.stdout), p.stdout)
    check("memory: 1024 MB" in p.stdout and "timeout: 6 s" in p.stdout, "the Framework's defaults: " + p.stdout)
    with Gateway(tmp, NODE_HTTP_API_YML, config_name="serverless.yml") as gw:
        status, headers, body = gw.request("GET", "/?q=1", headers={"X-Test": "yes"})
        check(status == 200, (status, body, gw.stdout()[-3000:]))
        out = json.loads(body)
        check(out["message"] == "Go Serverless v3.0! Your function executed successfully!", out)
        ev = out["input"]
        # HTTP API payload format 2.0, as httpApi events get on AWS
        check(ev["version"] == "2.0" and ev["routeKey"] == "GET /" and ev["rawPath"] == "/", ev)
        check(ev["rawQueryString"] == "q=1" and ev["headers"]["x-test"] == "yes", ev)
        check(ev["requestContext"]["http"]["method"] == "GET" and ev["requestContext"]["requestId"] ==
              headers["apigw-requestid"], ev)


def test_serverless_cron_python(tmp):
    tmp = service_dir(tmp)
    write(os.path.join(tmp, "serverless.yml"), PYTHON_CRON_YML)
    write(os.path.join(tmp, "handler.py"), PYTHON_CRON_PY)
    p = validate(os.path.join(tmp, "serverless.yml"))
    check("schedule: rate(1 minute)" in p.stdout and "schedule: cron(0/2 * ? * MON-FRI *)" in p.stdout, p.stdout)
    with Gateway(tmp, PYTHON_CRON_YML, config_name="serverless.yml") as gw:
        status, _, body = gw.admin("GET", "/_fngate/schedules")
        names = sorted(s["name"] for s in json.loads(body)["schedules"])
        check(status == 200 and names == ["cronHandler-schedule-1", "rateHandler-schedule-1"], body)
        # rate(1 minute) fires within a minute of the start
        gw.wait_stdout(r"\[INFO\]\t\S+\t\S+\tYour cron function rateHandler ran at \d", 75)
        # (at an even minute on a weekday cronHandler fires too: each has its own rule)
        gw.wait_stdout(r"\[rateHandler\] .*EVENT (\{.*\})$", 5)
        ev = json.loads(re.search(r"\[rateHandler\] .*EVENT (\{.*\})$", gw.stdout(), re.M).group(1))
        # EventBridge's Scheduled Event, as a schedule event delivers it on AWS
        check(ev["detail-type"] == "Scheduled Event" and ev["source"] == "aws.events" and ev["detail"] == {}, ev)
        check(ev["resources"] == ["arn:aws:events:us-east-1:000000000000:rule/rateHandler-schedule-1"], ev)
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", ev["time"]), ev)


def test_serverless_s3_thumbnail(tmp):
    """The thumbnail example's function (examples/thumbnails/function, boto3 from its setup
    step) described by a serverless.yml in the style of the Framework's
    aws-node-upload-to-s3-and-postprocess example: an s3 event with an event name and a
    suffix rule, a role from provider.iam.role.statements, the bucket from a variable. An
    upload through the S3 endpoint with the AWS CLI gives a thumbnail."""
    from PIL import Image
    thumbs_fn = os.path.join(EXAMPLES, "thumbnails", "function")
    p = subprocess.run([os.path.join(EXAMPLES, "thumbnails", "setup.sh")], capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "examples/thumbnails/setup.sh: %s%s" % (p.stdout, p.stderr[-3000:]))
    svc = os.path.join(tmp, "svc")
    os.makedirs(svc)
    for name in os.listdir(thumbs_fn):      # the code beside serverless.yml, as a service holds it
        os.symlink(os.path.join(thumbs_fn, name), os.path.join(svc, name))
    s3_port = free_port()
    yml = """service: thumbnails
frameworkVersion: "3"

custom:
  bucket: photos-${sls:stage}
  fngate:
    s3:
      listen: 127.0.0.1:%d
      root: ../data
      credentials: {access_key: k, secret_key: s3-secret}
    isolation: {enabled: false}

provider:
  name: aws
  runtime: python3.11
  environment:
    THUMBNAIL_BUCKET: thumbnails
  iam:
    role:
      statements:
        - Effect: Allow
          Action:
            - s3:GetObject
          Resource: "arn:aws:s3:::${self:custom.bucket}/*"
        - Effect: Allow
          Action:
            - s3:PutObject
          Resource: "arn:aws:s3:::thumbnails/*"

functions:
  thumbnail:
    handler: thumbs.handler
    timeout: 30
    events:
      - s3:
          bucket: ${self:custom.bucket}
          event: s3:ObjectCreated:*
          rules:
            - suffix: .png
""" % s3_port
    os.makedirs(os.path.join(tmp, "data", "thumbnails"))
    p = validate(write(os.path.join(svc, "serverless.yml"), yml))
    check(re.search(r"s3: bucket photos-dev  \(name thumbnail-s3-1, events created, suffix \.png\)", p.stdout) and
          "role: 2 statement(s)" in p.stdout and "runtime: python3.11" in p.stdout, p.stdout)
    with Gateway(svc, yml, config_name="serverless.yml") as gw:
        check(os.path.isdir(os.path.join(tmp, "data", "photos-dev")), "the s3 event's bucket is made, as the Framework does")
        upload = os.path.join(tmp, "cat.png")
        Image.new("RGB", (640, 480), (200, 30, 30)).save(upload)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s3-secret", AWS_DEFAULT_REGION="us-east-1",
                   HOME=tmp)
        for key in ("cats/notes.txt", "cats/tom.png"):
            p = subprocess.run(["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % s3_port, "s3", "cp", upload,
                                "s3://photos-dev/" + key], capture_output=True, text=True, env=env, timeout=60)
            check(p.returncode == 0, "aws s3 cp: %s %s" % (p.stdout, p.stderr))
        thumb = os.path.join(tmp, "data", "thumbnails", "cats", "tom.jpg")

        def made():
            try:
                with Image.open(thumb) as im:
                    return im.format, im.size
            except (FileNotFoundError, OSError):
                return None
        wait_until(lambda: made() == ("JPEG", (128, 96)), 60, "the thumbnail", made)
        gw.wait_stdout(r"photos-dev/cats/tom\.png: PNG 640x480, \d+ bytes -> thumbnails/cats/tom\.jpg$")
        # the suffix rule: the .txt object (uploaded first) fired nothing
        check("notes.txt" not in gw.stdout(), "suffix .png only:\n" + gw.stdout()[-2000:])


SAM_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: a template with Globals, Parameters and intrinsics
Parameters:
  Stage:
    Type: String
    Default: test
Globals:
  Function:
    Timeout: 5
    Runtime: python3.11
    Tracing: Active
    Environment:
      Variables:
        STAGE: !Ref Stage
        TABLE_NAME: !Ref Orders
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      MemorySize: 256
      Environment:
        Variables:
          QUEUE_ARN: !GetAtt Jobs.Arn
          GREETING: !Sub 'hello from ${AWS::Region} (${Stage}) for ${Orders}'
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
      Events:
        Rest:
          Type: Api
          Properties: {Path: "/rest/{id}", Method: get}
        Http:
          Type: HttpApi
          Properties: {Path: "/http/{id}", Method: get}
        Changes:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST}
  Orders:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: !Sub 'orders-${Stage}'
  Jobs:
    Type: AWS::SQS::Queue
"""

SAM_APP = """import json
import os


def handler(event, context):
    keys = ("STAGE", "TABLE_NAME", "QUEUE_ARN", "GREETING")
    return {"statusCode": 200, "body": json.dumps({"env": {k: os.environ[k] for k in keys},
                                                   "memory": context.memory_limit_in_mb,
                                                   "version": event.get("version"),
                                                   "httpMethod": event.get("httpMethod"),
                                                   "id": (event.get("pathParameters") or {}).get("id")})}
"""


def test_sam_template(tmp):
    tmp = service_dir(tmp)
    write(os.path.join(tmp, "src", "app.py"), SAM_APP)
    write(os.path.join(tmp, "template.yaml"), SAM_TEMPLATE)
    p = validate(os.path.join(tmp, "template.yaml"))
    check("read as: template.yaml (AWS SAM)" in p.stdout, p.stdout)
    warnings = [l for l in p.stderr.splitlines() if ": warning: " in l]
    for needle in ("template.yaml:12:5: warning: Globals.Function.Tracing is not supported by fngate and is ignored",
                   "warning: Policies: DynamoDBCrudPolicy: fngate's roles govern S3 and Lambda actions only",
                   "template.yaml:39:17: warning: event type DynamoDB is not supported by fngate and is ignored"):
        check(any(needle in w for w in warnings), "%r in the warnings:\n%s" % (needle, p.stderr))
    check(len([w for w in warnings if "Tracing" in w]) == 1, "each key once: " + p.stderr)
    with Gateway(tmp, SAM_TEMPLATE, config_name="template.yaml") as gw:
        check("warning: event type DynamoDB is not supported" in gw.stderr(), gw.stderr())
        status, _, body = gw.request("GET", "/rest/42")
        out = json.loads(body)
        check(status == 200 and out["httpMethod"] == "GET" and out["version"] in (None, "1.0") and out["id"] == "42",
              "Api: REST's proxy event (1.0): %s" % body)
        check(out["env"] == {"STAGE": "test", "TABLE_NAME": "orders-test",
                             "QUEUE_ARN": "arn:aws:sqs:us-east-1:000000000000:Jobs",
                             "GREETING": "hello from us-east-1 (test) for orders-test"}, out)
        check(out["memory"] == "256", out)
        status, _, body = gw.request("GET", "/http/7")
        out = json.loads(body)
        check(status == 200 and out["version"] == "2.0" and out["httpMethod"] is None and out["id"] == "7",
              "HttpApi: payload format 2.0: %s" % body)


def served_example(tmp, name, config_name, s3=False):
    """A copy of examples/NAME served on free ports (the example's own are fixed)."""
    dst = os.path.join(tmp, name)
    shutil.copytree(os.path.join(EXAMPLES, name), dst, ignore=shutil.ignore_patterns(".fngate"))
    with open(os.path.join(dst, config_name)) as f:
        text = f.read()
    text = re.sub(r"listen: 127\.0\.0\.1:(3000|3001|9183|9184)\n", "listen: 127.0.0.1:0\n", text)
    port = free_port()
    if s3:
        text = text.replace("listen: 127.0.0.1:9000", "listen: 127.0.0.1:%d" % port)
    return dst, text, port


def test_examples_serverless_and_sam(tmp):
    tmp = service_dir(tmp)
    p = validate(os.path.join(EXAMPLES, "serverless", "serverless.yml"))
    check(p.stderr.count(": warning: ") == 0, "examples/serverless loads without warnings: " + p.stderr)
    dst, text, s3_port = served_example(tmp, "serverless", "serverless.yml", s3=True)
    with Gateway(dst, text, config_name="serverless.yml") as gw:
        status, _, body = gw.request("POST", "/todos", body=b'{"text": "buy milk"}',
                                     headers={"Content-Type": "application/json"})
        check(status == 201 and json.loads(body)["text"] == "buy milk", (status, body))
        status, headers, body = gw.request("GET", "/todos", headers={"Origin": "https://app.example.com"})
        check(status == 200 and json.loads(body)["stage"] == "dev", (status, body))
        check(headers.get("access-control-allow-origin") == "*", "provider.httpApi.cors: true: %s" % headers)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="any", AWS_SECRET_ACCESS_KEY="any", AWS_DEFAULT_REGION="eu-west-1",
                   HOME=tmp)
        write(os.path.join(tmp, "cat.jpg"), "not really a jpeg\n")
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % s3_port, "s3", "cp",
                            os.path.join(tmp, "cat.jpg"), "s3://uploads-dev/cats/cat.jpg"],
                           capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 0, "aws s3 cp: %s %s" % (p.stdout, p.stderr))
        gw.wait_stdout(r"new upload: s3://uploads-dev/cats/cat\.jpg \(18 bytes\)$", 30)
        status, _, body = gw.invoke("cleanup", {"olderThanDays": 3})
        check(status == 200 and json.loads(body) == {"olderThanDays": 3}, body)
    p = validate(os.path.join(EXAMPLES, "sam", "template.yaml"))
    dst, text, _ = served_example(tmp, "sam", "template.yaml")
    with Gateway(dst, text, config_name="template.yaml") as gw:
        status, _, body = gw.request("GET", "/hello")
        check(status == 200 and json.loads(body) == {"message": "hello world from us-east-1 (dev)", "payload": "1.0"},
              (status, body))
        status, _, body = gw.request("GET", "/v2/hello")
        check(status == 200 and json.loads(body)["payload"] == "2.0", (status, body))


def test_runtime_names(tmp):
    """Lambda's runtime identifiers run on the machine's interpreters: python3.12 on Debian
    12's Python 3.11 with one warning naming both (two functions, one warning), an exact
    python3.11 without one, nodejs20.x on node; a language that is not installed stops the
    start, naming the package."""
    write(os.path.join(tmp, "code", "app.py"), "import sys\ndef h(e, c):\n    return list(sys.version_info[:2])\n")
    write(os.path.join(tmp, "code", "index.js"), "exports.h = async () => process.versions.node;\n")
    config = """functions:
  A: {runtime: python3.12, handler: app.h, code: code}
  B: {runtime: python3.12, handler: app.h, code: code}
  C: {runtime: python3.11, handler: app.h, code: code}
  D: {runtime: nodejs20.x, handler: index.h, code: code}
"""
    with Gateway(tmp, config) as gw:
        for name in "ABC":
            status, headers, body = gw.invoke(name, {})
            check(status == 200 and json.loads(body) == [3, 11], (name, status, body))
        status, _, body = gw.invoke("D", {})
        check(status == 200 and json.loads(body).split(".")[0] == "20", body)
        warnings = [l for l in gw.stderr().splitlines() if "is not installed; using" in l]
        check(len(warnings) == 1 and "runtime python3.12: Python 3.12 is not installed; using Python 3.11 "
              "(/usr/bin/python3)" in warnings[0], "one warning naming both versions:\n" + gw.stderr())
    # No node on PATH: refused at validate and at start, naming Debian's package.
    empty = os.path.join(tmp, "empty-path")
    os.makedirs(empty)
    path = os.path.join(tmp, "fngate.yaml")
    p = run_cli("validate", "-c", path, extra_env={"PATH": empty})
    check(p.returncode == 1 and "function D: runtime nodejs20.x needs Node.js ('node' on PATH), which is not "
          "installed (apt install nodejs)" in p.stderr, p.stderr)
    p = run_cli("serve", "-c", path, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                extra_env={"PATH": empty}, timeout=30)
    check(p.returncode != 0 and "apt install nodejs" in p.stderr, p.stderr)

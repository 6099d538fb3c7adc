# SPDX-License-Identifier: MIT
"""The HelloLambda example through its three doors: an HTTP route with curl-like requests,
the Invoke API (raw HTTP and the AWS CLI), and the fngate CLI (remote and --local)."""
import base64
import json
import os
import re
import subprocess

from harness import Gateway, ROOT, check, run_cli, write

HELLO = os.path.join(ROOT, "examples", "hello")
EXPECTED = {"message": "Hello Himanshu, welcome to AWS Lambda!"}


def hello_config(extra=""):
    return """
    service: hello
    functions:
      HelloLambda:
        runtime: python3
        handler: app.lambda_handler
        code: %s
        memory: 128
        timeout: 3
        concurrency: 10
        environment: {GREETING: Hello}
        events:
          - http: {method: GET, path: "/hello/{name}"}
    %s""" % (HELLO, extra)


def test_route(tmp):
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        status, headers, body = gw.request("GET", "/hello/Himanshu")
        check(status == 200, "status %s: %r" % (status, body))
        check(json.loads(body) == EXPECTED, body)
        check(headers.get("content-type") == "application/json", headers)
        check(headers.get("apigw-requestid"), headers)


def test_invoke_api_with_log_tail(tmp):
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        status, headers, body = gw.invoke("HelloLambda", {"name": "Himanshu"}, {"X-Amz-Log-Type": "Tail"})
        check(status == 200, "status %s: %r" % (status, body))
        check(json.loads(body) == EXPECTED, body)
        check(headers.get("x-amz-executed-version") == "$LATEST", headers)
        check("x-amz-function-error" not in headers, headers)
        rid = headers.get("x-amzn-requestid")
        log = base64.b64decode(headers["x-amz-log-result"]).decode()
        check(log.startswith("START RequestId: %s Version: $LATEST\n" % rid), log)
        check("Received a request for Himanshu" in log, log)
        check("END RequestId: %s\n" % rid in log, log)
        check(re.search(r"REPORT RequestId: %s\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB" % rid, log), log)


def test_aws_cli(tmp):
    aws = "/usr/bin/aws"
    check(os.path.exists(aws), "AWS CLI v2 missing at /usr/bin/aws (deploy/install-deps.sh --test installs it)")
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        out = os.path.join(tmp, "out.json")
        base = [aws, "lambda", "invoke", "--endpoint-url", "http://127.0.0.1:%d" % gw.port, "--no-sign-request",
                "--region", "us-east-1"]
        env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", HOME=tmp)
        p = subprocess.run(base + ["--function-name", "HelloLambda", "--cli-binary-format", "raw-in-base64-out",
                                   "--payload", '{"name":"Himanshu"}', "--log-type", "Tail", out],
                           capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 0, "aws failed: %s %s" % (p.stdout, p.stderr))
        meta = json.loads(p.stdout)
        check(meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST", meta)
        check("START RequestId:" in base64.b64decode(meta["LogResult"]).decode(), meta)
        with open(out) as f:
            check(json.load(f) == EXPECTED, "out.json")
        p = subprocess.run(base + ["--function-name", "Nope", out], capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode != 0 and "ResourceNotFoundException" in p.stderr, p.stderr)


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def test_sigv4_signed_invoke_aws_cli_and_boto3(tmp):
    """The AWS CLI and boto3 sign every request by default (SigV4, Authorization header).
    Without invoke_api.credentials on loopback the Invoke API is not authenticated (README):
    signed RequestResponse and Event invokes work with any credentials. The tests check the
    requests really were signed (test_invoke_auth.py checks them against listed keys)."""
    aws = "/usr/bin/aws"
    check(os.path.exists(aws), "AWS CLI missing at /usr/bin/aws (deploy/install-deps.sh --test installs it)")
    try:
        import boto3
        import botocore.config
    except ImportError:
        check(False, "python3-boto3 missing (deploy/install-deps.sh --test installs it)")
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        url = "http://127.0.0.1:%d" % gw.port
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="any-secret", HOME=tmp)
        env.pop("AWS_SESSION_TOKEN", None)
        out = os.path.join(tmp, "out.json")
        base = [aws, "lambda", "invoke", "--endpoint-url", url, "--region", "us-east-1", "--debug",
                "--function-name", "HelloLambda", "--cli-binary-format", "raw-in-base64-out"]
        p = subprocess.run(base + ["--payload", '{"name":"Signed"}', out], capture_output=True, text=True, env=env,
                           timeout=60)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 200,
              "signed aws lambda invoke: %s %s" % (p.stdout, p.stderr[-3000:]))
        check("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" in p.stderr, "the CLI signed its request (SigV4)")
        with open(out) as f:
            check(json.load(f) == {"message": "Hello Signed, welcome to AWS Lambda!"}, "out.json")
        p = subprocess.run(base + ["--invocation-type", "Event", "--payload", '{"name":"SignedEvent"}', out],
                           capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 202,
              "signed aws lambda invoke --invocation-type Event: %s %s" % (p.stdout, p.stderr[-3000:]))
        check("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" in p.stderr, "the CLI signed its Event request")
        gw.wait_stdout(r"Received a request for SignedEvent ", 15)

        signed = []
        client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDBOTO",
                              aws_secret_access_key="another-secret",
                              config=botocore.config.Config(retries={"max_attempts": 1}))
        client.meta.events.register("before-send.lambda.Invoke",
                                    lambda request, **kw: signed.append(_text(request.headers.get("Authorization"))))
        r = client.invoke(FunctionName="HelloLambda", Payload=json.dumps({"name": "Boto"}))
        check(r["StatusCode"] == 200 and "FunctionError" not in r and
              json.loads(r["Payload"].read()) == {"message": "Hello Boto, welcome to AWS Lambda!"},
              "boto3 RequestResponse: %s" % r)
        r = client.invoke(FunctionName="HelloLambda", InvocationType="Event", Payload=json.dumps({"name": "BotoEvent"}))
        check(r["StatusCode"] == 202, "boto3 Event: %s" % r)
        gw.wait_stdout(r"Received a request for BotoEvent ", 15)
        check(len(signed) == 2 and all(a and a.startswith("AWS4-HMAC-SHA256 Credential=AKIDBOTO/") for a in signed),
              "boto3 signed both requests: %s" % signed)


def test_cli_invoke_remote_and_local(tmp):
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port,
                    "--payload", '{"name":"Himanshu"}', "--log-tail")
        check(p.returncode == 0, p.stderr)
        check(json.loads(p.stdout) == EXPECTED, p.stdout)
        check("START RequestId:" in p.stderr and "REPORT RequestId:" in p.stderr, p.stderr)
        payload = write(os.path.join(tmp, "event.json"), '{"name": "Himanshu"}')
        p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port,
                    "--payload", "@" + payload)
        check(p.returncode == 0 and json.loads(p.stdout) == EXPECTED, p.stdout + p.stderr)
        p = run_cli("invoke", "Missing", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port)
        check(p.returncode == 1 and "ResourceNotFoundException" in p.stderr, p.stderr)
    # --local: no server at all.
    p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--local", "--payload", '{"name":"Himanshu"}')
    check(p.returncode == 0, p.stderr)
    check(json.loads(p.stdout) == EXPECTED, p.stdout)
    check("START RequestId:" in p.stderr and "Received a request for Himanshu" in p.stderr, p.stderr)


def test_logs_start_end_report(tmp):
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        ids = []
        for _ in range(2):
            status, headers, body = gw.invoke("HelloLambda", {"name": "Himanshu"})
            check(status == 200, body)
            ids.append(headers["x-amzn-requestid"])
        for i, rid in enumerate(ids):
            gw.wait_stdout(r"REPORT RequestId: %s" % rid)
            out = gw.stdout()
            check("[HelloLambda] START RequestId: %s Version: $LATEST" % rid in out, out)
            check("[HelloLambda] %s\tReceived a request for Himanshu (request %s)" % (rid, rid) in out, out)
            check("[HelloLambda] END RequestId: %s" % rid in out, out)
            m = re.search(r"REPORT RequestId: %s\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t"
                          r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB(\tInit Duration: ([\d.]+) ms)?$" % rid, out, re.M)
            check(m, out)
            check(0 < int(m.group(3)) <= 128, "max memory used %s" % m.group(3))
            check(int(m.group(2)) >= float(m.group(1)), "billed >= duration")
            # Only the cold start reports Init Duration.
            check(bool(m.group(4)) == (i == 0), "Init Duration on invocation %d: %s" % (i, m.group(0)))


def test_json_log_format(tmp):
    with Gateway(tmp, hello_config(), args=["--log-format", "json"], isolated=True) as gw:
        status, headers, _ = gw.invoke("HelloLambda", {"name": "J"})
        check(status == 200, status)
        rid = headers["x-amzn-requestid"]
        gw.wait_stdout(r'"type":"platform.report"')
        recs = [json.loads(line) for line in gw.stdout().splitlines()]
        types = [r["type"] for r in recs]
        check(types == ["platform.start", "function", "platform.report"], types)
        check(recs[0]["record"]["requestId"] == rid and recs[1]["requestId"] == rid, recs)
        metrics = recs[2]["record"]["metrics"]
        check(metrics["memorySizeMB"] == 128 and metrics["maxMemoryUsedMB"] > 0 and "initDurationMs" in metrics, metrics)

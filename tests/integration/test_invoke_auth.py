# SPDX-License-Identifier: MIT
"""Who may call the Invoke API: with invoke_api.credentials the real AWS CLI (and boto3, and
`fngate invoke`) must sign with a listed key; a wrong secret, an unknown key, an unsigned
call, a request signed 16 minutes off or a body other than the one signed are refused with
Lambda's errors and run nothing. Without keys on loopback, `aws lambda invoke
--no-sign-request` works, but a browser's request (Origin) and a Host that is a name (DNS
rebinding) are refused. A front door off loopback does not start without keys unless
`invoke_api.auth: none` is written; `invoke_api.enabled: false` makes the paths unknown
routes."""
import json
import os
import subprocess
import time

from harness import Gateway, ROOT, check, run_cli, sigv4_headers, write

HELLO = os.path.join(ROOT, "examples", "hello")
INVOKE = "/2015-03-31/functions/%s/invocations"
KEY, SECRET = "AKIDFNGATETEST", "fngate-test-secret"
KEY2, SECRET2 = "AKIDSECONDKEY", "second-secret"


def config(extra=""):
    return """
    functions:
      HelloLambda:
        runtime: python3
        handler: app.lambda_handler
        code: %s
        events:
          - http: GET /hello/{name}
    %s""" % (HELLO, extra)


KEYS = """invoke_api:
      credentials:
        - {access_key: %s, secret_key: %s}
        - {access_key: %s, secret_key_file: second.secret}
""" % (KEY, SECRET, KEY2)


def aws(gw, tmp, *args, key=KEY, secret=SECRET, region="us-east-1"):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=region,
               HOME=tmp, AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run(["/usr/bin/aws", "lambda", "invoke", "--endpoint-url", "http://127.0.0.1:%d" % gw.port,
                           "--cli-binary-format", "raw-in-base64-out"] + list(args),
                          capture_output=True, text=True, env=env, timeout=120)


def ran(gw, name):
    """Whether HelloLambda logged a request for name."""
    return "Received a request for %s " % name in gw.stdout()


def signed(gw, name, body, when=None, key=KEY, secret=SECRET, headers=None, send_body=None):
    """A raw Invoke of name signed for lambda at when (epoch seconds); send_body replaces the
    body after signing. Returns status, headers, body."""
    path = INVOKE % name
    h = sigv4_headers("POST", path, "", "127.0.0.1:%d" % gw.port, body, headers, key, secret, "lambda",
                      "eu-west-3", when)
    return gw.request("POST", path, send_body if send_body is not None else body, h)


def refused(status, headers, body, code, message):
    """Lambda's refusal: 403 (or 400), the type in x-amzn-ErrorType, {"message"} as body."""
    check(headers.get("x-amzn-errortype") == code and json.loads(body).get("message", "").startswith(message),
          "expected %s '%s...', got %d %s %r" % (code, message, status, headers.get("x-amzn-errortype"), body))
    return True


def test_aws_cli_needs_a_listed_key(tmp):
    write(os.path.join(tmp, "second.secret"), SECRET2 + "\n", 0o600)
    with Gateway(tmp, config(KEYS)) as gw:
        out = os.path.join(tmp, "out.json")
        p = aws(gw, tmp, "--function-name", "HelloLambda", "--payload", '{"name":"Signed"}', out)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 200, "signed: %s %s" % (p.stdout, p.stderr))
        with open(out) as f:
            check(json.load(f) == {"message": "Hello Signed, welcome to AWS Lambda!"}, "out.json")
        # The second key, its secret read from a file, signing for another region.
        p = aws(gw, tmp, "--function-name", "HelloLambda", "--payload", '{"name":"Second"}', out, key=KEY2,
                secret=SECRET2, region="ap-southeast-2")
        check(p.returncode == 0, "second key: %s %s" % (p.stdout, p.stderr))
        p = aws(gw, tmp, "--function-name", "HelloLambda", "--invocation-type", "Event", "--payload",
                '{"name":"SignedEvent"}', out)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 202, "signed Event: %s %s" % (p.stdout, p.stderr))
        gw.wait_stdout(r"Received a request for SignedEvent ", 15)

        p = aws(gw, tmp, "--function-name", "HelloLambda", "--payload", '{"name":"WrongSecret"}', out, secret="nope")
        check(p.returncode != 0 and "InvalidSignatureException" in p.stderr and
              "The request signature we calculated does not match" in p.stderr, "wrong secret: %s" % p.stderr)
        p = aws(gw, tmp, "--function-name", "HelloLambda", "--payload", '{"name":"Stranger"}', out, key="AKIDSTRANGER")
        check(p.returncode != 0 and "UnrecognizedClientException" in p.stderr and
              "The security token included in the request is invalid." in p.stderr, "unknown key: %s" % p.stderr)
        p = aws(gw, tmp, "--no-sign-request", "--function-name", "HelloLambda", "--payload", '{"name":"Unsigned"}', out)
        check(p.returncode != 0 and "MissingAuthenticationTokenException" in p.stderr, "unsigned: %s" % p.stderr)

        # Raw: an unsigned call is 403 whether the function exists or not (nothing to probe).
        for name in ("HelloLambda", "NoSuchFunction"):
            status, headers, body = gw.invoke(name, {"name": "Raw"})
            check(status == 403, "unsigned raw %s: %d %r" % (name, status, body))
            refused(status, headers, body, "MissingAuthenticationTokenException", "Missing Authentication Token")
        status, headers, body = signed(gw, "NoSuchFunction", b"{}")
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", (status, body))

        # boto3, and `fngate invoke` (which signs with the config's first key).
        import boto3
        import botocore.config
        client = boto3.client("lambda", endpoint_url="http://127.0.0.1:%d" % gw.port, region_name="sa-east-1",
                              aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                              config=botocore.config.Config(retries={"max_attempts": 1}))
        r = client.invoke(FunctionName="HelloLambda", Payload=json.dumps({"name": "Boto"}))
        check(r["StatusCode"] == 200 and json.loads(r["Payload"].read())["message"].startswith("Hello Boto"), r)
        r = client.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:HelloLambda:$LATEST",
                          Payload=json.dumps({"name": "BotoArn"}))
        check(r["StatusCode"] == 200, "a qualified ARN (its ':' and '$' signed encoded twice): %s" % r)
        cli_env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
        p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port,
                    "--payload", '{"name":"FngateCli"}', extra_env=cli_env)
        check(p.returncode == 0 and "Hello FngateCli" in p.stdout, "fngate invoke: %s %s" % (p.stdout, p.stderr))
        p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port,
                    "--payload", '{"name":"FngateEnv"}',
                    extra_env={"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": "not-it"})
        check(p.returncode == 1 and "InvalidSignatureException" in p.stderr, "fngate invoke, env key: %s" % p.stderr)

        gw.wait_stdout(r"Received a request for FngateCli ", 15)
        for name in ("WrongSecret", "Stranger", "Unsigned", "Raw", "FngateEnv"):
            check(not ran(gw, name), "a refused call ran the function (%s)" % name)


def test_signed_time_and_body(tmp):
    """A signature is good for 15 minutes either way of fngate's clock, for the body signed."""
    with Gateway(tmp, config(KEYS.replace("secret_key_file: second.secret", "secret_key: x"))) as gw:
        now = time.time()
        status, headers, body = signed(gw, "HelloLambda", b'{"name":"Late"}', when=now - 16 * 60)
        check(status == 403, (status, body))
        refused(status, headers, body, "InvalidSignatureException", "Signature expired: ")
        check("- 15 min.)" in json.loads(body)["message"], body)
        status, headers, body = signed(gw, "HelloLambda", b'{"name":"Early"}', when=now + 16 * 60)
        check(status == 403, (status, body))
        refused(status, headers, body, "InvalidSignatureException", "Signature not yet current: ")
        for when, name in ((now - 14 * 60, "FourteenBefore"), (now + 14 * 60, "FourteenAfter")):
            status, _, body = signed(gw, "HelloLambda", json.dumps({"name": name}).encode(), when=when)
            check(status == 200 and name.encode() in body, (name, status, body))
        # The body is part of what was signed (botocore sends no x-amz-content-sha256 for lambda).
        status, headers, body = signed(gw, "HelloLambda", b'{"name":"Signed"}', send_body=b'{"name":"Swapped"}')
        check(status == 403, (status, body))
        refused(status, headers, body, "InvalidSignatureException", "The request signature we calculated")
        status, headers, body = signed(gw, "HelloLambda", b'{"name":"Hashed"}', headers={
            "x-amz-content-sha256": "0" * 64})
        refused(status, headers, body, "InvalidSignatureException", "The provided 'x-amz-content-sha256' header")
        # Signed for S3 with the right key: the scope names another service.
        path = INVOKE % "HelloLambda"
        h = sigv4_headers("POST", path, "", "127.0.0.1:%d" % gw.port, b"{}", None, KEY, SECRET, "s3")
        status, headers, body = gw.request("POST", path, b"{}", h)
        refused(status, headers, body, "InvalidSignatureException", "Credential should be scoped to correct service")
        # A signed browser request is still a browser's.
        status, headers, body = signed(gw, "HelloLambda", b'{"name":"Browser"}',
                                       headers={"Origin": "http://127.0.0.1:%d" % gw.port})
        refused(status, headers, body, "AccessDeniedException", "fngate does not take Invoke API calls from web browsers")
        gw.wait_stdout(r"Received a request for FourteenAfter ", 15)
        for name in ("Late", "Early", "Swapped", "Signed", "Hashed", "Browser"):
            check(not ran(gw, name), "a refused call ran the function (%s)" % name)


def test_loopback_without_keys(tmp):
    """No keys on loopback: unsigned calls work (make run, the examples); browsers and
    DNS-rebinding Hosts do not get through."""
    with Gateway(tmp, config()) as gw:
        out = os.path.join(tmp, "out.json")
        p = aws(gw, tmp, "--no-sign-request", "--function-name", "HelloLambda", "--payload", '{"name":"NoSign"}', out)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 200, "--no-sign-request: %s" % p.stderr)
        with open(out) as f:
            check(json.load(f) == {"message": "Hello NoSign, welcome to AWS Lambda!"}, "out.json")
        # The probe: a page on attacker.example rebinds its name to 127.0.0.1 and POSTs a
        # "simple" request (text/plain needs no CORS preflight).
        probe = {"Content-Type": "text/plain", "Origin": "http://attacker.example",
                 "Host": "attacker.example:%d" % gw.port}
        status, headers, body = gw.invoke("HelloLambda", {"name": "Rebound"}, probe)
        check(status == 403, (status, body))
        refused(status, headers, body, "AccessDeniedException", "fngate does not take Invoke API calls from web browsers")
        for h, name in (({"Content-Type": "text/plain", "Host": "attacker.example"}, "NoOrigin"),
                        ({"Host": "attacker.example:%d" % gw.port}, "NameHost")):
            status, headers, body = gw.invoke("HelloLambda", {"name": name}, h)
            check(status == 403, (name, status, body))
            refused(status, headers, body, "AccessDeniedException", "Host 'attacker.example")
        for h, name in (({"Origin": "http://127.0.0.1:%d" % gw.port, "Content-Type": "text/plain"}, "SameOrigin"),
                        ({"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, "Form")):
            status, headers, body = gw.invoke("HelloLambda", {"name": name}, h)
            check(status == 403, (name, status, body))
            refused(status, headers, body, "AccessDeniedException", "fngate does not take Invoke API calls")
        # Clients that are not browsers are fine, whatever their content type or Host form.
        for h, name in (({"Content-Type": "text/plain"}, "Curl"), ({"Host": "localhost:%d" % gw.port}, "Localhost")):
            status, _, body = gw.invoke("HelloLambda", {"name": name}, h)
            check(status == 200 and name.encode() in body, (name, status, body))
        # Routes are not the Invoke API: a browser may call them.
        status, _, body = gw.request("GET", "/hello/Page", headers={"Origin": "http://attacker.example"})
        check(status == 200, (status, body))
        for name in ("Rebound", "NoOrigin", "NameHost", "SameOrigin", "Form"):
            check(not ran(gw, name), "a refused call ran the function (%s)" % name)


def test_off_loopback_needs_keys_or_auth_none(tmp):
    cfg = write(os.path.join(tmp, "fngate.yaml"), config())
    p = run_cli("serve", "-c", cfg, "--listen", "0.0.0.0:0", timeout=30)
    check(p.returncode == 1 and "listening on" not in p.stderr, "serve --listen 0.0.0.0:0: %d %s" % (p.returncode, p.stderr))
    check("--listen 0.0.0.0:0 is not loopback" in p.stderr and "invoke_api.credentials" in p.stderr and
          "invoke_api.auth: none" in p.stderr, p.stderr)
    open_cfg = write(os.path.join(tmp, "open.yaml"), config('gateway: {listen: "0.0.0.0:8080"}'))
    with open(open_cfg) as f:
        line = 1 + [i for i, text in enumerate(f) if text.startswith("gateway:")][0]
    for verb in (["validate", "-c", open_cfg], ["serve", "-c", open_cfg]):
        p = run_cli(*verb, timeout=30)
        check(p.returncode == 1 and "listening on" not in p.stderr and
              "open.yaml:%d:20: gateway.listen 0.0.0.0:8080 is not loopback" % line in p.stderr,
              "%s: %s" % (verb[0], p.stderr))
    # --listen on loopback over that file: fine (the address bound decides).
    with Gateway(tmp, config('gateway: {listen: "0.0.0.0:8080"}')) as gw:
        status, _, _ = gw.invoke("HelloLambda", {"name": "Loop"})
        check(status == 200, status)
    # auth none written: it starts, says so, and takes unsigned calls for any Host; still no browsers.
    with Gateway(tmp, config("invoke_api: {auth: none}"), args=["--listen", "0.0.0.0:0"]) as gw:
        check("the Invoke API on http://0.0.0.0:%d takes unauthenticated calls" % gw.port in gw.stderr(), gw.stderr())
        status, _, body = gw.invoke("HelloLambda", {"name": "Lan"}, {"Host": "fngate.lan:%d" % gw.port})
        check(status == 200, (status, body))
        status, _, body = gw.invoke("HelloLambda", {"name": "LanBrowser"}, {"Origin": "http://attacker.example"})
        check(status == 403, (status, body))
    # Keys: it starts, and asks for signatures.
    with Gateway(tmp, config(KEYS.replace("secret_key_file: second.secret", "secret_key: x")),
                 args=["--listen", "0.0.0.0:0"]) as gw:
        status, headers, body = gw.invoke("HelloLambda", {"name": "LanUnsigned"})
        refused(status, headers, body, "MissingAuthenticationTokenException", "Missing Authentication Token")
        status, _, body = signed(gw, "HelloLambda", b'{"name":"LanSigned"}')
        check(status == 200, (status, body))


def test_invoke_api_disabled(tmp):
    """enabled: false: the Invoke API's paths are unknown routes, answered as the front door
    answers any (unsigned or signed alike)."""
    with Gateway(tmp, config("invoke_api: {enabled: false}")) as gw:
        status, headers, body = gw.invoke("HelloLambda", {"name": "Off"})
        check(status == 404 and json.loads(body) == {"message": "Not Found"} and "x-amzn-errortype" not in headers,
              (status, headers, body))
        status, _, body = gw.request("GET", "/hello/On")
        check(status == 200, (status, body))
        p = run_cli("invoke", "HelloLambda", "-c", gw.config, "--endpoint", "http://127.0.0.1:%d" % gw.port)
        check(p.returncode == 1 and "404" in p.stderr, p.stderr)
    with Gateway(tmp, config("invoke_api: {enabled: false}\n    gateway: {listen: \"0.0.0.0:0\"}"),
                 args=["--listen", "0.0.0.0:0"]) as gw:
        status, _, _ = gw.invoke("HelloLambda", {"name": "Off"})
        check(status == 404, status)

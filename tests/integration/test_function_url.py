# SPDX-License-Identifier: MIT
"""Function URLs (`url:` on a function): reached by Host NAME.lambda-url.localhost, by AWS's
URL-ID.lambda-url.REGION.on.aws and by the path /_fngate/url/NAME/, before any route (a
`$default` route never sees them); the function gets Lambda's function URL event (routeKey
$default, rawPath without the prefix, domainName and apiId of the URL, accountId anonymous,
no pathParameters); a function error is Lambda's 502; a function without a URL is 404 on
every form. `aws lambda get-function-url-config` prints a FunctionUrl that curl reaches.
AWS_IAM: a request botocore's SigV4Auth signed (service lambda) with an invoke_api key, or
with a function role's credentials allowed lambda:InvokeFunctionUrl, runs with
requestContext.authorizer.iam; unsigned, a wrong secret or a role without the permission
get Lambda's 403 and run nothing."""
import json
import os
import re
import signal
import subprocess

from harness import Gateway, check, run_cli, wait_until, write

KEY, SECRET = "AKIDFURLTEST", "furl-test-secret"
FORBIDDEN = {"Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
                        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}

APP = """
import json, os

def echo(event, context):
    print("url event for " + event["rawPath"])
    return {"statusCode": 201, "headers": {"content-type": "application/json", "x-echo": "yes"},
            "body": json.dumps(event)}

def boom(event, context):
    raise ValueError("no good")

def creds(event, context):
    return {k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
"""


def fn(name, handler, extra=""):
    return """
  %s:
    runtime: python3
    handler: app.%s
    code: code%s""" % (name, handler, extra)


def setup(tmp, functions, top=""):
    write(os.path.join(tmp, "code", "app.py"), APP)
    return "%s\nfunctions:%s\n" % (top, "".join(functions))


def event_of(status, headers, body):
    check(status == 201 and headers.get("x-echo") == "yes", "expected the function's 201, got %d %r" % (status, body))
    return json.loads(body)


def aws(gw, tmp, *args, sign=False):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               HOME=tmp, AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run(["/usr/bin/aws", "lambda", "--endpoint-url", "http://127.0.0.1:%d" % gw.port] +
                          ([] if sign else ["--no-sign-request"]) + list(args),
                          capture_output=True, text=True, env=env, timeout=120)


def url_id(event):
    rc = event["requestContext"]
    check(re.fullmatch(r"[a-z0-9]{32}", rc["apiId"] or "") and rc["domainPrefix"] == rc["apiId"] and
          rc["domainName"] == rc["apiId"] + ".lambda-url.us-east-1.on.aws", "url-id and domain: %r" % rc)
    return rc["apiId"]


def test_function_url_none(tmp):
    config = setup(tmp, [fn("Echo", "echo", "\n    url: true"), fn("Boom", "boom", "\n    url: {auth_type: NONE}"),
                         fn("Plain", "echo", "\n    events:\n      - http: $default")])
    with Gateway(tmp, config) as gw:
        host = "Echo.lambda-url.localhost:%d" % gw.port
        # The Host form: the whole path is the function's.
        status, headers, body = gw.request("GET", "/a/b%20c?x=1&x=2&y=%C3%A9", None,
                                           {"Host": host, "Cookie": "s=1; t=2", "User-Agent": "furl-test"})
        ev = event_of(status, headers, body)
        check(ev["version"] == "2.0" and ev["routeKey"] == "$default" and ev["rawPath"] == "/a/b%20c" and
              ev["rawQueryString"] == "x=1&x=2&y=%C3%A9" and ev["cookies"] == ["s=1", "t=2"] and
              ev["queryStringParameters"] == {"x": "1,2", "y": "\u00e9"} and ev["headers"]["host"] == host and
              ev["isBase64Encoded"] is False and "body" not in ev, "event: %r" % ev)
        check("pathParameters" not in ev and "stageVariables" not in ev, "no route fields: %r" % ev)
        rc = ev["requestContext"]
        check(rc["accountId"] == "anonymous" and rc["routeKey"] == "$default" and rc["stage"] == "$default" and
              "authorizer" not in rc and rc["http"] == {"method": "GET", "path": "/a/b%20c", "protocol": "HTTP/1.1",
                                                        "sourceIp": "127.0.0.1", "userAgent": "furl-test"} and
              rc["requestId"] == headers.get("x-amzn-requestid") and isinstance(rc["timeEpoch"], int),
              "requestContext: %r" % rc)
        uid = url_id(ev)
        # Any case (browsers lower-case host names); the path prefix; AWS's host form.
        check(event_of(*gw.request("GET", "/", None, {"Host": "echo.lambda-url.localhost"}))["rawPath"] == "/",
              "lower-case host")
        ev = event_of(*gw.request("POST", "/_fngate/url/Echo/p/q?z=1", b"hello", {"Content-Type": "text/plain"}))
        check(ev["rawPath"] == "/p/q" and ev["rawQueryString"] == "z=1" and ev["body"] == "hello" and
              ev["requestContext"]["http"]["path"] == "/p/q" and url_id(ev) == uid, "path prefix: %r" % ev)
        check(event_of(*gw.request("GET", "/_fngate/url/Echo", None))["rawPath"] == "/", "the prefix alone")
        ev = event_of(*gw.request("PUT", "/r", b"{}", {"Host": uid + ".lambda-url.us-east-1.on.aws"}))
        check(ev["rawPath"] == "/r" and ev["requestContext"]["http"]["method"] == "PUT", "AWS host form: %r" % ev)

        # A function error is Lambda's bare 502; the details stay in the log.
        status, headers, body = gw.request("GET", "/", None, {"Host": "Boom.lambda-url.localhost"})
        check(status == 502 and body == b"Internal Server Error", "Boom: %d %r" % (status, body))
        wait_until(lambda: "function URL: function Boom request %s failed: ValueError: no good"
                   % headers["x-amzn-requestid"] in gw.stderr(), 10, "the error in fngate's log")

        # No url: 404 by Host and by path, and the $default route does not take them.
        for h, path in (("Plain.lambda-url.localhost", "/x"), ("Nope.lambda-url.localhost", "/x"),
                        (None, "/_fngate/url/Plain/x"), (None, "/_fngate/url/"), ("x.lambda-url.eu-west-1.on.aws", "/")):
            status, _, body = gw.request("GET", path, None, {"Host": h} if h else {})
            check(status == 404 and json.loads(body) == {"Message": None}, "%s %s: %d %r" % (h, path, status, body))
        check(event_of(*gw.request("GET", "/x", None))["routeKey"] == "$default", "the $default route still serves other paths")
        gw.wait_stdout(r"url event for /x")    # the function log is written after the answer
        check(open(gw.stdout_path).read().count("url event for /x") == 1, "no URL request reached the route")

        # get-function-url-config prints a URL that works (curl resolves *.localhost itself).
        p = aws(gw, tmp, "get-function-url-config", "--function-name", "Echo")
        check(p.returncode == 0, "get-function-url-config: %s %s" % (p.stdout, p.stderr))
        cfg = json.loads(p.stdout)
        check(cfg["FunctionUrl"] == "http://Echo.lambda-url.localhost:%d/" % gw.port and cfg["AuthType"] == "NONE" and
              cfg["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:Echo" and
              re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", cfg["CreationTime"]), "config: %r" % cfg)
        out = subprocess.run(["curl", "-sS", "--max-time", "20", cfg["FunctionUrl"] + "via/curl?q=1"],
                             capture_output=True, text=True, timeout=30)
        ev = json.loads(out.stdout)
        check(ev["rawPath"] == "/via/curl" and ev["rawQueryString"] == "q=1", "curl: %s %s" % (out.stdout, out.stderr))
        p = aws(gw, tmp, "get-function-url-config", "--function-name", "Plain")
        check(p.returncode != 0 and "ResourceNotFoundException" in p.stderr and
              "The resource you requested does not exist." in p.stderr, "no url: %s" % p.stderr)
        p = aws(gw, tmp, "list-function-url-configs", "--function-name", "Boom")
        check(p.returncode == 0 and [c["FunctionUrl"] for c in json.loads(p.stdout)["FunctionUrlConfigs"]] ==
              ["http://Boom.lambda-url.localhost:%d/" % gw.port], "list: %s %s" % (p.stdout, p.stderr))


def signed(gw, method, url, host, body=b"", key=KEY, secret=SECRET, token=None):
    """A request signed as SDK users sign function URL calls: botocore's SigV4Auth, service
    lambda; sent to the gateway with host as the Host header."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url="http://%s%s" % (host, url), data=body)
    SigV4Auth(Credentials(key, secret, token), "lambda", "us-east-1").add_auth(req)
    headers = dict(req.headers.items())
    headers["Host"] = host
    return gw.request(method, url, body or None, headers)


def test_function_url_aws_iam(tmp):
    allow = """
    role:
      statements:
        - {effect: Allow, action: lambda:InvokeFunctionUrl, resource: "arn:aws:lambda:*:*:function:Iam"}"""
    config = setup(tmp, [fn("Iam", "echo", "\n    url: {auth_type: AWS_IAM}"), fn("Caller", "creds", allow),
                         fn("Stranger", "creds")],
                   "invoke_api:\n  credentials:\n    - {access_key: %s, secret_key: %s}" % (KEY, SECRET))
    with Gateway(tmp, config) as gw:
        host = "iam.lambda-url.localhost:%d" % gw.port     # botocore signs the host lower-cased
        ev = event_of(*signed(gw, "GET", "/a?x=1", host))
        iam = ev["requestContext"].get("authorizer", {}).get("iam")
        check(iam == {"accessKey": KEY, "accountId": "000000000000", "callerId": KEY, "cognitoIdentity": None,
                      "principalOrgId": None, "userArn": "arn:aws:iam::000000000000:user/" + KEY, "userId": KEY} and
              ev["requestContext"]["accountId"] == "000000000000" and ev["rawPath"] == "/a", "iam: %r" % ev)
        # Signed through the path prefix, with a body: the path as sent is what is signed.
        ev = event_of(*signed(gw, "POST", "/_fngate/url/Iam/b", "127.0.0.1:%d" % gw.port, b'{"k":1}'))
        check(ev["rawPath"] == "/b" and ev["body"] == '{"k":1}', "signed POST: %r" % ev)

        def refused(status, headers, body, what):
            check(status == 403 and headers.get("x-amzn-errortype") == "AccessDeniedException" and
                  json.loads(body) == FORBIDDEN, "%s: %d %r %r" % (what, status, headers, body))

        refused(*gw.request("GET", "/unsigned", None, {"Host": host}), "unsigned")
        refused(*signed(gw, "GET", "/wrong", host, secret="not-the-secret"), "wrong secret")
        refused(*signed(gw, "GET", "/unknown", host, key="AKIDNOTLISTED"), "unknown key")
        refused(*gw.request("GET", "/_fngate/url/Iam/unsigned2", None), "unsigned by path")

        # A function's role credentials: allowed lambda:InvokeFunctionUrl on Iam, or not.
        invoke = "/2015-03-31/functions/%s/invocations"
        status, _, body = signed(gw, "POST", invoke % "Caller", "127.0.0.1:%d" % gw.port, b"{}")
        check(status == 200, "Caller: %d %r" % (status, body))
        c = json.loads(body)
        ev = event_of(*signed(gw, "GET", "/role", host, key=c["AWS_ACCESS_KEY_ID"], secret=c["AWS_SECRET_ACCESS_KEY"],
                              token=c["AWS_SESSION_TOKEN"]))
        iam = ev["requestContext"]["authorizer"]["iam"]
        check(iam["accessKey"] == c["AWS_ACCESS_KEY_ID"] and
              iam["userArn"] == "arn:aws:sts::000000000000:assumed-role/Caller-role/Caller", "role iam: %r" % iam)
        status, _, body = signed(gw, "POST", invoke % "Stranger", "127.0.0.1:%d" % gw.port, b"{}")
        c = json.loads(body)
        refused(*signed(gw, "GET", "/stranger", host, key=c["AWS_ACCESS_KEY_ID"], secret=c["AWS_SECRET_ACCESS_KEY"],
                        token=c["AWS_SESSION_TOKEN"]), "a role without lambda:InvokeFunctionUrl")
        out = open(gw.stdout_path).read()
        for path in ("/unsigned", "/wrong", "/unknown", "/unsigned2", "/stranger"):
            check("url event for %s\n" % path not in out, "%s ran the function" % path)

        # get-function-url-config signed by the AWS CLI (the Invoke API's keys apply).
        p = aws(gw, tmp, "get-function-url-config", "--function-name", "Iam", sign=True)
        check(p.returncode == 0 and json.loads(p.stdout)["AuthType"] == "AWS_IAM", "%s %s" % (p.stdout, p.stderr))
        p = aws(gw, tmp, "get-function-url-config", "--function-name", "Iam")
        check(p.returncode != 0 and "MissingAuthenticationTokenException" in p.stderr, "unsigned: %s" % p.stderr)
    # `fngate validate` shows the URL
    p = run_cli("validate", "-c", os.path.join(tmp, "fngate.yaml"))
    check("    url: http://Iam.lambda-url.localhost:8080/ (or /_fngate/url/Iam/), auth AWS_IAM\n" in p.stdout,
          "validate: %s %s" % (p.stdout, p.stderr))


def test_function_url_reload(tmp):
    """A reload adds and removes a URL; the function's workers stay (url: applies in place)."""
    config = setup(tmp, [fn("Echo", "echo")])
    with Gateway(tmp, config) as gw:
        host = {"Host": "Echo.lambda-url.localhost"}
        check(gw.request("GET", "/", None, host)[0] == 404, "no url yet")
        check(gw.request("POST", "/2015-03-31/functions/Echo/invocations", b"{}")[0] == 200, "a warm worker")
        for text, status in ((fn("Echo", "echo", "\n    url: true"), 201), (fn("Echo", "echo"), 404)):
            before = gw.stderr().count("reloaded ")
            write(gw.config, setup(tmp, [text]) + "isolation: {enabled: false}\n")
            gw.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
            line = [l for l in gw.stderr().splitlines() if "reloaded " in l][-1]
            check("0 changed (new workers)" in line, "the reload's summary: %s" % line)
            got = gw.request("GET", "/after", None, host)[0]
            check(got == status, "after the reload: %d, expected %d" % (got, status))
        check(open(gw.stdout_path).read().count("Init Duration") == 1, "one cold start: the worker was kept")

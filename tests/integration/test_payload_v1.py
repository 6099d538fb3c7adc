# SPDX-License-Identifier: MIT
"""Payload format 1.0 through the real gateway (triggers/apigw_v1.h): a route with
payload_format 1.0 gets the REST API proxy event (headers and multiValueHeaders, repeated
query keys, path parameters, base64 bodies), its multiValueHeaders answer reaches the
client, an unusable 1.0 answer is API Gateway's 500, and a 2.0 route beside it is
unchanged."""
import base64
import http.client
import json
import os

from harness import Gateway, check, run_cli, write

APP = """
import json

def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}

def multi(event, context):
    return {"statusCode": 201, "headers": {"X-Single": "s", "Set-Cookie": "ignored=1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2"], "X-Multi": ["x", "y"]},
            "body": "made"}

def no_status(event, context):
    return {"message": "a 2.0 handler's answer"}
"""


def config(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), APP)
    fn = "  %s:\n    runtime: python3\n    handler: app.%s\n    code: " + code + "\n    events:\n%s"
    return "functions:\n" + \
        fn % ("V1", "echo", "      - http: {method: ANY, path: '/v1/{id}/{rest+}', payload_format: 1.0}\n") + \
        fn % ("V2", "echo", "      - http: {method: ANY, path: '/v2/{id}', payload_format: '2.0'}\n") + \
        fn % ("Multi", "multi", "      - http: {method: GET, path: /multi, payload_format: '1.0'}\n") + \
        fn % ("NoStatus", "no_status", "      - http: {method: GET, path: /nostatus, payload_format: '1.0'}\n"
                                       "      - http: GET /nostatus2\n")


def exchange(gw, method, path, headers, body=None):
    """One request with headers as a list of pairs (names may repeat); status, header pairs, body."""
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


def test_v1_event_beside_v2(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        hdrs = [("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2"), ("X-Forwarded-Proto", "https"),
                ("Cookie", "s=1; t=2"), ("User-Agent", "ua/1")]
        status, _, body = exchange(gw, "GET", "/v1/a%20b/x/y?parameter1=value1&parameter1=value2&parameter2=value", hdrs)
        check(status == 200, (status, body))
        ev = json.loads(body)
        check(ev["version"] == "1.0" and ev["httpMethod"] == "GET" and ev["resource"] == "/v1/{id}/{rest+}" and
              ev["path"] == "/v1/a%20b/x/y", ev)
        h, mh = ev["headers"], ev["multiValueHeaders"]
        check(h["Header1"] == "value1" and h["Header2"] == "value2" and h["Cookie"] == "s=1; t=2" and
              h["X-Forwarded-Proto"] == "https", h)
        check(mh["Header2"] == ["value1", "value2"] and mh["Header1"] == ["value1"], mh)
        check(ev["queryStringParameters"] == {"parameter1": "value2", "parameter2": "value"}, ev)
        check(ev["multiValueQueryStringParameters"] == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}, ev)
        check(ev["pathParameters"] == {"id": "a b", "rest": "x/y"}, ev)
        check(ev["stageVariables"] is None and ev["body"] is None and ev["isBase64Encoded"] is False, ev)
        check("cookies" not in ev and "routeKey" not in ev and "rawPath" not in ev, ev)
        rc = ev["requestContext"]
        check(rc["httpMethod"] == "GET" and rc["resourcePath"] == "/v1/{id}/{rest+}" and rc["stage"] == "$default" and
              rc["resourceId"] == "ANY /v1/{id}/{rest+}" and rc["path"] == "/v1/a%20b/x/y" and
              rc["protocol"] == "HTTP/1.1" and rc["requestId"] == rc["extendedRequestId"] and
              isinstance(rc["requestTimeEpoch"], int) and rc["accountId"] == "000000000000", rc)
        ident = rc["identity"]
        check(ident["sourceIp"] == "127.0.0.1" and ident["userAgent"] == "ua/1" and ident["user"] is None and
              ident["accessKey"] is None and ident["cognitoIdentityId"] is None and ident["caller"] is None, ident)
        # A binary body arrives base64-encoded.
        raw = b"\x89PNG\x00\x01\xff"
        status, _, body = exchange(gw, "POST", "/v1/1/z", [("Content-Type", "application/octet-stream")], raw)
        ev = json.loads(body)
        check(status == 200 and ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == raw and
              ev["httpMethod"] == "POST" and ev["queryStringParameters"] is None, ev)
        # The 2.0 route beside it: HTTP API's event, unchanged.
        status, _, body = exchange(gw, "GET", "/v2/7?a=1&a=2", hdrs)
        ev = json.loads(body)
        check(status == 200 and ev["version"] == "2.0" and ev["routeKey"] == "ANY /v2/{id}" and
              ev["headers"]["header2"] == "value1,value2" and ev["queryStringParameters"] == {"a": "1,2"} and
              ev["cookies"] == ["s=1", "t=2"] and "multiValueHeaders" not in ev, ev)


def test_v1_answers(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = exchange(gw, "GET", "/multi", [])
        check(status == 201 and body == b"made", (status, body))
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        check(cookies == ["a=1; Path=/", "b=2"], headers)
        check([v for k, v in headers if k.lower() == "x-multi"] == ["x", "y"], headers)
        check([v for k, v in headers if k.lower() == "x-single"] == ["s"], headers)
        # Without statusCode a 1.0 answer is unusable (an HTTP API answers 500); through a 2.0
        # route the same answer is a 200 with the JSON as body.
        status, _, body = exchange(gw, "GET", "/nostatus", [])
        check(status == 500 and json.loads(body) == {"message": "Internal Server Error"}, (status, body))
        status, _, body = exchange(gw, "GET", "/nostatus2", [])
        check(status == 200 and json.loads(body) == {"message": "a 2.0 handler's answer"}, (status, body))


def test_validate_shows_format_and_cors(tmp):
    cfg = write(os.path.join(tmp, "fngate.yaml"), "gateway: {cors: true}\n" + config(tmp).replace(
        "      - http: GET /nostatus2\n", "      - http: {method: GET, path: /nostatus2, cors: false}\n"))
    p = run_cli("validate", "-c", cfg)
    check(p.returncode == 0, p.stderr)
    lines = {l.split()[1]: l for l in p.stdout.splitlines() if " -> " in l}
    check(lines["/multi"].endswith("-> Multi (payload format 1.0, CORS)"), p.stdout)
    check(lines["/v2/{id}"].endswith("-> V2 (CORS)"), p.stdout)
    check(lines["/nostatus2"].endswith("-> NoStatus"), p.stdout)

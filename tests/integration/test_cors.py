# SPDX-License-Identifier: MIT
"""CORS on the front door as API Gateway HTTP APIs answer it (gateway/cors.h): a browser's
preflight answered by the gateway without the function, the exact headers of a credentialed
request, CORS headers on a function's error, the function's own CORS headers replaced, and
OPTIONS on a route without CORS answered as before (405)."""
import json
import os
import signal

from harness import Gateway, check, wait_until, write

APP = """
import json

def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}

def boom(event, context):
    raise ValueError("boom")

def own(event, context):
    return {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*",
                                           "Access-Control-Allow-Methods": "DELETE", "X-Own": "1"}, "body": "own"}
"""

ORIGIN = "https://app.example.com"


def config(tmp, gateway=True):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), APP)
    fn = "  %s:\n    runtime: python3\n    handler: app.%s\n    code: " + code + "\n    events:\n%s"
    head = ("gateway:\n  cors:\n"
            "    allow_origins: ['https://app.example.com', 'https://*.preview.example.com']\n"
            "    allow_methods: [GET, POST]\n"
            "    allow_headers: [Content-Type, Authorization]\n"
            "    expose_headers: [X-Request-Id]\n"
            "    max_age: 600\n"
            "    allow_credentials: true\n") if gateway else ""
    return head + "functions:\n" + \
        fn % ("Echo", "echo", "      - http: 'GET /items/{id}'\n      - http: 'POST /items/{id}'\n"
                              "      - http: {method: GET, path: /open, cors: true}\n"
                              "      - http: {method: GET, path: /plain, cors: false}\n"
                              "      - http: {method: OPTIONS, path: /opt, cors: false}\n") + \
        fn % ("Boom", "boom", "      - http: GET /boom\n"
                              "      - http: {method: GET, path: /limited, rate: {per_second: 0.001, burst: 1}}\n") + \
        fn % ("Own", "own", "      - http: GET /own\n")


def starts(gw):
    return gw.stdout().count("START RequestId")


def cors_headers(headers):
    return {k: v for k, v in headers.items() if k.startswith("access-control-") or k == "vary"}


def test_browser_preflight_answered_without_the_function(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = gw.request("OPTIONS", "/items/7", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization"})
        check(status == 204 and body == b"", (status, body))
        check(cors_headers(headers) == {
            "access-control-allow-origin": ORIGIN,
            "access-control-allow-methods": "GET,POST",
            "access-control-allow-headers": "Content-Type,Authorization",
            "access-control-max-age": "600",
            "access-control-allow-credentials": "true",
            "vary": "Origin",
        }, headers)
        check(headers.get("apigw-requestid"), headers)
        # An origin not in the list: answered, without CORS headers (the browser refuses it).
        status, headers, _ = gw.request("OPTIONS", "/items/7", headers={
            "Origin": "https://evil.test", "Access-Control-Request-Method": "POST"})
        check(status == 204 and cors_headers(headers) == {"vary": "Origin"}, (status, headers))
        # cors: true on a route: any origin, the Serverless Framework's headers, OPTIONS + GET.
        status, headers, _ = gw.request("OPTIONS", "/open", headers={
            "Origin": "https://anyone.test", "Access-Control-Request-Method": "GET"})
        check(status == 204 and cors_headers(headers) == {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "OPTIONS,GET",
            "access-control-allow-headers": "Content-Type,X-Amz-Date,Authorization,X-Api-Key,"
                                            "X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id",
        }, headers)
        check(starts(gw) == 0, "a preflight ran a function:\n" + gw.stdout()[-2000:])
        status, _, _ = gw.request("GET", "/items/7", headers={"Origin": ORIGIN})
        check(status == 200, status)
        wait_until(lambda: starts(gw) >= 1, 10, "the GET's START line")
        check(starts(gw) == 1, "three preflights and one GET ran %d functions" % starts(gw))


def test_credentialed_request_exact_headers(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        origin = "https://pr-12.preview.example.com"
        status, headers, body = gw.request("POST", "/items/9", body=b"{}", headers={
            "Origin": origin, "Cookie": "session=abc", "Content-Type": "application/json"})
        check(status == 200, (status, body))
        check(cors_headers(headers) == {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "X-Request-Id",
            "vary": "Origin",
        }, headers)
        check(json.loads(body)["cookies"] == ["session=abc"], body)
        # The function's own CORS headers give way to the configured ones; others stay.
        status, headers, body = gw.request("GET", "/own", headers={"Origin": ORIGIN})
        check(status == 200 and body == b"own" and headers.get("x-own") == "1", (status, headers))
        check(cors_headers(headers) == {
            "access-control-allow-origin": ORIGIN,
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "X-Request-Id",
            "vary": "Origin",
        }, headers)
        # Without Origin, no CORS headers (API Gateway's rule), and still none of the function's.
        status, headers, _ = gw.request("GET", "/own")
        check(status == 200 and cors_headers(headers) == {}, headers)


def test_cors_headers_on_function_error(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = gw.request("GET", "/boom", headers={"Origin": ORIGIN})
        check(status == 500 and json.loads(body) == {"message": "Internal Server Error"}, (status, body))
        check(headers.get("access-control-allow-origin") == ORIGIN and
              headers.get("access-control-allow-credentials") == "true" and headers.get("vary") == "Origin", headers)
        # A 429 from the route's rate (the function is not reached), and a 413 from the
        # gateway itself: CORS headers too.
        gw.request("GET", "/limited")
        status, headers, _ = gw.request("GET", "/limited", headers={"Origin": ORIGIN})
        check(status == 429 and headers.get("access-control-allow-origin") == ORIGIN, (status, headers))
        status, headers, _ = gw.request("POST", "/items/1", body=b"x" * (6 * 1024 * 1024 + 1), headers={"Origin": ORIGIN})
        check(status == 413 and headers.get("access-control-allow-origin") == ORIGIN, (status, headers))


def test_options_without_cors_unchanged(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        # cors: false turns the API's off: the OPTIONS is routed, and no OPTIONS route matches.
        status, headers, body = gw.request("OPTIONS", "/plain", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        check(status == 405 and json.loads(body) == {"message": "Method Not Allowed"}, (status, body))
        check(cors_headers(headers) == {}, headers)
        # A route that handles OPTIONS itself runs.
        status, _, body = gw.request("OPTIONS", "/opt", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        check(status == 200 and json.loads(body)["requestContext"]["http"]["method"] == "OPTIONS", (status, body))
    with Gateway(tmp, config(tmp, gateway=False)) as gw:
        status, headers, body = gw.request("OPTIONS", "/items/7", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
        check(status == 405 and cors_headers(headers) == {}, (status, headers, body))
        status, headers, _ = gw.request("GET", "/items/7", headers={"Origin": ORIGIN})
        check(status == 200 and cors_headers(headers) == {}, headers)


def test_reload_applies_a_routes_cors_keeps_the_gateways(tmp):
    """A route's own cors changes with its routes at a reload; gateway.cors is bound at start
    like every gateway key."""
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    with Gateway(tmp, config(tmp)) as gw:
        check(gw.request("OPTIONS", "/plain", headers=preflight)[0] == 405, "no CORS on /plain yet")
        write(gw.config, config(tmp).replace("path: /plain, cors: false", "path: /plain, cors: true")
              .replace("max_age: 600", "max_age: 5") + "isolation: {enabled: false}\n")
        before = gw.stderr().count("reloaded ")
        gw.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
        status, headers, _ = gw.request("OPTIONS", "/plain", headers=preflight)
        check(status == 204 and headers.get("access-control-allow-origin") == "*", (status, headers))
        status, headers, _ = gw.request("OPTIONS", "/items/7", headers=preflight)
        check(status == 204 and headers.get("access-control-max-age") == "600", (status, headers))
        check("reload: gateway changed; it is bound at start" in gw.stderr(), gw.stderr()[-2000:])

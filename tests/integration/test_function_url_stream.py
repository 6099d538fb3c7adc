# SPDX-License-Identifier: MIT
"""Function URLs with `invoke_mode: RESPONSE_STREAM` and with `cors:` (README "Function
URLs"). A Node handler written with awslambda.streamifyResponse and
awslambda.HttpResponseStream.from() is read by a plain HTTP client through its URL: the
prelude's status, headers and cookies head the answer, the first chunk reaches the
client (and curl) before the handler finishes, an error mid-stream cuts the body (no last chunk), a stream without a
prelude is the body as it is, and a handler that does not stream is answered by the 2.0
rules. With `cors:` on the URL, a preflight is answered by fngate without invoking the
function, answers carry the URL's CORS headers (the function's own Access-Control-* are
dropped, streamed or not), an origin not allowed gets none, and gateway.cors does not
reach a URL."""
import http.client
import json
import os
import subprocess
import time

from harness import Gateway, check, write

HANDLERS = r"""
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.page = awslambda.streamifyResponse(async (event, stream) => {
  console.log('page event ' + event.rawPath);
  stream = awslambda.HttpResponseStream.from(stream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'x-page': 'yes', 'access-control-allow-origin': 'https://evil.example' },
    cookies: ['a=1'],
  });
  stream.write('first;');
  await sleep(1500);
  stream.end('last');
});
exports.raw = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('raw;');
  stream.end(JSON.stringify({ path: event.rawPath, mode: event.requestContext.routeKey }));
});
exports.fail = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
  stream.write('partial;');
  await sleep(200);
  throw new TypeError('boom mid-stream');
});
exports.plain = async (event) => ({ statusCode: 202, headers: { 'x-plain': '1' }, body: 'buffered' });
exports.echo = async (event) => {
  console.log('echo event ' + event.requestContext.http.method + ' ' + event.rawPath);
  return { statusCode: 200, headers: { 'access-control-allow-origin': 'https://evil.example', 'x-echo': 'yes' },
           body: JSON.stringify({ method: event.requestContext.http.method }) };
};
"""


def fn(name, handler, url):
    return "  %s:\n    runtime: nodejs\n    handler: index.%s\n    code: code\n    timeout: 20\n    url: %s\n" % (
        name, handler, url)


def open_url(gw, name, path="/", method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    h = {"Host": "%s.lambda-url.localhost:%d" % (name, gw.port)}
    h.update(headers or {})
    t0 = time.monotonic()
    c.request(method, path, headers=h)
    return c, c.getresponse(), t0


def test_function_url_response_stream(tmp):
    write(os.path.join(tmp, "code", "index.js"), HANDLERS)
    stream = "{invoke_mode: RESPONSE_STREAM}"
    config = "functions:\n" + fn("Page", "page", stream) + fn("Raw", "raw", stream) + fn("Fail", "fail", stream) + \
        fn("Plain", "plain", stream)
    with Gateway(tmp, config) as gw:
        # The prelude heads the answer; the first chunk comes 1.5 s before the end.
        c, r, t0 = open_url(gw, "Page", "/p?q=1")
        check(r.status == 201 and r.getheader("x-page") == "yes" and r.getheader("set-cookie") == "a=1" and
              r.getheader("content-type") == "text/plain" and r.getheader("transfer-encoding") == "chunked" and
              r.getheader("x-amzn-requestid"), "head: %d %r" % (r.status, r.getheaders()))
        first = r.read1(64)
        t_first = time.monotonic() - t0
        rest = r.read()
        t_end = time.monotonic() - t0
        c.close()
        check(first == b"first;" and rest == b"last", "body: %r %r" % (first, rest))
        check(t_first < 1.2 and t_end >= 1.4, "first chunk at %.2f s, end at %.2f s: not streamed" % (t_first, t_end))

        # The same through curl (which resolves *.localhost to loopback itself).
        t0 = time.monotonic()
        p = subprocess.Popen(["curl", "-sSN", "--max-time", "20", "http://Page.lambda-url.localhost:%d/c" % gw.port],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = os.read(p.stdout.fileno(), 64)
            t_first = time.monotonic() - t0
            rest = p.stdout.read()
            t_end = time.monotonic() - t0
        finally:
            p.wait(timeout=30)
        check(p.returncode == 0 and first == b"first;" and rest == b"last",
              "curl: %r %r %r" % (first, rest, p.stderr.read()))
        check(t_first < 1.2 and t_end >= 1.4, "curl: first chunk at %.2f s, end at %.2f s" % (t_first, t_end))

        # No prelude: the bytes as they come, 200.
        c, r, _ = open_url(gw, "Raw", "/x")
        body = r.read()
        c.close()
        check(r.status == 200 and body == b'raw;{"path":"/x","mode":"$default"}', "raw: %d %r" % (r.status, body))

        # An error after the head: the body is cut (no last chunk), as Lambda cuts it.
        c, r, _ = open_url(gw, "Fail")
        check(r.status == 200, "fail head: %d" % r.status)
        try:
            body = r.read()
            check(False, "a failed stream ended cleanly: %r" % body)
        except http.client.IncompleteRead as e:
            check(e.partial == b"partial;", "fail partial: %r" % e.partial)
        c.close()

        # A handler that does not stream: its answer by the 2.0 rules.
        c, r, _ = open_url(gw, "Plain")
        body = r.read()
        c.close()
        check(r.status == 202 and body == b"buffered" and r.getheader("x-plain") == "1",
              "plain: %d %r %r" % (r.status, r.getheaders(), body))


def test_function_url_cors(tmp):
    write(os.path.join(tmp, "code", "index.js"), HANDLERS)
    config = """gateway:
  cors: {allow_origins: ["*"], allow_methods: [GET]}
functions:
""" + fn("Echo", "echo", "\n      cors:\n        allow_origins: [https://app.example.com]\n"
                         "        allow_methods: [GET, POST]\n        allow_headers: [x-custom]\n"
                         "        expose_headers: [x-echo]\n        max_age: 300\n        allow_credentials: true") + \
        fn("Open", "echo", "{cors: true}") + fn("Bare", "echo", "true") + \
        fn("Page", "page", "{invoke_mode: RESPONSE_STREAM, cors: true}")
    app = "https://app.example.com"
    with Gateway(tmp, config) as gw:
        # The preflight: fngate's 204 with the URL's policy; the function does not run.
        c, r, _ = open_url(gw, "Echo", "/pre", "OPTIONS", {"Origin": app, "Access-Control-Request-Method": "POST",
                                                           "Access-Control-Request-Headers": "x-custom"})
        r.read()
        c.close()
        h = {k.lower(): v for k, v in r.getheaders()}
        check(r.status == 204 and h.get("access-control-allow-origin") == app and
              h.get("access-control-allow-methods") == "GET,POST" and h.get("access-control-allow-headers") == "x-custom" and
              h.get("access-control-max-age") == "300" and h.get("access-control-allow-credentials") == "true" and
              "apigw-requestid" not in h and h.get("x-amzn-requestid"), "preflight: %d %r" % (r.status, h))
        check("echo event OPTIONS" not in open(gw.stdout_path).read(), "the preflight ran the function")

        # The answer: the URL's headers, not the function's Access-Control-*.
        c, r, _ = open_url(gw, "Echo", "/get", headers={"Origin": app})
        body = r.read()
        c.close()
        check(r.status == 200 and json.loads(body) == {"method": "GET"} and r.getheader("x-echo") == "yes" and
              r.getheader("access-control-allow-origin") == app and
              r.getheader("access-control-expose-headers") == "x-echo" and
              r.getheader("access-control-allow-credentials") == "true" and
              len([v for k, v in r.getheaders() if k.lower() == "access-control-allow-origin"]) == 1,
              "actual: %d %r" % (r.status, r.getheaders()))
        # An origin not allowed: no CORS headers at all (the browser refuses).
        c, r, _ = open_url(gw, "Echo", "/get", headers={"Origin": "https://other.example"})
        r.read()
        c.close()
        check(r.status == 200 and not [k for k, _ in r.getheaders() if k.lower().startswith("access-control-")],
              "other origin: %r" % r.getheaders())

        # cors: true: any origin, every method (the Serverless Framework's url.cors: true).
        c, r, _ = open_url(gw, "Open", "/", "OPTIONS", {"Origin": app, "Access-Control-Request-Method": "DELETE"})
        r.read()
        c.close()
        check(r.status == 204 and r.getheader("access-control-allow-origin") == "*" and
              r.getheader("access-control-allow-methods") == "*", "cors: true: %d %r" % (r.status, r.getheaders()))

        # A URL without cors: gateway.cors does not apply; OPTIONS reaches the function.
        c, r, _ = open_url(gw, "Bare", "/b", "OPTIONS", {"Origin": app, "Access-Control-Request-Method": "GET"})
        body = r.read()
        c.close()
        check(r.status == 200 and json.loads(body) == {"method": "OPTIONS"} and
              r.getheader("access-control-allow-origin") == "https://evil.example",
              "no cors: %d %r" % (r.status, r.getheaders()))

        # A streamed URL with CORS: the policy's headers, the prelude's Access-Control-* dropped.
        c, r, _ = open_url(gw, "Page", "/s", headers={"Origin": app})
        body = r.read()
        c.close()
        allow = [v for k, v in r.getheaders() if k.lower() == "access-control-allow-origin"]
        check(r.status == 201 and body == b"first;last" and allow == ["*"], "streamed: %r %r" % (r.getheaders(), body))

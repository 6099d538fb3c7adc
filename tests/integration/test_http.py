# SPDX-License-Identifier: MIT
"""The HTTP front door: keep-alive, size limits, 404/405, the exact v2.0 event a handler
receives, response mapping, Invoke API input errors, oversized headers."""
import base64
import json
import os
import resource
import socket
import threading
import time

from harness import Gateway, TestFailure, answered_once, check, skip, wait_until, write

ECHO = """
import base64, json

def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}

def shaped(event, context):
    return {"statusCode": 201, "headers": {"X-Custom": "yes", "Content-Type": "image/png"},
            "cookies": ["a=1; Path=/", "b=2"], "isBase64Encoded": True,
            "body": base64.b64encode(b"\\x89PNG\\x00\\x01").decode()}

def plain(event, context):
    return "just text"
"""


def config(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), ECHO)
    fn = "  %s:\n    runtime: python3\n    handler: app.%s\n    code: " + code + "\n    events:\n%s"
    return "functions:\n" + \
        fn % ("Echo", "echo", "      - http: ANY /echo/{id}\n      - http: GET /files/{path+}\n      - http: POST /only-post\n") + \
        fn % ("Shaped", "shaped", "      - http: GET /shaped\n") + \
        fn % ("Plain", "plain", "      - http: GET /plain\n")


def read_response(sock, buf=b""):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        check(chunk, "server closed the keep-alive connection")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        check(chunk, "server closed mid-body")
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:n], rest[n:]


def test_keepalive_500_requests(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        s = socket.create_connection(("127.0.0.1", gw.port))
        buf = b""
        for i in range(500):
            s.sendall(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
            status, headers, body, buf = read_response(s, buf)
            check(status == 200, "request %d: %d" % (i, status))
            check(headers.get("connection", "").lower() != "close", "request %d asked to close" % i)
            check(json.loads(body)["pathParameters"]["id"] == str(i), body)
        s.close()


def test_size_limits(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        big = b"x" * (6 * 1024 * 1024 + 1)
        status, _, body = gw.request("POST", "/echo/1", body=big)
        check(status == 413, (status, body[:200]))
        status, headers, body = gw.invoke("Echo", big)
        check(status == 413 and headers.get("x-amzn-errortype") == "RequestTooLargeException", (status, body))
        # A body just under the limit, but base64 growth of a binary body pushes the event over it.
        status, _, _ = gw.request("POST", "/echo/1", body=b"\xff" * (5 * 1024 * 1024),
                                  headers={"Content-Type": "application/octet-stream"})
        check(status == 413, status)
        status, _, body = gw.request("POST", "/echo/1", body=b"y" * (1024 * 1024))
        check(status == 200 and len(json.loads(body)["body"]) == 1024 * 1024, status)


def test_not_found_and_method(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = gw.request("GET", "/nowhere")
        check(status == 404 and json.loads(body) == {"message": "Not Found"}, (status, body))
        check(headers.get("content-type") == "application/json", headers)
        status, _, body = gw.request("GET", "/only-post")
        check(status == 405 and json.loads(body) == {"message": "Method Not Allowed"}, (status, body))


def test_event_shape(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = gw.request(
            "PUT", "/echo/a%20b?x=1&x=2&y=%C3%A9", body='{"k": "v"}',
            headers={"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2", "X-Rep": "one",
                     "User-Agent": "it/1.0"})
        check(status == 200, (status, body))
        ev = json.loads(body)
        check(ev["version"] == "2.0" and ev["routeKey"] == "ANY /echo/{id}", ev)
        check(ev["rawPath"] == "/echo/a%20b" and ev["rawQueryString"] == "x=1&x=2&y=%C3%A9", ev)
        check(ev["queryStringParameters"] == {"x": "1,2", "y": "\u00e9"}, ev["queryStringParameters"])
        check(ev["pathParameters"] == {"id": "a b"}, ev["pathParameters"])
        check(ev["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in ev["headers"], ev)
        check(ev["headers"]["x-rep"] == "one" and ev["headers"]["content-type"] == "application/json", ev["headers"])
        check(ev["body"] == '{"k": "v"}' and ev["isBase64Encoded"] is False, ev)
        rc = ev["requestContext"]
        check(rc["http"] == {"method": "PUT", "path": "/echo/a%20b", "protocol": "HTTP/1.1",
                             "sourceIp": "127.0.0.1", "userAgent": "it/1.0"}, rc["http"])
        check(rc["routeKey"] == "ANY /echo/{id}" and rc["stage"] == "$default" and rc["accountId"] == "000000000000", rc)
        check(rc["requestId"] == headers["apigw-requestid"], (rc, headers))
        check(isinstance(rc["timeEpoch"], int) and rc["time"].endswith(" +0000"), rc)
        status, _, body = gw.request("GET", "/files/a/b/c.txt")
        ev = json.loads(body)
        check(ev["pathParameters"] == {"path": "a/b/c.txt"} and ev["routeKey"] == "GET /files/{path+}", ev)
        check("body" not in ev and ev["isBase64Encoded"] is False, ev)
        status, _, body = gw.request("POST", "/echo/bin", body=b"\x00\xff\xfe", headers={"Content-Type": "image/png"})
        ev = json.loads(body)
        check(ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\x00\xff\xfe", ev)


def test_response_mapping(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        c = gw.conn()
        c.request("GET", "/shaped")
        r = c.getresponse()
        body = r.read()
        check(r.status == 201 and body == b"\x89PNG\x00\x01", (r.status, body))
        check(r.getheader("X-Custom") == "yes" and r.getheader("Content-Type") == "image/png", r.getheaders())
        cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
        check(cookies == ["a=1; Path=/", "b=2"], cookies)
        c.close()
        status, headers, body = gw.request("GET", "/plain")
        check(status == 200 and body == b"just text" and headers["content-type"] == "application/json", (status, body))


def test_invoke_api_input_errors(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, headers, body = gw.invoke("Echo", b'{"unterminated": ')
        check(status == 400 and headers.get("x-amzn-errortype") == "InvalidRequestContentException", (status, body))
        check(json.loads(body)["Type"] == "User", body)
        status, headers, _ = gw.invoke("Echo", b'"\xff\xfe"')
        check(status == 400 and headers.get("x-amzn-errortype") == "InvalidRequestContentException", status)
        status, headers, body = gw.invoke("Nope", {})
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", status)
        check(json.loads(body)["message"] == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:Nope", body)
        status, headers, body = gw.invoke("Echo", {}, {"X-Amz-Invocation-Type": "DryRun"})
        check(status == 204 and body == b"", (status, body))
        status, headers, body = gw.invoke("Echo", {}, {"X-Amz-Invocation-Type": "Event"})
        check(status == 202 and body == b"" and headers.get("x-amzn-requestid"), (status, body))
        status, headers, _ = gw.invoke("Echo", {}, {"X-Amz-Invocation-Type": "Sometime"})
        check(status == 400, status)
        status, headers, _ = gw.invoke("Echo:prod", {})
        check(status == 400 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", status)
        status, _, body = gw.invoke("arn:aws:lambda:us-east-1:000000000000:function:Echo", {"a": 1})
        check(status == 200, (status, body))


def test_invalid_utf8_request_line(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        # A method that is not an HTTP token reached ANY routes and went into the event as it
        # was: not JSON, the function failed to read it (found by fuzzing).
        for method, target in ((b"GET", b"/echo/\xff\xfe"), (b"GET", b"/echo/1?q=\xc3\x28"),
                               (b"G\xdeT", b"/echo/1"), (b"G\x01T", b"/echo/1"), (b"G\"T", b"/echo/1")):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _, body, _ = read_response(s, b"")
            s.close()
            check(status == 400 and json.loads(body) == {"message": "Bad Request"}, (method, target, status, body))
        status, _, body = gw.request("M-SEARCH", "/echo/1")
        check(status == 200 and json.loads(body)["requestContext"]["http"]["method"] == "M-SEARCH", (status, body))
        # Header values that are not UTF-8 are left out of the event, not passed on broken.
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(b"GET /echo/1 HTTP/1.1\r\nHost: t\r\nX-Bin: \xff\xfe\r\nX-Ok: yes\r\n\r\n")
        status, _, body, _ = read_response(s, b"")
        s.close()
        ev = json.loads(body)
        check(status == 200 and "x-bin" not in ev["headers"] and ev["headers"]["x-ok"] == "yes", ev["headers"])


def raw_exchange(port, request):
    """Sends request on a fresh connection and reads until the server closes it. A server
    that answers before reading everything closes with a reset, after its answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass                    # answered and closed before the whole request was read
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    s.close()
    return data


def test_oversized_headers_431(tmp):
    """Headers up to about 16 KB are served (API Gateway's limit is 10 KB); larger ones get
    libmicrohttpd's own 431 and the connection is closed, and the gateway keeps serving."""
    with Gateway(tmp, config(tmp)) as gw:
        c = gw.conn()
        c.request("GET", "/echo/0", headers={"X-Big": "g" * 12000})
        r = c.getresponse()
        body = r.read()
        c.close()
        check(r.status == 200 and json.loads(body)["headers"]["x-big"] == "g" * 12000, (r.status, body[:200]))
        # One 200 KB header, then 200 headers of 100 bytes. Connection: close, so that a
        # wrong 200 ends the exchange too.
        start = b"GET /echo/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        for req in (start + b"X-Big: " + b"h" * 200000 + b"\r\n\r\n",
                    start + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(200)) + b"\r\n"):
            data = raw_exchange(gw.port, req)
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
            check(lines[0] == "HTTP/1.1 431 Request Header Fields Too Large", data[:300])
            check(headers.get("connection", "").lower() == "close", headers)
            check(int(headers["content-length"]) == len(body) and b"too big" in body, (headers, body))
        data = raw_exchange(gw.port, b"GET /echo/" + b"u" * 20000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        check(data.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), data[:300])
        status, _, _ = gw.request("GET", "/echo/2")
        check(status == 200, "still serving")


def test_query_too_many_parameters_is_answered_and_nothing_leaks(tmp):
    """A 16 KB query of 3,950 parameters fits the request buffer but not libmicrohttpd's
    parsed arguments: it used to get no answer until the 120 s timeout, and its request
    context leaked when the client went away. Now it gets 414 at once; clients that go away
    mid-head leave nothing behind (LeakSanitizer checks the gateway at exit)."""
    with Gateway(tmp, config(tmp)) as gw:
        query = "&".join("a=1" for _ in range(3950))
        for _ in range(50):
            data = raw_exchange(gw.port, b"GET /echo/1?" + query.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            check(data.startswith(b"HTTP/1.1 414 URI Too Long\r\n") and data.endswith(b'{"message":"Request-URI Too Long"}'),
                  data[:300])
        for i in range(100):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(b"GET /echo/%d?x=1 HTTP/1.1\r\nHost: t\r\nX-Half: " % i)
            s.close()
        status, _, body = gw.request("GET", "/echo/2?" + "&".join("p%d=%d" % (i, i) for i in range(40)))
        check(status == 200 and json.loads(body)["queryStringParameters"]["p39"] == "39", (status, body[:200]))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])


def test_rss_flat_after_10000_long_queries(tmp):
    """10,000 requests with the 16 KB, 3,950-parameter query, half of them dropped by the
    client before the head was complete: once the dropped ones are closed, the gateway's
    RSS is where it was after the first 1,000 (each used to keep ~19 KB: 4,000 of them took
    RSS from 14 to 90 MB). A dropped head that fills the connection's buffer is not read to
    its end, so the gateway sees it only at header_timeout (1 s here); the test waits for the
    gateway's descriptors to come back first. AddressSanitizer's quarantine is off for this
    gateway so that freed memory is reused as it would be without the sanitizer."""
    san = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1:quarantine_size_mb=0"}
    # One client address opens them all, faster than the gateway sees the dropped ones close.
    conf = "gateway: {max_connections_per_client: 0, header_timeout: 1s}\n" + config(tmp)
    with Gateway(tmp, conf, extra_env=san) as gw:
        request = b"GET /echo/1?" + "&".join("a=1" for _ in range(3950)).encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n"
        fds = lambda: len(os.listdir("/proc/%d/fd" % gw.proc.pid))
        idle = fds()

        def burst(n):
            for i in range(n):
                if i % 2:
                    s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
                    s.sendall(request[:len(request) - 20])        # gone before the head is complete
                    s.close()
                else:
                    data = raw_exchange(gw.port, request)
                    check(data.startswith(b"HTTP/1.1 414 "), "answered 414: %r" % data[:200])
            wait_until(lambda: fds() <= idle + 5, 30, "the dropped connections to be closed", seen=fds)
        burst(1000)
        before = rss_kb(gw.proc.pid)
        burst(9000)
        after = rss_kb(gw.proc.pid)
        print("  RSS after 1,000 long queries %d KB, after 10,000 %d KB" % (before, after))
        check(after - before < 8 * 1024, "RSS grew by %d KB over 9,000 more long queries" % (after - before))


BOOM = """
def boom(event, context):
    raise ValueError("card 4111 1111 1111 1111 rejected")

def bad_status(event, context):
    return {"statusCode": "teapot", "body": "x"}

def informational(event, context):
    return {"statusCode": 100, "body": "not final"}

def many_headers(event, context):
    return {"statusCode": 200, "headers": {"X-H%d" % i: "v" for i in range(5000)}, "body": "x"}
"""


def test_route_errors_answer_as_api_gateway(tmp):
    """A route whose function fails answers API Gateway's fixed body (500 Internal Server
    Error), never the error's message, stack trace or file paths, which go to the log; an
    unusable response (a statusCode outside 200..599, 5,000 headers) is a 500 too. gateway.debug_errors restores the details for local work."""
    code = os.path.join(tmp, "boom")
    write(os.path.join(code, "app.py"), BOOM)
    fns = ("functions:\n  Boom:\n    runtime: python3\n    handler: app.boom\n    code: %s\n"
           "    events:\n      - http: GET /boom\n"
           "  Bad:\n    runtime: python3\n    handler: app.bad_status\n    code: %s\n"
           "    events:\n      - http: GET /bad\n"
           "  Info:\n    runtime: python3\n    handler: app.informational\n    code: %s\n"
           "    events:\n      - http: GET /info\n"
           "  Many:\n    runtime: python3\n    handler: app.many_headers\n    code: %s\n"
           "    events:\n      - http: GET /many\n" % (code, code, code, code))
    with Gateway(tmp, fns) as gw:
        for path in ("/boom", "/bad", "/info", "/many"):
            status, headers, body = gw.request("GET", path)
            check(status == 500 and json.loads(body) == {"message": "Internal Server Error"}, (path, status, body))
            check(b"4111" not in body and code.encode() not in body, body)
        # On one keep-alive connection, a 1xx answer would have been taken as final and the
        # next response read as this one's.
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
        s.sendall(b"GET /info HTTP/1.1\r\nHost: t\r\n\r\nGET /boom HTTP/1.1\r\nHost: t\r\n\r\n")
        first, _, _, rest = read_response(s, b"")
        second, _, _, _ = read_response(s, rest)
        s.close()
        check(first == 500 and second == 500, (first, second))
        check("failed: ValueError: card 4111" in gw.stderr(), "the error is in the gateway's log")
    with Gateway(tmp, "gateway: {debug_errors: true}\n" + fns) as gw:
        status, _, body = gw.request("GET", "/boom")
        err = json.loads(body)
        check(status == 502 and err["errorType"] == "ValueError" and err["stackTrace"], (status, body))


def test_request_framing(tmp):
    """How a request says where its body ends is checked before the body is read: two
    Content-Length headers that disagree, or one beside Transfer-Encoding (what a proxy in
    front may read differently: request smuggling) are 400; a transfer coding other than
    chunked is 501 (it hung); a body announced over 6 MB is 413 at once, without the
    100 Continue that would invite it. Each answer closes its connection."""
    with Gateway(tmp, config(tmp)) as gw:
        head = b"POST /only-post HTTP/1.1\r\nHost: t\r\n"
        for extra, want in ((b"Content-Length: 5\r\nContent-Length: 50\r\n", 400),
                            (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400),
                            (b"Transfer-Encoding: gzip, chunked\r\n", 501),
                            (b"Expect: 100-continue\r\nContent-Length: 100000000\r\n", 413)):
            data = raw_exchange(gw.port, head + extra + b"\r\n")
            check(data.startswith(b"HTTP/1.1 %d " % want) and b"100 Continue" not in data, (extra, data[:300]))
            check(b"connection: close" in data.lower(), data[:300])
        data = raw_exchange(gw.port, b"POST /2015-03-31/functions/Echo/invocations HTTP/1.1\r\nHost: t\r\n"
                                     b"Expect: 100-continue\r\nContent-Length: 100000000\r\n\r\n")
        check(data.startswith(b"HTTP/1.1 413 ") and b"RequestTooLargeException" in data and b"100 Continue" not in data,
              data[:300])
        # More headers than an event carries are refused, not dropped from the event silently.
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
        data = raw_exchange(gw.port, b"GET /echo/1 HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n")
        check(data.startswith(b"HTTP/1.1 431 ") and data.endswith(b'{"message":"Request Header Fields Too Large"}'),
              data[:300])
        status, _, body = gw.request("GET", "/echo/1", headers={"X-H%d" % i: "v" for i in range(120)})
        check(status == 200 and json.loads(body)["headers"]["x-h119"] == "v", (status, body[:200]))
        status, _, body = gw.request("POST", "/only-post", body=b"hello")
        check(status == 200 and json.loads(body)["body"] == "hello", (status, body[:200]))


# Framing garbage and what it is answered: a Content-Length that is not digits alone is
# 400, one past 64 bits 413; so are chunk sizes that are not hex, or past 64 bits. Shared
# with test_s3.py.
BAD_FRAMING = (
    (b"Content-Length: -1\r\n\r\n", 400),
    (b"Content-Length: +5\r\n\r\nhello", 400),
    (b"Content-Length: 1e3\r\n\r\n", 400),
    (b"Content-Length: 0x10\r\n\r\n", 400),
    (b"Content-Length: 5 5\r\n\r\nhello", 400),
    (b"Content-Length: 5 \r\n\r\nhello", 400),
    (b"Content-Length: \r\n\r\n", 400),
    (b"Content-Length: 99999999999999999999\r\n\r\n", 413),
    (b"Content-Length: 18446744073709551616\r\n\r\n", 413),
    (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"Transfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
    (b"Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n", 400),
    (b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n", 400),
    (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
    (b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 413),
)


def test_bad_content_length_answered_once(tmp):
    """A Content-Length libmicrohttpd 0.9.75 cannot parse (-1, +5, 1e3, 0x10, spaces, empty,
    past 64 bits) used to be answered with its header block sent twice (MHD answers it
    itself and builds the header again); bad chunk sizes too are checked here. Each is
    answered once, 400 (413 past 64 bits), and its connection closed; a good request on a
    kept-alive connection next to them is unaffected."""
    with Gateway(tmp, config(tmp)) as gw:
        for rest, want in BAD_FRAMING:
            status, _, body = answered_once(gw.port, b"POST /echo/1 HTTP/1.1\r\nHost: t\r\n" + rest)
            check(status == want, (rest, status, body))
        status, _, _ = answered_once(gw.port, b"POST /2015-03-31/functions/Echo/invocations HTTP/1.1\r\n"
                                              b"Host: t\r\nContent-Length: -1\r\n\r\n")
        check(status == 400, status)
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        s.sendall(b"POST /echo/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok")
        status, _, body, buf = read_response(s, b"")
        check(status == 200 and json.loads(body)["body"] == "ok", (status, body[:200]))
        s.sendall(b"GET /echo/2 HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, _, _ = read_response(s, buf)
        s.close()
        check(status == 200, status)


def test_idle_and_slow_clients_do_not_lock_others_out(tmp):
    """1,500 clients holding half a request head and 2,000 idle keep-alive connections: a
    normal client is still answered at once. libmicrohttpd's default cap of 1,020
    connections (select's, even with epoll) used to leave it waiting. All come from
    127.0.0.1, so the cap per client is off here."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 4500
    if hard != resource.RLIM_INFINITY and hard < need:
        skip("the descriptor limit (%d) is below the %d this test needs" % (hard, need))
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    held = []
    try:
        with Gateway(tmp, "gateway: {max_connections_per_client: 0}\n" + config(tmp)) as gw:
            for _ in range(1500):
                s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
                s.sendall(b"GET /echo/1 HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                held.append(s)
            for _ in range(2000):
                s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
                s.sendall(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
                status, _, _, _ = read_response(s, b"")
                check(status == 404, status)
                held.append(s)
            times = []
            for i in range(20):
                t0 = time.monotonic()
                status, _, body = gw.request("GET", "/echo/%d" % i, timeout=10)
                times.append(time.monotonic() - t0)
                check(status == 200, (status, body[:200]))
            times.sort()
            print("  normal requests beside 3,500 held connections: median %.1f ms, slowest %.1f ms" %
                  (times[10] * 1000, times[-1] * 1000))
            check(times[10] < 0.1, "a normal client is answered within 100 ms (median %.1f ms)" % (times[10] * 1000))
    finally:
        for s in held:
            s.close()


def served(port, source, timeout=5):
    """A connection from source (a loopback address) with one request answered on it, kept
    open; None when the gateway closed it (or left it unanswered for timeout seconds)."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, _, _ = read_response(s, b"")
        check(status == 404, status)
        return s
    except (OSError, TestFailure):
        s.close()
        return None


def test_connections_per_client_are_capped(tmp):
    """gateway.max_connections_per_client: the connection past the cap from one address is
    closed unanswered, while another address (127.0.0.2, loopback too) is served; once one
    of the first closes, the address gets a connection again."""
    held = []
    try:
        with Gateway(tmp, "gateway: {max_connections_per_client: 4}\nfunctions: {}\n") as gw:
            for _ in range(4):
                s = served(gw.port, "127.0.0.1")
                check(s, "a connection within the cap is served")
                held.append(s)
            check(served(gw.port, "127.0.0.1") is None, "the fifth connection from 127.0.0.1 is closed")
            other = served(gw.port, "127.0.0.2")
            check(other, "127.0.0.2 is served beside them")
            held.append(other)
            held[0].sendall(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
            check(read_response(held[0], b"")[0] == 404, "the first connections still work")
            held.pop(0).close()

            def again():
                s = served(gw.port, "127.0.0.1")
                if s:
                    held.append(s)
                return s
            wait_until(again, 10, "a connection from 127.0.0.1 once one of its four closed")
    finally:
        for s in held:
            s.close()


def test_idle_connections_close_first_near_the_cap(tmp):
    """With the descriptor limit at 256 the front door takes 192 connections: once 90% of
    them are open, the connections idle the longest are closed as new ones arrive, so 220
    idle keep-alive clients leave room for a new client, answered at once. Without that,
    the 193rd connection waited in the listen backlog until some client left."""
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    held = []
    try:
        conf = "gateway: {max_connections_per_client: 0, http_threads: 2}\nfunctions: {}\n"
        with Gateway(tmp, conf, preexec_fn=low_limit) as gw:
            for i in range(220):
                s = served(gw.port, "127.0.0.1")
                check(s, "idle client %d is served" % i)
                held.append(s)
            t0 = time.monotonic()
            status, _, _ = gw.request("GET", "/nope", timeout=5)
            took = time.monotonic() - t0
            check(status == 404 and took < 2, (status, took))

            def closed():
                out = []
                for s in held:
                    s.setblocking(False)
                    try:
                        out.append(s.recv(1) == b"")
                    except BlockingIOError:
                        out.append(False)
                    except ConnectionResetError:
                        out.append(True)
                    s.setblocking(True)
                return out
            # 192 * 90% = 172: at most 171 open beside the newcomer, the oldest closed first.
            state = wait_until(lambda: (lambda c: c if sum(c) >= 220 - 172 else None)(closed()), 10,
                               "the longest idle connections to be closed", seen=lambda: sum(closed()))
            n = sum(state)
            check(state == [True] * n + [False] * (220 - n), "the oldest are the ones closed: %r" % state)
            held[-1].settimeout(5)
            held[-1].sendall(b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
            check(read_response(held[-1], b"")[0] == 404, "the newest idle connection still works")
            print("  new client answered in %.1f ms beside 220 idle clients over a 192-connection cap; %d closed"
                  % (took * 1000, n))
    finally:
        for s in held:
            s.close()


def test_slow_heads_are_closed_slow_bodies_are_not(tmp):
    """A client that sends its request head a byte at a time (or nothing at all) is closed
    once gateway.header_timeout has passed: libmicrohttpd's timeout restarts on every byte,
    so such a client used to hold its connection forever. A slow body after a complete head
    is not a slow head: it is served."""
    with Gateway(tmp, "gateway: {header_timeout: 1s}\n" + config(tmp)) as gw:
        slow = [socket.create_connection(("127.0.0.1", gw.port), timeout=10) for _ in range(100)]
        silent = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        t0 = time.monotonic()
        open_ = list(slow)
        for s in open_:
            s.sendall(b"GET /echo/1 HTTP/1.1\r\nHost: t\r\n")
        while open_ and time.monotonic() - t0 < 8:
            still = []
            for s in open_:
                try:
                    s.sendall(b"X")         # one more header byte; refused once closed
                    still.append(s)
                except (BrokenPipeError, ConnectionResetError):
                    pass
            open_ = still
            time.sleep(0.1)
        check(not open_, "%d slow heads still open after 8 s" % len(open_))
        check(silent.recv(16) == b"", "a connection that sent nothing is closed")
        elapsed = time.monotonic() - t0
        check(elapsed < 8, "closed after %.1f s" % elapsed)
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        s.sendall(b"POST /only-post HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n")
        for c in b"slow":
            time.sleep(0.5)
            s.sendall(bytes([c]))
        status, _, body, _ = read_response(s, b"")
        s.close()
        check(status == 200 and json.loads(body)["body"] == "slow", (status, body[:200]))
        for s in slow + [silent]:
            s.close()


def test_stop_while_clients_connect(tmp):
    """SIGTERM while clients keep opening connections: every stop exits 0, and every answer
    is the route's 404 or, for a request that began after SIGTERM, 503. libmicrohttpd's own
    quiesce races its epoll threads and aborted the gateway in CI ("Failed to remove listen
    FD from epoll set", two stops in ~150); that race could not be provoked on demand here
    (300 stops, idle and under load, passed before the fix), so this guards stopping under
    load, and the fix is that MHD_quiesce_daemon is no longer called."""
    statuses = []
    for round in range(20):
        d = os.path.join(tmp, str(round))
        os.makedirs(d)
        gw = Gateway(d, "gateway:\n  http_threads: 2\nfunctions: {}\n")
        gw.start()
        done = threading.Event()

        def hammer(port=gw.port):
            deadline = time.monotonic() + 30
            while not done.is_set() and time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                        s.sendall(b"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n")
                        statuses.append(read_response(s, b"")[0])
                except (OSError, TestFailure):
                    pass        # refused or cut once the gateway has gone

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: len(statuses) > 5 * (round + 1), 10, "clients to be answered")
            gw.stop()
        finally:
            done.set()
            for t in threads:
                t.join(10)
    check(set(statuses) <= {404, 503}, "answers other than 404 or 503: %r" % (set(statuses) - {404, 503}))


def test_request_answered_414_never_runs(tmp):
    """A query the gateway answers 414 from the URI callback (its estimate of what
    libmicrohttpd can parse says no) is not run afterwards when libmicrohttpd could parse it
    after all: the client saw 414, so the function must not have been invoked."""
    with Gateway(tmp, config(tmp)) as gw:
        data = raw_exchange(gw.port, b"GET /echo/1?x=" + b"a" * 8300 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        check(data.startswith(b"HTTP/1.1 414 "), data[:200])
        status, _, _ = gw.request("GET", "/echo/2")
        check(status == 200, status)
        starts = gw.stdout().count("START RequestId")
        check(starts == 1, "only the second request ran a function: %d START lines\n%s" % (starts, gw.stdout()[-2000:]))

# SPDX-License-Identifier: MIT
"""Response streaming end to end (README "Response streaming"): Node functions written with
awslambda.streamifyResponse, run by the bundled runtime and by the official
aws-lambda-ric unmodified, read through InvokeWithResponseStream by the AWS SDK for
JavaScript v3 (InvokeWithResponseStreamCommand, npm @aws-sdk/client-lambda in
build/aws-sdk-v3) and by a raw event-stream reader here; the first chunk arrives before
the handler finishes; an error or a timeout mid-stream ends with InvokeComplete; a 300 MB
stream goes through the 200 MB limit with the gateway's RSS flat and the bytes intact; a
client that leaves mid-stream frees its worker; buffered callers (Invoke, a route) of a
streaming function still get its whole response; a raw-socket runtime sends its stream a
byte at a time with error trailers, and a stream for an unknown request id is refused."""
import hashlib
import http.client
import json
import os
import re
import struct
import subprocess
import time
import zlib

from harness import Gateway, check, wait_until, write
from test_role import SDK_DIR, ensure_sdk
from test_runtimes import RIC_DIR, ensure_ric

HANDLERS = r"""
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.slow = awslambda.streamifyResponse(async (event, stream, context) => {
  stream.write('first;');
  await sleep(1500);
  stream.write('second;');
  console.log('slow done', context.awsRequestId);
  stream.end('last');
});
exports.fail = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('partial');
  await sleep(100);
  throw new TypeError('boom mid-stream');
});
exports.hang = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('started');
  await sleep(60000);
});
exports.plain = async (event) => ({ buffered: event.n });
exports.json = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('{"statusCode": 201, ');
  await sleep(50);
  stream.end('"body": "streamed"}');
});
// A deterministic MB pattern (byte i of the stream is (i * 7 + (i >> 20)) & 255), written
// with back-pressure respected; the write loop ends when fngate refuses more.
exports.big = awslambda.streamifyResponse(async (event, stream) => {
  const mb = 1 << 20;
  let gone = false;
  stream.on('error', () => { gone = true; });
  stream.on('close', () => { gone = true; });
  for (let m = 0; m < event.mb && !gone; m++) {
    const b = Buffer.alloc(mb);
    for (let i = 0; i < mb; i++) b[i] = (i * 7 + m) & 255;
    if (!stream.write(b)) {
      await new Promise((r) => { stream.once('drain', r); stream.once('close', r); stream.once('error', r); });
    }
  }
  if (!gone) stream.end();
});
"""

# Reads one InvokeWithResponseStream answer with the SDK, printing each event as it comes
# with its arrival time (ms since the call).
SDK_READER = r"""
const { LambdaClient, InvokeWithResponseStreamCommand } = require('@aws-sdk/client-lambda');
const [port, fn, payload, logType] = process.argv.slice(2);
(async () => {
  const c = new LambdaClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const t0 = Date.now();
  const input = { FunctionName: fn, Payload: Buffer.from(payload) };
  if (logType) input.LogType = logType;
  const r = await c.send(new InvokeWithResponseStreamCommand(input));
  const out = { status: r.StatusCode, version: r.ExecutedVersion, type: r.ResponseStreamContentType,
                requestId: r.$metadata.requestId, events: [] };
  for await (const ev of r.EventStream) {
    if (ev.PayloadChunk) out.events.push({ t: Date.now() - t0, chunk: Buffer.from(ev.PayloadChunk.Payload).toString() });
    if (ev.InvokeComplete) out.events.push({ t: Date.now() - t0, complete: ev.InvokeComplete });
  }
  console.log(JSON.stringify(out));
})().catch((e) => console.log(JSON.stringify({ error: e.name, message: e.message })));
"""


def config(code, extra="", runtime="nodejs"):
    def fn(name, handler, timeout=20, more=""):
        return "  %s:\n    runtime: %s\n    handler: %s\n    code: %s\n    timeout: %d\n%s" % (
            name, runtime, handler, code, timeout, more)
    return ("functions:\n" + fn("Slow", "index.slow") +
            fn("Json", "index.json", more="    events:\n      - http: GET /json\n") +
            fn("Fail", "index.fail") + fn("Hang", "index.hang", timeout=2) + fn("Plain", "index.plain") +
            fn("Big", "index.big", timeout=120, more="    memory: 1024\n    concurrency: 1\n") + extra)


def sdk_read(gw, tmp, fn, payload="{}", log_type=None):
    script = write(os.path.join(tmp, "sdk_reader.js"), SDK_READER)
    env = dict(os.environ, NODE_PATH=os.path.join(SDK_DIR, "node_modules"))
    p = subprocess.run(["node", script, str(gw.port), fn, payload] + ([log_type] if log_type else []),
                       capture_output=True, text=True, timeout=60, env=env)
    check(p.returncode == 0 and p.stdout.strip(), "sdk reader: %s %s" % (p.stdout, p.stderr))
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_sdk_reads_chunks_as_they_come(tmp):
    ensure_sdk()
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    with Gateway(tmp, config(code)) as gw:
        out = sdk_read(gw, tmp, "Slow", log_type="Tail")
        check(out.get("status") == 200 and out["version"] == "$LATEST", out)
        check(out["type"] == "application/vnd.amazon.eventstream", out)
        chunks = [e for e in out["events"] if "chunk" in e]
        check("".join(e["chunk"] for e in chunks) == "first;second;last", out)
        # The first chunk came before the handler slept its 1.5 s: streamed, not buffered.
        check(chunks[-1]["t"] - chunks[0]["t"] >= 1000, "chunks arrived together: %s" % out)
        done = out["events"][-1]["complete"]
        check(set(done) <= {"LogResult"}, done)
        # Its REPORT line counts the whole stream.
        report = wait_until(lambda: re.search(r"REPORT RequestId: %s\tDuration: ([0-9.]+) ms" % out["requestId"],
                                              gw.stdout()), 10, "the streamed invocation's REPORT line")
        check(float(report.group(1)) >= 1500, report.group(0))
        import base64
        check("slow done" in base64.b64decode(done["LogResult"]).decode(), done)

        # An error mid-stream: the bytes before it, then InvokeComplete naming it.
        out = sdk_read(gw, tmp, "Fail")
        check(out["events"][0]["chunk"] == "partial", out)
        check(out["events"][-1]["complete"] == {"ErrorCode": "TypeError", "ErrorDetails": "boom mid-stream"}, out)

        # A timeout mid-stream.
        out = sdk_read(gw, tmp, "Hang")
        check(out["events"][0]["chunk"] == "started", out)
        done = out["events"][-1]["complete"]
        check(done["ErrorCode"] == "Sandbox.Timedout" and "Task timed out after 2.00 seconds" in done["ErrorDetails"],
              out)

        # A function that does not stream: its whole response as one chunk, as AWS sends it.
        out = sdk_read(gw, tmp, "Plain", '{"n": 7}')
        check([e.get("chunk") for e in out["events"][:-1]] == ['{"buffered":7}'], out)
        check(out["events"][-1]["complete"] == {}, out)

        out = sdk_read(gw, tmp, "Nope")
        check(out.get("error") == "ResourceNotFoundException", out)


def test_signed_like_invoke(tmp):
    """InvokeWithResponseStream is authenticated as Invoke is: the SDK's SigV4 with a listed
    key passes, an unsigned call and an unknown key are refused before anything runs."""
    ensure_sdk()
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    creds = "invoke_api: {credentials: [{access_key: AKIDEXAMPLE, secret_key: secret}]}\n"
    with Gateway(tmp, creds + config(code)) as gw:
        out = sdk_read(gw, tmp, "Plain", '{"n": 1}')
        check(out.get("status") == 200 and out["events"][0]["chunk"] == '{"buffered":1}', out)
        status, headers, _ = gw.request("POST", "/2021-11-15/functions/Plain/response-streaming-invocations", b"{}")
        check(status == 403 and headers.get("x-amzn-errortype") == "MissingAuthenticationTokenException",
              (status, headers))
    with Gateway(tmp, creds.replace("AKIDEXAMPLE", "OTHERKEY") + config(code)) as gw:
        out = sdk_read(gw, tmp, "Plain")
        check(out.get("error") == "UnrecognizedClientException", out)


def test_buffered_callers_of_a_streaming_function(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    with Gateway(tmp, config(code)) as gw:
        status, headers, body = gw.invoke("Slow", {})
        check(status == 200 and body == b"first;second;last" and "x-amz-function-error" not in headers,
              (status, headers, body))
        status, headers, body = gw.invoke("Fail", {})
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
        err = json.loads(body)
        check(err["errorType"] == "TypeError" and err["errorMessage"] == "boom mid-stream", err)
        # A route: the streamed bytes are the function's response, read as a 2.0 result.
        status, _, body = gw.request("GET", "/json")
        check(status == 201 and body == b"streamed", (status, body))
        # Over 6 MB without a sink: Lambda's buffered limit applies.
        status, headers, body = gw.invoke("Big", {"mb": 7}, timeout=120)
        check(headers.get("x-amz-function-error") == "Unhandled" and
              json.loads(body)["errorType"] == "Function.ResponseSizeTooLarge", (status, headers, body[:300]))


def read_events(resp, on_chunk, limit=None):
    """Decodes an event stream from resp as it arrives (checking both CRCs); on_chunk gets
    each PayloadChunk's bytes. Returns the InvokeComplete JSON. Stops early (None) once
    limit bytes of chunks were read."""
    buf = b""
    seen = 0
    while True:
        data = resp.read1(1 << 20) if hasattr(resp, "read1") else resp.read(1 << 20)
        if not data:
            check(False, "the event stream ended without InvokeComplete")
        buf += data
        while len(buf) >= 12:
            total, hlen, pcrc = struct.unpack(">III", buf[:12])
            check(zlib.crc32(buf[:8]) == pcrc, "prelude CRC")
            if len(buf) < total:
                break
            msg, buf = buf[:total], buf[total:]
            check(zlib.crc32(msg[:-4]) == struct.unpack(">I", msg[-4:])[0], "message CRC")
            headers, off = {}, 12
            while off < 12 + hlen:
                n = msg[off]
                name = msg[off + 1:off + 1 + n].decode()
                vlen = struct.unpack(">H", msg[off + 2 + n:off + 4 + n])[0]
                headers[name] = msg[off + 4 + n:off + 4 + n + vlen].decode()
                off += 4 + n + vlen
            payload = msg[12 + hlen:-4]
            if headers[":event-type"] == "PayloadChunk":
                on_chunk(payload)
                seen += len(payload)
                if limit and seen >= limit:
                    return None
            else:
                check(headers[":event-type"] == "InvokeComplete", headers)
                return json.loads(payload)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def expected_hash(n_bytes):
    h = hashlib.sha256()
    base = bytes((i * 7) & 255 for i in range(256))
    for m in range(n_bytes >> 20):
        pattern = bytes((b + m) & 255 for b in base) * 4096
        h.update(pattern)
    return h.hexdigest()


def stream_big(gw, mb):
    """A raw InvokeWithResponseStream of Big streaming mb MB: (connection, response)."""
    c = gw.conn(timeout=120)
    c.request("POST", "/2021-11-15/functions/Big/response-streaming-invocations", body=json.dumps({"mb": mb}))
    resp = c.getresponse()
    check(resp.status == 200 and resp.getheader("Content-Type") == "application/vnd.amazon.eventstream",
          resp.status)
    return c, resp


def test_300mb_stream_flat_rss_and_the_200mb_limit(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    with Gateway(tmp, config(code)) as gw:
        c, resp = stream_big(gw, 300)
        h = hashlib.sha256()
        state = {"n": 0, "base": 0, "peak": 0}

        def on_chunk(b):
            h.update(b)
            state["n"] += len(b)
            if state["n"] >= (16 << 20) and not state["base"]:
                state["base"] = rss_kb(gw.proc.pid)
            if state["base"] and state["n"] % (8 << 20) < len(b):
                state["peak"] = max(state["peak"], rss_kb(gw.proc.pid))
        done = read_events(resp, on_chunk)
        c.close()
        # Lambda's 200 MB: the bytes up to it intact, then the stream ends with the error.
        check(state["n"] == 200 << 20, "read %d bytes" % state["n"])
        check(h.hexdigest() == expected_hash(200 << 20), "the streamed bytes differ")
        check(done["ErrorCode"] == "Function.ResponseSizeTooLarge" and "209715200" in done["ErrorDetails"], done)
        growth_mb = (state["peak"] - state["base"]) / 1024
        check(growth_mb < 100, "the gateway's RSS grew by %.0f MB during the stream" % growth_mb)
        # The worker went on to its next invocation.
        status, _, body = gw.invoke("Big", {"mb": 1}, timeout=60)
        check(status == 200 and len(body) == 1 << 20, (status, len(body)))


def test_client_leaves_mid_stream(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    with Gateway(tmp, config(code)) as gw:
        c, resp = stream_big(gw, 100)
        check(read_events(resp, lambda b: None, limit=4 << 20) is None, "ended early")
        c.close()                     # gone with the worker paused behind a full window
        # Big has concurrency 1: a new call is throttled until the first one ended, which
        # it does long before its 120 s timeout once its bytes are dropped.
        def next_ok():
            status, _, body = gw.invoke("Big", {"mb": 1}, timeout=60)
            return status == 200 and len(body) == 1 << 20
        wait_until(next_ok, 60, "the function to be free again after its client left")


# A `provided` runtime on a raw socket, to drive the Runtime API's streaming directly. The
# event's "mode": "bytewise" streams "abc" with error trailers, every byte its own send
# (TCP_NODELAY); "unknown" starts a stream for a request id that does not exist, then
# answers the real one with the status that got; "cut" closes its connection mid-stream.
RAW_STREAMER = r"""#!/usr/bin/python3
import base64, json, os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
def conn():
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    h = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    while len(body) < int(h.get("content-length", 0)):
        body += s.recv(65536)
    return int(lines[0].split()[1]), h, body
def stream(s, rid, pieces, trailers, bytewise, ctype=None):
    wire = ("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n%s"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n"
            % (rid, "Content-Type: %s\r\n" % ctype if ctype else "")).encode()
    for p in pieces:
        wire += b"%x\r\n%s\r\n" % (len(p), p)
    wire += b"0\r\n" + b"".join(b"%s: %s\r\n" % (k, v) for k, v in trailers) + b"\r\n"
    if bytewise:
        for i in range(len(wire)):
            s.send(wire[i:i + 1])
    else:
        s.send(wire)
    return answer(s)[0]
s = conn()
while True:
    s.send(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
    status, h, body = answer(s)
    ev = json.loads(body)
    rid, mode = h["lambda-runtime-aws-request-id"], ev.get("mode") or ev.get("rawPath", "").lstrip("/")
    if mode == "empty_prelude":
        stream(s, rid, [], [], False, "application/vnd.awslambda.http-integration-response")
    elif mode == "cut":
        s.send(("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n"
                "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n"
                "4\r\ncut!\r\n" % rid).encode())
        s.close()
        s = conn()
    elif mode == "bytewise":
        err = base64.b64encode(json.dumps({"errorType": "Custom.Err", "errorMessage": "from trailer"}).encode())
        stream(s, rid, [b"a", b"bc"], [(b"Lambda-Runtime-Function-Error-Type", b"Custom.Err"),
                                       (b"Lambda-Runtime-Function-Error-Body", err)], True)
    else:
        st = stream(s, "00000000-0000-4000-8000-000000000000", [b"x"], [], False)
        s.close()           # refused: that connection closes
        s = conn()
        out = str(st).encode()
        s.send(b"POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (rid.encode(), len(out), out))
        answer(s)
"""


def test_runtime_api_stream_edges(tmp):
    code = os.path.join(tmp, "raw")
    write(os.path.join(code, "bootstrap"), RAW_STREAMER, mode=0o755)
    cfg = ("functions:\n  Raw:\n    runtime: provided\n    code: %s\n    timeout: 20\n"
           "    url: {invoke_mode: RESPONSE_STREAM}\n" % code)
    with Gateway(tmp, cfg) as gw:
        chunks = []
        c = gw.conn(timeout=60)
        c.request("POST", "/2021-11-15/functions/Raw/response-streaming-invocations", body='{"mode": "bytewise"}')
        done = read_events(c.getresponse(), chunks.append)
        c.close()
        check(b"".join(chunks) == b"abc", chunks)
        check(done == {"ErrorCode": "Custom.Err", "ErrorDetails": "from trailer"}, done)
        status, headers, body = gw.invoke("Raw", {"mode": "unknown"})
        check(status == 200 and body == b"400", (status, body))
        chunks = []
        c = gw.conn(timeout=60)
        c.request("POST", "/2021-11-15/functions/Raw/response-streaming-invocations", body='{"mode": "cut"}')
        done = read_events(c.getresponse(), chunks.append)
        c.close()
        check(b"".join(chunks) == b"cut!" and done["ErrorCode"] == "Runtime.TruncatedResponse", (chunks, done))
        status, headers, body = gw.invoke("Raw", {"mode": "unknown"})
        check(status == 200 and body == b"400", "the worker after a cut stream: %r" % ((status, body),))
        # Through its function URL: the prelude's content type and no byte at all is an
        # empty answer with the prelude's defaults, not an unusable response.
        status, headers, body = gw.request("GET", "/_fngate/url/Raw/empty_prelude")
        check(status == 200 and body == b"" and headers.get("content-type") == "application/octet-stream",
              "an empty streamed URL answer: %r" % ((status, headers, body),))


def test_aws_lambda_ric_streams_unmodified(tmp):
    ensure_ric()
    ensure_sdk()
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), HANDLERS)
    write(os.path.join(code, "bootstrap"), """
        #!/bin/sh
        exec node %s/node_modules/aws-lambda-ric/bin/index.mjs "$_HANDLER"
        """ % RIC_DIR, mode=0o755)
    with Gateway(tmp, config(code, runtime="provided")) as gw:
        out = sdk_read(gw, tmp, "Slow")
        chunks = [e for e in out["events"] if "chunk" in e]
        check("".join(e["chunk"] for e in chunks) == "first;second;last", out)
        check(chunks[-1]["t"] - chunks[0]["t"] >= 1000, "chunks arrived together: %s" % out)
        check(out["events"][-1]["complete"] == {}, out)
        out = sdk_read(gw, tmp, "Fail")
        check(out["events"][0]["chunk"] == "partial", out)
        check(out["events"][-1]["complete"] == {"ErrorCode": "TypeError", "ErrorDetails": "boom mid-stream"}, out)

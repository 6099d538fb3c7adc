# SPDX-License-Identifier: MIT
"""fngate's Python runtime: loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the
AWS Lambda Runtime API, as Lambda's own Python runtime does. Standard library only, so it
runs on Debian's /usr/bin/python3 with no pip install.

The context object carries the attributes Lambda documents (aws_request_id, function_name,
function_version, invoked_function_arn, memory_limit_in_mb, log_group_name,
log_stream_name, identity, client_context, get_remaining_time_in_millis()). The logging
module is set up as in Lambda: "[LEVEL]\tTIME\tREQUEST_ID\tmessage"."""
import asyncio
import importlib
import inspect
import json
import logging
import os
import socket
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


class RuntimeClient:
    """HTTP/1.1 keep-alive client for the Runtime API, and nothing more. http.client parses
    every response's headers through the email package, which dominated a warm
    invocation's cost; this reads a status line, headers and a Content-Length body."""

    def __init__(self, api):
        host, port = api.rsplit(":", 1)
        self.addr = (host, int(port))
        self.sock = None
        self.buf = bytearray()

    def _connect(self):
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("Runtime API closed the connection")
        self.buf += chunk

    def call(self, method, path, body=b"", headers=None):
        """Returns (status, {lower-case header: value}, body bytes)."""
        if isinstance(body, str):
            body = body.encode()
        head = "%s %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, PREFIX, path, API, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(head.encode("latin-1") + b"\r\n" + body)
                while True:
                    end = self.buf.find(b"\r\n\r\n")
                    if end >= 0:
                        break
                    self._fill()
                break
            except (ConnectionError, OSError):
                self.sock = None
                if attempt:
                    raise
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        del self.buf[:end + 4]
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return status, hdrs, data


CLIENT = RuntimeClient(API)
call = CLIENT.call


def error_body(exc, tb=None):
    frames = traceback.extract_tb(tb) if tb else []
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": [line.rstrip("\n") for line in traceback.format_list(frames)],
    }


class Context:
    def __init__(self, request_id, deadline_ms, arn, identity, client_context):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = identity
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.request_id
        return True


def setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                            "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_path, _, func_name = spec.rpartition(".")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # import errors, syntax errors, errors at module level
        body = error_body(exc, sys.exc_info()[2])
        body["errorMessage"] = "Unable to import module '%s': %s" % (module_name, exc)
        body["errorType"] = "Runtime.ImportModuleError"
        return None, body
    func = getattr(module, func_name, None)
    if not callable(func):
        return None, {"errorMessage": "Handler '%s' missing on module '%s'" % (func_name, module_name),
                      "errorType": "Runtime.HandlerNotFound", "stackTrace": []}
    return func, None


def main():
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    setup_logging()
    handler, init_error = load_handler()
    if init_error:
        print("[ERROR] %s: %s" % (init_error["errorType"], init_error["errorMessage"]), flush=True)
        call("POST", "/init/error", json.dumps(init_error),
             {"Lambda-Runtime-Function-Error-Type": init_error["errorType"]})
        sys.exit(1)
    while True:
        _, hdrs, body = call("GET", "/invocation/next")
        request_id = hdrs.get("lambda-runtime-aws-request-id")
        deadline = int(hdrs.get("lambda-runtime-deadline-ms") or 0)
        arn = hdrs.get("lambda-runtime-invoked-function-arn")
        trace = hdrs.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        cc = hdrs.get("lambda-runtime-client-context")
        ci = hdrs.get("lambda-runtime-cognito-identity")
        RequestIdFilter.request_id = request_id
        ctx = Context(request_id, deadline, arn, json.loads(ci) if ci else None, json.loads(cc) if cc else None)
        try:
            event = json.loads(body) if body else {}
            result = handler(event, ctx)
            if inspect.isawaitable(result):
                result = asyncio.run(result)
            try:
                out = json.dumps(result)
            except (TypeError, ValueError) as exc:
                raise MarshalError("Unable to marshal response: %s" % exc) from None
        except Exception as exc:
            err = error_body(exc, sys.exc_info()[2])
            if isinstance(exc, MarshalError):
                err["errorType"] = "Runtime.MarshalError"
            print("[ERROR] %s: %s" % (err["errorType"], err["errorMessage"]), flush=True)
            for line in err["stackTrace"]:
                print(line, flush=True)
            call("POST", "/invocation/%s/error" % request_id, json.dumps(err),
                 {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
            continue
        status, _, _ = call("POST", "/invocation/%s/response" % request_id, out)
        if status == 413:
            err = {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                   "errorType": "Function.ResponseSizeTooLarge"}
            call("POST", "/invocation/%s/error" % request_id, json.dumps(err))


class MarshalError(Exception):
    pass


if __name__ == "__main__":
    main()

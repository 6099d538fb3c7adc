# SPDX-License-Identifier: MIT
"""fngate's Python runtime: loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the
AWS Lambda Runtime API, as Lambda's own Python runtime does. Standard library only, so it
runs on Debian's /usr/bin/python3 with no pip install.

The context object carries the attributes Lambda documents (aws_request_id, function_name,
function_version, invoked_function_arn, memory_limit_in_mb, log_group_name,
log_stream_name, identity, client_context, get_remaining_time_in_millis()). The logging
module is set up as in Lambda: "[LEVEL]\tTIME\tREQUEST_ID\tmessage"."""
import asyncio
import base64
import http.client
import importlib
import inspect
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"
HOST, PORT = API.rsplit(":", 1)
CONN = http.client.HTTPConnection(HOST, int(PORT))


def call(method, path, body=None, headers=None):
    CONN.request(method, PREFIX + path, body=body, headers=headers or {})
    resp = CONN.getresponse()
    return resp, resp.read()


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
        resp, body = call("GET", "/invocation/next")
        request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        deadline = int(resp.getheader("Lambda-Runtime-Deadline-Ms") or 0)
        arn = resp.getheader("Lambda-Runtime-Invoked-Function-Arn")
        trace = resp.getheader("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        cc = resp.getheader("Lambda-Runtime-Client-Context")
        ci = resp.getheader("Lambda-Runtime-Cognito-Identity")
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
        resp, _ = call("POST", "/invocation/%s/response" % request_id, out.encode())
        if resp.status == 413:
            err = {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                   "errorType": "Function.ResponseSizeTooLarge"}
            call("POST", "/invocation/%s/error" % request_id, json.dumps(err))


class MarshalError(Exception):
    pass


if __name__ == "__main__":
    main()

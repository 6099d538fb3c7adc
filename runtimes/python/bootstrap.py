# SPDX-License-Identifier: MIT
"""fngate's Python runtime: loads _HANDLER from LAMBDA_TASK_ROOT and serves it over the
AWS Lambda Runtime API, as Lambda's own Python runtime does. Standard library only, so it
runs on Debian's /usr/bin/python3 with no pip install.

The context object carries the attributes Lambda documents (aws_request_id, function_name,
function_version, invoked_function_arn, memory_limit_in_mb, log_group_name,
log_stream_name, identity, client_context, get_remaining_time_in_millis()). The logging
module is set up as in Lambda: "[LEVEL]\tTIME\tREQUEST_ID\tmessage".

Errors are posted in the shape of AWS's runtime interface client (awslambdaric): errorMessage,
errorType, requestId ("" during init) and stackTrace, a list of traceback.format_list()
entries ('  File "/task/app.py", line 3, in handler\\n    raise ...\\n'), outermost first,
starting at the handler's own frame: this file's frames (and asyncio's, which runs
coroutine handlers) are left out. Init errors: an ImportError is Runtime.ImportModuleError
and a SyntaxError Runtime.UserCodeSyntaxError (both without the import machinery's frames,
as AWS sends them); any other exception raised at import keeps its own type and the frames
from importlib down to the module's line; a missing handler is Runtime.HandlerNotFound."""
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
    invocation's cost; this reads a status line, headers and a Content-Length body.

    pipeline() sends several requests in one write and reads their answers in order
    (HTTP/1.1 pipelining): an invocation's result and the next GET /next go together, one
    round trip less per invocation."""

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

    @staticmethod
    def _request(method, path, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        head = "%s %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, PREFIX, path, API, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        return head.encode("latin-1") + b"\r\n" + body

    def _head_end(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                return end
            self._fill()

    def _send(self, data):
        """Sends data and waits for the first answer's head; a kept-alive connection found
        closed is opened again once. Returns where the head ends in self.buf."""
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(data)
                return self._head_end()
            except (ConnectionError, OSError):
                self.sock = None
                if attempt:
                    raise

    def _response(self, end):
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

    def call(self, method, path, body=b"", headers=None):
        """Returns (status, {lower-case header: value}, body bytes)."""
        return self._response(self._send(self._request(method, path, body, headers)))

    def pipeline(self, *requests):
        """Sends (method, path, body, headers) requests in one write; returns their answers
        as call() does, in order. A later answer lost with the connection is asked again."""
        out = [self._response(self._send(b"".join(self._request(*r) for r in requests)))]
        for r in requests[1:]:
            try:
                out.append(self._response(self._head_end()))
            except (ConnectionError, OSError):
                self.sock = None
                out.append(self.call(*r))
        return out


CLIENT = RuntimeClient(API)
call = CLIENT.call


# Frames of the runtime itself, dropped from the head of a stack trace as AWS's client drops
# its bootstrap.py: this file, and asyncio, which runs coroutine handlers for it.
RUNTIME_FILES = (os.path.abspath(__file__),)
ASYNCIO_DIR = os.path.dirname(os.path.abspath(asyncio.__file__)) + os.sep


def handler_frames(tb):
    """traceback.format_list() entries from the first frame that is not the runtime's. Plain
    (file, line, name, text) tuples, as AWS's client passes: no column carets (Python 3.11+)."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    i = 0
    while i < len(frames):
        name = os.path.abspath(frames[i][0])
        if name not in RUNTIME_FILES and not name.startswith(ASYNCIO_DIR):
            break
        i += 1
    return traceback.format_list(frames[i:])


def error_body(message, error_type, stack_trace=None, request_id=""):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": stack_trace or []}


def exception_body(exc, tb, request_id=""):
    return error_body(str(exc), type(exc).__name__, handler_frames(tb), request_id)


def log_error(err):
    """Writes the error as AWS's runtime does: "[ERROR] TYPE: MESSAGE", then the traceback."""
    lines = ["[ERROR] %s: %s" % (err["errorType"], err["errorMessage"])]
    if err["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        for entry in err["stackTrace"]:
            lines.extend(entry.splitlines())
    print("\n".join(lines), flush=True)


class FaultError(Exception):
    """A failure the runtime names itself (Runtime.*), posted with the stack trace given
    (none but for a syntax error's position), as AWS's client posts its FaultException."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace


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


def import_handler():
    """The handler function; raises FaultError for what AWS's client names (a malformed
    handler, a module that cannot be imported or has a syntax error, a missing handler),
    and lets any other exception raised by the module's code at import through."""
    spec = os.environ.get("_HANDLER", "")
    module_path, dot, func_name = spec.rpartition(".")
    if not dot:
        raise FaultError("Runtime.MalformedHandlerName",
                         "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    if not module_path:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': Empty module name" % spec)
    module_name = module_path.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError("Runtime.BuiltInModuleConflict",
                         "Cannot use built-in module %s as a handler module" % module_path)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise FaultError("Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (module_path, exc)) from None
    except SyntaxError as exc:
        raise FaultError("Runtime.UserCodeSyntaxError",
                         "Syntax error in module '%s': %s" % (module_path, exc),
                         ['  File "%s" Line %s\n    %s' % (exc.filename, exc.lineno, exc.text)]) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (func_name, module_path))
    return func


def load_handler():
    """(handler, None), or (None, the init error's body)."""
    try:
        return import_handler(), None
    except FaultError as exc:
        return None, error_body(exc.message, exc.error_type, exc.stack_trace)
    except Exception as exc:  # raised by the module's own code at import
        return None, exception_body(exc, exc.__traceback__)


# Lambda's limit on a response; a larger one is answered 413 and followed by an error.
RESPONSE_MAX_BYTES = 6291556
NEXT = ("GET", "/invocation/next")


def post_result(request_id, out, err):
    """Posts the invocation's result (out, a JSON string) or error (err) with the next GET
    /next in the same write, and returns the /next's answer. A response over Lambda's limit
    goes alone: its 413 is followed by a Function.ResponseSizeTooLarge error first."""
    if err:
        return CLIENT.pipeline(("POST", "/invocation/%s/error" % request_id, json.dumps(err),
                                {"Lambda-Runtime-Function-Error-Type": err["errorType"]}), NEXT)[1]
    out = out.encode()
    if len(out) <= RESPONSE_MAX_BYTES:
        return CLIENT.pipeline(("POST", "/invocation/%s/response" % request_id, out), NEXT)[1]
    status, _, _ = call("POST", "/invocation/%s/response" % request_id, out)
    if status == 413:
        err = {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
               "errorType": "Function.ResponseSizeTooLarge"}
        call("POST", "/invocation/%s/error" % request_id, json.dumps(err))
    return call(*NEXT)


# ---- snapstart: the snapshot template (router/snapshot.c speaks the other side)

def imported_files(task_root):
    """{path: (mtime_ns, size)} of every module imported from the task root: the code the
    snapshot holds."""
    root = os.path.join(os.path.abspath(task_root), "")
    files = {}
    for mod in list(sys.modules.values()):
        path = getattr(mod, "__file__", None)
        if path and os.path.abspath(path).startswith(root):
            try:
                st = os.stat(path)
            except OSError:
                continue
            files[path] = (st.st_mtime_ns, st.st_size)
    return files


def code_changed(files):
    for path, seen in files.items():
        try:
            st = os.stat(path)
        except OSError:
            return True
        if (st.st_mtime_ns, st.st_size) != seen:
            return True
    return False


def restore(ctl, out_fd, req):
    """In the forked worker: becomes an execution environment of its own (session, output,
    memory limit, Runtime API, fresh randomness), then runs the after-restore hooks."""
    global API, CLIENT, call
    import random
    import resource
    ctl.close()
    os.setsid()
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    try:
        if req["procs"]:
            with open(req["procs"], "w") as f:
                f.write("0")
        elif req["rlimit"]:
            resource.setrlimit(resource.RLIMIT_AS, (req["rlimit"], req["rlimit"]))
    except OSError as exc:
        print("fngate: cannot start worker: cannot enter memory group %s: %s" % (req["procs"], exc), flush=True)
        os._exit(127)
    os.environ["AWS_LAMBDA_RUNTIME_API"] = API = "127.0.0.1:%d" % req["port"]
    os.environ["AWS_LAMBDA_LOG_STREAM_NAME"] = req["log_stream"]
    CLIENT = RuntimeClient(API)
    call = CLIENT.call
    # The snapshot's random state is every worker's: each gets its own, as Lambda reseeds.
    random.seed()
    import snapshot_restore_py
    try:
        for func, args, kwargs in snapshot_restore_py.get_after_restore():
            func(*args, **kwargs)
    except Exception as exc:
        err = exception_body(exc, exc.__traceback__)
        log_error(err)
        call("POST", "/init/error", json.dumps(err), {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
        os._exit(1)


def snapshot_template():
    """Runs the init phase once (import, before-snapshot hooks), then forks a worker per
    request from fngate; returns the handler in each worker, never in the template. Init
    errors go to fngate on the control socket: the template has no Runtime API."""
    import random  # noqa: F401  (imported here, they are in the snapshot: restore() finds them loaded)
    import resource  # noqa: F401
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(os.environ.pop("FNGATE_SNAPSTART")))
    handler, init_error = load_handler()
    if not init_error:
        try:
            import snapshot_restore_py
            hooks = snapshot_restore_py.get_before_snapshot()
            while hooks:
                func, args, kwargs = hooks.pop()
                func(*args, **kwargs)
        except Exception as exc:
            init_error = exception_body(exc, exc.__traceback__)
    if init_error:
        log_error(init_error)
        ctl.send(json.dumps({"t": "init_error", "error": init_error}).encode())
        os._exit(1)
    files = imported_files(os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    ctl.send(b'{"t":"ready"}')
    while True:
        msg, fds, _, _ = socket.recv_fds(ctl, 65536, 1)
        if not msg:
            os._exit(0)                 # fngate is gone
        req = json.loads(msg)
        if not fds:
            continue
        if code_changed(files):
            ctl.send(b'{"t":"stale"}')
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        middle = os.fork()
        if middle == 0:
            # The worker goes on only once fngate was told its pid: a worker fngate cannot
            # name must never serve its port.
            told_r, told_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(told_w)
                if not os.read(told_r, 1):
                    os._exit(1)
                os.close(told_r)
                restore(ctl, fds[0], req)
                return handler
            try:
                ctl.send(json.dumps({"t": "pid", "id": req["id"], "pid": pid}).encode())
                os.write(told_w, b"1")
            finally:
                os._exit(0)
        os.close(fds[0])
        os.waitpid(middle, 0)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    setup_logging()
    if "FNGATE_SNAPSTART" in os.environ:
        handler, init_error = snapshot_template(), None
    else:
        handler, init_error = load_handler()
    if init_error:
        log_error(init_error)
        call("POST", "/init/error", json.dumps(init_error),
             {"Lambda-Runtime-Function-Error-Type": init_error["errorType"]})
        sys.exit(1)
    nxt = None
    while True:
        _, hdrs, body = nxt or call("GET", "/invocation/next")
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
            try:
                event = json.loads(body) if body else {}
            except ValueError as exc:
                raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % exc) from None
            result = handler(event, ctx)
            if inspect.isawaitable(result):
                result = asyncio.run(result)
            try:
                out = json.dumps(result)
            except (TypeError, ValueError) as exc:
                raise FaultError("Runtime.MarshalError", "Unable to marshal response: %s" % exc) from None
        except FaultError as exc:
            err = error_body(exc.message, exc.error_type, exc.stack_trace, request_id)
        except Exception as exc:
            err = exception_body(exc, exc.__traceback__, request_id)
        else:
            err = None
        if err:
            log_error(err)
        nxt = post_result(request_id, None if err else out, err)


if __name__ == "__main__":
    main()

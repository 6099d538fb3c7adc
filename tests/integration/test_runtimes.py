# SPDX-License-Identifier: MIT
"""Each runtime kind against a real gateway: Node.js (async and callback handlers), a
`provided` bootstrap written in shell, the `exec` runtime, Python errors, and the official
aws-lambda-ric Node runtime interface client running unmodified as a provided runtime."""
import base64
import json
import os
import re
import socket
import subprocess
import time

from harness import ROOT, Gateway, check, npm_install, wait_until, write


def fn_block(name, runtime, code, handler=None, extra=""):
    h = "    handler: %s\n" % handler if handler else ""
    return "  %s:\n    runtime: %s\n%s    code: %s\n%s" % (name, runtime, h, code, extra)


def test_node_async_and_callback(tmp):
    code = os.path.join(tmp, "node")
    write(os.path.join(code, "index.js"), """
        exports.asyncHandler = async (event, context) => {
          console.log('async got', event.n);
          return { n: event.n * 2, id: context.awsRequestId, fn: context.functionName,
                   mem: context.memoryLimitInMB, left: context.getRemainingTimeInMillis() > 0 };
        };
        exports.cbHandler = (event, context, callback) => {
          setTimeout(() => callback(null, { cb: true, n: event.n }), 10);
        };
        exports.failing = async () => { throw new TypeError('bad input'); };
        exports.legacy = (event, context) => { context.succeed({ legacy: true }); };
        """)
    write(os.path.join(code, "esm.mjs"), """
        export const handler = async (event) => ({ esm: event.v });
        """)
    config = "functions:\n" + fn_block("NodeAsync", "nodejs", code, "index.asyncHandler") + \
        fn_block("NodeCb", "nodejs", code, "index.cbHandler") + fn_block("NodeFail", "nodejs", code, "index.failing") + \
        fn_block("NodeEsm", "nodejs", code, "esm.handler") + fn_block("NodeLegacy", "nodejs", code, "index.legacy")
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("NodeAsync", {"n": 21})
        out = json.loads(body)
        check(status == 200 and out["n"] == 42 and out["id"] == headers["x-amzn-requestid"], body)
        check(out["fn"] == "NodeAsync" and out["mem"] == "128" and out["left"] is True, out)
        status, _, body = gw.invoke("NodeCb", {"n": 5})
        check(status == 200 and json.loads(body) == {"cb": True, "n": 5}, body)
        status, headers, body = gw.invoke("NodeFail", {})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "TypeError" and err["errorMessage"] == "bad input", err)
        gw.wait_stdout(r"\tINFO\tasync got 21$")
        status, _, body = gw.invoke("NodeEsm", {"v": 7})
        check(status == 200 and json.loads(body) == {"esm": 7}, body)
        status, _, body = gw.invoke("NodeLegacy", {})
        check(status == 200 and json.loads(body) == {"legacy": True}, body)


def test_provided_shell_bootstrap(tmp):
    code = os.path.join(tmp, "sh")
    write(os.path.join(code, "bootstrap"), """
        #!/bin/sh
        # A Lambda custom runtime in shell: the Runtime API loop with curl.
        set -eu
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        while true; do
          HEADERS="$(mktemp)"
          EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
          ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          echo "shell handling $ID"
          curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"echo\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}" >/dev/null
          rm -f "$HEADERS"
        done
        """, mode=0o755)
    config = "functions:\n" + fn_block("Shell", "provided", code, "function.handler",
                                         "    events:\n      - http: POST /shell\n")
    with Gateway(tmp, config) as gw:
        for i in range(3):
            status, headers, body = gw.invoke("Shell", {"i": i})
            check(status == 200, body)
            check(json.loads(body) == {"echo": {"i": i}, "handler": "function.handler"}, body)
        rid = headers["x-amzn-requestid"]
        gw.wait_stdout(r"\[Shell\] %s\tshell handling %s" % (rid, rid))
        # Over 1 KB, curl posts with "Expect: 100-continue" and waits for the 100.
        big = {"blob": "z" * 5000}
        status, _, body = gw.invoke("Shell", big)
        check(status == 200 and json.loads(body)["echo"] == big, body[:200])
        status, _, body = gw.request("POST", "/shell", body="hi")
        check(status == 200 and json.loads(body)["echo"]["body"] == "hi", body)


def test_exec_runtime(tmp):
    code = os.path.join(tmp, "exec")
    os.makedirs(code)
    config = "functions:\n" + \
        fn_block("Upper", "exec", code, "\"tr a-z A-Z\"") + \
        fn_block("Text", "exec", code, "\"echo hello world\"") + \
        fn_block("Json", "exec", code, "\"echo '{\\\"ok\\\": true}'\"") + \
        fn_block("Fails", "exec", code, "\"echo oops >&2; exit 3\"")
    with Gateway(tmp, config) as gw:
        status, _, body = gw.invoke("Upper", {"a": "b"})
        check(status == 200 and json.loads(body) == {"A": "B"}, body)
        status, _, body = gw.invoke("Text", {})
        check(status == 200 and json.loads(body) == "hello world", body)
        status, _, body = gw.invoke("Json", {})
        check(status == 200 and json.loads(body) == {"ok": True}, body)
        status, headers, body = gw.invoke("Fails", {})
        check(headers.get("x-amz-function-error") == "Unhandled" and b"status 3" in body, body)
        gw.wait_stdout(r"\[Fails\] [0-9a-f-]{36}\toops$")


def test_python_errors(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), """
        def boom(event, context):
            raise ValueError("no good")

        def unserialisable(event, context):
            return {"s": {1, 2}}

        async def coroutine(event, context):
            return {"awaited": event["x"] + 1}
        """)
    write(os.path.join(code, "broken.py"), "import does_not_exist\n")
    config = "functions:\n" + \
        fn_block("Boom", "python3", code, "app.boom", "    events:\n      - http: GET /boom\n") + \
        fn_block("Marshal", "python3", code, "app.unserialisable") + \
        fn_block("Broken", "python3", code, "broken.handler") + \
        fn_block("Missing", "python3", code, "app.nothing_here") + \
        fn_block("Coro", "python3", code, "app.coroutine")
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("Boom", {})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "ValueError" and err["errorMessage"] == "no good", err)
        check(isinstance(err["stackTrace"], list) and err["stackTrace"], err)
        # A route answers as API Gateway does: the details stay in the logs.
        status, _, body = gw.request("GET", "/boom")
        check(status == 500 and json.loads(body) == {"message": "Internal Server Error"}, (status, body))
        wait_until(lambda: re.search(r"route: function Boom request \S+ failed: ValueError: no good", gw.stderr()), 10,
                   "the error in the gateway's log")
        status, _, body = gw.invoke("Marshal", {})
        check(json.loads(body)["errorType"] == "Runtime.MarshalError", body)
        status, headers, body = gw.invoke("Broken", {})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "Runtime.ImportModuleError" and "does_not_exist" in err["errorMessage"], err)
        status, _, body = gw.invoke("Missing", {})
        check(json.loads(body)["errorType"] == "Runtime.HandlerNotFound", body)
        status, _, body = gw.invoke("Coro", {"x": 1})
        check(status == 200 and json.loads(body) == {"awaited": 2}, body)
        # The gateway keeps serving after all of that.
        status, _, body = gw.invoke("Boom", {})
        check(status == 200, status)


def check_python_trace(err, first_file, last_file, what):
    """AWS's Python stackTrace: format_list() entries, each ending with a newline, outermost
    first, from the handler's own frame (never the runtime's bootstrap.py)."""
    trace = err["stackTrace"]
    check(isinstance(trace, list) and trace, "%s: a stack trace: %s" % (what, err))
    check(all(isinstance(e, str) and e.startswith('  File "') and e.endswith("\n") for e in trace),
          "%s: every entry is '  File \"...\", line N, in NAME\\n...\\n': %s" % (what, trace))
    check(trace[0].startswith('  File "%s", line ' % first_file), "%s: first frame in %s: %s" % (what, first_file, trace))
    check(trace[-1].startswith('  File "%s", line ' % last_file), "%s: last frame in %s: %s" % (what, last_file, trace))
    check(not any("bootstrap.py" in e for e in trace), "%s: no frame of the runtime: %s" % (what, trace))
    check(not any("^^^" in e for e in trace), "%s: no column carets (AWS's entries have none): %s" % (what, trace))


def test_python_error_shapes(tmp):
    """Errors as AWS's Python runtime interface client posts them: errorMessage, errorType,
    requestId, stackTrace from the handler's file down, each entry ending with a newline;
    init errors (import, syntax, missing handler, an exception at import) likewise."""
    code = os.path.join(tmp, "py")
    app, helper = os.path.join(code, "app.py"), os.path.join(code, "helper.py")
    write(app, """
        import helper

        def boom(event, context):
            return helper.deeper(event)

        async def coroutine(event, context):
            raise KeyError("missing")
        """)
    write(helper, """
        def deeper(event):
            raise ValueError("no good: %s" % event["n"])
        """)
    write(os.path.join(code, "atimport.py"), """
        x = 1
        raise RuntimeError("failed at import")
        """)
    write(os.path.join(code, "syntax.py"), "def f(:\n    pass\n")
    write(os.path.join(code, "broken.py"), "import does_not_exist\n")
    config = "functions:\n" + fn_block("Boom", "python3", code, "app.boom") + \
        fn_block("Coro", "python3", code, "app.coroutine") + \
        fn_block("AtImport", "python3", code, "atimport.handler") + \
        fn_block("Syntax", "python3", code, "syntax.handler") + \
        fn_block("Broken", "python3", code, "broken.handler") + \
        fn_block("Missing", "python3", code, "app.nothing_here")
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("Boom", {"n": 7})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", headers)
        check(sorted(err) == ["errorMessage", "errorType", "requestId", "stackTrace"], err)
        check(err["errorType"] == "ValueError" and err["errorMessage"] == "no good: 7", err)
        check(err["requestId"] == headers["x-amzn-requestid"], err)
        check_python_trace(err, app, helper, "handler error")
        check(len(err["stackTrace"]) == 2 and ", in boom\n    return helper.deeper(event)\n" in err["stackTrace"][0] and
              err["stackTrace"][1].endswith(', in deeper\n    raise ValueError("no good: %s" % event["n"])\n'), err)
        gw.wait_stdout(r"\[ERROR\] ValueError: no good: 7$")
        gw.wait_stdout(r"\tTraceback \(most recent call last\):$")

        status, _, body = gw.invoke("Coro", {})
        err = json.loads(body)
        check(err["errorType"] == "KeyError" and err["errorMessage"] == "'missing'", err)
        check_python_trace(err, app, app, "coroutine handler (asyncio's frames left out too)")
        check(len(err["stackTrace"]) == 1 and ", in coroutine\n" in err["stackTrace"][0], err)

        # Raised by the module's code at import: its own type, and the frames from the import
        # machinery down to the module's line, as AWS sends them; requestId is "" in init.
        status, headers, body = gw.invoke("AtImport", {})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "RuntimeError" and err["errorMessage"] == "failed at import", err)
        check(err["requestId"] == "", err)
        check_python_trace(err, err["stackTrace"][0][len('  File "'):].split('"')[0], os.path.join(code, "atimport.py"),
                           "error at import")
        check("importlib" in err["stackTrace"][0], err)
        check(err["stackTrace"][-1].endswith(', in <module>\n    raise RuntimeError("failed at import")\n'), err)

        status, _, body = gw.invoke("Syntax", {})
        err = json.loads(body)
        check(err["errorType"] == "Runtime.UserCodeSyntaxError", err)
        check(err["errorMessage"].startswith("Syntax error in module 'syntax': "), err)
        check(len(err["stackTrace"]) == 1 and
              err["stackTrace"][0].startswith('  File "%s" Line 1\n    def f(:' % os.path.join(code, "syntax.py")), err)

        status, _, body = gw.invoke("Broken", {})
        err = json.loads(body)
        check(err == {"errorMessage": "Unable to import module 'broken': No module named 'does_not_exist'",
                      "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}, err)
        status, _, body = gw.invoke("Missing", {})
        err = json.loads(body)
        check(err == {"errorMessage": "Handler 'nothing_here' missing on module 'app'",
                      "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}, err)


def check_node_trace(err, first, file, what):
    """AWS's Node.js trace: the stack's lines, the first being "TYPE: message"; here without
    a frame of fngate's runtime."""
    trace = err["trace"]
    check(isinstance(trace, list) and trace and trace[0] == first, "%s: trace starts %r: %s" % (what, first, err))
    if file:
        check(any(line.startswith("    at ") and file + ":" in line for line in trace[1:]),
              "%s: a frame in %s: %s" % (what, file, trace))
    check(not any("bootstrap.js" in line for line in trace), "%s: no frame of the runtime: %s" % (what, trace))


def test_node_error_shapes(tmp):
    """Errors as AWS's Node.js runtime interface client posts them: errorType, errorMessage and
    trace (the stack's lines), thrown values that are not Errors, and the Runtime.* init errors."""
    code = os.path.join(tmp, "node")
    index = os.path.join(code, "index.js")
    write(index, """
        const helper = require('./helper');
        exports.sync = (event) => helper.deeper(event);
        exports.asyncLater = async () => { await new Promise((r) => setTimeout(r, 5)); throw new RangeError('later'); };
        exports.callbackErr = (event, context, callback) => callback(new Error('via callback'));
        exports.str = async () => { throw 'plain string'; };
        exports.fail = (event, context) => context.fail();
        exports.nested = { handler: async () => ({ nested: true }) };
        exports.notfn = 42;
        """)
    write(os.path.join(code, "helper.js"), """
        exports.deeper = (event) => { throw new TypeError('bad input ' + event.n); };
        """)
    write(os.path.join(code, "atload.js"), "throw new Error('load boom');\n")
    write(os.path.join(code, "syntax.js"), "exports.handler = () => {;\n")
    write(os.path.join(code, "needsdep.js"), "require('not-installed-anywhere');\n")
    fns = [("Sync", "index.sync"), ("Later", "index.asyncLater"), ("CbErr", "index.callbackErr"),
           ("Str", "index.str"), ("Fail", "index.fail"), ("Nested", "index.nested.handler"),
           ("NoHandler", "index.nope"), ("NotFn", "index.notfn"), ("AtLoad", "atload.handler"),
           ("Syntax", "syntax.handler"), ("NeedsDep", "needsdep.handler"), ("NoModule", "absent.handler")]
    config = "functions:\n" + "".join(fn_block(n, "nodejs", code, h) for n, h in fns)
    with Gateway(tmp, config) as gw:
        def err_of(name):
            status, headers, body = gw.invoke(name, {"n": 3})
            check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (name, headers, body))
            err = json.loads(body)
            check(sorted(err) == ["errorMessage", "errorType", "trace"], (name, err))
            return err

        err = err_of("Sync")
        check(err["errorType"] == "TypeError" and err["errorMessage"] == "bad input 3", err)
        check_node_trace(err, "TypeError: bad input 3", os.path.join(code, "helper.js"), "sync throw")
        check(err["trace"][1].startswith("    at ") and os.path.join(code, "helper.js") in err["trace"][1], err)
        check(any(index + ":" in line for line in err["trace"]), err)
        gw.wait_stdout(r"\tERROR\tInvoke Error \t\{\"errorType\":\"TypeError\",\"errorMessage\":\"bad input 3\"")
        check_node_trace(err_of("Later"), "RangeError: later", index, "async throw after an await")
        check_node_trace(err_of("CbErr"), "Error: via callback", index, "callback(error)")
        check(err_of("Str") == {"errorType": "string", "errorMessage": "plain string", "trace": []}, "a thrown string")
        check(err_of("Fail") == {"errorType": "string", "errorMessage": "handled", "trace": []}, "context.fail()")
        status, _, body = gw.invoke("Nested", {})
        check(status == 200 and json.loads(body) == {"nested": True}, body)

        err = err_of("NoHandler")
        check(err["errorType"] == "Runtime.HandlerNotFound", err)
        check_node_trace(err, "Runtime.HandlerNotFound: index.nope is undefined or not exported", None, "no handler")
        check_node_trace(err_of("NotFn"), "Runtime.HandlerNotFound: index.notfn is not a function", None, "not a function")
        err = err_of("AtLoad")
        check(err["errorType"] == "Error" and err["errorMessage"] == "load boom", err)
        check_node_trace(err, "Error: load boom", os.path.join(code, "atload.js"), "thrown while loading")
        err = err_of("Syntax")
        check(err["errorType"] == "Runtime.UserCodeSyntaxError" and err["errorMessage"].startswith("SyntaxError: "), err)
        check_node_trace(err, "Runtime.UserCodeSyntaxError: " + err["errorMessage"].split("\n")[0], None, "syntax error")
        err = err_of("NeedsDep")
        check(err["errorType"] == "Runtime.ImportModuleError" and
              err["errorMessage"].startswith("Error: Cannot find module 'not-installed-anywhere'"), err)
        check(err["trace"][0] == "Runtime.ImportModuleError: Error: Cannot find module 'not-installed-anywhere'", err)
        err = err_of("NoModule")
        check(err["errorType"] == "Runtime.ImportModuleError" and
              err["errorMessage"].startswith("Error: Cannot find module 'absent'"), err)


def test_environment_and_context(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), """
        import os, tempfile, time
        NAMES = ["AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
                 "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                 "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE",
                 "AWS_REGION", "TZ", "LANG", "PATH", "TMPDIR", "GREETING", "_X_AMZN_TRACE_ID"]
        def handler(event, context):
            left = context.get_remaining_time_in_millis()
            now_ms = int(time.time() * 1000)        # read after left: their sum is not below the deadline
            return {"env": {k: os.environ.get(k) for k in NAMES}, "cwd": os.getcwd(),
                    "tmp": tempfile.gettempdir(),
                    "ctx": {"id": context.aws_request_id, "name": context.function_name,
                            "version": context.function_version, "arn": context.invoked_function_arn,
                            "mem": context.memory_limit_in_mb, "group": context.log_group_name,
                            "stream": context.log_stream_name, "cc": context.client_context,
                            "deadline": now_ms + left}}
        """)
    config = "region: eu-west-1\naccount_id: '123456789012'\nstate_dir: %s/state\nfunctions:\n" % tmp + \
        fn_block("Env", "python3", code, "app.handler", "    memory: 256\n    timeout: 7\n"
                 "    environment: {GREETING: hi}\n")
    with Gateway(tmp, config) as gw:
        before_ms = int(time.time() * 1000)
        status, headers, body = gw.invoke("Env", {})
        after_ms = int(time.time() * 1000)
        out = json.loads(body)
        env, ctx = out["env"], out["ctx"]
        check(env["_HANDLER"] == "app.handler" and env["LAMBDA_TASK_ROOT"] == code and out["cwd"] == code, out)
        check(env["AWS_LAMBDA_FUNCTION_NAME"] == "Env" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256", env)
        check(env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST" and env["AWS_REGION"] == "eu-west-1", env)
        check(env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/Env", env)
        check(env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand" and env["GREETING"] == "hi", env)
        check(env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:") and env["TZ"] == ":UTC", env)
        check("[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"], env)
        check(env["TMPDIR"] == os.path.join(tmp, "state", "tmp", "Env") and out["tmp"] == env["TMPDIR"], out)
        check(env["_X_AMZN_TRACE_ID"].startswith("Root=1-"), env)
        check(ctx["id"] == headers["x-amzn-requestid"] and ctx["name"] == "Env" and ctx["version"] == "$LATEST", ctx)
        check(ctx["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:Env", ctx)
        check(ctx["mem"] == "256" and ctx["group"] == "/aws/lambda/Env", ctx)
        # Remaining time counts down to the event's start plus the 7 s timeout (1 ms for the
        # rounding of milliseconds on each side).
        check(before_ms + 7000 - 1 <= ctx["deadline"] <= after_ms + 7000 + 1, (before_ms, ctx, after_ms))
        check(ctx["cc"] is None, ctx)
        cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
        status, headers, body = gw.invoke("Env", {}, {"X-Amz-Client-Context": cc})
        check(json.loads(body)["ctx"]["cc"] == {"custom": {"k": "v"}}, body)
        status, headers, body = gw.invoke("Env", {}, {"X-Amz-Client-Context": "not base64!"})
        check(status == 400 and headers.get("x-amzn-errortype") == "InvalidRequestContentException", status)


RIC_DIR = os.path.join(ROOT, "build", "aws-lambda-ric")


def ensure_ric():
    """Installs npm's aws-lambda-ric once per build tree (it compiles native code: minutes)."""
    npm_install("aws-lambda-ric", "aws-lambda-ric")


def test_aws_lambda_ric_unmodified(tmp):
    ensure_ric()
    code = os.path.join(tmp, "ric")
    write(os.path.join(code, "index.js"), """
        exports.handler = async (event, context) => {
          console.log('ric handling', context.awsRequestId);
          return { hello: event.name, requestId: context.awsRequestId };
        };
        exports.bad = async () => { throw new Error('ric boom'); };
        """)
    # The bootstrap is how a container image starts the official client: nothing fngate-specific.
    write(os.path.join(code, "bootstrap"), """
        #!/bin/sh
        exec node %s/node_modules/aws-lambda-ric/bin/index.mjs "$_HANDLER"
        """ % RIC_DIR, mode=0o755)
    config = "functions:\n" + fn_block("Ric", "provided", code, "index.handler", "    timeout: 10\n") + \
        fn_block("RicBad", "provided", code, "index.bad", "    timeout: 10\n")
    with Gateway(tmp, config) as gw:
        for name in ("Himanshu", "again"):
            status, headers, body = gw.invoke("Ric", {"name": name}, timeout=60)
            check(status == 200, (status, body))
            out = json.loads(body)
            check(out == {"hello": name, "requestId": headers["x-amzn-requestid"]}, out)
        status, headers, body = gw.invoke("RicBad", {}, timeout=60)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(json.loads(body)["errorMessage"] == "ric boom", body)
        # The official client's error shape, which the bundled runtime copies (test_node_error_shapes).
        err = json.loads(body)
        check(sorted(err) == ["errorMessage", "errorType", "trace"] and err["trace"][0] == "Error: ric boom", err)
        check(any(os.path.join(code, "index.js") + ":" in line for line in err["trace"]), err)


# A `provided` runtime speaking HTTP/1.1 on a raw socket, to drive the Runtime API's handling
# of pipelined requests. _HANDLER picks the mode:
#   pipeline  each answer goes out with the next GET /next in one send; the event picks what
#             comes before the /next: a 7 MB response (413), a response with a wrong id (400)
#             then the right one, or the response alone
#   bytewise  the same, one byte per send (TCP_NODELAY): every request split across packets
#   pair      as pipeline, with a /response for an unknown id and GET /nope behind the /next:
#             the /next waits for an event that does not exist yet, and the two behind it
#             must be answered after it
# It uses one connection for its life and dies if fngate closes it. Each response reports the
# statuses the previous exchange got ("prev") and how many events this process has served.
RAW_BOOTSTRAP = r"""#!/usr/bin/python3
import json, os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
mode = os.environ["_HANDLER"]
s = socket.create_connection((host, int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""

def req(method, path, body=b""):
    return (("%s /2018-06-01/runtime%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
             % (method, path, len(body))).encode() + body)

def send(data):
    if mode == "bytewise":
        for i in range(len(data)):
            s.send(data[i:i + 1])
    else:
        s.sendall(data)

def answer():
    global buf
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("fngate closed the connection")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    h = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    n = int(h.get("content-length", "0"))
    while len(buf) < n:
        buf += s.recv(65536)
    body, buf = buf[:n], buf[n:]
    return int(lines[0].split()[1]), h, body

NEXT = req("GET", "/invocation/next")
extras = [req("POST", "/invocation/not-an-id/response", b"{}"), req("GET", "/nope")] if mode == "pair" else []
send(NEXT)
_, h, body = answer()
prev = []
served = 0
while True:
    rid = h["lambda-runtime-aws-request-id"]
    event = json.loads(body)
    served += 1
    out = json.dumps({"echo": event, "prev": prev, "served": served}).encode()
    posts = []
    if event.get("big"):
        out = json.dumps("x" * (7 << 20)).encode()
    if event.get("wrong_id"):
        posts.append(req("POST", "/invocation/not-%s/response" % rid, b"{}"))
    posts.append(req("POST", "/invocation/%s/response" % rid, out))
    send(b"".join(posts) + NEXT + b"".join(extras))
    prev = [answer()[0] for _ in posts]
    status, h, body = answer()
    prev += [status] + [answer()[0] for _ in extras]
"""


def test_runtime_api_pipelining(tmp):
    """The Runtime API answers pipelined requests in order on one connection: a /response
    and the next /next in one send (also when the /response gets 413 or 400), every request
    split byte by byte, and a /next followed by more requests before its event exists."""
    code = os.path.join(tmp, "raw")
    write(os.path.join(code, "bootstrap"), RAW_BOOTSTRAP, mode=0o755)
    config = "functions:\n" + "".join(fn_block(m.capitalize(), "provided", code, m, "    timeout: 10\n")
                                      for m in ("pipeline", "bytewise", "pair"))
    with Gateway(tmp, config) as gw:
        for name in ("Pipeline", "Bytewise"):
            status, _, body = gw.invoke(name, {"n": 1}, timeout=60)
            check(status == 200 and json.loads(body) == {"echo": {"n": 1}, "prev": [], "served": 1}, (name, body))
            served, prev = 1, [202, 200]
            if name == "Pipeline":   # 7 MB byte by byte would take minutes
                status, headers, body = gw.invoke(name, {"big": True}, timeout=60)
                check(headers.get("x-amz-function-error") == "Unhandled" and
                      json.loads(body)["errorType"] == "Function.ResponseSizeTooLarge", (name, body[:300]))
                # The /next sent with the 413'd response is served on the same connection.
                served, prev = 2, [413, 200]
            status, _, body = gw.invoke(name, {"wrong_id": True}, timeout=60)
            check(status == 200 and json.loads(body) == {"echo": {"wrong_id": True}, "prev": prev,
                                                         "served": served + 1}, (name, body))
            status, _, body = gw.invoke(name, {"n": 4}, timeout=60)
            check(status == 200 and json.loads(body) == {"echo": {"n": 4}, "prev": [400, 202, 200], "served": served + 2},
                  (name, body))
        # The /next waits for its event; the two requests behind it are answered after it.
        for n in (1, 2, 3):
            status, _, body = gw.invoke("Pair", {"n": n}, timeout=60)
            check(status == 200 and json.loads(body) == {"echo": {"n": n}, "prev": [202, 200, 400, 404] if n > 1 else [],
                                                         "served": n}, body)


class FakeRuntimeApi:
    """A Runtime API written here, to see how a bundled runtime talks: one connection,
    requests with Content-Length bodies, answered when the test says."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.addr = "127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.sock = None
        self.buf = b""

    def close(self):
        for s in (self.sock, self.lsock):
            if s:
                s.close()

    def request(self, timeout):
        """(method, path, body) of the next request, or None if it has not arrived whole
        within timeout seconds."""
        end = time.monotonic() + timeout
        if self.sock is None:
            self.lsock.settimeout(timeout)
            self.sock = self.lsock.accept()[0]
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode("latin-1").split("\r\n")
                n = 0
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        n = int(v)
                if len(rest) >= n:
                    self.buf = rest[n:]
                    method, path = lines[0].split(" ")[:2]
                    return method, path, rest[:n]
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            check(chunk, "the runtime closed its connection")
            self.buf += chunk

    def reply(self, status, body=b"{}", headers=None):
        head = "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (status, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall(head.encode() + b"\r\n" + body)

    def event(self, rid, payload):
        self.reply(200, json.dumps(payload).encode(), {"Lambda-Runtime-Aws-Request-Id": rid,
                                                       "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60000),
                                                       "Lambda-Runtime-Invoked-Function-Arn": "arn:x"})


def check_bundled_runtime_pipelines(tmp, argv, handler, code):
    """Runs a bundled runtime against FakeRuntimeApi: after the first plain GET /next, the
    result of each event (a response, then an error) comes with the next GET /next before
    any answer: the fake answers the post only once the /next is in (or 3 s passed)."""
    api = FakeRuntimeApi()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api.addr, _HANDLER=handler, LAMBDA_TASK_ROOT=code,
               AWS_LAMBDA_FUNCTION_NAME="Fake")
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        check(api.request(30)[:2] == ("GET", "/2018-06-01/runtime/invocation/next"), "first /next")
        api.event("r1", {"n": 1})
        post = api.request(30)
        check(post[:2] == ("POST", "/2018-06-01/runtime/invocation/r1/response") and json.loads(post[2]) == {"n": 2},
              post)
        nxt = api.request(3)
        check(nxt is not None, "%s sent no GET /next before the answer to its /response" % argv[0])
        check(nxt[:2] == ("GET", "/2018-06-01/runtime/invocation/next"), nxt)
        api.reply(202)
        api.event("r2", {"fail": True})
        post = api.request(30)
        check(post[:2] == ("POST", "/2018-06-01/runtime/invocation/r2/error"), post)
        nxt = api.request(3)
        check(nxt is not None and nxt[:2] == ("GET", "/2018-06-01/runtime/invocation/next"),
              "%s sent no GET /next with its /error" % argv[0])
        api.reply(202)
    finally:
        p.kill()
        out = p.communicate()[0]
        api.close()
    return out


def test_bundled_runtimes_pipeline(tmp):
    """The Python and Node runtimes send an invocation's response or error and the next
    GET /next in one write (HTTP/1.1 pipelining), without waiting for the first answer."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), """
        def handler(event, context):
            if event.get("fail"):
                raise ValueError("asked to")
            return {"n": event["n"] + 1}
        """)
    write(os.path.join(code, "index.js"), """
        exports.handler = async (event) => {
          if (event.fail) throw new Error('asked to');
          return { n: event.n + 1 };
        };
        """)
    check_bundled_runtime_pipelines(tmp, ["/usr/bin/python3", os.path.join(ROOT, "runtimes/python/bootstrap.py")],
                                    "app.handler", code)
    check_bundled_runtime_pipelines(tmp, ["node", os.path.join(ROOT, "runtimes/node/bootstrap.js")],
                                    "index.handler", code)

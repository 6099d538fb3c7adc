# SPDX-License-Identifier: MIT
"""The official AWS Lambda runtime interface clients, unmodified, on the real fngate: Python's
awslambdaric (PyPI), Go's aws-lambda-go, Rust's lambda_runtime (crates.io), each a `provided`
runtime as its users deploy it (a `bootstrap` in the code); Java's
aws-lambda-java-runtime-interface-client (Maven Central) on runtime java21; and fngate's own
Ruby bootstrap (runtimes/ruby/bootstrap.rb) on runtime ruby3.3.

Each test deploys one handler in its language twice, as NAME (timeout 10 s) and NAMESlow
(timeout 2 s), and checks: a result carrying Lambda's context as that client hands it over
(request id == the invoke's x-amzn-requestid, deadline within (call, answer + timeout], the
ARN arn:aws:lambda:us-east-1:000000000000:function:NAME, name, version, memory, log group
and stream), a line the handler printed in the function log, a function error with exactly
the errorType and errorMessage that client posts and X-Amz-Function-Error: Unhandled, and a
timeout (Sandbox.Timedout), after which a fresh worker answers. Workers are isolated, as
users run them (as root; the code is then /var/task). test_dual_stack_client_socket checks
the Runtime API's uid check with a client on an IPv6 socket connected to ::ffff:127.0.0.1,
as Java's HttpURLConnection connects (the Java client posts its errors so).

The clients are never vendored: each test downloads its client with the language's own tool
into build/rt-clients/LANG (pip --target; GOMODCACHE and GOCACHE; CARGO_HOME and the cargo
target dir; a Maven local repository) and builds there, once per build tree; reruns reuse
it all (a build that changed nothing takes a second). What is built is copied into the
function's code directory, as a deployment package carries it. A registry that cannot be
reached skips the test; any other failure fails it. go and cargo are looked for on PATH and
where their upstream installers put them (/usr/local/go/bin, ~/.cargo/bin)."""
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import ROOT, Gateway, check, skip, write

CACHE = os.path.join(ROOT, "build", "rt-clients")
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"

# The client versions the tests pin (bump here; the caches key on them).
AWSLAMBDARIC = "4.2.2"
AWS_LAMBDA_GO = "v1.55.1"          # needs go 1.26; an older go builds AWS_LAMBDA_GO_OLD (go 1.18+)
AWS_LAMBDA_GO_OLD = "v1.54.0"
LAMBDA_RUNTIME = "1.5.0"           # needs rustc 1.84
JAVA_RIC = "2.10.1"
JAVA_CORE = "1.4.0"


# ---------------------------------------------------------------- tools and registries

def find_tool(name):
    """The path of a build tool: on PATH, else where go.dev's tarball and rustup put it."""
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/local/go/bin", os.path.expanduser("~/.cargo/bin")):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    check(False, "%s is not installed (deploy/install-deps.sh --test installs it)" % name)


def tool_env(tool, **extra):
    """The test's environment with the tool's directory first on PATH (cargo runs rustc)."""
    e = dict(os.environ, PATH=os.path.dirname(tool) + os.pathsep + os.environ.get("PATH", ""))
    e.update(extra)
    return e


def reachable(url):
    """True when url answers at all (any HTTP status): the registry is up and routable."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=20).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def run(cmd, what, registry=None, timeout=900, **kw):
    """Runs a download or build step. When it fails and it needed registry, which cannot be
    reached, the test skips; any other failure fails it, with the step's output."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        if registry and not reachable(registry):
            skip("%s: %s cannot be reached" % (what, registry))
        check(False, "%s failed (exit %d): %s\n%s%s" % (what, p.returncode, " ".join(cmd), p.stdout[-4000:],
                                                       p.stderr[-4000:]))
    return p


class CacheLock:
    """One build at a time per cache directory (two test runs in one tree share it)."""

    def __init__(self, lang):
        self.dir = os.path.join(CACHE, lang)
        os.makedirs(self.dir, exist_ok=True)

    def __enter__(self):
        self.f = open(os.path.join(self.dir, ".lock"), "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self.dir

    def __exit__(self, *exc):
        self.f.close()


def read_text(path):
    """path's text, or None when there is no such file."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def write_if_changed(path, text):
    """Writes path unless it already holds text (cargo and go judge freshness by it)."""
    if read_text(path) == text:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def copy_into(src, dst):
    """Copies a built artifact (a file or a directory's contents) into a code directory."""
    if os.path.isdir(src):
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


# ---------------------------------------------------------------- the common checks

def functions(name, runtime, code, handler, extra=""):
    """NAME (timeout 10 s) and NAMESlow (timeout 2 s) on the same code."""
    return "".join("  %s:\n    runtime: %s\n    handler: %s\n    code: %s\n    timeout: %d\n%s"
                   % (n, runtime, handler, code, t, extra) for n, t in ((name, 10), (name + "Slow", 2)))


def task_root(code):
    """A pattern for the code directory as a worker sees it: /var/task when isolated."""
    return "(%s|/var/task)" % re.escape(code)


def now_ms():
    return int(time.time() * 1000)


def check_client(gw, name, lang, memory="128"):
    """The checks every client passes; returns the error the client posted and the request
    id of that call, for the test's own checks of that client's error shape."""
    # A result carrying the context, as this client hands it to the handler.
    before = now_ms()
    status, headers, body = gw.invoke(name, {"op": "ok", "name": lang}, timeout=60)
    after = now_ms()
    check(status == 200 and "x-amz-function-error" not in headers, (status, headers, body))
    out = json.loads(body)
    rid = headers["x-amzn-requestid"]
    check(out["hello"] == lang and out["requestId"] == rid, (rid, out))
    check(out["arn"] == ARN + name and out["functionName"] == name and out["functionVersion"] == "$LATEST", out)
    check(out["memoryLimitInMB"] == memory and out["logGroupName"] == "/aws/lambda/" + name, out)
    check("[$LATEST]" in out["logStreamName"], out)
    # The deadline is the event's start plus the 10 s timeout (1 ms for a client that
    # derives it from the remaining time, rounded).
    check(before < out["deadlineMs"] <= after + 10000 + 1, (before, out["deadlineMs"], after))
    gw.wait_stdout(r"%s handling %s$" % (lang, rid))
    # A function error, as this client posts it.
    status, headers, body = gw.invoke(name, {"op": "fail"}, timeout=60)
    check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
    err, err_rid = json.loads(body), headers["x-amzn-requestid"]
    # A timeout kills the worker; the next call starts a fresh one.
    status, headers, body = gw.invoke(name + "Slow", {"op": "sleep", "ms": 30000}, timeout=60)
    check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
    check(json.loads(body) == {"errorMessage": "RequestId: %s Error: Task timed out after 2.00 seconds"
                               % headers["x-amzn-requestid"], "errorType": "Sandbox.Timedout"}, body)
    status, headers, body = gw.invoke(name + "Slow", {"op": "ok", "name": lang}, timeout=60)
    check(status == 200 and json.loads(body)["requestId"] == headers["x-amzn-requestid"], (status, body))
    return err, err_rid


# ---------------------------------------------------------------- Python: awslambdaric

PY_APP = """
import time

def handler(event, context):
    op = event.get("op")
    if op == "fail":
        raise ValueError("python boom")
    if op == "recurse":
        def down(n):
            return down(n + 1) + 1
        return down(0)
    if op == "sleep":
        time.sleep(event["ms"] / 1000)
        return {}
    left = context.get_remaining_time_in_millis()
    now = int(time.time() * 1000)       # read after left: their sum is not below the deadline
    print("python handling", context.aws_request_id)
    return {"hello": event["name"], "requestId": context.aws_request_id, "deadlineMs": now + left,
            "arn": context.invoked_function_arn, "functionName": context.function_name,
            "functionVersion": context.function_version, "memoryLimitInMB": str(context.memory_limit_in_mb),
            "logGroupName": context.log_group_name, "logStreamName": context.log_stream_name}
"""


def ensure_awslambdaric():
    """pip installs awslambdaric with Debian's python3 into build/rt-clients/python/site."""
    with CacheLock("python") as d:
        site = os.path.join(d, "site")
        if not os.path.isdir(os.path.join(site, "awslambdaric-%s.dist-info" % AWSLAMBDARIC)):
            shutil.rmtree(site, ignore_errors=True)
            run(["/usr/bin/python3", "-m", "pip", "install", "--target", site, "--quiet", "--no-warn-conflicts",
                 "--disable-pip-version-check", "--root-user-action=ignore", "awslambdaric==" + AWSLAMBDARIC],
                "pip install awslambdaric", os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/"))
        return site


def test_python_awslambdaric(tmp):
    site = ensure_awslambdaric()
    code = os.path.join(tmp, "py")
    copy_into(site, code)         # a deployment package carries its dependencies
    write(os.path.join(code, "app.py"), PY_APP)
    # As AWS's documentation starts it in an image (python -m awslambdaric app.handler).
    write(os.path.join(code, "bootstrap"), """
        #!/bin/sh
        export PYTHONPATH="$LAMBDA_TASK_ROOT"
        exec /usr/bin/python3 -m awslambdaric "$_HANDLER"
        """, mode=0o755)
    with Gateway(tmp, "functions:\n" + functions("Py", "provided", code, "app.handler"), isolated=True) as gw:
        err, rid = check_client(gw, "Py", "python")
        check(sorted(err) == ["errorMessage", "errorType", "requestId", "stackTrace"] and err["requestId"] == rid, err)
        check(err["errorType"] == "ValueError" and err["errorMessage"] == "python boom", err)
        check(len(err["stackTrace"]) == 1 and re.fullmatch(
            r'  File "%s/app\.py", line 6, in handler\n    raise ValueError\("python boom"\)\n' % task_root(code),
            err["stackTrace"][0]), err)
        # A deep stack: the client's X-Ray error cause header nears its 1 MiB cap (Lambda's
        # Runtime API takes it; fngate once answered 431 and the client exited).
        status, headers, body = gw.invoke("Py", {"op": "recurse"})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled" and
              err["errorType"] == "RecursionError", (status, headers, body[:500]))


# ---------------------------------------------------------------- Go: aws-lambda-go

GO_MAIN = """
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handler(ctx context.Context, event map[string]interface{}) (map[string]interface{}, error) {
	switch event["op"] {
	case "fail":
		return nil, errors.New("go boom")
	case "sleep":
		time.Sleep(time.Duration(event["ms"].(float64)) * time.Millisecond)
		return map[string]interface{}{}, nil
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	fmt.Printf("go handling %s\\n", lc.AwsRequestID)
	return map[string]interface{}{
		"hello":           event["name"],
		"requestId":       lc.AwsRequestID,
		"deadlineMs":      deadline.UnixMilli(),
		"arn":             lc.InvokedFunctionArn,
		"functionName":    lambdacontext.FunctionName,
		"functionVersion": lambdacontext.FunctionVersion,
		"memoryLimitInMB": fmt.Sprint(lambdacontext.MemoryLimitInMB),
		"logGroupName":    lambdacontext.LogGroupName,
		"logStreamName":   lambdacontext.LogStreamName,
	}, nil
}

func main() {
	lambda.Start(handler)
}
"""


def build_go():
    """Builds the handler as a static bootstrap (CGO_ENABLED=0, -tags lambda.norpc, as AWS
    documents for provided.al2023) in build/rt-clients/go; the binary's path."""
    go = find_tool("go")
    with CacheLock("go") as d:
        genv = tool_env(go, GOPATH=os.path.join(d, "path"), GOMODCACHE=os.path.join(d, "mod"),
                        GOCACHE=os.path.join(d, "cache"), GOFLAGS="-modcacherw -buildvcs=false -mod=mod",
                        GOTOOLCHAIN="local", CGO_ENABLED="0")
        version = run([go, "env", "GOVERSION"], "go env", env=genv).stdout.strip()
        m = re.match(r"go(\d+)\.(\d+)", version)
        check(m, "go version %r" % version)
        client = AWS_LAMBDA_GO if (int(m.group(1)), int(m.group(2))) >= (1, 26) else AWS_LAMBDA_GO_OLD
        src = os.path.join(d, "src")
        write_if_changed(os.path.join(src, "main.go"), GO_MAIN.lstrip("\n"))
        mod = "module fngate.test/goclient\n\ngo 1.18\n\nrequire github.com/aws/aws-lambda-go %s\n" % client
        stamp = os.path.join(src, ".client")        # the client go.mod and go.sum were made for
        if read_text(stamp) != client or not os.path.exists(os.path.join(src, "go.sum")):
            write_if_changed(os.path.join(src, "go.mod"), mod)
            proxy = (genv.get("GOPROXY") or "https://proxy.golang.org").split(",")[0].split("|")[0]
            run([go, "mod", "tidy"], "go mod tidy (aws-lambda-go %s)" % client,
                proxy if proxy.startswith("http") else "https://proxy.golang.org", cwd=src, env=genv)
            with open(stamp, "w") as f:
                f.write(client)
        run([go, "build", "-tags", "lambda.norpc", "-o", "bootstrap", "."], "go build", cwd=src, env=genv)
        return os.path.join(src, "bootstrap")


def test_go_aws_lambda_go(tmp):
    binary = build_go()
    code = os.path.join(tmp, "go")
    copy_into(binary, os.path.join(code, "bootstrap"))
    # provided.al2023, as AWS documents Go now; go1.x, as older serverless.yml files name
    # it, runs the executable the handler names.
    config = "functions:\n" + functions("Go", "provided.al2023", code, "bootstrap") + \
        functions("GoX", "go1.x", code, "bootstrap")
    with Gateway(tmp, config, isolated=True) as gw:
        for name in ("Go", "GoX"):
            err, _ = check_client(gw, name, "go")
            # aws-lambda-go names the error by its Go type: errors.New's *errors.errorString.
            check(err == {"errorMessage": "go boom", "errorType": "errorString"}, err)


# ---------------------------------------------------------------- Rust: lambda_runtime

RUST_TOML = """
[package]
name = "bootstrap"
version = "0.1.0"
edition = "2021"

[dependencies]
lambda_runtime = "=%s"
serde_json = "1"
tokio = { version = "1", features = ["macros"] }

# A debug build without debug info: the quickest to build from cold (release takes longer).
[profile.dev]
debug = false
""" % LAMBDA_RUNTIME

RUST_MAIN = """
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::time::Duration;

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, ctx) = event.into_parts();
    match payload["op"].as_str() {
        Some("fail") => Err("rust boom".into()),
        Some("sleep") => {
            tokio::time::sleep(Duration::from_millis(payload["ms"].as_u64().unwrap_or(0))).await;
            Ok(json!({}))
        }
        _ => {
            println!("rust handling {}", ctx.request_id);
            Ok(json!({
                "hello": payload["name"],
                "requestId": ctx.request_id,
                "deadlineMs": ctx.deadline,
                "arn": ctx.invoked_function_arn,
                "functionName": ctx.env_config.function_name,
                "functionVersion": ctx.env_config.version,
                "memoryLimitInMB": ctx.env_config.memory.to_string(),
                "logGroupName": ctx.env_config.log_group,
                "logStreamName": ctx.env_config.log_stream,
            }))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
"""


def build_rust():
    """Builds the handler with cargo in build/rt-clients/rust (CARGO_HOME there too, so the
    crates downloaded stay in the build tree); the binary's path."""
    cargo = find_tool("cargo")
    with CacheLock("rust") as d:
        renv = tool_env(cargo, CARGO_HOME=os.path.join(d, "cargo-home"), CARGO_TERM_COLOR="never")
        src = os.path.join(d, "src")
        write_if_changed(os.path.join(src, "Cargo.toml"), RUST_TOML.lstrip("\n"))
        write_if_changed(os.path.join(src, "src", "main.rs"), RUST_MAIN.lstrip("\n"))
        rustc = run(["rustc", "--version"], "rustc --version", env=renv).stdout.strip()
        m = re.match(r"rustc (\d+)\.(\d+)", rustc)
        check(m and (int(m.group(1)), int(m.group(2))) >= (1, 84),
              "%s is older than lambda_runtime %s needs (1.84): install Rust with rustup" % (rustc, LAMBDA_RUNTIME))
        run([cargo, "fetch", "--quiet"], "cargo fetch (lambda_runtime %s)" % LAMBDA_RUNTIME,
            "https://index.crates.io/config.json", cwd=src, env=renv)
        run([cargo, "build", "--quiet", "--offline"], "cargo build", cwd=src, env=renv)
        return os.path.join(src, "target", "debug", "bootstrap")


def test_rust_lambda_runtime(tmp):
    binary = build_rust()
    code = os.path.join(tmp, "rust")
    copy_into(binary, os.path.join(code, "bootstrap"))
    with Gateway(tmp, "functions:\n" + functions("Rust", "provided", code, "bootstrap"), isolated=True) as gw:
        err, _ = check_client(gw, "Rust", "rust")
        # lambda_runtime names an error by its Rust type (std::any::type_name_of_val, given
        # a reference): here &Box<dyn Error + Send + Sync>, what `"...".into()` makes
        # (lambda_runtime::Error). The paths are rustc's (core:: today).
        check(sorted(err) == ["errorMessage", "errorType"] and err["errorMessage"] == "rust boom", err)
        check(re.fullmatch(r"&alloc::boxed::Box<dyn (core|std)::error::Error \+ (core|std)::marker::Send \+ "
                           r"(core|std)::marker::Sync>", err["errorType"]), err)


# ---------------------------------------------------------------- Java: the runtime interface client

JAVA_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fngate.tests</groupId>
  <artifactId>java-ric</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>com.amazonaws</groupId>
      <artifactId>aws-lambda-java-runtime-interface-client</artifactId>
      <version>%s</version>
    </dependency>
    <dependency>
      <groupId>com.amazonaws</groupId>
      <artifactId>aws-lambda-java-core</artifactId>
      <version>%s</version>
    </dependency>
  </dependencies>
</project>
""" % (JAVA_RIC, JAVA_CORE)

JAVA_HANDLER = """
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.HashMap;
import java.util.Map;

public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Object op = event.get("op");
        if ("fail".equals(op))
            throw new IllegalStateException("java boom");
        if ("sleep".equals(op)) {
            try {
                Thread.sleep(((Number) event.get("ms")).longValue());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new HashMap<>();
        }
        int left = context.getRemainingTimeInMillis();
        long now = System.currentTimeMillis();      // after left: their sum is not below the deadline
        System.out.println("java handling " + context.getAwsRequestId());
        Map<String, Object> out = new HashMap<>();
        out.put("hello", event.get("name"));
        out.put("requestId", context.getAwsRequestId());
        out.put("deadlineMs", now + left);
        out.put("arn", context.getInvokedFunctionArn());
        out.put("functionName", context.getFunctionName());
        out.put("functionVersion", context.getFunctionVersion());
        out.put("memoryLimitInMB", String.valueOf(context.getMemoryLimitInMB()));
        out.put("logGroupName", context.getLogGroupName());
        out.put("logStreamName", context.getLogStreamName());
        return out;
    }
}
"""


def build_java():
    """Fetches the client's jars with Maven into build/rt-clients/java/lib (its local
    repository there too) and compiles the handler into .../classes; both paths."""
    mvn, javac = find_tool("mvn"), find_tool("javac")
    with CacheLock("java") as d:
        lib, classes = os.path.join(d, "lib"), os.path.join(d, "classes")
        write_if_changed(os.path.join(d, "pom.xml"), JAVA_POM)
        jars = ["aws-lambda-java-runtime-interface-client-%s.jar" % JAVA_RIC, "aws-lambda-java-core-%s.jar" % JAVA_CORE]
        if not all(os.path.exists(os.path.join(lib, j)) for j in jars):
            shutil.rmtree(lib, ignore_errors=True)
            run([mvn, "-B", "-q", "-Dmaven.repo.local=" + os.path.join(d, "m2"),
                 "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
                 "-DoutputDirectory=" + lib], "mvn dependency:copy-dependencies (the Java runtime interface client)",
                "https://repo.maven.apache.org/maven2/", cwd=d, env=tool_env(mvn))
        src = os.path.join(d, "src", "example", "Hello.java")
        write_if_changed(src, JAVA_HANDLER.lstrip("\n"))
        out = os.path.join(classes, "example", "Hello.class")
        if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
            run([javac, "-nowarn", "-d", classes, "-cp", os.path.join(lib, "*"), src], "javac", env=tool_env(javac))
        return lib, classes


def test_java_runtime_interface_client(tmp):
    lib, classes = build_java()
    code = os.path.join(tmp, "java")
    copy_into(classes, code)                    # classes at the root, jars in lib/: Lambda's layout
    copy_into(lib, os.path.join(code, "lib"))
    config = "functions:\n" + functions("Java", "java21", code, "example.Hello::handleRequest", "    memory: 512\n")
    with Gateway(tmp, config, isolated=True) as gw:
        err, _ = check_client(gw, "Java", "java", memory="512")
        check(sorted(err) == ["errorMessage", "errorType", "stackTrace"], err)
        check(err["errorType"] == "java.lang.IllegalStateException" and err["errorMessage"] == "java boom", err)
        check(err["stackTrace"][0] == "example.Hello.handleRequest(Hello.java:13)", err)


# ---------------------------------------------------------------- Ruby: fngate's bootstrap

RUBY_FUNCTION = """
def handler(event:, context:)
  case event['op']
  when 'fail' then raise 'ruby boom'
  when 'sleep' then sleep(event['ms'] / 1000.0); return {}
  end
  left = context.get_remaining_time_in_millis
  puts "ruby handling #{context.aws_request_id}"
  { hello: event['name'], requestId: context.aws_request_id, deadlineMs: context.deadline_ms,
    arn: context.invoked_function_arn, functionName: context.function_name,
    functionVersion: context.function_version, memoryLimitInMB: context.memory_limit_in_mb,
    logGroupName: context.log_group_name, logStreamName: context.log_stream_name,
    left: left, traceId: ENV['_X_AMZN_TRACE_ID'], identity: context.identity,
    clientContext: context.client_context }
end

module Shop
  class Orders
    def self.count(event:, context:)
      { count: event['items'].size, id: context.aws_request_id }
    end
  end
end
"""


def test_ruby_bootstrap(tmp):
    code = os.path.join(tmp, "rb")
    write(os.path.join(code, "function.rb"), RUBY_FUNCTION)
    write(os.path.join(code, "broken.rb"), "require 'not_a_gem_anywhere'\n")
    config = "functions:\n" + functions("Rb", "ruby3.3", code, "function.handler") + "".join(
        "  %s:\n    runtime: ruby3.3\n    handler: %s\n    code: %s\n" % (name, handler, code)
        for name, handler in (("RbClass", "function.Shop::Orders.count"), ("RbBroken", "broken.handler"),
                              ("RbMissing", "function.nothing_here")))
    with Gateway(tmp, config, isolated=True) as gw:
        err, _ = check_client(gw, "Rb", "ruby")
        # AWS's Ruby runtime: Function<Class>, the trace from the handler's own line.
        check(sorted(err) == ["errorMessage", "errorType", "stackTrace"], err)
        check(err["errorType"] == "Function<RuntimeError>" and err["errorMessage"] == "ruby boom", err)
        check(re.fullmatch(r"%s/function\.rb:3:in [`'](Object#)?handler'" % task_root(code), err["stackTrace"][0])
              and len(err["stackTrace"]) == 1, err)
        gw.wait_stdout(r"Error raised from handler method$")
        # More of the context: the trace id, the remaining time, identity and client context.
        status, headers, body = gw.invoke("Rb", {"op": "ok", "name": "ruby"},
                                          {"X-Amz-Client-Context": "eyJjdXN0b20iOnsiayI6InYifX0="})
        out = json.loads(body)
        check(out["traceId"].startswith("Root=1-") and 0 < out["left"] <= 10000, out)
        check(out["identity"] is None and out["clientContext"] == {"custom": {"k": "v"}}, out)
        # FILE.Module::Class.method
        status, headers, body = gw.invoke("RbClass", {"items": [1, 2, 3]})
        check(status == 200 and json.loads(body) == {"count": 3, "id": headers["x-amzn-requestid"]}, body)
        # A file that fails to load: an init error, Init<LoadError>.
        status, headers, body = gw.invoke("RbBroken", {})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
        check(err["errorType"] == "Init<LoadError>" and
              err["errorMessage"] == "cannot load such file -- not_a_gem_anywhere", err)
        check(any(re.match(r"%s/broken\.rb:1:in " % task_root(code), line) for line in err["stackTrace"]), err)
        # A handler that does not exist: NoMethodError, critical (the process exits), as AWS's.
        status, headers, body = gw.invoke("RbMissing", {})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled" and err["errorType"] == "Function<NoMethodError>" and
              "nothing_here" in err["errorMessage"], (headers, err))


# A provided runtime that speaks to the Runtime API over dual-stack IPv6 sockets connected
# to ::ffff:127.0.0.1, as Java's HttpURLConnection does by default (the Java client posts
# its errors that way): every request on a fresh connection.
DUAL_STACK_BOOTSTRAP = r"""#!/usr/bin/python3
import http.client, json, os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")

class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.sock.connect(("::ffff:" + host, int(port)))

def call(method, path, body=None):
    c = Conn(host, int(port))
    c.request(method, "/2018-06-01/runtime" + path, body)
    r = c.getresponse()
    return r, r.read()

while True:
    r, body = call("GET", "/invocation/next")
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    if json.loads(body).get("fail"):
        call("POST", "/invocation/%s/error" % rid, json.dumps({"errorMessage": "v6", "errorType": "Dual"}))
    else:
        call("POST", "/invocation/%s/response" % rid, json.dumps({"family": "AF_INET6"}))
"""


def test_dual_stack_client_socket(tmp):
    """fngate's Runtime API accepts only its worker's uid, asking the kernel who owns the
    client's socket; a client on an IPv6 socket connected to an IPv4-mapped address is
    reported as AF_INET6 (::ffff:127.0.0.1) and is the worker all the same."""
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    except OSError as e:
        skip("no IPv6 sockets on this machine: %s" % e)
    code = os.path.join(tmp, "v6")
    write(os.path.join(code, "bootstrap"), DUAL_STACK_BOOTSTRAP, mode=0o755)
    config = "functions:\n  V6:\n    runtime: provided\n    handler: x\n    code: %s\n" % code
    with Gateway(tmp, config, isolated=True) as gw:
        status, headers, body = gw.invoke("V6", {})
        check(status == 200 and json.loads(body) == {"family": "AF_INET6"}, (status, body, gw.stderr()))
        status, headers, body = gw.invoke("V6", {"fail": True})
        check(headers.get("x-amz-function-error") == "Unhandled" and
              json.loads(body) == {"errorMessage": "v6", "errorType": "Dual"}, (headers, body))
        check("refused a connection" not in gw.stderr(), gw.stderr())

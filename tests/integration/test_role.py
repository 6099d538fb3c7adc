# SPDX-License-Identifier: MIT
"""Execution roles, as a function sees them: the AWS SDK for JavaScript v3 (npm
@aws-sdk/client-s3 and @aws-sdk/client-lambda, installed once per build tree into
build/aws-sdk-v3) with no configuration at all (new S3Client({}), new LambdaClient({})) puts
and gets within its role through fngate's S3 endpoint and invokes what its role allows
through the Invoke API; it is refused outside (another bucket, another prefix, another
action, another function), an explicit Deny beats an Allow, a function without a role is
refused everything; credentials taken from one function's environment stop working once
its worker is gone and never pass for another function's."""
import json
import os
import shutil
import subprocess
import time

from harness import Gateway, check, free_port, sigv4_headers, skip, wait_until, write

SDK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "build", "aws-sdk-v3")
ACCOUNT = "123456789012"
ADMIN_KEY, ADMIN_SECRET = "fgadmin", "fgadminsecret"

# Runs a list of operations with the SDK as Lambda code would: no endpoint, key or region
# in the code; the environment fngate gave the worker says everything.
JS = r"""
const { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand, ListObjectsV2Command } =
  require('@aws-sdk/client-s3');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const s3 = new S3Client({});
const lambda = new LambdaClient({});

async function one(op) {
  switch (op.op) {
    case 'put':
      await s3.send(new PutObjectCommand({ Bucket: op.bucket, Key: op.key, Body: op.body }));
      return 'put';
    case 'get': {
      const r = await s3.send(new GetObjectCommand({ Bucket: op.bucket, Key: op.key }));
      return await r.Body.transformToString();
    }
    case 'delete':
      await s3.send(new DeleteObjectCommand({ Bucket: op.bucket, Key: op.key }));
      return 'deleted';
    case 'list': {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: op.bucket }));
      return (r.Contents || []).map(o => o.Key);
    }
    case 'invoke': {
      const r = await lambda.send(new InvokeCommand({ FunctionName: op.fn, Payload: JSON.stringify({ ops: [] }) }));
      return Buffer.from(r.Payload).toString();
    }
    case 'env': {
      const e = {};
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) e[k] = process.env[k];
      return e;
    }
  }
  throw new Error('unknown op ' + op.op);
}

exports.handler = async (event, context) => {
  const out = [];
  for (const op of event.ops || []) {
    try {
      out.push({ ok: await one(op) });
    } catch (err) {
      out.push({ error: err.name, message: err.message, status: err.$metadata && err.$metadata.httpStatusCode });
    }
  }
  return { fn: context.functionName, out };
};
"""


def ensure_sdk():
    """Installs the SDK once per build tree; a machine without npm or the registry skips."""
    marker = os.path.join(SDK_DIR, "node_modules", "@aws-sdk", "client-lambda", "package.json")
    if os.path.exists(os.path.join(SDK_DIR, "node_modules", "@aws-sdk", "client-s3", "package.json")) and \
            os.path.exists(marker):
        return
    if not subprocess.run(["sh", "-c", "command -v npm"], capture_output=True).returncode == 0:
        skip("npm not found: cannot install @aws-sdk/client-s3 and @aws-sdk/client-lambda")
    os.makedirs(SDK_DIR, exist_ok=True)
    write(os.path.join(SDK_DIR, "package.json"), '{"name": "fngate-role-test", "private": true}\n')
    for attempt in range(2):      # one retry: a registry hiccup should not fail the suite
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@aws-sdk/client-s3", "@aws-sdk/client-lambda"],
                           cwd=SDK_DIR, capture_output=True, text=True, timeout=900)
        if p.returncode == 0:
            return
    skip("npm install @aws-sdk/client-s3 @aws-sdk/client-lambda failed (offline?): " + p.stderr[-500:])


def fn(name, code, role=None, extra=""):
    r = "    role: %s\n" % role if role else ""
    return ("  %s:\n    runtime: nodejs\n    handler: index.handler\n    code: %s\n    timeout: 20\n%s%s"
            % (name, code, r, extra))


WORKER_ROLE = json.dumps({"statements": [
    {"effect": "Allow", "action": ["s3:GetObject", "s3:PutObject"], "resource": "arn:aws:s3:::photos/uploads/*"},
    {"effect": "Allow", "action": "s3:ListBucket", "resource": ["arn:aws:s3:::photos"]},
    {"Effect": "Allow", "Action": "lambda:InvokeFunction",
     "Resource": "arn:aws:lambda:us-east-1:%s:function:Target" % ACCOUNT},
    {"effect": "Deny", "action": "s3:*", "resource": "arn:aws:s3:::photos/uploads/secret/*"},
]})


def vendor(code):
    """The SDK inside the function's folder, as a deployment package carries it: an isolated
    worker sees only its code (at /var/task), so a symlink out of it would dangle there.
    Hard links when the build tree is on the same file system, else a copy."""
    src, dst = os.path.join(SDK_DIR, "node_modules"), os.path.join(code, "node_modules")
    if subprocess.run(["cp", "-al", src, dst], capture_output=True).returncode != 0:
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)


def setup(tmp, s3_port):
    ensure_sdk()
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "index.js"), JS)
    vendor(code)
    for b in ("photos", "other"):
        os.makedirs(os.path.join(tmp, "data", "s3", b), exist_ok=True)
    return ("account_id: '%s'\nregion: us-east-1\n"
            "s3: {listen: 127.0.0.1:%d, root: ./data/s3, credentials: {access_key: %s, secret_key: %s}}\n"
            "functions:\n" % (ACCOUNT, s3_port, ADMIN_KEY, ADMIN_SECRET)
            + fn("Worker", code, WORKER_ROLE, "    idle_timeout: 1\n")
            + fn("Target", code)
            + fn("Forbidden", code)
            + fn("NoRole", code))


def run(gw, name, *ops):
    status, headers, body = gw.invoke(name, {"ops": list(ops)}, timeout=60)
    check(status == 200 and "x-amz-function-error" not in headers, (status, headers, body))
    out = json.loads(body)
    check(out["fn"] == name, out)
    return out["out"]


def refused(res, error, status=403):
    check(res.get("error") == error and res.get("status") == status, "expected %s %d, got %s" % (error, status, res))


def s3_signed(s3_port, method, path, key, secret, token, body=b""):
    """A request signed as an SDK signs it, with the session token: (status, body)."""
    import http.client
    host = "127.0.0.1:%d" % s3_port
    extra = {"x-amz-security-token": token} if token is not None else {}
    h = sigv4_headers(method, path, "", host, body, extra, key=key, secret=secret, service="s3")
    c = http.client.HTTPConnection("127.0.0.1", s3_port, timeout=30)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data.decode("utf-8", "replace")


def invoke_signed(gw, name, key, secret, token):
    path = "/2015-03-31/functions/%s/invocations" % name
    body = b'{"ops": []}'
    h = sigv4_headers("POST", path, "", "127.0.0.1:%d" % gw.port, body, {"x-amz-security-token": token},
                      key=key, secret=secret, service="lambda")
    return gw.request("POST", path, body, h)


def test_role_sdk_within_and_outside(tmp):
    s3_port = free_port()
    with Gateway(tmp, setup(tmp, s3_port), isolated=True) as gw:
        env = run(gw, "Worker", {"op": "env"})[0]["ok"]
        check(env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20, env)
        check(len(env["AWS_SECRET_ACCESS_KEY"]) == 40 and len(env["AWS_SESSION_TOKEN"]) >= 100, env)
        check(env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:%d" % s3_port, env)
        check(env["AWS_ENDPOINT_URL_LAMBDA"] == "http://127.0.0.1:%d" % gw.port, env)

        # Within the role: put, get, list; invoking Target.
        res = run(gw, "Worker",
                  {"op": "put", "bucket": "photos", "key": "uploads/cat.txt", "body": "meow"},
                  {"op": "get", "bucket": "photos", "key": "uploads/cat.txt"},
                  {"op": "list", "bucket": "photos"},
                  {"op": "invoke", "fn": "Target"})
        check(res[0] == {"ok": "put"} and res[1] == {"ok": "meow"}, res)
        check(res[2] == {"ok": ["uploads/cat.txt"]}, res)
        check(json.loads(res[3]["ok"])["fn"] == "Target", res)
        check(open(os.path.join(tmp, "data", "s3", "photos", "uploads", "cat.txt")).read() == "meow", "stored")

        # Outside it: another bucket, another prefix, another action, another function; the
        # Deny under uploads/secret/ beats the Allow on uploads/*.
        write(os.path.join(tmp, "data", "s3", "photos", "uploads", "secret", "k.txt"), "hidden")
        res = run(gw, "Worker",
                  {"op": "put", "bucket": "other", "key": "uploads/cat.txt", "body": "x"},
                  {"op": "put", "bucket": "photos", "key": "thumbs/cat.txt", "body": "x"},
                  {"op": "delete", "bucket": "photos", "key": "uploads/cat.txt"},
                  {"op": "invoke", "fn": "Forbidden"},
                  {"op": "get", "bucket": "photos", "key": "uploads/secret/k.txt"},
                  {"op": "put", "bucket": "photos", "key": "uploads/secret/k.txt", "body": "x"})
        for r in res[:3] + res[4:]:
            refused(r, "AccessDenied")
        check("is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::photos/uploads/cat.txt\" "
              "because no identity-based policy allows the s3:DeleteObject action" in res[2]["message"], res[2])
        check(res[2]["message"].startswith("User: arn:aws:sts::%s:assumed-role/Worker-role/Worker " % ACCOUNT), res[2])
        refused(res[3], "AccessDeniedException")
        check(res[3]["message"] == "User: arn:aws:sts::%s:assumed-role/Worker-role/Worker is not authorized to perform: "
              "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:%s:function:Forbidden because no "
              "identity-based policy allows the lambda:InvokeFunction action" % (ACCOUNT, ACCOUNT), res[3])
        check("with an explicit deny in an identity-based policy" in res[4]["message"], res[4])
        check(not os.path.exists(os.path.join(tmp, "data", "s3", "other", "uploads")), "refused put stored nothing")
        check(open(os.path.join(tmp, "data", "s3", "photos", "uploads", "secret", "k.txt")).read() == "hidden", "deny")
        check(os.path.exists(os.path.join(tmp, "data", "s3", "photos", "uploads", "cat.txt")), "refused delete")

        # No role: the basic role, logs only.
        res = run(gw, "NoRole",
                  {"op": "get", "bucket": "photos", "key": "uploads/cat.txt"},
                  {"op": "list", "bucket": "photos"},
                  {"op": "invoke", "fn": "Target"})
        refused(res[0], "AccessDenied")
        refused(res[1], "AccessDenied")
        refused(res[2], "AccessDeniedException")
        check("assumed-role/NoRole-role/NoRole" in res[2]["message"], res[2])

        # The static key is not a role's: full access, as before.
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/secret/k.txt", ADMIN_KEY, ADMIN_SECRET, None)
        check(status == 200 and body == "hidden", (status, body))


def test_role_credentials_revoked_and_not_transferable(tmp):
    s3_port = free_port()
    with Gateway(tmp, setup(tmp, s3_port), isolated=True) as gw:
        write(os.path.join(tmp, "data", "s3", "photos", "uploads", "a.txt"), "A")
        w = run(gw, "Worker", {"op": "env"})[0]["ok"]
        n = run(gw, "NoRole", {"op": "env"})[0]["ok"]
        wk, ws, wt = w["AWS_ACCESS_KEY_ID"], w["AWS_SECRET_ACCESS_KEY"], w["AWS_SESSION_TOKEN"]
        check(wk != n["AWS_ACCESS_KEY_ID"] and wt != n["AWS_SESSION_TOKEN"], "distinct credentials")

        # While Worker's environment lives, its keys work from outside it too (as on AWS)...
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", wk, ws, wt)
        check(status == 200 and body == "A", (status, body))
        # ...but only with their own token and secret: no mixing with another function's.
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", wk, ws, n["AWS_SESSION_TOKEN"])
        check(status == 400 and "<Code>InvalidToken</Code>" in body, (status, body))
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", wk, ws, None)
        check(status == 403 and "<Code>InvalidAccessKeyId</Code>" in body, (status, body))
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", n["AWS_ACCESS_KEY_ID"], ws, n["AWS_SESSION_TOKEN"])
        check(status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (status, body))
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", n["AWS_ACCESS_KEY_ID"],
                                 n["AWS_SECRET_ACCESS_KEY"], n["AWS_SESSION_TOKEN"])
        check(status == 403 and "<Code>AccessDenied</Code>" in body and "NoRole-role" in body, (status, body))
        status, headers, body = invoke_signed(gw, "Target", wk, ws, wt)
        check(status == 200, (status, body))
        status, headers, body = invoke_signed(gw, "Target", wk, ws, n["AWS_SESSION_TOKEN"])
        check(status == 403 and headers.get("x-amzn-errortype") == "UnrecognizedClientException", (status, body))

        # Worker's idle_timeout is 1 s: once its worker is reaped, its keys are unknown.
        wait_until(lambda: s3_signed(s3_port, "GET", "/photos/uploads/a.txt", wk, ws, wt)[0] != 200, 30,
                   "Worker's credentials revoked after its worker stopped")
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", wk, ws, wt)
        check(status == 403 and "<Code>InvalidAccessKeyId</Code>" in body, (status, body))
        status, headers, body = invoke_signed(gw, "Target", wk, ws, wt)
        check(status == 403 and headers.get("x-amzn-errortype") == "UnrecognizedClientException", (status, body))
        check(json.loads(body) == {"message": "The security token included in the request is invalid."}, body)
        # A new environment gets new keys, which work.
        w2 = run(gw, "Worker", {"op": "env"}, {"op": "get", "bucket": "photos", "key": "uploads/a.txt"})
        check(w2[0]["ok"]["AWS_ACCESS_KEY_ID"] != wk and w2[1] == {"ok": "A"}, w2)


SNAP_PY = """
import os, time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "key": os.environ["AWS_ACCESS_KEY_ID"], "secret": os.environ["AWS_SECRET_ACCESS_KEY"],
            "token": os.environ["AWS_SESSION_TOKEN"]}
"""


def test_role_snapstart_shares_the_templates_credentials(tmp):
    """Workers forked from a snapshot template inherit its environment: one set of keys per
    template, alive while the template or any of its workers is."""
    import threading
    s3_port = free_port()
    code = os.path.join(tmp, "snap")
    write(os.path.join(code, "app.py"), SNAP_PY)
    os.makedirs(os.path.join(tmp, "data", "s3", "photos", "uploads"), exist_ok=True)
    write(os.path.join(tmp, "data", "s3", "photos", "uploads", "a.txt"), "A")
    role = json.dumps({"statements": [{"effect": "Allow", "action": "s3:GetObject", "resource": "arn:aws:s3:::photos/*"}]})
    config = ("s3: {listen: 127.0.0.1:%d, root: ./data/s3, credentials: {access_key: %s, secret_key: %s}}\n"
              "functions:\n  Snap:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    snapstart: true\n"
              "    role: %s\n" % (s3_port, ADMIN_KEY, ADMIN_SECRET, code, role))
    with Gateway(tmp, config, isolated=True) as gw:
        outs = [None, None]

        def call(i):
            status, headers, body = gw.invoke("Snap", {"sleep": 1}, timeout=60)
            outs[i] = json.loads(body)
        ts = [threading.Thread(target=call, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check(outs[0]["pid"] != outs[1]["pid"] and outs[0]["key"] == outs[1]["key"], outs)
        o = outs[0]
        check(o["key"].startswith("ASIA"), o)
        status, body = s3_signed(s3_port, "GET", "/photos/uploads/a.txt", o["key"], o["secret"], o["token"])
        check(status == 200 and body == "A", (status, body))

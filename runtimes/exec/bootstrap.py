# SPDX-License-Identifier: MIT
"""fngate's exec runtime: runs _HANDLER (a shell command) once per event, with the event
JSON on its standard input. Its standard output is the result (passed through when it is
JSON, sent as a JSON string otherwise); its standard error goes to the function's log.
A non-zero exit status is a function error. The command runs in LAMBDA_TASK_ROOT with the
function's environment plus AWS_LAMBDA_REQUEST_ID."""
import http.client
import json
import os
import subprocess
import sys

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, PORT = API.rsplit(":", 1)
CONN = http.client.HTTPConnection(HOST, int(PORT))


def call(method, path, body=None, headers=None):
    CONN.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers or {})
    resp = CONN.getresponse()
    return resp, resp.read()


def main():
    command = os.environ.get("_HANDLER", "")
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    while True:
        resp, body = call("GET", "/invocation/next")
        request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        env = dict(os.environ, AWS_LAMBDA_REQUEST_ID=request_id)
        proc = subprocess.run(command, shell=True, input=body, stdout=subprocess.PIPE,
                              stderr=sys.stderr, cwd=root, env=env)
        if proc.returncode != 0:
            err = {"errorMessage": "RequestId: %s Error: command exited with status %d" % (request_id, proc.returncode),
                   "errorType": "Runtime.ExitError"}
            call("POST", "/invocation/%s/error" % request_id, json.dumps(err))
            continue
        out = proc.stdout
        try:
            json.loads(out)
        except ValueError:
            out = json.dumps(out.decode("utf-8", "replace").rstrip("\n")).encode()
        call("POST", "/invocation/%s/response" % request_id, out)


if __name__ == "__main__":
    main()

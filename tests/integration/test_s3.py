# SPDX-License-Identifier: MIT
"""The S3-compatible endpoint driven by the real AWS CLI v2 (/usr/bin/aws): put, get,
ranges, head, ls, rm, a 20 MB multipart upload, SigV4 (right keys, wrong keys, presigned
URLs), keys that could escape the bucket, virtual-host style, the S3 events it fires, and
no double event when a folder trigger watches the same root."""
import hashlib
import http.client
import json
import os
import subprocess
import time

from harness import Gateway, check, free_port, json_lines, need_root, wait_until, write

PY = """
import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        for r in event["Records"]:
            o = r["s3"]["object"]
            f.write(json.dumps({"name": r["eventName"], "key": o["key"], "size": o.get("size"),
                                "etag": o.get("eTag"), "bucket": r["s3"]["bucket"]["name"]}) + "\\n")
"""

KEY, SECRET = "fgtestkey", "fgtestsecret"


def setup(tmp, port, creds=True, events="      - s3: {bucket: uploads, events: [created, removed]}\n"):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    os.makedirs(os.path.join(tmp, "data", "s3", "uploads"), exist_ok=True)
    cred = ", credentials: {access_key: %s, secret_key: %s}" % (KEY, SECRET) if creds else ""
    return ("s3: {listen: 127.0.0.1:%d, root: ./data/s3%s}\nfunctions:\n  W:\n    runtime: python3\n"
            "    handler: app.handler\n    code: %s\n    environment: {OUT: %s}\n    events:\n%s"
            % (port, cred, code, os.path.join(tmp, "out.txt"), events))


def aws(tmp, port, *args, secret=SECRET, key=KEY):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               HOME=tmp, AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run(["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % port] + list(args),
                          capture_output=True, text=True, env=env, timeout=120)


def events(tmp):
    return json_lines(os.path.join(tmp, "out.txt"))


def test_aws_cli_put_get_ls_rm_multipart_and_events(tmp):
    port = free_port()
    with Gateway(tmp, setup(tmp, port)):
        src = write(os.path.join(tmp, "hello.txt"), "hello s3\n")
        p = aws(tmp, port, "s3", "cp", src, "s3://uploads/dir/my file.txt")
        check(p.returncode == 0, "put: %s %s" % (p.stdout, p.stderr))
        stored = os.path.join(tmp, "data", "s3", "uploads", "dir", "my file.txt")
        check(open(stored).read() == "hello s3\n", "the object is a file under the bucket")
        p = aws(tmp, port, "s3", "ls", "s3://uploads/", "--recursive")
        check(p.returncode == 0 and "dir/my file.txt" in p.stdout and " 9 " in p.stdout, "ls: %s %s" % (p.stdout, p.stderr))
        p = aws(tmp, port, "s3", "mb", "s3://reports")
        check(p.returncode == 0 and os.path.isdir(os.path.join(tmp, "data", "s3", "reports")), "make bucket: %s" % p.stderr)
        p = aws(tmp, port, "s3", "ls")
        check(p.returncode == 0 and "uploads" in p.stdout and "reports" in p.stdout,
              "list buckets: %s %s" % (p.stdout, p.stderr))
        got = os.path.join(tmp, "got.txt")
        p = aws(tmp, port, "s3", "cp", "s3://uploads/dir/my file.txt", got)
        check(p.returncode == 0 and open(got).read() == "hello s3\n", "get: %s" % p.stderr)
        p = aws(tmp, port, "s3api", "head-object", "--bucket", "uploads", "--key", "dir/my file.txt")
        head = json.loads(p.stdout)
        check(head["ContentLength"] == 9 and head["ETag"] == '"%s"' % hashlib.md5(b"hello s3\n").hexdigest(),
              "head: %s" % head)
        rng = os.path.join(tmp, "range.txt")
        p = aws(tmp, port, "s3api", "get-object", "--bucket", "uploads", "--key", "dir/my file.txt", "--range",
                "bytes=0-4", rng)
        check(p.returncode == 0 and open(rng).read() == "hello", "range: %s %s" % (p.stdout, p.stderr))

        big = os.path.join(tmp, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(20 * 1024 * 1024))
        p = aws(tmp, port, "s3", "cp", big, "s3://uploads/big.bin")
        check(p.returncode == 0, "20 MB multipart put: %s" % p.stderr[-500:])
        big2 = os.path.join(tmp, "big2.bin")
        p = aws(tmp, port, "s3", "cp", "s3://uploads/big.bin", big2)
        check(p.returncode == 0 and open(big, "rb").read() == open(big2, "rb").read(), "20 MB round trip")
        check(not os.listdir(os.path.join(tmp, "data", "s3", ".fngate-tmp")), "no temp files left")

        p = aws(tmp, port, "s3", "rm", "s3://uploads/dir/my file.txt")
        check(p.returncode == 0 and not os.path.exists(stored), "rm: %s" % p.stderr)
        got = wait_until(lambda: len(events(tmp)) >= 3 and events(tmp), 15, "three events")
        names = [(e["name"], e["key"]) for e in got]
        check(names == [("ObjectCreated:Put", "dir/my+file.txt"), ("ObjectCreated:CompleteMultipartUpload", "big.bin"),
                        ("ObjectRemoved:Delete", "dir/my+file.txt")], "events: %s" % names)
        check(got[0]["etag"] == hashlib.md5(b"hello s3\n").hexdigest() and got[0]["size"] == 9 and
              got[1]["size"] == 20 * 1024 * 1024 and got[1]["etag"].endswith("-3"), "event details: %s" % got)


def test_sigv4_keys_and_presigned_urls(tmp):
    port = free_port()
    with Gateway(tmp, setup(tmp, port)):
        p = aws(tmp, port, "s3", "ls", "s3://uploads/", secret="wrong")
        check(p.returncode != 0 and "SignatureDoesNotMatch" in p.stderr, "wrong secret: %s" % p.stderr)
        p = aws(tmp, port, "s3", "ls", "s3://uploads/", key="nobody")
        check(p.returncode != 0 and "InvalidAccessKeyId" in p.stderr, "wrong key: %s" % p.stderr)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/uploads/")
        r = c.getresponse()
        body = r.read()
        check(r.status == 403 and b"<Code>AccessDenied</Code>" in body, "unsigned: %d %s" % (r.status, body))
        src = write(os.path.join(tmp, "p.txt"), "presigned\n")
        check(aws(tmp, port, "s3", "cp", src, "s3://uploads/p.txt").returncode == 0, "put")
        url = aws(tmp, port, "s3", "presign", "s3://uploads/p.txt", "--expires-in", "60").stdout.strip()
        path = url.split("127.0.0.1:%d" % port, 1)[1]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        check(r.status == 200 and r.read() == b"presigned\n", "presigned GET: %d" % r.status)
        c.request("GET", path.replace("p.txt", "q.txt"))
        r = c.getresponse()
        body = r.read()
        check(r.status == 403 and b"SignatureDoesNotMatch" in body, "a presigned URL for another key: %d %s" % (r.status, body))


def test_bad_keys_and_virtual_host(tmp):
    port = free_port()
    with Gateway(tmp, setup(tmp, port, creds=False)):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path, why in (("/uploads/a/../../etc/passwd", ".."), ("/uploads//abs", "absolute"),
                          ("/uploads/nul%00byte", "NUL"), ("/uploads/" + "k" * 1025, "over 1024 bytes")):
            c.request("PUT", path, body=b"x")
            r = c.getresponse()
            body = r.read()
            check(r.status == 400 and b"<Error>" in body, "%s key must be refused: %d %s" % (why, r.status, body))
        check(not os.path.exists(os.path.join(tmp, "data", "etc")), "nothing escaped the root")
        c.request("PUT", "/vh.txt", body=b"virtual", headers={"Host": "uploads.localhost:%d" % port})
        r = c.getresponse()
        r.read()
        check(r.status == 200 and open(os.path.join(tmp, "data", "s3", "uploads", "vh.txt")).read() == "virtual",
              "virtual-host style put: %d" % r.status)
        c.request("GET", "/nosuch/key")
        r = c.getresponse()
        check(r.status == 404 and b"NoSuchBucket" in r.read(), "missing bucket")
        c.request("GET", "/uploads/nosuch")
        r = c.getresponse()
        check(r.status == 404 and b"NoSuchKey" in r.read(), "missing key")


def test_endpoint_and_folder_on_one_root_fire_once(tmp):
    port = free_port()
    events_yaml = ("      - s3: {bucket: uploads}\n"
                   "      - fs: {path: ./data/s3/uploads, bucket: uploads}\n")
    conf = setup(tmp, port, creds=False, events=events_yaml)
    with Gateway(tmp, conf) as gw:
        wait_until(lambda: "folder(s) watched" in gw.stderr(), 10, "the folder watch")
        time.sleep(0.3)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("PUT", "/uploads/once.txt", body=b"once")
        r = c.getresponse()
        r.read()
        check(r.status == 200, "put: %d" % r.status)
        wait_until(lambda: events(tmp), 10, "the event")
        time.sleep(1)
        check(len(events(tmp)) == 1 and events(tmp)[0]["key"] == "once.txt",
              "one object, one event: %s" % events(tmp))


def test_disk_full_during_upload(tmp):
    """A bucket on a 1 MB tmpfs: a 3 MB upload fails with an error, leaves no partial object
    and fires no event; a small one afterwards works."""
    root = os.path.join(tmp, "data", "s3")
    os.makedirs(root)
    need_root("mount a tmpfs")
    check(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root]).returncode == 0, "mount a 1 MB tmpfs")
    try:
        port = free_port()
        with Gateway(tmp, setup(tmp, port, creds=False)):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("PUT", "/uploads/huge.bin", body=os.urandom(3 * 1024 * 1024))
            r = c.getresponse()
            body = r.read()
            check(r.status >= 500 and b"<Error>" in body, "a full disk is an error: %d %s" % (r.status, body))
            check(not os.path.exists(os.path.join(root, "uploads", "huge.bin")), "no partial object")
            check(not os.listdir(os.path.join(root, ".fngate-tmp")), "no temp file left")
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("PUT", "/uploads/small.txt", body=b"fits")
            r = c.getresponse()
            r.read()
            check(r.status == 200, "after the failure the endpoint still works: %d" % r.status)
            wait_until(lambda: events(tmp), 10, "the small object's event")
            time.sleep(0.5)
            check([e["key"] for e in events(tmp)] == ["small.txt"], "no event for the failed upload: %s" % events(tmp))
    finally:
        subprocess.run(["umount", "-l", root])


def test_filter_criteria_on_the_s3_record(tmp):
    port = free_port()
    ev = ("      - s3: {bucket: uploads, events: [created, removed],"
          " filter_criteria: [{eventName: [{prefix: 'ObjectCreated:'}], s3: {object: {key: [{suffix: .csv}]}}}]}\n")
    with Gateway(tmp, setup(tmp, port, events=ev)):
        src = write(os.path.join(tmp, "r.csv"), "a,b\n")
        for key in ("reports/r.csv", "reports/r.txt"):
            p = aws(tmp, port, "s3", "cp", src, "s3://uploads/" + key)
            check(p.returncode == 0, p.stderr)
        p = aws(tmp, port, "s3", "rm", "s3://uploads/reports/r.csv")
        check(p.returncode == 0, p.stderr)
        wait_until(lambda: events(tmp), 10, "the matching event")
        time.sleep(0.5)
        got = [(e["name"], e["key"]) for e in events(tmp)]
        check(got == [("ObjectCreated:Put", "reports/r.csv")], "only creations of .csv objects: %r" % got)

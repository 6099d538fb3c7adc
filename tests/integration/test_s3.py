# SPDX-License-Identifier: MIT
"""The S3-compatible endpoint driven by the real AWS CLI v2 (/usr/bin/aws): put, get,
ranges, head, ls, rm, a 20 MB multipart upload, SigV4 (right keys, wrong keys, presigned
URLs, a list of keys), keys that could escape the bucket, virtual-host style, the S3 events it fires, and
no double event when a folder trigger watches the same root, and an IPv6 listener."""
import calendar
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

from harness import (Gateway, TestFailure, answered_once, check, free_port, json_lines, need_root, run_cli, sigv4_headers,
                     skip, wait_until, write)

PY = """
import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        for r in event["Records"]:
            o = r["s3"]["object"]
            f.write(json.dumps({"name": r["eventName"], "key": o["key"], "size": o.get("size"),
                                "etag": o.get("eTag"), "bucket": r["s3"]["bucket"]["name"],
                                "records": len(event["Records"]), "record": r}) + "\\n")
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


def keys(tmp):
    return [(e["name"], e["key"]) for e in events(tmp)]


def quiet(gw, tmp, n):
    """Waits until n events ran and the async queue is idle, then checks there are exactly n.
    Endpoint events are committed before the client gets its answer, so once every request of
    the test was answered and the queue is idle, every event they fired has run."""
    try:
        wait_until(lambda: len(events(tmp)) >= n and gw.queue_idle(), 15, "%d events and an idle queue" % n)
    except TestFailure as e:
        raise TestFailure("%s: events so far %s" % (e, keys(tmp)))
    check(len(events(tmp)) == n, "exactly %d events: %s" % (n, keys(tmp)))
    return events(tmp)


def _q(s):
    return urllib.parse.quote(s, safe="-_.~")


def s3(port, method, path, query=None, body=b"", headers=None, payload_hash=None, key=KEY, secret=SECRET,
       signed=True, host="127.0.0.1", when=None):
    """One raw request, SigV4-signed as the SDKs sign S3 requests (header auth, the payload's
    SHA-256 in x-amz-content-sha256; payload_hash overrides it; when: the signing time, epoch
    seconds, default now). Returns status, headers, body."""
    query = query or {}
    authority = "%s:%d" % ("[%s]" % host if ":" in host else host, port)
    cq = "&".join("%s=%s" % (_q(k), _q(v)) for k, v in sorted(query.items()))
    upath = urllib.parse.quote(path, safe="/-_.~")
    if signed:
        h = sigv4_headers(method, upath, cq, authority, body, headers, key, secret, "s3", when=when,
                          payload_hash=payload_hash)
    else:
        h = dict({"Host": authority}, **(headers or {}))
    c = http.client.HTTPConnection(host, port, timeout=30)
    try:
        c.request(method, upath + ("?" + cq if query else ""), body=body, headers=h)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check_still_serving(port, key):
    """An unsigned PUT of key is stored: the listener serves on after what a test sent."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("PUT", key, body=b"still here")
    r = c.getresponse()
    r.read()
    check(r.status == 200, "still serving: %d" % r.status)


def error_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def check_record(e, name, key, request_id, size=None, etag=None):
    """The exact S3 event record an endpoint request fires."""
    r = e["record"]
    check(e["records"] == 1 and set(r) == {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
                                           "userIdentity", "requestParameters", "responseElements", "s3"},
          "record fields: %s" % sorted(r))
    check(r["eventVersion"] == "2.1" and r["eventSource"] == "aws:s3" and r["awsRegion"] == "us-east-1" and
          r["eventName"] == name and r["userIdentity"] == {"principalId": "fngate"} and
          r["requestParameters"] == {"sourceIPAddress": "127.0.0.1"} and
          r["responseElements"] == {"x-amz-request-id": request_id, "x-amz-id-2": request_id} and
          re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["eventTime"]), "record: %s" % r)
    obj = {"key": key, "sequencer": r["s3"]["object"].get("sequencer")}
    if size is not None:
        obj.update(size=size, eTag=etag)
    check(re.fullmatch(r"[0-9A-F]{16}", obj["sequencer"] or "") and
          r["s3"] == {"s3SchemaVersion": "1.0", "configurationId": "W-s3-1",
                      "bucket": {"name": "uploads", "ownerIdentity": {"principalId": "fngate"},
                                 "arn": "arn:aws:s3:::uploads"},
                      "object": obj}, "record.s3: %s" % r["s3"])


def test_aws_cli_put_get_ls_rm_multipart_and_events(tmp):
    port = free_port()
    with Gateway(tmp, setup(tmp, port)) as gw:
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
        got = quiet(gw, tmp, 3)
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


def test_credentials_list(tmp):
    """s3.credentials takes a list, as invoke_api.credentials does (a secret may come from a
    file): each listed key signs, others are InvalidAccessKeyId."""
    port = free_port()
    write(os.path.join(tmp, "other.secret"), "other-secret\n", 0o600)
    conf = setup(tmp, port).replace(
        "credentials: {access_key: %s, secret_key: %s}" % (KEY, SECRET),
        "credentials: [{access_key: %s, secret_key: %s}, {access_key: other, secret_key_file: other.secret}]"
        % (KEY, SECRET))
    with Gateway(tmp, conf):
        for key, secret in ((KEY, SECRET), ("other", "other-secret")):
            status, _, body = s3(port, "PUT", "/uploads/%s.txt" % key, body=b"x", key=key, secret=secret)
            check(status == 200, (key, status, body))
        status, _, body = s3(port, "PUT", "/uploads/x.txt", body=b"x", key="other", secret=SECRET)
        check(status == 403 and error_code(body) == "SignatureDoesNotMatch", (status, body))
        status, _, body = s3(port, "PUT", "/uploads/x.txt", body=b"x", key="stranger", secret=SECRET)
        check(status == 403 and error_code(body) == "InvalidAccessKeyId", (status, body))


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
        def folder():
            return gw.view("folders")["folders"][0]
        wait_until(lambda: folder()["initialScanDone"], 10, "initialScanDone in /_fngate/folders")
        for key in ("once.txt", "marker.txt"):
            status, _, body = s3(port, "PUT", "/uploads/" + key, body=b"once", signed=False)
            check(status == 200, "put %s: %d %s" % (key, status, body))
            wait_until(lambda: any(e["key"] == key for e in events(tmp)), 10, "the event of " + key)
        # The folder fired both (in order, as inotify reports them) and has nothing left to do;
        # any event of the endpoint was committed before its answer: quiet() sees all of them.
        wait_until(lambda: folder()["pending"] == 0, 10, "the folder trigger to be idle")
        got = quiet(gw, tmp, 2)
        check(folder()["created"] == 2 and [e["key"] for e in got] == ["once.txt", "marker.txt"],
              "one object, one event: %s %s" % (folder(), keys(tmp)))


def test_disk_full_during_upload(tmp):
    """A bucket on a 1 MB tmpfs: a 3 MB upload fails with an error, leaves no partial object
    and fires no event; a small one afterwards works."""
    root = os.path.join(tmp, "data", "s3")
    os.makedirs(root)
    need_root("mount a tmpfs")
    check(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root]).returncode == 0, "mount a 1 MB tmpfs")
    try:
        port = free_port()
        with Gateway(tmp, setup(tmp, port, creds=False)) as gw:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("PUT", "/uploads/huge.bin", body=os.urandom(3 * 1024 * 1024))
            r = c.getresponse()
            body = r.read()
            check(r.status == 507 and error_code(body) == "InsufficientStorage",
                  "a full disk answers 507 InsufficientStorage, as the README says: %d %s" % (r.status, body))
            check(not os.path.exists(os.path.join(root, "uploads", "huge.bin")), "no partial object")
            check(not os.listdir(os.path.join(root, ".fngate-tmp")), "no temp file left")
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("PUT", "/uploads/small.txt", body=b"fits")
            r = c.getresponse()
            r.read()
            check(r.status == 200, "after the failure the endpoint still works: %d" % r.status)
            check([e["key"] for e in quiet(gw, tmp, 1)] == ["small.txt"],
                  "no event for the failed upload: %s" % keys(tmp))
    finally:
        subprocess.run(["umount", "-l", root])


def test_filter_criteria_on_the_s3_record(tmp):
    port = free_port()
    ev = ("      - s3: {bucket: uploads, events: [created, removed],"
          " filter_criteria: [{eventName: [{prefix: 'ObjectCreated:'}], s3: {object: {key: [{suffix: .csv}]}}}]}\n")
    with Gateway(tmp, setup(tmp, port, events=ev)) as gw:
        src = write(os.path.join(tmp, "r.csv"), "a,b\n")
        for key in ("reports/r.csv", "reports/r.txt"):
            p = aws(tmp, port, "s3", "cp", src, "s3://uploads/" + key)
            check(p.returncode == 0, p.stderr)
        p = aws(tmp, port, "s3", "rm", "s3://uploads/reports/r.csv")
        check(p.returncode == 0, p.stderr)
        got = [(e["name"], e["key"]) for e in quiet(gw, tmp, 1)]
        check(got == [("ObjectCreated:Put", "reports/r.csv")], "only creations of .csv objects: %r" % got)


def test_list_objects_v2_delimiter_and_pagination(tmp):
    """ListObjectsV2 through the AWS CLI: a delimiter folds keys into CommonPrefixes (with and
    without a prefix), and max-keys pages, followed by their continuation tokens, hold every
    key and prefix exactly once, in order."""
    port = free_port()
    names = ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "d/4.txt", "e.txt", "photos/2024/x.jpg", "photos/2024/y.jpg",
             "photos/2025/z.jpg", "photos/index.html"]
    for k in names:
        write(os.path.join(tmp, "data", "s3", "uploads", k), k + "\n")

    def ls(*args):
        p = aws(tmp, port, "s3api", "list-objects-v2", "--bucket", "uploads", "--no-paginate", *args)
        check(p.returncode == 0, "list-objects-v2 %s: %s %s" % (args, p.stdout, p.stderr))
        return json.loads(p.stdout or "{}")

    def shape(page):
        return ([o["Key"] for o in page.get("Contents", [])], [c["Prefix"] for c in page.get("CommonPrefixes", [])])

    with Gateway(tmp, setup(tmp, port)):
        page = ls("--delimiter", "/")
        check(shape(page) == (["a.txt", "e.txt"], ["b/", "d/", "photos/"]) and page["KeyCount"] == 5 and
              not page["IsTruncated"], "delimiter '/': %s" % page)
        page = ls("--delimiter", "/", "--prefix", "photos/")
        check(shape(page) == (["photos/index.html"], ["photos/2024/", "photos/2025/"]) and page["Prefix"] == "photos/",
              "delimiter '/' under photos/: %s" % page)
        page = ls("--prefix", "b/")
        check(shape(page) == (["b/1.txt", "b/2.txt", "b/c/3.txt"], []), "prefix b/ without a delimiter: %s" % page)
        for extra, want in ((), names), (("--delimiter", "/"), ["a.txt", "b/", "d/", "e.txt", "photos/"]):
            got, token, pages = [], None, 0
            while True:
                page = ls("--max-keys", "3", *extra, *(("--continuation-token", token) if token else ()))
                keys_, prefixes = shape(page)
                pages += 1
                check(page["KeyCount"] == len(keys_) + len(prefixes) <= 3 and page["MaxKeys"] == 3,
                      "page %d: %s" % (pages, page))
                got += sorted(keys_ + prefixes)
                if not page["IsTruncated"]:
                    check("NextContinuationToken" not in page, "the last page has no token: %s" % page)
                    break
                token = page["NextContinuationToken"]
                check(pages < 10, "pagination does not end: %s" % got)
            check(got == want and pages == (len(want) + 2) // 3,
                  "max-keys 3 %s: %d pages %s, want %s" % (extra, pages, got, want))
        for token in ("not a token", "ab" * 3000):             # the second one longer than any of ours
            status, _, body = s3(port, "GET", "/uploads", query={"list-type": "2", "continuation-token": token})
            check(status == 400 and error_code(body) == "InvalidArgument",
                  "a made-up token (%d bytes): %d %s" % (len(token), status, body))


def test_delete_object_head_bucket_and_exact_records(tmp):
    """Raw SigV4-signed requests: PutObject and DeleteObject fire records with exactly S3's
    fields (the request id of the request that fired them); DeleteObject answers 204 and the
    object is gone; deleting a missing key answers 204 and fires nothing; HeadBucket answers
    200 for a bucket and 404 for a missing one."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port)) as gw:
        stored = os.path.join(tmp, "data", "s3", "uploads", "del", "me now.txt")
        status, h, body = s3(port, "PUT", "/uploads/del/me now.txt", body=b"bye\n")
        check(status == 200 and h["etag"] == '"%s"' % hashlib.md5(b"bye\n").hexdigest(), "put: %d %s" % (status, body))
        put_id = h["x-amz-request-id"]
        status, h, body = s3(port, "DELETE", "/uploads/del/me now.txt")
        check(status == 204 and body == b"" and not os.path.exists(stored), "delete: %d %s" % (status, body))
        del_id = h["x-amz-request-id"]
        status, _, body = s3(port, "GET", "/uploads/del/me now.txt")
        check(status == 404 and error_code(body) == "NoSuchKey", "a deleted object is gone: %d %s" % (status, body))
        status, _, body = s3(port, "DELETE", "/uploads/del/never.txt")
        check(status == 204, "deleting a missing key answers 204, as S3 does: %d %s" % (status, body))
        # Deliveries run in parallel, as S3's do: the sequencer orders changes of one key.
        got = sorted(quiet(gw, tmp, 2), key=lambda e: e["record"]["s3"]["object"]["sequencer"])
        check([(e["name"], e["key"]) for e in got] == [("ObjectCreated:Put", "del/me+now.txt"),
                                                         ("ObjectRemoved:Delete", "del/me+now.txt")],
              "a put and a delete fire; a delete of nothing does not: %s" % keys(tmp))
        check_record(got[0], "ObjectCreated:Put", "del/me+now.txt", put_id, 4, hashlib.md5(b"bye\n").hexdigest())
        check_record(got[1], "ObjectRemoved:Delete", "del/me+now.txt", del_id)
        status, _, body = s3(port, "HEAD", "/uploads")
        check(status == 200 and body == b"", "HeadBucket on a bucket: %d" % status)
        status, _, body = s3(port, "HEAD", "/nosuchbucket")
        check(status == 404, "HeadBucket on a missing bucket: %d" % status)
        p = aws(tmp, port, "s3api", "head-bucket", "--bucket", "nosuchbucket")
        check(p.returncode != 0 and "404" in p.stderr, "aws s3api head-bucket on a missing bucket: %s" % p.stderr)
        p = aws(tmp, port, "s3api", "head-bucket", "--bucket", "uploads")
        check(p.returncode == 0, "aws s3api head-bucket: %s" % p.stderr)


def test_abort_multipart_upload(tmp):
    """AbortMultipartUpload removes the uploaded parts; the upload id is then unknown
    (NoSuchUpload for UploadPart, CompleteMultipartUpload and a second abort); nothing is
    stored and nothing fires."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port)) as gw:
        part = write(os.path.join(tmp, "part.bin"), "p" * 1000)
        p = aws(tmp, port, "s3api", "create-multipart-upload", "--bucket", "uploads", "--key", "big/aborted.bin")
        check(p.returncode == 0, "create: %s" % p.stderr)
        upload = json.loads(p.stdout)["UploadId"]
        parts_dir = os.path.join(tmp, "data", "s3", ".fngate-uploads", upload)
        p = aws(tmp, port, "s3api", "upload-part", "--bucket", "uploads", "--key", "big/aborted.bin", "--part-number",
                "1", "--upload-id", upload, "--body", part)
        check(p.returncode == 0 and os.listdir(parts_dir), "upload-part: %s %s" % (p.stderr, os.listdir(parts_dir)))
        for q, want in (({"uploadId": upload}, 400), ({"uploadId": upload, "partNumber": "0"}, 400),
                        ({"uploadId": upload, "partNumber": "2x"}, 400), ({"uploadId": "-", "partNumber": "2"}, 404)):
            status, _, body = s3(port, "PUT", "/uploads/big/aborted.bin", query=q, body=b"x")
            check(status == want and error_code(body) == ("InvalidArgument" if want == 400 else "NoSuchUpload"),
                  "UploadPart %s: %d %s" % (q, status, body))
        check(os.listdir(parts_dir) == ["00001"], "refused parts store nothing: %s" % os.listdir(parts_dir))
        p = aws(tmp, port, "s3api", "abort-multipart-upload", "--bucket", "uploads", "--key", "big/aborted.bin",
                "--upload-id", upload)
        check(p.returncode == 0, "abort: %s" % p.stderr)
        check(not os.path.exists(parts_dir), "the parts are gone: %s" % parts_dir)
        for args in (("upload-part", "--part-number", "2", "--body", part),
                     ("complete-multipart-upload", "--multipart-upload", json.dumps({"Parts": [{"PartNumber": 1,
                                                                                                "ETag": "x"}]})),
                     ("abort-multipart-upload",)):
            p = aws(tmp, port, "s3api", args[0], "--bucket", "uploads", "--key", "big/aborted.bin", "--upload-id",
                    upload, *args[1:])
            check(p.returncode != 0 and "NoSuchUpload" in p.stderr, "%s after the abort: %s" % (args[0], p.stderr))
        check(not os.path.exists(parts_dir) and not os.path.exists(os.path.join(tmp, "data", "s3", "uploads", "big")),
              "nothing stored")
        status, _, body = s3(port, "PUT", "/uploads/after.txt", body=b"after")
        check(status == 200, "put: %d %s" % (status, body))
        check([e["key"] for e in quiet(gw, tmp, 1)] == ["after.txt"], "an aborted upload fires nothing: %s" % keys(tmp))


def test_refused_writes_store_nothing(tmp):
    """A body that does not match its signed x-amz-content-sha256 gets 400
    XAmzContentSHA256Mismatch; CopyObject answers 501 NotImplemented (README); neither
    stores anything nor fires."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port)) as gw:
        bucket = os.path.join(tmp, "data", "s3", "uploads")
        status, _, body = s3(port, "PUT", "/uploads/bad.txt", body=b"the body sent",
                             payload_hash=hashlib.sha256(b"the body signed").hexdigest())
        check(status == 400 and error_code(body) == "XAmzContentSHA256Mismatch",
              "a body that does not match its signed hash: %d %s" % (status, body))
        check(not os.path.exists(os.path.join(bucket, "bad.txt")), "the mismatched body is not stored")
        status, _, body = s3(port, "PUT", "/uploads/src.txt", body=b"source")
        check(status == 200, "the same request with the right hash: %d %s" % (status, body))
        status, _, body = s3(port, "PUT", "/uploads/copy.txt", headers={"x-amz-copy-source": "/uploads/src.txt"})
        check(status == 501 and error_code(body) == "NotImplemented", "CopyObject: %d %s" % (status, body))
        check(not os.path.exists(os.path.join(bucket, "copy.txt")), "nothing copied")
        p = aws(tmp, port, "s3", "cp", "s3://uploads/src.txt", "s3://uploads/copy2.txt")
        check(p.returncode != 0 and "NotImplemented" in p.stderr, "aws s3 cp between keys: %s" % p.stderr)
        check(not os.listdir(os.path.join(tmp, "data", "s3", ".fngate-tmp")), "no temp file left")
        check(sorted(os.listdir(bucket)) == ["src.txt"], "only the good object: %s" % os.listdir(bucket))
        check([e["key"] for e in quiet(gw, tmp, 1)] == ["src.txt"], "refused writes fire nothing: %s" % keys(tmp))


def test_ipv6_listener(tmp):
    """s3.listen on an IPv6 address: `validate` prints it as a URL writes it, serve listens
    there (on the port its log line names), and signed requests over ::1 put, list and get
    an object, which fires its event. (The AWS CLI installed here refuses an IPv6 endpoint
    URL, so the requests are the raw signed ones of s3().)"""
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError as e:
        skip("this machine has no IPv6 loopback: %s" % e)
    conf = setup(tmp, 0).replace("listen: 127.0.0.1:0,", 'listen: "[::1]:0",')
    p = run_cli("validate", "-c", write(os.path.join(tmp, "fngate.yaml"), conf))
    check(p.returncode == 0 and "s3 endpoint: [::1]:0, root " in p.stdout, "validate: %s %s" % (p.stdout, p.stderr))
    with Gateway(tmp, conf) as gw:
        m = wait_until(lambda: re.search(r"S3 endpoint on http://\[::1\]:(\d+) ", gw.stderr()), 10,
                       "the S3 endpoint's line")
        port = int(m.group(1))
        check(port > 0, "a port was picked: %s" % m.group(0))
        status, h, body = s3(port, "PUT", "/uploads/v6.txt", body=b"over ipv6\n", host="::1")
        check(status == 200 and h["etag"] == '"%s"' % hashlib.md5(b"over ipv6\n").hexdigest(),
              "put over ::1: %d %s %s" % (status, h, body))
        status, _, body = s3(port, "GET", "/uploads/", query={"list-type": "2"}, host="::1")
        check(status == 200 and b"<Key>v6.txt</Key>" in body, "list over ::1: %d %s" % (status, body))
        status, _, body = s3(port, "GET", "/uploads/v6.txt", host="::1")
        check(status == 200 and body == b"over ipv6\n", "get over ::1: %d %s" % (status, body))
        e = quiet(gw, tmp, 1)[0]
        check((e["name"], e["key"], e["size"]) == ("ObjectCreated:Put", "v6.txt", 10), "the event: %s" % e)


def test_query_too_big_answered_and_dropped_heads_leave_nothing(tmp):
    """A query libmicrohttpd cannot parse into its connection memory gets 414 at once (it
    used to hang until the timeout), and clients that go away mid-head leave no request
    context behind (LeakSanitizer checks the gateway at exit)."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port, creds=False)):
        query = "&".join("a=1" for _ in range(40000))
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /uploads?" + query.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            check(data.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), data[:200])
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /uploads/k HTTP/1.1\r\nHost: t\r\nX-Half: ")
            s.close()
        check_still_serving(port, "/uploads/after.txt")


def test_request_time_too_skewed(tmp):
    """A signed request dated outside AWS's 15 minutes is refused with S3's
    RequestTimeTooSkewed, whatever its signature: a captured request cannot be replayed
    later (or prepared for the future). 14 minutes off is still fine."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port)):
        now = time.time()
        for when in (calendar.timegm((2000, 1, 1, 0, 0, 0)), calendar.timegm((2199, 12, 31, 0, 0, 0)), now - 16 * 60,
                     now + 16 * 60):
            status, _, body = s3(port, "PUT", "/uploads/skew.txt", body=b"x", when=when)
            check(status == 403 and error_code(body) == "RequestTimeTooSkewed", (when, status, body))
        check(not os.path.exists(os.path.join(tmp, "data", "s3", "uploads", "skew.txt")), "nothing stored")
        for when in (now - 14 * 60, now + 14 * 60):
            status, _, body = s3(port, "PUT", "/uploads/ok.txt", body=b"x", when=when)
            check(status == 200, (when, status, body))


def test_bad_content_length_answered_once(tmp):
    """The S3 listener answers framing garbage once too (libmicrohttpd 0.9.75 sent its own
    400 for a Content-Length it cannot parse with the header block twice), and stores
    nothing."""
    from test_http import BAD_FRAMING
    port = free_port()
    with Gateway(tmp, setup(tmp, port, creds=False)):
        for rest, want in BAD_FRAMING:
            status, _, body = answered_once(port, b"PUT /uploads/bad.txt HTTP/1.1\r\nHost: t\r\n" + rest)
            check(status == want, (rest, status, body))
        check(not os.path.exists(os.path.join(tmp, "data", "s3", "uploads", "bad.txt")), "nothing stored")
        check_still_serving(port, "/uploads/good.txt")


def test_connections_per_client_are_capped(tmp):
    """s3.max_connections_per_client: past the cap, a connection from the same address is
    closed unanswered; another address (127.0.0.2) is still served."""
    def conn(source):
        s = socket.socket()
        s.settimeout(5)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        try:
            s.sendall(b"GET /uploads/ HTTP/1.1\r\nHost: t\r\n\r\n")
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data.startswith(b"HTTP/1.1 200 "):
            s.close()
            return None
        return s
    port = free_port()
    held = []
    try:
        with Gateway(tmp, setup(tmp, port, creds=False).replace("root: ./data/s3", "root: ./data/s3, max_connections_per_client: 2")):
            held += [conn("127.0.0.1"), conn("127.0.0.1")]
            check(all(held), "two connections within the cap are served")
            check(conn("127.0.0.1") is None, "the third connection from 127.0.0.1 is closed")
            other = conn("127.0.0.2")
            check(other, "127.0.0.2 is served beside them")
            held.append(other)
    finally:
        for s in held:
            if s:
                s.close()


def aws_v1():
    """An AWS CLI v1 on PATH (it presigns with SigV2), or None: Debian's /usr/bin/aws is v2,
    which presigns with SigV4."""
    import shutil
    for d in os.environ.get("PATH", "").split(os.pathsep):
        exe = shutil.which("aws", path=d)
        if not exe or os.path.realpath(exe) == "/usr/bin/aws":
            continue
        try:
            p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if (p.stdout + p.stderr).startswith("aws-cli/1."):
            return exe
    return None


def fetch(url, method="GET", body=None):
    """urllib's answer to url: status, body (an error status too)."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_sigv2_presigned_urls_and_headers(tmp):
    """Signature V2, which the endpoint used to refuse as unsigned: presigned URLs of the AWS
    CLI v1 (`aws s3 presign`, with its defaults and with --expires-in) and of boto3 (its
    default for us-east-1) fetch the object with urllib, a presigned PUT stores one, and
    boto3 signing headers with SigV2 (signature_version 's3') puts and gets. A tampered
    signature is SignatureDoesNotMatch, an expired URL AccessDenied "Request has expired".
    Debian's CLI v2 presigns with SigV4: its URLs work too."""
    import boto3
    from botocore.config import Config
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    with Gateway(tmp, setup(tmp, port)):
        src = write(os.path.join(tmp, "p.txt"), "presigned\n")
        check(aws(tmp, port, "s3", "cp", src, "s3://uploads/p.txt").returncode == 0, "put")
        for extra in ((), ("--expires-in", "120")):
            url = aws(tmp, port, "s3", "presign", "s3://uploads/p.txt", *extra).stdout.strip()
            check("X-Amz-Algorithm=AWS4-HMAC-SHA256" in url, "the CLI v2 presigns with SigV4: %s" % url)
            check(fetch(url) == (200, b"presigned\n"), "CLI v2 URL %s: %s" % (extra, fetch(url)))
        v1 = aws_v1()
        if v1:
            env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                       HOME=tmp, AWS_EC2_METADATA_DISABLED="true")
            for extra in ((), ("--expires-in", "120")):
                p = subprocess.run([v1, "s3", "presign", "s3://uploads/p.txt", "--endpoint-url", endpoint] + list(extra),
                                   capture_output=True, text=True, env=env, timeout=120)
                url = p.stdout.strip()
                check("AWSAccessKeyId=" + KEY in url and "Signature=" in url, "the CLI v1 presigns with SigV2: %s" % url)
                check(fetch(url) == (200, b"presigned\n"), "CLI v1 URL %s: %s" % (extra, fetch(url)))
            print("  AWS CLI v1 (%s): SigV2 presigned URLs fetched" % v1)
        else:
            print("  no AWS CLI v1 on PATH: its presigned URLs were not tried (boto3's are)")
        s3c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                           region_name="us-east-1")
        url = s3c.generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": "p.txt"}, ExpiresIn=60)
        check("AWSAccessKeyId=" + KEY in url and "&Expires=" in url, "boto3 presigns with SigV2 here: %s" % url)
        check(fetch(url) == (200, b"presigned\n"), "boto3 URL: %s" % (fetch(url),))
        sig = re.search(r"Signature=([^&]+)", url).group(1)
        bad = url.replace(sig, ("A" if sig[0] != "A" else "B") + sig[1:])
        status, body = fetch(bad)
        check(status == 403 and error_code(body) == "SignatureDoesNotMatch", "tampered: %d %s" % (status, body))
        status, body = fetch(url.replace("p.txt", "q.txt"))
        check(status == 403 and error_code(body) == "SignatureDoesNotMatch", "another key: %d %s" % (status, body))
        old = s3c.generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": "p.txt"}, ExpiresIn=-60)
        status, body = fetch(old)
        check(status == 403 and error_code(body) == "AccessDenied" and b"Request has expired" in body,
              "expired: %d %s" % (status, body))
        put = s3c.generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "up.txt"}, ExpiresIn=60)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("PUT", put.split(endpoint, 1)[1], body=b"via a presigned PUT\n")
        r = c.getresponse()
        body = r.read()
        check(r.status == 200, "presigned PUT: %d %s" % (r.status, body))
        with open(os.path.join(tmp, "data", "s3", "uploads", "up.txt"), "rb") as f:
            check(f.read() == b"via a presigned PUT\n", "stored")
        v2c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                           region_name="us-east-1", config=Config(signature_version="s3"))
        v2c.put_object(Bucket="uploads", Key="dir/hdr.txt", Body=b"signed with SigV2 headers\n")
        got = v2c.get_object(Bucket="uploads", Key="dir/hdr.txt")["Body"].read()
        check(got == b"signed with SigV2 headers\n", got)
        keys_ = [o["Key"] for o in v2c.list_objects_v2(Bucket="uploads", Prefix="dir/")["Contents"]]
        check(keys_ == ["dir/hdr.txt"], keys_)
        v2c.head_bucket(Bucket="uploads")
        up = v2c.create_multipart_upload(Bucket="uploads", Key="dir/mpu.bin")["UploadId"]
        etag = v2c.upload_part(Bucket="uploads", Key="dir/mpu.bin", UploadId=up, PartNumber=1, Body=b"part one")["ETag"]
        v2c.complete_multipart_upload(Bucket="uploads", Key="dir/mpu.bin", UploadId=up,
                                      MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
        check(v2c.get_object(Bucket="uploads", Key="dir/mpu.bin")["Body"].read() == b"part one", "multipart")
        v2c.delete_object(Bucket="uploads", Key="dir/mpu.bin")
        if v1:
            write(os.path.join(tmp, ".aws", "config"), "[default]\ns3 =\n  signature_version = s3\n")
            p = subprocess.run([v1, "s3", "ls", "s3://uploads/dir/", "--endpoint-url", endpoint],
                               capture_output=True, text=True, env=env, timeout=120)
            check(p.returncode == 0 and "hdr.txt" in p.stdout, "CLI v1 signing headers with SigV2: %s %s"
                  % (p.stdout, p.stderr))
        wrong = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key="wrong",
                             region_name="us-east-1", config=Config(signature_version="s3"))
        try:
            wrong.get_object(Bucket="uploads", Key="dir/hdr.txt")
            raise TestFailure("a wrong secret was accepted")
        except wrong.exceptions.ClientError as e:
            check(e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response["Error"])


def test_long_upload_id_is_never_a_plain_put_or_delete(tmp):
    """An uploadId too long to be one of ours makes a multipart request that fails; it used
    to be read as absent, so DELETE ?uploadId=<64+ characters> deleted the object and a
    part PUT overwrote it."""
    port = free_port()
    with Gateway(tmp, setup(tmp, port)):
        check(s3(port, "PUT", "/uploads/keep.txt", body=b"original")[0] == 200, "stored")
        long_id = "u" * 100
        status, _, body = s3(port, "DELETE", "/uploads/keep.txt", query={"uploadId": long_id})
        check(status == 404 and error_code(body) == "NoSuchUpload", (status, body))
        status, _, body = s3(port, "PUT", "/uploads/keep.txt", query={"uploadId": long_id, "partNumber": "1"},
                             body=b"overwritten")
        check(status == 404 and error_code(body) == "NoSuchUpload", (status, body))
        with open(os.path.join(tmp, "data", "s3", "uploads", "keep.txt"), "rb") as f:
            check(f.read() == b"original", "the object is as it was")

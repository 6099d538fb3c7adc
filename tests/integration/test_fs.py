# SPDX-License-Identifier: MIT
"""The folder trigger on real inotify and temp dirs: S3-shaped events once per finished file
(10,000 files from several writers, none twice), directories filled before their watch
exists, an inotify queue overflow, half-written files, rename-in, removals, filters, symlinks,
restart catch-up and poll mode, a record that cannot be built (nothing fires truncated), and
examples/thumbnails end to end, isolated (boto3 from its setup step, within its role)."""
import hashlib
import json
import os
import re
import subprocess
import threading
import time

from harness import UUID4, Gateway, TestFailure, check, free_port, json_lines, need_root, wait_until, write

PY = """
import json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        for r in event["Records"]:
            o = r["s3"]["object"]
            f.write(json.dumps({"name": r["eventName"], "key": o["key"], "size": o.get("size"),
                                "etag": o.get("eTag"), "seq": o["sequencer"], "bucket": r["s3"]["bucket"]["name"],
                                "config": r["s3"]["configurationId"], "records": len(event["Records"]),
                                "record": r}) + "\\n")
"""


def setup(tmp, fs, extra=""):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    os.makedirs(os.path.join(tmp, "up"), exist_ok=True)
    return ("functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    concurrency: 4\n"
            "    environment: {OUT: %s}\n%s    events:\n      - fs: %s\n" % (code, os.path.join(tmp, "out.txt"), extra, fs))


def events(tmp):
    return json_lines(os.path.join(tmp, "out.txt"))


def brief(tmp):
    """What ran, for failure messages."""
    return [(e["name"], e["key"], e["size"]) for e in events(tmp)]


def created(tmp):
    return [e for e in events(tmp) if e["name"] == "ObjectCreated:Put"]


def folders(gw):
    """GET /_fngate/folders: one entry per watched folder."""
    return gw.view("folders")["folders"]


def started(gw):
    """Every folder's first scan is done: what was there at start has been looked at."""
    wait_until(lambda: all(f["initialScanDone"] for f in folders(gw) or [{"initialScanDone": False}]), 10,
               "initialScanDone in /_fngate/folders")


def settled(gw, tmp, before=0):
    """Waits until the folder trigger has no work out (pending 0), the async queue is idle and
    every event this gateway fired reached the function (events past the first `before`);
    then nothing ran twice. Covers the changes the trigger has seen: after the test's own
    changes, write a marker first (barrier)."""
    def done():
        fs = folders(gw)
        fired = sum(f["created"] + f["removed"] for f in fs)
        return all(f["pending"] == 0 for f in fs) and gw.queue_idle() and len(events(tmp)) - before >= fired and fired
    try:
        fired = wait_until(done, 30, "the folder trigger to settle")
    except TestFailure as e:
        raise TestFailure("%s: /_fngate/folders %s, events %s" % (e, folders(gw), brief(tmp)[before:]))
    check(len(events(tmp)) - before == fired, "each fired event runs once: %d fired, %d ran"
          % (fired, len(events(tmp)) - before))


def barrier(gw, tmp, rel):
    """A positive barrier for "nothing else fires": a marker file written after the test's own
    changes fires after them (inotify reports in order, the worker hashes in order), and then
    the trigger settles."""
    write(os.path.join(tmp, "up", rel), "marker\n")
    wait_until(lambda: any(e["key"] == rel for e in created(tmp)), 10, "the marker %s" % rel)
    settled(gw, tmp)


def test_created_removed_filters_and_shape(tmp):
    up = os.path.join(tmp, "up")
    conf = setup(tmp, "{path: ./up, bucket: media, events: [created, removed], prefix: images/, suffix: .jpg}")
    with Gateway(tmp, conf) as gw:
        started(gw)
        os.makedirs(os.path.join(up, "images"))
        os.makedirs(os.path.join(up, "docs"))
        write(os.path.join(up, "images", "my cat (1).jpg"), "meow\n")
        write(os.path.join(up, "images", "dog.png"), "woof\n")          # suffix filter
        write(os.path.join(up, "docs", "a.jpg"), "doc\n")               # prefix filter
        write(os.path.join(up, "images", ".hidden.jpg"), "x\n")         # hidden
        write(os.path.join(up, "images", "draft.jpg.part"), "x\n")      # temp
        got = wait_until(lambda: created(tmp), 10, "the created event")
        barrier(gw, tmp, "images/zz-marker.jpg")
        got = [x for x in created(tmp) if x["key"] != "images/zz-marker.jpg"]
        check(len(got) == 1, "only images/*.jpg that is not hidden fires: %s" % brief(tmp))
        e = got[0]
        check(e["key"] == "images/my+cat+%281%29.jpg" and e["size"] == 5 and e["bucket"] == "media" and
              e["etag"] == hashlib.md5(b"meow\n").hexdigest() and e["config"] == "W-fs-1" and len(e["seq"]) == 16,
              "S3 event: %s" % e)
        # The whole record, field by field, as S3 sends it to Lambda.
        r = e["record"]
        check(e["records"] == 1 and set(r) == {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
                                               "userIdentity", "requestParameters", "responseElements", "s3"},
              "record fields: %s" % sorted(r))
        check(r["eventVersion"] == "2.1" and r["eventSource"] == "aws:s3" and r["awsRegion"] == "us-east-1" and
              r["eventName"] == "ObjectCreated:Put" and r["userIdentity"] == {"principalId": "fngate"} and
              r["requestParameters"] == {"sourceIPAddress": "127.0.0.1"} and
              re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["eventTime"]), "record: %s" % r)
        rid = r["responseElements"].get("x-amz-request-id", "")
        check(re.fullmatch(UUID4, rid) and
              r["responseElements"] == {"x-amz-request-id": rid, "x-amz-id-2": rid}, "responseElements: %s" % r)
        check(r["s3"] == {"s3SchemaVersion": "1.0", "configurationId": "W-fs-1",
                          "bucket": {"name": "media", "ownerIdentity": {"principalId": "fngate"},
                                     "arn": "arn:aws:s3:::media"},
                          "object": {"key": "images/my+cat+%281%29.jpg", "size": 5,
                                     "eTag": hashlib.md5(b"meow\n").hexdigest(), "sequencer": e["seq"]}},
              "record.s3: %s" % r["s3"])
        os.unlink(os.path.join(up, "images", "my cat (1).jpg"))
        gone = wait_until(lambda: [x for x in events(tmp) if x["name"] == "ObjectRemoved:Delete"], 10, "the removal")
        check(gone[0]["key"] == "images/my+cat+%281%29.jpg" and gone[0]["size"] is None and gone[0]["seq"] > e["seq"],
              "removal: %s" % gone[0])
        check(gone[0]["record"]["s3"]["object"] == {"key": "images/my+cat+%281%29.jpg", "sequencer": gone[0]["seq"]},
              "a removal has no size or eTag: %s" % gone[0]["record"])
        f = folders(gw)[0]
        check(f["created"] == 2 and f["removed"] == 1 and f["indexed"] == 1 and f["mode"] == "inotify" and
              f["name"] == "W-fs-1" and f["function"] == "W" and f["bucket"] == "media" and f["path"] == up,
              "/_fngate/folders: %s" % f)


def test_ten_thousand_files_from_several_writers(tmp):
    up = os.path.join(tmp, "up")
    with Gateway(tmp, setup(tmp, "./up")) as gw:
        started(gw)

        def writer(k):
            d = os.path.join(up, "w%d" % k)
            os.makedirs(d)
            for i in range(2500):
                with open(os.path.join(d, "f%04d.txt" % i), "w") as f:
                    f.write("writer %d file %d\n" % (k, i))

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_until(lambda: len(created(tmp)) >= 10000, 120, "10,000 events (%d so far)" % len(created(tmp)))
        barrier(gw, tmp, "zz-marker")
        keys = [e["key"] for e in created(tmp) if e["key"] != "zz-marker"]
        check(len(keys) == 10000 and len(set(keys)) == 10000, "10,000 files, each once: %d events, %d distinct"
              % (len(keys), len(set(keys))))


def test_directory_created_and_filled_at_once(tmp):
    up = os.path.join(tmp, "up")
    with Gateway(tmp, setup(tmp, "./up")) as gw:
        started(gw)
        deep = os.path.join(up, "a", "b", "c")
        os.makedirs(deep)                         # filled before any watch can exist
        for i in range(50):
            write(os.path.join(deep, "f%d" % i), "x\n")
        wait_until(lambda: len(created(tmp)) >= 50, 20, "50 events")
        barrier(gw, tmp, "zz-marker")
        keys = sorted(e["key"] for e in created(tmp) if e["key"] != "zz-marker")
        check(keys == sorted("a/b/c/f%d" % i for i in range(50)), "every file once: %s" % keys[:5])


def test_overflow_rescan_fires_each_file_once(tmp):
    path = "/proc/sys/fs/inotify/max_queued_events"
    need_root("lower max_queued_events")
    old = open(path).read().strip()
    up = os.path.join(tmp, "up")
    try:
        with open(path, "w") as f:
            f.write("64")                         # read when the inotify instance is created
        gw = Gateway(tmp, setup(tmp, "./up"))
        gw.start()
    finally:
        with open(path, "w") as f:
            f.write(old)
    try:
        import signal
        started(gw)
        os.kill(gw.proc.pid, signal.SIGSTOP)      # nobody reads the queue: it must overflow
        try:
            for i in range(2000):
                write(os.path.join(up, "f%04d" % i), "x%d\n" % i)
        finally:
            os.kill(gw.proc.pid, signal.SIGCONT)
        wait_until(lambda: len(created(tmp)) >= 2000, 60, "2,000 events (%d so far)" % len(created(tmp)))
        barrier(gw, tmp, "zz-marker")
        keys = [e["key"] for e in created(tmp) if e["key"] != "zz-marker"]
        check("inotify queue overflowed" in gw.stderr(), "the test must overflow the queue:\n" + gw.stderr()[-2000:])
        check(len(keys) == 2000 and len(set(keys)) == 2000, "after the overflow every file fires once: %d events, %d distinct"
              % (len(keys), len(set(keys))))
    finally:
        gw.stop()


def test_initial_scan_done_after_the_files_there_at_start_fired(tmp):
    """/_fngate/folders says initialScanDone only once every file present at start was looked
    at and fired: a script can wait for it instead of sleeping. The files are large enough
    that hashing them takes longer than the gateway takes to start listening."""
    up = os.path.join(tmp, "up")
    conf = setup(tmp, "./up")
    for i in range(300):
        write(os.path.join(up, "d%d" % (i % 10), "f%04d" % i), "%d\n" % i * 15000)   # 18 MB to hash
    with Gateway(tmp, conf) as gw:
        started(gw)
        f = folders(gw)[0]
        check(f["initialScanDone"] and f["created"] == 300 and f["indexed"] == 300,
              "initialScanDone only after the 300 files fired: %s" % f)
        settled(gw, tmp)
        keys = [e["key"] for e in created(tmp)]
        check(len(keys) == 300 and len(set(keys)) == 300,
              "each file once: %d events, %d distinct" % (len(keys), len(set(keys))))


def test_half_written_file_fires_once_after_close(tmp):
    up = os.path.join(tmp, "up")
    with Gateway(tmp, setup(tmp, "./up")) as gw:
        started(gw)
        f = open(os.path.join(up, "slow.bin"), "wb")
        f.write(b"a" * 1000)
        f.flush()
        # Elapsed time on purpose, not synchronisation: a writer that pauses for longer than
        # the trigger's retry interval and its one-second "modified recently" rule.
        time.sleep(1.5)
        barrier(gw, tmp, "marker-1")             # later changes were handled; the open file did not fire
        check([e["key"] for e in events(tmp)] == ["marker-1"], "a file still open for writing fired: %s" % brief(tmp))
        f.write(b"b" * 1000)
        f.close()
        wait_until(lambda: [e for e in created(tmp) if e["key"] == "slow.bin"], 10, "the event after close")
        barrier(gw, tmp, "marker-2")
        got = [e for e in events(tmp) if e["key"] == "slow.bin"]
        check(len(got) == 1 and got[0]["size"] == 2000, "fires once, whole: %s" % brief(tmp))


def test_rename_in_and_symlink_out(tmp):
    up = os.path.join(tmp, "up")
    outside = os.path.join(tmp, "outside")
    os.makedirs(outside)
    conf = setup(tmp, "./up")
    write(os.path.join(outside, "secret.txt"), "not yours\n")
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(up, "link0.txt"))   # seen by the first scan
    with Gateway(tmp, conf) as gw:
        started(gw)
        os.symlink(os.path.join(outside, "secret.txt"), os.path.join(up, "link.txt"))
        write(os.path.join(outside, "ready.txt"), "done\n")
        os.rename(os.path.join(outside, "ready.txt"), os.path.join(up, "ready.txt"))
        wait_until(lambda: created(tmp), 10, "the rename-in event")
        barrier(gw, tmp, "zz-marker")
        keys = [e["key"] for e in created(tmp) if e["key"] != "zz-marker"]
        check(keys == ["ready.txt"], "rename-in fires; a symlink out of the folder does not: %s" % keys)


def test_restart_catch_up_and_poll_mode(tmp):
    up = os.path.join(tmp, "up")
    conf = setup(tmp, "{path: ./up, events: [created, removed]}")
    write(os.path.join(up, "kept.txt"), "1\n")
    write(os.path.join(up, "changed.txt"), "1\n")
    write(os.path.join(up, "deleted.txt"), "1\n")
    with Gateway(tmp, conf) as gw:
        started(gw)
        settled(gw, tmp)
        check(sorted(e["key"] for e in created(tmp)) == ["changed.txt", "deleted.txt", "kept.txt"],
              "the files present at first start: %s" % brief(tmp))
    write(os.path.join(up, "changed.txt"), "22\n")
    os.unlink(os.path.join(up, "deleted.txt"))
    write(os.path.join(up, "new.txt"), "3\n")
    with Gateway(tmp, conf) as gw:
        started(gw)
        f = folders(gw)[0]
        check(f["created"] == 2 and f["removed"] == 1 and f["indexed"] == 3,
              "initialScanDone comes after the catch-up fired: %s" % f)
        settled(gw, tmp, before=3)
        got = sorted((e["name"], e["key"]) for e in events(tmp)[3:])
        check(got == [("ObjectCreated:Put", "changed.txt"), ("ObjectCreated:Put", "new.txt"),
                      ("ObjectRemoved:Delete", "deleted.txt")],
              "while down: changed and new fire once, deleted fires a removal, kept nothing: %s" % got)
    # poll mode: no inotify, a scan every 200 ms. Two changes inotify never reports on the
    # folder, so only a scan can fire them: a hard link made into it, and a rewrite through
    # the link's other path outside it (inotify tells the directory of the path used).
    outside = os.path.join(tmp, "outside")
    write(os.path.join(outside, "h.txt"), "one\n")
    conf = setup(tmp, "{path: ./up, poll: 200ms, name: polled}")
    os.unlink(os.path.join(tmp, "out.txt"))
    with Gateway(tmp, conf) as gw:
        started(gw)
        f = folders(gw)[0]
        check(f["mode"] == "poll" and f["pollMs"] == 200 and f["name"] == "polled" and f["created"] == 3,
              "/_fngate/folders after the first scan: %s" % f)
        settled(gw, tmp)
        check(sorted(e["key"] for e in events(tmp)) == ["changed.txt", "kept.txt", "new.txt"],
              "the polled folder's first scan: %s" % brief(tmp))
        os.link(os.path.join(outside, "h.txt"), os.path.join(up, "h.txt"))
        wait_until(lambda: [e for e in events(tmp) if e["key"] == "h.txt"], 10, "a hard link found by polling")
        with open(os.path.join(outside, "h.txt"), "w") as fh:
            fh.write("second\n")
        wait_until(lambda: [e for e in events(tmp) if e["key"] == "h.txt" and e["size"] == 7], 10,
                   "a rewrite through the path outside the folder, found by polling")
        settled(gw, tmp)
        got = [(e["key"], e["size"], e["etag"]) for e in events(tmp)[3:]]
        check(got == [("h.txt", 4, hashlib.md5(b"one\n").hexdigest()),
                      ("h.txt", 7, hashlib.md5(b"second\n").hexdigest())],
              "polling fires each change once: %s" % got)


def test_record_that_cannot_be_built_fires_nothing(tmp):
    """A record that cannot be built whole is never committed truncated: nothing is submitted
    or indexed, the error is counted in /_fngate/folders and logged, and the file is tried
    again at the next start. Here the record cannot fit the 1 MB async payload limit: the
    folder's bucket name (600 KB) stands in it twice (name and ARN)."""
    huge = os.path.join(tmp, "huge")
    os.makedirs(huge)
    conf = setup(tmp, "{path: ./up, name: ok}") + "      - fs: {path: ./huge, name: huge, bucket: %s}\n" % ("b" * 600000)
    for start in (1, 2):
        with Gateway(tmp, conf) as gw:
            started(gw)
            if start == 1:
                write(os.path.join(huge, "a.txt"), "a\n")
            # At the second start the file is not in the index: the start scan tries it again.
            wait_until(lambda: folders(gw)[1]["pending"] == 0 and (folders(gw)[1].get("errors") or
                                                                   folders(gw)[1]["created"]), 10,
                       "huge/a.txt looked at in /_fngate/folders")
            f = folders(gw)[1]
            check(f["created"] == 0 and f["indexed"] == 0 and f.get("errors") == 1,
                  "nothing fired or indexed for huge/a.txt: %s" % {k: v for k, v in f.items() if k != "bucket"})
            # A marker in the other folder, then settle: huge/a.txt fired nothing meanwhile.
            write(os.path.join(tmp, "up", "marker-%d.txt" % start), "m\n")
            wait_until(lambda: any(e["key"] == "marker-%d.txt" % start for e in events(tmp)), 10, "the marker")
            settled(gw, tmp, before=start - 1)
            check(folders(gw)[1]["created"] == 0, "huge/a.txt fired nothing later")
            check([e["key"] for e in events(tmp)] == ["marker-%d.txt" % i for i in range(1, start + 1)],
                  "only the markers ran: %s" % brief(tmp))
            check(re.search(r"huge/a\.txt: its ObjectCreated:Put event cannot be built \(.+\); it fires when it "
                            r"changes or at the next rescan", gw.stderr()), "the error is logged:\n" + gw.stderr())


def test_folder_that_disappears_and_comes_back(tmp):
    import shutil
    up = os.path.join(tmp, "up")
    with Gateway(tmp, setup(tmp, "{path: ./up, events: [created, removed]}")) as gw:
        started(gw)
        write(os.path.join(up, "a.txt"), "a\n")
        wait_until(lambda: created(tmp), 10, "the first file")
        shutil.rmtree(up)
        wait_until(lambda: any(e["name"] == "ObjectRemoved:Delete" for e in events(tmp)), 10, "the removal")
        os.makedirs(up)
        wait_until(lambda: "is back: watching it again" in gw.stderr(), 10, "the folder to be watched again")
        write(os.path.join(up, "b.txt"), "b\n")
        wait_until(lambda: any(e["key"] == "b.txt" for e in created(tmp)), 10, "a file in the folder that came back")


def test_files_deleted_before_they_are_read(tmp):
    """Files removed as fast as they are written: whatever fires is consistent: a removal
    only after a creation, per key, and nothing fires twice in a row. Deliveries run in
    parallel, as S3's do, so the order is the sequencer's, as S3 documents."""
    up = os.path.join(tmp, "up")
    with Gateway(tmp, setup(tmp, "{path: ./up, events: [created, removed]}")) as gw:
        started(gw)
        for i in range(300):
            p = os.path.join(up, "t%d" % i)
            write(p, "x\n")
            os.unlink(p)
        # `last` is the barrier: its event comes after every t*'s, then nothing is left to do.
        write(os.path.join(up, "last"), "x\n")
        wait_until(lambda: any(e["key"] == "last" for e in events(tmp)), 20, "the last file")
        settled(gw, tmp)
        state = {}
        for e in sorted(events(tmp), key=lambda e: e["seq"]):
            prev = state.get(e["key"])
            check((e["name"] == "ObjectCreated:Put") != (prev == "ObjectCreated:Put"),
                  "%s: %s after %s" % (e["key"], e["name"], prev))
            state[e["key"]] = e["name"]
        check(state.pop("last") == "ObjectCreated:Put", "last fires ObjectCreated:Put")
        check(set(state) <= {"t%d" % i for i in range(300)} and
              all(v == "ObjectRemoved:Delete" for v in state.values()), "every t* that fired ends removed: %s" % state)
        f = folders(gw)[0]
        check(f["indexed"] == 1 and f["created"] == 1 + len(state) and f["removed"] == len(state),
              "the index holds only `last`: %s" % f)


THUMBNAILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "examples", "thumbnails")


def s3_put_event(bucket, key):
    """An S3 event as Lambda's S3 trigger sends it, for one object."""
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": bucket, "arn": "arn:aws:s3:::" + bucket},
                                "object": {"key": key}}}]}


def test_thumbnails_example(tmp):
    """examples/thumbnails end to end, isolated as users run it: its setup step installs boto3
    into function/ (from PyPI); an image dropped into data/uploads gets a thumbnail in
    data/thumbnails, read and written by the handler with boto3 through the S3 endpoint on
    the credentials fngate gave it; a second upload with the same key (AWS CLI) replaces it.
    The role allows nothing more: reading another bucket or the thumbnails, writing
    anywhere but thumbnails/, is AccessDenied."""
    from PIL import Image
    p = subprocess.run([os.path.join(THUMBNAILS, "setup.sh")], capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "examples/thumbnails/setup.sh failed (it installs boto3 from PyPI with pip: "
          "is PyPI reachable?):\n%s%s" % (p.stdout, p.stderr[-3000:]))
    # The function folder setup.sh filled (ignored by git), as `code: ./function` names it.
    os.symlink(os.path.join(THUMBNAILS, "function"), os.path.join(tmp, "function"))
    for d in ("uploads", "thumbnails", "private"):
        os.makedirs(os.path.join(tmp, "data", d))
    with open(os.path.join(THUMBNAILS, "fngate.yaml")) as f:
        conf = f.read()
    s3_port = free_port()
    conf = conf.replace("listen: 127.0.0.1:9000", "listen: 127.0.0.1:%d" % s3_port)
    conf = conf.replace("admin: {listen: 127.0.0.1:9182}", "admin: {listen: 127.0.0.1:0}")
    # Astray: the same code and role, told to put its thumbnails into the uploads bucket.
    fn = conf[conf.index("  Thumbnail:\n"):conf.index("    events:")]
    check("THUMBNAIL_BUCKET: thumbnails\n" in fn and "    role:\n" in fn, "the example's function: %s" % fn)
    conf += fn.replace("  Thumbnail:", "  Astray:").replace("THUMBNAIL_BUCKET: thumbnails", "THUMBNAIL_BUCKET: uploads")
    thumb = os.path.join(tmp, "data", "thumbnails", "cats", "tom.jpg")

    def thumbnail():
        try:
            with Image.open(thumb) as im:
                return im.format, im.size
        except FileNotFoundError:
            return None

    def denied(name, bucket, key, action, resource):
        status, headers, body = gw.invoke(name, s3_put_event(bucket, key), timeout=60)
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled" and
              err.get("errorType") == "AccessDenied", "%s on %s/%s: %d %s %s" % (name, bucket, key, status, headers, body))
        check("(AccessDenied) when calling the %s operation" % action in err["errorMessage"] and
              "assumed-role/%s-role/%s is not authorized to perform: s3:%s on resource: \"arn:aws:s3:::%s\""
              % (name, name, action, resource) in err["errorMessage"], err["errorMessage"])

    with Gateway(tmp, conf, isolated=True) as gw:
        started(gw)
        os.makedirs(os.path.join(tmp, "data", "uploads", "cats"))
        Image.new("RGB", (800, 600), (200, 30, 30)).save(os.path.join(tmp, "data", "uploads", "cats", "tom.png"))
        wait_until(lambda: thumbnail() == ("JPEG", (128, 96)), 60, "the thumbnail", thumbnail)
        gw.wait_stdout(r"uploads/cats/tom\.png: PNG 800x600, \d+ bytes -> thumbnails/cats/tom\.jpg$")
        # The same key again, this time uploaded through the S3 endpoint with the AWS CLI.
        upload = os.path.join(tmp, "tom2.png")
        Image.new("RGB", (300, 900), (30, 200, 30)).save(upload)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="thumbnails", AWS_SECRET_ACCESS_KEY="thumbnails-secret",
                   AWS_DEFAULT_REGION="us-east-1", HOME=tmp)
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % s3_port, "s3", "cp", upload,
                            "s3://uploads/cats/tom.png"], capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 0, "aws s3 cp: %s %s" % (p.stdout, p.stderr))
        wait_until(lambda: thumbnail() == ("JPEG", (43, 128)), 60, "the replaced thumbnail", thumbnail)
        gw.wait_stdout(r"uploads/cats/tom\.png: PNG 300x900, \d+ bytes -> thumbnails/cats/tom\.jpg$")
        leftovers = [n for n in os.listdir(os.path.dirname(thumb)) if n != "tom.jpg"]
        check(not leftovers, "no partial files left: %s" % leftovers)
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", "http://127.0.0.1:%d" % s3_port, "s3", "ls",
                            "s3://thumbnails/cats/"], capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 0 and "tom.jpg" in p.stdout, "the thumbnail is in the thumbnails bucket: %s" % p.stdout)

        # Invoked directly, the handler returns what it made.
        status, headers, body = gw.invoke("Thumbnail", s3_put_event("uploads", "cats/tom.png"), timeout=60)
        check(status == 200 and "x-amz-function-error" not in headers, (status, headers, body))
        check(json.loads(body)["thumbnails"] == [{"key": "cats/tom.png", "format": "PNG", "width": 300, "height": 900,
                                                  "bytes": os.path.getsize(upload), "thumbnail": "thumbnails/cats/tom.jpg"}],
              body)
        # Its role, and nothing more: another bucket, its own thumbnails, a put outside thumbnails/.
        Image.new("RGB", (10, 10)).save(os.path.join(tmp, "data", "private", "cat.png"))
        denied("Thumbnail", "private", "cat.png", "GetObject", "private/cat.png")
        denied("Thumbnail", "thumbnails", "cats/tom.jpg", "GetObject", "thumbnails/cats/tom.jpg")
        denied("Astray", "uploads", "cats/tom.png", "PutObject", "uploads/cats/tom.jpg")
        check(not os.path.exists(os.path.join(tmp, "data", "uploads", "cats", "tom.jpg")), "the refused put stored nothing")
        check(thumbnail() == ("JPEG", (43, 128)), "the thumbnail is untouched: %s" % (thumbnail(),))


def test_filter_criteria_on_the_s3_record(tmp):
    up = os.path.join(tmp, "up")
    conf = setup(tmp, "{path: ./up, filter_criteria: [{s3: {object: {size: [{numeric: ['>', 10]}]}}}]}")
    with Gateway(tmp, conf) as gw:
        started(gw)
        write(os.path.join(up, "small.txt"), "tiny\n")
        write(os.path.join(up, "big.txt"), "x" * 100 + "\n")
        # Both files were looked at: one fired, one was filtered out.
        wait_until(lambda: folders(gw)[0]["created"] == 1 and folders(gw)[0]["filtered"] == 1, 10,
                   "one created and one filtered in /_fngate/folders: %s" % folders(gw))
        settled(gw, tmp)
        check([e["key"] for e in created(tmp)] == ["big.txt"], "only the record matching the filter: %r" % created(tmp))
    with Gateway(tmp, conf) as gw:
        started(gw)
        f = folders(gw)[0]
        check(f["indexed"] == 2 and f["created"] == 0 and f["filtered"] == 0 and f["pending"] == 0,
              "the filtered file is indexed: it is not looked at again at restart: %s" % f)
        check([e["key"] for e in created(tmp)] == ["big.txt"], "nothing fires at restart: %r" % created(tmp))

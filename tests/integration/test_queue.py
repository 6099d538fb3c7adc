# SPDX-License-Identifier: MIT
"""Redis stream queues (SQS semantics) and pub/sub topics (SNS) against a real redis-server
started on a free port: 10,000 messages processed once and acknowledged, redelivery after
the visibility timeout up to max_receive_count then the dead-letter stream, partial batch
failures, malformed answers, filters, non-UTF-8 bodies, a redis-server killed and restarted
mid-stream, a wrong password at start, and topic fan-out."""
import json
import os
import time

from harness import Gateway, Redis, check, json_lines, wait_until, write

PY = """
import json, os
def handler(event, context):
    out = []
    fail = []
    for r in event["Records"]:
        body = r["body"]
        count = int(r["attributes"]["ApproximateReceiveCount"])
        out.append(json.dumps({"id": r["messageId"], "body": body, "count": count,
                               "attrs": {k: v["stringValue"] for k, v in r["messageAttributes"].items()},
                               "md5": r["md5OfBody"], "arn": r["eventSourceARN"], "src": r["eventSource"]}))
        if body.startswith("slow"):
            import time
            time.sleep(1)
        if body.startswith("poison"):
            raise Exception("poison message " + r["messageId"])
        if body.startswith("flaky") and count == 1:
            fail.append({"itemIdentifier": r["messageId"]})
        if body.startswith("garbled") and count == 1:
            return {"batchItemFailures": [{"itemIdentifier": 42}]}
    with open(os.environ["OUT"], "a") as f:
        f.write("".join(x + "\\n" for x in out))
    return {"batchItemFailures": fail}
"""


def setup(tmp, queue, extra_fn="", timeout=1):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return ("functions:\n  Q:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    concurrency: 4\n"
            "    timeout: %d\n    environment: {OUT: %s}\n%s    events:\n      - queue: %s\n"
            % (code, timeout, os.path.join(tmp, "out.txt"), extra_fn, queue))


def seen(tmp):
    return json_lines(os.path.join(tmp, "out.txt"))


def pending(redis, stream, group="fngate"):
    return redis.cmd("XPENDING", stream, group)[0]


def add(redis, stream, n, body=lambda i: "m%d" % i, extra=()):
    ids = []
    for start in range(0, n, 1000):
        cmds = [["XADD", stream, "*", "body", body(i)] + list(extra) for i in range(start, min(n, start + 1000))]
        ids += redis.pipeline(cmds)
    return ids


def test_ten_thousand_messages_once_and_acknowledged(tmp):
    with Redis(tmp) as redis:
        ids = add(redis, "orders", 2000)     # before fngate starts: the group starts at 0
        conf = setup(tmp, "{redis: %s, stream: orders, batch_size: 100}" % redis.url)
        with Gateway(tmp, conf) as gw:
            ids += add(redis, "orders", 8000, extra=("tenant", "acme"))
            got = wait_until(lambda: len(seen(tmp)) >= 10000 and seen(tmp), 60, "10,000 messages")
            wait_until(lambda: pending(redis, "orders") == 0, 10, "every message acknowledged")
            time.sleep(0.3)
            got = seen(tmp)
            check(len(got) == 10000, "%d deliveries for 10,000 messages" % len(got))
            check(sorted(g["id"] for g in got) == sorted(ids), "every message exactly once")
            check(all(g["count"] == 1 for g in got), "first delivery has ApproximateReceiveCount 1")
            r = [g for g in got if g["id"] == ids[-1]][0]
            check(r["attrs"] == {"tenant": "acme"} and r["body"] == "m7999", "fields map to body and messageAttributes: %r" % r)
            import hashlib
            check(r["md5"] == hashlib.md5(b"m7999").hexdigest(), "md5OfBody")
            check(r["src"] == "aws:sqs" and r["arn"].endswith(":orders"), "SQS record shape: %r" % r)
            info = redis.cmd("XINFO", "GROUPS", "orders")[0]
            info = dict(zip(info[::2], info[1::2]))
            check(info["pending"] == 0 and info["last-delivered-id"] == ids[-1], "group state %r" % info)
            status, _, body = gw.request("GET", "/_fngate/queues")
            check(status == 200, "queue admin view: %d" % status)
            q = json.loads(body)[0]
            check(q["acknowledged"] == 10000 and q["received"] == 10000, "counters %r" % q)


def test_failures_redelivered_then_dead_letter_stream(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: jobs, batch_size: 1, visibility_timeout: 1s, max_receive_count: 3,"
                          " dead_letter_stream: jobs-dlq}" % redis.url)
        with Gateway(tmp, conf):
            good = add(redis, "jobs", 3)
            bad = redis.cmd("XADD", "jobs", "*", "body", "poison-1", "k", "v")
            dl = wait_until(lambda: redis.cmd("XRANGE", "jobs-dlq", "-", "+"), 20, "the dead-letter stream")
            check(len(dl) == 1, "one dead letter: %r" % dl)
            fields = dict(zip(dl[0][1][::2], dl[0][1][1::2]))
            check(fields["body"] == "poison-1" and fields["k"] == "v" and fields["fngate-original-id"] == bad
                  and fields["fngate-receive-count"] == "3", "dead letter keeps the message: %r" % fields)
            wait_until(lambda: pending(redis, "jobs") == 0, 5, "the poison message acknowledged after its move")
            got = seen(tmp)
            check(sorted(g["id"] for g in got) == sorted(good), "good messages once each")
            log = open(os.path.join(tmp, "fngate.stdout")).read()
            check(log.count("Exception: poison message " + bad) == 3,
                  "the poison message ran max_receive_count (3) times:\n" + log[-3000:])


def test_partial_batch_failure_retries_only_failed_ids(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: p, batch_size: 10, maximum_batching_window: 500ms,"
                          " visibility_timeout: 1s, function_response_types: [ReportBatchItemFailures]}" % redis.url)
        with Gateway(tmp, conf):
            ids = add(redis, "p", 10, body=lambda i: ("flaky%d" if i in (2, 7) else "ok%d") % i)
            wait_until(lambda: len(seen(tmp)) >= 12, 15, "the retried messages")
            wait_until(lambda: pending(redis, "p") == 0, 5, "everything acknowledged")
            time.sleep(1.5)
            got = seen(tmp)
            second = sorted(g["id"] for g in got if g["count"] == 2)
            check(second == sorted([ids[2], ids[7]]), "only the failed ids came back: %r" % second)
            check(len(got) == 12, "10 first deliveries and 2 retries, got %d" % len(got))
            check(len([g for g in got if g["count"] == 1]) == 10, "one batch of 10 first")


def test_malformed_batch_answer_fails_the_whole_batch(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: g, batch_size: 10, maximum_batching_window: 500ms,"
                          " visibility_timeout: 1s, function_response_types: [ReportBatchItemFailures]}" % redis.url)
        with Gateway(tmp, conf) as gw:
            add(redis, "g", 3, body=lambda i: "garbled" if i == 0 else "fine%d" % i)
            wait_until(lambda: len(seen(tmp)) >= 3, 15, "the redelivered batch")
            wait_until(lambda: pending(redis, "g") == 0, 5, "everything acknowledged")
            got = seen(tmp)
            check(sorted(g["count"] for g in got) == [2, 2, 2], "all three came back: %r" % got)
            check("malformed batchItemFailures" in gw.stderr(), "the malformed answer is logged")


def test_filters_drop_and_odd_bodies_pass(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: f, filter_criteria: {filters: [{pattern: {body: {kind: [order]}}},"
                          " {pattern: '{\"body\": [{\"prefix\": \"raw\"}]}'}]}}" % redis.url)
        with Gateway(tmp, conf) as gw:
            keep = redis.cmd("XADD", "f", "*", "body", json.dumps({"kind": "order", "n": 1}))
            redis.cmd("XADD", "f", "*", "body", json.dumps({"kind": "refund"}))
            redis.cmd("XADD", "f", "*", "body", "not json at all")
            keep2 = redis.cmd("XADD", "f", "*", "body", b"raw \xff\xfe bytes")
            wait_until(lambda: len(seen(tmp)) >= 2, 10, "the matching messages")
            wait_until(lambda: pending(redis, "f") == 0, 5, "dropped messages acknowledged too")
            time.sleep(0.5)
            got = seen(tmp)
            check(sorted(g["id"] for g in got) == sorted([keep, keep2]), "only matching messages: %r" % got)
            raw = [g for g in got if g["id"] == keep2][0]
            check(raw["body"] == "raw \ufffd\ufffd bytes", "invalid UTF-8 becomes U+FFFD: %r" % raw["body"])
            q = json.loads(gw.request("GET", "/_fngate/queues")[2])[0]
            check(q["filtered"] == 2, "two filtered: %r" % q)


def test_stream_created_when_missing_and_no_body_field(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: later}" % redis.url)
        with Gateway(tmp, conf):
            wait_until(lambda: redis.cmd("EXISTS", "later") == 1, 10, "the stream and group created")
            mid = redis.cmd("XADD", "later", "*", "sku", "A1", "qty", "2")
            got = wait_until(lambda: seen(tmp), 10, "the message")
            check(got[0]["id"] == mid and json.loads(got[0]["body"]) == {"sku": "A1", "qty": "2"},
                  "an entry without a body field is the JSON of its fields: %r" % got)


def test_redis_killed_and_restarted_mid_stream_loses_nothing(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: s, batch_size: 50, visibility_timeout: 2s}" % redis.url, timeout=2)
        with Gateway(tmp, conf) as gw:
            slow = redis.cmd("XADD", "s", "*", "body", "slow-1")
            ids = [slow] + add(redis, "s", 1000)
            gw.wait_stdout(r"START RequestId", 10)
            redis.kill()        # while the slow batch runs: its acknowledgement cannot be sent
            time.sleep(1.2)
            redis.start()
            ids += add(redis, "s", 1000, body=lambda i: "after%d" % i)
            wait_until(lambda: set(ids) <= set(g["id"] for g in seen(tmp)), 30, "every message after the restart")
            wait_until(lambda: pending(redis, "s") == 0, 15, "nothing left pending")
            wait_until(lambda: [g for g in seen(tmp) if g["id"] == slow and g["count"] == 2], 10,
                       "the unacknowledged batch redelivered")
            err = gw.stderr()
            check(err.count("connection lost") <= 2, "one line per connection and state change:\n" + err)
            check("connection lost" in err and err.count("connected") >= 4, "reconnect logged:\n" + err)


def test_wrong_password_keeps_retrying_with_one_line(tmp):
    with Redis(tmp, password="s3cret") as redis:
        url = redis.url.replace("s3cret", "wrong")
        conf = setup(tmp, "{redis: %s, stream: w}" % url)
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: "AUTH failed" in gw.stderr(), 10, "the AUTH error")
            time.sleep(1.5)
            check(gw.stderr().count("AUTH failed") == 2, "one line per connection, not per retry:\n" + gw.stderr())
            redis.cmd("CONFIG", "SET", "requirepass", "wrong")
            redis.password = "wrong"
            mid = redis.cmd("XADD", "w", "*", "body", "hello")
            wait_until(lambda: seen(tmp), 15, "delivery once the password is right")
            check(seen(tmp)[0]["id"] == mid, "the message")


def test_unreachable_redis_at_start_then_up(tmp):
    r = Redis(tmp)
    conf = setup(tmp, "{redis: %s, stream: u}" % r.url)
    with Gateway(tmp, conf) as gw:
        wait_until(lambda: "cannot connect" in gw.stderr(), 10, "the connect error")
        with r:
            mid = r.cmd("XADD", "u", "*", "body", "late")
            wait_until(lambda: seen(tmp), 15, "delivery once redis is up")
            check(seen(tmp)[0]["id"] == mid, "the message")


TOPIC_PY = """
import json, os
def handler(event, context):
    r = event["Records"][0]
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"fn": context.function_name, "msg": r["Sns"]["Message"], "src": r["EventSource"],
                            "arn": r["Sns"]["TopicArn"], "type": r["Sns"]["Type"]}) + "\\n")
"""


def test_topic_fan_out_to_two_functions_and_filter(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), TOPIC_PY)
    out = os.path.join(tmp, "out.txt")
    with Redis(tmp) as redis:
        fn = "    runtime: python3\n    handler: app.handler\n    code: %s\n    environment: {OUT: %s}\n" % (code, out)
        conf = ("functions:\n  A:\n%s    events:\n      - topic: {redis: %s, channel: alerts}\n"
                "  B:\n%s    events:\n      - topic: {redis: %s, pattern: 'alert*', filter_criteria: [{level: [high]}]}\n"
                % (fn, redis.url, fn, redis.url))
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: redis.cmd("PUBSUB", "NUMSUB", "alerts")[1] == 1 and redis.cmd("PUBSUB", "NUMPAT") == 1,
                       10, "both subscriptions")
            redis.cmd("PUBLISH", "alerts", json.dumps({"level": "high", "m": 1}))
            redis.cmd("PUBLISH", "alerts", json.dumps({"level": "low", "m": 2}))
            redis.cmd("PUBLISH", "alert-other", "plain text")
            wait_until(lambda: len(json_lines(out)) >= 3, 10, "the fan-out")
            time.sleep(0.5)
            got = json_lines(out)
            a = sorted(g["msg"] for g in got if g["fn"] == "A")
            b = [g["msg"] for g in got if g["fn"] == "B"]
            check(len(a) == 2 and len(b) == 1 and json.loads(b[0])["level"] == "high", "fan-out and filter: %r" % got)
            check(all(g["src"] == "aws:sns" and g["type"] == "Notification" and ":alert" in g["arn"] for g in got),
                  "SNS shape: %r" % got)
            t = json.loads(gw.request("GET", "/_fngate/topics")[2])
            check(sum(x["filtered"] for x in t) == 2, "B filtered the low alert and the plain text: %r" % t)


def test_queue_example(tmp):
    import shutil
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "queue")
    for f in ("orders.py", "notify.py"):
        shutil.copy(os.path.join(src, f), tmp)
    with open(os.path.join(src, "fngate.yaml")) as f:
        conf = f.read()
    with Redis(tmp) as redis:
        with Gateway(tmp, conf, extra_env={"REDIS_URL": redis.url}) as gw:
            wait_until(lambda: redis.cmd("PUBSUB", "NUMPAT") == 1, 10, "the alerts subscription")
            good = redis.cmd("XADD", "orders", "*", "body", json.dumps({"id": "A-1", "amount": 30}), "source", "web")
            bad = redis.cmd("XADD", "orders", "*", "body", json.dumps({"id": "A-2", "amount": -5}))
            redis.cmd("PUBLISH", "alerts.disk", json.dumps({"host": "db1", "level": "high"}))
            redis.cmd("PUBLISH", "alerts.cpu", json.dumps({"host": "web2", "level": "low"}))
            gw.wait_stdout(r'"processed": "A-1"', 15)
            gw.wait_stdout(r"order %s failed \(receive 1\)" % bad, 15)
            gw.wait_stdout(r"ALERT on alerts.disk: db1 is high", 15)
            wait_until(lambda: redis.cmd("XPENDING", "orders", "fngate")[0] == 1, 10, "only A-2 pending")
            check(redis.cmd("XPENDING", "orders", "fngate")[1] == bad, "A-2 is the pending one")
            check("web2" not in gw.stdout(), "the low alert is filtered out")
            del good


def test_key_of_another_type_is_waited_out(tmp):
    with Redis(tmp) as redis:
        redis.cmd("SET", "busy", "not a stream")
        with Gateway(tmp, setup(tmp, "{redis: %s, stream: busy}" % redis.url)) as gw:
            wait_until(lambda: "WRONGTYPE" in gw.stderr(), 10, "the error reply")
            time.sleep(2.5)
            check(gw.stderr().count("WRONGTYPE") == 1, "one line while it lasts:\n" + gw.stderr())
            redis.cmd("DEL", "busy")
            wait_until(lambda: redis.cmd("EXISTS", "busy") == 1, 10, "the stream made once the key is free")
            mid = redis.cmd("XADD", "busy", "*", "body", "now")
            wait_until(lambda: seen(tmp), 10, "delivery")
            check(seen(tmp)[0]["id"] == mid, "the message")


def test_gateway_kill9_mid_batch_redelivers_to_the_next_one(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: k, batch_size: 5, visibility_timeout: 2s}" % redis.url, timeout=2)
        gw = Gateway(tmp, conf)
        gw.start()
        try:
            slow = redis.cmd("XADD", "k", "*", "body", "slow-batch")
            gw.wait_stdout(r"START RequestId", 10)
            gw.kill9()              # kill -9 while the function holds the message
        finally:
            gw.stop(check_clean=False)
        check(not seen(tmp), "the killed run finished nothing")
        with Gateway(tmp, conf):
            got = wait_until(lambda: seen(tmp), 15, "the message redelivered after the visibility timeout")
            check(got[0]["id"] == slow and got[0]["count"] == 2, "same message, second receive: %r" % got)
            wait_until(lambda: pending(redis, "k") == 0, 5, "acknowledged by the new gateway")

# SPDX-License-Identifier: MIT
"""Redis stream queues (SQS semantics) and pub/sub topics (SNS) against a real redis-server
started on a free port: 10,000 messages processed once and acknowledged, redelivery after
the visibility timeout up to max_receive_count then the dead-letter stream, partial batch
failures, malformed answers, filters, non-UTF-8 bodies, a redis-server killed and restarted
mid-stream, a wrong password at start, the exact SQS and SNS records, topic fan-out, and
topic messages through the async path (retries, destinations, dead letters). Waits are on
the /_fngate/queues|topics counters or redis-server's own counts, never on a sleep."""
import calendar
import hashlib
import json
import os
import re
import time

from harness import UUID4, Gateway, Redis, check, json_lines, wait_until, write

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
        if body.startswith("hold"):
            import time
            while not os.path.exists(os.environ["OUT"] + ".release"):   # until the test lets it go
                time.sleep(0.01)
        if body.startswith("poison"):
            raise Exception("poison message " + r["messageId"])
        if body.startswith("flaky") and count == 1:
            fail.append({"itemIdentifier": r["messageId"]})
        if body.startswith("garbled") and count == 1:
            return {"batchItemFailures": [{"itemIdentifier": 42}]}
    with open(os.environ["OUT"], "a") as f:
        f.write("".join(x + "\\n" for x in out))
    return {"batchItemFailures": fail}

def raw(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps(event) + "\\n")
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


def wait_view(gw, name, want, timeout=20, index=0):
    """Waits until source index of an admin view (queues or topics) shows every counter in
    want; returns that source. The counters are the barrier that says a message was
    considered (received, filtered, acknowledged), never a sleep."""
    def look():
        v = gw.view(name)[index]
        return all(v.get(k) == x for k, x in want.items()) and v
    return wait_until(look, timeout, "/_fngate/%s to show %r" % (name, want), seen=lambda: gw.view(name)[index])


def queue_settled(gw, **want):
    """The queue source shows want and has no batch in flight."""
    return wait_view(gw, "queues", dict(want, inFlightBatches=0))


def redis_errors(redis, kind):
    """How many error replies of kind (WRONGTYPE, WRONGPASS) redis-server has sent so far."""
    m = re.search(r"errorstat_%s:count=(\d+)" % kind, redis.cmd("INFO", "errorstats"))
    return int(m.group(1)) if m else 0


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
            wait_until(lambda: len(seen(tmp)) >= 10000, 60, "10,000 messages")
            # Acknowledged, nothing in flight and nothing pending: no delivery can follow.
            q = queue_settled(gw, acknowledged=10000)
            check(q["received"] == 10000 and q["redelivered"] == 0 and q["failed"] == 0, "counters %r" % q)
            check(pending(redis, "orders") == 0, "every message acknowledged")
            got = seen(tmp)
            check(len(got) == 10000, "%d deliveries for 10,000 messages" % len(got))
            check(sorted(g["id"] for g in got) == sorted(ids), "every message exactly once")
            check(all(g["count"] == 1 for g in got), "first delivery has ApproximateReceiveCount 1")
            r = [g for g in got if g["id"] == ids[-1]][0]
            check(r["attrs"] == {"tenant": "acme"} and r["body"] == "m7999", "fields map to body and messageAttributes: %r" % r)
            check(r["md5"] == hashlib.md5(b"m7999").hexdigest(), "md5OfBody")
            check(r["src"] == "aws:sqs" and r["arn"].endswith(":orders"), "SQS record shape: %r" % r)
            info = redis.cmd("XINFO", "GROUPS", "orders")[0]
            info = dict(zip(info[::2], info[1::2]))
            check(info["pending"] == 0 and info["last-delivered-id"] == ids[-1], "group state %r" % info)
            check(q["function"] == "Q" and q["stream"] == "orders" and q["group"] == "fngate" and q["connected"],
                  "queue view %r" % q)


def test_sqs_record_shape(tmp):
    """Each stream entry is exactly Lambda's SQS record, in the configured region and account."""
    with Redis(tmp) as redis:
        conf = "region: eu-west-1\naccount_id: '123456789012'\n" + \
            setup(tmp, "{redis: %s, stream: shape}" % redis.url).replace("app.handler", "app.raw")
        with Gateway(tmp, conf):
            t0 = int(time.time() * 1000)
            with_body = redis.cmd("XADD", "shape", "*", "tenant", "acme", "body", "hello", "prio", "5")
            no_body = redis.cmd("XADD", "shape", "*", "sku", "A1", "qty", "2")
            events = wait_until(lambda: sum(len(e["Records"]) for e in seen(tmp)) >= 2 and seen(tmp), 10,
                                "both messages")
            t1 = int(time.time() * 1000)
            check(all(list(e) == ["Records"] for e in events), "events: %r" % events)
            recs = {r["messageId"]: r for e in events for r in e["Records"]}   # two batches may run side by side
            check(sorted(recs) == sorted([with_body, no_body]), "two records: %r" % recs)
            for mid, body, attrs in ((with_body, "hello", {"tenant": "acme", "prio": "5"}),
                                     (no_body, '{"sku":"A1","qty":"2"}', {})):
                r = recs[mid]
                first = r.get("attributes", {}).get("ApproximateFirstReceiveTimestamp", "")
                check(first.isdigit() and t0 <= int(first) <= t1, "ApproximateFirstReceiveTimestamp: %r" % r)
                want = {
                    "messageId": mid,
                    "receiptHandle": "shape/fngate/" + mid,
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": mid.split("-")[0],
                                   "SenderId": "redis", "ApproximateFirstReceiveTimestamp": first},
                    "messageAttributes": {k: {"stringValue": v, "stringListValues": [], "binaryListValues": [],
                                              "dataType": "String"} for k, v in attrs.items()},
                    "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:shape",
                    "awsRegion": "eu-west-1",
                }
                check(r == want, "SQS record:\n%r\nwant:\n%r" % (r, want))
                check(list(r["messageAttributes"]) == list(attrs), "attributes in the entry's order: %r" % r)


def test_failures_redelivered_then_dead_letter_stream(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: jobs, batch_size: 1, visibility_timeout: 1s, max_receive_count: 3,"
                          " dead_letter_stream: jobs-dlq}" % redis.url)
        with Gateway(tmp, conf) as gw:
            good = add(redis, "jobs", 3)
            bad = redis.cmd("XADD", "jobs", "*", "body", "poison-1", "k", "v")
            dl = wait_until(lambda: redis.cmd("XRANGE", "jobs-dlq", "-", "+"), 20, "the dead-letter stream")
            check(len(dl) == 1, "one dead letter: %r" % dl)
            fields = dict(zip(dl[0][1][::2], dl[0][1][1::2]))
            check(fields["body"] == "poison-1" and fields["k"] == "v" and fields["fngate-original-id"] == bad
                  and fields["fngate-receive-count"] == "3", "dead letter keeps the message: %r" % fields)
            wait_until(lambda: pending(redis, "jobs") == 0, 5, "the poison message acknowledged after its move")
            q = queue_settled(gw, deadLettered=1, acknowledged=3)
            check(q["received"] == 6 and q["redelivered"] == 2 and q["failed"] == 3, "counters %r" % q)
            got = seen(tmp)
            check(sorted(g["id"] for g in got) == sorted(good), "good messages once each")
            log = open(os.path.join(tmp, "fngate.stdout")).read()
            check(log.count("Exception: poison message " + bad) == 3,
                  "the poison message ran max_receive_count (3) times:\n" + log[-3000:])


def test_partial_batch_failure_retries_only_failed_ids(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: p, batch_size: 10, maximum_batching_window: 500ms,"
                          " visibility_timeout: 1s, function_response_types: [ReportBatchItemFailures]}" % redis.url)
        with Gateway(tmp, conf) as gw:
            ids = add(redis, "p", 10, body=lambda i: ("flaky%d" if i in (2, 7) else "ok%d") % i)
            wait_until(lambda: len(seen(tmp)) >= 12, 15, "the retried messages")
            # All ten acknowledged, nothing in flight or pending: no receive can follow.
            q = queue_settled(gw, acknowledged=10)
            check(q["received"] == 12 and q["failed"] == 2 and q["redelivered"] == 2, "counters %r" % q)
            check(pending(redis, "p") == 0, "everything acknowledged")
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
            q = queue_settled(gw, acknowledged=3)
            check(q["received"] == 6 and q["failed"] == 3 and q["redelivered"] == 3, "counters %r" % q)
            check(pending(redis, "g") == 0, "everything acknowledged")
            got = seen(tmp)
            check(sorted(g["count"] for g in got) == [2, 2, 2], "all three came back: %r" % got)
            check("malformed batchItemFailures" in gw.stderr(), "the malformed answer is logged")


def test_filters_drop_and_odd_bodies_pass(tmp):
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: f, filter_criteria: {filters: [{pattern: {body: {kind: [order]}}},"
                          " {pattern: '{\"body\": [{\"prefix\": \"raw\"}]}'}]}}" % redis.url)
        with Gateway(tmp, conf) as gw:
            # The filtered ones first, then the matching ones as markers: once every message
            # was counted (received, filtered, acknowledged) and nothing is in flight, a
            # filtered message that ran would be in the output.
            redis.cmd("XADD", "f", "*", "body", json.dumps({"kind": "refund"}))
            redis.cmd("XADD", "f", "*", "body", "not json at all")
            keep = redis.cmd("XADD", "f", "*", "body", json.dumps({"kind": "order", "n": 1}))
            keep2 = redis.cmd("XADD", "f", "*", "body", b"raw \xff\xfe bytes")
            wait_until(lambda: len(seen(tmp)) >= 2, 10, "the matching messages")
            q = queue_settled(gw, received=4, filtered=2, acknowledged=4)
            check(q["failed"] == 0 and q["redelivered"] == 0, "counters %r" % q)
            check(pending(redis, "f") == 0, "dropped messages acknowledged too")
            got = seen(tmp)
            check(sorted(g["id"] for g in got) == sorted([keep, keep2]), "only matching messages: %r" % got)
            raw = [g for g in got if g["id"] == keep2][0]
            check(raw["body"] == "raw \ufffd\ufffd bytes", "invalid UTF-8 becomes U+FFFD: %r" % raw["body"])


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
        conf = setup(tmp, "{redis: %s, stream: s, batch_size: 50, visibility_timeout: 3s}" % redis.url, timeout=3)
        with Gateway(tmp, conf) as gw:
            held = redis.cmd("XADD", "s", "*", "body", "hold-1")
            ids = [held] + add(redis, "s", 1000)
            gw.wait_stdout(r"START RequestId", 10)
            redis.kill()        # while the held batch runs: its acknowledgement cannot be sent
            wait_view(gw, "queues", {"connected": False}, 10)
            wait_until(lambda: "cannot connect" in gw.stderr(), 10, "a reconnect refused while redis-server is down")
            write(os.path.join(tmp, "out.txt.release"), "")
            wait_until(lambda: [g for g in seen(tmp) if g["id"] == held], 10, "the held batch to finish")
            queue_settled(gw)   # its acknowledgement was tried while redis-server was down
            redis.start()
            ids += add(redis, "s", 1000, body=lambda i: "after%d" % i)
            wait_until(lambda: set(ids) <= set(g["id"] for g in seen(tmp)), 30, "every message after the restart")
            wait_until(lambda: pending(redis, "s") == 0, 15, "nothing left pending")
            wait_until(lambda: [g for g in seen(tmp) if g["id"] == held and g["count"] == 2], 10,
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
            # Two connections (reader, writer), each refused again and again (backoff from 0.1 s).
            wait_until(lambda: redis_errors(redis, "WRONGPASS") >= 8, 10, "four refused AUTHs per connection")
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
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"fn": context.function_name, "rid": context.aws_request_id, "event": event}) + "\\n")
    if context.function_name.startswith("Fail"):
        raise RuntimeError("cannot handle " + event["Records"][0]["Sns"]["Message"])
    return {"handled": event["Records"][0]["Sns"]["Message"]}

def record(event, context):
    with open(os.environ["OUT"] + ".dest", "a") as f:
        f.write(json.dumps({"fn": context.function_name, "event": event}) + "\\n")
"""



def now_ms():
    return int(time.time() * 1000)


def iso_ms(ts):
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts), "SNS Timestamp format: %r" % ts)
    return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(ts[20:23])


def check_sns_event(ev, channel, function, message, t0_ms, t1_ms, region="us-east-1", account="000000000000"):
    """ev is exactly the SNS notification event of message published on channel between t0_ms
    and t1_ms, as delivered to function; returns its MessageId."""
    check(list(ev) == ["Records"] and len(ev["Records"]) == 1, "one SNS record: %r" % ev)
    sns = ev["Records"][0].get("Sns", {})
    check(re.fullmatch(UUID4, sns.get("MessageId", "")), "Sns.MessageId is a UUID4: %r" % sns)
    check(t0_ms <= iso_ms(sns["Timestamp"]) <= t1_ms, "Sns.Timestamp %s within the publish" % sns["Timestamp"])
    arn = "arn:aws:sns:%s:%s:%s" % (region, account, channel)
    want = {"EventVersion": "1.0", "EventSubscriptionArn": arn + ":" + function, "EventSource": "aws:sns",
            "Sns": {"Type": "Notification", "MessageId": sns["MessageId"], "TopicArn": arn, "Subject": None,
                    "Message": message, "Timestamp": sns["Timestamp"], "SignatureVersion": "1", "Signature": "",
                    "SigningCertUrl": "https://sns.%s.fngate.invalid/SimpleNotificationService-fngate.pem" % region,
                    "UnsubscribeUrl": "https://sns.%s.fngate.invalid/?Action=Unsubscribe&SubscriptionArn=%s:%s"
                                      % (region, arn, function), "MessageAttributes": {}}}
    check(ev["Records"][0] == want, "SNS record:\n%r\nwant:\n%r" % (ev["Records"][0], want))
    return sns["MessageId"]


def topic_config(tmp, redis, functions):
    """functions: (name, handler, extra YAML lines for the function) each."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), TOPIC_PY)
    out = os.path.join(tmp, "out.txt")
    return "functions:\n" + "".join(
        "  %s:\n    runtime: python3\n    handler: %s\n    code: %s\n    environment: {OUT: %s}\n%s"
        % (name, handler, code, out, extra.replace("@REDIS@", redis.url)) for name, handler, extra in functions)


def test_topic_fan_out_to_two_functions_and_filter(tmp):
    out = os.path.join(tmp, "out.txt")
    with Redis(tmp) as redis:
        conf = "region: eu-west-1\naccount_id: '123456789012'\n" + topic_config(tmp, redis, [
            ("A", "app.handler", "    events:\n      - topic: {redis: @REDIS@, channel: alerts}\n"),
            ("B", "app.handler", "    events:\n      - topic: {redis: @REDIS@, pattern: 'alert*',"
                                 " filter_criteria: [{level: [high]}]}\n")])
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: redis.cmd("PUBSUB", "NUMSUB", "alerts")[1] == 1 and redis.cmd("PUBSUB", "NUMPAT") == 1,
                       10, "both subscriptions")
            high, low = json.dumps({"level": "high", "m": 1}), json.dumps({"level": "low", "m": 2})
            t0 = now_ms()
            # The two B filters out first; the high alert after them is the marker.
            redis.cmd("PUBLISH", "alerts", low)
            redis.cmd("PUBLISH", "alert-other", "plain text")
            redis.cmd("PUBLISH", "alerts", high)
            # Every message counted, and each accepted one ran (it succeeds: no retry follows).
            a = wait_view(gw, "topics", {"received": 2, "accepted": 2, "filtered": 0, "refused": 0}, 10, 0)
            b = wait_view(gw, "topics", {"received": 3, "accepted": 1, "filtered": 2, "refused": 0}, 10, 1)
            check(a["function"] == "A" and a["channel"] == "alerts" and a["connected"] is True, a)
            check(b["function"] == "B" and b["pattern"] == "alert*" and b["connected"] is True, b)
            got = wait_until(lambda: len(json_lines(out)) >= 3 and json_lines(out), 10, "the fan-out")
            t1 = now_ms()
            check(len(got) == 3, "three runs: %r" % got)
            a = sorted((g for g in got if g["fn"] == "A"), key=lambda g: g["event"]["Records"][0]["Sns"]["Message"])
            b = [g for g in got if g["fn"] == "B"]
            check(len(a) == 2 and len(b) == 1, "fan-out and filter: %r" % got)
            ids = {check_sns_event(a[0]["event"], "alerts", "A", high, t0, t1, "eu-west-1", "123456789012"),
                   check_sns_event(a[1]["event"], "alerts", "A", low, t0, t1, "eu-west-1", "123456789012"),
                   check_sns_event(b[0]["event"], "alerts", "B", high, t0, t1, "eu-west-1", "123456789012")}
            check(len(ids) == 3, "every copy has its own MessageId: %r" % ids)


def test_topic_async_retries_destinations_and_dead_letters(tmp):
    """A topic message is an async event: a failing subscriber is retried (every attempt
    with the same request id and event), then goes to its on_failure destination (a function
    here, the dead letters with the SNS event as payload there); a succeeding one goes to its
    on_success destination."""
    out = os.path.join(tmp, "out.txt")
    topic = "    events:\n      - topic: {redis: @REDIS@, channel: orders}\n"
    retries = "    retries: {maximum_retry_attempts: 2, backoff: {initial: 50ms, jitter: none}}\n"
    with Redis(tmp) as redis:
        conf = topic_config(tmp, redis, [
            ("FailToFn", "app.handler", retries + "    destinations: {on_failure: Rec}\n" + topic),
            ("FailToDlq", "app.handler", retries + "    destinations: {on_failure: dlq}\n" + topic),
            ("Ok", "app.handler", "    destinations: {on_success: Rec}\n" + topic),
            ("Rec", "app.record", "")])
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: redis.cmd("PUBSUB", "NUMSUB", "orders")[1] == 3, 10, "three subscriptions")
            msg = json.dumps({"order": 7})
            t0 = now_ms()
            redis.cmd("PUBLISH", "orders", msg)
            for i in range(3):
                wait_view(gw, "topics", {"received": 1, "accepted": 1}, 10, i)
            dests = wait_until(lambda: len(json_lines(out + ".dest")) >= 2 and json_lines(out + ".dest"), 20,
                               "the success and failure destination records")
            dead = wait_until(lambda: json.loads(gw.admin("GET", "/_fngate/dlq?function=FailToDlq")[2])["items"],
                              20, "FailToDlq's dead letter")
            t1 = now_ms()
            runs = json_lines(out)

            def runs_of(fn):
                return [r for r in runs if r["fn"] == fn]
            # Every attempt: the same request id and the same SNS event.
            for fn, attempts in (("FailToFn", 3), ("FailToDlq", 3), ("Ok", 1)):
                mine = runs_of(fn)
                check(len(mine) == attempts, "%s ran %d times, want %d: %r" % (fn, len(mine), attempts, mine))
                check(len({r["rid"] for r in mine}) == 1 and all(r["event"] == mine[0]["event"] for r in mine),
                      "%s: one request id and one event across attempts: %r" % (fn, mine))
                check_sns_event(mine[0]["event"], "orders", fn, msg, t0, t1)
            check(len(dests) == 2, "two destination records: %r" % dests)
            by_cond = {d["event"]["requestContext"]["condition"]: d["event"] for d in dests}
            fail = by_cond["RetriesExhausted"]
            rid = runs_of("FailToFn")[0]["rid"]
            check(fail["requestContext"] == {"requestId": rid, "condition": "RetriesExhausted",
                                             "approximateInvokeCount": 3,
                                             "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:FailToFn:$LATEST"},
                  "failure record context: %r" % fail)
            check(fail["requestPayload"] == runs_of("FailToFn")[0]["event"], "failure record payload: %r" % fail)
            check(fail["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                  fail["responseContext"])
            check(fail["responsePayload"]["errorType"] == "RuntimeError" and
                  fail["responsePayload"]["errorMessage"] == "cannot handle " + msg, fail["responsePayload"])
            ok = by_cond["Success"]
            check(ok["requestContext"]["requestId"] == runs_of("Ok")[0]["rid"] and
                  ok["requestContext"]["approximateInvokeCount"] == 1, ok)
            check(ok["requestPayload"] == runs_of("Ok")[0]["event"] and ok["responsePayload"] == {"handled": msg}, ok)
            check(len(dead) == 1, "one dead letter: %r" % dead)
            d = dead[0]
            check(d["condition"] == "RetriesExhausted" and d["attempts"] == 3 and d["errorType"] == "RuntimeError" and
                  d["requestId"] == runs_of("FailToDlq")[0]["rid"] and d["errorMessage"] == "cannot handle " + msg, d)
            status, _, body = gw.admin("GET", "/_fngate/dlq/%d" % d["id"])
            check(status == 200 and json.loads(body)["payload"] == runs_of("FailToDlq")[0]["event"],
                  "the dead letter keeps the SNS event: %s" % body)
            check(not json.loads(gw.admin("GET", "/_fngate/dlq?function=FailToFn")[2])["items"],
                  "a failure delivered to its destination leaves no dead letter")


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
            redis.cmd("XADD", "orders", "*", "body", json.dumps({"id": "A-1", "amount": 30}), "source", "web")
            bad = redis.cmd("XADD", "orders", "*", "body", json.dumps({"id": "A-2", "amount": -5}))
            # The low alert first, the high one after it as the marker.
            redis.cmd("PUBLISH", "alerts.cpu", json.dumps({"host": "web2", "level": "low"}))
            redis.cmd("PUBLISH", "alerts.disk", json.dumps({"host": "db1", "level": "high"}))
            gw.wait_stdout(r'"processed": "A-1"', 15)
            gw.wait_stdout(r"order %s failed \(receive 1\)" % bad, 15)
            gw.wait_stdout(r"ALERT on alerts.disk: db1 is high", 15)
            # Both alerts were considered: one filtered, one accepted (and it ran, above).
            wait_view(gw, "topics", {"received": 2, "filtered": 1, "accepted": 1}, 10)
            check("web2" not in gw.stdout(), "the low alert is filtered out")
            wait_until(lambda: redis.cmd("XPENDING", "orders", "fngate")[0] == 1, 10, "only A-2 pending")
            check(redis.cmd("XPENDING", "orders", "fngate")[1] == bad, "A-2 is the pending one")


def test_key_of_another_type_is_waited_out(tmp):
    with Redis(tmp) as redis:
        redis.cmd("SET", "busy", "not a stream")
        with Gateway(tmp, setup(tmp, "{redis: %s, stream: busy}" % redis.url)) as gw:
            wait_until(lambda: "WRONGTYPE" in gw.stderr(), 10, "the error reply")
            # Retried every second: three error replies, still one line.
            wait_until(lambda: redis_errors(redis, "WRONGTYPE") >= 3, 10, "three WRONGTYPE replies")
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
            held = redis.cmd("XADD", "k", "*", "body", "hold-batch")
            gw.wait_stdout(r"START RequestId", 10)
            gw.kill9()              # kill -9 while the function holds the message
        finally:
            gw.stop(check_clean=False)
        check(not seen(tmp), "the killed run finished nothing")
        write(os.path.join(tmp, "out.txt.release"), "")     # the next receive goes through
        with Gateway(tmp, conf):
            got = wait_until(lambda: seen(tmp), 15, "the message redelivered after the visibility timeout")
            check(got[0]["id"] == held and got[0]["count"] == 2, "same message, second receive: %r" % got)
            wait_until(lambda: pending(redis, "k") == 0, 5, "acknowledged by the new gateway")


def test_views_keep_names_as_given(tmp):
    """Stream, group and channel names are the user's: quotes and backslashes in them leave
    /_fngate/queues and /_fngate/topics valid JSON that holds the names as written."""
    with Redis(tmp) as redis:
        conf = setup(tmp, "{redis: %s, stream: 'or\"ders\\eu', group: 'g\"1'}" % redis.url)
        conf += "      - topic: {redis: %s, channel: 'al\"erts\\x'}\n" % redis.url
        with Gateway(tmp, conf) as gw:
            q = wait_view(gw, "queues", {"connected": True}, 10)
            check(q["stream"] == 'or"ders\\eu' and q["group"] == 'g"1', "the queue view: %r" % q)
            t = gw.view("topics")[0]
            check(t["channel"] == 'al"erts\\x', "the topic view: %r" % t)


def test_batch_over_the_payload_limit_is_split_not_dropped(tmp):
    """Twenty 500 KB messages read as one batch of 20 are worth 10 MB: the batch closes at
    Lambda's 6 MB and the rest go in the next ones. Every message runs once; none waits for
    a visibility timeout (a batch that failed to fill was once dropped whole, forever)."""
    with Redis(tmp) as redis:
        ids = add(redis, "big", 20, body=lambda i: "big%02d-" % i + "x" * 500000)
        conf = setup(tmp, "{redis: %s, stream: big, batch_size: 20, visibility_timeout: 60s}" % redis.url)
        with Gateway(tmp, conf) as gw:
            q = queue_settled(gw, acknowledged=20)
            got = seen(tmp)
            check(sorted(g["id"] for g in got) == sorted(ids), "every message once: %d runs" % len(got))
            check(q["redelivered"] == 0 and q["failed"] == 0, "nothing redelivered: %r" % q)
            check(pending(redis, "big") == 0, "every message acknowledged")


def test_topic_message_over_the_async_limit_is_refused_whole(tmp):
    """A 1.2 MB pub/sub message is over the 1 MB asynchronous payload limit: it is refused and
    counted, never committed as a truncated record."""
    out = os.path.join(tmp, "out.txt")
    with Redis(tmp) as redis:
        conf = topic_config(tmp, redis, [("A", "app.handler", "    events:\n      - topic: {redis: @REDIS@, channel: c}\n")])
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: redis.cmd("PUBSUB", "NUMSUB", "c")[1] == 1, 10, "the subscription")
            redis.cmd("PUBLISH", "c", "y" * (1200 * 1024))
            redis.cmd("PUBLISH", "c", "small")
            wait_view(gw, "topics", {"received": 2, "accepted": 1, "refused": 1}, 10)
            got = wait_until(lambda: json_lines(out), 10, "the small message's run")
            check(len(got) == 1 and got[0]["event"]["Records"][0]["Sns"]["Message"] == "small", got)
            wait_until(gw.queue_idle, 10, "the async queue to settle")
            check(json.loads(gw.admin("GET", "/_fngate/dlq")[2])["items"] == [], "no dead letter")


def test_sigterm_with_redis_gone_stops_in_bounded_time(tmp):
    """redis-server is killed just before SIGTERM: fngate stops within stop_timeout plus a
    little, exit status 0, in 20 runs of 20 (what it could not acknowledge stays pending in
    the stream and is delivered again, by the poll contract)."""
    import signal
    import time
    for run in range(20):
        with Redis(tmp) as redis:
            conf = setup(tmp, "{redis: %s, stream: s%d}" % (redis.url, run)) + "stop_timeout: 2s\n"
            gw = Gateway(tmp, conf)
            gw.start()
            try:
                redis.cmd("XADD", "s%d" % run, "*", "body", "m%d" % run)
                wait_view(gw, "queues", {"acknowledged": 1})
                redis.kill()
                start = time.monotonic()
                gw.proc.send_signal(signal.SIGTERM)
                rc = gw.proc.wait(60)
                took = time.monotonic() - start
                gw.stop()
                check(rc == 0 and took < 5, "run %d: exit %s after %.1f s\n%s" % (run, rc, took, gw.stderr()[-2000:]))
            finally:
                if gw.proc.poll() is None:
                    gw.proc.kill()
                    gw.stop(check_clean=False)

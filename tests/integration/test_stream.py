# SPDX-License-Identifier: MIT
"""Kafka streams against librdkafka's mock cluster (a real Kafka protocol server on
loopback): order per partition, the exact self-managed Kafka and Kinesis event shapes,
offsets committed only after success across a restart and a kill -9, bisect isolating a
poison record with the on-failure record, partial batch failures, filters, a broker taken
down and back, a rebalance between two gateways that neither loses nor repeats a record,
key lanes side by side, starting positions, record age and a URL on-failure destination.
Waits are on /_fngate/streams (its counts and committed offsets), log lines, or files the
function writes; never on the clock."""
import base64
import json
import os
import re
import time

from harness import Gateway, HookServer, KafkaMock, check, json_lines, wait_until, write

PY = """
import base64, json, os, time
def wait_file(path, seconds):
    end = time.time() + seconds
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.02)
    return os.path.exists(path)
def handler(event, context):
    with open(os.environ["OUT"] + ".events", "a") as f:
        f.write(json.dumps(event) + "\\n")
    out = []
    fail = None
    if "Records" in event:
        recs = [(int(r["eventID"].split("-")[1].split(":")[0]), int(r["kinesis"]["sequenceNumber"]),
                 base64.b64decode(r["kinesis"]["data"]).decode(), r["kinesis"]["partitionKey"]) for r in event["Records"]]
    else:
        recs = [(r["partition"], r["offset"], base64.b64decode(r["value"]).decode(),
                 base64.b64decode(r["key"]).decode() if r["key"] else None)
                for v in event["records"].values() for r in v]
    if os.environ.get("PAUSE"):
        time.sleep(float(os.environ["PAUSE"]))      # slow work
    flag = os.environ["OUT"] + ".flaky"
    for p, o, v, k in recs:
        extra = {}
        if v.startswith("poison") or (v.startswith("bad") and os.environ.get("FAIL") == "1"):
            with open(os.environ["OUT"] + ".attempts", "a") as f:
                f.write(json.dumps({"p": p, "o": o, "v": v, "n": len(recs), "id": context.aws_request_id}) + "\\n")
            raise Exception("cannot process " + v)
        if v.startswith("hold"):
            # Runs until the test releases it (bounded).
            open(os.environ["OUT"] + ".started-" + v, "w").close()
            extra["released"] = wait_file(os.environ["OUT"] + ".release", 25)
        if v.startswith("meet-"):
            # meet-ME-OTHER: announces itself, then waits for OTHER to have started too.
            me, other = v.split("-")[1:3]
            open(os.environ["OUT"] + ".started-" + me, "w").close()
            extra["met"] = wait_file(os.environ["OUT"] + ".started-" + other, 20)
        if v.startswith("flaky") and not os.path.exists(flag):
            open(flag, "w").close()
            fail = str(o)
            break
        out.append(json.dumps(dict({"p": p, "o": o, "v": v, "k": k, "fn": context.function_name,
                                    "n": len(recs)}, **extra)))
    with open(os.environ["OUT"], "a") as f:
        f.write("".join(x + "\\n" for x in out))
    if fail is not None:
        return {"batchItemFailures": [{"itemIdentifier": fail}]}
"""

DEST = """
import json, os
def handler(event, context):
    with open(os.environ["OUT"] + ".failures", "a") as f:
        f.write(json.dumps(event) + "\\n")
"""

ARN = "arn:aws:lambda:us-east-1:000000000000:function:%s"
KAFKA_PROPS = "{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000}"


def setup(tmp, kafka, stream, env="", dest=False):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    write(os.path.join(code, "dest.py"), DEST)
    out = os.path.join(tmp, "out.txt")
    conf = ("functions:\n  K:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 5\n"
            "    environment: {OUT: %s%s}\n    events:\n      - stream: {kafka: {brokers: '%s', properties: %s}, %s}\n"
            % (code, out, env, kafka.bootstrap, KAFKA_PROPS, stream))
    if dest:
        conf += "  D:\n    runtime: python3\n    handler: dest.handler\n    code: %s\n    environment: {OUT: %s}\n" % (code, out)
    return conf


def seen(tmp):
    return json_lines(os.path.join(tmp, "out.txt"))


def events(tmp):
    return json_lines(os.path.join(tmp, "out.txt.events"))


def assigned(gw):
    wait_until(lambda: "assigned" in gw.stderr(), 30, "the partition assignment")


def view(gw, i=0):
    return gw.view("streams")[i]


def committed(gw, i=0):
    return {int(p): o for p, o in view(gw, i)["committed"].items()}


def wait_committed(gw, want, timeout=30, i=0):
    """Waits until the broker holds exactly the offsets want ({partition: next offset}) from gw:
    every record below them finished and nothing of theirs is still running."""
    wait_until(lambda: committed(gw, i) == want, timeout, "committed offsets %r" % want, seen=lambda: committed(gw, i))


def ends(got):
    """{partition: offset after the last record seen}: where the commit ends once all ran."""
    out = {}
    for g in got:
        out[g["p"]] = max(out.get(g["p"], 0), g["o"] + 1)
    return out


def record(kafka, topic, partition, value, key="-", ts="-", headers="-"):
    """One record with its timestamp (epoch ms) and headers ("NAME=VALUE,...", %XX bytes); its offset."""
    return int(kafka.cmd("record %s %d %s %s %s %s" % (topic, partition, key, ts, headers, value)).split()[1])


def b64(text):
    return base64.b64encode(text.encode()).decode()


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def test_order_per_partition_and_kafka_shape(tmp):
    with KafkaMock() as kafka:
        kafka.topic("clicks", 3)
        with Gateway(tmp, setup(tmp, kafka, "topic: clicks, batch_size: 50, maximum_batching_window: 100ms")) as gw:
            assigned(gw)
            kafka.cmd("bulk clicks 600 v")
            wait_until(lambda: len(seen(tmp)) >= 600, 30, "600 records")
            wait_committed(gw, ends(seen(tmp)))
            got = seen(tmp)
            check(len(got) == 600, "each record once: %d deliveries" % len(got))
            check(sorted(g["v"] for g in got) == sorted("v%d" % i for i in range(600)), "every record")
            for p in range(3):
                offs = [g["o"] for g in got if g["p"] == p]
                check(offs == sorted(offs) and offs == list(range(len(offs))), "partition %d in order: %r" % (p, offs[:20]))
            by_key = {}
            for g in got:
                by_key.setdefault(g["k"], set()).add(g["p"])
            check(all(len(v) == 1 for v in by_key.values()), "a key stays on its partition")
            check(max(g["n"] for g in got) <= 50, "batch_size respected")
            s = view(gw)
            check(s["processed"] == 600 and s["received"] == 600 and s["partitions"] == 3
                  and sum(s["committed"].values()) == 600, "stream view: %r" % s)
            for ev in events(tmp):
                check(sorted(ev) == ["bootstrapServers", "eventSource", "records"]
                      and ev["eventSource"] == "SelfManagedKafka" and ev["bootstrapServers"] == kafka.bootstrap
                      and all(k == "clicks-%d" % r["partition"] for k, v in ev["records"].items() for r in v),
                      "a self-managed Kafka event: %r" % json.dumps(ev)[:600])
            # One record with a known timestamp and headers (a byte above 127 is negative, as Java's byte).
            before = len(events(tmp))
            ts = int(time.time() * 1000) - 5000
            off = record(kafka, "clicks", 2, "shape", key="kx", ts=ts, headers="h1=ab,h2=%ff%00")
            wait_until(lambda: any(g["v"] == "shape" for g in seen(tmp)), 20, "the record with headers")
            ev = events(tmp)[before:]
            want = {"eventSource": "SelfManagedKafka", "bootstrapServers": kafka.bootstrap,
                    "records": {"clicks-2": [{"topic": "clicks", "partition": 2, "offset": off, "timestamp": ts,
                                              "timestampType": "CREATE_TIME", "key": b64("kx"), "value": b64("shape"),
                                              "headers": [{"h1": [97, 98]}, {"h2": [-1, 0]}]}]}}
            check(ev == [want], "the exact Kafka event:\n%r\nwanted\n%r" % (ev, want))


def test_offsets_committed_after_success_survive_restart(tmp):
    with KafkaMock() as kafka:
        kafka.topic("orders", 1)
        conf = setup(tmp, kafka, "topic: orders, batch_size: 10, maximum_batching_window: 0s", env=", FAIL: '1'")
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            for i in range(5):
                kafka.produce("orders", 0, "good%d" % i)
            wait_until(lambda: len(seen(tmp)) >= 5, 15, "the good records")
            kafka.produce("orders", 0, "bad5")
            kafka.produce("orders", 0, "after6")
            wait_until(lambda: len(json_lines(os.path.join(tmp, "out.txt.attempts"))) >= 2, 15, "the bad record retried")
            wait_committed(gw, {0: 5})
            check(view(gw)["retries"] >= 1, "the retry counted: %r" % view(gw))
        check(sorted(g["v"] for g in seen(tmp)) == ["good%d" % i for i in range(5)], "nothing past the failure ran")
        os.unlink(os.path.join(tmp, "out.txt"))
        with Gateway(tmp, conf.replace("FAIL: '1'", "FAIL: '0'")) as gw:
            assigned(gw)
            wait_committed(gw, {0: 7})
            got = seen(tmp)
            check([g["v"] for g in got] == ["bad5", "after6"], "committed records not reprocessed, the rest are: %r" % got)


def test_bisect_isolates_poison_and_writes_the_failure_record(tmp):
    with KafkaMock() as kafka:
        kafka.topic("jobs", 1)
        conf = setup(tmp, kafka, "topic: jobs, batch_size: 8, maximum_batching_window: 2s,"
                                 " bisect_batch_on_function_error: true, maximum_retry_attempts: 1, on_failure: D",
                     dest=True)
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            for i in range(8):
                kafka.produce("jobs", 0, "poison%d" % i if i == 5 else "ok%d" % i)
            fails = wait_until(lambda: json_lines(os.path.join(tmp, "out.txt.failures")), 30, "the failure record")
            wait_committed(gw, {0: 8})
            got = seen(tmp)
            check(sorted(g["v"] for g in got) == sorted("ok%d" % i for i in range(8) if i != 5),
                  "every other record exactly once: %r" % [g["v"] for g in got])
            rec = fails[0]
            info = rec["KafkaBatchInfo"]["recordsInfo"]["jobs-0"]
            check(len(fails) == 1 and info["firstRecordOffset"] == "5" and info["lastRecordOffset"] == "5"
                  and rec["KafkaBatchInfo"]["batchSize"] == 1, "the poison record alone: %r" % rec)
            check(rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
                  and rec["requestContext"]["functionArn"].endswith(":function:K")
                  and rec["requestContext"]["approximateInvokeCount"] == 2
                  and rec["responseContext"]["functionError"] == "Unhandled", "record metadata: %r" % rec)
            sizes = [a["n"] for a in json_lines(os.path.join(tmp, "out.txt.attempts"))]
            check(sizes[0] == 8 and sizes[-1] == 1, "bisected from 8 down to 1: %r" % sizes)
            check("given up (RetryAttemptsExhausted)" in gw.stderr(), "the give-up is logged")
            check(view(gw)["givenUp"] == 1, "one record given up: %r" % view(gw))


def test_kinesis_format_partial_failure_and_dead_letters(tmp):
    with KafkaMock() as kafka:
        kafka.topic("k", 1)
        conf = setup(tmp, kafka, "topic: k, format: kinesis, batch_size: 10, maximum_batching_window: 1s,"
                                 " function_response_types: [ReportBatchItemFailures], maximum_retry_attempts: 1")
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            ts = int(time.time() * 1000) - 3000
            record(kafka, "k", 0, "r0", key="user0", ts=ts)
            for i in range(1, 6):
                kafka.produce("k", 0, "flaky%d" % i if i == 3 else "r%d" % i, key="user%d" % i)
            wait_until(lambda: len(seen(tmp)) >= 6, 20, "all records")
            wait_committed(gw, {0: 6})
            got = seen(tmp)
            check([g["v"] for g in got] == ["r0", "r1", "r2", "flaky3", "r4", "r5"],
                  "records before the failed one are not repeated: %r" % [g["v"] for g in got])
            check(got[0]["k"] == "user0", "partitionKey is the Kafka key")
            first = events(tmp)[0]
            check(sorted(first) == ["Records"], "a Kinesis event holds Records only: %r" % first)
            want = {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "user0", "sequenceNumber": "0",
                                "data": b64("r0"), "approximateArrivalTimestamp": ts / 1000.0},
                    "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": "shardId-000000000000:0",
                    "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::000000000000:role/fngate",
                    "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/k"}
            check(first["Records"][0] == want, "the exact Kinesis record:\n%r\nwanted\n%r" % (first["Records"][0], want))
            for ev in events(tmp):
                for r in ev["Records"]:
                    check(r["eventSource"] == "aws:kinesis" and r["eventName"] == "aws:kinesis:record"
                          and r["eventID"] == "shardId-000000000000:%s" % r["kinesis"]["sequenceNumber"],
                          "a Kinesis record: %r" % r)
            kafka.produce("k", 0, "poison6")
            wait_until(lambda: "given up" in gw.stderr(), 20, "the poison record given up")
            kafka.produce("k", 0, "r8")
            wait_until(lambda: any(g["v"] == "r8" for g in seen(tmp)), 20, "the record after the poison one")
            out = json.loads(gw.admin("GET", "/_fngate/dlq?function=K")[2])
            check(out["total"] == 1, "the given-up batch is a dead letter: %r" % out)
            item = out["items"][0]
            check(item["condition"] == "RetryAttemptsExhausted", "dead letter condition: %r" % item)
            shown = json.loads(gw.admin("GET", "/_fngate/dlq/%s" % item["id"])[2])
            info = json.loads(shown["payload"]) if isinstance(shown.get("payload"), str) else shown["payload"]
            check(info["KinesisBatchInfo"]["startSequenceNumber"] == "6", "Kinesis batch info: %r" % info)


def test_filter_drops_records_and_commits_past_them(tmp):
    with KafkaMock() as kafka:
        kafka.topic("f", 1)
        conf = setup(tmp, kafka, "topic: f, maximum_batching_window: 200ms,"
                                 " filter_criteria: {filters: [{pattern: {value: {kind: [a]}}}]}")
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            for i, kind in enumerate("abab"):
                kafka.produce("f", 0, json.dumps({"kind": kind, "i": i}).replace(" ", ""))
            kafka.produce("f", 0, "not-json")
            wait_committed(gw, {0: 5})
            check([json.loads(g["v"])["i"] for g in seen(tmp)] == [0, 2], "only kind a: %r" % seen(tmp))
            s = view(gw)
            check(s["filtered"] == 3 and s["processed"] == 2, "three filtered: %r" % s)


def test_broker_down_then_back(tmp):
    with KafkaMock() as kafka:
        kafka.topic("d", 1)
        conf = setup(tmp, kafka, "topic: d, maximum_batching_window: 0s")
        with Gateway(tmp, conf, args=["--debug"]) as gw:
            assigned(gw)
            kafka.produce("d", 0, "before")
            wait_until(lambda: seen(tmp), 15, "the first record")
            kafka.cmd("down 1")
            wait_until(lambda: "broker unreachable" in gw.stderr(), 30, "the broker-down line")
            # librdkafka's own (debug) lines show it retried while the broker was down.
            mark = len(gw.stderr_lines)
            wait_until(lambda: len([l for l in gw.stderr_lines[mark:] if "Connection refused" in l]) >= 2, 30,
                       "two reconnect attempts refused")
            kafka.cmd("up 1")
            kafka.produce("d", 0, "after")
            wait_until(lambda: len(seen(tmp)) >= 2, 30, "the record produced after the broker came back")
            err = gw.stderr()
            check(err.count("broker unreachable") == 1, "one line for the outage, not one per retry:\n" + err[-3000:])


def test_rebalance_between_two_gateways_loses_and_repeats_nothing(tmp):
    with KafkaMock() as kafka:
        kafka.topic("r", 4)
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        stream = "topic: r, batch_size: 20, maximum_batching_window: 50ms"
        ga = Gateway(a_dir, setup(a_dir, kafka, stream))
        ga.start()
        try:
            assigned(ga)
            kafka.cmd("bulk r 400 one")
            wait_until(lambda: len(seen(a_dir)) >= 400, 20, "the first gateway consuming")
            wait_committed(ga, ends(seen(a_dir)))      # committed before the rebalance
            with Gateway(b_dir, setup(b_dir, kafka, stream)) as gb:
                wait_until(lambda: "assigned" in gb.stderr(), 40, "the second gateway joining")
                kafka.cmd("bulk r 400 two")
                wait_until(lambda: len(seen(a_dir)) + len(seen(b_dir)) >= 800, 40, "all 800 records")
                # Each gateway shows only the partitions it holds: together, every partition
                # committed to its end, so nothing is left to run twice.
                want = ends(seen(a_dir) + seen(b_dir))
                wait_until(lambda: {**committed(ga), **committed(gb)} == want, 30,
                           "both gateways' commits covering every record %r" % want)
                check(not set(committed(ga)) & set(committed(gb)), "a partition has one owner: %r %r"
                      % (committed(ga), committed(gb)))
        finally:
            ga.stop()
        vals = [g["v"] for g in seen(a_dir) + seen(b_dir)]
        want = ["one%d" % i for i in range(400)] + ["two%d" % i for i in range(400)]
        check(set(vals) == set(want), "nothing lost across the rebalance (%d missing)" % len(set(want) - set(vals)))
        dups = len(vals) - len(set(vals))
        check(dups == 0, "%d records processed twice across the rebalance" % dups)


def test_unreachable_broker_at_start_is_one_clear_line(tmp):
    from harness import free_port
    port = free_port()      # nothing listens there

    class Nowhere:
        bootstrap = "127.0.0.1:%d" % port
    conf = setup(tmp, Nowhere, "topic: t")
    with Gateway(tmp, conf, args=["--debug"]) as gw:
        wait_until(lambda: "broker unreachable" in gw.stderr(), 20, "the unreachable-broker line")
        # librdkafka's own (debug) lines show it tried again after the first refusal (it
        # folds further identical errors into one line, "N identical error(s) suppressed").
        wait_until(lambda: len([l for l in gw.stderr_lines if "Connection refused" in l]) >= 2, 30,
                   "a second connection attempt refused")
        status, _, body = gw.admin("GET", "/_fngate/streams")
        check(status == 200 and json.loads(body)[0]["partitions"] == 0
              and json.loads(body)[0]["committed"] == {}, "the gateway serves on: %r" % body)
    check(gw.stderr().count("broker unreachable") == 1, "one line, not one per retry:\n" + gw.stderr()[-3000:])


def test_topic_created_after_start_is_waited_for(tmp):
    with KafkaMock() as kafka:
        with Gateway(tmp, setup(tmp, kafka, "topic: later, maximum_batching_window: 0s")) as gw:
            # librdkafka's mock creates a topic a consumer asks about (with 4 partitions), as
            # brokers with auto.create.topics.enable.
            assigned(gw)
            check(gw.proc.poll() is None and view(gw)["partitions"] == 4, "consuming the new topic: %r" % view(gw))
            kafka.produce("later", 1, "first")
            wait_until(lambda: seen(tmp), 40, "the record of the topic created later")
            check(seen(tmp)[0]["v"] == "first" and seen(tmp)[0]["p"] == 1, "the record: %r" % seen(tmp))


def test_gateway_kill9_loses_nothing(tmp):
    with KafkaMock() as kafka:
        kafka.topic("kk", 2)
        # Each batch takes a moment, so the kill comes mid-stream.
        conf = setup(tmp, kafka, "topic: kk, batch_size: 10, maximum_batching_window: 0s", env=", PAUSE: '0.2'")
        gw = Gateway(tmp, conf)
        gw.start()
        try:
            assigned(gw)
            kafka.cmd("bulk kk 300 x")
            before = wait_until(lambda: {p: o for p, o in committed(gw).items() if o > 0}, 30, "a first commit")
            gw.kill9()
        finally:
            gw.stop(check_clean=False)
        check(sum(before.values()) < 300, "the kill came mid-stream: %r" % before)
        first = len(seen(tmp))
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            wait_until(lambda: set("x%d" % i for i in range(300)) <= set(g["v"] for g in seen(tmp)), 60,
                       "every record after the restart")
            # The restarted gateway commits every partition it had left to its end.
            wait_committed(gw, {p: o for p, o in ends(seen(tmp)).items() if o > before.get(p, 0)}, 30)
        got = seen(tmp)
        runs = {}
        for g in got:
            runs[(g["p"], g["o"])] = runs.get((g["p"], g["o"]), 0) + 1
        below = [(p, o) for (p, o) in runs if o < before.get(p, 0)]
        check(below, "records below the committed offsets %r" % before)
        again = sorted((p, o) for (p, o) in below if runs[(p, o)] != 1)
        check(not again, "records below the committed offsets %r ran again: %r" % (before, again[:20]))
        check(len(got) - 300 <= first, "only records finished but not yet committed run again (%d)" % (len(got) - 300))


def lane_of(key, lanes):
    """The gateway's lane for a key (FNV-1a, as kafka_stream.c)."""
    h = 2166136261
    for c in key.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h % lanes


def test_parallelization_factor_keeps_order_per_key(tmp):
    with KafkaMock() as kafka:
        kafka.topic("pf", 1)
        conf = setup(tmp, kafka, "topic: pf, batch_size: 10, maximum_batching_window: 0s, parallelization_factor: 4")
        a = "ka"
        b = next(k for k in ("kb%d" % i for i in range(100)) if lane_of(k, 4) != lane_of(a, 4))
        with Gateway(tmp, conf.replace("    timeout: 5\n", "    timeout: 30\n    concurrency: 4\n")) as gw:
            assigned(gw)
            # Two records of one partition in two lanes: each waits for the other to have
            # started, which only lanes running side by side can satisfy.
            kafka.produce("pf", 0, "meet-a-b", key=a)
            kafka.produce("pf", 0, "meet-b-a", key=b)
            kafka.cmd("bulk pf 400 v")
            wait_until(lambda: len(seen(tmp)) >= 402, 60, "402 records")
            wait_committed(gw, {0: 402})
            got = seen(tmp)
            met = {g["v"]: g.get("met") for g in got if g["v"].startswith("meet")}
            check(met == {"meet-a-b": True, "meet-b-a": True}, "two lanes of one partition ran side by side: %r" % met)
            check(sorted(g["v"] for g in got if g["v"].startswith("v")) == sorted("v%d" % i for i in range(400)),
                  "each record once")
            for k in range(16):
                mine = [g["v"] for g in got if g["k"] == "k%d" % k]
                check(mine == ["v%d" % i for i in range(400) if i % 16 == k], "key k%d in order: %r" % (k, mine))
                offs = [g["o"] for g in got if g["k"] == "k%d" % k]
                check(offs == sorted(offs), "key k%d in offset order" % k)


def test_revoke_waits_for_the_running_batch(tmp):
    with KafkaMock() as kafka:
        kafka.topic("rv", 2)
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        stream = "topic: rv, maximum_batching_window: 0s"
        conf = lambda d: setup(d, kafka, stream).replace("    timeout: 5\n", "    timeout: 30\n")
        ga = Gateway(a_dir, conf(a_dir))
        ga.start()
        try:
            assigned(ga)
            kafka.produce("rv", 0, "hold0")
            kafka.produce("rv", 1, "quick1")
            wait_until(lambda: os.path.exists(os.path.join(a_dir, "out.txt.started-hold0")), 20, "the held batch running")
            with Gateway(b_dir, conf(b_dir)) as gb:
                wait_until(lambda: "waiting for 1 running batch" in ga.stderr(), 30, "the revoke on the first gateway")
                # The batch cannot end before it is released: the revoke must still be open.
                check("revoked" not in ga.stderr(), "the revoke completed while its batch ran:\n" + ga.stderr()[-2000:])
                check("assigned" not in gb.stderr(), "the second gateway got partitions while the batch ran")
                open(os.path.join(a_dir, "out.txt.release"), "w").close()
                wait_until(lambda: "revoked" in ga.stderr(), 30, "the revoke completing")
                wait_until(lambda: "assigned" in gb.stderr(), 30, "the second gateway's assignment")
        finally:
            ga.stop()
        done = [g for g in seen(a_dir) if g["v"] == "hold0"]
        check(done and done[0]["released"], "the first gateway finished its running batch instead of dropping it: %r"
              % seen(a_dir))
        lines = ga.stderr().splitlines()
        began = [i for i, l in enumerate(lines) if "waiting for 1 running batch" in l]
        ended = [i for i, l in enumerate(lines) if "revoked" in l]
        check(began and ended and began[0] < ended[0], "the revoke began, then ended:\n" + "\n".join(lines[-20:]))


def test_starting_position_latest_skips_what_came_before(tmp):
    with KafkaMock() as kafka:
        kafka.topic("lt", 1)
        for i in range(3):
            kafka.produce("lt", 0, "before%d" % i)
        conf = setup(tmp, kafka, "topic: lt, starting_position: LATEST, maximum_batching_window: 0s")
        # librdkafka looks the end up after the assignment; its fetch debug line says when.
        conf = conf.replace("'topic.metadata", "'debug': 'topic', 'topic.metadata")
        with Gateway(tmp, conf, args=["--debug"]) as gw:
            wait_until(lambda: "lt [0] start fetching at offset" in gw.stderr(), 30, "the first fetch")
            for i in range(3):
                kafka.produce("lt", 0, "after%d" % i)
            wait_committed(gw, {0: 6})
            check([g["v"] for g in seen(tmp)] == ["after0", "after1", "after2"],
                  "only what came after the group's start: %r" % seen(tmp))


def test_starting_position_at_timestamp(tmp):
    with KafkaMock() as kafka:
        kafka.topic("at", 1)
        now = int(time.time()) * 1000
        # The position is the first record at or after the timestamp; what follows it runs,
        # whatever its own timestamp.
        for v, age in (("old0", 1000), ("old1", 600), ("new2", 400), ("late3", 800), ("new4", 0)):
            record(kafka, "at", 0, v, ts=now - age * 1000)
        conf = setup(tmp, kafka, "topic: at, starting_position: AT_TIMESTAMP, starting_position_timestamp: %d,"
                                 " maximum_batching_window: 0s" % (now // 1000 - 500))
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            wait_committed(gw, {0: 5})
            check([g["v"] for g in seen(tmp)] == ["new2", "late3", "new4"], "from the timestamp on: %r" % seen(tmp))
            kafka.produce("at", 0, "after5")
            wait_committed(gw, {0: 6})
            check([g["v"] for g in seen(tmp)][-1:] == ["after5"], "and what comes later: %r" % seen(tmp))
        # A restart goes on from the committed offset, not from the timestamp again.
        record(kafka, "at", 0, "older6", ts=now - 900 * 1000)
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            wait_committed(gw, {0: 7})
            check([g["v"] for g in seen(tmp)] == ["new2", "late3", "new4", "after5", "older6"],
                  "after a restart, from the committed offset: %r" % seen(tmp))


def failure_checks(got, want):
    """got minus its timestamp (ISO 8601 UTC with milliseconds) equals want."""
    got = dict(got)
    ts = got.pop("timestamp", "")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts), "record timestamp: %r" % ts)
    check(got == want, "the failure record:\n%r\nwanted\n%r" % (got, want))


def test_maximum_record_age_gives_up_an_old_record(tmp):
    with KafkaMock() as kafka:
        kafka.topic("ma", 1)
        conf = setup(tmp, kafka, "topic: ma, maximum_batching_window: 0s, maximum_record_age: 60, on_failure: D",
                     dest=True)
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            old = int(time.time() * 1000) - 120 * 1000
            record(kafka, "ma", 0, "poison-old", key="k", ts=old)
            fails = wait_until(lambda: json_lines(os.path.join(tmp, "out.txt.failures")), 30, "the failure record")
            attempts = json_lines(os.path.join(tmp, "out.txt.attempts"))
            check(len(attempts) == 1, "not retried past its age: %r" % attempts)
            failure_checks(fails[0], {
                "requestContext": {"requestId": attempts[0]["id"], "functionArn": ARN % "K",
                                   "condition": "RecordAgeExceeded", "approximateInvokeCount": 1},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "version": "1.0",
                "KafkaBatchInfo": {"batchSize": 1, "bootstrapServers": kafka.bootstrap, "payloadSize": 11,
                                   "recordsInfo": {"ma-0": {"firstRecordOffset": "0", "lastRecordOffset": "0",
                                                            "firstRecordTimestamp": iso(old),
                                                            "lastRecordTimestamp": iso(old)}}}})
            kafka.produce("ma", 0, "fresh1")
            wait_committed(gw, {0: 2})
            check([g["v"] for g in seen(tmp)] == ["fresh1"], "the partition moved on: %r" % seen(tmp))
            s = view(gw)
            check(s["givenUp"] == 1 and s["retries"] == 0 and s["failedBatches"] == 1, "stream view: %r" % s)
            check("given up (RecordAgeExceeded)" in gw.stderr(), "the give-up is logged")


def test_url_on_failure_gets_the_batch_info(tmp):
    with HookServer() as hook:
        with KafkaMock() as kafka:
            kafka.topic("ua", 1)
            kafka.topic("ub", 1)
            code = os.path.join(tmp, "code")
            write(os.path.join(code, "app.py"), PY)
            common = "kafka: {brokers: '%s', properties: %s}, maximum_batching_window: 0s, maximum_retry_attempts: 0" % (
                kafka.bootstrap, KAFKA_PROPS)
            conf = ("functions:\n  K:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 5\n"
                    "    environment: {OUT: %s}\n    events:\n"
                    "      - stream: {%s, topic: ua, group: ga, on_failure: '%s/kafka'}\n"
                    "      - stream: {%s, topic: ub, group: gb, format: kinesis, on_failure: '%s/kinesis'}\n"
                    % (code, os.path.join(tmp, "out.txt"), common, hook.url, common, hook.url))
            with Gateway(tmp, conf) as gw:
                wait_until(lambda: gw.stderr().count("assigned") >= 2, 30, "both assignments")
                ts = int(time.time() * 1000) - 7000
                for t in ("ua", "ub"):
                    kafka.produce(t, 0, "fine0")
                # The poison records come alone, in batches of their own.
                wait_committed(gw, {0: 1}, i=0)
                wait_committed(gw, {0: 1}, i=1)
                for t in ("ua", "ub"):
                    record(kafka, t, 0, "poison-" + t, key="key1", ts=ts)
                wait_until(lambda: len(hook.posts) >= 2, 30, "two failure records POSTed")
                wait_committed(gw, {0: 2}, i=0)
                wait_committed(gw, {0: 2}, i=1)
                ids = {a["v"]: a["id"] for a in json_lines(os.path.join(tmp, "out.txt.attempts"))}
                posts = {path: (ctype, json.loads(body)) for path, ctype, body in hook.posts}
                check(sorted(posts) == ["/kafka", "/kinesis"] and len(hook.posts) == 2, "one POST each: %r" % hook.posts)
                base = {"responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                        "version": "1.0"}
                for path, topic, info in (
                        ("/kafka", "ua", {"KafkaBatchInfo": {
                            "batchSize": 1, "bootstrapServers": kafka.bootstrap, "payloadSize": 4 + 9,
                            "recordsInfo": {"ua-0": {"firstRecordOffset": "1", "lastRecordOffset": "1",
                                                     "firstRecordTimestamp": iso(ts), "lastRecordTimestamp": iso(ts)}}}}),
                        ("/kinesis", "ub", {"KinesisBatchInfo": {
                            "shardId": "shardId-000000000000", "startSequenceNumber": "1", "endSequenceNumber": "1",
                            "approximateArrivalOfFirstRecord": iso(ts), "approximateArrivalOfLastRecord": iso(ts),
                            "batchSize": 1, "streamArn": "arn:aws:kinesis:us-east-1:000000000000:stream/ub"}})):
                    ctype, ce = posts[path]
                    check(ctype.startswith("application/cloudevents+json"), "content type: %r" % ctype)
                    check(ce["specversion"] == "1.0" and ce["type"] == "fngate.lambda.destination.RetryAttemptsExhausted"
                          and ce["source"] == ARN % "K" and ce["subject"] == ce["id"]
                          and ce["datacontenttype"] == "application/json", "the CloudEvent: %r" % ce)
                    failure_checks(ce["data"], dict(base, requestContext={
                        "requestId": ids["poison-" + topic], "functionArn": ARN % "K",
                        "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1}, **info))


def test_sigterm_with_the_broker_gone_stops_in_bounded_time(tmp):
    """The broker dies just before SIGTERM: librdkafka's close would wait for the group
    coordinator it cannot reach. fngate gives the close `stop_timeout` (here 2 s), logs
    what it could not commit (redelivered later, by the poll contract) and exits 0, in 20
    runs of 20."""
    for run in range(20):
        with KafkaMock() as kafka:
            kafka.topic("t%d" % run, 1)
            conf = setup(tmp, kafka, "topic: t%d, maximum_batching_window: 0s" % run) + "stop_timeout: 2s\n"
            gw = Gateway(tmp, conf)
            gw.start()
            try:
                assigned(gw)
                kafka.produce("t%d" % run, 0, "r%d" % run)
                wait_until(lambda: any(("r%d" % run) in json.dumps(e) for e in seen(tmp)), 15, "the record")
                kafka.proc.kill()
                kafka.proc.wait()
                start = time.monotonic()
                gw.proc.send_signal(15)
                rc = gw.proc.wait(60)
                took = time.monotonic() - start
                gw.stop()
                check(rc == 0 and took < 5, "run %d: exit %s after %.1f s\n%s" % (run, rc, took, gw.stderr()[-3000:]))
                check("could not leave the consumer group within stop_timeout" in gw.stderr() or
                      "revoked" in gw.stderr(), gw.stderr()[-2000:])
            finally:
                if gw.proc.poll() is None:
                    gw.proc.kill()
                    gw.stop(check_clean=False)
            kafka.close(check_clean=False)

# SPDX-License-Identifier: MIT
"""Kafka streams against librdkafka's mock cluster (a real Kafka protocol server on
loopback): order per partition, the self-managed Kafka and Kinesis event shapes, offsets
committed only after success across a restart, bisect isolating a poison record with the
on-failure record, partial batch failures, filters, a broker taken down and back, and a
rebalance between two gateways that neither loses nor repeats a record."""
import base64
import json
import os
import time

from harness import Gateway, KafkaMock, check, json_lines, wait_until, write

PY = """
import base64, json, os
def handler(event, context):
    out = []
    fail = None
    if "Records" in event:
        recs = [(int(r["eventID"].split("-")[1].split(":")[0]), int(r["kinesis"]["sequenceNumber"]),
                 base64.b64decode(r["kinesis"]["data"]).decode(), r["kinesis"]["partitionKey"]) for r in event["Records"]]
    else:
        check = event["eventSource"] == "SelfManagedKafka" and len(event["records"]) == 1
        recs = [(r["partition"], r["offset"], base64.b64decode(r["value"]).decode(),
                 base64.b64decode(r["key"]).decode() if r["key"] else None)
                for v in event["records"].values() for r in v]
    flag = os.environ["OUT"] + ".flaky"
    for p, o, v, k in recs:
        if v.startswith("poison") or (v.startswith("bad") and os.environ.get("FAIL") == "1"):
            with open(os.environ["OUT"] + ".attempts", "a") as f:
                f.write(json.dumps({"p": p, "o": o, "v": v, "n": len(recs)}) + "\\n")
            raise Exception("cannot process " + v)
        if v.startswith("slow"):
            import time
            time.sleep(6)
        if v.startswith("flaky") and not os.path.exists(flag):
            open(flag, "w").close()
            fail = str(o)
            break
        import time
        out.append(json.dumps({"p": p, "o": o, "v": v, "k": k, "fn": context.function_name,
                               "n": len(recs), "t": time.time()}))
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


def assigned(gw):
    wait_until(lambda: "assigned" in gw.stderr(), 30, "the partition assignment")


def test_order_per_partition_and_kafka_shape(tmp):
    with KafkaMock() as kafka:
        kafka.topic("clicks", 3)
        with Gateway(tmp, setup(tmp, kafka, "topic: clicks, batch_size: 50, maximum_batching_window: 100ms")) as gw:
            assigned(gw)
            kafka.cmd("bulk clicks 600 v")
            got = wait_until(lambda: len(seen(tmp)) >= 600 and seen(tmp), 30, "600 records")
            time.sleep(0.5)
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
            s = json.loads(gw.request("GET", "/_fngate/streams")[2])[0]
            check(s["processed"] == 600 and s["partitions"] == 3, "stream view: %r" % s)


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
        check(sorted(g["v"] for g in seen(tmp)) == ["good%d" % i for i in range(5)], "nothing past the failure ran")
        os.unlink(os.path.join(tmp, "out.txt"))
        with Gateway(tmp, conf.replace("FAIL: '1'", "FAIL: '0'")) as gw:
            assigned(gw)
            got = wait_until(lambda: len(seen(tmp)) >= 2 and seen(tmp), 20, "the uncommitted records again")
            time.sleep(1)
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
            wait_until(lambda: len(seen(tmp)) >= 7, 10, "the other records")
            time.sleep(0.5)
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


def test_kinesis_format_partial_failure_and_dead_letters(tmp):
    with KafkaMock() as kafka:
        kafka.topic("k", 1)
        conf = setup(tmp, kafka, "topic: k, format: kinesis, batch_size: 10, maximum_batching_window: 1s,"
                                 " function_response_types: [ReportBatchItemFailures], maximum_retry_attempts: 1")
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            for i in range(6):
                kafka.produce("k", 0, "flaky%d" % i if i == 3 else "r%d" % i, key="user%d" % i)
            wait_until(lambda: len(seen(tmp)) >= 6, 20, "all records")
            time.sleep(0.5)
            got = seen(tmp)
            check([g["v"] for g in got] == ["r0", "r1", "r2", "flaky3", "r4", "r5"],
                  "records before the failed one are not repeated: %r" % [g["v"] for g in got])
            check(got[0]["k"] == "user0", "partitionKey is the Kafka key")
            kafka.produce("k", 0, "poison6")
            wait_until(lambda: "given up" in gw.stderr(), 20, "the poison record given up")
            kafka.produce("k", 0, "r8")
            wait_until(lambda: any(g["v"] == "r8" for g in seen(tmp)), 20, "the record after the poison one")
            out = json.loads(gw.request("GET", "/_fngate/dlq?function=K")[2])
            check(out["total"] == 1, "the given-up batch is a dead letter: %r" % out)
            item = out["items"][0]
            check(item["condition"] == "RetryAttemptsExhausted", "dead letter condition: %r" % item)
            shown = json.loads(gw.request("GET", "/_fngate/dlq/%s" % item["id"])[2])
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
            wait_until(lambda: len(seen(tmp)) >= 2, 15, "the matching records")
            time.sleep(0.5)
            check([json.loads(g["v"])["i"] for g in seen(tmp)] == [0, 2], "only kind a: %r" % seen(tmp))
            s = json.loads(gw.request("GET", "/_fngate/streams")[2])[0]
            check(s["filtered"] == 3, "three filtered: %r" % s)


def test_broker_down_then_back(tmp):
    with KafkaMock() as kafka:
        kafka.topic("d", 1)
        conf = setup(tmp, kafka, "topic: d, maximum_batching_window: 0s")
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            kafka.produce("d", 0, "before")
            wait_until(lambda: seen(tmp), 15, "the first record")
            kafka.cmd("down 1")
            wait_until(lambda: "broker unreachable" in gw.stderr(), 30, "the broker-down line")
            time.sleep(2)
            kafka.cmd("up 1")
            kafka.produce("d", 0, "after")
            wait_until(lambda: len(seen(tmp)) >= 2, 30, "the record produced after the broker came back")
            err = gw.stderr()
            check(err.count("broker unreachable") == 1, "one line for the outage, not one per retry:\n" + err)


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
            time.sleep(0.5)     # the periodic commit (200 ms) covers them before the rebalance
            with Gateway(b_dir, setup(b_dir, kafka, stream)) as gb:
                wait_until(lambda: "assigned" in gb.stderr(), 40, "the second gateway joining")
                kafka.cmd("bulk r 400 two")
                wait_until(lambda: len(seen(a_dir)) + len(seen(b_dir)) >= 800, 40, "all 800 records")
                time.sleep(1.5)
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
    with Gateway(tmp, conf) as gw:
        wait_until(lambda: "broker unreachable" in gw.stderr(), 20, "the unreachable-broker line")
        time.sleep(2)
        status, _, body = gw.request("GET", "/_fngate/streams")
        check(status == 200 and json.loads(body)[0]["partitions"] == 0, "the gateway serves on: %r" % body)
        check(gw.stderr().count("broker unreachable") == 1, "one line, not one per retry:\n" + gw.stderr())


def test_topic_created_after_start_is_waited_for(tmp):
    with KafkaMock() as kafka:
        with Gateway(tmp, setup(tmp, kafka, "topic: later, maximum_batching_window: 0s")) as gw:
            time.sleep(2)
            check(gw.proc.poll() is None, "still running without the topic")
            # The mock creates a topic a client asks for (as brokers with auto.create.topics.enable).
            kafka.produce("later", 1, "first")
            wait_until(lambda: seen(tmp), 40, "the record of the topic created later")
            check(seen(tmp)[0]["v"] == "first" and seen(tmp)[0]["p"] == 1, "the record: %r" % seen(tmp))


def test_gateway_kill9_loses_nothing(tmp):
    with KafkaMock() as kafka:
        kafka.topic("kk", 2)
        conf = setup(tmp, kafka, "topic: kk, batch_size: 10, maximum_batching_window: 0s")
        gw = Gateway(tmp, conf)
        gw.start()
        try:
            assigned(gw)
            kafka.cmd("bulk kk 300 x")
            wait_until(lambda: len(seen(tmp)) >= 50, 20, "some records processed")
            gw.kill9()
        finally:
            gw.stop(check_clean=False)
        first = len(seen(tmp))
        with Gateway(tmp, conf) as gw:
            assigned(gw)
            wait_until(lambda: set("x%d" % i for i in range(300)) <= set(g["v"] for g in seen(tmp)), 30,
                       "every record after the restart")
        again = len(seen(tmp)) - 300
        check(again <= first, "only records finished but not yet committed run again (%d)" % again)


def test_parallelization_factor_keeps_order_per_key(tmp):
    with KafkaMock() as kafka:
        kafka.topic("pf", 1)
        conf = setup(tmp, kafka, "topic: pf, batch_size: 10, maximum_batching_window: 0s, parallelization_factor: 4")
        with Gateway(tmp, conf.replace("    timeout: 5\n", "    timeout: 5\n    concurrency: 4\n")) as gw:
            assigned(gw)
            kafka.cmd("bulk pf 400 v")
            wait_until(lambda: len(seen(tmp)) >= 400, 30, "400 records")
            time.sleep(0.5)
            got = seen(tmp)
            check(sorted(g["v"] for g in got) == sorted("v%d" % i for i in range(400)), "each record once")
            by_key = {}
            for g in got:
                by_key.setdefault(g["k"], []).append(g["o"])
            check(all(v == sorted(v) for v in by_key.values()), "in offset order within each key")
            offsets = [g["o"] for g in got]
            check(offsets != sorted(offsets), "lanes ran side by side (the partition's order is not kept across keys)")


def test_revoke_waits_for_the_running_batch(tmp):
    import datetime
    with KafkaMock() as kafka:
        kafka.topic("rv", 2)
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        stream = "topic: rv, maximum_batching_window: 0s"
        conf = lambda d: setup(d, kafka, stream).replace("    timeout: 5\n", "    timeout: 10\n")
        ga = Gateway(a_dir, conf(a_dir))
        ga.start()
        try:
            assigned(ga)
            kafka.produce("rv", 0, "slow0")
            kafka.produce("rv", 1, "quick1")
            ga.wait_stdout(r"START RequestId", 10)
            with Gateway(b_dir, conf(b_dir)) as gb:
                wait_until(lambda: "revoked" in ga.stderr(), 30, "the revoke on the first gateway")
                wait_until(lambda: "assigned" in gb.stderr(), 30, "the second gateway's assignment")
                wait_until(lambda: "slow0" in [g["v"] for g in seen(a_dir) + seen(b_dir)], 30, "the slow record")
        finally:
            ga.stop()
        done = [g for g in seen(a_dir) if g["v"] == "slow0"]
        check(done, "the first gateway finished its running batch instead of dropping it")
        def when(word):
            line = [l for l in ga.stderr().splitlines() if word in l][0]
            return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        began, ended, t = when("waiting for 1 running batch"), when("revoked"), done[0]["t"]
        check(began < t <= ended + 0.01, "the revoke began while the batch ran and ended after it finished"
              " (%.3f, %.3f, %.3f)" % (began, t, ended))

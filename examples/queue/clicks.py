"""A Kinesis consumer, unchanged: records arrive in order per shard (Kafka partition)."""
import base64
import collections
import json


def handler(event, context):
    pages = collections.Counter()
    for record in event["Records"]:
        click = json.loads(base64.b64decode(record["kinesis"]["data"]))
        pages[click["page"]] += 1
    print(json.dumps({"clicks": dict(pages), "last": event["Records"][-1]["kinesis"]["sequenceNumber"]}))

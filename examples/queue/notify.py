"""An SNS subscriber, unchanged: one notification per event."""
import json


def handler(event, context):
    for record in event["Records"]:
        sns = record["Sns"]
        alert = json.loads(sns["Message"])
        print("ALERT on %s: %s is %s" % (sns["TopicArn"].rsplit(":", 1)[-1], alert.get("host"), alert["level"]))

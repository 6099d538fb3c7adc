"""An SQS consumer, unchanged: it reads Records[].body and reports the orders it could not
process, so only those come back (ReportBatchItemFailures)."""
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            if not isinstance(order.get("amount"), (int, float)) or order["amount"] <= 0:
                raise ValueError("amount must be a positive number")
            print(json.dumps({"processed": order["id"], "amount": order["amount"],
                              "receive": int(record["attributes"]["ApproximateReceiveCount"])}))
        except Exception as e:  # noqa: BLE001 - every bad order is reported, none stops the batch
            print("order %s failed (receive %s): %s" % (record["messageId"],
                                                       record["attributes"]["ApproximateReceiveCount"], e))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

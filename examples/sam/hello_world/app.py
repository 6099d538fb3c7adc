import json
import os


def lambda_handler(event, context):
    """Sample pure Lambda function, as `sam init` writes it: the Api event is REST's proxy
    event (payload format 1.0), the HttpApi event payload format 2.0."""
    return {
        "statusCode": 200,
        "body": json.dumps({
            "message": os.environ["GREETING"],
            "payload": event.get("version", "1.0"),
        }),
    }

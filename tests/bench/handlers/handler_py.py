# SPDX-License-Identifier: MIT
# The benchmark's trivial Python handler (tests/bench/run.sh), served by fngate and by
# serverless-offline alike.
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}

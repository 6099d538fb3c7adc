# The classic AWS "HelloLambda" handler, unchanged: it runs on Lambda and on fngate alike.
import os


def lambda_handler(event, context):
    # HTTP routes deliver an API Gateway v2.0 event: the name is a path parameter there.
    name = event.get('name') or (event.get('pathParameters') or {}).get('name') or 'Guest'
    print(f"Received a request for {name} (request {context.aws_request_id})")
    greeting = os.environ.get('GREETING', 'Hello')
    return {"message": f"{greeting} {name}, welcome to AWS Lambda!"}

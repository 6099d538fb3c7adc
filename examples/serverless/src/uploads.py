"""Runs for every .jpg written to the uploads bucket, with S3's event as on AWS."""
import urllib.parse


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        print(f"new upload: s3://{bucket}/{key} ({record['s3']['object'].get('size')} bytes)")

"""Thumbnails: an image is uploaded to the uploads bucket, and a 128-pixel JPEG of it appears
in the thumbnails bucket under the same key (with .jpg).

An S3-triggered handler as written for Lambda: it takes bucket and key from the S3 event
(unquote_plus, as for real S3 events) and talks to S3 with the AWS SDK, with no endpoint,
region or key in the code. The execution environment's credentials and AWS_ENDPOINT_URL_S3
(fngate's S3 endpoint) say everything, and the function's role allows only what it does:
read uploads/*, write thumbnails/*. Images are read and written in memory; PutObject
replaces an object whole, so a second upload with the same key replaces the thumbnail.
"""
import io
import os
import urllib.parse

import boto3
from PIL import Image, UnidentifiedImageError

THUMBS = os.environ.get("THUMBNAIL_BUCKET", "thumbnails")
SIZE = int(os.environ.get("THUMBNAIL_SIZE", "128"))
IMAGES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff")

# Made once per execution environment and reused by its warm invocations.
s3 = boto3.client("s3")


def handler(event, context):
    done = []
    for record in event["Records"]:
        if not record["eventName"].startswith("ObjectCreated:"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        if not key.lower().endswith(IMAGES):
            print(f"skipping {bucket}/{key}: not an image")
            continue
        try:
            data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            print(f"{bucket}/{key} is gone already")
            continue
        try:
            with Image.open(io.BytesIO(data)) as im:
                fmt, (width, height) = im.format, im.size
                im.thumbnail((SIZE, SIZE))
                out = io.BytesIO()
                im.convert("RGB").save(out, "JPEG", quality=85)
        except UnidentifiedImageError:
            print(f"skipping {bucket}/{key}: not an image PIL can read")
            continue
        thumb = os.path.splitext(key)[0] + ".jpg"
        s3.put_object(Bucket=THUMBS, Key=thumb, Body=out.getvalue(), ContentType="image/jpeg")
        print(f"{bucket}/{key}: {fmt} {width}x{height}, {len(data)} bytes -> {THUMBS}/{thumb}")
        done.append({"key": key, "format": fmt, "width": width, "height": height, "bytes": len(data),
                     "thumbnail": f"{THUMBS}/{thumb}"})
    return {"thumbnails": done}

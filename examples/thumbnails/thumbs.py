"""Thumbnails: an image lands in the uploads folder (bucket), a thumbnail appears in the
thumbnails folder and its metadata in a small SQLite store.

Written as an S3-triggered Lambda handler: it reads bucket and key from the S3 event
(unquote_plus, as for real S3 events) and maps buckets to folders under STORAGE_ROOT.
Thumbnails are written to a temporary name and renamed, so a reader never sees half a
file and a second upload with the same key replaces the thumbnail cleanly.
"""
import os
import sqlite3
import time
import urllib.parse

from PIL import Image, UnidentifiedImageError

ROOT = os.environ.get("STORAGE_ROOT", "data")
THUMBS = os.environ.get("THUMBNAIL_BUCKET", "thumbnails")
SIZE = int(os.environ.get("THUMBNAIL_SIZE", "128"))
DB = os.environ.get("METADATA_DB", os.path.join(ROOT, "metadata.db"))
IMAGES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff")


def _store():
    db = sqlite3.connect(DB, timeout=10)
    db.execute("CREATE TABLE IF NOT EXISTS images(bucket TEXT, key TEXT, format TEXT, width INTEGER, height INTEGER,"
               " bytes INTEGER, etag TEXT, thumbnail TEXT, updated REAL, PRIMARY KEY(bucket, key))")
    return db


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
        src = os.path.join(ROOT, bucket, key)
        try:
            with Image.open(src) as im:
                fmt, (width, height) = im.format, im.size
                im.thumbnail((SIZE, SIZE))
                dst = os.path.join(ROOT, THUMBS, os.path.splitext(key)[0] + ".jpg")
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                tmp = f"{dst}.{context.aws_request_id}.partial"
                im.convert("RGB").save(tmp, "JPEG", quality=85)
                os.replace(tmp, dst)
        except FileNotFoundError:
            print(f"{bucket}/{key} is gone already")
            continue
        except UnidentifiedImageError:
            print(f"skipping {bucket}/{key}: not an image PIL can read")
            continue
        with _store() as db:
            db.execute("INSERT OR REPLACE INTO images VALUES(?,?,?,?,?,?,?,?,?)",
                       (bucket, key, fmt, width, height, record["s3"]["object"].get("size"),
                        record["s3"]["object"].get("eTag"), os.path.relpath(dst, ROOT), time.time()))
        print(f"{bucket}/{key}: {fmt} {width}x{height} -> {os.path.relpath(dst, ROOT)}")
        done.append({"key": key, "format": fmt, "width": width, "height": height,
                     "thumbnail": os.path.relpath(dst, ROOT)})
    return {"thumbnails": done}

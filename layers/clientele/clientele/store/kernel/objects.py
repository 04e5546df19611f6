"""S3 objects in the import bucket: reports (exports too large for a Lambda response) and their links.

The bucket expires `reports/` after 7 days (a lifecycle rule in template.yaml); a presigned GET
link is how a client fetches one without AWS credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import IO, TYPE_CHECKING

from clientele.config import get_settings
from clientele.store.kernel.errors import StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REPORTS_PREFIX = "reports/"


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


@cache
def s3() -> S3Client:
    import boto3
    from botocore.config import Config

    # SigV4 and virtual-hosted addressing: presigned links then name the bucket's regional endpoint
    # (the "auto" style names the global one, which redirects, breaking the signature, outside us-east-1).
    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        signature_version="s3v4",
        s3={"addressing_style": "virtual"},
    )
    return boto3.client("s3", config=config)


def bucket() -> str:
    """The import bucket: uploads, drops, reports and jobs' working files."""
    name = get_settings().import_bucket
    if not name:
        raise RuntimeError("IMPORT_BUCKET is not set")
    return name


def report_key(tenant: str, name: str) -> str:
    return f"{REPORTS_PREFIX}{tenant}/{name}"


def put_report(key: str, body: IO[bytes], content_type: str, filename: str) -> None:
    """Upload a file object (streamed; multipart when large)."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    extra = {"ContentType": content_type, "ContentDisposition": f'attachment; filename="{filename}"'}
    try:
        s3().upload_fileobj(body, bucket(), key, ExtraArgs=extra)
    except (ClientError, BotoCoreError, S3UploadFailedError) as error:
        raise StoreUnavailable(f"S3 upload failed: {type(error).__name__}") from error


def download_link(key: str, expires_in: timedelta) -> Link:
    """A presigned GET URL for the object, valid for `expires_in`."""
    seconds = int(expires_in.total_seconds())
    expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
    url = s3().generate_presigned_url(
        "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=seconds, HttpMethod="GET"
    )
    return Link(url=url, expires_at=expires_at)

"""Import files in S3: presigned uploads and seekable streams over an exact object version.

A job reads the bytes it was started with: every ranged GET carries the
object's ETag (`If-Match`), so an object replaced mid-import fails the job
instead of mixing two files.
"""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from clientele.store.kernel.errors import StoreError, StoreUnavailable
from clientele.store.kernel.objects import bucket, s3


class ObjectChanged(StoreError):
    """The object is gone or no longer has the ETag the job started with."""


def presigned_put(key: str, expires_in: int) -> str:
    return s3().generate_presigned_url(
        "put_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=expires_in, HttpMethod="PUT"
    )


def open_object(bucket_name: str, key: str, etag: str) -> BinaryIO:
    """A seekable binary stream over the object (ranged GETs on demand, never the whole object)."""
    from aws_lambda_powertools.utilities.streaming import S3Object

    guarded = _Guarded(S3Object(bucket=bucket_name, key=key, boto3_client=s3(), IfMatch=etag))
    # The readers use read/seek/tell/close only, which _Guarded has: a file object by duck typing.
    return cast(BinaryIO, guarded)


class _Guarded:
    """Turns S3's answers for a vanished or replaced object into ObjectChanged."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, operation: str, *args: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._stream, operation)(*args)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "NoSuchKey", "404", "412"}:
                raise ObjectChanged(code) from None
            raise StoreUnavailable(code) from error
        except BotoCoreError as error:
            raise StoreUnavailable(type(error).__name__) from error

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._guard("read", size)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position: int = self._guard("seek", offset, whence)
        return position

    def tell(self) -> int:
        position: int = self._stream.tell()
        return position

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()


def job_file_key(tenant: str, job_id: str, name: str) -> str:
    """Where a job keeps its working files (expired by the bucket's lifecycle rule on `jobs/`)."""
    return f"jobs/{tenant}/{job_id}/{name}"


def put_job_file(key: str, data: bytes) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3().put_object(Bucket=bucket(), Key=key, Body=data)
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable(f"S3 put failed: {type(error).__name__}") from error


def get_job_file(key: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return s3().get_object(Bucket=bucket(), Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable(f"S3 get failed: {type(error).__name__}") from error

"""The process-wide SQS client, and the visibility of a message a worker holds.

Short timeouts and few retries: a worker renews its lease on a message from a
background thread, and must be able to stop that thread promptly.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@cache
def sqs() -> SQSClient:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return boto3.client("sqs", config=config)


class VisibilityNotChanged(Exception):
    """SQS did not change the message's visibility (throttled, unreachable, or the message is gone)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def change_visibility(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Make the received message invisible for `seconds` from now (0: visible at once)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
    except ClientError as error:
        raise VisibilityNotChanged(str(error.response.get("Error", {}).get("Code", "unknown"))) from error
    except BotoCoreError as error:
        raise VisibilityNotChanged(type(error).__name__) from error

"""Integration credentials in Secrets Manager: one secret per instance, one secret version per change.

The instance item names the version it uses, so an instance write that loses its condition
(If-Match) leaves the version it put unused rather than changing the credentials of the
instance the winner wrote. Values never leave this module except to the vendor adapters.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from clientele.config import get_settings
from clientele.store.kernel.errors import StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


@cache
def _client() -> SecretsManagerClient:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "secretsmanager",
        config=Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5),
    )


def secret_name(tenant: str, instance_id: str) -> str:
    return f"{get_settings().integration_secret_prefix}{tenant}/{instance_id}"


def _call(operation: str, **params: Any) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer: dict[str, Any] = getattr(_client(), operation)(**params)
        return answer
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"ThrottlingException", "InternalServiceError", "LimitExceededException"}:
            raise StoreUnavailable(code) from None
        raise
    except BotoCoreError as error:
        # Never chained: botocore's messages may quote the request.
        raise StoreUnavailable(type(error).__name__) from None


def create(tenant: str, instance_id: str, values: dict[str, str]) -> str:
    """A new instance's secret; the version id that holds `values`."""
    answer = _call(
        "create_secret",
        Name=secret_name(tenant, instance_id),
        Description="Clientele integration credentials",
        SecretString=json.dumps(values),
    )
    return str(answer["VersionId"])


def put(tenant: str, instance_id: str, values: dict[str, str]) -> str:
    """A new version of the instance's secret holding `values`; its version id."""
    answer = _call("put_secret_value", SecretId=secret_name(tenant, instance_id), SecretString=json.dumps(values))
    return str(answer["VersionId"])


def read(tenant: str, instance_id: str, version_id: str) -> dict[str, str]:
    answer = _call("get_secret_value", SecretId=secret_name(tenant, instance_id), VersionId=version_id)
    values: dict[str, str] = json.loads(answer["SecretString"])
    return values


def delete(tenant: str, instance_id: str) -> None:
    """Remove the secret at once (a deleted instance's credentials are not kept for recovery)."""
    from botocore.exceptions import ClientError

    try:
        _call("delete_secret", SecretId=secret_name(tenant, instance_id), ForceDeleteWithoutRecovery=True)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise

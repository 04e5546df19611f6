"""Idempotency-Key on creating POSTs (API.md §7), with Powertools Idempotency.

The key is scoped by tenant and operation; the payload hash is the request
body's canonical JSON, so the same key with another body is 422. Only
successful responses are recorded (a failed first attempt may be retried with
a corrected body); a replay answers the recorded status, body and headers
with `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from clientele.config import get_settings
from clientele.domain.kernel.errors import IdempotencyInProgress, IdempotencyKeyReused, MalformedRequest
from clientele.domain.kernel.principal import Principal
from clientele.http.types import HttpResponse

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


def _record(response: HttpResponse) -> dict[str, Any]:
    body = response.body
    if not isinstance(body, str):
        body = json.dumps(body, separators=(",", ":"))
    headers = {name: response.headers[name] for name in _REPLAYED_HEADERS if name in response.headers}
    return {"status": response.status_code, "headers": headers, "body": body}


def _mark_replayed(response: dict[str, Any], idempotent_data: DataRecord) -> dict[str, Any]:
    """Powertools' response hook, on a replay: `response` is the recorded one."""
    return {**response, "headers": {**response["headers"], "Idempotent-Replayed": "true"}}


def idempotent(
    app: APIGatewayHttpResolver,
    caller: Principal,
    operation: str,
    body: dict[str, Any],
    produce: Callable[[], HttpResponse],
) -> HttpResponse:
    """Run `produce` once per (tenant, operation, Idempotency-Key) within 24 h."""
    key = app.current_event.headers.get("idempotency-key")
    if key is None:
        return produce()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise MalformedRequest("Idempotency-Key must be 1-255 printable ASCII characters")

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from clientele.store.kernel.idempotency import idempotency_store, key_prefix

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        response_hook=_mark_replayed,
    )
    if app.lambda_context is not None:
        config.register_lambda_context(app.lambda_context)

    def run(request: dict[str, Any]) -> dict[str, Any]:
        return _record(produce())

    once = idempotent_function(
        run,
        data_keyword_argument="request",
        persistence_store=idempotency_store(),
        config=config,
        key_prefix=key_prefix(caller.tenant_id, operation),
    )
    request = {"key": key, "body": json.dumps(body, sort_keys=True, separators=(",", ":"))}
    try:
        recorded = once(request=request)
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body") from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyInProgress("a request with this Idempotency-Key is still being processed") from None
    return Response(
        status_code=recorded["status"],
        body=recorded["body"],
        headers=dict(recorded["headers"]),
    )

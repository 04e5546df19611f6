"""The writes switch (API.md §8): an SSM parameter read with a cache of at most 30 s."""

from __future__ import annotations

from clientele.config import get_settings
from clientele.domain.kernel.errors import EndpointDisabled
from clientele.observability import logger


def writes_enabled() -> bool:
    settings = get_settings()
    if not settings.writes_switch_parameter:
        return True
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(settings.writes_switch_parameter, max_age=settings.writes_switch_cache_seconds)
    except parameters.exceptions.GetParameterError:
        # Fail open: an SSM outage or throttle must not take every write down with it.
        logger.exception("writes switch unreadable; treating writes as enabled")
        return True
    return str(value).strip().lower() != "false"


def require_writes_enabled() -> None:
    if not writes_enabled():
        raise EndpointDisabled("writes are switched off for maintenance; reads keep working")

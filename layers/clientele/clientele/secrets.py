"""Deployment secrets, read once and cached (Secrets Manager in AWS, an environment variable locally)."""

from __future__ import annotations

from clientele.config import get_settings

_CACHE_SECONDS = 300


def cursor_signing_key() -> bytes:
    settings = get_settings()
    if settings.cursor_secret:
        return settings.cursor_secret.encode()
    if not settings.cursor_secret_arn:
        raise RuntimeError("neither CURSOR_SECRET nor CURSOR_SECRET_ARN is set")
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(settings.cursor_secret_arn, max_age=_CACHE_SECONDS)).encode()

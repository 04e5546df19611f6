"""Local HS256 bearer tokens: the constants the local JWT authorizer checks, and minting.

JWS is built with the standard library rather than PyJWT because PyJWT warns on every
call when the HMAC key is shorter than 32 bytes, and the documented local default
secret (``clientele-local-secret``) is shorter than that.
"""

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

LOCAL_ISSUER = "clientele-local"
LOCAL_AUDIENCE = "clientele"
DEFAULT_SECRET = "clientele-local-secret"
SECRET_ENV = "LOCAL_JWT_SECRET"

ALL_SCOPES = (
    "customer:read customer:create customer:update customer:delete customer:import "
    "sku:read sku:write ledger:read ledger:write integration:read integration:write"
)


def local_secret(environ: Mapping[str, str] | None = None) -> str:
    """The signing secret shared by the minting side and the authorizer."""
    env = os.environ if environ is None else environ
    return env.get(SECRET_ENV) or DEFAULT_SECRET


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding, as JWS (RFC 7515 §2) requires."""
    if "=" in text or any(ch in text for ch in "+/ \t\r\n"):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hs256_signature(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()


def _json_segment(value: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def encode(
    claims: Mapping[str, Any],
    secret: str | None = None,
    *,
    header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` with HS256; ``header`` replaces the default one (tests craft odd tokens with it).

    When the header's ``alg`` is ``none`` the signature segment is left empty, as unsecured JWTs are.
    """
    jws_header = dict(header) if header is not None else {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{_json_segment(jws_header)}.{_json_segment(claims)}"
    if str(jws_header.get("alg", "")).lower() == "none":
        return signing_input + "."
    signature = hs256_signature(signing_input, secret if secret is not None else local_secret())
    return f"{signing_input}.{b64url_encode(signature)}"


def mint(  # noqa: PLR0917 - the documented call is mint(tenant, role, scope, organization_id, sub, ttl)
    tenant: str | None,
    role: str | None,
    scope: str | Iterable[str] | None,
    organization_id: str | None = None,
    sub: str | None = None,
    ttl: int = 3600,
    *,
    secret: str | None = None,
    **extra: Any,
) -> str:
    """A token the local authorizer accepts: tenant_id, role, scope, iss, aud, sub, iat, exp.

    ``tenant``, ``role`` or ``scope`` None leaves that claim out. ``extra`` adds or replaces
    claims; an extra claim set to None is removed (tests build tokens without ``exp`` so).
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": sub if sub is not None else f"local-{role or 'user'}@{tenant}",
        "iat": now,
        "exp": now + ttl,
    }
    if tenant is not None:
        claims["tenant_id"] = tenant
    if role is not None:
        claims["role"] = role
    if scope is not None:
        claims["scope"] = scope if isinstance(scope, str) else " ".join(scope)
    if organization_id is not None:
        claims["organization_id"] = organization_id
    for name, value in extra.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return encode(claims, secret)

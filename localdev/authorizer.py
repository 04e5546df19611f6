"""The HTTP API JWT authorizer, as API Gateway runs it in front of the functions.

401 ``{"message":"Unauthorized"}`` for a missing, malformed or invalid token, 403
``{"message":"Forbidden"}`` when the token lacks every scope the route accepts. The
reason is kept for the access log, never shown to the caller.
"""

import hmac
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from localdev.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER, b64url_decode, hs256_signature, local_secret


class AuthorizerDenied(Exception):
    """The request does not get through; ``status`` is what API Gateway answers."""

    status = 401
    message = "Unauthorized"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthorized(AuthorizerDenied):
    status = 401
    message = "Unauthorized"


class Forbidden(AuthorizerDenied):
    status = 403
    message = "Forbidden"


@dataclass(frozen=True)
class Authorization:
    """What reaches ``requestContext.authorizer.jwt``."""

    claims: dict[str, Any]
    scopes: list[str]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _decode_segment(segment: str) -> Any:
    # NaN/Infinity are not JSON; Python's json would accept them and make `exp: Infinity` valid forever.
    return json.loads(b64url_decode(segment), parse_constant=_reject_constant)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """``scope`` as a space-separated string (any other type grants nothing), plus an ``scp`` list."""
    scopes: list[str] = []
    scope = claims.get("scope")
    if isinstance(scope, str):
        scopes.extend(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, list):
        scopes.extend(item for item in scp if isinstance(item, str) and item)
    return list(dict.fromkeys(scopes))


class JwtAuthorizer:
    def __init__(
        self,
        secret: str | None = None,
        issuer: str = LOCAL_ISSUER,
        audience: str = LOCAL_AUDIENCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret if secret is not None else local_secret()
        self.issuer = issuer
        self.audience = audience
        self.clock = clock

    def authorize(self, header_values: Sequence[str], required_scopes: Sequence[str] = ()) -> Authorization:
        """Check the identity header values of one request; raises Unauthorized or Forbidden."""
        if not header_values:
            raise Unauthorized("no Authorization header")
        if len(header_values) > 1:
            raise Unauthorized("more than one Authorization header")
        claims = self.verify(self._bearer_token(header_values[0]))
        scopes = token_scopes(claims)
        if required_scopes and not set(required_scopes) & set(scopes):
            raise Forbidden("token lacks the route's scopes")
        return Authorization(claims=claims, scopes=scopes)

    @staticmethod
    def _bearer_token(value: str) -> str:
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or any(ch.isspace() for ch in token):
            raise Unauthorized("not a Bearer token")
        return token

    def verify(self, token: str) -> dict[str, Any]:
        """Signature (HS256 only) and registered claims; returns the claims as decoded JSON."""
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        try:
            header = _decode_segment(parts[0])
            claims = _decode_segment(parts[1])
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError) as error:
            raise Unauthorized(f"malformed token ({error.__class__.__name__})") from None
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            raise Unauthorized("unsupported alg")
        if "crit" in header:
            raise Unauthorized("unsupported critical header")
        expected = hs256_signature(f"{parts[0]}.{parts[1]}", self.secret)
        if not hmac.compare_digest(expected, signature):
            raise Unauthorized("bad signature")
        if not isinstance(claims, dict):
            raise Unauthorized("claims are not a JSON object")
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = self.clock()
        exp = claims.get("exp")
        if not _is_number(exp):
            raise Unauthorized("exp missing or not a number")
        if exp <= now:
            raise Unauthorized("expired")
        if "nbf" in claims:
            nbf = claims["nbf"]
            if not _is_number(nbf) or nbf > now:
                raise Unauthorized("nbf not a number or in the future")
        if claims.get("iss") != self.issuer:
            raise Unauthorized("wrong issuer")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self.audience not in [item for item in audiences if isinstance(item, str)]:
            raise Unauthorized("wrong audience")

"""The caller's identity from the JWT authorizer's claims.

In AWS (and in the local runner) API Gateway has verified the token and
passes its claims in requestContext.authorizer.jwt.claims. `sam local
start-api` runs no authorizer, so in that mode alone (AWS_SAM_LOCAL=true) the
function verifies the bearer token itself with the local secret.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from clientele.config import Settings, get_settings
from clientele.domain.kernel.errors import Forbidden, Unauthorized
from clientele.domain.kernel.principal import TENANT_WIDE_ROLES, Principal
from clientele.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

TENANT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ORGANIZATION_ID = re.compile(r"[^\x00-\x1f\x7f]{1,64}")


def verified_local_claims(headers: dict[str, str], settings: Settings) -> dict[str, Any]:
    """Verify `Authorization: Bearer <jwt>` as the HTTP API JWT authorizer would (sam local only)."""
    import warnings

    import jwt

    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or "," in token:
        raise Unauthorized()
    try:
        with warnings.catch_warnings():
            # The documented local default secret is shorter than PyJWT's recommended 32 bytes.
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            return jwt.decode(
                token.strip(),
                settings.local_jwt_secret,
                algorithms=["HS256"],
                audience=settings.local_jwt_audience,
                issuer=settings.local_jwt_issuer,
                options={"require": ["exp"]},
            )
    except jwt.PyJWTError as error:
        raise Unauthorized() from error


def claims(app: APIGatewayHttpResolver) -> dict[str, Any]:
    settings = get_settings()
    if settings.aws_sam_local:
        return verified_local_claims(dict(app.current_event.headers), settings)
    return app.current_event.request_context.authorizer.jwt_claim


def principal_from_claims(token_claims: dict[str, Any], settings: Settings) -> Principal:
    tenant = token_claims.get(settings.tenant_claim)
    if not isinstance(tenant, str) or not TENANT_ID.fullmatch(tenant):
        raise Forbidden("the token has no valid tenant_id claim")
    role = token_claims.get(settings.role_claim)
    role = role if isinstance(role, str) else None
    subject = token_claims.get("sub")
    organization = None
    if role not in TENANT_WIDE_ROLES:
        organization = token_claims.get(settings.organization_claim)
        if not isinstance(organization, str) or not ORGANIZATION_ID.fullmatch(organization):
            raise Forbidden("an organization-scoped role needs an organization_id claim")
    return Principal(
        tenant_id=tenant,
        subject=subject if isinstance(subject, str) else None,
        role=role,
        organization_id=organization,
    )


def principal(app: APIGatewayHttpResolver) -> Principal:
    caller = principal_from_claims(claims(app), get_settings())
    logger.append_keys(tenant_id=caller.tenant_id)
    return caller


def scopes(app: APIGatewayHttpResolver) -> frozenset[str]:
    """The token's OAuth scopes (a space-separated `scope` claim; API Gateway may pass lists as "[a b]")."""
    value = claims(app).get("scope")
    if isinstance(value, list):
        return frozenset(str(scope) for scope in value)
    if not isinstance(value, str):
        return frozenset()
    return frozenset(value.strip("[]").split())


def require_scope_for(app: APIGatewayHttpResolver, scope: str, what: str) -> None:
    """A route whose gateway scope covers most calls, with a stricter scope for some bodies."""
    if scope not in scopes(app):
        raise Forbidden(f"{what} needs the {scope} scope")

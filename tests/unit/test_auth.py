"""The caller from the token's claims (API.md §1 Authentication and authorization, §12 Tokens)."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from clientele.config import Settings, get_settings
from clientele.domain.kernel.errors import Forbidden, Unauthorized
from clientele.http.auth import claims, principal_from_claims, verified_local_claims

SETTINGS = Settings(table_name="clientele-test")

# --- principal_from_claims ----------------------------------------------------------------


def principal(**token_claims: Any):
    return principal_from_claims(token_claims, SETTINGS)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_tenant_wide_role_is_not_limited_to_an_organization(role):
    caller = principal(sub="user-1", tenant_id="acme", role=role)
    assert (caller.tenant_id, caller.subject, caller.role, caller.organization_id) == ("acme", "user-1", role, None)
    assert not caller.organization_scoped
    assert caller.can_see("org-1")
    assert caller.can_see(None)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_tenant_wide_role_ignores_an_organization_id_claim(role):
    caller = principal(tenant_id="acme", role=role, organization_id="org-1")
    assert caller.organization_id is None
    assert caller.can_see("org-2")


@pytest.mark.parametrize(
    "role_claims",
    [
        {"role": "courier"},
        {"role": "Admin"},  # roles are exact
        {"role": "ADMIN"},
        {"role": ""},
        {},  # missing role
        {"role": None},
        {"role": ["admin"]},  # non-string role
        {"role": {"name": "admin"}},
        {"role": 1},
    ],
)
def test_other_missing_or_non_string_role_is_organization_scoped(role_claims):
    caller = principal(tenant_id="acme", organization_id="org-1", **role_claims)
    assert caller.organization_id == "org-1"
    assert caller.organization_scoped
    assert caller.can_see("org-1")
    assert not caller.can_see("org-2")
    assert not caller.can_see(None)


@pytest.mark.parametrize(
    "role_claims", [{"role": "courier"}, {}, {"role": None}, {"role": ["admin"]}, {"role": "Admin"}]
)
@pytest.mark.parametrize("organization", ["missing", None, "", 7, ["org-1"], "o" * 65, "org\n1"])
def test_organization_scoped_role_without_a_valid_organization_id_is_forbidden(role_claims, organization):
    token_claims: dict[str, Any] = {"tenant_id": "acme", **role_claims}
    if organization != "missing":
        token_claims["organization_id"] = organization
    with pytest.raises(Forbidden):
        principal_from_claims(token_claims, SETTINGS)


def test_organization_id_of_64_chars_is_accepted():
    assert principal(tenant_id="acme", role="courier", organization_id="o" * 64).organization_id == "o" * 64


@pytest.mark.parametrize("tenant", ["acme", "a", "A.b_c-9", "t" * 64, "0"])
def test_well_formed_tenant_id_is_accepted(tenant):
    assert principal(tenant_id=tenant, role="admin").tenant_id == tenant


@pytest.mark.parametrize(
    "tenant",
    ["missing", None, "", 1, ["acme"], {"id": "acme"}, True, "t 1", "t" * 65, "a#b", "a/b", "acme\n", "ä", "a:b", "*"],
)
def test_missing_non_string_or_badly_formed_tenant_id_is_forbidden(tenant):
    token_claims: dict[str, Any] = {"role": "admin", "sub": "u"}
    if tenant != "missing":
        token_claims["tenant_id"] = tenant
    with pytest.raises(Forbidden) as caught:
        principal_from_claims(token_claims, SETTINGS)
    assert caught.value.status == 403


def test_non_string_subject_is_not_used():
    assert principal(tenant_id="acme", role="admin", sub=42).subject is None


def test_claim_names_come_from_the_settings():
    settings = Settings(table_name="t", tenant_claim="custom:tenant", role_claim="custom:role")
    caller = principal_from_claims({"custom:tenant": "acme", "custom:role": "admin", "tenant_id": "other"}, settings)
    assert (caller.tenant_id, caller.organization_id) == ("acme", None)


# --- verified_local_claims (sam local only) ------------------------------------------------------

LOCAL = Settings(table_name="clientele-test", aws_sam_local=True, local_jwt_secret="s" * 48)


def token(settings: Settings = LOCAL, *, key: str | None = None, algorithm: str = "HS256", **overrides: Any) -> str:
    now = int(time.time())
    payload = {
        "sub": "user-1",
        "tenant_id": "acme",
        "role": "admin",
        "scope": "customer:read",
        "iss": settings.local_jwt_issuer,
        "aud": settings.local_jwt_audience,
        "iat": now,
        "exp": now + 300,
    }
    payload.update(overrides)
    payload = {name: value for name, value in payload.items() if value is not ...}
    return jwt.encode(payload, key or settings.local_jwt_secret, algorithm=algorithm)


def verify(authorization: str | None, settings: Settings = LOCAL) -> dict[str, Any]:
    headers = {} if authorization is None else {"authorization": authorization}
    return verified_local_claims(headers, settings)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_valid_token_gives_its_claims_with_any_case_of_the_scheme(scheme):
    found = verify(f"{scheme} {token()}")
    assert (found["sub"], found["tenant_id"], found["role"], found["scope"]) == (
        "user-1",
        "acme",
        "admin",
        "customer:read",
    )


def test_audience_may_be_a_list_holding_the_audience():
    assert verify(f"Bearer {token(aud=['other', LOCAL.local_jwt_audience])}")["tenant_id"] == "acme"


def test_not_before_in_the_past_is_fine():
    assert verify(f"Bearer {token(nbf=int(time.time()) - 60)}")["tenant_id"] == "acme"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_default_local_settings_verify_a_token_minted_with_them():
    defaults = Settings(table_name="clientele-test", aws_sam_local=True)
    assert verify(f"Bearer {token(defaults)}", defaults)["sub"] == "user-1"


def _alg_none_token() -> str:
    now = int(time.time())
    header = _b64({"alg": "none", "typ": "JWT"})
    body = _b64({"tenant_id": "acme", "iss": LOCAL.local_jwt_issuer, "aud": LOCAL.local_jwt_audience, "exp": now + 300})
    return f"{header}.{body}."


BAD_AUTHORIZATIONS = {
    "alg none": lambda: f"Bearer {_alg_none_token()}",
    "other HMAC algorithm": lambda: f"Bearer {token(algorithm='HS384')}",
    "wrong key": lambda: f"Bearer {token(key='k' * 48)}",
    "expired": lambda: f"Bearer {token(exp=int(time.time()) - 1)}",
    "no exp": lambda: f"Bearer {token(exp=...)}",
    "exp not a number": lambda: f"Bearer {token(exp='tomorrow')}",
    "not yet valid": lambda: f"Bearer {token(nbf=int(time.time()) + 3600)}",
    "wrong aud": lambda: f"Bearer {token(aud='someone-else')}",
    "aud list without ours": lambda: f"Bearer {token(aud=['a', 'b'])}",
    "no aud": lambda: f"Bearer {token(aud=...)}",
    "wrong iss": lambda: f"Bearer {token(iss='https://evil.example')}",
    "no iss": lambda: f"Bearer {token(iss=...)}",
    "wrong scheme": lambda: f"Basic {token()}",
    "token scheme": lambda: f"Token {token()}",
    "no scheme": token,
    "scheme only": lambda: "Bearer",
    "scheme and space": lambda: "Bearer   ",
    "two tokens": lambda: f"Bearer {token()}, Bearer {token()}",
    "garbage": lambda: "Bearer not.a.jwt",
    "tampered payload": lambda: (
        "Bearer "
        + ".".join([token().split(".")[0], _b64({"tenant_id": "other", "exp": 9999999999}), token().split(".")[2]])
    ),
    "empty header": lambda: "",
    "missing header": lambda: None,
}


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATIONS.values(), ids=BAD_AUTHORIZATIONS.keys())
def test_bad_token_is_unauthorized(authorization):
    with pytest.raises(Unauthorized) as caught:
        verify(authorization())
    assert caught.value.status == 401


# --- which claims source is used ------------------------------------------------------------


def _app(headers: dict[str, str], authorizer_claims: dict[str, Any]) -> Any:
    context = SimpleNamespace(authorizer=SimpleNamespace(jwt_claim=authorizer_claims))
    return SimpleNamespace(current_event=SimpleNamespace(headers=headers, request_context=context))


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "clientele-test")
    monkeypatch.setenv("LOCAL_JWT_SECRET", "s" * 48)
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_in_aws_the_authorizer_claims_are_used_and_the_header_is_ignored(env):
    app = _app({"authorization": f"Bearer {token(tenant_id='from-header')}"}, {"tenant_id": "from-authorizer"})
    assert claims(app) == {"tenant_id": "from-authorizer"}


def test_under_sam_local_the_bearer_token_is_verified(env):
    env.setenv("AWS_SAM_LOCAL", "true")
    get_settings.cache_clear()
    app = _app({"authorization": f"Bearer {token(tenant_id='from-header')}"}, {"tenant_id": "from-authorizer"})
    assert claims(app)["tenant_id"] == "from-header"
    with pytest.raises(Unauthorized):
        claims(_app({}, {"tenant_id": "from-authorizer"}))

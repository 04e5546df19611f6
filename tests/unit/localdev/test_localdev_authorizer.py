"""The local JWT authorizer (API.md §1 and the token rules of §12)."""

import base64
import json
import time

import pytest

from localdev.authorizer import Forbidden, JwtAuthorizer, Unauthorized, token_scopes
from localdev.tokens import (
    ALL_SCOPES,
    DEFAULT_SECRET,
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    b64url_encode,
    encode,
    hs256_signature,
    local_secret,
    mint,
)

SECRET = "unit-test-secret"
NOW = 1_800_000_000


def authorizer() -> JwtAuthorizer:
    return JwtAuthorizer(SECRET, clock=lambda: NOW)


def claims(**overrides) -> dict:
    base = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": "u1",
        "tenant_id": "t1",
        "role": "admin",
        "scope": "customer:read customer:create",
        "iat": NOW - 10,
        "exp": NOW + 600,
    }
    for name, value in overrides.items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def bearer(token: str) -> list[str]:
    return [f"Bearer {token}"]


def deny_reason(header_values: list[str], scopes: tuple[str, ...] = ()) -> str:
    with pytest.raises(Unauthorized) as denied:
        authorizer().authorize(header_values, scopes)
    return denied.value.reason


def test_valid_token_passes_claims_and_scopes() -> None:
    result = authorizer().authorize(bearer(encode(claims(), SECRET)), ("customer:read",))
    assert result.claims == claims()
    assert result.scopes == ["customer:read", "customer:create"]


def test_claims_keep_their_json_types() -> None:
    token = encode(claims(n=1, flag=True, nested={"a": [1, 2]}), SECRET)
    result = authorizer().authorize(bearer(token))
    assert result.claims["n"] == 1
    assert result.claims["flag"] is True
    assert result.claims["nested"] == {"a": [1, 2]}


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_scheme_is_case_insensitive(scheme: str) -> None:
    authorizer().authorize([f"{scheme} {encode(claims(), SECRET)}"])


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic abc", "Token x.y.z", "x.y.z", "Bearer a.b.c extra"],
)
def test_not_a_bearer_token(header: str) -> None:
    deny_reason([header])


def test_missing_header() -> None:
    assert deny_reason([]) == "no Authorization header"


def test_two_authorization_headers_are_refused_even_if_both_are_valid() -> None:
    token = encode(claims(), SECRET)
    assert deny_reason([f"Bearer {token}", f"Bearer {token}"]) == "more than one Authorization header"


def test_alg_none_is_refused() -> None:
    token = encode(claims(), header={"alg": "none", "typ": "JWT"})
    assert token.endswith(".")
    assert deny_reason(bearer(token)) in {"unsupported alg", "malformed token (ValueError)"}
    # Even with a valid HS256 signature attached, alg must be HS256.
    signed_as_none = encode(claims(), SECRET, header={"alg": "none"})
    assert deny_reason(bearer(signed_as_none)) == "unsupported alg"


@pytest.mark.parametrize("alg", ["HS384", "HS512", "RS256", "hs256", "ES256"])
def test_other_algorithms_are_refused(alg: str) -> None:
    assert deny_reason(bearer(encode(claims(), SECRET, header={"alg": alg}))) == "unsupported alg"


def test_wrong_key() -> None:
    assert deny_reason(bearer(encode(claims(), "another-secret"))) == "bad signature"


def test_tampered_payload() -> None:
    header, _, signature = encode(claims(), SECRET).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(role="superuser")).encode()).rstrip(b"=").decode()
    assert deny_reason(bearer(f"{header}.{forged}.{signature}")) == "bad signature"


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "!!!.@@@.###", "e30.e30", "bm90anNvbg.e30.c2ln"])
def test_malformed_tokens(token: str) -> None:
    deny_reason(bearer(token))


def test_expired() -> None:
    assert deny_reason(bearer(encode(claims(exp=NOW - 1), SECRET))) == "expired"
    assert deny_reason(bearer(encode(claims(exp=NOW), SECRET))) == "expired"


def test_missing_exp() -> None:
    assert deny_reason(bearer(encode(claims(exp=None), SECRET))) == "exp missing or not a number"


@pytest.mark.parametrize("exp", [str(NOW + 600), True, [NOW + 600], {"at": NOW + 600}])
def test_exp_must_be_a_number(exp: object) -> None:
    assert deny_reason(bearer(encode(claims(exp=exp), SECRET))) == "exp missing or not a number"


def test_exp_infinity_is_not_a_number() -> None:
    header, _, _ = encode(claims(), SECRET).split(".")
    payload = json.dumps(claims()).replace(f'"exp": {NOW + 600}', '"exp": Infinity')
    segment = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    signature = b64url_encode(hs256_signature(f"{header}.{segment}", SECRET))
    deny_reason(bearer(f"{header}.{segment}.{signature}"))


def test_float_exp_in_the_future_is_fine() -> None:
    authorizer().authorize(bearer(encode(claims(exp=NOW + 0.5), SECRET)))


def test_nbf() -> None:
    authorizer().authorize(bearer(encode(claims(nbf=NOW - 5), SECRET)))
    authorizer().authorize(bearer(encode(claims(nbf=NOW), SECRET)))
    assert deny_reason(bearer(encode(claims(nbf=NOW + 5), SECRET))) == "nbf not a number or in the future"
    assert deny_reason(bearer(encode(claims(nbf="0"), SECRET))) == "nbf not a number or in the future"


def test_wrong_issuer() -> None:
    assert deny_reason(bearer(encode(claims(iss="someone-else"), SECRET))) == "wrong issuer"
    assert deny_reason(bearer(encode(claims(iss=None), SECRET))) == "wrong issuer"


def test_audience_string_or_list() -> None:
    authorizer().authorize(bearer(encode(claims(aud=["other", LOCAL_AUDIENCE]), SECRET)))
    assert deny_reason(bearer(encode(claims(aud="other"), SECRET))) == "wrong audience"
    assert deny_reason(bearer(encode(claims(aud=["other"]), SECRET))) == "wrong audience"
    assert deny_reason(bearer(encode(claims(aud=None), SECRET))) == "wrong audience"
    assert deny_reason(bearer(encode(claims(aud=[[LOCAL_AUDIENCE]]), SECRET))) == "wrong audience"


def test_route_scopes_need_one_of_them() -> None:
    token = bearer(encode(claims(scope="customer:read"), SECRET))
    authorizer().authorize(token, ("customer:update", "customer:read"))
    with pytest.raises(Forbidden) as denied:
        authorizer().authorize(token, ("customer:delete",))
    assert (denied.value.status, denied.value.message) == (403, "Forbidden")


def test_missing_scope_claim_is_forbidden_not_unauthorized() -> None:
    with pytest.raises(Forbidden):
        authorizer().authorize(bearer(encode(claims(scope=None), SECRET)), ("customer:read",))


@pytest.mark.parametrize(
    "scope",
    [["customer:read"], {"customer:read": True}, 1, True, ["customer:read customer:x"]],
)
def test_non_string_scope_grants_nothing(scope: object) -> None:
    token = bearer(encode(claims(scope=scope), SECRET))
    assert authorizer().authorize(token).scopes == []
    with pytest.raises(Forbidden):
        authorizer().authorize(token, ("customer:read",))


def test_scp_list_is_honoured_like_aws() -> None:
    assert token_scopes({"scp": ["a", "b", 3]}) == ["a", "b"]
    assert token_scopes({"scope": "a  b", "scp": ["b", "c"]}) == ["a", "b", "c"]
    assert token_scopes({"scp": "a b"}) == []


def test_routes_without_scopes_accept_any_valid_token() -> None:
    authorizer().authorize(bearer(encode(claims(scope=None), SECRET)), ())


def test_unauthorized_answers() -> None:
    assert (Unauthorized.status, Unauthorized.message) == (401, "Unauthorized")


# ----------------------------------------------------------------------------- minting


def test_mint_is_accepted_by_the_authorizer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_JWT_SECRET", SECRET)
    token = mint("t9", "courier", "customer:read", organization_id="org-1", sub="s-1", ttl=60)
    result = JwtAuthorizer().authorize(bearer(token), ("customer:read",))
    assert result.claims["tenant_id"] == "t9"
    assert result.claims["role"] == "courier"
    assert result.claims["organization_id"] == "org-1"
    assert result.claims["sub"] == "s-1"
    assert result.claims["iss"] == LOCAL_ISSUER
    assert result.claims["aud"] == LOCAL_AUDIENCE
    assert 0 < result.claims["exp"] - time.time() <= 60


def test_mint_extra_claims_add_replace_and_remove() -> None:
    token = mint("t1", None, ["a", "b"], secret=SECRET, exp=None, custom="x", iss="other")
    with pytest.raises(Unauthorized, match="exp missing"):
        JwtAuthorizer(SECRET).verify(token)
    body = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert body["scope"] == "a b"
    assert body["custom"] == "x"
    assert body["iss"] == "other"
    assert "role" not in body and "exp" not in body


def test_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCAL_JWT_SECRET", raising=False)
    assert local_secret() == DEFAULT_SECRET == "clientele-local-secret"
    monkeypatch.setenv("LOCAL_JWT_SECRET", "s2")
    assert local_secret() == "s2"


def test_all_scopes() -> None:
    assert ALL_SCOPES.split() == [
        "customer:read",
        "customer:create",
        "customer:update",
        "customer:delete",
        "customer:import",
        "sku:read",
        "sku:write",
        "ledger:read",
        "ledger:write",
        "integration:read",
        "integration:write",
    ]

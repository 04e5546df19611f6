"""The local JWT authorizer in front of the functions (API.md §1, §12 token edge cases)."""

from __future__ import annotations

import base64
import http.client
import json
import time
from urllib.parse import urlsplit

import jwt
import pytest
import requests

SECRET = "clientele-local-secret"
GOOD = {
    "iss": "clientele-local",
    "aud": "clientele",
    "tenant_id": "t-auth",
    "role": "admin",
    "scope": "customer:read customer:create",
    "sub": "tester",
}


def _token(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _get(runner, authorization: str | None, path: str = "/v1/customers/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"):
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(f"{runner.url}{path}", headers=headers, timeout=30)


def _valid(**changes) -> dict:
    claims = {**GOOD, "exp": int(time.time()) + 600, **changes}
    return {name: value for name, value in claims.items() if value is not None}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        f"Bearer {_unsigned(_valid())}",
        f"Bearer {_token(_valid(), key='another-secret')}",
        f"Bearer {_token(_valid(exp=int(time.time()) - 10))}",
        f"Bearer {_token(_valid(exp=None))}",
        f"Bearer {_token(_valid(exp='4102444800'))}",
        f"Bearer {_token(_valid(nbf=int(time.time()) + 600))}",
        f"Bearer {_token(_valid(aud='someone-else'))}",
        f"Bearer {_token(_valid(aud=['a', 'b']))}",
        f"Bearer {_token(_valid(iss='https://evil.example'))}",
        f"Bearer {_token(_valid(), algorithm='HS512')}",
    ],
    ids=[
        "missing",
        "empty",
        "no token",
        "basic",
        "garbage",
        "alg none",
        "wrong key",
        "expired",
        "no exp",
        "string exp",
        "nbf in future",
        "wrong audience",
        "audience list without ours",
        "wrong issuer",
        "HS512",
    ],
)
def test_bad_tokens_are_401_unauthorized(runner, authorization):
    reply = _get(runner, authorization)

    assert reply.status_code == 401
    assert reply.json() == {"message": "Unauthorized"}


def test_a_good_token_passes_in_any_scheme_case_and_with_an_audience_list(runner):
    for authorization in (
        f"Bearer {_token(_valid())}",
        f"bearer {_token(_valid())}",
        f"BEARER {_token(_valid(aud=['other', 'clientele']))}",
    ):
        assert _get(runner, authorization).status_code == 404  # authorized; the customer just doesn't exist


def test_two_authorization_headers_are_401(runner):
    token = _token(_valid())
    address = urlsplit(runner.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("GET", "/v1/customers/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.endheaders()

    response = connection.getresponse()

    assert response.status == 401
    connection.close()


def test_a_token_in_the_query_string_is_never_read(runner):
    reply = requests.get(f"{runner.url}/v1/customers/cus_x", params={"access_token": _token(_valid())}, timeout=30)

    assert reply.status_code == 401


@pytest.mark.parametrize("scope", ["customer:create", "", "customer:readx", None])
def test_missing_route_scope_is_403_forbidden(runner, scope):
    reply = _get(runner, f"Bearer {_token(_valid(scope=scope))}")

    assert reply.status_code == 403
    assert reply.json() == {"message": "Forbidden"}


def test_a_non_string_scope_grants_nothing(runner):
    reply = _get(runner, f"Bearer {_token(_valid(scope=['customer:read']))}")

    assert reply.status_code == 403


def test_a_valid_token_without_tenant_is_403_problem(runner):
    reply = _get(runner, f"Bearer {_token(_valid(tenant_id=None))}")

    assert reply.status_code == 403
    assert reply.json()["type"] == "/problems/forbidden"


def test_no_answer_echoes_the_authorization_header(runner):
    token = _token(_valid())
    for path in ("/v1/customers/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", "/v1/nowhere", "/health"):
        reply = requests.get(f"{runner.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert token not in reply.text
        assert all(token not in value for value in reply.headers.values())

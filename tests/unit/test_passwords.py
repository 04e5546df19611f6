"""Passwords are stored only as salted slow hashes (API.md §2 `password`)."""

from __future__ import annotations

import base64

import pytest

from clientele.domain.customers.passwords import hash_password, verify_password

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def test_the_right_password_verifies(stored):
    assert verify_password(PASSWORD, stored) is True


@pytest.mark.parametrize(
    "attempt", ["", "correct horse battery stapl", "Correct horse battery staple", PASSWORD + " ", PASSWORD.upper()]
)
def test_a_wrong_password_does_not_verify(stored, attempt):
    assert verify_password(attempt, stored) is False


def test_two_hashes_of_one_password_differ_because_of_the_salt(stored):
    again = hash_password(PASSWORD)
    assert again != stored
    assert again.split("$")[4] != stored.split("$")[4]
    assert verify_password(PASSWORD, again)


def test_the_hash_never_contains_the_password(stored):
    assert PASSWORD not in stored
    for part in PASSWORD.split():
        assert part not in stored
    assert base64.b64encode(PASSWORD.encode()).decode() not in stored


def test_the_hash_uses_a_slow_kdf_with_a_16_byte_salt(stored):
    scheme, n, _r, _p, salt, digest = stored.split("$")
    assert scheme == "scrypt"
    assert int(n) >= 2**14
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32


def test_non_ascii_password_round_trips():
    secret = "pässwörd-😀-密码"
    stored = hash_password(secret)
    assert verify_password(secret, stored)
    assert not verify_password("passwort-😀-密码", stored)


def test_a_hash_of_another_scheme_never_verifies(stored):
    assert verify_password(PASSWORD, "bcrypt" + stored[len("scrypt") :]) is False

"""Idempotency-Key: 1-255 printable ASCII characters (API.md §7, §12)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientele.http.idempotency import IDEMPOTENCY_KEY


def accepted(key: str) -> bool:
    return IDEMPOTENCY_KEY.fullmatch(key) is not None


@pytest.mark.parametrize(
    "key",
    ["a", "k" * 255, "0b5c7f1e-3d2a-4f9e-8c1b-2a3d4e5f6a7b", "order 42 / retry #1", "~!@#$%^&*()_+{}|:<>?", " ", "a b"],
)
def test_printable_ascii_key_of_1_to_255_chars_is_accepted(key):
    assert accepted(key)


def test_every_printable_ascii_character_is_accepted():
    printable = "".join(chr(code) for code in range(0x20, 0x7F))
    assert accepted(printable)
    assert set(printable) >= set(string.ascii_letters + string.digits + string.punctuation + " ")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "k" * 256,
        "k" * 1000,
        "abc\x00",
        "a\tb",
        "a\nb",
        "abc\n",
        "\r",
        "abc\x7f",
        "clé",
        "key-😀",
        "\u00a0",
        "\uff4b\uff45\uff59",  # full-width "key"
    ],
)
def test_empty_too_long_control_or_non_ascii_key_is_rejected(key):
    assert not accepted(key)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=255))
def test_any_printable_ascii_key_up_to_255_is_accepted(key):
    assert accepted(key)


@given(st.text(min_size=1, max_size=40).filter(lambda key: any(not " " <= char <= "~" for char in key)))
def test_any_key_with_a_character_outside_printable_ascii_is_rejected(key):
    assert not accepted(key)

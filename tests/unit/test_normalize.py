"""Normalizations behind uniqueness and matching (API.md §2 Uniqueness)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientele.domain.customers.normalize import code_key, name_key, postal_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME,  Inc.", "acme inc"),
        ("Acme Inc", "acme inc"),
        ("  acme \t\n inc  ", "acme inc"),
        ("Acme\u00a0Inc", "acme inc"),
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("O'Brien & Sons", "obrien sons"),
        ("Dr. Who?!", "dr who"),
        ("«Acme» (Holdings)", "acme holdings"),
        ("Smith-Jones", "smithjones"),
        ("ÉCOLE", "école"),
        ("Ωmega", "ωmega"),
        ("", ""),
        ("...", ""),
    ],
)
def test_name_key_casefolds_drops_punctuation_and_collapses_whitespace(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("first", "second"),
    [("ACME,  Inc.", "acme inc"), ("Acme Inc.", "ACME INC"), ("Straße GmbH", "STRASSE GMBH"), ("A.B.C Ltd", "ABC ltd")],
)
def test_names_that_differ_only_in_case_spacing_or_punctuation_share_a_key(first, second):
    assert name_key(first) == name_key(second)


@pytest.mark.parametrize(("first", "second"), [("Acme Inc", "Acme Ltd"), ("Acme 1", "Acme 2"), ("Acme Inc", "AcmeInc")])
def test_different_names_have_different_keys(first, second):
    assert name_key(first) != name_key(second)


@given(st.text())
def test_name_key_has_no_surrounding_or_repeated_whitespace(name):
    key = name_key(name)
    assert key == key.strip()
    assert "  " not in key
    assert all(not char.isspace() or char == " " for char in key)


@pytest.mark.parametrize(
    ("postal_code", "key"),
    [
        ("sw1a 1aa", "SW1A1AA"),
        ("SW1A1AA", "SW1A1AA"),
        ("  90210 ", "90210"),
        ("k1a\t0b1", "K1A0B1"),
        ("12345-6789", "12345-6789"),
    ],
)
def test_postal_key_is_upper_case_without_whitespace(postal_code, key):
    assert postal_key(postal_code) == key


@pytest.mark.parametrize(("first", "second"), [("ABC", "abc"), ("Cust-1", "CUST-1"), ("Straße", "STRASSE")])
def test_code_key_is_case_insensitive(first, second):
    assert code_key(first) == code_key(second)


@pytest.mark.parametrize(("first", "second"), [("A1", "A2"), ("ABC", "ABC "), ("A-1", "A1")])
def test_code_key_keeps_different_codes_apart(first, second):
    assert code_key(first) != code_key(second)

"""Address model rules (API.md §4, §12) and when two addresses are the same place (dedup fingerprint)."""

from __future__ import annotations

from typing import Any

import pytest

from clientele.domain.customers.addresses import AddressFields, address_fingerprint
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.validation import validate

BASE = {"line1": "1 Main St", "country": "US"}


def valid(**fields: Any) -> AddressFields:
    return validate(AddressFields, {**BASE, **fields})


def errors(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate(AddressFields, data)
    return [(error.pointer, error.code) for error in caught.value.errors]


# --- model -------------------------------------------------------------------


def test_minimal_address_has_line1_and_country():
    address = validate(AddressFields, {"line1": "1 Main St", "country": "US"})
    assert (address.line1, address.country, address.city, address.postal_code) == ("1 Main St", "US", None, None)


def test_line1_and_country_are_required():
    assert sorted(errors({})) == [("/country", "required"), ("/line1", "required")]
    assert errors({"line1": "1 Main St"}) == [("/country", "required")]
    assert errors({"country": "US"}) == [("/line1", "required")]


@pytest.mark.parametrize("field", ["line1", "country"])
def test_line1_and_country_cannot_be_null(field):
    assert errors({**BASE, field: None}) == [(f"/{field}", "invalid_type")]


def test_line1_is_trimmed():
    assert valid(line1="  1 Main St  ").line1 == "1 Main St"


def test_blank_line1_is_rejected():
    assert errors({**BASE, "line1": "   "}) == [("/line1", "blank")]


def test_line1_longer_than_200_is_too_long():
    assert valid(line1="a" * 200).line1 == "a" * 200
    assert errors({**BASE, "line1": "a" * 201}) == [("/line1", "too_long")]


@pytest.mark.parametrize("country", ["US", "GB", "DE", "AU", "NZ", "JP"])
def test_upper_case_iso_alpha2_country_is_valid(country):
    assert valid(country=country).country == country


@pytest.mark.parametrize("country", ["us", "Us", "uS", "XX", "ZZ", "USA", "U", "", " US", "US ", "840", "ÜS"])
def test_other_country_is_rejected(country):
    assert errors({**BASE, "country": country}) == [("/country", "invalid_country")]


def test_country_must_be_a_string():
    assert errors({**BASE, "country": 840}) == [("/country", "invalid_type")]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("90210", "90210"),
        ("90210-1234", "90210-1234"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a 1aa", "sw1a 1aa"),
        ("K1A 0B1", "K1A 0B1"),
        ("  2000  ", "2000"),
        ("A" * 20, "A" * 20),
    ],
)
def test_valid_postal_code_is_kept_trimmed(sent, stored):
    assert valid(postal_code=sent).postal_code == stored


@pytest.mark.parametrize("postal_code", ["-1234", " -1234", "12#45", "12_45", "123/45", "ü1234", "12.345", "(123)"])
def test_postal_code_with_a_bad_format_is_rejected(postal_code):
    assert errors({**BASE, "postal_code": postal_code}) == [("/postal_code", "invalid_format")]


def test_postal_code_longer_than_20_is_too_long():
    assert errors({**BASE, "postal_code": "1" * 21}) == [("/postal_code", "too_long")]


def test_blank_postal_code_is_rejected():
    assert errors({**BASE, "postal_code": "  "}) == [("/postal_code", "blank")]


def test_address_contacts_follow_the_customer_rules():
    assert sorted(errors({**BASE, "email": "nope", "phone": "call me", "mobile": "12", "fax": "++"})) == [
        ("/email", "invalid_email"),
        ("/fax", "invalid_phone"),
        ("/mobile", "invalid_phone"),
        ("/phone", "invalid_phone"),
    ]


def test_address_email_domain_is_lower_cased():
    assert valid(email="Ship.To@Example.COM").email == "Ship.To@example.com"


@pytest.mark.parametrize("field", ["line1", "line2", "city", "state", "label", "company_name"])
def test_control_character_in_an_address_field_is_rejected(field):
    assert errors({**BASE, field: "a\nb"}) == [(f"/{field}", "control_character")]


@pytest.mark.parametrize("field", ["id", "customer_id", "street", "zip"])
def test_unknown_address_field_is_rejected(field):
    assert errors({**BASE, field: "x"}) == [(f"/{field}", "unknown_field")]


# --- fingerprint (deduplication) ------------------------------------------------------

PLACE = {
    "line1": "123 Main Street",
    "line2": "Suite 5",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}


def fingerprint(**changes: Any) -> tuple[str, ...]:
    return address_fingerprint({**PLACE, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"line1": "123 MAIN STREET", "city": "SPRINGFIELD", "state": "il"}, id="case"),
        pytest.param({"line1": "  123   Main\tStreet  ", "city": " Springfield "}, id="spacing"),
        pytest.param({"line1": "123 Main Street.", "line2": "Suite #5", "city": "Springfield,"}, id="punctuation"),
        pytest.param({"line1": "123 Main St"}, id="street-st"),
        pytest.param({"line1": "123 Main St."}, id="st-dot"),
        pytest.param({"line2": "Ste 5"}, id="suite-ste"),
        pytest.param({"line2": "STE. 5"}, id="ste-dot-upper"),
        pytest.param({"postal_code": " 627 01 "}, id="postal-spacing"),
        pytest.param(
            {"label": "Home", "first_name": "Ada", "phone": "555 0100", "email": "a@example.com"}, id="contacts"
        ),
    ],
)
def test_same_place_written_differently_has_the_same_fingerprint(changes):
    assert fingerprint(**changes) == fingerprint()


@pytest.mark.parametrize(
    ("long", "short"),
    [
        ("1 Park Avenue", "1 Park Ave"),
        ("1 Mill Road", "1 Mill Rd."),
        ("1 Main Street", "1 Main St"),
        ("Suite 200, 1 Main Street", "Ste 200 1 Main St"),
    ],
)
def test_common_abbreviations_are_equal(long, short):
    assert address_fingerprint({"line1": long, "country": "US"}) == address_fingerprint(
        {"line1": short, "country": "US"}
    )


def test_postal_code_case_and_spacing_are_ignored():
    assert address_fingerprint({"line1": "10 Downing St", "postal_code": "sw1a 2aa", "country": "GB"}) == (
        address_fingerprint({"line1": "10 Downing St", "postal_code": "SW1A2AA", "country": "GB"})
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"line1": "124 Main Street"}, id="number"),
        pytest.param({"line1": "123 Elm Street"}, id="street-name"),
        pytest.param({"line1": "123 Main Avenue"}, id="street-kind"),
        pytest.param({"line2": "Suite 6"}, id="line2"),
        pytest.param({"line2": None}, id="no-line2"),
        pytest.param({"city": "Shelbyville"}, id="city"),
        pytest.param({"state": "IN"}, id="state"),
        pytest.param({"postal_code": "62702"}, id="postal"),
        pytest.param({"country": "CA"}, id="country"),
    ],
)
def test_different_place_has_a_different_fingerprint(changes):
    assert fingerprint(**changes) != fingerprint()


def test_missing_and_null_optional_parts_are_the_same():
    assert address_fingerprint({"line1": "1 Main St", "country": "US"}) == address_fingerprint(
        {"line1": "1 Main St", "line2": None, "city": None, "state": None, "postal_code": None, "country": "US"}
    )


def test_unit_slash_number_differs_from_the_joined_number():
    assert address_fingerprint({"line1": "5/123 Main St", "country": "AU"}) != address_fingerprint(
        {"line1": "5123 Main St", "country": "AU"}
    )


def test_punctuation_between_words_without_a_space_is_ignored():
    assert address_fingerprint({"line1": "123 Main St.,Suite 5", "country": "US"}) == address_fingerprint(
        {"line1": "123 Main Street, Suite 5", "country": "US"}
    )

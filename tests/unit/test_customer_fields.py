"""Customer field rules (API.md §2, §12) through clientele.domain.kernel.validation.validate and the customer models."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from clientele.domain.customers.fields import CustomerCreation, CustomerFields
from clientele.domain.customers.service import _derive_name
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.validation import validate

BASE = {"name": "Acme"}


def valid(model: type = CustomerFields, **fields: Any) -> Any:
    return validate(model, {**BASE, **fields})


def errors(model: type = CustomerFields, **fields: Any) -> list[tuple[str | None, str]]:
    """The (pointer, code) pairs the body breaks; fails the test if it is valid."""
    with pytest.raises(ValidationFailed) as caught:
        validate(model, {**BASE, **fields})
    return [(error.pointer, error.code) for error in caught.value.errors]


def test_minimal_customer_gets_the_documented_defaults():
    customer = validate(CustomerFields, {"name": "Acme"})
    assert customer.type == "customer"
    assert customer.status == "active"
    assert customer.newsletter_subscribed is False
    assert customer.allow_credit_limit is False
    assert customer.hide_price is False
    assert customer.store_credit == "0.00"
    assert customer.credit_limit == "0.00"
    assert customer.emails == []
    assert customer.phones == []
    assert customer.metadata == {}


# --- lengths -----------------------------------------------------------------

# (field, max length, trimmed)
LENGTH_RULES = [
    ("code", 32, True),
    ("external_id", 100, True),
    ("name", 200, True),
    ("first_name", 100, False),
    ("last_name", 100, False),
    ("company_name", 200, False),
    ("organization_id", 64, False),
    ("branch", 100, False),
    ("tax_id", 32, False),
    ("tax_branch", 32, False),
    ("gender", 32, False),
    ("shipping_profile_id", 64, False),
    ("pricing_tier", 64, False),
    ("default_store", 64, False),
    ("default_warehouse", 64, False),
    ("default_tax_code", 64, False),
]


@pytest.mark.parametrize(("field", "limit", "trimmed"), LENGTH_RULES)
def test_string_at_its_maximum_length_is_kept(field, limit, trimmed):
    assert getattr(valid(**{field: "A" * limit}), field) == "A" * limit


@pytest.mark.parametrize(("field", "limit", "trimmed"), LENGTH_RULES)
def test_string_over_its_maximum_length_is_too_long(field, limit, trimmed):
    assert errors(**{field: "A" * (limit + 1)}) == [(f"/{field}", "too_long")]


@pytest.mark.parametrize(("field", "limit"), [(f, n) for f, n, trimmed in LENGTH_RULES if trimmed])
def test_trimmed_field_is_stripped_before_its_length_is_checked(field, limit):
    assert getattr(valid(**{field: "  " + "B" * limit + "\u00a0 "}), field) == "B" * limit


@pytest.mark.parametrize("field", ["code", "external_id", "name"])
@pytest.mark.parametrize("value", ["", " ", "   ", "\u3000"])
def test_trimmed_field_that_is_empty_after_trimming_is_blank(field, value):
    assert errors(**{field: value}) == [(f"/{field}", "blank")]


@pytest.mark.parametrize("field", ["first_name", "last_name", "company_name", "branch"])
def test_untrimmed_field_keeps_surrounding_spaces(field):
    assert getattr(valid(**{field: "  Bob  "}), field) == "  Bob  "


def test_untrimmed_field_counts_its_surrounding_spaces():
    assert errors(first_name=" " + "A" * 100) == [("/first_name", "too_long")]


def test_name_is_required():
    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerFields, {})
    assert [(e.pointer, e.code) for e in caught.value.errors] == [("/name", "required")]


def test_name_null_is_rejected():
    assert errors(name=None) == [("/name", "invalid_type")]


def test_name_is_trimmed():
    assert valid(name="  Acme Inc  ").name == "Acme Inc"


# --- lengths count code points, no Unicode normalization --------------------------


def test_name_of_200_emoji_is_valid():
    assert valid(name="😀" * 200).name == "😀" * 200


def test_name_of_201_emoji_is_too_long():
    assert errors(name="😀" * 201) == [("/name", "too_long")]


def test_length_counts_code_points_not_graphemes():
    decomposed_e = "e\u0301"  # 1 grapheme, 2 code points
    assert valid(name=decomposed_e * 100).name == decomposed_e * 100
    assert errors(name=decomposed_e * 101) == [("/name", "too_long")]


def test_decomposed_string_is_stored_as_sent():
    decomposed = "Cafe\u0301"
    stored = valid(name=decomposed, first_name=decomposed, metadata={"k": decomposed}, code="Cafe\u0301")
    assert stored.name == decomposed
    assert stored.name != unicodedata.normalize("NFC", decomposed)
    assert stored.first_name == decomposed
    assert stored.metadata == {"k": decomposed}
    assert stored.code == decomposed


def test_composed_string_is_stored_as_sent():
    composed = "Caf\u00e9"
    assert valid(name=composed).name == composed


# --- code ----------------------------------------------------------------------

PLACEHOLDER_CODES = [
    "N/A",
    "n/a",
    "NA",
    "na",
    "Na",
    "none",
    "NONE",
    "None",
    "null",
    "NULL",
    "Null",
    "TBD",
    "tbd",
    "TBA",
    "tba",
    "unknown",
    "UNKNOWN",
    "Unknown",
    "placeholder",
    "PLACEHOLDER",
    "PlaceHolder",
    "0",
    "00",
    "0000000",
    "-",
    "---",
    "x",
    "X",
    "xxx",
    "XXXX",
    "xXxX",
    "?",
    "???",
    "  N/A  ",
    " 000 ",
    "0" * 32,
]


@pytest.mark.parametrize("code", PLACEHOLDER_CODES)
def test_placeholder_code_is_rejected(code):
    assert errors(code=code) == [("/code", "placeholder_code")]


@pytest.mark.parametrize(
    "code", ["X1", "0A", "NAB", "N/A1", "NA-2", "none1", "TBD2", "00-1", "?A", "x0", "-1", "A", "1"]
)
def test_code_that_only_resembles_a_placeholder_is_valid(code):
    assert valid(code=code).code == code


def test_code_is_trimmed():
    assert valid(code="  CUST042  ").code == "CUST042"


def test_code_may_be_null():
    assert valid(code=None).code is None


# --- external_id ---------------------------------------------------------------


def test_external_id_is_trimmed():
    assert valid(external_id="  ext-1 ").external_id == "ext-1"


# --- emails --------------------------------------------------------------------


def test_valid_emails_are_kept_in_order():
    emails = ["first@example.com", "second@example.org"]
    assert valid(emails=emails).emails == emails


def test_email_domain_is_lower_cased_but_local_part_is_kept():
    assert valid(emails=["John.Doe@Example.COM"]).emails == ["John.Doe@example.com"]


def test_ten_emails_are_allowed():
    emails = [f"user{i}@example.com" for i in range(10)]
    assert valid(emails=emails).emails == emails


def test_eleven_emails_are_too_many():
    assert errors(emails=[f"user{i}@example.com" for i in range(11)]) == [("/emails", "too_many_items")]


@pytest.mark.parametrize(
    "bad",
    [
        "not-an-email",
        "no-at-sign.example.com",
        "@example.com",
        "two@@example.com",
        "space in@example.com",
        "John <john@example.com>",
        "john@example",
        "john@-example.com",
        "a..b@example.com",
    ],
)
def test_invalid_email_is_reported_at_its_index(bad):
    assert errors(emails=["good@example.com", bad]) == [("/emails/1", "invalid_email")]


def test_each_invalid_email_is_reported():
    assert errors(emails=["bad-one", "ok@example.com", "bad-two"]) == [
        ("/emails/0", "invalid_email"),
        ("/emails/2", "invalid_email"),
    ]


@pytest.mark.parametrize(
    "emails",
    [
        ["a@example.com", "a@example.com"],
        ["a@example.com", "A@EXAMPLE.COM"],
        ["John@Example.com", "john@example.com"],
        ["x@example.com", "b@example.com", "X@Example.com"],
    ],
)
def test_duplicate_emails_are_rejected_case_insensitively(emails):
    assert errors(emails=emails) == [("/emails", "duplicate_email")]


def test_emails_must_be_a_list_of_strings():
    assert errors(emails="a@example.com") == [("/emails", "invalid_type")]
    assert errors(emails=[42]) == [("/emails/0", "invalid_type")]


# --- phones --------------------------------------------------------------------

VALID_PHONES = ["+1 (555) 123-4567", "555.123.4567 x89", "123", "1" * 32, "+49 30 1234567", "(02) 9999-9999"]
INVALID_PHONES = [
    "12",  # too short
    "1" * 33,  # too long
    "555-CALL-NOW",  # letters
    "555 123 4567 ext 9",  # letters
    "555 123 4567 X89",  # only lower-case x is allowed
    "+--",  # no digit
    "(   )",  # no digit
    "xxx",  # no digit
    "555#1234",
    "555/1234",
    "\uff11\uff12\uff13",  # full-width digits
    "",
]


@pytest.mark.parametrize("phone", VALID_PHONES)
def test_valid_phone_is_kept(phone):
    customer = valid(phones=[phone], mobile=phone, fax=phone)
    assert (customer.phones, customer.mobile, customer.fax) == ([phone], phone, phone)


@pytest.mark.parametrize("phone", INVALID_PHONES)
def test_invalid_phone_in_list_is_reported_at_its_index(phone):
    assert errors(phones=["555 0100", phone]) == [("/phones/1", "invalid_phone")]


@pytest.mark.parametrize("field", ["mobile", "fax"])
@pytest.mark.parametrize("phone", INVALID_PHONES)
def test_mobile_and_fax_follow_the_phone_rule(field, phone):
    assert errors(**{field: phone}) == [(f"/{field}", "invalid_phone")]


def test_ten_phones_are_allowed_eleven_are_too_many():
    assert len(valid(phones=["555 0100"] * 10).phones) == 10
    assert errors(phones=["555 0100"] * 11) == [("/phones", "too_many_items")]


def test_phone_must_be_a_string():
    assert errors(phones=[5550100]) == [("/phones/0", "invalid_type")]
    assert errors(mobile=5550100) == [("/mobile", "invalid_type")]


# --- money -------------------------------------------------------------------

MONEY_FIELDS = ["store_credit", "credit_limit"]


@pytest.mark.parametrize("field", MONEY_FIELDS)
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("100", "100.00"),
        ("100.5", "100.50"),
        ("100.50", "100.50"),
        ("0", "0.00"),
        ("0.1", "0.10"),
        ("0.01", "0.01"),
        ("9" * 13, "9" * 13 + ".00"),
        ("9" * 13 + ".99", "9" * 13 + ".99"),
    ],
)
def test_money_is_answered_with_two_decimals(field, sent, stored):
    assert getattr(valid(**{field: sent}), field) == stored


@pytest.mark.parametrize("field", MONEY_FIELDS)
@pytest.mark.parametrize(
    "sent",
    [
        100,  # JSON number
        100.5,  # JSON number
        0,
        True,
        None,
        "100.505",  # three decimals
        "0.001",
        "-1",  # negative
        "-0.01",
        "1" * 14,  # 14 integer digits
        "1" * 14 + ".00",
        "+5",
        "1e3",
        "1E3",
        " 100",
        "100 ",
        "100.",
        ".5",
        "1,000.00",
        "",
        "NaN",
        "Infinity",
        "12.50 USD",
    ],
)
def test_invalid_money_is_rejected(field, sent):
    assert errors(**{field: sent}) == [(f"/{field}", "invalid_money")]


@pytest.mark.parametrize("sent", ["\u0661\u0660\u0660", "\uff11\uff10\uff10", "\u0967\u0966"])
def test_money_with_non_ascii_digits_is_rejected(sent):
    assert errors(store_credit=sent) == [("/store_credit", "invalid_money")]


# --- timezone --------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"])
def test_iana_time_zone_is_valid(zone):
    assert valid(timezone=zone).timezone == zone


@pytest.mark.parametrize("zone", ["Mars/Base", "europe/berlin", "Berlin", "+01:00", "CEST", ""])
def test_unknown_time_zone_is_rejected(zone):
    assert errors(timezone=zone) == [("/timezone", "invalid_timezone")]


def test_time_zone_must_be_a_string():
    assert errors(timezone=1) == [("/timezone", "invalid_type")]


# --- metadata ------------------------------------------------------------------


def test_metadata_with_fifty_keys_is_valid():
    metadata = {f"key{i}": "v" for i in range(50)}
    assert valid(metadata=metadata).metadata == metadata


def test_metadata_with_fifty_one_keys_is_too_many():
    assert errors(metadata={f"key{i}": "v" for i in range(51)}) == [("/metadata", "too_many_items")]


def test_metadata_key_of_forty_chars_is_valid_forty_one_is_too_long():
    assert valid(metadata={"k" * 40: "v"}).metadata == {"k" * 40: "v"}
    assert errors(metadata={"k" * 41: "v"}) == [("/metadata/" + "k" * 41, "too_long")]


def test_metadata_value_of_500_chars_is_valid_501_is_too_long():
    assert valid(metadata={"note": "v" * 500}).metadata == {"note": "v" * 500}
    assert errors(metadata={"note": "v" * 501}) == [("/metadata/note", "too_long")]


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["a"], {"a": "b"}])
def test_metadata_value_must_be_a_string(value):
    assert errors(metadata={"note": value}) == [("/metadata/note", "invalid_type")]


def test_metadata_must_be_an_object():
    assert errors(metadata=["a"]) == [("/metadata", "invalid_type")]


def test_metadata_errors_point_at_each_key():
    assert sorted(errors(metadata={"a": "v" * 501, "ok": "fine", "b": 7})) == [
        ("/metadata/a", "too_long"),
        ("/metadata/b", "invalid_type"),
    ]


# --- default_shipping_methods -------------------------------------------------------


def test_twenty_default_shipping_methods_are_allowed():
    methods = [f"m{i}" for i in range(20)]
    assert valid(default_shipping_methods=methods).default_shipping_methods == methods


def test_twenty_one_default_shipping_methods_are_too_many():
    methods = [f"m{i}" for i in range(21)]
    assert errors(default_shipping_methods=methods) == [("/default_shipping_methods", "too_many_items")]


def test_default_shipping_method_longer_than_64_is_too_long():
    assert errors(default_shipping_methods=["ok", "m" * 65]) == [("/default_shipping_methods/1", "too_long")]


# --- enums ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"), [("type", "customer"), ("type", "broker_3pl"), ("status", "active"), ("status", "inactive")]
)
def test_enum_accepts_its_values(field, value):
    assert getattr(valid(**{field: value}), field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "vendor"),
        ("type", "Customer"),
        ("type", "BROKER_3PL"),
        ("type", ""),
        ("type", 1),
        ("status", "deleted"),
        ("status", "Active"),
        ("status", "archived"),
        ("status", True),
    ],
)
def test_enum_rejects_any_other_value(field, value):
    assert errors(**{field: value}) == [(f"/{field}", "invalid_choice")]


# --- booleans and strict types -------------------------------------------------------

BOOLEAN_FIELDS = ["newsletter_subscribed", "allow_credit_limit", "hide_price", "password_expired"]


@pytest.mark.parametrize("field", BOOLEAN_FIELDS)
def test_boolean_field_accepts_json_booleans(field):
    assert getattr(valid(**{field: True}), field) is True
    assert getattr(valid(**{field: False}), field) is False


@pytest.mark.parametrize("field", BOOLEAN_FIELDS)
@pytest.mark.parametrize("value", ["true", "false", 1, 0, "yes", None, []])
def test_boolean_field_is_strict(field, value):
    assert errors(**{field: value}) == [(f"/{field}", "invalid_type")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 123),
        ("name", 1.5),
        ("name", True),
        ("name", ["Acme"]),
        ("name", {"first": "A"}),
        ("code", 42),
        ("external_id", 42),
        ("first_name", False),
        ("company_name", 1),
        ("organization_id", 7),
    ],
)
def test_string_field_is_strict(field, value):
    assert errors(**{field: value}) == [(f"/{field}", "invalid_type")]


# --- control characters ------------------------------------------------------------

CONTROL_CHARACTERS = ["\x00", "\x01", "\t", "\n", "\r", "\x0b", "\x1b", "\x1f", "\x7f"]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
@pytest.mark.parametrize(
    ("field", "template"),
    [
        ("name", "Acme{}Inc"),
        ("name", "Acme{}"),  # trailing: not silently trimmed away
        ("name", "{}Acme"),
        ("code", "C{}1"),
        ("external_id", "E{}1"),
        ("first_name", "Ad{}a"),
        ("company_name", "Acme{}"),
        ("tax_id", "1{}2"),
    ],
)
def test_control_character_in_a_string_is_rejected(char, field, template):
    assert errors(**{field: template.format(char)}) == [(f"/{field}", "control_character")]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_character_in_a_metadata_value_is_rejected(char):
    assert errors(metadata={"note": f"a{char}b"}) == [("/metadata/note", "control_character")]


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\x7f"])
def test_control_character_in_a_metadata_key_is_rejected(char):
    key = f"k{char}"
    assert errors(metadata={key: "v"}) == [(f"/metadata/{key}", "control_character")]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_character_in_an_email_is_rejected(char):
    assert errors(emails=["ok@example.com", f"a{char}b@example.com"]) == [("/emails/1", "control_character")]


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\x7f"])
def test_control_character_in_a_phone_timezone_or_list_item_is_rejected(char):
    assert errors(phones=[f"555{char}0100"]) == [("/phones/0", "control_character")]
    assert errors(mobile=f"555{char}0100") == [("/mobile", "control_character")]
    assert errors(timezone=f"UTC{char}") == [("/timezone", "control_character")]
    assert errors(default_shipping_methods=[f"m{char}"]) == [("/default_shipping_methods/0", "control_character")]


def test_non_control_whitespace_and_symbols_are_allowed():
    assert (
        valid(name="Acme\u00a0Inc \u2014 \u00e9\u00e8 \U0001f600").name
        == "Acme\u00a0Inc \u2014 \u00e9\u00e8 \U0001f600"
    )


# --- unknown fields and several errors ----------------------------------------------


@pytest.mark.parametrize("field", ["nickname", "Name", "emails_extra", "password_set"])
def test_unknown_field_is_rejected_at_its_pointer(field):
    assert errors(**{field: "x"}) == [(f"/{field}", "unknown_field")]


def test_unknown_field_name_is_escaped_in_the_pointer():
    assert errors(**{"a/b~c": 1}) == [("/a~1b~0c", "unknown_field")]


def test_every_broken_rule_is_reported_at_once():
    found = errors(name="", code="N/A", emails=["bad"], store_credit=1, hide_price="no", extra=1)
    assert sorted(found) == [
        ("/code", "placeholder_code"),
        ("/emails/0", "invalid_email"),
        ("/extra", "unknown_field"),
        ("/hide_price", "invalid_type"),
        ("/name", "blank"),
        ("/store_credit", "invalid_money"),
    ]


# --- creation body: password and first addresses --------------------------------------


def test_password_of_8_to_128_chars_is_valid():
    assert valid(CustomerCreation, password="p" * 8).password == "p" * 8
    assert valid(CustomerCreation, password="p" * 128).password == "p" * 128


def test_password_shorter_than_8_is_too_short():
    assert errors(CustomerCreation, password="p" * 7) == [("/password", "too_short")]


def test_password_longer_than_128_is_too_long():
    assert errors(CustomerCreation, password="p" * 129) == [("/password", "too_long")]


def test_password_must_be_a_string_without_control_characters():
    assert errors(CustomerCreation, password=12345678) == [("/password", "invalid_type")]
    assert errors(CustomerCreation, password="secret\npassword") == [("/password", "control_character")]


def test_password_is_not_a_field_of_patch_or_put_bodies():
    assert errors(CustomerFields, password="long-enough") == [("/password", "unknown_field")]


def test_nested_address_errors_point_into_the_address():
    found = errors(
        CustomerCreation,
        address={"line1": "1 Main St", "country": "us"},
        billing_address={"country": "US", "colour": "red"},
    )
    assert sorted(found) == [
        ("/address/country", "invalid_country"),
        ("/billing_address/colour", "unknown_field"),
        ("/billing_address/line1", "required"),
    ]


def test_nested_address_must_be_an_object():
    assert errors(CustomerCreation, address="1 Main St") == [("/address", "invalid_type")]


# --- name derived from first and last name on create ---------------------------------


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace"}, "Ada Lovelace"),
        ({"first_name": " Ada ", "last_name": " Lovelace "}, "Ada Lovelace"),
        ({"first_name": "Ada"}, "Ada"),
        ({"last_name": "Lovelace"}, "Lovelace"),
    ],
)
def test_missing_name_on_create_is_first_and_last_name(body, name):
    _derive_name(body)
    assert body["name"] == name
    assert validate(CustomerCreation, body).name == name


def test_given_name_is_not_replaced_by_first_and_last_name():
    body = {"name": "Acme", "first_name": "Ada", "last_name": "Lovelace"}
    _derive_name(body)
    assert body["name"] == "Acme"


def test_missing_name_without_first_or_last_name_is_still_required():
    body = {"first_name": "  ", "company_name": "Acme"}
    _derive_name(body)
    assert "name" not in body
    with pytest.raises(ValidationFailed) as caught:
        validate(CustomerCreation, body)
    assert ("/name", "required") in [(e.pointer, e.code) for e in caught.value.errors]

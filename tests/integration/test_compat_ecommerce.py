"""Vendor 001 (ecommerce admin): GET and PUT /api/v4/admin/customers/{customer_id} (COMPAT.md §001)."""

from __future__ import annotations

import json

import pytest

from clientele.compat.ecommerce import EcommerceCustomerResponse
from tests.harness import admin, run_import_worker, sample_event

GET, PUT = "compat/ecommerce/get_customer", "compat/ecommerce/update_customer"

# The response keys of the vendor's document, in its order.
CUSTOMER_KEYS = [
    "id",
    "display_id",
    "status",
    "first_name",
    "last_name",
    "email",
    "sex",
    "parent",
    "company",
    "company_name",
    "timezone",
    "abn",
    "abn_branch",
    "shipping_profile",
    "transaction_number",
    "referral_code",
    "used_referral_code",
    "count_referral_code_used",
    "allow_credit_limit",
    "store_credit",
    "credit_limit",
    "how_do_you_know",
    "customer_password_expired",
    "hide_price",
    "default_tax_code",
    "source",
    "base_url",
    "background_image",
    "profile_picture",
    "created_at",
    "version",
    "addresses",
    "active_billing_address",
    "active_shipping_address",
    "is_in_trash",
]
ADDRESS_KEYS = [
    "id",
    "type",
    "first_name",
    "last_name",
    "email",
    "company_name",
    "address_line_1",
    "address_line_2",
    "country",
    "state",
    "city",
    "post_code",
    "mobile",
    "phone",
    "fax",
]
NOT_KEPT = [
    "parent",
    "transaction_number",
    "referral_code",
    "used_referral_code",
    "count_referral_code_used",
    "how_do_you_know",
    "source",
    "base_url",
    "background_image",
    "profile_picture",
]

# The seed's request body exactly as its document writes it (the PUT sample event carries it).
SEED_BODY = sample_event(PUT)["body"]
# Its placeholders that the canonical rules refuse, replaced by real values; the text stays as written.
REAL_VALUES = {
    '"CUSTOMER_EMAIL"': '"jane@example.com"',
    '"COUNTRY_NAME"': '"Australia"',
    '"POSTAL_CODE"': '"2000"',
    '"MOBILE_PHONE"': '"+61 400 000 000"',
    '"PHONE_NUMBER"': '"+61 2 9999 0000"',
    '"STORE_CREDIT_AMOUNT"': '"10.00"',
    '"CREDIT_LIMIT_AMOUNT"': '"500.00"',
}

ADDRESS = {"line1": "1 George St", "city": "Sydney", "state": "NSW", "postal_code": "2000", "country": "AU"}


def seed_body_with_real_values() -> str:
    text = SEED_BODY
    for placeholder, value in REAL_VALUES.items():
        assert placeholder in text
        text = text.replace(placeholder, value)
    return text


def get(api, reference, **kwargs):
    return api.call(GET, customer_id=str(reference), **kwargs)


def put(api, reference, body, etag=None, **kwargs):
    headers = {"If-Match": etag} if etag is not None else {}
    if isinstance(body, str):
        return api.call(PUT, customer_id=str(reference), raw_body=body, headers=headers, **kwargs)
    return api.call(PUT, customer_id=str(reference), body=body, headers=headers, **kwargs)


def canonical(api, customer_id):
    reply = api.get(customer_id)
    assert reply.status == 200, reply.body
    return reply.body


def put_ok(api, reference, body, etag=None):
    reply = put(api, reference, body, etag)
    assert reply.status == 200, reply.body
    return reply.body["customer"]


def pointers(reply):
    assert reply.status == 422, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    return sorted(error["pointer"] for error in reply.body["errors"])


@pytest.fixture
def customer(api):
    """A customer with an address (default shipping and billing), two emails and two phones."""
    return api.created(
        {
            "name": "Jane Doe",
            "first_name": "Jane",
            "last_name": "Doe",
            "code": "JD-1",
            "emails": ["jane@example.com", "accounts@example.com"],
            "phones": ["+61 2 1111 1111", "+61 2 2222 2222"],
            "mobile": "+61 400 111 111",
            "address": ADDRESS,
        }
    )


@pytest.fixture
def bare(api):
    """A customer without any address."""
    return api.created({"name": "Bare Customer", "first_name": "Bare", "last_name": "Customer"})


# ---------------------------------------------------------------- conformance with the vendor's document


def test_the_seed_put_body_as_written_answers_200_with_exactly_the_documented_keys(api, bare):
    reply = put(api, bare["number"], seed_body_with_real_values())

    assert reply.status == 200, reply.body
    assert reply.header("Content-Type") == "application/json"
    assert list(reply.body) == ["customer"]
    answer = reply.body["customer"]
    assert list(answer) == CUSTOMER_KEYS
    assert [address["type"] for address in answer["addresses"]] == ["PRIMARY", "SHIPPING", "BILLING"]
    for address in answer["addresses"]:
        assert list(address) == ADDRESS_KEYS
        assert list(address["country"]) == ["id", "name", "code"]
        assert list(address["state"]) == ["id", "name", "code"]
    EcommerceCustomerResponse.model_validate(reply.body)
    assert reply.etag == canonical(api, bare["id"])["etag"]


def test_the_seed_put_stores_every_value_it_sends(api, bare):
    answer = put(api, bare["number"], seed_body_with_real_values()).body["customer"]

    assert answer["id"] == bare["number"] and isinstance(answer["id"], int)
    assert answer["first_name"] == "CUSTOMER_FIRST_NAME" and answer["last_name"] == "CUSTOMER_LAST_NAME"
    assert answer["email"] == "jane@example.com"
    assert answer["sex"] == "CUSTOMER_GENDER"
    assert answer["company"] is True and answer["company_name"] == "CUSTOMER_COMPANY_NAME"
    assert answer["abn"] == "CUSTOMER_ABN" and answer["abn_branch"] == "ABN_BRANCH"
    assert answer["shipping_profile"] == {"id": "SHIPPING_PROFILE_ID"}
    assert answer["store_credit"] == "10.00" and answer["credit_limit"] == "500.00"
    assert answer["customer_password_expired"] is True and answer["allow_credit_limit"] is True
    assert answer["status"] == "ACTIVE" and answer["is_in_trash"] is False
    assert answer["version"] == 2
    assert all(answer[key] is None for key in NOT_KEPT)
    shipping = answer["addresses"][1]
    assert shipping["address_line_1"] == "ADDRESS_LINE" and shipping["city"] == "CITY_NAME"
    assert shipping["post_code"] == "2000"
    assert shipping["country"] == {"id": None, "name": "Australia", "code": "AU"}
    assert shipping["state"] == {"id": None, "name": "STATE_NAME", "code": None}
    assert answer["active_shipping_address"] == answer["active_billing_address"] == shipping["id"]
    assert "CUSTOMER_PASSWORD" not in json.dumps(answer)

    stored = canonical(api, bare["id"])
    assert stored["name"] == "CUSTOMER_FIRST_NAME CUSTOMER_LAST_NAME"
    assert stored["emails"] == ["jane@example.com"] and stored["phones"] == ["+61 2 9999 0000"]
    assert stored["mobile"] == "+61 400 000 000"
    assert stored["newsletter_subscribed"] is True and stored["password_set"] is True
    assert stored["tax_id"] == "CUSTOMER_ABN" and stored["gender"] == "CUSTOMER_GENDER"


def test_get_answers_the_same_shape_and_values_as_put(api, bare):
    written = put(api, bare["number"], seed_body_with_real_values())

    reply = get(api, bare["number"])

    assert reply.status == 200
    assert list(reply.body["customer"]) == CUSTOMER_KEYS
    assert reply.body == written.body and reply.etag == written.etag
    EcommerceCustomerResponse.model_validate(reply.body)


def test_the_seed_body_with_its_placeholders_is_one_422_naming_each_001_field(api, bare):
    reply = put(api, bare["number"], SEED_BODY)

    assert pointers(reply) == sorted(
        [
            "/customer/email",
            "/customer/phone",
            "/customer/mobile",
            "/customer/post_code",
            "/customer/country",
            "/store_credit",
            "/credit_limit",
        ]
    )
    country = next(error for error in reply.body["errors"] if error["pointer"] == "/customer/country")
    assert country["code"] == "invalid_country"
    assert country["message"] == "must be an ISO 3166-1 alpha-2 code or an English country name"
    assert canonical(api, bare["id"])["version"] == 1


def test_the_sample_events_answer_404_for_their_placeholder_number(api):
    assert api.call(GET, customer_id=sample_event(GET)["pathParameters"]["customer_id"]).status == 404
    reply = api.call(PUT, customer_id=sample_event(PUT)["pathParameters"]["customer_id"], raw_body=SEED_BODY)
    assert reply.status == 404
    assert reply.body["type"] == "/problems/not-found"


# ---------------------------------------------------------------- customer_id: number or id


def test_number_and_cus_id_name_the_same_customer(api, customer):
    by_number, by_id = get(api, customer["number"]), get(api, customer["id"])

    assert by_number.status == by_id.status == 200
    assert by_number.body == by_id.body
    assert by_number.body["customer"]["id"] == customer["number"]
    assert by_number.etag == customer["etag"]


@pytest.mark.parametrize("reference", ["999999", "0", "abc", "-1", "1.0", "+1", "cus_unknown", "1e3", "%31"])
def test_an_unknown_number_or_anything_else_is_the_canonical_404(api, customer, reference):
    for reply in (get(api, reference), put(api, reference, {"customer": {"city": "X"}})):
        assert reply.status == 404, reference
        assert reply.body["type"] == "/problems/not-found"
        assert reply.header("Content-Type") == "application/problem+json"


def test_another_tenant_gets_404_by_number_and_by_id(aws, api, customer):
    stranger = admin(aws)

    for reference in (customer["number"], customer["id"]):
        assert get(stranger, reference).status == 404
        assert put(stranger, reference, {"customer": {"city": "X"}}).status == 404
    assert canonical(api, customer["id"])["version"] == 1


def test_numbers_are_per_tenant_and_resolve_to_the_callers_own_customer(aws, api, customer):
    other = admin(aws)
    theirs = other.created({"name": "Their Customer"})

    assert theirs["number"] == customer["number"] == 1
    assert get(other, 1).body["customer"]["first_name"] is None
    assert get(api, 1).body["customer"]["first_name"] == "Jane"


def test_an_organization_scoped_caller_sees_only_its_organization(api):
    customer = api.created({"name": "Org Customer", "organization_id": "org-a"})
    outsider = api.as_caller(role="courier", organization_id="org-b")
    insider = api.as_caller(role="courier", organization_id="org-a")

    for reference in (customer["number"], customer["id"]):
        assert get(outsider, reference).status == 404
        assert put(outsider, reference, {"customer": {"first_name": "X"}}).status == 404
        assert get(insider, reference).status == 200
    assert put(insider, customer["number"], {"customer": {"first_name": "Y"}}).status == 200
    assert canonical(api, customer["id"])["first_name"] == "Y"


def test_a_customer_from_a_csv_import_is_found_by_number(aws, api):
    reply = api.call("imports/create", body={"type": "customers"})
    assert reply.status == 201, reply.body
    key = f"uploads/{api.tenant}/{reply.body['id']}.csv"
    data = (
        b"code,name,email,address_line1,address_postal_code,address_country\r\n"
        b"C1,Imported,i@example.com,1 A St,2000,AU\r\n"
    )
    aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=data)
    run_import_worker(aws)
    imported = api.walk()[0]

    answer = get(api, imported["number"])

    assert answer.status == 200
    assert answer.body["customer"]["display_id"] == "C1"
    assert answer.body["customer"]["email"] == "i@example.com"


def test_the_number_lookup_attributes_survive_every_kind_of_update(api, customer, stored):
    put_ok(api, customer["number"], {"customer": {"city": "Parramatta", "first_name": "Janet"}})
    api.patch(customer["id"], {"branch": "North"}, canonical(api, customer["id"])["etag"])
    api.archive(customer["id"])

    item = next(item for item in stored(f"T#{api.tenant}#C#{customer['id']}") if item["sk"] == "CUSTOMER")
    assert item["lookup_key"] == f"T#{api.tenant}#NUMBER#{customer['number']}"
    assert item["lookup_sort"] == "CUSTOMER"
    assert get(api, customer["number"]).body["customer"]["first_name"] == "Janet"
    assert "lookup_key" not in canonical(api, customer["id"])


def test_list_items_do_not_show_the_lookup_attributes(api, customer):
    items = api.walk()

    assert [item["id"] for item in items] == [customer["id"]]
    assert not any(name.startswith("lookup") for name in items[0])


# ---------------------------------------------------------------- only sent keys change

_WRITE_STAMPS = ("version", "etag", "updated_at", "updated_by")


def _without_stamps(view):
    return {key: value for key, value in view.items() if key not in _WRITE_STAMPS}


def test_only_the_sent_key_changes(api, customer):
    before = canonical(api, customer["id"])

    put_ok(api, customer["number"], {"customer": {"city": "Parramatta"}})

    after = canonical(api, customer["id"])
    assert after["version"] == before["version"] + 1
    assert after["default_shipping_address"]["city"] == "Parramatta"
    expected = json.loads(json.dumps(_without_stamps(before)))
    for address in [*expected["addresses"], expected["default_shipping_address"], expected["default_billing_address"]]:
        address["city"] = "Parramatta"
    actual = _without_stamps(after)
    for address in [*actual["addresses"], actual["default_shipping_address"], actual["default_billing_address"]]:
        address.pop("updated_at")
    for address in [*expected["addresses"], expected["default_shipping_address"], expected["default_billing_address"]]:
        address.pop("updated_at")
    assert actual == expected


def test_a_body_that_changes_nothing_writes_nothing(api, customer, dynamodb_calls):
    reply = put(api, customer["number"], {"customer": {"first_name": "Jane", "email": "jane@example.com"}})

    assert reply.status == 200 and reply.body["customer"]["version"] == 1
    assert reply.etag == customer["etag"]
    assert dynamodb_calls == ["Query", "Query"]


def test_unknown_keys_are_ignored(api, customer):
    body = {"customer": {"nickname": "JJ", "city": "Newtown", "id": 77}, "loyalty": {"tier": "gold"}, "id": 5}

    answer = put_ok(api, customer["number"], body)

    assert answer["addresses"][0]["city"] == "Newtown" and answer["id"] == customer["number"]
    assert canonical(api, customer["id"])["metadata"] == {}


def test_an_empty_body_object_changes_nothing(api, customer):
    assert put_ok(api, customer["number"], {})["version"] == 1


def test_a_customer_that_is_not_an_object_is_422(api, customer):
    assert pointers(put(api, customer["number"], {"customer": "Jane"})) == ["/customer"]
    assert pointers(put(api, customer["number"], {"customer": {"newsletter": "yes"}})) == ["/customer/newsletter"]


# ---------------------------------------------------------------- mapping rules


@pytest.mark.parametrize(
    ("sent", "name"),
    [
        ({"first_name": "Janet"}, "Janet Doe"),
        ({"last_name": "Smith"}, "Jane Smith"),
        ({"first_name": "Ada", "last_name": "Lovelace"}, "Ada Lovelace"),
        ({"first_name": None}, "Doe"),
        ({"first_name": "  Ada ", "last_name": None}, "Ada"),
    ],
)
def test_the_name_follows_first_and_last_name(api, customer, sent, name):
    put_ok(api, customer["number"], {"customer": sent})

    stored = canonical(api, customer["id"])
    assert stored["name"] == name
    expected_first = sent.get("first_name", "Jane")
    assert stored["first_name"] == expected_first


def test_the_name_stays_when_both_names_are_cleared_or_neither_is_sent(api, customer):
    put_ok(api, customer["number"], {"customer": {"company_name": "Doe Pty"}})
    assert canonical(api, customer["id"])["name"] == "Jane Doe"

    put_ok(api, customer["number"], {"customer": {"first_name": None, "last_name": None}})
    stored = canonical(api, customer["id"])
    assert stored["name"] == "Jane Doe" and stored["first_name"] is None and stored["last_name"] is None


def test_resending_the_same_first_and_last_name_keeps_a_different_name(api):
    customer = api.created({"name": "Acme Freight", "first_name": "Wile", "last_name": "Coyote"})

    put_ok(api, customer["number"], {"customer": {"first_name": "Wile", "last_name": "Coyote"}})
    assert canonical(api, customer["id"])["name"] == "Acme Freight"

    put_ok(api, customer["number"], {"customer": {"first_name": "Wile E."}})
    assert canonical(api, customer["id"])["name"] == "Wile E. Coyote"


def test_email_and_phone_replace_only_the_first_entry(api, customer):
    answer = put_ok(api, customer["number"], {"customer": {"email": "new@Example.COM", "phone": "+61 2 3333 3333"}})

    assert answer["email"] == "new@example.com"
    stored = canonical(api, customer["id"])
    assert stored["emails"] == ["new@example.com", "accounts@example.com"]
    assert stored["phones"] == ["+61 2 3333 3333", "+61 2 2222 2222"]


def test_email_and_phone_null_remove_the_first_entry(api, customer):
    answer = put_ok(api, customer["number"], {"customer": {"email": None, "phone": None}})

    assert answer["email"] == "accounts@example.com"
    stored = canonical(api, customer["id"])
    assert stored["emails"] == ["accounts@example.com"] and stored["phones"] == ["+61 2 2222 2222"]


def test_an_email_or_phone_on_a_customer_without_any_becomes_the_first(api, bare):
    put_ok(api, bare["number"], {"customer": {"email": "bare@example.com", "phone": "+1 555 0100"}})

    stored = canonical(api, bare["id"])
    assert stored["emails"] == ["bare@example.com"] and stored["phones"] == ["+1 555 0100"]


def test_an_email_that_repeats_another_one_is_422_at_the_001_field(api, customer):
    reply = put(api, customer["number"], {"customer": {"email": "accounts@example.com"}})

    assert pointers(reply) == ["/customer/email"]
    assert reply.body["errors"][0]["code"] == "duplicate_email"


@pytest.mark.parametrize(
    ("sent", "pointer"),
    [
        ({"customer": {"email": "not-an-email"}}, "/customer/email"),
        ({"customer": {"phone": "call me"}}, "/customer/phone"),
        ({"customer": {"mobile": "x"}}, "/customer/mobile"),
        ({"customer": {"first_name": "a" * 101}}, "/customer/first_name"),
        ({"customer": {"abn": "1" * 33}}, "/customer/abn"),
        ({"customer": {"abn_branch": "1" * 33}}, "/customer/abn_branch"),
        ({"customer": {"gender": 3}}, "/customer/gender"),
        ({"customer": {"shipping_profile": "p" * 65}}, "/customer/shipping_profile"),
        ({"customer": {"newsletter": {"subscribed": "yes"}}}, "/customer/newsletter/subscribed"),
        ({"customer": {"password": "short"}}, "/customer/password"),
        ({"customer": {"company_name": ""}}, "/customer/company_name"),
        ({"customer": {"post_code": "20_00"}}, "/customer/post_code"),
        ({"customer": {"address_line": None}}, "/customer/address_line"),
        ({"customer": {"city": "c" * 101}}, "/customer/city"),
        ({"customer": {"state": "s" * 101}}, "/customer/state"),
        ({"store_credit": "-1"}, "/store_credit"),
        ({"credit_limit": "1.234"}, "/credit_limit"),
        ({"customer_password_expired": "yes"}, "/customer_password_expired"),
        ({"allow_credit_limit": 1}, "/allow_credit_limit"),
    ],
)
def test_validation_errors_point_at_the_001_field(api, customer, sent, pointer):
    reply = put(api, customer["number"], sent)

    assert pointers(reply) == [pointer]
    assert reply.body["type"] == "/problems/validation-error"
    assert canonical(api, customer["id"])["version"] == 1


def test_money_is_a_decimal_string_and_json_numbers_are_422(api, customer):
    answer = put_ok(api, customer["number"], {"store_credit": "10", "credit_limit": "1000.5"})
    assert answer["store_credit"] == "10.00" and answer["credit_limit"] == "1000.50"

    reply = put(api, customer["number"], {"store_credit": 10.5, "credit_limit": 100})
    assert pointers(reply) == ["/credit_limit", "/store_credit"]
    assert reply.body["errors"][0]["code"] == "invalid_money"


def test_flags_gender_profile_and_newsletter(api, customer):
    body = {
        "customer": {"sex": "female", "shipping_profile": 42, "newsletter": {"subscribed": True}},
        "customer_password_expired": True,
        "allow_credit_limit": True,
    }
    answer = put_ok(api, customer["number"], body)

    assert answer["sex"] == "female" and answer["shipping_profile"] == {"id": "42"}
    assert answer["customer_password_expired"] is True and answer["allow_credit_limit"] is True
    stored = canonical(api, customer["id"])
    assert stored["gender"] == "female" and stored["shipping_profile_id"] == "42"
    assert stored["newsletter_subscribed"] is True and stored["password_expired"] is True

    answer = put_ok(
        api,
        customer["number"],
        {"customer": {"gender": "male", "sex": "other", "shipping_profile": {"id": "sp-9"}, "newsletter": False}},
    )
    assert answer["sex"] == "male" and answer["shipping_profile"] == {"id": "sp-9"}
    assert canonical(api, customer["id"])["newsletter_subscribed"] is False

    answer = put_ok(api, customer["number"], {"customer": {"shipping_profile": None, "sex": None}})
    assert answer["shipping_profile"] is None and answer["sex"] is None


# ---------------------------------------------------------------- addresses


def test_address_keys_create_a_default_shipping_address_when_there_is_none(api, bare):
    body = {"customer": {"address_line": "5 Queen St", "city": "Auckland", "post_code": "1010", "country": "NZ"}}

    answer = put_ok(api, bare["number"], body)

    stored = canonical(api, bare["id"])
    assert len(stored["addresses"]) == 1
    shipping = stored["default_shipping_address"]
    assert (shipping["line1"], shipping["city"], shipping["postal_code"], shipping["country"]) == (
        "5 Queen St",
        "Auckland",
        "1010",
        "NZ",
    )
    assert stored["default_billing_address_id"] == shipping["id"]  # its first address is both defaults
    assert answer["active_shipping_address"] == answer["active_billing_address"] == shipping["id"]
    assert [a["type"] for a in answer["addresses"]] == ["PRIMARY", "SHIPPING", "BILLING"]
    assert answer["addresses"][0]["country"] == {"id": None, "name": "New Zealand", "code": "NZ"}


def test_clearing_address_keys_of_a_customer_without_an_address_changes_nothing(api, bare):
    answer = put_ok(api, bare["number"], {"customer": {"city": None, "state": None}})

    assert answer["version"] == 1 and answer["addresses"] == []


def test_a_new_address_without_a_country_gets_the_deployments_default(api, bare):
    put_ok(api, bare["number"], {"customer": {"address_line": "1 Main St"}})

    assert canonical(api, bare["id"])["default_shipping_address"]["country"] == "US"


def test_address_keys_without_an_address_line_on_a_customer_without_an_address_are_422(api, bare):
    reply = put(api, bare["number"], {"customer": {"city": "Sydney"}})

    assert pointers(reply) == ["/customer/address_line"]
    assert reply.body["errors"][0]["code"] == "required"
    assert canonical(api, bare["id"])["addresses"] == []


def test_address_keys_update_the_default_shipping_address(api, customer):
    address_id = customer["default_shipping_address_id"]

    answer = put_ok(api, customer["number"], {"customer": {"address_line": "9 Pitt St", "post_code": "2001"}})

    stored = canonical(api, customer["id"])
    assert [a["id"] for a in stored["addresses"]] == [address_id]
    shipping = stored["default_shipping_address"]
    assert shipping["line1"] == "9 Pitt St" and shipping["postal_code"] == "2001"
    assert shipping["city"] == "Sydney" and shipping["state"] == "NSW" and shipping["country"] == "AU"
    assert answer["addresses"][1]["address_line_1"] == "9 Pitt St"


def test_only_the_shipping_address_changes_when_billing_is_another_one(api):
    customer = api.created(
        {
            "name": "Split",
            "address": ADDRESS,
            "billing_address": {"line1": "PO Box 1", "city": "Melbourne", "postal_code": "3000", "country": "AU"},
        }
    )

    answer = put_ok(api, customer["number"], {"customer": {"city": "Newcastle"}})

    primary, shipping, billing = answer["addresses"]
    assert primary["id"] == shipping["id"] == customer["default_shipping_address_id"]
    assert billing["id"] == customer["default_billing_address_id"] != shipping["id"]
    assert shipping["city"] == "Newcastle" and billing["city"] == "Melbourne"
    assert answer["active_billing_address"] == billing["id"]


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("AU", "AU"),
        ("nz", "NZ"),
        ("Australia", "AU"),
        ("new zealand", "NZ"),
        ("United Kingdom", "GB"),
        ("United States", "US"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("  Germany ", "DE"),
    ],
)
def test_country_by_code_or_english_name(api, customer, sent, code):
    answer = put_ok(api, customer["number"], {"customer": {"country": sent}})

    assert canonical(api, customer["id"])["default_shipping_address"]["country"] == code
    assert answer["addresses"][0]["country"]["code"] == code


@pytest.mark.parametrize("sent", ["Atlantis", "XX", "", "A", 36, "036", None])
def test_an_unknown_country_is_422_at_customer_country(api, customer, sent):
    reply = put(api, customer["number"], {"customer": {"country": sent, "city": "Elsewhere"}})

    assert pointers(reply) == ["/customer/country"]
    stored = canonical(api, customer["id"])
    assert stored["version"] == 1 and stored["default_shipping_address"]["country"] == "AU"


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("nsw", {"id": None, "name": "New South Wales", "code": "NSW"}),
        ("Victoria", {"id": None, "name": "Victoria", "code": "VIC"}),
        ("Greater Western Sydney", {"id": None, "name": "Greater Western Sydney", "code": None}),
    ],
)
def test_the_state_is_stored_as_sent(api, customer, sent, answered):
    answer = put_ok(api, customer["number"], {"customer": {"state": sent}})

    assert canonical(api, customer["id"])["default_shipping_address"]["state"] == sent
    assert answer["addresses"][1]["state"] == answered


def test_a_cleared_state_is_answered_with_null_members(api, customer):
    answer = put_ok(api, customer["number"], {"customer": {"state": None}})

    assert canonical(api, customer["id"])["default_shipping_address"]["state"] is None
    assert answer["addresses"][0]["state"] == {"id": None, "name": None, "code": None}


def test_a_customer_without_addresses_answers_an_empty_list(api, bare):
    answer = get(api, bare["number"]).body["customer"]

    assert answer["addresses"] == []
    assert answer["active_billing_address"] is None and answer["active_shipping_address"] is None


# ---------------------------------------------------------------- password


def test_the_password_is_write_only(api, customer):
    reply = put(api, customer["number"], {"customer": {"password": "correct horse battery"}})

    assert reply.status == 200
    assert "correct horse" not in json.dumps(reply.body) and "password" not in reply.body["customer"]
    assert canonical(api, customer["id"])["password_set"] is True
    assert "correct horse" not in json.dumps(get(api, customer["number"]).body)


def test_a_put_without_password_keeps_it_and_null_clears_it(api, customer):
    put_ok(api, customer["number"], {"customer": {"password": "correct horse battery"}})
    put_ok(api, customer["number"], {"customer": {"city": "Manly"}})
    assert canonical(api, customer["id"])["password_set"] is True

    put_ok(api, customer["number"], {"customer": {"password": None}})
    assert canonical(api, customer["id"])["password_set"] is False


# ---------------------------------------------------------------- preconditions, writes switch, errors


def test_if_match_is_honoured_when_sent(api, customer):
    stale = put(api, customer["number"], {"customer": {"city": "A"}}, etag='"stale"')
    assert stale.status == 412 and stale.body["type"] == "/problems/precondition-failed"
    assert canonical(api, customer["id"])["version"] == 1

    current = put(api, customer["number"], {"customer": {"city": "B"}}, etag=customer["etag"])
    assert current.status == 200 and current.etag != customer["etag"]

    again = put(api, customer["number"], {"customer": {"city": "C"}}, etag=customer["etag"])
    assert again.status == 412

    without = put(api, customer["number"], {"customer": {"city": "D"}})
    assert without.status == 200 and without.body["customer"]["version"] == 3
    assert without.etag == canonical(api, customer["id"])["etag"]


def test_get_honours_if_none_match(api, customer):
    reply = get(api, customer["number"], headers={"If-None-Match": customer["etag"]})

    assert reply.status == 304 and reply.etag == customer["etag"]


def test_writes_switched_off_is_503_while_get_works(api, customer, writes_switch):
    writes_switch(False)

    reply = put(api, customer["number"], {"customer": {"city": "Nope"}})

    assert reply.status == 503 and reply.header("Retry-After") == "3600"
    assert reply.body["type"] == "/problems/endpoint-disabled"
    assert get(api, customer["number"]).status == 200
    assert canonical(api, customer["id"])["version"] == 1


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [("[]", "application/json", 400), ("{", "application/json", 400), ("{}", "text/plain", 415)],
)
def test_bodies_follow_the_canonical_hardening_rules(api, customer, raw, content_type, status):
    reply = api.call(PUT, customer_id=str(customer["number"]), raw_body=raw, content_type=content_type)

    assert reply.status == status
    assert reply.header("Content-Type") == "application/problem+json"


def test_archived_and_inactive_customers_read_as_in_trash_and_inactive(api, customer):
    api.patch(customer["id"], {"status": "inactive"}, customer["etag"])
    api.archive(customer["id"])

    answer = get(api, customer["number"]).body["customer"]

    assert answer["status"] == "INACTIVE" and answer["is_in_trash"] is True


# ---------------------------------------------------------------- DynamoDB call budgets


def test_get_by_id_is_one_query_and_by_number_two(api, customer, dynamodb_calls):
    get(api, customer["id"])
    assert dynamodb_calls == ["Query"]

    dynamodb_calls.clear()
    get(api, customer["number"])
    assert dynamodb_calls == ["Query", "Query"]


def test_put_by_id_is_a_read_and_a_write_and_by_number_one_query_more(api, customer, dynamodb_calls):
    put_ok(api, customer["id"], {"customer": {"abn": "51824753556"}})
    assert dynamodb_calls == ["Query", "UpdateItem"]

    dynamodb_calls.clear()
    put_ok(api, customer["number"], {"customer": {"city": "Bondi"}, "store_credit": "5"})
    assert dynamodb_calls == ["Query", "Query", "TransactWriteItems"]  # the address item is written too


def test_put_of_the_whole_seed_body_stays_within_budget(api, bare, dynamodb_calls):
    put_ok(api, bare["id"], seed_body_with_real_values())

    assert dynamodb_calls == ["Query", "TransactWriteItems"]


def test_failed_puts_write_nothing(api, customer, dynamodb_calls):
    put(api, customer["number"], {"customer": {"city": "X"}}, etag='"stale"')
    put(api, customer["number"], {"customer": {"email": "bad"}})

    assert dynamodb_calls == ["Query", "Query", "Query", "Query"]


# ---------------------------------------------------------------- consistency with the canonical API


def test_a_canonical_customer_reads_back_through_001(api):
    created = api.created(
        {
            "name": "Acme Freight",
            "code": "ACME",
            "first_name": "Wile",
            "last_name": "Coyote",
            "company_name": "Acme Freight Pty Ltd",
            "emails": ["wile@acme.example", "ops@acme.example"],
            "phones": ["+61 2 5555 0000"],
            "mobile": "+61 400 555 000",
            "tax_id": "51824753556",
            "tax_branch": "001",
            "gender": "male",
            "timezone": "Australia/Sydney",
            "shipping_profile_id": "sp-1",
            "default_tax_code": "GST",
            "store_credit": "12.5",
            "credit_limit": "1000",
            "allow_credit_limit": True,
            "hide_price": True,
            "password_expired": True,
            "address": {
                "line1": "1 George St",
                "line2": "Level 2",
                "city": "Sydney",
                "state": "NSW",
                "postal_code": "2000",
                "country": "AU",
                "first_name": "Road",
                "last_name": "Runner",
                "email": "dock@acme.example",
                "company_name": "Acme Dock",
                "phone": "+61 2 5555 0001",
                "mobile": "+61 400 555 001",
                "fax": "+61 2 5555 0002",
            },
            "billing_address": {"line1": "PO Box 7", "city": "Melbourne", "state": "VIC", "country": "AU"},
        }
    )

    reply = get(api, created["number"])

    assert reply.status == 200 and reply.etag == created["etag"]
    answer = reply.body["customer"]
    shipping_id, billing_id = created["default_shipping_address_id"], created["default_billing_address_id"]
    expected_shipping = {
        "id": shipping_id,
        "first_name": "Road",
        "last_name": "Runner",
        "email": "dock@acme.example",
        "company_name": "Acme Dock",
        "address_line_1": "1 George St",
        "address_line_2": "Level 2",
        "country": {"id": None, "name": "Australia", "code": "AU"},
        "state": {"id": None, "name": "New South Wales", "code": "NSW"},
        "city": "Sydney",
        "post_code": "2000",
        "mobile": "+61 400 555 001",
        "phone": "+61 2 5555 0001",
        "fax": "+61 2 5555 0002",
    }
    expected_billing = {
        "id": billing_id,
        "type": "BILLING",
        "first_name": None,
        "last_name": None,
        "email": None,
        "company_name": None,
        "address_line_1": "PO Box 7",
        "address_line_2": None,
        "country": {"id": None, "name": "Australia", "code": "AU"},
        "state": {"id": None, "name": "Victoria", "code": "VIC"},
        "city": "Melbourne",
        "post_code": None,
        "mobile": None,
        "phone": None,
        "fax": None,
    }
    assert answer == {
        "id": created["number"],
        "display_id": "ACME",
        "status": "ACTIVE",
        "first_name": "Wile",
        "last_name": "Coyote",
        "email": "wile@acme.example",
        "sex": "male",
        "parent": None,
        "company": True,
        "company_name": "Acme Freight Pty Ltd",
        "timezone": "Australia/Sydney",
        "abn": "51824753556",
        "abn_branch": "001",
        "shipping_profile": {"id": "sp-1"},
        "transaction_number": None,
        "referral_code": None,
        "used_referral_code": None,
        "count_referral_code_used": None,
        "allow_credit_limit": True,
        "store_credit": "12.50",
        "credit_limit": "1000.00",
        "how_do_you_know": None,
        "customer_password_expired": True,
        "hide_price": True,
        "default_tax_code": "GST",
        "source": None,
        "base_url": None,
        "background_image": None,
        "profile_picture": None,
        "created_at": created["created_at"],
        "version": 1,
        "addresses": [
            {"type": "PRIMARY", **expected_shipping},
            {"type": "SHIPPING", **expected_shipping},
            expected_billing,
        ],
        "active_billing_address": billing_id,
        "active_shipping_address": shipping_id,
        "is_in_trash": False,
    }
    assert [list(address) for address in answer["addresses"]] == [ADDRESS_KEYS] * 3


def test_a_001_put_reads_back_through_the_canonical_api(api, customer):
    body = {
        "customer": {
            "first_name": "Janet",
            "last_name": "Dawson",
            "shipping_profile": "sp-7",
            "gender": "female",
            "email": "janet@example.com",
            "company_name": "Dawson & Co",
            "address_line": "10 Bridge St",
            "country": "Australia",
            "state": "New South Wales",
            "post_code": "2000",
            "city": "Sydney",
            "mobile": "+61 400 999 999",
            "phone": "+61 2 9999 9999",
            "abn": "12345678901",
            "abn_branch": "002",
            "newsletter": {"subscribed": True},
            "password": "s3cret-password",
        },
        "store_credit": "25.5",
        "credit_limit": "2000",
        "customer_password_expired": True,
        "allow_credit_limit": True,
    }

    reply = put(api, customer["number"], body)
    assert reply.status == 200, reply.body
    answer = reply.body["customer"]

    stored = canonical(api, customer["id"])
    expected = {
        "name": "Janet Dawson",
        "first_name": "Janet",
        "last_name": "Dawson",
        "code": "JD-1",
        "shipping_profile_id": "sp-7",
        "gender": "female",
        "emails": ["janet@example.com", "accounts@example.com"],
        "phones": ["+61 2 9999 9999", "+61 2 2222 2222"],
        "mobile": "+61 400 999 999",
        "company_name": "Dawson & Co",
        "tax_id": "12345678901",
        "tax_branch": "002",
        "newsletter_subscribed": True,
        "password_set": True,
        "store_credit": "25.50",
        "credit_limit": "2000.00",
        "password_expired": True,
        "allow_credit_limit": True,
        "hide_price": False,
        "version": 2,
        "etag": reply.etag,
    }
    assert {key: stored[key] for key in expected} == expected
    shipping = stored["default_shipping_address"]
    assert shipping["id"] == customer["default_shipping_address_id"]
    assert {k: shipping[k] for k in ("line1", "line2", "city", "state", "postal_code", "country")} == {
        "line1": "10 Bridge St",
        "line2": None,
        "city": "Sydney",
        "state": "New South Wales",
        "postal_code": "2000",
        "country": "AU",
    }
    assert answer["version"] == stored["version"]
    assert answer["addresses"][0]["state"] == {"id": None, "name": "New South Wales", "code": "NSW"}

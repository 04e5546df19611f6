"""Vendor 002 (Alvys public API, COMPAT.md): the seed document's examples as written, and its rules.

The seed's examples are sent verbatim; the one substitution besides ids and
ETags is the example email, which the seed's copy shows mangled by an email
obfuscator ("[email protected]"): a real address stands in for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Api, Reply, admin, run_change_stream

WRITE_RESPONSE_KEYS = [
    "Id",
    "ETag",
    "Name",
    "CompanyNumber",
    "Type",
    "Status",
    "BillingAddress",
    "Email",
    "Phone",
    "Fax",
    "DateCreated",
    "DateModified",
    "InvoicingInformation",
    "ExternalId",
]
READ_RESPONSE_KEYS = [key for key in WRITE_RESPONSE_KEYS if key != "ETag"]

# The seed's "Create" example, as written (but for the obfuscated email).
SEED_CREATE = {
    "Name": "Acme Logistics",
    "Type": "Customer",
    "CompanyNumber": "ACME-1",
    "Status": "Active",
    "BillingAddress": {"Street": "1 Main", "City": "City", "State": "NY", "Zip": "10001"},
    "Email": ["billing@acme.example"],
    "Phone": ["555-1234"],
}


class Alvys:
    """Calls the 002 routes as one caller."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def create(self, body: Any, **kwargs: Any) -> Reply:
        return self.api.call("compat/alvys/create_customer", body=body, **kwargs)

    def get(self, customer_id: str, **kwargs: Any) -> Reply:
        return self.api.call("compat/alvys/get_customer", customer_id=customer_id, **kwargs)

    def patch(self, customer_id: str, body: Any, etag: str | None = None, **kwargs: Any) -> Reply:
        headers = {"If-Match": etag} if etag is not None else {}
        return self.api.call(
            "compat/alvys/update_customer", customer_id=customer_id, body=body, headers=headers, **kwargs
        )

    def delete(self, customer_id: str, etag: str | None = None, **kwargs: Any) -> Reply:
        headers = {"If-Match": etag} if etag is not None else {}
        return self.api.call("compat/alvys/delete_customer", customer_id=customer_id, headers=headers, **kwargs)

    def search(self, body: Any, **kwargs: Any) -> Reply:
        return self.api.call("compat/alvys/search_customers", body=body, **kwargs)

    def created(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = self.create(body)
        assert reply.status == 201, reply.body
        return reply.body


@pytest.fixture
def alvys(api: Api) -> Alvys:
    return Alvys(api)


def customer(name: str, **fields: Any) -> dict[str, Any]:
    return {"Name": name, "Type": "Customer", **fields}


# ---------------------------------------------------------------- the seed's examples


def test_seed_create_example_answers_201_with_the_write_response_and_etag_in_header_and_body(alvys):
    reply = alvys.create(SEED_CREATE)

    assert reply.status == 201
    assert list(reply.body) == WRITE_RESPONSE_KEYS
    assert reply.etag == reply.body["ETag"] and reply.etag.startswith('"')
    assert reply.header("Content-Type") == "application/json"
    body = reply.body
    assert body["Id"].startswith("cus_")
    assert (body["Name"], body["CompanyNumber"], body["Type"], body["Status"]) == (
        "Acme Logistics",
        "ACME-1",
        "Customer",
        "Active",
    )
    assert body["BillingAddress"] == {"Street": "1 Main", "City": "City", "State": "NY", "Zip": "10001"}
    assert body["Email"] == ["billing@acme.example"] and body["Phone"] == ["555-1234"]
    assert body["Fax"] is None and body["ExternalId"] is None and body["InvoicingInformation"] is None
    assert body["DateCreated"] == body["DateModified"]


def test_seed_update_example_with_if_match_answers_200_with_a_new_etag(alvys):
    created = alvys.created(SEED_CREATE)

    reply = alvys.patch(created["Id"], {"Status": "Inactive"}, created["ETag"])

    assert reply.status == 200
    assert list(reply.body) == WRITE_RESPONSE_KEYS
    assert reply.body["Status"] == "Inactive"
    assert reply.etag == reply.body["ETag"] != created["ETag"]
    # Only Status changed (RFC 7396: omitted fields are left as they were).
    unchanged = {key: created[key] for key in WRITE_RESPONSE_KEYS if key not in {"ETag", "Status", "DateModified"}}
    assert {key: reply.body[key] for key in unchanged} == unchanged


def test_seed_delete_example_soft_deletes_keeps_the_company_number_reserved_and_patch_restores(alvys):
    created = alvys.created(SEED_CREATE)

    deleted = alvys.delete(created["Id"], created["ETag"])

    assert deleted.status == 204 and deleted.body == ""
    read = alvys.get(created["Id"])
    assert read.status == 200 and read.body["Status"] == "Inactive"
    duplicate = alvys.create({**SEED_CREATE, "Name": "Someone Else", "BillingAddress": None})
    assert duplicate.status == 409
    assert duplicate.body["field"] == "CompanyNumber" and duplicate.body["customerId"] == created["Id"]
    restored = alvys.patch(created["Id"], {"Status": "Active"}, read.etag)
    assert restored.status == 200 and restored.body["Status"] == "Active"


def test_get_answers_the_read_response_with_the_etag_in_the_header_only(alvys):
    created = alvys.created(SEED_CREATE)

    reply = alvys.get(created["Id"])

    assert reply.status == 200
    assert list(reply.body) == READ_RESPONSE_KEYS
    assert reply.etag == created["ETag"]
    assert reply.body == {key: created[key] for key in READ_RESPONSE_KEYS}


def test_the_etag_of_a_get_is_the_if_match_of_the_next_write(alvys):
    created = alvys.created(customer("Etag Co"))
    etag = alvys.get(created["Id"]).etag

    assert alvys.patch(created["Id"], {"Fax": "555-9999"}, etag).status == 200


# ---------------------------------------------------------------- create rules


def test_broker_type_round_trips(alvys, api):
    created = alvys.created(customer("Broker Co", Type="Broker/3PL"))

    assert created["Type"] == "Broker/3PL"
    assert api.get(created["Id"]).body["type"] == "broker_3pl"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"Type": "Customer"}, "Name"),
        ({"Name": "   ", "Type": "Customer"}, "Name"),
        ({"Name": "x" * 201, "Type": "Customer"}, "Name"),
        ({"Name": "No Type"}, "Type"),
        ({"Name": "Bad Type", "Type": "Carrier"}, "Type"),
        ({"Name": "Bad Status", "Type": "Customer", "Status": "Deleted"}, "Status"),
        ({"Name": "Long Number", "Type": "Customer", "CompanyNumber": "C" * 33}, "CompanyNumber"),
        ({"Name": "Placeholder", "Type": "Customer", "CompanyNumber": "N/A"}, "CompanyNumber"),
        ({"Name": "Long External", "Type": "Customer", "ExternalId": "e" * 101}, "ExternalId"),
        ({"Name": "Bad Email", "Type": "Customer", "Email": ["not-an-email"]}, "Email[0]"),
        (
            {"Name": "Bad Zip", "Type": "Customer", "BillingAddress": {"Street": "1 Main", "Zip": "z" * 40}},
            "BillingAddress.Zip",
        ),
    ],
)
def test_invalid_create_bodies_answer_400_keyed_by_the_vendor_field(alvys, body, field):
    reply = alvys.create(body)

    assert reply.status == 400
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.body["type"].endswith("ValidationError") and reply.body["status"] == 400
    assert list(reply.body["errors"]) == [field]
    assert all(isinstance(message, str) and message for message in reply.body["errors"][field])


def test_several_broken_fields_are_all_listed(alvys):
    reply = alvys.create({"Name": "", "CompanyNumber": "TBD"})

    assert reply.status == 400
    assert set(reply.body["errors"]) == {"Name", "Type", "CompanyNumber"}


def test_unknown_and_read_only_fields_are_silently_ignored(alvys, api):
    body = customer(
        "Ignoring Co",
        Notes="call first",
        SalesAgentId="agent-1",
        Contacts=[{"Name": "x"}],
        Id="cus_forged",
        DateCreated="2001-01-01T00:00:00Z",
        InvoicingInformation={"Terms": "NET30"},
    )

    reply = alvys.create(body)

    assert reply.status == 201
    assert reply.body["Id"] != "cus_forged" and reply.body["InvoicingInformation"] is None
    canonical = api.get(reply.body["Id"]).body
    assert canonical["metadata"] == {} and canonical["created_at"] != "2001-01-01T00:00:00Z"
    patched = alvys.patch(reply.body["Id"], {"Notes": "ignored", "Fax": "555-0000"}, reply.etag)
    assert patched.status == 200 and patched.body["Fax"] == "555-0000"


def test_a_non_object_body_is_400(alvys):
    reply = alvys.api.call("compat/alvys/create_customer", raw_body="[1, 2]")

    assert reply.status == 400 and reply.body["type"].endswith("ValidationError")


@pytest.mark.parametrize(
    ("second", "field"),
    [
        ({"Name": "Other", "CompanyNumber": "acme-1"}, "CompanyNumber"),
        ({"Name": "Other", "ExternalId": "ext-1"}, "ExternalId"),
        ({"Name": "acme  logistics", "BillingAddress": {"Street": "1 Main", "Zip": "10001"}}, "Name"),
    ],
)
def test_duplicates_answer_409_naming_the_field_and_the_existing_customer(alvys, second, field):
    first = alvys.created(
        customer(
            "Acme Logistics",
            CompanyNumber="ACME-1",
            ExternalId="ext-1",
            BillingAddress={"Street": "1 Main", "Zip": "10001"},
        )
    )

    reply = alvys.create({"Type": "Customer", **second})

    assert reply.status == 409
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.body["field"] == field and reply.body["customerId"] == first["Id"]
    assert reply.body["status"] == 409 and "conflict" not in reply.body


def test_billing_address_is_in_the_deployment_default_country(alvys, api):
    created = alvys.created(customer("Country Co", BillingAddress={"Street": "1 Main", "Zip": "10001"}))

    billing = api.get(created["Id"]).body["default_billing_address"]
    assert billing["country"] == "US" and billing["postal_code"] == "10001"
    assert created["BillingAddress"] == {"Street": "1 Main", "City": None, "State": None, "Zip": "10001"}


# ---------------------------------------------------------------- PATCH and DELETE rules


def test_patch_without_if_match_is_428_and_with_a_stale_one_412(alvys):
    created = alvys.created(customer("Guarded Co"))
    alvys.patch(created["Id"], {"Fax": "555-1111"}, created["ETag"])

    missing = alvys.patch(created["Id"], {"Fax": "555-2222"})
    stale = alvys.patch(created["Id"], {"Fax": "555-2222"}, created["ETag"])

    assert missing.status == 428 and missing.header("Content-Type") == "application/problem+json"
    assert stale.status == 412
    assert alvys.get(created["Id"]).body["Fax"] == "555-1111"


def test_two_patches_with_the_same_etag_first_wins_second_412(alvys):
    created = alvys.created(customer("Race Co"))

    first = alvys.patch(created["Id"], {"Name": "Race Co One"}, created["ETag"])
    second = alvys.patch(created["Id"], {"Name": "Race Co Two"}, created["ETag"])

    assert (first.status, second.status) == (200, 412)
    assert alvys.get(created["Id"]).body["Name"] == "Race Co One"


def test_delete_without_if_match_is_428_and_with_a_stale_one_412(alvys):
    created = alvys.created(customer("Delete Guard Co"))
    changed = alvys.patch(created["Id"], {"Fax": "555-1111"}, created["ETag"])

    assert alvys.delete(created["Id"]).status == 428
    assert alvys.delete(created["Id"], created["ETag"]).status == 412
    assert alvys.get(created["Id"]).body["Status"] == "Active"
    assert alvys.delete(created["Id"], changed.etag).status == 204


def test_merge_patch_merges_the_billing_address_replaces_lists_and_null_clears(alvys):
    created = alvys.created({**SEED_CREATE, "Fax": "555-0001", "ExternalId": "ext-9"})

    reply = alvys.patch(
        created["Id"],
        {"BillingAddress": {"Zip": "10002"}, "Email": ["a@b.example", "c@d.example"], "Fax": None},
        created["ETag"],
    )

    assert reply.status == 200
    assert reply.body["BillingAddress"] == {"Street": "1 Main", "City": "City", "State": "NY", "Zip": "10002"}
    assert reply.body["Email"] == ["a@b.example", "c@d.example"]
    assert reply.body["Fax"] is None
    assert reply.body["ExternalId"] == "ext-9" and reply.body["Phone"] == ["555-1234"]


def test_patch_gives_a_customer_without_one_a_billing_address(alvys, api):
    created = alvys.created(customer("Addressless Co"))

    reply = alvys.patch(created["Id"], {"BillingAddress": {"Street": "2 Side", "Zip": "94105"}}, created["ETag"])

    assert reply.status == 200
    assert reply.body["BillingAddress"] == {"Street": "2 Side", "City": None, "State": None, "Zip": "94105"}
    canonical = api.get(created["Id"]).body
    assert canonical["default_billing_address"]["country"] == "US"
    assert canonical["default_shipping_address"] is None


def test_patch_changing_the_zip_keeps_name_and_zip_unique(alvys):
    alvys.created(customer("Twin Co", BillingAddress={"Street": "1 Main", "Zip": "10001"}))
    other = alvys.created(customer("Twin Co", BillingAddress={"Street": "1 Main", "Zip": "20002"}))

    reply = alvys.patch(other["Id"], {"BillingAddress": {"Zip": "10001"}}, other["ETag"])

    assert reply.status == 409 and reply.body["field"] == "Name"


def test_invalid_patch_values_answer_400_keyed_by_field(alvys):
    created = alvys.created(customer("Patch Rules Co"))

    reply = alvys.patch(created["Id"], {"Name": None, "Status": "Gone", "Type": "Carrier"}, created["ETag"])

    assert reply.status == 400
    assert set(reply.body["errors"]) == {"Name", "Status", "Type"}


def test_unknown_ids_and_other_tenants_ids_are_404(alvys, aws):
    created = alvys.created(customer("Mine Co"))
    stranger = Alvys(admin(aws))

    assert stranger.get(created["Id"]).status == 404
    assert stranger.patch(created["Id"], {"Fax": "555-1"}, created["ETag"]).status == 404
    assert stranger.delete(created["Id"], created["ETag"]).status == 404
    assert alvys.get("cus_00000000000000000000000000").status == 404
    assert alvys.get(created["Id"]).body["Fax"] is None


# ---------------------------------------------------------------- writes switched off


def test_writes_switched_off_answer_503_endpoint_disabled_while_reads_work(alvys, writes_switch):
    created = alvys.created(customer("Switch Co"))
    writes_switch(False)

    answers = [
        alvys.create(customer("Blocked Co")),
        alvys.patch(created["Id"], {"Fax": "555-1"}, created["ETag"]),
        alvys.delete(created["Id"], created["ETag"]),
    ]

    for reply in answers:
        assert reply.status == 503
        assert reply.header("Retry-After") == "3600"
        assert reply.body["type"].endswith("EndpointDisabled")
    assert alvys.get(created["Id"]).status == 200
    found = alvys.search({})
    assert found.status == 200 and found.body["Total"] == 1


# ---------------------------------------------------------------- search


@pytest.fixture
def catalogue(alvys, aws) -> dict[str, dict[str, Any]]:
    """Five customers; the change stream is run afterwards, since `Name` is served by the search index."""
    names = ["delta freight", "Alpha Logistics", "Charlie Haulage", "bravo logistics", "Echo Logistics"]
    made = {}
    for index, name in enumerate(names):
        made[name] = alvys.created(
            customer(
                name,
                CompanyNumber=f"NUM-{index}",
                ExternalId=f"ext-{index}",
                Status="Inactive" if name.startswith("Echo") else "Active",
                BillingAddress={"Street": "1 Main", "Zip": f"1000{index}"},
            )
        )
    run_change_stream(aws)
    return made


def test_search_without_criteria_finds_every_customer_ordered_by_name(alvys, catalogue):
    reply = alvys.search({})

    assert reply.status == 200
    assert list(reply.body) == ["Page", "PageSize", "Total", "Items"]
    assert (reply.body["Page"], reply.body["PageSize"], reply.body["Total"]) == (1, 25, 5)
    assert [item["Name"] for item in reply.body["Items"]] == [
        "Alpha Logistics",
        "bravo logistics",
        "Charlie Haulage",
        "delta freight",
        "Echo Logistics",
    ]
    first = reply.body["Items"][0]
    assert list(first) == READ_RESPONSE_KEYS
    assert first == {key: catalogue["Alpha Logistics"][key] for key in READ_RESPONSE_KEYS}


def test_search_name_is_contained_and_case_insensitive(alvys, catalogue):
    reply = alvys.search({"Name": "LOGIST"})

    assert [item["Name"] for item in reply.body["Items"]] == ["Alpha Logistics", "bravo logistics", "Echo Logistics"]
    assert reply.body["Total"] == 3


@pytest.mark.parametrize(
    ("criteria", "names"),
    [
        ({"CompanyNumber": "num-2"}, ["Charlie Haulage"]),
        ({"ExternalId": "ext-3"}, ["bravo logistics"]),
        ({"ExternalId": "EXT-3"}, []),
        ({"Status": "Inactive"}, ["Echo Logistics"]),
        ({"Status": "Active", "Name": "logistics"}, ["Alpha Logistics", "bravo logistics"]),
        ({"Name": "freight", "CompanyNumber": "NUM-1"}, []),
        ({"Name": None, "Notes": "ignored"}, None),
    ],
)
def test_search_criteria_combine(alvys, catalogue, criteria, names):
    reply = alvys.search(criteria)

    assert reply.status == 200
    found = [item["Name"] for item in reply.body["Items"]]
    assert found == (names if names is not None else sorted(catalogue, key=str.casefold))
    assert reply.body["Total"] == len(found)


def test_search_pages_are_numbered_from_one(alvys, catalogue):
    pages = [alvys.search({"Page": page, "PageSize": 2}).body for page in (1, 2, 3, 4)]

    assert [[item["Name"] for item in page["Items"]] for page in pages] == [
        ["Alpha Logistics", "bravo logistics"],
        ["Charlie Haulage", "delta freight"],
        ["Echo Logistics"],
        [],
    ]
    assert {page["Total"] for page in pages} == {5}
    assert [page["Page"] for page in pages] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("paging", "field"),
    [
        ({"PageSize": 101}, "PageSize"),
        ({"PageSize": 0}, "PageSize"),
        ({"Page": 0}, "Page"),
        ({"Page": "2"}, "Page"),
        ({"Page": 101, "PageSize": 100}, "Page"),
        ({"Status": "Deleted"}, "Status"),
    ],
)
def test_search_rejects_bad_paging_and_values_with_400(alvys, paging, field):
    reply = alvys.search(paging)

    assert reply.status == 400
    assert list(reply.body["errors"]) == [field]


def test_search_page_size_100_is_accepted(alvys, catalogue):
    assert alvys.search({"PageSize": 100}).body["PageSize"] == 100


def test_search_sees_only_the_callers_tenant(alvys, aws, catalogue):
    assert Alvys(admin(aws)).search({}).body == {"Page": 1, "PageSize": 25, "Total": 0, "Items": []}


def test_search_page_costs_three_dynamodb_calls(alvys, catalogue, dynamodb_calls):
    alvys.search({"Name": "logistics", "PageSize": 2})

    # The search index's word items, their customers, the page's billing addresses.
    assert dynamodb_calls == ["Query", "BatchGetItem", "BatchGetItem"]
    dynamodb_calls.clear()
    alvys.search({"Status": "Active", "PageSize": 2})

    # Without Name: the count and the page on the name index, the billing addresses.
    assert sorted(dynamodb_calls) == ["BatchGetItem", "Query", "Query"]


def test_search_name_is_served_by_the_search_index_words(alvys, catalogue):
    assert [item["Name"] for item in alvys.search({"Name": "log alp"}).body["Items"]] == ["Alpha Logistics"]
    assert [item["Name"] for item in alvys.search({"Name": "ogist"}).body["Items"]] == []


# ---------------------------------------------------------------- the same customer through every API


def test_a_002_customer_reads_back_through_the_canonical_api(alvys, api):
    created = alvys.created({**SEED_CREATE, "Type": "Broker/3PL", "Fax": "555-7777", "ExternalId": "crm-42"})

    canonical = api.get(created["Id"])

    assert canonical.status == 200 and canonical.etag == created["ETag"]
    body = canonical.body
    assert (body["name"], body["code"], body["type"], body["status"]) == (
        "Acme Logistics",
        "ACME-1",
        "broker_3pl",
        "active",
    )
    assert (body["emails"], body["phones"], body["fax"], body["external_id"]) == (
        ["billing@acme.example"],
        ["555-1234"],
        "555-7777",
        "crm-42",
    )
    billing = body["default_billing_address"]
    assert (billing["line1"], billing["city"], billing["state"], billing["postal_code"], billing["country"]) == (
        "1 Main",
        "City",
        "NY",
        "10001",
        "US",
    )


def test_a_canonical_customer_reads_back_through_002_and_canonical_writes_show(alvys, api):
    made = api.created(
        {
            "name": "Canon Co",
            "code": "CAN-1",
            "type": "broker_3pl",
            "emails": ["x@canon.example"],
            "phones": ["+61 2 5550 0000"],
            "billing_address": {"line1": "9 Rd", "city": "Sydney", "postal_code": "2000", "country": "AU"},
        }
    )

    read = alvys.get(made["id"])

    assert read.etag == made["etag"]
    assert read.body["Type"] == "Broker/3PL" and read.body["CompanyNumber"] == "CAN-1"
    assert read.body["BillingAddress"] == {"Street": "9 Rd", "City": "Sydney", "State": None, "Zip": "2000"}
    changed = api.patch(made["id"], {"status": "inactive"}, made["etag"])
    assert alvys.get(made["id"]).body["Status"] == "Inactive"
    restored = alvys.patch(made["id"], {"Status": "Active"}, changed.etag)
    assert restored.status == 200 and api.get(made["id"]).body["status"] == "active"


def test_patch_billing_address_null_unsets_it_and_releases_name_and_zip(alvys, api):
    created = alvys.created(customer("Unset Co", BillingAddress={"Street": "1 Main", "Zip": "10001"}))

    reply = alvys.patch(created["Id"], {"BillingAddress": None}, created["ETag"])

    assert reply.status == 200 and reply.body["BillingAddress"] is None
    assert len(api.get(created["Id"]).body["addresses"]) == 1
    assert alvys.create(customer("Unset Co", BillingAddress={"Street": "2 Main", "Zip": "10001"})).status == 201

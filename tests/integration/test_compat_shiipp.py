"""Vendor 000 (Shiipp `/api/ManageCustomers.php`, COMPAT.md): the seed document's examples, its rules, and
consistency with the canonical API."""

from __future__ import annotations

import json
import re

import pytest

from tests.harness import sample_event

CREATE, UPDATE, DELETE, LIST = (
    "compat/shiipp/create_customer",
    "compat/shiipp/update_customer",
    "compat/shiipp/delete_customer",
    "compat/shiipp/list_customers",
)
# The seed document's examples, verbatim ("cust-uuid" is replaced by a real id where it is sent).
SEED_POST = {
    "user_code": "CUST042",
    "first_name": "Alicia",
    "last_name": "Thompson",
    "branch": "Kingston",
    "is_active": 1,
}
SEED_PUT = {"courier_customer_id": "cust-uuid", "branch": "Montego Bay", "is_active": 0}
CUSTOMER_ID = re.compile(r"cus_[0-9A-HJKMNP-TV-Z]{26}")
NOT_FOUND = {"status": "error", "message": "Customer not found."}
UPDATED = {"status": "success", "message": "Profile updated successfully."}
REMOVED = {"status": "success", "message": "Customer removed from system."}


@pytest.fixture
def courier(api):
    """A courier of organization courier-7, in the admin's tenant."""
    return api.as_caller(role="courier", organization_id="courier-7", sub="user-courier-7")


def _create(caller, body, **kwargs):
    return caller.call(CREATE, body=body, **kwargs)


def _created_id(caller, body) -> str:
    reply = _create(caller, body)
    assert reply.status == 201, reply.body
    return reply.body["data"]["id"]


def _put(caller, body, **kwargs):
    return caller.call(UPDATE, body=body, **kwargs)


def _delete(caller, customer_id=None, body=None, **kwargs):
    query = {"id": customer_id} if customer_id is not None else {}
    return caller.call(DELETE, query=query, body=body, **kwargs)


def _list(caller, **query):
    return caller.call(LIST, query={name: str(value) for name, value in query.items()})


def _error(reply, status: int, message: str) -> None:
    assert reply.status == status, reply.body
    assert reply.header("Content-Type") == "application/json"
    assert reply.body == {"status": "error", "message": message}


# ---------------------------------------------------------------- the seed document, as written


def test_seed_post_example_as_a_courier_creates_the_profile(api, courier):
    reply = _create(courier, SEED_POST)

    assert reply.status == 201
    assert reply.header("Content-Type") == "application/json"
    assert set(reply.body) == {"status", "message", "data"}
    assert reply.body["status"] == "success"
    assert reply.body["message"] == "Customer profile created"
    assert set(reply.body["data"]) == {"id"}
    assert CUSTOMER_ID.fullmatch(reply.body["data"]["id"])
    customer = api.get(reply.body["data"]["id"]).body
    assert reply.etag == customer["etag"]
    assert {
        name: customer[name]
        for name in ("code", "name", "first_name", "last_name", "branch", "status", "organization_id")
    } == {
        "code": "CUST042",
        "name": "Alicia Thompson",
        "first_name": "Alicia",
        "last_name": "Thompson",
        "branch": "Kingston",
        "status": "active",
        "organization_id": "courier-7",
    }


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_seed_post_example_with_a_courier_id_as_admin_or_manager(api, role):
    caller = api.as_caller(role=role, organization_id=None)

    reply = _create(caller, {**SEED_POST, "courier_id": "courier-9"})

    assert reply.status == 201
    assert reply.body == {
        "status": "success",
        "message": "Customer profile created",
        "data": {"id": reply.body["data"]["id"]},
    }
    assert CUSTOMER_ID.fullmatch(reply.body["data"]["id"])
    customer = api.get(reply.body["data"]["id"]).body
    assert (customer["organization_id"], customer["code"], customer["name"]) == (
        "courier-9",
        "CUST042",
        "Alicia Thompson",
    )


def test_seed_post_example_sent_twice_is_409(courier):
    _created_id(courier, SEED_POST)

    reply = _create(courier, SEED_POST)

    assert reply.status == 409
    assert reply.body["status"] == "error"
    assert re.fullmatch(
        r"A customer with this user_code already exists in this courier account \(courier_customer_id cus_\w+\)\.",
        reply.body["message"],
    )


def test_seed_put_example_changes_branch_and_status_only(api, courier):
    customer_id = _created_id(courier, SEED_POST)
    before = api.get(customer_id).body

    reply = _put(courier, {**SEED_PUT, "courier_customer_id": customer_id})

    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.body == UPDATED
    after = api.get(customer_id).body
    assert reply.etag == after["etag"]
    assert (after["branch"], after["status"], after["version"]) == ("Montego Bay", "inactive", 2)
    unchanged = {"code", "name", "first_name", "last_name", "organization_id", "created_at", "number", "emails"}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_seed_delete_example_by_query_parameter(api, courier):
    customer_id = _created_id(courier, SEED_POST)

    reply = _delete(courier, customer_id)

    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.body == REMOVED
    assert api.get(customer_id).status == 404


def test_seed_delete_example_by_request_body(api, courier):
    customer_id = _created_id(courier, SEED_POST)

    reply = _delete(courier, body={"courier_customer_id": customer_id})

    assert reply.status == 200
    assert reply.body == REMOVED
    assert api.get(customer_id).status == 404


def test_seed_get_lists_the_documented_fields(courier):
    customer_id = _created_id(courier, SEED_POST)

    reply = _list(courier)

    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.body == {
        "status": "success",
        "data": [
            {
                "courier_customer_id": customer_id,
                "user_code": "CUST042",
                "first_name": "Alicia",
                "last_name": "Thompson",
                "branch": "Kingston",
                "is_active": 1,
                "courier_id": "courier-7",
            }
        ],
        "next_cursor": None,
    }


def test_sample_events_as_written(api, courier):
    created = courier.call(CREATE, body=json.loads(sample_event(CREATE)["body"]))
    updated = courier.call(UPDATE, body=json.loads(sample_event(UPDATE)["body"]))
    deleted = api.call(DELETE, query=sample_event(DELETE)["queryStringParameters"])
    listed = api.call(LIST, query=sample_event(LIST)["queryStringParameters"])

    assert created.status == 201 and created.body["message"] == "Customer profile created"
    _error(updated, 404, "Customer not found.")  # the samples name a placeholder id
    _error(deleted, 404, "Customer not found.")
    assert listed.status == 200
    assert [item["courier_customer_id"] for item in listed.body["data"]] == [created.body["data"]["id"]]


# ---------------------------------------------------------------- roles


def test_a_courier_only_changes_and_sees_its_own_organization(api, courier):
    theirs = _created_id(api, {**SEED_POST, "courier_id": "courier-8"})
    own = _created_id(courier, {**SEED_POST, "user_code": "OWN1"})

    _error(_put(courier, {"courier_customer_id": theirs, "branch": "x"}), 404, "Customer not found.")
    _error(_delete(courier, theirs), 404, "Customer not found.")
    _error(_delete(courier, body={"courier_customer_id": theirs}), 404, "Customer not found.")
    assert [item["courier_customer_id"] for item in _list(courier).body["data"]] == [own]
    # The courier_id filter is ignored for couriers: still only their own.
    assert [item["courier_customer_id"] for item in _list(courier, courier_id="courier-8").body["data"]] == [own]
    assert api.get(theirs).body["branch"] == "Kingston"
    assert _put(courier, {"courier_customer_id": own, "branch": "Ocho Rios"}).body == UPDATED
    assert api.get(own).body["branch"] == "Ocho Rios"


def test_a_courier_cannot_create_in_another_organization(api, courier):
    customer_id = _created_id(courier, {**SEED_POST, "courier_id": "courier-8"})

    assert api.get(customer_id).body["organization_id"] == "courier-7"


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admins_and_managers_reach_every_organization(api, role):
    caller = api.as_caller(role=role, organization_id=None)
    first = _created_id(caller, {**SEED_POST, "courier_id": "courier-1"})
    second = _created_id(caller, {**SEED_POST, "courier_id": "courier-2"})

    assert {item["courier_customer_id"] for item in _list(caller).body["data"]} == {first, second}
    assert [item["courier_customer_id"] for item in _list(caller, courier_id="courier-2").body["data"]] == [second]
    assert _put(caller, {"courier_customer_id": first, "branch": "x"}).body == UPDATED
    assert _delete(caller, second).body == REMOVED


@pytest.mark.parametrize("role", ["admin", "manager"])
@pytest.mark.parametrize("courier_id", ["absent", None])
def test_admins_and_managers_must_send_courier_id(api, role, courier_id):
    caller = api.as_caller(role=role, organization_id=None)
    body = dict(SEED_POST) if courier_id == "absent" else {**SEED_POST, "courier_id": courier_id}

    _error(_create(caller, body), 400, "courier_id is required.")
    assert _list(caller).body["data"] == []


def test_other_tenants_ids_are_not_found(api, courier):
    customer_id = _created_id(courier, SEED_POST)
    outsider = api.as_caller(tenant_id="t-other-tenant")

    _error(_put(outsider, {"courier_customer_id": customer_id, "branch": "x"}), 404, "Customer not found.")
    _error(_delete(outsider, customer_id), 404, "Customer not found.")
    assert _list(outsider).body["data"] == []


# ---------------------------------------------------------------- create rules


@pytest.mark.parametrize("field", ["user_code", "first_name", "last_name"])
def test_create_requires_user_code_and_names(courier, field):
    missing = {name: value for name, value in SEED_POST.items() if name != field}

    _error(_create(courier, missing), 400, f"{field} is required.")
    _error(_create(courier, {**SEED_POST, field: None}), 400, f"{field} is required.")
    assert _list(courier).body["data"] == []


def test_every_missing_field_is_named_at_once(api):
    _error(
        _create(api, {"branch": "Kingston"}),
        400,
        "user_code is required. first_name is required. last_name is required. courier_id is required.",
    )


@pytest.mark.parametrize("value", [2, -1, "1", "0", True, False, None, 1.0, [1]])
def test_is_active_is_only_1_or_0(courier, value):
    _error(_create(courier, {**SEED_POST, "is_active": value}), 400, "is_active must be 1 (active) or 0 (inactive).")


def test_is_active_defaults_to_1_and_0_is_inactive(api, courier):
    default = _created_id(courier, {name: value for name, value in SEED_POST.items() if name != "is_active"})
    inactive = _created_id(courier, {**SEED_POST, "user_code": "CUST043", "is_active": 0})

    assert api.get(default).body["status"] == "active"
    assert api.get(inactive).body["status"] == "inactive"


@pytest.mark.parametrize("code", ["N/A", "none", "TBD", "000", "---", "xxx", "???"])
def test_placeholder_user_codes_are_400(courier, code):
    _error(
        _create(courier, {**SEED_POST, "user_code": code}), 400, "user_code is a placeholder value, not a real code."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"user_code": 42}, "user_code must be a string."),
        ({"user_code": ""}, "user_code must not be empty."),
        ({"user_code": "X" * 33}, "user_code must be at most 32 characters."),
        ({"first_name": "A" * 101}, "first_name must be at most 100 characters."),
        ({"branch": 7}, "branch must be a string."),
        ({"email": "a@example.com"}, "email is not a field of this request."),
        ({"code": "C1"}, "code is not a field of this request."),
    ],
)
def test_invalid_values_are_400_naming_the_vendor_field(courier, change, message):
    _error(_create(courier, {**SEED_POST, **change}), 400, message)


def test_a_name_over_200_characters_names_both_name_fields(api):
    body = {**SEED_POST, "courier_id": "c", "first_name": "A" * 100, "last_name": "B" * 100}

    _error(_create(api, body), 400, "first_name + last_name must be at most 200 characters.")


def test_duplicate_user_code_is_409_in_the_same_organization_only(api):
    first = _created_id(api, {**SEED_POST, "courier_id": "courier-1"})

    same = _create(api, {**SEED_POST, "user_code": "cust042", "courier_id": "courier-1"})
    other = _create(api, {**SEED_POST, "courier_id": "courier-2"})

    _error(
        same,
        409,
        f"A customer with this user_code already exists in this courier account (courier_customer_id {first}).",
    )
    assert other.status == 201


def test_malformed_and_untyped_bodies_answer_the_envelope(courier):
    _error(
        courier.call(CREATE, raw_body="{broken"),
        400,
        "The body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1).",
    )
    _error(courier.call(CREATE, raw_body="[]"), 400, "The body must be a JSON object.")
    reply = courier.call(CREATE, body=SEED_POST, content_type=None)
    _error(reply, 415, "Send the body as application/json with a Content-Type header.")


def test_an_idempotency_key_replays_the_first_answer(courier):
    first = _create(courier, SEED_POST, headers={"Idempotency-Key": "shiipp-1"})
    again = _create(courier, SEED_POST, headers={"Idempotency-Key": "shiipp-1"})

    assert first.status == 201 == again.status
    assert again.body == first.body
    assert again.header("Idempotent-Replayed") == "true"
    assert len(_list(courier).body["data"]) == 1


# ---------------------------------------------------------------- update rules


@pytest.fixture
def profile(api, courier):
    """A customer created through 000 by the courier, and its canonical representation."""
    customer_id = _created_id(courier, SEED_POST)
    return api.get(customer_id).body


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"user_code": "CUST099"}, {"code": "CUST099"}),
        ({"branch": "Negril"}, {"branch": "Negril"}),
        ({"branch": None}, {"branch": None}),
        ({"is_active": 0}, {"status": "inactive"}),
        ({"first_name": "Alice"}, {"first_name": "Alice", "name": "Alice Thompson"}),
        ({"last_name": "Brown"}, {"last_name": "Brown", "name": "Alicia Brown"}),
        ({"first_name": "Ann", "last_name": "Lee"}, {"first_name": "Ann", "last_name": "Lee", "name": "Ann Lee"}),
        ({}, {}),
    ],
)
def test_put_changes_only_the_fields_sent(api, courier, profile, change, expected):
    reply = _put(courier, {"courier_customer_id": profile["id"], **change})

    assert reply.body == UPDATED
    after = api.get(profile["id"]).body
    ignored = {"version", "etag", "updated_at", "updated_by"}
    assert {k: v for k, v in after.items() if k not in ignored} == {
        **{k: v for k, v in profile.items() if k not in ignored},
        **expected,
    }
    assert after["version"] == (profile["version"] + 1 if change else profile["version"])
    assert reply.etag == after["etag"]


def test_put_keeps_a_canonical_name_unless_a_name_part_changes(api, courier):
    customer = api.created(
        {
            "name": "Thompson Freight Ltd",
            "first_name": "Alicia",
            "last_name": "Thompson",
            "organization_id": "courier-7",
        }
    )

    same = _put(courier, {"courier_customer_id": customer["id"], "first_name": "Alicia", "branch": "x"})
    assert same.body == UPDATED
    assert api.get(customer["id"]).body["name"] == "Thompson Freight Ltd"

    renamed = _put(courier, {"courier_customer_id": customer["id"], "last_name": "Smith"})
    assert renamed.body == UPDATED
    assert api.get(customer["id"]).body["name"] == "Alicia Smith"


def test_put_derives_the_name_from_a_single_part_when_the_other_is_missing(api):
    customer = api.created({"name": "Only Company", "organization_id": "courier-7"})

    _put(api, {"courier_customer_id": customer["id"], "first_name": "Zed"})

    after = api.get(customer["id"]).body
    assert (after["name"], after["first_name"], after["last_name"]) == ("Zed", "Zed", None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"branch": "x"}, "courier_customer_id is required."),
        ({"courier_customer_id": None}, "courier_customer_id is required."),
        ({"courier_customer_id": 12}, "courier_customer_id must be a customer id (a non-empty string)."),
        ({"courier_customer_id": "PROFILE", "user_code": None}, "user_code can't be cleared."),
        ({"courier_customer_id": "PROFILE", "first_name": None}, "first_name can't be cleared."),
        ({"courier_customer_id": "PROFILE", "is_active": 2}, "is_active must be 1 (active) or 0 (inactive)."),
        ({"courier_customer_id": "PROFILE", "is_active": "0"}, "is_active must be 1 (active) or 0 (inactive)."),
        ({"courier_customer_id": "PROFILE", "user_code": "N/A"}, "user_code is a placeholder value, not a real code."),
        ({"courier_customer_id": "PROFILE", "courier_id": "courier-8"}, "courier_id is not a field of this request."),
    ],
)
def test_put_rejects_bad_bodies_with_400(api, courier, profile, body, message):
    body = {key: profile["id"] if value == "PROFILE" else value for key, value in body.items()}

    _error(_put(courier, body), 400, message)
    assert api.get(profile["id"]).body == profile


@pytest.mark.parametrize("customer_id", ["cust-uuid", "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"])
def test_put_of_an_unknown_id_is_404(courier, customer_id):
    _error(_put(courier, {"courier_customer_id": customer_id, "branch": "x"}), 404, "Customer not found.")


def test_put_to_a_taken_user_code_is_409(api, courier, profile):
    other = _created_id(courier, {**SEED_POST, "user_code": "CUST043"})

    reply = _put(courier, {"courier_customer_id": other, "user_code": "cust042"})

    _error(
        reply,
        409,
        f"A customer with this user_code already exists in this courier account (courier_customer_id {profile['id']}).",
    )
    assert api.get(other).body["code"] == "CUST043"


def test_put_honours_if_match_when_sent(api, courier, profile):
    stale = _put(courier, {"courier_customer_id": profile["id"], "branch": "A"}, headers={"If-Match": '"stale"'})
    _error(stale, 412, "If-Match does not match the customer's current ETag.")
    assert api.get(profile["id"]).body == profile

    fresh = _put(courier, {"courier_customer_id": profile["id"], "branch": "B"}, headers={"If-Match": profile["etag"]})
    assert fresh.body == UPDATED

    # The ETag just used is stale now.
    again = _put(courier, {"courier_customer_id": profile["id"], "branch": "C"}, headers={"If-Match": profile["etag"]})
    _error(again, 412, "If-Match does not match the customer's current ETag.")
    assert api.get(profile["id"]).body["branch"] == "B"


def test_put_is_one_read_and_one_write(courier, profile, dynamodb_calls):
    _put(courier, {"courier_customer_id": profile["id"], "first_name": "Ann", "branch": "x"})
    renamed = list(dynamodb_calls)
    dynamodb_calls.clear()
    _put(courier, {"courier_customer_id": profile["id"], "user_code": "NEW1"})

    assert renamed == ["Query", "UpdateItem"]
    assert dynamodb_calls == ["Query", "TransactWriteItems"]


# ---------------------------------------------------------------- delete rules


def test_delete_is_permanent_and_releases_the_user_code(api, courier, profile, stored):
    assert _delete(courier, profile["id"]).body == REMOVED

    assert api.get(profile["id"]).status == 404
    assert stored(f"T#{api.tenant}#C#") == []
    _error(_delete(courier, profile["id"]), 404, "Customer not found.")
    assert _created_id(courier, SEED_POST) != profile["id"]


def test_delete_refuses_customers_with_linked_sales_records(api, aws, courier, profile):
    aws.clients.dynamodb.update_item(
        TableName=aws.table,
        Key={"pk": {"S": f"T#{api.tenant}#C#{profile['id']}"}, "sk": {"S": "CUSTOMER"}},
        UpdateExpression="SET sales_orders_count = :two, sales_credits_count = :one",
        ExpressionAttributeValues={":two": {"N": "2"}, ":one": {"N": "1"}},
    )

    reply = _delete(courier, profile["id"])

    _error(reply, 409, "Customer has linked sales records (2 sales orders, 1 sales credits) and can't be removed.")
    assert api.get(profile["id"]).status == 200


def test_delete_honours_if_match_when_sent(api, courier, profile):
    _error(
        _delete(courier, profile["id"], headers={"If-Match": '"stale"'}),
        412,
        "If-Match does not match the customer's current ETag.",
    )
    assert api.get(profile["id"]).status == 200
    assert _delete(courier, profile["id"], headers={"If-Match": profile["etag"]}).body == REMOVED


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        (None, None, "courier_customer_id is required."),
        (None, {}, "courier_customer_id is required."),
        (None, {"id": "cus_x"}, "courier_customer_id is required. id is not a field of this request."),
        (None, {"courier_customer_id": 5}, "courier_customer_id must be a customer id (a non-empty string)."),
        ("", None, "id must not be empty."),
    ],
)
def test_delete_needs_an_id(api, courier, profile, query, body, message):
    _error(_delete(courier, query, body=body), 400, message)
    assert api.get(profile["id"]).status == 200


def test_delete_by_query_does_not_read_the_body(api, courier, profile):
    reply = courier.call(DELETE, query={"id": profile["id"]}, raw_body="not json", content_type="text/plain")

    assert reply.body == REMOVED


def test_delete_is_two_calls(courier, profile, dynamodb_calls):
    _delete(courier, profile["id"])

    assert dynamodb_calls == ["Query", "TransactWriteItems"]


# ---------------------------------------------------------------- writes switch


def test_writes_switched_off_answer_503_in_the_envelope_and_get_keeps_working(api, courier, profile, writes_switch):
    writes_switch(False)

    replies = {
        "post": _create(courier, {**SEED_POST, "user_code": "NEW1"}),
        "put": _put(courier, {"courier_customer_id": profile["id"], "branch": "x"}),
        "delete by query": _delete(courier, profile["id"]),
        "delete by body": _delete(courier, body={"courier_customer_id": profile["id"]}),
    }

    for name, reply in replies.items():
        _error(reply, 503, "Writes are switched off for maintenance; reads keep working.")
        assert reply.header("Retry-After") == "3600", name
    listed = _list(courier)
    assert listed.status == 200
    assert [item["courier_customer_id"] for item in listed.body["data"]] == [profile["id"]]
    assert api.get(profile["id"]).body == profile

    writes_switch(True)
    assert _put(courier, {"courier_customer_id": profile["id"], "branch": "x"}).body == UPDATED


# ---------------------------------------------------------------- list paging


def test_list_pages_with_limit_and_cursor(api):
    ids = [_created_id(api, {**SEED_POST, "user_code": f"P{n}", "courier_id": "courier-1"}) for n in range(5)]

    pages, query = [], {"limit": 2, "courier_id": "courier-1"}
    while True:
        reply = _list(api, **query)
        assert reply.status == 200
        assert set(reply.body) == {"status", "data", "next_cursor"}
        pages.append([item["courier_customer_id"] for item in reply.body["data"]])
        if reply.body["next_cursor"] is None:
            break
        query = {**query, "cursor": reply.body["next_cursor"]}

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [customer_id for page in pages for customer_id in page] == list(reversed(ids))  # newest first


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "limit must be at least 1."),
        ({"limit": "201"}, "limit must be at most 200."),
        ({"limit": "ten"}, "limit must be an integer."),
        ({"cursor": "bogus"}, None),
    ],
)
def test_bad_list_parameters_are_400(api, query, message):
    reply = api.call(LIST, query=query)

    assert reply.status == 400
    assert reply.body["status"] == "error"
    if message is not None:
        assert reply.body["message"] == message


def test_a_cursor_is_bound_to_its_courier_filter(api):
    for n in range(3):
        _created_id(api, {**SEED_POST, "user_code": f"P{n}", "courier_id": "courier-1"})
    cursor = _list(api, limit=1, courier_id="courier-1").body["next_cursor"]

    reply = _list(api, limit=1, courier_id="courier-2", cursor=cursor)

    assert reply.status == 400 and reply.body["status"] == "error"


# ---------------------------------------------------------------- one customer, two APIs


def test_a_canonical_customer_reads_back_through_000(api):
    customer = api.created(
        {
            "name": "Marcus Reid",
            "code": "MR-1",
            "first_name": "Marcus",
            "last_name": "Reid",
            "branch": "Spanish Town",
            "status": "inactive",
            "organization_id": "courier-3",
            "emails": ["marcus@example.com"],
        }
    )

    reply = _list(api, courier_id="courier-3")

    assert reply.body["data"] == [
        {
            "courier_customer_id": customer["id"],
            "user_code": "MR-1",
            "first_name": "Marcus",
            "last_name": "Reid",
            "branch": "Spanish Town",
            "is_active": 0,
            "courier_id": "courier-3",
        }
    ]


def test_a_canonical_customer_without_000_fields_lists_with_nulls(api):
    customer = api.created({"name": "Bare", "organization_id": "courier-3"})

    assert _list(api, courier_id="courier-3").body["data"] == [
        {
            "courier_customer_id": customer["id"],
            "user_code": None,
            "first_name": None,
            "last_name": None,
            "branch": None,
            "is_active": 1,
            "courier_id": "courier-3",
        }
    ]


def test_a_000_customer_reads_back_through_the_canonical_api(api):
    customer_id = _created_id(api, {**SEED_POST, "is_active": 0, "courier_id": "courier-4"})

    customer = api.get(customer_id).body

    assert {name: customer[name] for name in ("id", "code", "name", "first_name", "last_name", "branch")} == {
        "id": customer_id,
        "code": "CUST042",
        "name": "Alicia Thompson",
        "first_name": "Alicia",
        "last_name": "Thompson",
        "branch": "Kingston",
    }
    assert (customer["status"], customer["organization_id"], customer["type"]) == ("inactive", "courier-4", "customer")
    assert (customer["archived"], customer["version"], customer["addresses"]) == (False, 1, [])
    # The canonical code guard holds for both APIs: the same code in that organization is taken.
    taken = api.create({"name": "Dup", "code": "cust042", "organization_id": "courier-4"})
    assert taken.status == 409 and taken.body["conflict"] == {"field": "code", "existing_id": customer_id}


def test_a_courier_without_an_organization_claim_is_403_in_the_envelope(api):
    caller = api.as_caller(role="courier", organization_id=None)

    _error(_create(caller, SEED_POST), 403, "An organization-scoped role needs an organization_id claim.")
    _error(_list(caller), 403, "An organization-scoped role needs an organization_id claim.")

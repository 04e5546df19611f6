"""GET /v1/customers (API.md §5): sorts, filters, cursors, columns, totals."""

from __future__ import annotations

import base64
import json

import pytest

from tests.harness import admin, new_tenant, run_change_stream


def _names(items):
    return [item["name"] for item in items]


@pytest.fixture
def seeded(api, aws):
    """Six customers with distinct sort values, one archived, one inactive, two organizations.

    The change stream is run afterwards: `q` is served from the search items it writes (API.md §14).
    """
    made = {}
    for name, extra in [
        ("Delta Freight", {"code": "D-4", "organization_id": "org-a", "branch": "North"}),
        ("alpha Logistics", {"code": "a-1", "emails": ["Ops@Alpha.example"], "type": "broker_3pl"}),
        (
            "Charlie Co",
            {"status": "inactive", "address": {"line1": "1 A St", "postal_code": "SW1A 1AA", "country": "GB"}},
        ),
        ("Bravo Ltd", {"code": "B-2", "organization_id": "org-b", "branch": "South"}),
        ("Echo Pty", {}),
        ("Foxtrot Archived", {"code": "F-6"}),
    ]:
        made[name] = api.created({"name": name, **extra})
    api.archive(made["Foxtrot Archived"]["id"])
    run_change_stream(aws)
    return made


def test_default_list_is_newest_first_without_archived(api, seeded):
    reply = api.list()

    assert reply.status == 200
    assert _names(reply.body["data"]) == ["Echo Pty", "Bravo Ltd", "Charlie Co", "alpha Logistics", "Delta Freight"]
    assert reply.body["has_more"] is False and reply.body["next_cursor"] is None
    assert "addresses" not in reply.body["data"][0] and reply.body["data"][0]["etag"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["alpha Logistics", "Bravo Ltd", "Charlie Co", "Delta Freight", "Echo Pty"]),
        ("-name", ["Echo Pty", "Delta Freight", "Charlie Co", "Bravo Ltd", "alpha Logistics"]),
        ("code", ["alpha Logistics", "Bravo Ltd", "Delta Freight", "Charlie Co", "Echo Pty"]),
        ("-code", ["Echo Pty", "Charlie Co", "Delta Freight", "Bravo Ltd", "alpha Logistics"]),
        ("created_at", ["Delta Freight", "alpha Logistics", "Charlie Co", "Bravo Ltd", "Echo Pty"]),
        ("-updated_at", ["Echo Pty", "Bravo Ltd", "Charlie Co", "alpha Logistics", "Delta Freight"]),
    ],
)
def test_sorts(api, seeded, sort, expected):
    assert _names(api.list(sort=sort).body["data"]) == expected


def test_code_sort_puts_customers_without_a_code_last_and_ties_by_id(api, seeded):
    items = api.list(sort="code").body["data"]
    without_code = [item for item in items if item["code"] is None]

    assert [item["id"] for item in without_code] == sorted(item["id"] for item in without_code)


def test_updated_at_sort_follows_writes(api, seeded):
    delta = seeded["Delta Freight"]
    api.patch(delta["id"], {"branch": "East"}, delta["etag"])

    assert _names(api.list(sort="-updated_at").body["data"])[0] == "Delta Freight"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "inactive"}, ["Charlie Co"]),
        ({"type": "broker_3pl"}, ["alpha Logistics"]),
        ({"organization_id": "org-a"}, ["Delta Freight"]),
        ({"branch": "South"}, ["Bravo Ltd"]),
        ({"archived": "true"}, ["Foxtrot Archived"]),
        ({"q": "ALPHA  log"}, ["alpha Logistics"]),
        ({"q": "b-2"}, ["Bravo Ltd"]),
        ({"q": "ops@alpha.EXAMPLE"}, ["alpha Logistics"]),
        ({"q": "B"}, ["Bravo Ltd"]),
        ({"q": "zzz"}, []),
        ({"postal_code": "sw1a1aa"}, ["Charlie Co"]),
        ({"status": "active", "q": "Delta"}, ["Delta Freight"]),
    ],
)
def test_filters(api, seeded, query, expected):
    assert _names(api.list(sort="name", **query).body["data"]) == expected


def test_archived_any_merges_both_shelves_in_order(api, seeded):
    names = _names(api.list(sort="name", archived="any").body["data"])

    assert names == ["alpha Logistics", "Bravo Ltd", "Charlie Co", "Delta Freight", "Echo Pty", "Foxtrot Archived"]


def test_created_bounds_are_exclusive(api, seeded):
    charlie = seeded["Charlie Co"]["created_at"]
    echo = seeded["Echo Pty"]["created_at"]

    after = _names(api.list(sort="created_at", created_after=charlie).body["data"])
    before = _names(api.list(sort="created_at", created_before=charlie).body["data"])
    between = _names(api.list(sort="name", created_after=charlie, created_before=echo).body["data"])

    assert after == ["Bravo Ltd", "Echo Pty"]
    assert before == ["Delta Freight", "alpha Logistics"]
    assert between == ["Bravo Ltd"]


def test_updated_after(api, seeded):
    alpha = seeded["alpha Logistics"]
    changed = api.patch(alpha["id"], {"branch": "West"}, alpha["etag"]).body

    assert _names(api.list(updated_after=seeded["Echo Pty"]["updated_at"]).body["data"]) == ["alpha Logistics"]
    assert changed["updated_at"] > seeded["Echo Pty"]["updated_at"]


def test_fields_and_exclude(api, seeded):
    only = api.list(sort="name", fields="name,code").body["data"][0]
    without = api.list(sort="name", exclude="metadata,etag,id").body["data"][0]

    assert only == {"id": seeded["alpha Logistics"]["id"], "name": "alpha Logistics", "code": "a-1"}
    assert "metadata" not in without and "etag" not in without and without["id"]


@pytest.mark.parametrize("parameter", ["fields", "exclude"])
def test_unknown_columns_are_422(api, parameter):
    reply = api.list(**{parameter: "name,shoe_size"})

    assert reply.status == 422
    assert reply.body["errors"] == [
        {"parameter": parameter, "code": "unknown_column", "message": "'shoe_size' is not a column of a customer"}
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "shoe_size"}, "sort"),
        ({"archived": "maybe"}, "archived"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-01-01T00:00:00"}, "created_after"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(api, query, parameter):
    reply = api.list(**query)

    assert reply.status == 422
    assert [error["parameter"] for error in reply.body["errors"]] == [parameter]


def test_limit_bounds_are_inclusive(api, seeded):
    assert api.list(limit=1).status == 200 and api.list(limit=200).status == 200


def test_unknown_parameters_are_ignored(api, seeded):
    assert len(api.list(shoe_size="42").body["data"]) == 5


def test_include_total_counts_every_match(api, seeded):
    reply = api.list(limit=2, include_total="true", status="active")

    assert reply.body["total"] == 4 and reply.body["total_exact"] is True and len(reply.body["data"]) == 2
    assert "total" not in api.list(limit=2).body and "total_exact" not in api.list(limit=2).body


def _listed(api, time_left_ms=10_000, **query):
    return api.call("customers/list", query={k: str(v) for k, v in query.items()}, time_left_ms=time_left_ms)


def test_a_count_out_of_time_answers_a_lower_bound_not_a_timeout(api, seeded):
    # Less time left than the answer needs: the page is still read, the count is not.
    reply = _listed(api, time_left_ms=1_000, limit=2, include_total="true", status="active")

    assert reply.status == 200 and len(reply.body["data"]) == 2
    assert reply.body["total_exact"] is False and 0 <= reply.body["total"] < 4


def test_a_count_out_of_calls_answers_a_lower_bound(api, seeded, monkeypatch):
    from clientele.store.kernel import listing

    monkeypatch.setattr(listing, "MAX_COUNT_CALLS", 1)  # one partition of the two archived=any reads

    # Time to spare, even on a loaded machine: only the call budget may stop this count.
    reply = _listed(api, time_left_ms=600_000, limit=1, include_total="true", archived="any", status="active")

    assert reply.body["total_exact"] is False and reply.body["total"] == 4


def test_pages_stopped_by_the_deadline_still_walk_every_match_once(api, seeded):
    expected = [c["id"] for c in api.walk(sort="name", archived="any", status="active")]
    seen, cursor = [], None
    for _ in range(20):
        query = {"sort": "name", "archived": "any", "status": "active", "limit": 2}
        reply = _listed(api, time_left_ms=1_000, **query, **({"cursor": cursor} if cursor else {}))
        seen += [c["id"] for c in reply.body["data"]]
        cursor = reply.body["next_cursor"]
        if not reply.body["has_more"]:
            break

    assert seen == expected


def test_pages_follow_the_cursor_exactly_once_in_order(api, seeded):
    first = api.list(sort="name", limit=2)
    second = api.list(sort="name", limit=2, cursor=first.body["next_cursor"])
    third = api.list(sort="name", limit=2, cursor=second.body["next_cursor"])

    assert _names(first.body["data"]) == ["alpha Logistics", "Bravo Ltd"]
    assert _names(second.body["data"]) == ["Charlie Co", "Delta Freight"]
    assert _names(third.body["data"]) == ["Echo Pty"]
    assert first.body["has_more"] and second.body["has_more"] and not third.body["has_more"]


def test_has_more_is_false_when_the_page_holds_the_last_match(api, seeded):
    reply = api.list(limit=5)

    assert len(reply.body["data"]) == 5 and reply.body["has_more"] is False


def test_limit_and_columns_may_change_between_pages(api, seeded):
    first = api.list(sort="name", limit=1)
    rest = api.list(sort="name", limit=10, fields="name", include_total="true", cursor=first.body["next_cursor"])

    assert rest.status == 200 and _names(rest.body["data"])[0] == "Bravo Ltd"


def _tampered(cursor: str) -> str:
    payload, signature = cursor.split(".")
    raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw["p"] = [None]
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "reuse",
    [
        lambda api, cursor: api.list(sort="-name", limit=2, cursor=cursor),
        lambda api, cursor: api.list(sort="name", limit=2, status="active", cursor=cursor),
        lambda api, cursor: api.list(sort="name", limit=2, archived="any", cursor=cursor),
        lambda api, cursor: api.as_caller(tenant_id=new_tenant()).list(sort="name", limit=2, cursor=cursor),
        lambda api, cursor: api.as_caller(role="courier", organization_id="org-a").list(sort="name", cursor=cursor),
        lambda api, cursor: api.list(sort="name", limit=2, cursor=_tampered(cursor)),
        lambda api, cursor: api.list(sort="name", limit=2, cursor=cursor[:-3]),
        lambda api, cursor: api.list(sort="name", limit=2, cursor="garbage"),
    ],
    ids=["other sort", "other filter", "other shelf", "other tenant", "other scope", "tampered", "cut", "garbage"],
)
def test_cursors_only_work_for_their_own_query(api, seeded, reuse):
    cursor = api.list(sort="name", limit=2).body["next_cursor"]

    reply = reuse(api, cursor)

    assert reply.status == 400
    assert reply.body["type"] == "/problems/malformed-request"


def test_organization_scoped_callers_only_see_their_organization(api, seeded):
    courier = api.as_caller(role="courier", organization_id="org-a")

    assert _names(courier.list().body["data"]) == ["Delta Freight"]
    assert _names(courier.list(organization_id="org-b").body["data"]) == ["Delta Freight"]
    assert _names(courier.list(archived="any", q="Bravo").body["data"]) == []


def test_other_tenants_see_nothing(api, seeded):
    assert api.as_caller(tenant_id=new_tenant()).list(archived="any").body["data"] == []


def test_a_page_is_one_query_and_archived_any_two(api, seeded, dynamodb_calls):
    api.list(sort="name", limit=2)
    single = list(dynamodb_calls)
    dynamodb_calls.clear()
    api.list(sort="name", archived="any", status="active")

    assert single == ["Query"]
    assert dynamodb_calls == ["Query", "Query"]


@pytest.fixture(scope="module")
def thousand(aws):
    """1,200 customers in one tenant: names cycle so sorts have ties broken by id."""
    caller = admin(aws)
    for index in range(1200):
        body = {
            "name": f"Customer {index % 300:03d}",
            "code": f"C{index:05d}" if index % 3 else None,
            "status": "inactive" if index % 4 == 0 else "active",
            "branch": "Rare" if index % 300 == 299 else None,
        }
        caller.created({name: value for name, value in body.items() if value is not None})
    return caller


@pytest.mark.parametrize("sort", ["name", "-code", "-created_at", "updated_at"])
def test_walking_1200_customers_returns_each_once_in_order(thousand, sort):
    items = thousand.walk(sort=sort, limit=97)

    assert len(items) == 1200
    assert len({item["id"] for item in items}) == 1200
    field = sort.lstrip("-")
    if field == "name":
        keys = [(item["name"].casefold(), item["id"]) for item in items]
    elif field == "code":
        keys = [(item["code"] is None, (item["code"] or "").casefold(), item["id"]) for item in items]
    else:
        keys = [(item[field], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_walking_with_a_filter_returns_every_match_once(thousand):
    items = thousand.walk(status="inactive", sort="name", limit=50)

    assert len(items) == 300
    assert all(item["status"] == "inactive" for item in items)
    assert len({item["id"] for item in items}) == 300


def test_a_page_stops_at_its_query_budget_and_the_walk_still_finds_every_match(thousand, monkeypatch, dynamodb_calls):
    from clientele.store.kernel import listing

    real_call = listing.call

    def small_pages(operation, **params):
        # DynamoDB stops a Query at 1 MB; pretend that is every 100 customers here.
        return real_call(operation, **{"Limit": 100, **params})

    monkeypatch.setattr(listing, "call", small_pages)
    monkeypatch.setattr(listing, "MAX_CALLS_PER_PAGE", 2)
    first = thousand.list(branch="Rare", sort="created_at", limit=10)
    assert dynamodb_calls.count("Query") == 2

    items = thousand.walk(branch="Rare", sort="created_at", limit=10)

    assert len(items) == 4 and {item["name"] for item in items} == {"Customer 299"}
    assert first.body["has_more"] is True

"""CSV imports (API.md §6): unchanged rows, customer numbers, CR-only files, and previews that tell the truth.

- A re-imported row that changes nothing is `unchanged`: no write, same version and ETag,
  and the re-import costs batched reads, not a request per row.
- Imports reserve the customer numbers they use, not blocks of 500.
- CR-only files import like CRLF files, split into ranges too; a header quote that never
  closes fails the job with `malformed_header`.
- A preview reports exactly what its commit does, rows repeating a key of the file included.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.harness import run_import_worker
from tests.integration.test_imports import (
    HEADER,
    _start,
    comparable,
    duplicated_rows_csv,
    imported,
    job_of,
    rows_csv,
    sku_pages,
    upload,
)

ADDRESSED = (
    "code,name,email,phone,address_line1,address_city,address_postal_code,address_country,billing_line1,billing_country\r\n"
    "A1,Acme Freight,ops@acme.example,+61 2 9000 0001,1 George St,Sydney,2000,AU,,\r\n"
    "B2,Bravo Logistics,,,2 Pitt St,Sydney,2001,AU,PO Box 7,AU\r\n"
    "C3,Charlie Pty,c@charlie.example,,3 King St,,2002,AU,3 King St,AU\r\n"
)


def by_code(api) -> dict[str, dict]:
    """Every customer of the tenant as GET shows it, by code."""
    found = {}
    for listed in api.walk():
        reply = api.get(listed["id"])
        assert reply.status == 200, reply.body
        found[reply.body["code"]] = reply.body
    return found


# ---------------------------------------------------------------- unchanged rows


def test_reimporting_the_same_file_changes_nothing(aws, api, stored):
    first = imported(aws, api, ADDRESSED.encode())
    assert first["counts"]["created"] == 3, first
    before = by_code(api)
    items_before = comparable(stored, api)

    again = imported(aws, api, ADDRESSED.encode())

    assert again["status"] == "succeeded", again
    assert again["counts"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "skipped": 0, "failed": 0}
    after = by_code(api)
    for code, customer in before.items():
        assert (after[code]["version"], after[code]["etag"]) == (customer["version"], customer["etag"])
        assert after[code]["updated_at"] == customer["updated_at"]
    assert comparable(stored, api) == items_before


def test_changed_rows_are_updated_once_and_the_others_keep_their_version(aws, api):
    imported(aws, api, ADDRESSED.encode())
    before = by_code(api)
    changed = ADDRESSED.replace("ops@acme.example", "desk@acme.example").replace("2 Pitt St", "20 Pitt St")

    job = imported(aws, api, changed.encode())

    assert job["counts"] == {"rows": 3, "created": 0, "updated": 2, "unchanged": 1, "skipped": 0, "failed": 0}
    after = by_code(api)
    assert after["A1"]["emails"] == ["desk@acme.example"] and after["A1"]["version"] == before["A1"]["version"] + 1
    assert after["B2"]["default_shipping_address"]["line1"] == "20 Pitt St"
    assert after["B2"]["version"] == before["B2"]["version"] + 1
    assert after["B2"]["default_billing_address"]["line1"] == "PO Box 7"
    assert (after["C3"]["version"], after["C3"]["etag"]) == (before["C3"]["version"], before["C3"]["etag"])
    assert len(after["B2"]["addresses"]) == len(before["B2"]["addresses"])


def test_a_preview_of_the_same_file_counts_its_rows_unchanged(aws, api):
    imported(aws, api, ADDRESSED.encode())

    preview = imported(aws, api, ADDRESSED.encode(), mode="preview")

    assert preview["counts"]["unchanged"] == 3 and preview["counts"]["updated"] == 0
    assert [row["action"] for row in preview["preview_rows"]] == ["unchanged"] * 3


def reimport_calls(aws, api, dynamodb_calls, data: bytes) -> tuple[dict, Counter]:
    """Import the file again; the job and the worker's DynamoDB calls (the upload's and the job's included)."""
    job = _start(api)
    dynamodb_calls.clear()
    upload(aws, api, job, data)
    run_import_worker(aws)
    calls = Counter(dynamodb_calls)
    return job_of(api, job["id"]), calls


def test_an_unchanged_reimport_costs_batched_reads_not_a_request_per_row(aws, api, dynamodb_calls):
    imported(aws, api, rows_csv(1000))

    job, calls = reimport_calls(aws, api, dynamodb_calls, rows_csv(1000))

    assert job["counts"]["unchanged"] == 1000, job
    # Per 100 rows: one BatchGetItem for the codes' holders, one for the customers; their stamps vouch
    # for the rows, so no address is read. Besides: the job's own requests (create, start, checkpoint, finish).
    assert calls["Query"] == 0 and calls["TransactWriteItems"] <= 2, calls
    assert calls["BatchGetItem"] <= 2 * 1000 / 100 + 2, calls
    assert calls.total() <= 0.02 * 1000 + 12, calls


def test_rows_the_stamp_cannot_vouch_for_read_the_address_book(aws, api, dynamodb_calls):
    imported(aws, api, rows_csv(1000))
    first = api.list(limit=1).body["data"][0]
    assert api.patch(first["id"], {"branch": "Touched"}, "*").status == 200  # a new version: its stamp is stale

    job, calls = reimport_calls(aws, api, dynamodb_calls, rows_csv(1000))

    assert job["counts"]["unchanged"] == 1000, job  # the row doesn't set branch: still nothing to write
    assert calls["BatchGetItem"] == 2 * 1000 / 100 + 1, calls  # one more batch: that customer's address book


def test_a_change_made_through_the_api_after_an_import_is_seen_by_the_next_import(aws, api):
    imported(aws, api, ADDRESSED.encode())
    bravo = by_code(api)["B2"]
    moved = api.patch_address(bravo["id"], bravo["default_billing_address_id"], {"line1": "PO Box 8"})
    assert moved.status == 200, moved.body

    job = imported(aws, api, ADDRESSED.encode())

    assert job["counts"]["updated"] == 1 and job["counts"]["unchanged"] == 2, job
    assert by_code(api)["B2"]["default_billing_address"]["line1"] == "PO Box 7"


def test_the_stamp_is_never_shown_and_rows_with_a_password_are_never_stamped(aws, api, stored):
    with_password = "code,name,password\r\nP1,Pass Holder,correct horse battery staple\r\nP2,No Password,\r\n"
    job = imported(aws, api, with_password.encode(), mode="preview")
    assert all("import_stamp" not in row.get("customer", {}) for row in job["preview_rows"]), job
    imported(aws, api, with_password.encode())

    customers = by_code(api)
    items = {item["code"]: item for item in stored(f"T#{api.tenant}#C#") if item.get("entity") == "customer"}
    assert "import_stamp" not in items["P1"] and "import_stamp" in items["P2"]
    assert all("import_stamp" not in customer for customer in customers.values())
    assert all("import_stamp" not in listed for listed in api.walk())


def test_rows_changing_one_field_cost_a_tenth_of_a_request_each_at_most(aws, api, dynamodb_calls):
    imported(aws, api, rows_csv(200))

    job, calls = reimport_calls(aws, api, dynamodb_calls, rows_csv(200).replace(b"@example.com", b"@example.org"))

    assert job["counts"]["updated"] == 200, job
    assert calls["Query"] == 0 and calls.total() / 200 <= 0.1, calls


def test_a_customer_changed_after_the_import_read_it_is_not_overwritten(aws, api, monkeypatch):
    from clientele.domain.imports import rows as import_rows

    imported(aws, api, ADDRESSED.encode())
    acme = by_code(api)["A1"]
    real_load = import_rows.customer_store.load_many

    def load_then_someone_patches(tenant, customer_ids):
        found = real_load(tenant, customer_ids)
        reply = api.patch(acme["id"], {"branch": "Patched meanwhile"}, "*")
        assert reply.status == 200, reply.body
        return found

    monkeypatch.setattr(import_rows.customer_store, "load_many", load_then_someone_patches)
    job = imported(aws, api, ADDRESSED.replace("Acme Freight", "Acme Renamed").encode())

    assert job["counts"]["failed"] == 1 and job["counts"]["unchanged"] == 2, job
    [error] = job["errors_sample"]
    assert error["row"] == 1 and error["code"] == "changed_during_import"
    after = api.get(acme["id"]).body
    assert after["branch"] == "Patched meanwhile" and after["name"] == "Acme Freight"


def test_a_sku_mapping_row_naming_its_product_again_is_unchanged(aws, api):
    customer = api.created({"name": "Mapped"})
    data = b"customer_sku,product_id\r\nA-1,P1\r\nA-2,P2\r\n"
    imported(aws, api, data, type="sku_mappings", customer_id=customer["id"])
    before = sku_pages(api, customer["id"])

    job = imported(aws, api, data.replace(b"P2", b"P2b"), type="sku_mappings", customer_id=customer["id"])

    assert job["counts"] == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "skipped": 0, "failed": 0}
    after = sku_pages(api, customer["id"])
    assert after["A-1"] == before["A-1"]
    assert after["A-2"]["product_id"] == "P2b" and after["A-2"]["id"] == before["A-2"]["id"]


# ---------------------------------------------------------------- customer numbers


def counter_value(stored, api) -> int:
    [counter] = [item for item in stored(f"T#{api.tenant}#COUNTER") if item["sk"] == "customer_number"]
    return int(counter["value"])


def test_small_imports_reserve_only_the_numbers_they_use(aws, api, stored):
    files = [
        HEADER + "N1,One,,,,\r\nN2,Two,,,,\r\n",
        HEADER + "N1,One again,,,,\r\nN3,Three,,,,\r\n,,bad,,,\r\n",  # an update, a creation, a failed row
        HEADER + "N4,Four,,,,\r\nN4,Four again,,,,\r\nN5,Five,,,,\r\n",  # a repeated key: one creation
        HEADER + "N1,One again,,,,\r\n",  # unchanged
    ] + [HEADER + f"M{n},Many {n},,,,\r\n" for n in range(13)]
    for data in files:
        imported(aws, api, data.encode())

    numbers = sorted(customer["number"] for customer in api.walk())
    assert numbers == list(range(1, 19))  # 5 + 13 customers, numbered without a gap
    assert counter_value(stored, api) == 18


def test_numbers_left_in_a_checkpoint_are_used_by_the_next_run(aws, api, stored):
    job = _start(api)
    upload(aws, api, job, rows_csv(150))
    calls = {"n": 0}

    def time_left() -> int:
        calls["n"] += 1
        return 900_000 if calls["n"] % 2 else 1_000  # out of time after every chunk

    assert run_import_worker(aws, time_left_ms=time_left) > 2
    assert job_of(api, job["id"])["counts"]["created"] == 150
    assert sorted(customer["number"] for customer in api.walk()) == list(range(1, 151))
    assert counter_value(stored, api) == 150


# ---------------------------------------------------------------- CR-only files and headers


CR_ROWS = (
    "code,name,notes,email,address_line1,address_postal_code,address_country\r\n"
    'K1,"Kilo, Inc","North\rwing",k@kilo.example,1 Collins St,3000,AU\r\n'
    "K2,Lima,,not-an-email,2 Collins St,3001,AU\r\n"
    "\r\n"
    "K3,Mike,,,3 Collins St,3002,AU\r\n"
)


def test_a_cr_only_file_imports_like_the_same_file_with_crlf(aws, api, stored):
    crlf_tenant = api.as_caller(tenant_id=f"{api.tenant}-crlf")
    crlf = imported(aws, crlf_tenant, CR_ROWS.encode())

    job = imported(aws, api, CR_ROWS.replace("\r\n", "\r").encode())

    assert job["status"] == "completed_with_errors", job
    assert job["warnings"] == crlf["warnings"] and [w["column"] for w in job["warnings"]] == ["notes"]
    assert (
        job["counts"]
        == crlf["counts"]
        == {
            "rows": 3,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "skipped": 0,
            "failed": 1,
        }
    )
    [error] = job["errors_sample"]
    assert (error["row"], error["line"], error["column"]) == (2, 4, "email")  # the quoted CR is a line too
    assert [(e["row"], e["line"]) for e in crlf["errors_sample"]] == [(2, 3)]
    kilo = by_code(api)["K1"]
    assert kilo["name"] == "Kilo, Inc" and kilo["default_shipping_address"]["postal_code"] == "3000"
    assert comparable(stored, api) == comparable(stored, crlf_tenant)


def test_a_cr_only_file_split_into_ranges_imports_like_one_range(aws, api, stored, monkeypatch):
    from clientele.domain.imports import runs as import_runs

    data = duplicated_rows_csv(200).replace(b"\r\n", b"\r")
    single = api.as_caller(tenant_id=f"{api.tenant}-single")
    single_job = imported(aws, single, data)

    monkeypatch.setattr(import_runs, "RANGE_BYTES", 2_000)
    split_job = imported(aws, api, data)

    assert single_job["status"] == split_job["status"] == "succeeded", split_job
    assert single_job["counts"]["rows"] == 200
    assert split_job["counts"] == single_job["counts"]
    assert comparable(stored, api) == comparable(stored, single)


@pytest.mark.parametrize("data", [b'code,"name\r\nA1,Acme\r\n', b'code;name;"email\nA1;Acme;a@x.example\n'])
def test_a_header_quote_that_never_closes_fails_the_job_as_a_malformed_header(aws, api, data):
    job = imported(aws, api, data)

    assert job["status"] == "failed", job
    assert job["error"] == {"code": "malformed_header", "message": "the header has a quote that is never closed"}


# ---------------------------------------------------------------- previews tell what the commit does


REPEATS = "code,external_id,name,email,address_line1,address_postal_code,address_country\r\n" + (
    "D1,,First,,,,\r\n"  # created
    "D1,,Second,,,,\r\n"  # matches the customer row 1 creates
    ",X-9,Xavier,,1 A St,2000,AU\r\n"  # created (by external id)
    "E1,X-9,Xavier Renamed,,,,\r\n"  # matches row 3's customer by external id, gives it code E1
    "E1,,,e@echo.example,,,\r\n"  # matches it again, by the code row 4 gave it
    ",,Xavier Renamed,,9 B St,2000,AU\r\n"  # nothing to match; name + postal code of row 4's customer
    "EXIST,,Existing,,,,\r\n"  # matches a customer created before the import
    "EXIST,,Existing,,,,\r\n"
    "D1,,Third,x@bad,,,\r\n"  # fails (email)
    "N9,,November,,,,\r\n"
)


def test_a_row_meets_the_code_an_earlier_row_of_its_chunk_gives_a_customer(aws, api):
    # Row 3 can't be created (no name): it must wait for row 2's write and update that customer.
    data = b"code,external_id,name,email\r\n,X-9,Xavier,\r\nE1,X-9,Xavier Renamed,\r\nE1,,,e@echo.example\r\n"
    job = imported(aws, api, data)

    assert job["counts"] == {"rows": 3, "created": 1, "updated": 2, "unchanged": 0, "skipped": 0, "failed": 0}, job
    [customer] = by_code(api).values()
    assert (customer["code"], customer["name"], customer["emails"]) == ("E1", "Xavier Renamed", ["e@echo.example"])


@pytest.mark.parametrize("on_conflict", ["update", "skip", "error"])
def test_a_preview_counts_what_its_commit_does_with_keys_repeated_in_the_file(aws, api, on_conflict):
    api.created({"name": "Existing", "code": "EXIST"})

    preview = imported(aws, api, REPEATS.encode(), mode="preview", on_conflict=on_conflict)
    reply = api.call("imports/commit", path={"job_id": preview["id"]})
    assert reply.status == 202, reply.body
    run_import_worker(aws)
    commit = job_of(api, reply.body["id"])

    assert preview["counts"] == commit["counts"], (preview["counts"], commit["counts"])
    assert [(e["row"], e["code"], e["column"]) for e in preview["errors_sample"]] == [
        (e["row"], e["code"], e["column"]) for e in commit["errors_sample"]
    ]
    assert len(api.walk()) == 1 + commit["counts"]["created"]


def test_preview_rows_show_what_each_row_would_do(aws, api):
    api.created({"name": "Existing", "code": "EXIST"})

    preview = imported(aws, api, REPEATS.encode(), mode="preview")

    actions = {row["row"]: row["action"] for row in preview["preview_rows"]}
    assert actions == {
        1: "created",
        2: "updated",
        3: "created",
        4: "updated",
        5: "updated",
        7: "unchanged",
        8: "unchanged",
        10: "created",
    }  # rows 6 (name + postal code taken by row 4's customer) and 9 (bad email) failed
    assert preview["counts"] == {"rows": 10, "created": 3, "updated": 3, "unchanged": 2, "skipped": 0, "failed": 2}
    assert [(e["row"], e["code"]) for e in preview["errors_sample"]] == [(6, "conflict"), (9, "invalid_email")]
    assert api.walk()[0]["name"] == "Existing" and len(api.walk()) == 1  # a preview writes no customer


def test_a_split_preview_counts_what_its_commit_does(aws, api, monkeypatch):
    from clientele.domain.imports import runs as import_runs

    monkeypatch.setattr(import_runs, "RANGE_BYTES", 2_000)
    preview = imported(aws, api, duplicated_rows_csv(200), mode="preview")
    reply = api.call("imports/commit", path={"job_id": preview["id"]})
    run_import_worker(aws)
    commit = job_of(api, reply.body["id"])

    assert commit["status"] == "succeeded" and commit["counts"]["updated"] > 0, commit
    assert preview["counts"] == commit["counts"]


def test_a_sku_preview_counts_what_its_commit_does(aws, api):
    customer = api.created({"name": "Mapped"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "OLD", "product_id": "P0"})
    data = b"customer_sku,product_id\r\nA,P1\r\nA,P2\r\nOLD,P0\r\nOLD,P9\r\nA,P2\r\n"

    preview = imported(aws, api, data, mode="preview", type="sku_mappings", customer_id=customer["id"])
    reply = api.call("imports/commit", path={"job_id": preview["id"]})
    run_import_worker(aws)
    commit = job_of(api, reply.body["id"])

    assert (
        preview["counts"]
        == commit["counts"]
        == {
            "rows": 5,
            "created": 1,
            "updated": 2,
            "unchanged": 2,
            "skipped": 0,
            "failed": 0,
        }
    )
    assert [row["action"] for row in preview["preview_rows"]] == [
        "created",
        "updated",
        "unchanged",
        "updated",
        "unchanged",
    ]

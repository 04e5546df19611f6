"""CSV imports through S3 (API.md §6): uploads, drops, previews, commits, row errors, checkpoints."""

from __future__ import annotations

import pytest

from tests.harness import run_import_worker, run_job_worker


def _start(api, **body):
    reply = api.call("imports/create", body={"type": "customers", **body})
    assert reply.status == 201, reply.body
    return reply.body


def upload(aws, api, job, data: bytes):
    key = f"uploads/{api.tenant}/{job['id']}.csv"
    aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=data)


def job_of(api, job_id):
    reply = api.job(job_id)
    assert reply.status == 200, reply.body
    return reply.body


def imported(aws, api, data: bytes, **body):
    job = _start(api, **body)
    upload(aws, api, job, data)
    run_import_worker(aws)
    return job_of(api, job["id"])


CSV = (
    "code,name,email,address_line1,address_postal_code,address_country\r\n"
    "C001,Acme Freight,ops@acme.example,1 George St,2000,AU\r\n"
    "C002,Bravo Logistics,,2 Pitt St,2001,AU\r\n"
)


def test_a_committed_import_creates_every_row(aws, api):
    job = imported(aws, api, CSV.encode())

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    names = sorted(item["name"] for item in api.walk())
    assert names == ["Acme Freight", "Bravo Logistics"]


def test_a_second_import_of_the_same_rows_updates_them(aws, api):
    imported(aws, api, CSV.encode())
    job = imported(aws, api, CSV.replace("Acme Freight", "Acme Freight Pty").encode())

    # Bravo's row says what Bravo already is: unchanged.
    assert job["counts"] == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "skipped": 0, "failed": 0}
    assert sorted(item["name"] for item in api.walk()) == ["Acme Freight Pty", "Bravo Logistics"]


def test_a_bad_row_fails_alone_with_its_row_and_column(aws, api):
    data = CSV + "C003,Charlie,not-an-email,3 King St,2002,AU\r\n"
    job = imported(aws, api, data.encode())

    assert job["status"] == "completed_with_errors"
    assert job["counts"]["created"] == 2 and job["counts"]["failed"] == 1
    assert job["errors_sample"][0]["row"] == 3 and job["errors_sample"][0]["line"] == 4
    assert job["errors_sample"][0]["column"] == "email"


def test_a_preview_writes_nothing(aws, api):
    job = imported(aws, api, CSV.encode(), mode="preview")

    assert job["status"] == "succeeded" and job["counts"]["created"] == 2
    assert len(job["preview_rows"]) == 2
    assert api.walk() == []


@pytest.mark.parametrize("on_conflict", ["skip", "error"])
def test_on_conflict_skip_and_error(aws, api, on_conflict):
    imported(aws, api, CSV.encode())
    job = imported(aws, api, CSV.encode(), on_conflict=on_conflict)

    key = "skipped" if on_conflict == "skip" else "failed"
    assert job["counts"][key] == 2


# ---------------------------------------------------------------- S3 drops


def drop(aws, key: str, data: bytes) -> None:
    aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=data)


def jobs_of(api, **query):
    reply = api.call("jobs/list", query={name: str(value) for name, value in query.items()})
    assert reply.status == 200, reply.body
    return reply.body["data"]


def test_an_object_at_a_drop_key_runs_a_commit_import(aws, api):
    drop(aws, f"drop/{api.tenant}/customers/weekly export.csv", CSV.encode())
    run_import_worker(aws)

    [job] = jobs_of(api)
    assert job["source"] == "drop" and job["mode"] == "commit" and job["on_conflict"] == "update"
    assert job["filename"] == "weekly export.csv"
    assert job["status"] == "succeeded" and job["counts"]["created"] == 2


def test_the_same_drop_event_five_times_imports_once(aws, api):
    key = f"drop/{api.tenant}/customers/once.csv"
    drop(aws, key, CSV.encode())
    queue = aws.resources.queues["ImportQueue"]
    [message] = aws.clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
    for _ in range(4):
        aws.clients.sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
    aws.clients.sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )

    assert run_import_worker(aws) == 5
    [job] = jobs_of(api)
    assert job["counts"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    assert len(api.walk()) == 2


def test_the_same_bytes_put_again_do_not_import_again_but_new_bytes_do(aws, api):
    key = f"drop/{api.tenant}/customers/daily.csv"
    drop(aws, key, CSV.encode())
    run_import_worker(aws)
    drop(aws, key, CSV.encode())
    run_import_worker(aws)
    assert len(jobs_of(api)) == 1

    drop(aws, key, CSV.replace("Bravo Logistics", "Bravo Logistics Ltd").encode())
    run_import_worker(aws)
    newest = jobs_of(api)[0]
    assert len(jobs_of(api)) == 2 and newest["counts"]["updated"] == 1 and newest["counts"]["unchanged"] == 1


def test_drops_outside_the_known_layout_are_ignored(aws, api):
    drop(aws, f"drop/{api.tenant}/elsewhere/file.csv", CSV.encode())
    drop(aws, f"drop/{api.tenant}/sku-mappings/not-a-customer/file.csv", b"customer_sku,product_id\r\nA,B\r\n")
    run_import_worker(aws)

    assert jobs_of(api) == []


def test_s3_test_events_are_ignored(aws, api):
    queue = aws.resources.queues["ImportQueue"]
    aws.clients.sqs.send_message(QueueUrl=queue, MessageBody='{"Service":"Amazon S3","Event":"s3:TestEvent"}')

    assert run_import_worker(aws) == 1
    assert aws.clients.sqs.receive_message(QueueUrl=queue).get("Messages") is None


# ---------------------------------------------------------------- jobs and errors


def test_jobs_list_newest_first_with_filters(aws, api):
    first = imported(aws, api, CSV.encode(), mode="preview")
    second = imported(aws, api, (CSV + "C003,,,,,\r\n").encode())

    assert [job["id"] for job in jobs_of(api)] == [second["id"], first["id"]]
    assert [job["id"] for job in jobs_of(api, status="completed_with_errors")] == [second["id"]]
    assert jobs_of(api, type="bulk_delete") == []
    assert api.call("jobs/list", query={"status": "nope"}).status == 422


def test_errors_page_with_cursor_and_as_csv(aws, api):
    rows = "".join(f"X{n:03d},,bad,,,\r\n" for n in range(5))
    job = imported(aws, api, ("code,name,email,address_line1,address_postal_code,address_country\r\n" + rows).encode())
    assert job["counts"]["failed"] == 5

    everything, query = [], {"limit": "3"}
    while True:
        page = api.call("jobs/list_errors", path={"job_id": job["id"]}, query=query)
        assert page.status == 200 and len(page.body["data"]) <= 3
        everything += page.body["data"]
        if not page.body["has_more"]:
            break
        query = {"limit": "3", "cursor": page.body["next_cursor"]}
    assert [error["row"] for error in everything] == sorted(error["row"] for error in everything)
    assert {error["row"] for error in everything} == {1, 2, 3, 4, 5}
    assert {error["column"] for error in everything} == {"name", "email"}

    as_csv = api.call("jobs/list_errors", path={"job_id": job["id"]}, query={"format": "csv"})
    assert as_csv.status == 200 and as_csv.header("content-type").startswith("text/csv")
    lines = as_csv.body.splitlines()
    assert lines[0] == "row,line,column,code,message" and len(lines) == 1 + len(everything)


def test_another_tenants_job_is_404(aws, api):
    job = imported(aws, api, CSV.encode())
    other = api.as_caller(tenant_id="someone-else")

    assert other.job(job["id"]).status == 404
    assert other.call("jobs/list_errors", path={"job_id": job["id"]}).status == 404
    assert other.call("imports/commit", path={"job_id": job["id"]}).status == 404


def test_committing_a_preview_imports_the_same_file(aws, api):
    preview = imported(aws, api, CSV.encode(), mode="preview", on_conflict="skip")
    reply = api.call("imports/commit", path={"job_id": preview["id"]})
    assert reply.status == 202 and reply.header("location") == f"/v1/jobs/{reply.body['id']}"
    assert reply.body["mode"] == "commit" and reply.body["source_job_id"] == preview["id"]
    assert reply.body["on_conflict"] == "skip"
    run_import_worker(aws)

    assert job_of(api, reply.body["id"])["counts"]["created"] == 2
    assert api.call("imports/commit", path={"job_id": reply.body["id"]}).status == 409


def test_import_request_validation(aws, api):
    assert api.call("imports/create", body={"type": "orders"}).status == 422
    assert api.call("imports/create", body={"type": "customers", "surprise": 1}).status == 422
    assert api.call("imports/create", body={"type": "sku_mappings"}).status == 422
    assert api.call("imports/create", body={"type": "customers", "customer_id": "cus_x"}).status == 422
    missing = api.call("imports/create", body={"type": "sku_mappings", "customer_id": "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"})
    assert missing.status == 404


def test_the_upload_is_a_presigned_put(aws, api):
    job = _start(api, filename="customers.csv")

    assert job["status"] == "awaiting_upload"
    assert job["upload"]["method"] == "PUT" and f"uploads/{api.tenant}/{job['id']}.csv" in job["upload"]["url"]
    assert "X-Amz-Signature" in job["upload"]["url"]


def test_idempotency_key_replays_the_created_job(aws, api):
    headers = {"Idempotency-Key": "import-1"}
    first = api.call("imports/create", body={"type": "customers"}, headers=headers)
    again = api.call("imports/create", body={"type": "customers"}, headers=headers)

    assert again.status == 201 and again.body["id"] == first.body["id"]
    assert again.header("idempotent-replayed") == "true"


def test_sku_mapping_imports_need_sku_write(aws, api):
    customer = api.created({"name": "Acme"})
    narrow = api.as_caller(scope="customer:read customer:import")
    reply = narrow.call("imports/create", body={"type": "sku_mappings", "customer_id": customer["id"]})

    assert reply.status == 403


# ---------------------------------------------------------------- chunks, checkpoints, budget

HEADER = "code,name,email,address_line1,address_postal_code,address_country\r\n"


def rows_csv(count: int, start: int = 0) -> bytes:
    rows = "".join(
        f"R{n:05d},Customer {n},c{n}@example.com,{n} Main St,{2000 + n % 50},AU\r\n"
        for n in range(start, start + count)
    )
    return (HEADER + rows).encode()


def comparable(stored, api) -> list[dict]:
    """Every customer item and address item of the tenant, without what differs between two runs
    (ids, numbers, timestamps), grouped by customer code."""
    volatile = {"id", "number", "customer_id", "created_at", "updated_at", "created_by", "updated_by", "pk", "sk"}
    volatile |= {"sort_name", "sort_code", "sort_created", "sort_updated", "postal_sort", "address_ids"}
    volatile |= {"default_shipping_address_id", "default_billing_address_id", "unique_values", "lookup_key"}
    volatile |= {"tenant_id", "tenant_list", "org_list", "postal_key"}  # they name the tenant
    customers: dict[str, dict] = {}
    addresses: dict[str, list] = {}
    for item in stored(f"T#{api.tenant}#C#"):
        clean = {key: value for key, value in item.items() if key not in volatile}
        if item["sk"] == "CUSTOMER":
            customers[item["pk"]] = clean
        else:
            addresses.setdefault(item["pk"], []).append(clean)
    return sorted(
        ({**customer, "addresses": sorted(map(repr, addresses.get(pk, [])))} for pk, customer in customers.items()),
        key=lambda customer: customer["code"],
    )


def test_a_thousand_rows_take_at_most_a_tenth_of_a_request_per_row(aws, api, dynamodb_calls):
    job = _start(api)
    upload(aws, api, job, rows_csv(1000))
    dynamodb_calls.clear()
    run_import_worker(aws)

    assert job_of(api, job["id"])["counts"]["created"] == 1000
    from collections import Counter

    assert len(dynamodb_calls) / 1000 <= 0.1, Counter(dynamodb_calls)


def test_a_crash_after_any_chunk_resumes_to_the_same_result(aws, api, stored, monkeypatch):
    from clientele.store.imports import checkpoints as import_jobs

    clean_run = api.as_caller(tenant_id=f"{api.tenant}-clean")
    imported(aws, clean_run, rows_csv(120))

    real_commit = import_jobs.commit_chunk
    commits = {"n": 0}

    def crash_after_the_second_chunk(*args, **kwargs):
        result = real_commit(*args, **kwargs)
        commits["n"] += 1
        if commits["n"] == 2:
            raise RuntimeError("the worker died right after committing a chunk")
        return result

    monkeypatch.setattr(import_jobs, "commit_chunk", crash_after_the_second_chunk)
    job = imported(aws, api, rows_csv(120))

    assert commits["n"] > 2, "the import did not resume"
    assert job["status"] == "succeeded" and job["counts"]["created"] == 120 and job["counts"]["rows"] == 120
    assert comparable(stored, api) == comparable(stored, clean_run)


def test_a_worker_out_of_time_continues_in_a_new_run(aws, api):
    job = _start(api)
    upload(aws, api, job, rows_csv(100))
    calls = {"n": 0}

    def time_left() -> int:
        calls["n"] += 1
        return 900_000 if calls["n"] % 3 else 1_000  # every third check: time is running out

    deliveries = run_import_worker(aws, time_left_ms=time_left)

    assert deliveries > 1
    done = job_of(api, job["id"])
    assert done["status"] == "succeeded" and done["counts"]["created"] == 100


def test_rows_of_a_file_apply_in_order_when_a_key_repeats(aws, api):
    data = HEADER + "D1,First,,,,\r\nD1,Second,,,,\r\nD1,Third,,,,\r\n"
    job = imported(aws, api, data.encode())

    assert job["counts"] == {"rows": 3, "created": 1, "updated": 2, "unchanged": 0, "skipped": 0, "failed": 0}
    [customer] = api.walk()
    assert customer["name"] == "Third"


def test_a_repeated_key_with_on_conflict_error_fails_the_later_rows(aws, api):
    data = HEADER + "D1,First,,,,\r\nD1,Second,,,,\r\n"
    job = imported(aws, api, data.encode(), on_conflict="error")

    assert job["counts"]["created"] == 1 and job["counts"]["failed"] == 1
    assert job["errors_sample"][0]["row"] == 2 and job["errors_sample"][0]["code"] == "conflict"


def test_an_update_merges_only_non_empty_cells(aws, api):
    customer = api.created({"name": "Acme", "code": "M1", "branch": "North", "emails": ["a@acme.example"]})
    data = "code,name,branch,email\r\nM1,,South,\r\n"
    imported(aws, api, data.encode())

    after = api.get(customer["id"]).body
    assert after["name"] == "Acme" and after["branch"] == "South" and after["emails"] == ["a@acme.example"]


def test_rows_match_by_external_id_when_the_code_is_unknown(aws, api):
    customer = api.created({"name": "Acme", "external_id": "ERP-7"})
    job = imported(aws, api, b"code,external_id,name\r\nNEW1,ERP-7,Acme Renamed\r\n")

    assert job["counts"]["updated"] == 1
    after = api.get(customer["id"]).body
    assert after["code"] == "NEW1" and after["name"] == "Acme Renamed"


def test_a_row_taking_another_customers_unique_value_fails_with_the_holder(aws, api):
    holder = api.created({"name": "Holder", "external_id": "X-1"})
    job = imported(aws, api, b"code,external_id,name\r\nZ1,,Zed\r\nZ2,X-1,Other\r\n".replace(b"Z2,X-1", b"Z1,X-1"))

    assert job["counts"]["failed"] == 1
    assert holder["id"] in job["errors_sample"][0]["message"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\xef\xbb\xbf", "empty_file"),
        (b"\xff\xfe\x00n\x00a\r\n", "undecodable_header"),
        (b"\r\nname\r\nAcme\r\n", "no_header"),
        (b"foo,bar\r\n1,2\r\n", "no_known_column"),
    ],
)
def test_an_unusable_header_fails_the_job(aws, api, data, code):
    job = imported(aws, api, data)

    assert job["status"] == "failed" and job["error"]["code"] == code, job


def test_a_header_only_file_succeeds_with_nothing_to_do(aws, api):
    job = imported(aws, api, HEADER.encode())

    assert job["status"] == "succeeded" and job["counts"]["rows"] == 0


def test_unknown_columns_are_warned_about_once(aws, api):
    job = imported(aws, api, b"name,favourite colour,Shoe Size\r\nAcme,red,9\r\nBeta,blue,10\r\n")

    assert job["status"] == "succeeded"
    assert [warning["column"] for warning in job["warnings"]] == ["favourite colour", "Shoe Size"]


def test_bom_semicolons_lf_and_aliases(aws, api):
    data = "\ufeffCompanyNumber;Name;zip;Street;Country\nK1;Kilo;3000;1 Collins St;AU\n".encode()
    job = imported(aws, api, data)

    assert job["status"] == "succeeded", job
    [customer] = api.walk()
    full = api.get(customer["id"]).body
    assert full["code"] == "K1" and full["name"] == "Kilo"
    assert full["default_shipping_address"]["postal_code"] == "3000"
    assert full["default_shipping_address"]["line1"] == "1 Collins St"


def test_a_file_replaced_between_worker_runs_fails_the_job(aws, api, monkeypatch):
    from clientele.domain.imports import runs as import_runs

    job = _start(api)
    upload(aws, api, job, rows_csv(200))
    real_commit = import_runs.checkpoints.commit_chunk
    state = {"replaced": False}

    def replace_after_first_chunk(*args, **kwargs):
        result = real_commit(*args, **kwargs)
        if not state["replaced"]:
            state["replaced"] = True
            key = f"uploads/{api.tenant}/{job['id']}.csv"
            aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=rows_csv(5))
        return result

    monkeypatch.setattr(import_runs.checkpoints, "commit_chunk", replace_after_first_chunk)

    def time_left() -> int:
        # Out of time once, right after the first chunk: the rest runs in a new worker run,
        # which reads the object again.
        if state["replaced"] and not state.get("timed_out"):
            state["timed_out"] = True
            return 1_000
        return 900_000

    run_import_worker(aws, time_left_ms=time_left)

    done = job_of(api, job["id"])
    assert done["status"] == "failed" and done["error"]["code"] == "file_changed", done
    assert 0 < done["counts"]["created"] < 200


# ---------------------------------------------------------------- SKU mappings


def sku_pages(api, customer_id):
    reply = api.call("sku_mappings/list", customer_id=customer_id, query={"limit": "200"})
    assert reply.status == 200, reply.body
    return {mapping["customer_sku"]: mapping for mapping in reply.body["data"]}


def test_a_sku_mapping_import_upserts_by_customer_sku(aws, api):
    customer = api.created({"name": "Mapped"})
    api.call("sku_mappings/upsert", customer_id=customer["id"], body={"customer_sku": "00042", "product_id": "OLD"})
    before = sku_pages(api, customer["id"])["00042"]
    data = b"customer_sku,product_id\r\n00042,P-42\r\n'=SUM(A1),'@cmd\r\n12345678901234567890,P-2\r\n"
    job = imported(aws, api, data, type="sku_mappings", customer_id=customer["id"])

    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows": 3, "created": 2, "updated": 1, "unchanged": 0, "skipped": 0, "failed": 0}
    mappings = sku_pages(api, customer["id"])
    assert mappings["00042"]["product_id"] == "P-42" and mappings["00042"]["id"] == before["id"]
    assert mappings["=SUM(A1)"]["product_id"] == "@cmd"
    assert mappings["12345678901234567890"]["product_id"] == "P-2"


def test_a_sku_mapping_drop_imports_for_its_customer(aws, api):
    customer = api.created({"name": "Dropped"})
    drop(aws, f"drop/{api.tenant}/sku-mappings/{customer['id']}/catalog.csv", b"sku,product\r\nA-1,P1\r\nA-1,P2\r\n")
    run_import_worker(aws)

    [job] = jobs_of(api)
    assert job["type"] == "sku_mapping_import" and job["status"] == "succeeded", job
    assert job["counts"]["created"] == 1 and job["counts"]["updated"] == 1
    assert sku_pages(api, customer["id"])["A-1"]["product_id"] == "P2"


def test_a_sku_mapping_drop_for_an_unknown_customer_fails_the_job(aws, api):
    drop(
        aws,
        f"drop/{api.tenant}/sku-mappings/cus_01JD3X5V7R2T8E6Q9M4K1N0B5C/x.csv",
        b"customer_sku,product_id\r\nA,B\r\n",
    )
    run_import_worker(aws)

    [job] = jobs_of(api)
    assert job["status"] == "failed" and job["error"]["code"] == "customer_not_found"


def test_sku_rows_break_no_rule_the_api_keeps(aws, api):
    customer = api.created({"name": "Strict"})
    data = b"customer_sku,product_id\r\n,P1\r\nA," + b"x" * 101 + b"\r\nB\x01,P\r\nOK,P\r\n"
    job = imported(aws, api, data, type="sku_mappings", customer_id=customer["id"])

    assert job["counts"]["created"] == 1 and job["counts"]["failed"] == 3
    assert list(sku_pages(api, customer["id"])) == ["OK"]


# ---------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary garbage", bytes(range(256)) * 40),
        ("latin-1 rows", "name,city\r\nMüller,Köln\r\n".encode("latin-1").replace(b"name,city", b"name,address_city")),
        ("ragged rows", b"name,code\r\nA\r\nB,b1,extra\r\nC,c1\r\n"),
        ("unterminated quote", b'name,code\r\n"Acme,A1\r\nBeta,B1\r\n'),
        ("1 MB cell", b"name,code\r\n" + b"x" * 1_100_000 + b",C1\r\nSmall,S1\r\n"),
        ("10,000 columns", (",".join(["name"] + [f"col{n}" for n in range(9_999)]) + "\r\nWide\r\n").encode()),
        ("NUL bytes", b"name,code\r\nA\x00B,N1\r\n"),
    ],
)
def test_malformed_files_end_in_clear_errors_never_a_crash(aws, api, name, data):
    job = imported(aws, api, data)

    assert job["status"] in {"failed", "succeeded", "completed_with_errors"}, job
    if job["status"] == "failed":
        assert job["error"]["code"] and job["error"]["message"]
    for error in job["errors_sample"]:
        assert error["row"] >= 1 and error["code"] and error["message"]
    assert job["counts"]["rows"] == job["counts"]["created"] + job["counts"]["updated"] + job["counts"]["failed"]


# ---------------------------------------------------------------- big files: byte ranges


def duplicated_rows_csv(count: int) -> bytes:
    """Rows where some codes come back later in the file with other cells (and quoted commas)."""
    lines = [HEADER.replace("address_line1", "branch,address_line1")]
    for n in range(count):
        code = f"K{(n // 7) % 10:03d}" if n % 7 == 0 else f"U{n:05d}"  # K000-K009 come back every 70 rows
        branch = f"branch of row {n}" if n % 3 else ""
        lines.append(f'{code},"Customer, {n}",c{n}@example.com,{branch},{n} Main St,{2000 + n % 9},AU\r\n')
    return "".join(lines).encode()


def test_a_split_file_imports_exactly_like_one_range(aws, api, stored, monkeypatch):
    from clientele.domain.imports import runs as import_runs

    data = duplicated_rows_csv(200)
    single = api.as_caller(tenant_id=f"{api.tenant}-single")
    single_job = imported(aws, single, data)

    monkeypatch.setattr(import_runs, "RANGE_BYTES", 2_000)
    split_job = imported(aws, api, data)

    assert split_job["status"] == single_job["status"] == "succeeded", split_job
    assert split_job["counts"] == single_job["counts"]
    assert comparable(stored, api) == comparable(stored, single)


def test_ranges_run_in_any_order_give_the_same_result(aws, api, stored, monkeypatch):
    from clientele.domain.imports import runs as import_runs
    from clientele.domain.imports import service as imports

    data = duplicated_rows_csv(200)
    reference = api.as_caller(tenant_id=f"{api.tenant}-ref")
    imported(aws, reference, data)

    monkeypatch.setattr(import_runs, "RANGE_BYTES", 1_800)
    queued: list[int] = []
    monkeypatch.setattr(import_runs.store, "enqueue_import", lambda _t, _j, number=None: queued.append(number))
    job = _start(api)
    upload(aws, api, job, data)
    # The upload event starts the job and runs range 0 only after the others: run them last-first.
    run = lambda number: import_runs.run(api.tenant, job["id"], number, lambda: 900_000)  # noqa: E731
    assert imports.accept_object(
        aws.resources.bucket, f"uploads/{api.tenant}/{job['id']}.csv", _etag(aws, api, job), len(data)
    )
    aws.clients.sqs.purge_queue(QueueUrl=aws.resources.queues["ImportQueue"])
    started = import_runs._start(api.tenant, import_runs.store.load(api.tenant, job["id"]))
    data_ranges = started["data_ranges"]
    assert data_ranges > 2
    for number in reversed(range(data_ranges)):
        run(number)
    assert queued[-1] == data_ranges  # the last data range queued the deferred rows' pass
    run(data_ranges)

    done = job_of(api, job["id"])
    assert done["status"] == "succeeded", done
    assert comparable(stored, api) == comparable(stored, reference)


def _etag(aws, api, job) -> str:
    head = aws.clients.s3.head_object(Bucket=aws.resources.bucket, Key=f"uploads/{api.tenant}/{job['id']}.csv")
    return head["ETag"].strip('"')


def test_a_row_refused_at_commit_fails_alone_and_the_chunk_commits_without_it(aws, api, monkeypatch):
    from clientele.domain.imports import rows as import_rows

    holder = api.created({"name": "Holder", "code": "TAKEN"})
    # A stale read: the planner believes every value is free, so the transaction meets the taken code.
    monkeypatch.setattr(import_rows.customer_store, "guard_holders", lambda _tenant, _guards: {})
    data = HEADER + "FREE1,One,,,,\r\nTAKEN,Two,,,,\r\nFREE2,Three,,,,\r\n"
    job = imported(aws, api, data.encode(), on_conflict="error")

    assert job["counts"] == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    [error] = job["errors_sample"]
    assert error["row"] == 2 and error["code"] == "conflict" and holder["id"] in error["message"]
    assert sorted(c["code"] for c in api.walk()) == ["FREE1", "FREE2", "TAKEN"]


def _bad_rows_csv(rows: int, bad_every: int) -> bytes:
    lines = ["code,name,email,address_line1,address_postal_code,address_country\r\n"]
    for n in range(rows):
        email = "not-an-email" if n % bad_every == 0 else f"s{n}@example.com"
        lines.append(f"S{n:04d},Sampled {n},{email},{n} Sample St,{2000 + n % 9},AU\r\n")
    return "".join(lines).encode()


def test_a_job_has_the_same_fields_in_the_list_as_when_got(aws, api):
    preview = imported(aws, api, CSV.encode(), mode="preview")
    failed_rows = imported(aws, api, (CSV + "C003,,bad,,,\r\n").encode())
    api.call("customers/bulk_archive", body={"filter": {"branch": "nowhere"}})
    run_job_worker(aws)

    listed = {job["id"]: job for job in jobs_of(api)}
    assert len(listed) == 3
    for job_id, entry in listed.items():
        assert entry == job_of(api, job_id), entry["type"]
    assert listed[preview["id"]]["preview_rows"] and listed[failed_rows["id"]]["errors_sample"]


def test_a_split_import_lists_the_exact_first_errors_by_row(aws, api, monkeypatch):
    from clientele.domain.imports import runs as import_runs

    monkeypatch.setattr(import_runs, "RANGE_BYTES", 1_500)
    job = imported(aws, api, _bad_rows_csv(120, bad_every=4))

    assert job["status"] == "completed_with_errors" and job["counts"]["failed"] == 30
    [listed] = [entry for entry in jobs_of(api) if entry["id"] == job["id"]]
    assert [error["row"] for error in listed["errors_sample"]] == [1 + 4 * n for n in range(20)]
    assert listed["errors_sample"] == job["errors_sample"]


def test_a_running_import_lists_its_first_errors_as_it_goes(aws, api):
    job = _start(api)
    upload(aws, api, job, _bad_rows_csv(300, bad_every=10))
    # A worker whose time runs out after a few chunks leaves the job running: the list shows what it has.
    asked = {"times": 0}

    def time_left_ms() -> int:
        asked["times"] += 1
        return 900_000 if asked["times"] <= 3 else 0

    run_import_worker(aws, time_left_ms=time_left_ms, max_messages=1)

    [listed] = [entry for entry in jobs_of(api) if entry["id"] == job["id"]]
    assert listed["status"] == "running", listed
    assert listed["errors_sample"] and [e["row"] for e in listed["errors_sample"]] == [
        1 + 10 * n for n in range(len(listed["errors_sample"]))
    ]

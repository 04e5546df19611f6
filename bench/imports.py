"""CSV imports: this importer against a naive one, and the worker's memory as files grow.

1. Side by side against the same in-process emulator (moto, the integration
   tests' harness), 10,000 new customers each: the import worker (chunked
   transactions, batched guard reads) and a naive importer that parses the same
   file with the same code and creates each row with its own transaction (the
   create service: a counter update and a TransactWriteItems per row).
   Printed: DynamoDB requests per row and rows per second.
2. Re-imports of the same 10,000 rows (the daily full export dropped again):
   unchanged, then with one field changed on every row, side by side with the
   first import. Printed: DynamoDB requests per row and seconds.
3. Customer numbers: 17 small imports adding 23 customers, and how far the
   tenant's number counter moved.
4. The worker's peak Python memory (tracemalloc) for 10,000 and 100,000 rows.
   DynamoDB is stubbed out there (requests are built, then dropped) and the
   file is read from disk, so the figure is the worker's own: the emulator's
   growing table would otherwise be measured with it.

moto is far slower per request than DynamoDB, so rows per second here say how
the two designs compare, not what AWS does.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from typing import Any

from tests.harness import admin, counted_dynamodb_calls, emulated, run_import_worker

ROWS = 10_000
MEMORY_ROWS = (10_000, 100_000)
# Round trips to DynamoDB within a region take single-digit milliseconds.
NETWORK_MS = (2, 5)
HEADER = "code,name,email,phones,address_line1,address_city,address_postal_code,address_country\r\n"


def csv_rows(count: int, prefix: str = "B") -> bytes:
    lines = [HEADER]
    for n in range(count):
        lines.append(
            f"{prefix}{n:06d},Customer {prefix}{n} Pty Ltd,orders{n}@example.com,+61 2 9000 {n % 10000:04d},"
            f"{n % 400} George Street,Sydney,{2000 + n % 700},AU\r\n"
        )
    return "".join(lines).encode()


def _batched(aws, api, data: bytes, name: str = "bench.csv") -> tuple[int, float, dict[str, Any]]:
    """Drop the file, run the import worker; (DynamoDB requests, seconds, the job)."""
    key = f"drop/{api.tenant}/customers/{name}"
    with counted_dynamodb_calls() as calls:
        started = time.perf_counter()
        aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=data)
        run_import_worker(aws, max_messages=1_000)
        elapsed = time.perf_counter() - started
    job = api.call("jobs/list").body["data"][0]  # newest first
    return len(calls), elapsed, job


def _naive(api, data: bytes) -> tuple[int, float, int]:
    """Same parsing, then one create (its own transaction) per row."""
    import io

    from clientele.domain.csvio.records import read_header, read_records
    from clientele.domain.customers import service as customers
    from clientele.domain.imports.columns import customer_body, map_customer_header
    from clientele.domain.kernel.errors import ClienteleError
    from clientele.domain.kernel.principal import Principal

    caller = Principal(tenant_id=api.tenant, subject="bench", role="admin", organization_id=None)
    stream = io.BytesIO(data)
    header = read_header(stream)
    columns = map_customer_header(header.names)
    created = 0
    with counted_dynamodb_calls() as calls:
        started = time.perf_counter()
        stream.seek(header.data_offset)
        records = read_records(
            stream, header, start_offset=header.data_offset, first_row=1, first_line=header.next_line
        )
        for record in records:
            body, _ = customer_body(record.cells, columns)
            try:
                customers.create(caller, body)
                created += 1
            except ClienteleError:
                pass
        elapsed = time.perf_counter() - started
    return len(calls), elapsed, created


def side_by_side() -> None:
    print(f"CSV import of {ROWS:,} new customers, against the same in-process emulator (moto)")
    with emulated() as aws:
        batched_api = admin(aws)
        naive_api = admin(aws)
        requests, elapsed, job = _batched(aws, batched_api, csv_rows(ROWS, "B"))
        naive_requests, naive_elapsed, naive_created = _naive(naive_api, csv_rows(ROWS, "N"))
    created = job["counts"]["created"]
    print("                      rows created  DynamoDB requests  requests/row   seconds   rows/s")
    print(
        f"  import worker       {created:>12,} {requests:>18,} {requests / ROWS:>13.3f} {elapsed:>9.1f} "
        f"{created / elapsed:>8.0f}"
    )
    print(
        f"  naive (1 tx/row)    {naive_created:>12,} {naive_requests:>18,} {naive_requests / ROWS:>13.3f} "
        f"{naive_elapsed:>9.1f} {naive_created / naive_elapsed:>8.0f}"
    )
    print(
        f"  the worker: {naive_requests / max(requests, 1):.1f}x fewer requests, "
        f"{(created / elapsed) / (naive_created / naive_elapsed):.1f}x the rows per second in-process"
    )
    # In-process moto has no network: every request costs only its CPU. Both importers send their
    # requests one after another, so a round trip of L ms adds requests x L to each run.
    for latency_ms in NETWORK_MS:
        worker_rate = created / (elapsed + requests * latency_ms / 1000)
        naive_rate = naive_created / (naive_elapsed + naive_requests * latency_ms / 1000)
        print(
            f"  with {latency_ms} ms per request round trip: worker {worker_rate:.0f} rows/s, "
            f"naive {naive_rate:.0f} rows/s ({worker_rate / naive_rate:.1f}x)"
        )


def _quiet_worker() -> None:
    """No "import finished" line per job between the figures (the template sets INFO)."""
    from clientele.observability import logger

    logger.setLevel("WARNING")


def reimports() -> None:
    print(f"Re-importing the same {ROWS:,} customers (a daily full export dropped again), same emulator")
    print("                               created  updated  unchanged  DynamoDB requests  requests/row   seconds")
    data = csv_rows(ROWS, "R")
    runs = {
        "first import": data,
        "the same file again": data,
        "one field changed per row": data.replace(b"@example.com", b"@example.net"),
    }
    with emulated() as aws:
        _quiet_worker()
        api = admin(aws)
        for number, (run, content) in enumerate(runs.items()):
            requests, elapsed, job = _batched(aws, api, content, f"export-{number}.csv")
            counts = job["counts"]
            print(
                f"  {run:<27} {counts['created']:>8,} {counts['updated']:>8,} {counts['unchanged']:>10,} "
                f"{requests:>18,} {requests / ROWS:>13.4f} {elapsed:>9.1f}"
            )


SMALL_IMPORTS = 17


def _counter(aws, api) -> int:
    key = {"pk": {"S": f"T#{api.tenant}#COUNTER"}, "sk": {"S": "customer_number"}}
    return int(aws.clients.dynamodb.get_item(TableName=aws.table, Key=key)["Item"]["value"]["N"])


def numbers() -> None:
    """17 small imports adding 23 customers between them, each with a row matching an existing customer."""
    print(f"Customer numbers: {SMALL_IMPORTS} small imports, the tenant's number counter before and after")
    header = "code,name,email\r\n"
    with emulated() as aws:
        _quiet_worker()
        api = admin(aws)
        api.created({"name": "Seed", "code": "SEED"})
        before = _counter(aws, api)
        created = 0
        for number in range(SMALL_IMPORTS):
            new = [
                f"S{number:02d}{n},Small {number}-{n},s{number}-{n}@example.com\r\n" for n in range(1 + (number < 6))
            ]
            data = (header + "SEED,Seed,\r\n" + "".join(new)).encode()
            _, _, job = _batched(aws, api, data, f"small-{number}.csv")
            created += job["counts"]["created"]
        after = _counter(aws, api)
    print(
        f"  counter {before:,} -> {after:,} for {created} customers added ({after - before - created} numbers unused)"
    )


@contextmanager
def _without_dynamodb():
    """Stub every DynamoDB request the worker makes (built, then dropped), and keep the job in memory."""
    from clientele.store.kernel import client, transactions

    jobs: dict[str, dict[str, Any]] = {}

    class Stub:
        def __getattr__(self, operation: str):
            def answer(**params: Any) -> dict[str, Any]:
                if operation == "get_item":
                    item = jobs.get(params["Key"]["sk"]["S"])
                    return {"Item": item} if item else {}
                if operation == "update_item" and "ReturnValues" in params:
                    return {"Attributes": {"value": {"N": "1000000"}}}
                return {}

            return answer

    real_dynamodb, real_cache = client.dynamodb, transactions.dynamodb
    client.dynamodb = transactions.dynamodb = Stub  # type: ignore[assignment]
    try:
        yield jobs
    finally:
        client.dynamodb, transactions.dynamodb = real_dynamodb, real_cache


def _peak_memory(rows: int) -> tuple[float, float]:
    """(peak MiB, seconds) of one worker run over a file of `rows` rows read from disk."""
    from clientele.domain.imports import runs as import_runs
    from clientele.store.imports import uploads

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(csv_rows(rows, "M"))
        path = handle.name
    job = {
        "id": "job_bench",
        "type": "customer_import",
        "status": "queued",
        "mode": "commit",
        "on_conflict": "update",
        "object": {"bucket": "local", "key": path, "etag": "x", "size": os.path.getsize(path)},
        "scope": {"role": "admin", "organization_id": None},
        "created_by": "bench",
        "version": 1,
    }
    real_open, real_load, real_start, real_range = (
        uploads.open_object,
        import_runs.store.load,
        import_runs.checkpoints.start,
        import_runs.checkpoints.load_range,
    )
    state: dict[str, Any] = {"job": job}

    def started(_tenant, _job_id, _version, changes, ranges):
        state["job"] = {**state["job"], **changes}
        state["range"] = ranges[0]

    uploads.open_object = lambda _b, key, _e: open(key, "rb")  # noqa: SIM115 - the worker closes it
    import_runs.store.load = lambda _t, _j: state["job"]
    import_runs.checkpoints.start = started
    import_runs.checkpoints.load_range = lambda _t, _j, _n: state["range"]
    try:
        with _without_dynamodb():
            tracemalloc.start()
            began = time.perf_counter()
            import_runs.run("bench", "job_bench", 0, lambda: 900_000)
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        uploads.open_object, import_runs.store.load = real_open, real_load
        import_runs.checkpoints.start, import_runs.checkpoints.load_range = real_start, real_range
        os.unlink(path)
    return peak / 2**20, elapsed


def memory() -> None:
    print("Import worker peak memory (tracemalloc; DynamoDB stubbed, file read from disk)")
    peaks = []
    for rows in MEMORY_ROWS:
        peak, elapsed = _peak_memory(rows)
        peaks.append(peak)
        print(f"  {rows:>8,} rows: peak {peak:6.2f} MiB   ({elapsed:.1f} s of parsing, validation and planning)")
    print(f"  ratio {MEMORY_ROWS[1]:,} / {MEMORY_ROWS[0]:,} rows: {peaks[1] / peaks[0]:.2f}x")


def main() -> None:
    side_by_side()
    print()
    reimports()
    print()
    numbers()
    print()
    with emulated():
        memory()


if __name__ == "__main__":
    main()

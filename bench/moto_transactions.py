"""How moto's TransactWriteItems scales with the table size, with and without localdev's patch.

Run: ``python -m bench.moto_transactions`` (or ``python bench/moto_transactions.py``).
Prints figures and never fails on timing. The table is created from template.yaml through
localdev.resources, in-process under ``mock_aws``.
"""

import os
import sys
import time
from pathlib import Path

import boto3
from moto import mock_aws

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make `localdev` importable
    sys.path.insert(0, str(REPO_ROOT))

from localdev import moto_patches  # noqa: E402
from localdev.resources import create_resources  # noqa: E402
from localdev.template import Template  # noqa: E402

TRANSACTIONS = 100
PREFILLED_ITEMS = 20_000
UNPATCHED_CAP = 20  # transactions; the unpatched run on a big table is extrapolated from these
UNPATCHED_BUDGET_S = 30.0
TENANT = "bench"


def customer_item(number: int) -> dict:
    """A customer-sized item (a couple of dozen attributes), keyed as the table's design says."""
    customer_id = f"cus_{number:026d}"
    item = {
        "pk": {"S": f"T#{TENANT}#C#{customer_id}"},
        "sk": {"S": "CUSTOMER"},
        "tenant_list": {"S": f"T#{TENANT}"},
        "sort_name": {"S": f"customer {number:08d}#{customer_id}"},
        "sort_code": {"S": f"C{number:08d}#{customer_id}"},
        "sort_created": {"S": f"2026-01-01T00:00:00.000Z#{customer_id}"},
        "sort_updated": {"S": f"2026-01-01T00:00:00.000Z#{customer_id}"},
        "version": {"N": "1"},
        "emails": {"L": [{"S": f"c{number}@example.com"}]},
        "metadata": {"M": {"source": {"S": "bench"}, "batch": {"N": str(number // 1000)}}},
    }
    for field in ("name", "code", "company_name", "tax_id", "branch", "timezone", "phone", "notes"):
        item[field] = {"S": f"{field}-{number:08d}"}
    return item


def guard_item(field: str, value: str, customer_id: str) -> dict:
    return {
        "pk": {"S": f"T#{TENANT}#U#{field}#{value}"},
        "sk": {"S": "UNIQUE"},
        "customer_id": {"S": customer_id},
    }


def create_customer_actions(table: str, number: int) -> list[dict]:
    """One customer put plus three unique-value guards, each conditioned on not existing yet."""
    customer = customer_item(number)
    customer_id = customer["pk"]["S"].rsplit("#", 1)[1]
    items = [customer] + [
        guard_item(field, f"{field}-{number:08d}", customer_id) for field in ("code", "email", "tax_id")
    ]
    condition = "attribute_not_exists(pk)"
    return [{"Put": {"TableName": table, "Item": item, "ConditionExpression": condition}} for item in items]


def prefill(table_name: str, count: int) -> float:
    started = time.perf_counter()
    table = boto3.resource("dynamodb").Table(table_name)
    deserialize = boto3.dynamodb.types.TypeDeserializer().deserialize
    with table.batch_writer() as batch:
        for number in range(count):
            item = {name: deserialize(value) for name, value in customer_item(1_000_000 + number).items()}
            batch.put_item(Item=item)
    return time.perf_counter() - started


def timed_transactions(table: str, numbers: range, budget_s: float | None = None) -> tuple[int, float]:
    """One transaction per number (fewer if ``budget_s`` runs out); returns (done, seconds)."""
    client = boto3.client("dynamodb")
    started = time.perf_counter()
    done = 0
    for number in numbers:
        client.transact_write_items(TransactItems=create_customer_actions(table, number))
        done += 1
        if budget_s is not None and time.perf_counter() - started > budget_s:
            break
    return done, time.perf_counter() - started


def patched(installed: bool) -> None:
    if installed:
        moto_patches.install()
    else:
        moto_patches.uninstall()


def report(label: str, done: int, seconds: float) -> float:
    per_tx_ms = seconds / done * 1000
    line = f"  {label:<36} {done:>4} tx in {seconds:7.2f} s  {per_tx_ms:9.2f} ms/tx"
    if done < TRANSACTIONS:
        line += f"  (extrapolated: {per_tx_ms * TRANSACTIONS / 1000:.0f} s per {TRANSACTIONS} tx)"
    print(line)
    return per_tx_ms


def run_table(prefilled: int, modes: tuple[str, ...]) -> dict[str, float]:
    """Transactions on one fresh table, patched and/or unpatched (new keys each time); ms per transaction."""
    per_tx: dict[str, float] = {}
    with mock_aws():
        template = Template.load(REPO_ROOT / "template.yaml")
        table = create_resources(template, environ={}).table
        if prefilled:
            fill_s = prefill(table, prefilled)
            print(f"  (prefilling {prefilled:,} items with BatchWriteItem took {fill_s:.1f} s)")
        label = f"table with {prefilled:,} items" if prefilled else "empty table"
        next_number = 0
        for mode in modes:
            capped = mode == "unpatched" and prefilled
            count = UNPATCHED_CAP if capped else TRANSACTIONS
            numbers = range(next_number, next_number + count)
            next_number += count
            patched(mode == "patched")
            try:
                done, seconds = timed_transactions(table, numbers, UNPATCHED_BUDGET_S if capped else None)
            finally:
                patched(True)
            per_tx[mode] = report(f"{label}, {mode}", done, seconds)
    return per_tx


def main() -> int:
    defaults = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    print("TransactWriteItems of 4 puts (1 customer + 3 guards, all new keys), moto in-process (mock_aws).")
    cap = f"at most {UNPATCHED_CAP} tx or {UNPATCHED_BUDGET_S:.0f} s"
    print(f"{TRANSACTIONS} tx per run; unpatched on the big table: {cap}, extrapolated to {TRANSACTIONS}.")
    empty = run_table(0, ("patched",)) | run_table(0, ("unpatched",))
    full = run_table(PREFILLED_ITEMS, ("patched", "unpatched"))
    print(f"patched   full/empty ratio: {full['patched'] / empty['patched']:.2f}  (goal <= 2)")
    print(f"unpatched full/empty ratio: {full['unpatched'] / empty['unpatched']:.0f}")
    speedup = full["unpatched"] / full["patched"]
    print(f"on the {PREFILLED_ITEMS:,}-item table the patch is {speedup:.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The stream function's cost per customer write: DynamoDB calls and EventBridge calls per change.

In-process moto (the integration tests' harness): customers are created, patched, archived and
given an address through the handlers, then the table's stream is delivered to the stream function
in batches, as the local runner's poller does. Prints, per customer write (one new version): the
DynamoDB write and read calls (search items, history entry, address book for the event's customer),
the PutEvents calls and the events per call; then the same for a redelivered batch.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from typing import Any

from tests.harness import (
    _Context,
    _stream_pollers,
    admin,
    counted_dynamodb_calls,
    counted_put_events,
    emulated,
    run_change_stream,
)

CUSTOMERS = 40
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
STREAM_FUNCTION = "change_stream/process"


def _print(label: str, changes: int, calls: list[str], puts: list[int], seconds: float) -> None:
    kinds = Counter(calls)
    writes = sum(kinds[name] for name in WRITES)
    reads = len(calls) - writes
    per_call = sum(puts) / len(puts) if puts else 0
    print(
        f"  {label:<34} {changes:>4} versions: DynamoDB writes {writes / changes:.2f}, reads {reads / changes:.2f} "
        f"per version; PutEvents {len(puts) / changes:.2f} per version ({per_call:.1f} events per call); "
        f"{seconds * 1000 / changes:.1f} ms per record in moto"
    )
    print(f"  {'':<34} calls: {dict(sorted(kinds.items()))}")


def main() -> None:
    print("Change stream: cost per customer write (history entry, change event, search items)")
    with emulated() as aws:
        api = admin(aws)
        _stream_pollers(aws)
        run_change_stream(aws)  # start after everything written before
        batches: list[dict[str, Any]] = []
        for poller in aws.stream_pollers:
            invoke = poller.invoke

            def keep(function_id: str, event: dict[str, Any], invoke: Any = invoke) -> Any:
                batches.append(copy.deepcopy(event))
                return invoke(function_id, event)

            poller.invoke = keep
        made = [api.created({"name": f"Bench Stream {n}", "code": f"BS-{n}"}) for n in range(CUSTOMERS)]
        for customer in made:
            api.patch(customer["id"], {"branch": "Bench"}, customer["etag"])
        for customer in made[: CUSTOMERS // 2]:
            api.archive(customer["id"])
        for customer in made[: CUSTOMERS // 4]:
            api.add_address(customer["id"], {"line1": "1 Bench St", "country": "AU"})
        versions = CUSTOMERS * 2 + CUSTOMERS // 2 + CUSTOMERS // 4
        with counted_dynamodb_calls() as calls, counted_put_events() as puts:
            started = time.perf_counter()
            run_change_stream(aws)
            elapsed = time.perf_counter() - started
        _print("first delivery", versions, calls, puts, elapsed)
        with counted_dynamodb_calls() as calls, counted_put_events() as puts:
            started = time.perf_counter()
            for batch in batches:
                aws.handler(STREAM_FUNCTION)(copy.deepcopy(batch), _Context(STREAM_FUNCTION))
            elapsed = time.perf_counter() - started
        _print("redelivered (writes nothing new)", versions, calls, puts, elapsed)

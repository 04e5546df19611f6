"""DynamoDB round trips per operation (ARCHITECTURE.md §2 budget), counted with a botocore event hook.

Handlers run in-process under moto with the table built from template.yaml,
invoked with the sample events of events/ (the integration tests' harness).
"""

from __future__ import annotations

import time

from tests.harness import admin, counted_dynamodb_calls, emulated

ADDRESS = {"line1": "1 George Street", "postal_code": "2000", "country": "AU"}
BUDGET = {
    "get": 1,
    "create": 2,
    "create + Idempotency-Key": 4,
    "create replay": 1,
    "patch": 2,
    "patch (code changes)": 2,
    "put": 2,
    "delete": 2,
    "archive": 2,
    "archive (already archived)": 1,
    "health": 1,
}


def main() -> dict[str, int]:
    print("DynamoDB calls per operation (budget in brackets)")
    figures: dict[str, int] = {}
    with emulated() as aws:
        api = admin(aws)
        seed = api.created({"name": "Seed", "code": "SEED", "external_id": "seed-1", "address": ADDRESS})
        operations = {
            "get": lambda: api.get(seed["id"]),
            "create": lambda: api.create({"name": "New", "code": "NEW", "address": ADDRESS}),
            "create + Idempotency-Key": lambda: api.create({"name": "Keyed"}, headers={"Idempotency-Key": "k"}),
            "create replay": lambda: api.create({"name": "Keyed"}, headers={"Idempotency-Key": "k"}),
            "patch": lambda: api.patch(seed["id"], {"branch": "North"}, "*"),
            "patch (code changes)": lambda: api.patch(seed["id"], {"code": "SEED2"}, "*"),
            "put": lambda: api.put(seed["id"], {"name": "Seed", "code": "SEED3"}, "*"),
            "archive": lambda: api.archive(seed["id"]),
            "archive (already archived)": lambda: api.archive(seed["id"]),
            "delete": lambda: api.delete(seed["id"], "*"),
            "health": lambda: api.call("operations/health"),
        }
        for name, operation in operations.items():
            with counted_dynamodb_calls() as calls:
                started = time.perf_counter()
                reply = operation()
                elapsed_ms = (time.perf_counter() - started) * 1000
            figures[name] = len(calls)
            verdict = "ok" if len(calls) <= BUDGET[name] else "OVER BUDGET"
            print(
                f"  {name:<28} {len(calls)} [{BUDGET[name]}]  {verdict:<11} {reply.status}  "
                f"{', '.join(calls):<38} {elapsed_ms:6.1f} ms in-process"
            )
    return figures


if __name__ == "__main__":
    main()

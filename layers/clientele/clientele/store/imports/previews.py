"""What a preview import would have written, kept with the job so the file's later rows see it.

A preview writes no customer, guard or SKU mapping. But a row of a file meets
the results of the rows before it (a code repeated updates the customer its
first row created; a name + postal code taken by an earlier row is a
conflict), so a preview's chunk puts the would-be state of what it would have
written in the job's partition instead, in the same transaction as its
checkpoint: a customer as it would be stored (with its address book), who
would hold a unique value (or that it would be free again), a SKU mapping.
Reads for a preview overlay these on the table's items, in the same
BatchGetItem calls. They expire with the TTL attribute after a week.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from clientele.store.customers.items import Guard, StoredCustomer, with_address_books
from clientele.store.kernel import keys
from clientele.store.kernel.client import batch_get, without_key_attributes
from clientele.store.kernel.transactions import Transaction
from clientele.store.sku_mappings.items import ENTITY as MAPPING_ENTITY
from clientele.store.sku_mappings.items import MAPPING_ATTRIBUTES

PREVIEW_SK_PREFIX = "PREVIEW#"  # sorts after the job and its errors ("JOB…") and before its ranges ("RANGE#…")
KEPT_SECONDS = 7 * 24 * 3600


def _job_pk(tenant: str, job_id: str) -> str:
    return f"T#{tenant}#J#{job_id}"


def _customer_key(tenant: str, job_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": _job_pk(tenant, job_id), "sk": f"{PREVIEW_SK_PREFIX}C#{customer_id}"}


def _guard_key(tenant: str, job_id: str, guard: Guard) -> dict[str, str]:
    # The guard's own key names the tenant; the part after it names the value.
    value = guard.key(tenant)["pk"].removeprefix(f"T#{tenant}#")
    return {"pk": _job_pk(tenant, job_id), "sk": f"{PREVIEW_SK_PREFIX}{value}"}


def _mapping_key(tenant: str, job_id: str, customer_sku: str) -> dict[str, str]:
    return {"pk": _job_pk(tenant, job_id), "sk": f"{PREVIEW_SK_PREFIX}SKU#{customer_sku}"}


def _pair(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]


def _expires_at() -> int:
    return int(time.time()) + KEPT_SECONDS


# ---------------------------------------------------------------- reads


def guard_holders(tenant: str, job_id: str, guards: Sequence[Guard]) -> dict[Guard, str]:
    """Who would hold each of these unique values had the preview's rows so far been committed (absent: nobody)."""
    real = {_pair(guard.key(tenant)): guard for guard in guards}
    virtual = {_pair(_guard_key(tenant, job_id, guard)): guard for guard in guards}
    found: dict[Guard, str] = {}
    overridden: set[Guard] = set()
    for item in batch_get([{"pk": pk, "sk": sk} for pk, sk in [*real, *virtual]]):
        pair = (item["pk"], item["sk"])
        if pair in virtual:
            overridden.add(virtual[pair])
            if item.get("customer_id"):
                found[virtual[pair]] = item["customer_id"]
            else:
                found.pop(virtual[pair], None)
        elif real[pair] not in overridden:
            found[real[pair]] = item["customer_id"]
    return found


def customers(tenant: str, job_id: str, customer_ids: Sequence[str]) -> dict[str, StoredCustomer]:
    """The customers (with address books) as the preview's rows so far would have left them."""
    unique = list(dict.fromkeys(customer_ids))
    requested = [keys.customer_key(tenant, customer_id) for customer_id in unique]
    requested += [_customer_key(tenant, job_id, customer_id) for customer_id in unique]
    real: dict[str, dict[str, Any]] = {}
    found: dict[str, StoredCustomer] = {}
    for item in batch_get(requested):
        if item["sk"].startswith(PREVIEW_SK_PREFIX):
            found[item["customer"]["id"]] = StoredCustomer(customer=item["customer"], addresses=item["addresses"])
        else:
            real[item["id"]] = without_key_attributes(item)
    stored = [customer for customer_id, customer in real.items() if customer_id not in found]
    return {**with_address_books(tenant, stored), **found}


def mappings(tenant: str, job_id: str, customer_id: str, skus: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The customer's mappings of these SKUs as the preview's rows so far would have left them."""
    unique = list(dict.fromkeys(skus))
    requested = [keys.sku_mapping_key(tenant, customer_id, sku) for sku in unique]
    requested += [_mapping_key(tenant, job_id, sku) for sku in unique]
    found: dict[str, dict[str, Any]] = {}
    virtual: set[str] = set()
    for item in batch_get(requested):
        mapping = {name: item[name] for name in MAPPING_ATTRIBUTES if name in item}
        if item["sk"].startswith(PREVIEW_SK_PREFIX):
            virtual.add(mapping["customer_sku"])
            found[mapping["customer_sku"]] = mapping
        elif mapping["customer_sku"] not in virtual:
            found[mapping["customer_sku"]] = mapping
    return found


# ---------------------------------------------------------------- would-be writes


def customer_unit(
    tenant: str, job_id: str, stored: StoredCustomer, taken: Sequence[Guard], released: Sequence[Guard]
) -> Transaction:
    """The would-be state of one customer write: the customer as stored after it, the values it takes and frees."""
    unit = Transaction()
    expires_at = _expires_at()
    unit.put(
        {
            **_customer_key(tenant, job_id, stored.customer["id"]),
            "entity": "preview_customer",
            "customer": _present(stored.customer),
            "addresses": [_present(address) for address in stored.addresses],
            "expires_at": expires_at,
        },
        tag="customer",
    )
    for guard in taken:
        item = {"entity": "preview_guard", "customer_id": stored.customer["id"], "expires_at": expires_at}
        unit.put({**_guard_key(tenant, job_id, guard), **item}, tag=f"guard:{guard.field}")
    for guard in released:
        item = {"entity": "preview_guard", "expires_at": expires_at}  # no holder: free again
        unit.put({**_guard_key(tenant, job_id, guard), **item}, tag=f"release:{guard.field}")
    return unit


def mapping_unit(tenant: str, job_id: str, mapping: dict[str, Any]) -> Transaction:
    """The would-be state of one SKU mapping upsert."""
    unit = Transaction()
    item = {"entity": MAPPING_ENTITY, **_present(mapping), "expires_at": _expires_at()}
    unit.put({**_mapping_key(tenant, job_id, mapping["customer_sku"]), **item}, tag="mapping")
    return unit


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """The attributes a stored item would have: absent, not null, where there is no value."""
    return {name: value for name, value in values.items() if value is not None}

"""Key and index attribute formats of the single table (ARCHITECTURE.md §2).

Tenants match ^[A-Za-z0-9._-]{1,64}$ and ids are prefixed ULIDs, so neither
contains "#"; free-form components (organizations, codes, postal codes) are
escaped so that no value can reach into another key's space.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CUSTOMER_SK = "CUSTOMER"
# Addresses sort right after their customer: one Query with begins_with(sk, "CUSTOMER")
# reads a customer and its address book, and nothing else of the partition
# (sales orders, credits and SKU mappings can be numerous).
ADDRESS_SK_PREFIX = "CUSTOMER#ADDR#"
GUARD_SK = "UNIQUE"
# SKU mappings: the raw customer_sku after the prefix, so the partition's SKU# range is in
# customer_sku order (UTF-8 bytes = code points) and a prefix search is begins_with.
# A pointer item per mapping id holds its customer_sku (delete by id without a scan).
# "SKU#" sorts before "SKUID#" ("#" < "I"), so the two ranges never mix.
SKU_SK_PREFIX = "SKU#"
SKU_ID_SK_PREFIX = "SKUID#"
COUNTER_CUSTOMER_NUMBER = "customer_number"
# The `lookup` index holds overloaded exact-match lookups: a lookup_key names what is looked up,
# lookup_sort the kind of item it finds. A customer item carries its number's lookup.
NUMBER_LOOKUP_SORT = "CUSTOMER"
# Sorts below every character a sort value may contain, so "ab" < "ab c" as in plain text.
SORT_SEPARATOR = "\x00"


def escape(component: str) -> str:
    return component.replace("%", "%25").replace("#", "%23")


def customer_pk(tenant: str, customer_id: str) -> str:
    return f"T#{tenant}#C#{customer_id}"


def customer_key(tenant: str, customer_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": CUSTOMER_SK}


def customer_of(key: Mapping[str, str]) -> tuple[str, str] | None:
    """(tenant, customer id) when `key` is a customer item's key, else None."""
    if key.get("sk") != CUSTOMER_SK:
        return None
    parts = str(key.get("pk", "")).split("#")
    if len(parts) != 4 or parts[0] != "T" or parts[2] != "C":
        return None
    return parts[1], parts[3]


def address_key(tenant: str, customer_id: str, address_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": ADDRESS_SK_PREFIX + address_id}


def sku_mapping_key(tenant: str, customer_id: str, customer_sku: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": SKU_SK_PREFIX + customer_sku}


def sku_pointer_key(tenant: str, customer_id: str, mapping_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": SKU_ID_SK_PREFIX + mapping_id}


def guard_key(tenant: str, field: str, parts: Iterable[str]) -> dict[str, str]:
    value = "#".join(escape(part) for part in parts)
    return {"pk": f"T#{tenant}#U#{field}#{value}", "sk": GUARD_SK}


def counter_key(tenant: str, counter: str) -> dict[str, str]:
    return {"pk": f"T#{tenant}#COUNTER", "sk": counter}


def customer_number_lookup(tenant: str, number: int) -> str:
    """lookup_key of the customer with this per-tenant number (with lookup_sort NUMBER_LOOKUP_SORT)."""
    return f"T#{tenant}#NUMBER#{number}"


# Archived customers live in partitions of their own, so the default list (archived
# hidden) is served by the index alone; archived=any merges the two partitions.
def _shelf(archived: bool) -> str:
    return "ARCHIVED" if archived else "LIVE"


def tenant_customers(tenant: str, archived: bool) -> str:
    return f"T#{tenant}#CUSTOMERS#{_shelf(archived)}"


def organization_customers(tenant: str, organization_id: str, archived: bool) -> str:
    return f"T#{tenant}#O#{escape(organization_id)}#CUSTOMERS#{_shelf(archived)}"


def tenant_jobs(tenant: str) -> str:
    return f"T#{tenant}#JOBS"


def postal_code_partition(tenant: str, postal_key: str) -> str:
    return f"T#{tenant}#P#{escape(postal_key)}"


def sort_value(*parts: str) -> str:
    return SORT_SEPARATOR.join(parts)


# The sales ledger (API.md §10): orders, credits and allocations live in their customer's partition.
ORDER_SK_PREFIX = "ORD#"
CREDIT_SK_PREFIX = "CRD#"
ALLOCATION_SK_PREFIX = "ALC#"
RECORD_POINTER_SK = "ID"
# Fulfillments sort under their order: one Query lists an order's fulfillments, oldest first.
FULFILLMENT_SK_PREFIX = "FUL#"


def order_key(tenant: str, customer_id: str, order_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": ORDER_SK_PREFIX + order_id}


def credit_key(tenant: str, customer_id: str, credit_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": CREDIT_SK_PREFIX + credit_id}


def allocation_key(tenant: str, customer_id: str, allocation_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": ALLOCATION_SK_PREFIX + allocation_id}


def fulfillment_key(tenant: str, customer_id: str, order_id: str, fulfillment_id: str) -> dict[str, str]:
    return {"pk": customer_pk(tenant, customer_id), "sk": f"{FULFILLMENT_SK_PREFIX}{order_id}#{fulfillment_id}"}


def tenant_fulfillments(tenant: str, status: str | None = None) -> str:
    """The tenant's fulfillments (tenant_list, tenant-created index) or those of one status (org_list, org-created)."""
    return f"T#{tenant}#FULFILLMENTS" + (f"#{status}" if status else "")


def customer_fulfillments(tenant: str, customer_id: str) -> str:
    """lookup_key of a customer's fulfillments (lookup_sort: created_at, id)."""
    return f"{customer_pk(tenant, customer_id)}#FULFILLMENTS"


def record_pointer_key(tenant: str, record_id: str) -> dict[str, str]:
    """Where a ledger record's id says which customer holds it (routes name orders and credits by id alone)."""
    return {"pk": f"T#{tenant}#ID#{record_id}", "sk": RECORD_POINTER_SK}


def unpaid_orders(tenant: str, customer_id: str) -> str:
    """lookup_key of a customer's unpaid open orders (sorted by lookup_sort: order date, created_at, id)."""
    return f"{customer_pk(tenant, customer_id)}#UNPAID"


def open_credits(tenant: str, customer_id: str) -> str:
    """lookup_key of a customer's credits with something remaining (sorted by lookup_sort: the credit id)."""
    return f"{customer_pk(tenant, customer_id)}#OPEN_CREDITS"


HEALTH_KEY = {"pk": "HEALTH", "sk": "HEALTH"}

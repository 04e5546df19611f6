"""Export → import round trip of SKU mappings (API.md §6): arbitrary strings come back unchanged."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import admin, run_import_worker

# What the API accepts: 1-100 characters, no C0 controls or DEL, surrogates excluded (not UTF-8).
cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=[chr(c) for c in [*range(32), 127]]),
    min_size=1,
    max_size=100,
)
tricky = st.sampled_from(
    ["=1+1", "+61 2", "-5", "@SUM(A1)", "'quoted", "''double", "00042", "12345678901234567890123", 'a,"b"', " x "]
)
value = st.one_of(cell, tricky, st.text(alphabet=string.digits, min_size=1, max_size=40))
mappings = st.dictionaries(keys=value, values=value, min_size=1, max_size=15)


def _export(api, customer_id) -> str:
    reply = api.call("sku_mappings/export", customer_id=customer_id)
    assert reply.status == 200, reply.body
    return reply.body


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=mappings)
def test_exported_mappings_import_back_unchanged(aws, pairs):
    api = admin(aws)
    source = api.created({"name": "Source"})
    target = api.created({"name": "Target"})
    for sku, product in pairs.items():
        reply = api.call(
            "sku_mappings/upsert", customer_id=source["id"], body={"customer_sku": sku, "product_id": product}
        )
        assert reply.status == 201, reply.body
    exported = _export(api, source["id"])

    key = f"drop/{api.tenant}/sku-mappings/{target['id']}/round-trip.csv"
    aws.clients.s3.put_object(Bucket=aws.resources.bucket, Key=key, Body=exported.encode())
    run_import_worker(aws)

    listed = api.call("sku_mappings/list", customer_id=target["id"], query={"limit": "200"}).body["data"]
    assert {m["customer_sku"]: m["product_id"] for m in listed} == pairs
    assert _export(api, target["id"]) == exported

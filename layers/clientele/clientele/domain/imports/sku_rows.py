"""What SKU mapping rows of an import do: validation (the API's model) and the upsert by customer_sku.

Like customer rows: each row is validated once, the mappings the rows read
ahead name are read in batches, a row that would write what the mapping
already says is `unchanged` (no write), and a preview writes the would-be
mapping with its job so a SKU repeated in the file meets its earlier row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clientele.domain.csvio.records import Record
from clientele.domain.imports.chunks import (
    Chunk,
    ChunkPlan,
    ImportContext,
    ItemKey,
    RowError,
    deferred,
    record_problems,
    row_errors,
)
from clientele.domain.imports.columns import sku_body
from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.validation import validate
from clientele.domain.sku_mappings.service import SkuMappingFields
from clientele.store.imports import previews
from clientele.store.kernel import keys as store_keys
from clientele.store.kernel.transactions import Transaction
from clientele.store.sku_mappings import items as sku_store

_MAPPINGS_KEPT = 4_000

_Prepared = tuple[SkuMappingFields | None, list[RowError]]


class SkuRows:
    """The SKU mapping rows of one range run (an import for one customer), planned chunk after chunk."""

    def __init__(self, context: ImportContext, tenant: str) -> None:
        if context.customer_id is None:
            raise ValueError("a SKU mapping import is for one customer")
        self.context = context
        self.tenant = tenant
        self.customer_id: str = context.customer_id
        self._rows: dict[int, _Prepared] = {}
        self._mappings: dict[str, dict[str, Any] | None] = {}

    def _prepare(self, record: Record, forced: dict[int, RowError]) -> _Prepared:
        problems = [forced[record.row]] if record.row in forced else record_problems(record)
        if problems:
            return None, problems
        body, cell_problems = sku_body(record.cells, self.context.column_map)
        problems = [RowError(record.row, record.line, p.column, p.code, p.message) for p in cell_problems]
        if problems:
            return None, problems
        try:
            return validate(SkuMappingFields, body), []
        except ValidationFailed as failed:
            return None, row_errors(record, failed, self.context.column_map)

    def _prepared(self, record: Record, forced: dict[int, RowError]) -> _Prepared:
        if record.row in forced:
            return self._prepare(record, forced)
        if record.row not in self._rows:
            self._rows[record.row] = self._prepare(record, forced)
        return self._rows[record.row]

    def _key(self, customer_sku: str) -> ItemKey:
        key = store_keys.sku_mapping_key(self.tenant, self.customer_id, customer_sku)
        return key["pk"], key["sk"]

    def prefetch(self, records: Sequence[Record], forced: dict[int, RowError] | None = None) -> None:
        skus = [fields.customer_sku for fields, _ in (self._prepared(r, forced or {}) for r in records) if fields]
        missing = list(dict.fromkeys(sku for sku in skus if sku not in self._mappings))
        if not missing:
            return
        if self.context.preview:
            found = previews.mappings(self.tenant, self.context.job_id, self.customer_id, missing)
        else:
            found = sku_store.load_many(self.tenant, self.customer_id, missing)
        self._mappings.update({sku: found.get(sku) for sku in missing})

    def plan(self, records: list[Record], room: int, numbers: Sequence[int], forced: dict[int, RowError]) -> ChunkPlan:
        """Plan rows (upsert by customer_sku) in order until the chunk is full (`numbers`: unused here)."""
        self.prefetch(records, forced)
        chunk = Chunk(room, self.context.preview)
        now = clock.now_timestamp()
        for record in records:
            fields, problems = self._prepared(record, forced)
            if problems or fields is None:
                taken = chunk.add_errors(problems)
            elif deferred(self.context, [f"sku|{fields.customer_sku}"]):
                taken = chunk.defer(record)
            else:
                taken = self._upsert(chunk, record, fields, now)
            if not taken:
                break
        return chunk.plan

    def _upsert(self, chunk: Chunk, record: Record, fields: SkuMappingFields, now: str) -> bool:
        current = self._mappings.get(fields.customer_sku)
        key = {self._key(fields.customer_sku)}
        shown = fields.model_dump()
        if current is not None and current.get("product_id") == fields.product_id:
            return chunk.add(record, "unchanged", None, key, shown)
        unit: Transaction
        if self.context.preview:
            mapping = {
                "id": current["id"] if current else ids.new_id("skm"),
                "customer_id": self.customer_id,
                "customer_sku": fields.customer_sku,
                "product_id": fields.product_id,
                "created_at": current.get("created_at", now) if current else now,
                "updated_at": now,
            }
            unit = previews.mapping_unit(self.tenant, self.context.job_id, mapping)
        else:
            unit = sku_store.upsert_unit(
                self.tenant,
                self.customer_id,
                fields.customer_sku,
                fields.product_id,
                ids.new_id("skm"),
                now,
                existing_id=current["id"] if current else None,
            )
            key |= unit.item_keys()
        return chunk.add(record, "updated" if current else "created", unit, key, shown)

    def creations_ahead(self, records: Sequence[Record]) -> int:
        return 0  # mappings have no numbers

    def committed(self, touched: set[ItemKey]) -> None:
        self._mappings = {sku: found for sku, found in self._mappings.items() if self._key(sku) not in touched}

    def taken(self, last_row: int) -> None:
        self._rows = {number: row for number, row in self._rows.items() if number > last_row}
        for sku in list(self._mappings)[: max(0, len(self._mappings) - _MAPPINGS_KEPT)]:
            del self._mappings[sku]

"""What a chunk of import rows does: validation, matching, and the store units that write it.

Rows go through the API's own models and services (`plan_creation`, the
merge of `customer_merge`, the SKU mapping model), so an import can't accept
what the API refuses. A chunk takes rows in file order while their writes fit
one transaction; a row touching an item an earlier row of the chunk touches
(the same code twice, say) ends the chunk, so it meets that earlier row's
result when the next chunk reads the table: rows of a file apply in order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clientele.domain.csvio.records import Record
from clientele.domain.customers.merge import plan_merge
from clientele.domain.customers.normalize import code_key, name_key, postal_key
from clientele.domain.customers.service import NewCustomer, plan_creation
from clientele.domain.imports.columns import ColumnMap, column_for_pointer, customer_body, sku_body
from clientele.domain.imports.key_filters import KeyFilter
from clientele.domain.kernel import clock, ids
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import validate
from clientele.domain.sku_mappings.service import SkuMappingFields
from clientele.store.customers import items as customer_store
from clientele.store.kernel.transactions import Transaction
from clientele.store.sku_mappings import items as sku_store

PREVIEW_ROWS = 10
MAX_ERRORS_PER_ROW = 50  # as the API's `errors` (API.md §12)
_HOLDERS_KEPT = 2_000


@dataclass(frozen=True)
class RowError:
    row: int
    line: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class ChunkPlan:
    """What a chunk of rows does; `taken` rows of the offered ones are in it."""

    taken: int = 0
    units: dict[str, Transaction] = field(default_factory=dict)
    unit_rows: dict[str, Record] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    numbers_used: int = 0
    actions: int = 0
    touched: set[tuple[str, str]] = field(default_factory=set)
    deferred: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class ImportContext:
    principal: Principal
    column_map: ColumnMap
    on_conflict: str
    preview: bool
    customer_id: str | None = None  # SKU mapping imports
    # Keys that may appear in an earlier byte range of the file: rows with them are deferred.
    earlier: KeyFilter | None = None


def row_errors(record: Record, failed: ValidationFailed, column_map: ColumnMap) -> list[RowError]:
    found = [
        RowError(
            record.row,
            record.line,
            column_for_pointer(error.pointer, column_map) or "" if error.pointer else "",
            error.code,
            error.message,
        )
        for error in failed.errors
    ]
    return found[:MAX_ERRORS_PER_ROW]


def _record_problems(record: Record) -> list[RowError]:
    if record.error is not None:
        return [RowError(record.row, record.line, "", record.error.code, record.error.message)]
    return []


class _Chunk:
    """Accumulates rows into a ChunkPlan while they fit and touch nothing already touched."""

    def __init__(self, room: int, preview: bool) -> None:
        self.plan = ChunkPlan()
        self.room = room
        self.preview = preview
        self.touched: set[tuple[str, str]] = set()

    def collides(self, keys: set[tuple[str, str]]) -> bool:
        return bool(keys & self.touched)

    def fits(self, actions: int) -> bool:
        return self.plan.actions + actions <= self.room

    def add_errors(self, errors: list[RowError]) -> bool:
        if not self.fits(len(errors)):
            return False
        self.plan.errors.extend(errors)
        self.plan.actions += len(errors)
        self.plan.counts["failed"] += 1
        self.plan.counts["rows"] += 1
        self.plan.taken += 1
        return True

    def defer(self, record: Record) -> bool:
        """Put the row off to the import's last pass (its key may appear in an earlier range)."""
        if not self.fits(1):
            return False
        self.plan.deferred.append(record)
        self.plan.actions += 1
        self.plan.taken += 1
        return True

    def add(self, record: Record, outcome: str, unit: Transaction | None, keys: set[tuple[str, str]], shown: Any):
        size = 0 if unit is None or self.preview else len(unit)
        if not self.fits(size):
            return False
        if unit is not None and not self.preview and len(unit):
            unit_key = f"r{record.row}"
            self.plan.units[unit_key] = unit
            self.plan.unit_rows[unit_key] = record
        self.touched |= keys
        self.plan.actions += size
        self.plan.counts[outcome] += 1
        self.plan.counts["rows"] += 1
        self.plan.taken += 1
        if len(self.plan.preview) < PREVIEW_ROWS and self.preview:
            self.plan.preview.append({"row": record.row, "action": outcome, "data": shown})
        return True


# ---------------------------------------------------------------- customers


class GuardHolders:
    """Who holds which unique values, read in batches and kept while rows that need them are pending;
    and the pending rows' validation.

    Rows are read ahead of the chunk that takes them, so each value is read once (one
    BatchGetItem per 100) rather than once per chunk it is offered to. What a chunk wrote
    is forgotten after it commits (the next read sees it); the writes' conditions catch
    whatever changed meanwhile.
    """

    def __init__(self) -> None:
        self._known: dict[customer_store.Guard, str | None] = {}
        # Rows validated but not yet taken by a chunk, by row number.
        self.rows: dict[int, Any] = {}

    def taken(self, last_row: int) -> None:
        """Rows up to `last_row` are committed: their validation is no longer needed."""
        self.rows = {number: row for number, row in self.rows.items() if number > last_row}

    def ensure(self, tenant: str, guards: list[customer_store.Guard]) -> None:
        missing = sorted({guard for guard in guards if guard not in self._known}, key=repr)
        if not missing:
            return
        found = customer_store.guard_holders(tenant, missing)
        for guard in missing:
            self._known[guard] = found.get(guard)
        # Pending rows need a few hundred at most: the oldest go, so memory stays flat as files grow.
        for guard in list(self._known)[: max(0, len(self._known) - _HOLDERS_KEPT)]:
            del self._known[guard]

    def holder(self, guard: customer_store.Guard) -> str | None:
        return self._known.get(guard)

    def forget(self, tenant: str, touched: set[tuple[str, str]]) -> None:
        """Drop what a committed chunk may have changed."""
        self._known = {g: h for g, h in self._known.items() if tuple(g.key(tenant).values()) not in touched}


def _match_guards(principal: Principal, body: dict[str, Any]) -> list[customer_store.Guard]:
    """The unique values a row is matched by: code (in its organization), else external_id."""
    guards = []
    code, external_id = body.get("code"), body.get("external_id")
    organization = principal.organization_id or body.get("organization_id") or ""
    if isinstance(code, str) and code.strip():
        guards.append(customer_store.Guard("code", (organization, code_key(code.strip()))))
    if isinstance(external_id, str) and external_id.strip():
        guards.append(customer_store.Guard("external_id", (external_id.strip(),)))
    return guards


def customer_row_keys(principal: Principal, body: dict[str, Any]) -> list[str]:
    """What rows of one file must apply in order by: their match keys and name + postal code."""
    keys = ["|".join((guard.field, *guard.parts)) for guard in _match_guards(principal, body)]
    name = body.get("name")
    address = body.get("billing_address") or body.get("address") or {}
    postal = address.get("postal_code") if isinstance(address, dict) else None
    if isinstance(name, str) and name.strip() and isinstance(postal, str) and postal.strip():
        keys.append(f"name_postal_code|{name_key(name)}|{postal_key(postal)}")
    return keys


def row_keys(context: ImportContext, record: Record) -> list[str]:
    """The keys of a row (none for a row that can't be read): what the split planner and the deferral use."""
    if record.error is not None:
        return []
    if context.customer_id is not None:
        body, _ = sku_body(record.cells, context.column_map)
        sku = body.get("customer_sku")
        return [f"sku|{sku}"] if isinstance(sku, str) else []
    body, _ = customer_body(record.cells, context.column_map)
    return customer_row_keys(context.principal, body)


def _deferred(context: ImportContext, keys: list[str]) -> bool:
    return context.earlier is not None and any(key in context.earlier for key in keys)


def _shown(customer: dict[str, Any]) -> dict[str, Any]:
    hidden = {"password_hash", "unique_values", "address_ids", "tenant_id", "version"}
    return {key: value for key, value in customer.items() if key not in hidden and value is not None}


@dataclass
class _PreparedRow:
    record: Record
    body: dict[str, Any] | None = None
    problems: list[RowError] = field(default_factory=list)
    new: NewCustomer | None = None
    matches: list[customer_store.Guard] = field(default_factory=list)
    # Why it can't be created; only matters when it matches no existing customer.
    creation_problems: list[RowError] = field(default_factory=list)


def _prepare(context: ImportContext, record: Record, forced: dict[int, RowError]) -> _PreparedRow:
    row = _PreparedRow(record, problems=[forced[record.row]] if record.row in forced else _record_problems(record))
    if row.problems:
        return row
    row.body, cell_problems = customer_body(record.cells, context.column_map)
    row.problems = [RowError(record.row, record.line, p.column, p.code, p.message) for p in cell_problems]
    if row.problems:
        return row
    row.matches = _match_guards(context.principal, row.body)
    try:
        row.new = plan_creation(context.principal, row.body)
    except ValidationFailed as failed:
        row.creation_problems = row_errors(record, failed, context.column_map)
    return row


class _CustomerChunk:
    """Plans customer rows into one chunk."""

    def __init__(  # noqa: PLR0917 - one planner's whole state, set once
        self,
        context: ImportContext,
        tenant: str,
        room: int,
        numbers: Sequence[int],
        forced: dict[int, RowError],
        holders: GuardHolders,
    ) -> None:
        self.context = context
        self.forced = forced
        self.tenant = tenant
        self.chunk = _Chunk(room, context.preview)
        self.numbers = iter(numbers)
        self.holders = holders

    def plan(self, records: list[Record]) -> ChunkPlan:
        rows = [self._prepared(record) for record in records]
        self.holders.ensure(
            self.tenant, [guard for row in rows for guard in (*row.matches, *(row.new.guards if row.new else ()))]
        )
        for row in rows:
            if not self._take(row):
                break
        self.chunk.plan.touched = self.chunk.touched
        return self.chunk.plan

    def _prepared(self, record: Record) -> _PreparedRow:
        """Rows are offered to chunks until one takes them: validate each once."""
        if record.row in self.forced:
            return _prepare(self.context, record, self.forced)
        row = self.holders.rows.get(record.row)
        if row is None:
            row = self.holders.rows[record.row] = _prepare(self.context, record, self.forced)
        return row

    def _take(self, row: _PreparedRow) -> bool:
        holder = next((self.holders.holder(guard) for guard in row.matches if self.holders.holder(guard)), None)
        problems = row.problems or (row.creation_problems if holder is None and row.new is None else [])
        if problems:
            return self.chunk.add_errors(problems)
        if _deferred(self.context, customer_row_keys(self.context.principal, row.body)):
            return self.chunk.defer(row.record)
        match_keys = {tuple(guard.key(self.tenant).values()) for guard in row.matches}
        if self.chunk.collides(match_keys):
            return False
        if holder is None:
            return self._create(row, match_keys)
        return self._existing(row, holder, match_keys)

    def _error(self, row: _PreparedRow, column: str, code: str, message: str) -> bool:
        return self.chunk.add_errors([RowError(row.record.row, row.record.line, column, code, message)])

    def _create(self, row: _PreparedRow, match_keys: set[tuple[str, str]]) -> bool:
        taken = [guard for guard in row.new.guards if self.holders.holder(guard)]
        if taken:
            guard = taken[0]
            message = f"{guard.field} is already used by customer {self.holders.holder(guard)}"
            return self._error(row, _guard_column(guard, self.context), "conflict", message)
        if self.context.preview:
            return self.chunk.add(row.record, "created", None, match_keys, _shown(row.new.customer))
        number = next(self.numbers, None)
        if number is None:
            return False  # out of reserved numbers: the next chunk reserves more
        unit = row.new.unit(self.tenant, number)
        keys = unit.item_keys() | match_keys
        return not self.chunk.collides(keys) and self.chunk.add(row.record, "created", unit, keys, None)

    def _existing(self, row: _PreparedRow, holder: str, match_keys: set[tuple[str, str]]) -> bool:
        if self.context.on_conflict == "skip":
            return self.chunk.add(row.record, "skipped", None, match_keys, None)
        if self.context.on_conflict == "error":
            return self._error(row, "", "conflict", f"matches existing customer {holder} (on_conflict=error)")
        stored = customer_store.load(self.tenant, holder)
        if stored is None or not self.context.principal.can_see(stored.customer.get("organization_id")):
            return self._error(row, "", "conflict", f"matches customer {holder}, which this import can't update")
        try:
            planned = plan_merge(self.context.principal, stored, row.body)
        except ValidationFailed as failed:
            return self.chunk.add_errors(row_errors(row.record, failed, self.context.column_map))
        if planned is None:
            return self.chunk.add(row.record, "updated", None, match_keys, _shown(stored.customer))
        change, saved = planned
        taken = [guard for guard in change.guards_after if guard not in change.guards_before]
        self.holders.ensure(self.tenant, taken)
        held = next((guard for guard in taken if self.holders.holder(guard) not in {None, holder}), None)
        if held is not None:
            message = f"{held.field} is already used by customer {self.holders.holder(held)}"
            return self._error(row, _guard_column(held, self.context), "conflict", message)
        unit = customer_store.change_unit(self.tenant, change)
        keys = unit.item_keys() | match_keys
        return not self.chunk.collides(keys) and self.chunk.add(row.record, "updated", unit, keys, _shown(saved))


def plan_customers(
    context: ImportContext,
    records: list[Record],
    room: int,
    numbers: Sequence[int],
    tenant: str,
    *,
    holders: GuardHolders,
    forced: dict[int, RowError] | None = None,
) -> ChunkPlan:
    """Plan customer rows in order until the chunk is full; `numbers` are customer numbers to use.

    `holders` knows who holds the rows' unique values (read as needed). `forced` rows fail with
    the given error (their write was refused when the chunk committed).
    """
    plan = _CustomerChunk(context, tenant, room, numbers, forced or {}, holders).plan(records)
    plan.numbers_used = 0 if context.preview else plan.counts["created"]
    return plan


def _guard_column(guard: customer_store.Guard, context: ImportContext) -> str:
    pointer = {"code": "/code", "external_id": "/external_id", "name_postal_code": "/name"}[guard.field]
    return column_for_pointer(pointer, context.column_map) or ""


# ---------------------------------------------------------------- SKU mappings


def plan_sku_mappings(
    context: ImportContext,
    records: list[Record],
    room: int,
    tenant: str,
    *,
    forced: dict[int, RowError] | None = None,
) -> ChunkPlan:
    """Plan SKU mapping rows (upsert by customer_sku) in order until the chunk is full."""
    customer_id = context.customer_id
    forced = forced or {}
    valid: list[tuple[Record, SkuMappingFields | None, list[RowError]]] = []
    for record in records:
        problems = [forced[record.row]] if record.row in forced else _record_problems(record)
        fields = None
        if not problems:
            body, cell_problems = sku_body(record.cells, context.column_map)
            problems = [RowError(record.row, record.line, p.column, p.code, p.message) for p in cell_problems]
            if not problems:
                try:
                    fields = validate(SkuMappingFields, body)
                except ValidationFailed as failed:
                    problems = row_errors(record, failed, context.column_map)
        valid.append((record, fields, problems))
    skus = [fields.customer_sku for _, fields, _ in valid if fields is not None]
    existing = sku_store.load_many(tenant, customer_id, skus) if skus else {}
    chunk = _Chunk(room, context.preview)
    now = clock.now_timestamp()
    for record, fields, problems in valid:
        if problems:
            if not chunk.add_errors(problems):
                break
            continue
        if _deferred(context, [f"sku|{fields.customer_sku}"]):
            if not chunk.defer(record):
                break
            continue
        current = existing.get(fields.customer_sku)
        unit = sku_store.upsert_unit(
            tenant,
            customer_id,
            fields.customer_sku,
            fields.product_id,
            ids.new_id("skm"),
            now,
            existing_id=current["id"] if current else None,
        )
        keys = unit.item_keys()
        if chunk.collides(keys):
            break
        if not chunk.add(record, "updated" if current else "created", unit, keys, fields.model_dump()):
            break
    return chunk.plan

"""What customer rows of an import do: validation, matching, merging, and the store units that write them.

Rows go through the API's own models and services (`plan_creation`, PATCH's
merge `plan_merge`), so an import can't accept what the API refuses. A range
run plans its rows chunk after chunk with one CustomerRows: each row is
validated once, and what the rows read ahead need from the table (who holds
their unique values, the customers they match with their address books, who
holds the values their merges would take) is read in batches for all of them,
never one request per row. What a committed chunk wrote is forgotten, so the
next read sees it; the writes' conditions (a customer's version, a guard's
absence) catch whatever else changed meanwhile.

A row whose merge changes nothing is `unchanged`: no write, the customer's
version and ETag stay. A customer an import wrote carries the row's stamp
(domain/imports/stamps): a row its stamp vouches for is `unchanged` without its
address book being read. A preview plans exactly as a commit does, but writes
the would-be state of its rows with its job (store/imports/previews), so its
later rows meet what its earlier rows would have done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from clientele.domain.csvio.records import Record
from clientele.domain.customers.merge import plan_merge
from clientele.domain.customers.normalize import code_key, name_key, postal_key
from clientele.domain.customers.service import NewCustomer, plan_creation
from clientele.domain.imports import stamps
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
from clientele.domain.imports.columns import column_for_pointer, customer_body, sku_body
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.store.customers import items as customer_store
from clientele.store.imports import previews
from clientele.store.kernel import keys as store_keys
from clientele.store.kernel.transactions import Transaction

# What is kept between chunks: a few windows of rows read ahead (the oldest go first).
_HOLDERS_KEPT = 2_000
_CUSTOMERS_KEPT = 500

Guard = customer_store.Guard


def _pair(key: dict[str, str]) -> ItemKey:
    return key["pk"], key["sk"]


def _match_guards(principal: Principal, body: dict[str, Any]) -> list[Guard]:
    """The unique values a row is matched by: code (in its organization), else external_id."""
    guards = []
    code, external_id = body.get("code"), body.get("external_id")
    organization = principal.organization_id or body.get("organization_id") or ""
    if isinstance(code, str) and code.strip():
        guards.append(Guard("code", (organization, code_key(code.strip()))))
    if isinstance(external_id, str) and external_id.strip():
        guards.append(Guard("external_id", (external_id.strip(),)))
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


def _shown(customer: dict[str, Any]) -> dict[str, Any]:
    hidden = {"password_hash", "unique_values", "address_ids", "tenant_id", "version", "entity", stamps.ATTRIBUTE}
    return {key: value for key, value in customer.items() if key not in hidden and value is not None}


def _guard_column(guard: Guard, context: ImportContext) -> str:
    pointer = {"code": "/code", "external_id": "/external_id", "name_postal_code": "/name"}[guard.field]
    return column_for_pointer(pointer, context.column_map) or ""


Keyed = tuple[Guard, ItemKey]  # a unique value and its guard item's key


@dataclass
class _PreparedRow:
    record: Record
    body: dict[str, Any] = field(default_factory=dict)
    problems: list[RowError] = field(default_factory=list)
    new: NewCustomer | None = None
    matches: list[Keyed] = field(default_factory=list)  # what it is matched by, in order
    creating: list[Keyed] = field(default_factory=list)  # the values a creation would take
    # Why it can't be created; only matters when it matches no existing customer.
    creation_problems: list[RowError] = field(default_factory=list)
    deferred: bool = False  # its key may appear in an earlier byte range: the last pass applies it
    reads: set[ItemKey] = field(default_factory=set)  # the items its planning read (see CustomerRows)


def _prepare(context: ImportContext, tenant: str, record: Record, forced: dict[int, RowError]) -> _PreparedRow:
    row = _PreparedRow(record, problems=[forced[record.row]] if record.row in forced else record_problems(record))
    if row.problems:
        return row
    row.body, cell_problems = customer_body(record.cells, context.column_map)
    row.problems = [RowError(record.row, record.line, p.column, p.code, p.message) for p in cell_problems]
    if row.problems:
        return row
    row.matches = [(guard, _pair(guard.key(tenant))) for guard in _match_guards(context.principal, row.body)]
    row.deferred = context.earlier is not None and deferred(context, customer_row_keys(context.principal, row.body))
    try:
        row.new = plan_creation(context.principal, row.body)
    except ValidationFailed as failed:
        row.creation_problems = row_errors(record, failed, context.column_map)
    else:
        row.creating = [(guard, _pair(guard.key(tenant))) for guard in row.new.guards]
    return row


@dataclass(frozen=True)
class _Merge:
    """A row merged into a customer as read (its id and version): the change (None: nothing changes), or errors."""

    customer_id: str
    version: int
    planned: tuple[customer_store.CustomerChange, dict[str, Any]] | None = None
    errors: list[RowError] = field(default_factory=list)
    taking: list[Keyed] = field(default_factory=list)  # unique values the change takes


class CustomerRows:
    """The customer rows of one range run, planned chunk after chunk (see the module's docstring).

    Rows are read ahead of the chunks that take them: each is prepared and its reads done once,
    in batches with the rows read with it. A commit forgets the items it wrote, and the rows
    whose planning read one of them are read again (in a batch) before a chunk plans them.
    """

    def __init__(self, context: ImportContext, tenant: str) -> None:
        self.context = context
        self.tenant = tenant
        self._rows: dict[int, _PreparedRow] = {}  # prepared, not yet taken by a chunk
        self._read: set[int] = set()  # rows whose reads are in the caches
        self._readers: dict[ItemKey, set[int]] = {}  # item -> rows whose planning read it
        self._holders: dict[ItemKey, str | None] = {}  # guard item -> the customer holding the value
        self._items: dict[str, dict[str, Any] | None] = {}  # customer items read, with or without their books
        self._customers: dict[str, customer_store.StoredCustomer | None] = {}  # ... and with them
        self._customer_ids: dict[ItemKey, str] = {}  # customer item -> id, to forget written customers
        self._merges: dict[int, _Merge] = {}

    # ------------------------------------------------------------ reads, batched

    def _ensure_holders(self, keyed: Iterable[Keyed]) -> None:
        missing = list({key: guard for guard, key in keyed if key not in self._holders}.items())
        if not missing:
            return
        guards = [guard for _, guard in missing]
        if self.context.preview:
            found = previews.guard_holders(self.tenant, self.context.job_id, guards)
        else:
            found = customer_store.guard_holders(self.tenant, guards)
        self._holders.update({key: found.get(guard) for key, guard in missing})

    def _ensure_customers(self, merging: Sequence[tuple[_PreparedRow, str]]) -> None:
        """The customers these rows merge into, with the address books of those whose stamp doesn't vouch
        for the row (a commit's unchanged re-import reads no address item)."""
        missing = list(dict.fromkeys(holder for _, holder in merging if holder not in self._items))
        if missing and self.context.preview:
            for customer_id, stored in previews.customers(self.tenant, self.context.job_id, missing).items():
                self._customers[customer_id] = stored
            for customer_id in missing:
                self._remember(customer_id, self._customers.setdefault(customer_id, None))
        elif missing:
            found = customer_store.load_many(self.tenant, missing)
            for customer_id in missing:
                self._items[customer_id] = found.get(customer_id)
                self._customer_ids[self._customer_key(customer_id)] = customer_id
        unvouched = [
            item
            for row, holder in merging
            if holder not in self._customers
            and (item := self._items.get(holder)) is not None
            and not self._vouched(row, item)
        ]
        if unvouched:
            books = customer_store.with_address_books(self.tenant, list({i["id"]: i for i in unvouched}.values()))
            for item in unvouched:
                self._remember(item["id"], books.get(item["id"]))

    def _remember(self, customer_id: str, stored: customer_store.StoredCustomer | None) -> None:
        self._customers[customer_id] = stored
        self._items[customer_id] = stored.customer if stored is not None else None
        self._customer_ids[self._customer_key(customer_id)] = customer_id

    def _vouched(self, row: _PreparedRow, customer: dict[str, Any]) -> bool:
        return not self.context.preview and stamps.vouches(customer, self.context.principal, row.body)

    def _customer_key(self, customer_id: str) -> ItemKey:
        return _pair(store_keys.customer_key(self.tenant, customer_id))

    def _holder(self, row: _PreparedRow) -> str | None:
        """The customer the row matches: the holder of its code, else of its external id."""
        return next((holder for _, key in row.matches if (holder := self._holders.get(key))), None)

    def _prepared(self, record: Record, forced: dict[int, RowError]) -> _PreparedRow:
        """Rows are offered to chunks until one takes them: prepare each once."""
        if record.row in forced:
            return _prepare(self.context, self.tenant, record, forced)
        row = self._rows.get(record.row)
        if row is None:
            row = self._rows[record.row] = _prepare(self.context, self.tenant, record, forced)
        return row

    def prefetch(self, records: Sequence[Record], forced: dict[int, RowError] | None = None) -> None:
        """Prepare the rows and read what planning them needs, in batches for all of them: the holders
        of their match values; for rows matching nobody, of the values a creation takes; for rows to
        merge, their customers (address books included) and the holders of the values the merges take."""
        rows = [self._prepared(record, {}) for record in records if record.row not in self._read]
        rows = [row for row in rows if row.record.row not in (forced or {})]
        live = [row for row in rows if not row.problems and not row.deferred]
        self._ensure_holders(keyed for row in live for keyed in row.matches)
        unmatched = {row.record.row: row for row in live if self._holder(row) is None}
        self._ensure_holders(keyed for row in unmatched.values() for keyed in row.creating)
        merging: dict[int, str] = {}
        if self.context.on_conflict == "update":
            merging = {row.record.row: holder for row in live if (holder := self._holder(row)) is not None}
            self._ensure_customers([(row, merging[row.record.row]) for row in live if row.record.row in merging])
            taking = (keyed for row in live if row.record.row in merging for keyed in self._taking(row))
            self._ensure_holders(taking)
        for row in rows:
            self._unregister(row)
            row.reads = {key for _, key in row.matches}
            if row.record.row in unmatched:
                row.reads |= {key for _, key in row.creating}
            if row.record.row in merging:
                row.reads |= {self._customer_key(merging[row.record.row]), *(key for _, key in self._taking(row))}
            for key in row.reads:
                self._readers.setdefault(key, set()).add(row.record.row)
            self._read.add(row.record.row)

    def _unregister(self, row: _PreparedRow) -> None:
        for key in row.reads:
            readers = self._readers.get(key)
            if readers is not None:
                readers.discard(row.record.row)
                if not readers:
                    del self._readers[key]

    def _merge(self, row: _PreparedRow, holder: str) -> _Merge | None:
        """The row merged into the customer it matches (None: no such customer, or not this import's to update)."""
        customer = self._items.get(holder)
        if customer is None or not self.context.principal.can_see(customer.get("organization_id")):
            return None
        version = int(customer["version"])
        cached = self._merges.get(row.record.row)
        if cached is not None and (cached.customer_id, cached.version) == (holder, version):
            return cached
        if self._vouched(row, customer):
            merge = _Merge(holder, version)
        else:
            merge = self._planned_merge(row, self._book(holder))
        self._merges[row.record.row] = merge
        return merge

    def _book(self, customer_id: str) -> customer_store.StoredCustomer:
        """The customer with its address book (read now if only its item was: a row it didn't vouch for)."""
        stored = self._customers.get(customer_id)
        item = self._items[customer_id]
        if stored is None and item is not None:
            stored = customer_store.with_address_books(self.tenant, [item]).get(customer_id)
            self._remember(customer_id, stored)
        if stored is None:
            raise AssertionError("a customer read a moment ago is in the cache")
        return stored

    def _planned_merge(self, row: _PreparedRow, stored: customer_store.StoredCustomer) -> _Merge:
        holder, version = stored.customer["id"], int(stored.customer["version"])
        try:
            planned = plan_merge(self.context.principal, stored, row.body)
        except ValidationFailed as failed:
            return _Merge(holder, version, errors=row_errors(row.record, failed, self.context.column_map))
        change = planned[0] if planned else None
        taken = [g for g in change.guards_after if g not in change.guards_before] if change else []
        return _Merge(holder, version, planned, taking=[(g, _pair(g.key(self.tenant))) for g in taken])

    def _taking(self, row: _PreparedRow) -> list[Keyed]:
        """The unique values the row's merge takes (read ahead: their holders are needed to plan it)."""
        holder = self._holder(row)
        merge = self._merge(row, holder) if holder is not None else None
        return merge.taking if merge is not None else []

    # ------------------------------------------------------------ planning

    def plan(self, records: list[Record], room: int, numbers: Sequence[int], forced: dict[int, RowError]) -> ChunkPlan:
        """Plan rows in order until the chunk is full; `numbers` are customer numbers its creations may use.

        `forced` rows fail with the given error (their write was refused when the chunk committed).
        """
        self.prefetch(records, forced)
        chunk = Chunk(room, self.context.preview)
        for record in records:
            if not self._take(chunk, self._prepared(record, forced), numbers):
                break
        chunk.plan.numbers_used = 0 if self.context.preview else chunk.plan.counts["created"]
        return chunk.plan

    def _take(self, chunk: Chunk, row: _PreparedRow, numbers: Sequence[int]) -> bool:
        if row.problems:
            return chunk.add_errors(row.problems)
        if row.deferred:
            return chunk.defer(row.record)
        match_keys = {key for _, key in row.matches}
        if chunk.collides(match_keys):
            return False  # an earlier row of the chunk writes its key: the next chunk reads the result
        holder = self._holder(row)
        if holder is None and row.new is None:
            return chunk.add_errors(row.creation_problems)
        if holder is None:
            return self._create(chunk, row, match_keys, numbers)
        return self._existing(chunk, row, holder, match_keys)

    def _error(self, chunk: Chunk, row: _PreparedRow, column: str, code: str, message: str) -> bool:
        return chunk.add_errors([RowError(row.record.row, row.record.line, column, code, message)])

    def _taken_value(self, chunk: Chunk, row: _PreparedRow, held: Keyed) -> bool:
        guard, key = held
        message = f"{guard.field} is already used by customer {self._holders.get(key)}"
        return self._error(chunk, row, _guard_column(guard, self.context), "conflict", message)

    def _would_be_keys(self, customer_id: str, keyed: Iterable[Keyed]) -> set[ItemKey]:
        """The items a preview's would-be write stands for (what its chunk must not touch twice)."""
        return {self._customer_key(customer_id), *(key for _, key in keyed)}

    def _create(self, chunk: Chunk, row: _PreparedRow, match_keys: set[ItemKey], numbers: Sequence[int]) -> bool:
        new = row.new
        if new is None:
            raise AssertionError("only a row that can be created is created")
        held = next((keyed for keyed in row.creating if self._holders.get(keyed[1])), None)
        if held is not None:
            return self._taken_value(chunk, row, held)
        unit: Transaction
        if self.context.preview:
            stored = customer_store.StoredCustomer(new.customer, new.address_items)
            unit = previews.customer_unit(self.tenant, self.context.job_id, stored, new.guards, ())
            touched = self._would_be_keys(new.customer["id"], row.creating)
            return chunk.add(row.record, "created", unit, touched | match_keys, _shown(new.customer))
        created = chunk.plan.counts["created"]
        if created >= len(numbers):
            return False  # out of reserved numbers: the next chunk reserves more
        stamp = stamps.stamp(self.context.principal, row.body, new.customer["version"])
        if stamp is not None:
            new = replace(new, customer={**new.customer, stamps.ATTRIBUTE: stamp})
        unit = new.unit(self.tenant, numbers[created])
        return chunk.add(row.record, "created", unit, unit.item_keys() | match_keys, None)

    def _existing(self, chunk: Chunk, row: _PreparedRow, holder: str, match_keys: set[ItemKey]) -> bool:
        if self.context.on_conflict == "skip":
            return chunk.add(row.record, "skipped", None, match_keys, None)
        if self.context.on_conflict == "error":
            message = f"matches existing customer {holder} (on_conflict=error)"
            return self._error(chunk, row, "", "conflict", message)
        merge = self._merge(row, holder)
        customer = self._items.get(holder)
        if customer is None or merge is None:
            message = f"matches customer {holder}, which this import can't update"
            return self._error(chunk, row, "", "conflict", message)
        if merge.errors:
            return chunk.add_errors(merge.errors)
        if merge.planned is None:
            return chunk.add(row.record, "unchanged", None, match_keys, _shown(customer))
        change, saved = merge.planned
        held = next((keyed for keyed in merge.taking if self._holders.get(keyed[1]) not in {None, holder}), None)
        if held is not None:
            return self._taken_value(chunk, row, held)
        unit: Transaction
        if self.context.preview:
            released = [guard for guard in change.guards_before if guard not in change.guards_after]
            after = customer_store.StoredCustomer(saved, _book_after(self._book(holder), change))
            taken = [guard for guard, _ in merge.taking]
            unit = previews.customer_unit(self.tenant, self.context.job_id, after, taken, released)
            keyed = [*merge.taking, *((guard, _pair(guard.key(self.tenant))) for guard in released)]
            touched = self._would_be_keys(holder, keyed)
        else:
            stamp = stamps.stamp(self.context.principal, row.body, change.expected_version + 1)
            if stamp is not None:
                change = replace(change, set_attributes={**change.set_attributes, stamps.ATTRIBUTE: stamp})
            unit = customer_store.change_unit(self.tenant, change)
            touched = unit.item_keys()
        return chunk.add(row.record, "updated", unit, touched | match_keys, _shown(saved))

    # ------------------------------------------------------------ ahead and after

    def creations_ahead(self, records: Sequence[Record]) -> int:
        """How many of these rows (prefetched) would create a customer, as far as can be told before
        planning them: rows that match nobody and whose values nobody holds, each value counted once."""
        seen: set[ItemKey] = set()
        creations = 0
        for record in records:
            row = self._rows.get(record.row)
            if row is None or row.problems or row.deferred:
                continue
            values = {key for _, key in row.matches}
            creates = self._holder(row) is None and row.new is not None
            if creates:
                values |= {key for _, key in row.creating}
                creates = not any(self._holders.get(key) for _, key in row.creating)
            if creates and not values & seen:
                creations += 1
            seen |= values
        return creations

    def _forget(self, key: ItemKey) -> None:
        """Drop what is known of an item; the rows whose planning read it are read again."""
        self._holders.pop(key, None)
        customer_id = self._customer_ids.pop(key, None)
        if customer_id is not None:
            self._customers.pop(customer_id, None)
            self._items.pop(customer_id, None)
        self._read -= self._readers.pop(key, set())

    def committed(self, touched: set[ItemKey]) -> None:
        """A chunk committed: forget the items it wrote (its would-be state, for a preview)."""
        for key in touched:
            self._forget(key)

    def taken(self, last_row: int) -> None:
        """Rows up to `last_row` are done: drop them, and keep the caches to a few windows of rows."""
        for number in [number for number in self._rows if number <= last_row]:
            row = self._rows.pop(number)
            self._merges.pop(number, None)
            self._read.discard(number)
            self._unregister(row)
        for key in list(self._holders)[: max(0, len(self._holders) - _HOLDERS_KEPT)]:
            self._forget(key)
        for customer_id in list(self._items)[: max(0, len(self._items) - _CUSTOMERS_KEPT)]:
            self._forget(self._customer_key(customer_id))


def _book_after(stored: customer_store.StoredCustomer, change: customer_store.CustomerChange) -> list[dict[str, Any]]:
    book = {address["id"]: address for address in stored.addresses}
    book.update({put.attributes["id"]: put.attributes for put in change.address_puts})
    for address_id in change.address_deletes:
        book.pop(address_id, None)
    return sorted(book.values(), key=lambda address: str(address["id"]))

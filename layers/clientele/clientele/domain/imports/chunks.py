"""A chunk of import rows: what it does (ChunkPlan) and how rows are put into it (Chunk).

A chunk takes rows in file order while their writes fit one transaction; a
row touching an item an earlier row of the chunk touches (the same code
twice, say) ends the chunk, so it meets that earlier row's result when the
next chunk reads the table: rows of a file apply in order. A row that writes
nothing (unchanged, skipped) costs the transaction nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from clientele.domain.csvio.records import Record
from clientele.domain.imports.columns import ColumnMap, column_for_pointer
from clientele.domain.imports.key_filters import KeyFilter
from clientele.domain.kernel.errors import ValidationFailed
from clientele.domain.kernel.principal import Principal
from clientele.store.kernel.transactions import Transaction

PREVIEW_ROWS = 10
MAX_ERRORS_PER_ROW = 50  # as the API's `errors` (API.md §12)

ItemKey = tuple[str, str]  # (pk, sk) of an item a row writes or depends on


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
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    numbers_used: int = 0
    actions: int = 0
    touched: set[ItemKey] = field(default_factory=set)
    deferred: list[Record] = field(default_factory=list)

    @property
    def writes_nothing(self) -> bool:
        """Nothing to write but counts: such rows can go with a later chunk's commit."""
        return not (self.units or self.errors or self.deferred)


@dataclass(frozen=True)
class ImportContext:
    principal: Principal
    column_map: ColumnMap
    on_conflict: str
    preview: bool
    customer_id: str | None = None  # SKU mapping imports
    # Keys that may appear in an earlier byte range of the file: rows with them are deferred.
    earlier: KeyFilter | None = None
    job_id: str = ""  # a preview keeps its would-be writes with its job


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


def record_problems(record: Record) -> list[RowError]:
    if record.error is not None:
        return [RowError(record.row, record.line, "", record.error.code, record.error.message)]
    return []


def deferred(context: ImportContext, keys: list[str]) -> bool:
    return context.earlier is not None and any(key in context.earlier for key in keys)


class Chunk:
    """Accumulates rows into a ChunkPlan while they fit and touch nothing already touched."""

    def __init__(self, room: int, preview: bool) -> None:
        self.plan = ChunkPlan()
        self.room = room
        self.preview = preview

    def collides(self, keys: set[ItemKey]) -> bool:
        return bool(keys & self.plan.touched)

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

    def add(self, record: Record, outcome: str, unit: Transaction | None, keys: set[ItemKey], shown: Any) -> bool:
        """Take the row with its outcome and its writes (a preview's are its would-be state); False: it doesn't fit."""
        size = len(unit) if unit is not None else 0
        if not self.fits(size) or self.collides(keys):
            return False
        if unit is not None and size:
            unit_key = f"r{record.row}"
            self.plan.units[unit_key] = unit
            self.plan.unit_rows[unit_key] = record
        self.plan.touched |= keys
        self.plan.actions += size
        self.plan.counts[outcome] += 1
        self.plan.counts["rows"] += 1
        self.plan.taken += 1
        if self.preview and len(self.plan.preview) < PREVIEW_ROWS:
            self.plan.preview.append({"row": record.row, "action": outcome, "data": shown})
        return True

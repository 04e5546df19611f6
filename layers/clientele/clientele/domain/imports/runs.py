"""Running an import job (ARCHITECTURE.md §3): header, byte ranges, checkpointed chunks.

The worker streams the file from the range's checkpoint (never the whole
object), reads a window of rows ahead (what they need from the table is read
in batches for all of them), plans a chunk of rows (rows.py, sku_rows.py),
and commits the chunk's writes, row errors, the new checkpoint and the job's
counts in one transaction. Rows that write nothing (unchanged, skipped) go
with the next chunk that writes, or with one commit per QUIET_ROWS of them,
so re-importing an unchanged file costs its batched reads and little else. A
crash or timeout resumes at the last committed checkpoint; a duplicated
message loses the checkpoint's version race and stops. When time runs low
the worker returns and asks for a continuation.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from clientele.domain.csvio.records import LF, Header, HeaderError, Record, read_header, read_records
from clientele.domain.customers.service import UNIQUE_FIELDS
from clientele.domain.imports.chunks import PREVIEW_ROWS, ChunkPlan, ImportContext, ItemKey, RowError
from clientele.domain.imports.columns import ColumnMap, map_customer_header, map_sku_header
from clientele.domain.imports.key_filters import KeyFilter
from clientele.domain.imports.numbers import NumberPool
from clientele.domain.imports.rows import CustomerRows, row_keys
from clientele.domain.imports.service import ERRORS_SAMPLE_SIZE, TERMINAL, is_import
from clientele.domain.imports.sku_rows import SkuRows
from clientele.domain.kernel import clock
from clientele.domain.kernel.principal import job_principal
from clientele.observability import count, logger
from clientele.store.customers import items as customer_store
from clientele.store.imports import checkpoints, uploads
from clientele.store.jobs import items as store
from clientele.store.kernel.errors import UniqueValueTaken
from clientele.store.kernel.transactions import MAX_ACTIONS, TransactionCancelled
from clientele.store.sku_mappings import items as sku_store

# Rows read ahead of the chunks, READ_BLOCK at a time once half of them are taken: what they need
# is read in full batches of 100 keys, and memory stays small.
WINDOW_ROWS = 400
READ_BLOCK = 200
# Rows that write nothing are committed (checkpoint and counts) at least once per this many; a crash
# redoes their reads only.
QUIET_ROWS = 5_000
_DEFERRED_PAGE = 100
# A file bigger than this is split into byte ranges that parallel workers import (about
# 150,000 rows each: a few minutes of one worker).
RANGE_BYTES = 16 * 1024 * 1024
MAX_RANGES = 64
_BYTES_PER_ROW_GUESS = 48  # sizes the key filter from the file size (short rows: more keys)
MAX_WARNINGS = 50
_RANGE_AND_JOB_ACTIONS = 2
_COMMIT_ATTEMPTS = 5


class _JobFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _column_map(job: dict[str, Any], names: list[str]) -> ColumnMap:
    mapper = map_sku_header if job["type"] == "sku_mapping_import" else map_customer_header
    return mapper(names)


def _open(job: dict[str, Any]) -> BinaryIO:
    source = job["object"]
    return uploads.open_object(source["bucket"], source["key"], source["etag"])


def _warnings(column_map: ColumnMap) -> list[dict[str, str]]:
    found = [
        {"code": "unknown_column", "column": name, "message": "not a known column; ignored"}
        for name in column_map.unknown
    ]
    found += [
        {"code": "duplicate_column", "column": name, "message": "an earlier column has the same meaning; ignored"}
        for name in column_map.duplicates
    ]
    return found[:MAX_WARNINGS]


def _start(tenant: str, job: dict[str, Any]) -> dict[str, Any]:
    """Read the header, check the columns and create the range checkpoints; the job is then running."""
    stream = _open(job)
    try:
        header = read_header(stream)
        column_map = _column_map(job, header.names)
    except HeaderError as error:
        raise _JobFailed(error.code, error.message) from None
    finally:
        stream.close()
    size = job["object"].get("size") or 0
    if size - header.data_offset > RANGE_BYTES:
        ranges = _split(tenant, job, header, column_map, size)
    else:
        ranges = [_checkpoint(header.data_offset, None, 1, header.next_line)]
    data_ranges = len(ranges)
    if data_ranges > 1:
        # The last pass: rows deferred because their key may appear in an earlier range.
        ranges.append({**_checkpoint(0, None, 1, 0), "deferred": True, "after_row": 0})
    changes = {
        "status": "running",
        "started_at": clock.now_timestamp(),
        "progressed_at": clock.now_timestamp(),
        "header": {
            "names": header.names,
            "delimiter": header.delimiter,
            "data_offset": header.data_offset,
            "next_line": header.next_line,
            "newline": header.newline,
        },
        "warnings": _warnings(column_map),
        "ranges_total": len(ranges),
        "data_ranges": data_ranges,
        "ranges_done": 0,
        "bytes_done": header.data_offset if size else 0,
        "version": job["version"] + 1,
    }
    try:
        checkpoints.start(tenant, job["id"], job["version"], changes, ranges)
    except checkpoints.CheckpointMoved:
        return store.load(tenant, job["id"]) or job  # another delivery started it first
    started = {**job, **changes}
    _fan_out(tenant, started)
    return started


def _checkpoint(offset: int, end: int | None, row: int, line: int) -> dict[str, Any]:
    return {
        "start": offset,
        "end": end,
        "offset": offset,
        "row": row,
        "line": line,
        "done": False,
        "numbers": [],
        "version": 1,
    }


def _fan_out(tenant: str, job: dict[str, Any]) -> None:
    """Queue a message for every data range but the first (this run goes on with that one).

    Sent again by any later run of range 0 that finds it not recorded, so a crash between the
    start and here loses no range; a range run twice loses its checkpoint race.
    """
    if job.get("data_ranges", 1) <= 1 or job.get("fanned_out"):
        return
    for number in range(1, job["data_ranges"]):
        store.enqueue_import(tenant, job["id"], number)
    checkpoints.update_job(
        tenant, job["id"], {"fanned_out": True}, condition="#status = :running", values={":running": "running"}
    )


def _split(tenant: str, job: dict[str, Any], header: Header, column_map: ColumnMap, size: int) -> list[dict[str, Any]]:
    """Cut the file into ranges of about RANGE_BYTES at record boundaries, in one streaming pass.

    The same pass collects every row's keys: range k gets, as a file of the job, a filter of
    the keys of ranges before it. Rows whose key it may hold are deferred to the last pass.
    """
    context = _context(tenant, job, column_map)
    parts = min(MAX_RANGES, -(-(size - header.data_offset) // RANGE_BYTES))
    target = (size - header.data_offset) / parts
    earlier = KeyFilter.for_keys((size - header.data_offset) // _BYTES_PER_ROW_GUESS)
    ranges = [_checkpoint(header.data_offset, None, 1, header.next_line)]
    stream = _open(job)
    try:
        stream.seek(header.data_offset)
        records = read_records(
            stream, header, start_offset=header.data_offset, first_row=1, first_line=header.next_line
        )
        for record in records:
            boundary = header.data_offset + target * len(ranges)
            if record.start_offset >= boundary and len(ranges) < parts:
                ranges[-1]["end"] = record.start_offset
                uploads.put_job_file(_filter_key(tenant, job["id"], len(ranges)), earlier.to_bytes())
                ranges.append(_checkpoint(record.start_offset, None, record.row, record.line))
            for key in row_keys(context, record):
                earlier.add(key)
    finally:
        stream.close()
    return ranges


def _filter_key(tenant: str, job_id: str, range_number: int) -> str:
    return uploads.job_file_key(tenant, job_id, f"range-{range_number:04d}.keys")


def _context(
    tenant: str, job: dict[str, Any], column_map: ColumnMap, earlier: KeyFilter | None = None
) -> ImportContext:
    return ImportContext(
        principal=job_principal(tenant, job),
        column_map=column_map,
        on_conflict=job["on_conflict"],
        preview=job["mode"] == "preview",
        customer_id=job.get("customer_id") if job["type"] == "sku_mapping_import" else None,
        earlier=earlier,
        job_id=job["id"],
    )


def run(tenant: str, job_id: str, range_number: int, time_left_ms: Callable[[], int], reserve_ms: int = 20_000) -> bool:
    """Advance one range of the import until it ends or time runs low. True when it needs another run."""
    job = store.load(tenant, job_id)
    if job is None or not is_import(job) or job["status"] in TERMINAL or job["status"] == "awaiting_upload":
        return False
    try:
        if job["status"] == "queued":
            job = _start(tenant, job)
        if job["status"] != "running":
            return False
        more = _RangeRun(tenant, job, range_number, time_left_ms, reserve_ms).run()
    except _JobFailed as failed:
        _fail(tenant, job_id, failed.code, failed.message)
        return False
    except uploads.ObjectChanged:
        _fail(tenant, job_id, "file_changed", "the file was replaced or deleted while it was being imported")
        return False
    if not more:
        finish_if_done(tenant, job_id)
    return more


class _Planner(Protocol):
    """Plans the rows of one range run chunk after chunk (CustomerRows, SkuRows)."""

    def prefetch(self, records: Sequence[Record], forced: dict[int, RowError] | None = None) -> None: ...

    def plan(
        self, records: list[Record], room: int, numbers: Sequence[int], forced: dict[int, RowError]
    ) -> ChunkPlan: ...

    def creations_ahead(self, records: Sequence[Record]) -> int: ...

    def committed(self, touched: set[ItemKey]) -> None: ...

    def taken(self, last_row: int) -> None: ...


@dataclass
class _Quiet:
    """Rows planned that write nothing, not committed yet: they go with the next commit."""

    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    preview: list[dict[str, Any]] = field(default_factory=list)
    last_row: int = 0

    def add(self, plan: ChunkPlan, last_row: int) -> None:
        self.rows += plan.taken
        self.counts.update(plan.counts)
        self.preview += plan.preview
        self.last_row = last_row


class _RangeRun:
    def __init__(
        self, tenant: str, job: dict[str, Any], number: int, time_left_ms: Callable[[], int], reserve_ms: int
    ) -> None:
        self.tenant = tenant
        self.job = job
        self.number = number
        self.time_left_ms = time_left_ms
        self.reserve_ms = reserve_ms
        header = job["header"]
        self.header = Header(
            names=header["names"],
            delimiter=header["delimiter"],
            data_offset=int(header["data_offset"]),
            next_line=int(header["next_line"]),
            newline=header.get("newline", LF),
        )
        self.column_map = _column_map(job, self.header.names)
        self.context = _context(tenant, job, self.column_map)
        self.customers = job["type"] == "customer_import"
        self.numbers = NumberPool()
        # Preview rows are the file's first rows: range 0 shows them, appending to those already shown.
        self.shown = len(job.get("preview_rows") or []) if number == 0 else PREVIEW_ROWS
        # So is the job's errors sample while it runs (every list answers it); finishing makes it exact.
        self.sampled = len(job.get("errors_sample") or []) if number == 0 else ERRORS_SAMPLE_SIZE

    def run(self) -> bool:
        if self.number == 0:
            _fan_out(self.tenant, self.job)
        checkpoint = checkpoints.load_range(self.tenant, self.job["id"], self.number)
        if checkpoint is None or checkpoint.get("done"):
            return False
        if checkpoint.get("deferred"):
            if self.job.get("ranges_done", 0) < self.job.get("data_ranges", 1):
                return False  # the data ranges still run; the last of them queues this pass
        elif self.number > 0:
            earlier = KeyFilter.from_bytes(uploads.get_job_file(_filter_key(self.tenant, self.job["id"], self.number)))
            self.context = _context(self.tenant, self.job, self.column_map, earlier)
        if not self.customers and sku_store.customer_scope(self.tenant, self.job["customer_id"]) is None:
            raise _JobFailed("customer_not_found", f"customer {self.job['customer_id']} does not exist")
        self.planner: _Planner = (
            CustomerRows(self.context, self.tenant) if self.customers else SkuRows(self.context, self.tenant)
        )
        self.numbers = NumberPool.from_checkpoint(checkpoint)
        stream = _open(self.job)
        try:
            if checkpoint.get("deferred"):
                return self._chunks(
                    checkpoint, _deferred_records(self.tenant, self.job["id"], stream, self.header, checkpoint)
                )
            stream.seek(int(checkpoint["offset"]))
            records = read_records(
                stream,
                self.header,
                start_offset=int(checkpoint["offset"]),
                first_row=int(checkpoint["row"]),
                first_line=int(checkpoint["line"]),
                end_offset=int(checkpoint["end"]) if checkpoint.get("end") is not None else None,
            )
            return self._chunks(checkpoint, records)
        finally:
            stream.close()

    def _chunks(self, checkpoint: dict[str, Any], records: Iterator[Record]) -> bool:
        pending: deque[Record] = deque()
        exhausted = False
        quiet = _Quiet()
        while True:
            if self.time_left_ms() < self.reserve_ms:
                if quiet.rows:
                    self._commit(checkpoint, [], pending, exhausted, quiet, ChunkPlan())
                return True
            while not exhausted and len(pending) <= WINDOW_ROWS - READ_BLOCK:
                block = [record for _, record in zip(range(READ_BLOCK), records, strict=False)]
                pending.extend(block)
                exhausted = len(block) < READ_BLOCK
                self.planner.prefetch(block)  # whole blocks: full batches of reads
            # A chunk leaves the record after it pending: the new checkpoint starts there.
            offered = list(pending) if exhausted else list(pending)[:-1]
            plan = self._plan(offered, {})
            ends_range = plan.taken == len(pending)
            if plan.writes_nothing and not ends_range and quiet.rows + plan.taken <= QUIET_ROWS:
                quiet.add(plan, offered[plan.taken - 1].row)
                self.planner.taken(quiet.last_row)
                for _ in range(plan.taken):
                    pending.popleft()
                continue
            checkpoint, taken = self._commit(checkpoint, offered, pending, exhausted, quiet, plan)
            quiet = _Quiet()
            for _ in range(taken):
                pending.popleft()
            if checkpoint.get("done"):
                return False

    def _reserve_numbers(self, offered: list[Record], room: int, at_least: int = 0) -> None:
        """Reserve what the rows offered will create beyond the numbers left (no more: unused numbers are gaps)."""
        if len(self.numbers) >= max(room, at_least):
            return  # enough for any chunk: each creation is at least one action
        self.planner.prefetch(offered)
        wanted = max(at_least, self.planner.creations_ahead(offered)) - len(self.numbers)
        if wanted > 0:
            self.numbers.add(customer_store.reserve_customer_numbers(self.tenant, wanted))

    def _plan(self, offered: list[Record], forced: dict[int, RowError]) -> ChunkPlan:
        if not offered:
            return ChunkPlan()  # nothing (more) in the range: the chunk only marks it done
        room = MAX_ACTIONS - _RANGE_AND_JOB_ACTIONS
        if not self.customers:
            room -= 1  # the customer's existence check
        numbering = self.customers and not self.context.preview
        if numbering:
            self._reserve_numbers(offered, room)
        plan = self.planner.plan(offered, room, list(self.numbers), forced)
        if plan.taken == 0 and numbering and not len(self.numbers):
            # The first row creates a customer after all (its earlier value holder's write was refused).
            self._reserve_numbers(offered, room, at_least=1)
            plan = self.planner.plan(offered, room, list(self.numbers), forced)
        if plan.taken == 0:
            raise AssertionError("a chunk always takes its first row")  # else the range would never advance
        return plan

    def _next_checkpoint(
        self, checkpoint: dict[str, Any], last_row: int | None, following: Record | None, done: bool
    ) -> dict[str, Any]:
        if checkpoint.get("deferred"):
            return {"after_row": last_row if last_row is not None else checkpoint["after_row"], "done": done}
        if following is None:
            end = checkpoint.get("end") or self.job["object"].get("size") or 0
            return {"offset": end, "row": checkpoint["row"], "line": checkpoint["line"], "done": True}
        return {"offset": following.start_offset, "row": following.row, "line": following.line, "done": False}

    def _preview_rows(self, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return candidates[: max(0, PREVIEW_ROWS - self.shown)]

    def _commit(  # noqa: PLR0917 - the chunk, where it stands in the range, and the rows before it
        self,
        checkpoint: dict[str, Any],
        offered: list[Record],
        pending: deque[Record],
        exhausted: bool,
        quiet: _Quiet,
        plan: ChunkPlan,
    ) -> tuple[dict[str, Any], int]:
        forced: dict[int, RowError] = {}
        for attempt in range(_COMMIT_ATTEMPTS):
            if attempt:
                plan = self._plan(offered, forced)
            following = pending[plan.taken] if plan.taken < len(pending) else None
            done = following is None and exhausted
            if following is None and not done:
                # The chunk took every record read so far but the range goes on: read more first.
                raise AssertionError("a chunk must leave the next record pending")
            last_row = offered[plan.taken - 1].row if plan.taken else (quiet.last_row or None)
            new_checkpoint = self._next_checkpoint(checkpoint, last_row, following, done)
            numbers_left = self.numbers.after_using(plan.numbers_used)
            new_checkpoint["numbers"] = numbers_left.as_checkpoint()
            units = dict(plan.units)
            if units and not self.customers and not self.context.preview:
                units["customer"] = sku_store.customer_check(
                    self.tenant, self.job["customer_id"], mappings_added=plan.counts["created"]
                )
            counts = {f"count_{name}": amount for name, amount in (quiet.counts + plan.counts).items()}
            counts["bytes_done"] = int(new_checkpoint.get("offset", 0)) - int(checkpoint.get("offset", 0))
            if done:
                counts["ranges_done"] = 1
            shown = self._preview_rows(quiet.preview + plan.preview)
            sample = [error.as_dict() for error in plan.errors[: max(0, ERRORS_SAMPLE_SIZE - self.sampled)]]
            appends = {name: items for name, items in (("preview_rows", shown), ("errors_sample", sample)) if items}
            failures = checkpoints.commit_chunk(
                self.tenant,
                self.job["id"],
                self.number,
                int(checkpoint["version"]),
                new_checkpoint,
                job_counts=counts,
                job_first_values={},
                job_appends=appends,
                units=units,
                errors=[(error.row * 100 + position, error.as_dict()) for position, error in _numbered(plan.errors)],
                deferred=[{"row": r.row, "line": r.line, "offset": r.start_offset} for r in plan.deferred],
                progressed_at=clock.now_timestamp(),
            )
            self.planner.committed(plan.touched)  # committed, or refused: read it again either way
            if not failures:
                count("ImportRows", quiet.rows + plan.counts["rows"])
                self.shown += len(shown)
                self.sampled += len(sample)
                self.numbers = numbers_left
                if last_row is not None:
                    self.planner.taken(last_row)
                return {**checkpoint, **new_checkpoint, "version": int(checkpoint["version"]) + 1}, plan.taken
            for failure in failures:
                if failure.key == "customer":
                    raise _JobFailed("customer_not_found", f"customer {self.job['customer_id']} no longer exists")
                record = plan.unit_rows[failure.key]
                forced[record.row] = _failure_error(record, failure.cancelled)
        raise checkpoints.CheckpointMoved(self.job["id"])


def _numbered(errors: list[RowError]) -> Iterator[tuple[int, RowError]]:
    """Each error with its position among its row's errors (their item keys must differ)."""
    seen: dict[int, int] = {}
    for error in errors:
        position = seen.get(error.row, 0)
        seen[error.row] = position + 1
        yield position, error


def _failure_error(record: Record, cancelled: TransactionCancelled) -> RowError:
    error = customer_store.creation_error(cancelled, [customer_store.Guard(field, ()) for field in UNIQUE_FIELDS])
    if isinstance(error, UniqueValueTaken):
        message = f"{error.field} is already used by customer {error.holder_id}"
        return RowError(record.row, record.line, "", "conflict", message)
    return RowError(record.row, record.line, "", "changed_during_import", "the record changed while it was imported")


def _deferred_records(
    tenant: str, job_id: str, stream: Any, header: Header, checkpoint: dict[str, Any]
) -> Iterator[Record]:
    """The deferred rows after the checkpoint, in row order, each read again from its offset."""
    after = int(checkpoint["after_row"])
    while True:
        page = checkpoints.deferred_rows(tenant, job_id, after, _DEFERRED_PAGE)
        for entry in page:
            offset = int(entry["offset"])
            stream.seek(offset)
            yield from read_records(
                stream,
                header,
                start_offset=offset,
                first_row=int(entry["row"]),
                first_line=int(entry["line"]),
                end_offset=offset + 1,
            )
            after = int(entry["row"])
        if len(page) < _DEFERRED_PAGE:
            return


def finish_if_done(tenant: str, job_id: str) -> None:
    """Once every range is done, give the job its final status (whoever gets here first).

    When the data ranges of a split import are done, the deferred rows' pass is queued.
    """
    job = store.load(tenant, job_id)
    if job is None or job["status"] != "running":
        return
    done, total, data_ranges = job.get("ranges_done", 0), job.get("ranges_total", 1), job.get("data_ranges", 1)
    if done < total:
        if data_ranges < total and done >= data_ranges:
            store.enqueue_import(tenant, job_id, data_ranges)
        return
    status = "completed_with_errors" if job.get("count_failed") else "succeeded"
    finished_at = clock.now_timestamp()
    changes: dict[str, Any] = {"status": status, "finished_at": finished_at, "progressed_at": finished_at}
    if job.get("count_failed") and total > 1:
        # Ranges found errors side by side: the exact sample is the first errors by row, whichever
        # range found them. (One range appended its first errors in row order already.)
        _, changes["errors_sample"] = checkpoints.load_with_errors(tenant, job_id, ERRORS_SAMPLE_SIZE)
    finished = checkpoints.update_job(
        tenant,
        job_id,
        changes,
        condition="#status = :running",
        values={":running": "running"},
    )
    if finished:
        logger.info("import finished", extra={"job_id": job_id, "status": status})


def _fail(tenant: str, job_id: str, code: str, message: str) -> None:
    checkpoints.update_job(
        tenant,
        job_id,
        {"status": "failed", "finished_at": clock.now_timestamp(), "error": {"code": code, "message": message}},
        condition="NOT #status IN (:succeeded, :with_errors, :failed)",
        values={":succeeded": "succeeded", ":with_errors": "completed_with_errors", ":failed": "failed"},
    )


def fail(tenant: str, job_id: str, message: str) -> None:
    """Give up on the job (its message is about to go to the dead-letter queue)."""
    _fail(tenant, job_id, "job_failed", message)

"""The search backfill: search items for customers written before the search index existed.

A one-off job over the whole table (every tenant), run from `make search-backfill` (scripts/
search_backfill.py). Each customer goes through the stream function's own code path
(index.index_current -> store.search.items.apply), conditioned on the customer's marker, so:

- idempotent: a customer whose current version is indexed already (by the stream, or by an
  earlier run) costs one refused transaction and writes nothing;
- safe beside the live stream: a version the stream indexed later always wins;
- resumable: the position in the table is checkpointed after every page; a run stopped by
  `max_seconds`, a crash or Ctrl-C continues from the last page it finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientele.domain.search import index
from clientele.store.search import backfill as store

PAGE_SIZE = 200


@dataclass
class Progress:
    scanned_pages: int = 0
    customers: int = 0
    indexed: int = 0  # customers whose items were written
    already: int = 0  # customers indexed at their version already: nothing written
    writes: int = 0
    done: bool = False


def run(
    *,
    max_seconds: float | None = None,
    restart: bool = False,
    page_size: int = PAGE_SIZE,
    tenant: str | None = None,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Advance the backfill until the table ends or `max_seconds` pass (then run it again to go on).

    `tenant` limits it to one tenant's customers (one checkpoint per table: don't mix both kinds of run).
    """
    if restart:
        store.clear_checkpoint()
    checkpoint = store.load_checkpoint() or {}
    if checkpoint.get("done"):
        return Progress(done=True)
    start: Any = checkpoint.get("position")
    progress = Progress()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    while True:
        customers, start = store.customers_page(start, page_size, tenant)
        progress.scanned_pages += 1
        for owner, customer in customers:
            applied = index.index_current(owner, customer)
            progress.customers += 1
            progress.writes += applied.writes
            if applied.skipped:
                progress.already += 1
            else:
                progress.indexed += 1
        progress.done = start is None
        store.save_checkpoint({"position": start, "done": progress.done, "at": time.time()})
        if report is not None:
            report(progress)
        if progress.done or (deadline is not None and time.monotonic() >= deadline):
            return progress

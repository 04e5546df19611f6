"""The backfill: what the change stream keeps, for customers written before it kept it.

A one-off job over the whole table (every tenant), or one tenant, run from `make search-backfill`
(scripts/search_backfill.py). One pass gives each customer, through the stream function's own code
paths and conditioned the same way:

- its search items (index.index_current, conditioned on the customer's search marker); with
  `force`, rewritten even when its marker says this version is indexed (after a change of the
  folding rules), once per forced pass;
- its place in the tenant's counts (counts.tally.count_current, conditioned on its counted marker),
  and at the end of the pass the counts are marked complete: the tenant's (a one-tenant pass) or
  every tenant's (a pass over the whole table), so `include_total` may answer from them;
- its number's `lookup` entry, if its item predates the `lookup` index (conditioned on its version).

Idempotent: a customer indexed, counted and looked up already writes nothing (a second pass writes
nothing). Safe beside the live stream: a later version the stream follows always wins. Resumable:
the position in the table is checkpointed after every page; a pass stopped by `max_seconds`, a
crash or Ctrl-C continues from the last page it finished.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientele.domain.counts import tally
from clientele.domain.search import index
from clientele.store.customers import items as customer_store
from clientele.store.search import backfill as store

PAGE_SIZE = 200
# What a pass does; a checkpoint left by a pass that did less (before counts) starts over.
PASS = 2


@dataclass
class Progress:
    scanned_pages: int = 0
    customers: int = 0
    indexed: int = 0  # customers whose search items were written
    already: int = 0  # customers indexed at their version already: nothing written
    writes: int = 0  # search items written
    counted: int = 0  # customers moved into (or within) the counts
    lookups: int = 0  # customer items given their number's lookup
    done: bool = False


def run(
    *,
    max_seconds: float | None = None,
    restart: bool = False,
    force: bool = False,
    page_size: int = PAGE_SIZE,
    tenant: str | None = None,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Advance the backfill until the table ends or `max_seconds` pass (then run it again to go on).

    `tenant` limits it to one tenant's customers (one checkpoint per table: don't mix both kinds of
    run). `force` rewrites every customer's search items: a new forced pass from the start of the
    table, or the unfinished forced pass the checkpoint holds.
    """
    checkpoint = store.load_checkpoint() or {}
    if checkpoint.get("pass") != PASS:
        checkpoint = {}
    resuming_forced = bool(checkpoint.get("generation")) and not checkpoint.get("done")
    if restart or (force and not resuming_forced):
        checkpoint = {"generation": uuid.uuid4().hex} if force else {}
    if checkpoint.get("done"):
        return Progress(done=True)
    generation: str | None = checkpoint.get("generation")
    start: Any = checkpoint.get("position")
    progress = Progress()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    while True:
        customers, start = store.customers_page(start, page_size, tenant)
        progress.scanned_pages += 1
        for owner, customer in customers:
            _backfill_one(owner, customer, generation, progress)
        progress.done = start is None
        if progress.done:
            # Every customer the tenant (or table) had when counting began is counted now.
            if tenant is None:
                tally.mark_all_complete()
            else:
                tally.mark_tenant_complete(tenant)
        saved = {"pass": PASS, "position": start, "done": progress.done, "at": time.time()}
        store.save_checkpoint(saved if generation is None else {**saved, "generation": generation})
        if report is not None:
            report(progress)
        if progress.done or (deadline is not None and time.monotonic() >= deadline):
            return progress


def _backfill_one(tenant: str, customer: dict[str, Any], generation: str | None, progress: Progress) -> None:
    applied = index.index_current(tenant, customer, generation)
    progress.customers += 1
    progress.writes += applied.writes
    if applied.skipped:
        progress.already += 1
    else:
        progress.indexed += 1
    if tally.count_current(tenant, customer).changed:
        progress.counted += 1
    if customer_store.add_number_lookup(tenant, customer):
        progress.lookups += 1

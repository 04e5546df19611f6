"""`make bench`: prints every performance figure; never fails on time."""

from __future__ import annotations

import os

from bench import (
    change_events,
    dynamodb_calls,
    import_times,
    imports,
    ledger,
    lists_and_matching,
    moto_transactions,
    search,
    totals,
)


def main() -> None:
    # The services count what they do as EMF metrics; a benchmark has no use for those lines.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    import_times.main()
    print()
    dynamodb_calls.main()
    print()
    ledger.main()
    print()
    moto_transactions.main()
    print()
    lists_and_matching.main()
    print()
    search.main()
    print()
    change_events.main()
    print()
    totals.main()
    print()
    imports.main()


if __name__ == "__main__":
    main()

"""Backfill what the change stream keeps (search items, counts) and number lookups (one-off, idempotent, resumable).

    make search-backfill TABLE=<table name> [ENDPOINT=http://127.0.0.1:4566] [ARGS="--restart"]

It scans the table a page at a time and, through the change stream function's own code paths, indexes
each customer for search (conditioned on its search marker: a version already indexed writes nothing)
and counts it in its tenant's counts (conditioned on its counted marker), and gives a numbered customer
item written before the `lookup` index its number's lookup (conditioned on its version), with a
checkpoint item after every page: stop it at any time and run it again to go on. At the end the counts
are marked complete (the tenant's with --tenant, else every tenant's). `--restart` starts over from the
beginning of the table (still writing nothing for customers already done); `--force` rewrites every
customer's search items even when indexed (after a change of the folding rules), once per forced pass.
Uses the usual AWS credentials and region (AWS_PROFILE, AWS_REGION...).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="the stack's table (TABLE_NAME)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    parser.add_argument("--max-seconds", type=float, default=None, help="stop after this long (resume later)")
    parser.add_argument("--tenant", default=None, help="only this tenant's customers")
    parser.add_argument("--restart", action="store_true", help="start again from the beginning of the table")
    parser.add_argument("--force", action="store_true", help="rewrite search items even where indexed (a new pass)")
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("give --table or TABLE_NAME")
    os.environ["TABLE_NAME"] = args.table
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Clientele")
    sys.path.insert(0, str(ROOT / "layers" / "clientele"))
    from clientele.domain.search import backfill

    def report(progress: backfill.Progress) -> None:
        print(
            f"pages {progress.scanned_pages}: {progress.customers} customers, {progress.indexed} indexed, "
            f"{progress.already} already indexed, {progress.writes} items written, {progress.counted} counted, "
            f"{progress.lookups} number lookups added",
            flush=True,
        )

    progress = backfill.run(
        max_seconds=args.max_seconds, restart=args.restart, force=args.force, tenant=args.tenant, report=report
    )
    print("done" if progress.done else "stopped: run again to resume", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

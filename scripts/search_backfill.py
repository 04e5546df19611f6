"""Build search items for customers written before the search index existed (one-off, idempotent, resumable).

    make search-backfill TABLE=<table name> [ENDPOINT=http://127.0.0.1:4566] [ARGS="--restart"]

It scans the table a page at a time and indexes each customer through the change stream function's
own code path (conditioned on the customer's marker: a version already indexed writes nothing), with a
checkpoint item after every page: stop it at any time and run it again to go on. `--restart` starts
over from the beginning of the table (still writing nothing for customers already indexed).
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
            f"{progress.already} already indexed, {progress.writes} items written",
            flush=True,
        )

    progress = backfill.run(max_seconds=args.max_seconds, restart=args.restart, tenant=args.tenant, report=report)
    print("done" if progress.done else "stopped: run again to resume", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""CSV files answered by the API (exports, error reports): inline when small, else through S3.

The file is written a page at a time into a spool (memory, then /tmp), never
held as rows. Up to INLINE_MAX_BYTES (as it will weigh in Lambda's JSON
response) it is answered inline; above, it is uploaded to
`reports/{tenant}/{uuid}.csv` in the import bucket (expired after 7 days) and
answered with a presigned GET link valid for LINK_TTL.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from clientele.domain.csvio.records import csv_line
from clientele.domain.kernel import clock
from clientele.observability import count
from clientele.store.kernel import objects

CONTENT_TYPE = "text/csv; charset=utf-8"
# Lambda's response limit is 6 MB, JSON-encoded; leave room for headers and escaping.
INLINE_MAX_BYTES = 5 * 1024 * 1024
LINK_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Export:
    """A CSV download: the CSV itself, or (too large to answer inline) a link to it in S3."""

    filename: str
    csv: str | None = None
    url: str | None = None
    expires_at: str | None = None


def _inline_size(text: str) -> int:
    """Bytes `text` takes in Lambda's JSON-encoded response (a JSON string, ASCII-escaped)."""
    return len(json.dumps(text)) - 2


def deliver(tenant: str, filename: str, header: Iterable[str], rows: Iterable[Iterable[str]]) -> Export:
    """Write the header (as is) and the rows (formula-escaped) as RFC 4180 CSV, and hand it over."""
    limit = INLINE_MAX_BYTES
    with tempfile.SpooledTemporaryFile(max_size=limit, mode="w+b") as spool:
        text = csv_line(header, escape=False)
        spool.write(text.encode())
        size = _inline_size(text)
        for row in rows:
            text = csv_line(row)
            spool.write(text.encode())
            size += _inline_size(text)
        spool.seek(0)
        if size <= limit:
            return Export(filename=filename, csv=spool.read().decode())
        key = objects.report_key(tenant, f"{uuid.uuid4()}.csv")
        objects.put_report(key, spool, CONTENT_TYPE, filename)
    link = objects.download_link(key, LINK_TTL)
    count("CsvDownloadsRedirected")
    return Export(filename=filename, url=link.url, expires_at=clock.timestamp(link.expires_at))

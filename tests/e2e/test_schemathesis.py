"""Property-based tests of the whole API (schemathesis) against the local runner.

Schemathesis reads /openapi.json (the canonical routes) and /openapi-compat.json
(the vendor routes) and sends generated requests, valid and invalid, to every
operation: none may answer a server error (5xx), and every answer must match
the document's schema for its status.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("st")
    return str(found) if found.exists() else shutil.which("st") or "st"


@pytest.mark.parametrize("document", ["openapi.json", "openapi-compat.json"])
def test_no_server_errors_and_no_answer_outside_the_schema(runner, tmp_path, document):
    token = runner.token(tenant=f"schemathesis-{document.split('.')[0]}")

    result = subprocess.run(
        [
            _schemathesis(),
            "run",
            f"{runner.url}/{document}",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "20",
            "--seed",
            "20261123",
            "--generation-database",
            "none",
            "--workers",
            "2",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout

"""Cold import time of every handler module, each in a fresh Python process (median of 5).

The environment is what Lambda gives a function of template.yaml (its resolved
variables, a function name, tracing on), so the figure includes everything a
cold start imports before the first request. Goal: <= 300 ms on this machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
GOAL_MS = 300

_PROBE = """
import importlib.util, sys, time
sys.path.insert(0, {layer!r})
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {module!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - started) * 1000)
"""


def _environment(function_dir: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "TABLE_NAME": "clientele-bench",
        "WRITES_SWITCH_PARAMETER": "/clientele-bench/writes-enabled",
        "POWERTOOLS_SERVICE_NAME": "clientele",
        "POWERTOOLS_METRICS_NAMESPACE": "Clientele",
        "AWS_LAMBDA_FUNCTION_NAME": "clientele-" + function_dir.replace("/", "-"),
        "AWS_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "",
    }


def measure(function_dir: str) -> list[float]:
    probe = _PROBE.format(
        layer=str(ROOT / "layers" / "clientele"), module=str(ROOT / "functions" / function_dir / "app.py")
    )
    samples = []
    for _ in range(RUNS):
        result = subprocess.run(
            [sys.executable, "-c", probe], env=_environment(function_dir), capture_output=True, text=True, check=True
        )
        samples.append(float(result.stdout.strip().splitlines()[-1]))
    return samples


def main() -> dict[str, float]:
    print(f"Cold import of each handler module (fresh process, median of {RUNS}; goal <= {GOAL_MS} ms)")
    medians = {}
    functions = ROOT / "functions"
    # functions/<capability>/<operation>/app.py (compat routes one level deeper)
    for function_dir in sorted(path.parent.relative_to(functions).as_posix() for path in functions.rglob("app.py")):
        samples = measure(function_dir)
        medians[function_dir] = statistics.median(samples)
        verdict = "ok" if medians[function_dir] <= GOAL_MS else "over goal"
        spread = f"(min {min(samples):.1f}, max {max(samples):.1f})"
        print(f"  {function_dir:<38} {medians[function_dir]:7.1f} ms   {spread}  {verdict}")
    return medians


if __name__ == "__main__":
    print(json.dumps(main()))

"""Requests raced on real threads against the local runner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run `call(i)` for i in range(count) on threads released at the same instant; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results

"""How many execution environments may start (import their function) at once, across all functions.

A cold start is an interpreter importing boto3, pydantic and Powertools: on a small machine a
few at once use every core, and dozens at once starve the invocations already running past
their timeout. Starts wait for a slot instead; a start a request is waiting for goes before
one that only warms a function ahead of time.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_STARTS_AT_ONCE = max(2, os.cpu_count() or 2)


class GateClosed(Exception):
    """The runner is stopping: no more environments start."""


class StartGate:
    def __init__(self, capacity: int = DEFAULT_STARTS_AT_ONCE) -> None:
        if capacity < 1:
            raise ValueError("at least one environment must be able to start")
        self.capacity = capacity
        self._free = capacity
        self._urgent_waiting = 0
        self._waiting = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def waiting(self) -> int:
        """How many starts wait for a slot."""
        with self._changed:
            return self._waiting

    @contextmanager
    def slot(self, *, urgent: bool) -> Iterator[None]:
        """Hold one of the slots while an environment starts; ``urgent``: a request is waiting for it."""
        with self._changed:
            self._urgent_waiting += urgent
            self._waiting += 1
            try:
                while not self._closed and (self._free == 0 or (not urgent and self._urgent_waiting)):
                    self._changed.wait()
                if self._closed:
                    raise GateClosed("the runner is stopping")
                self._free -= 1
            finally:
                self._urgent_waiting -= urgent
                self._waiting -= 1
        try:
            yield
        finally:
            with self._changed:
                self._free += 1
                self._changed.notify_all()

    def close(self) -> None:
        """Refuse every start from now on, waking those that wait."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

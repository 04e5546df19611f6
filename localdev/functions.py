"""Load and invoke the template's functions the way the Lambda Python runtime does.

Each function's handler module is imported from its CodeUri with the layers on sys.path,
in a process of its own: a Lambda execution environment serves one request at a time,
and handlers and their libraries keep per-request state in module- and class-level
objects. Every function has a pool of such environments: a request takes a free one or
starts a new one, as Lambda scales out, and gives it back afterwards.
"""

import contextlib
import importlib.util
import logging
import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

from localdev.template import ACCOUNT_ID, FunctionSpec

log = logging.getLogger(__name__)

POWERTOOLS_LOCAL_ENV = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}


class EnvironmentConflict(Exception):
    """Two functions need different values for one variable, and they share one process."""


class LambdaContext:
    """The context object handlers receive (the attributes of the Python runtime's)."""

    def __init__(self, spec: FunctionSpec, region: str) -> None:
        now = datetime.now(UTC)
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.function_name}"
        self.memory_limit_in_mb = spec.memory_size
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = spec.log_group
        self.log_stream_name = f"{now:%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_environment(specs: Iterable[FunctionSpec]) -> dict[str, str]:
    """The union of every function's variables; a variable set differently by two functions is an error."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for spec in specs:
        for name, value in spec.environment.items():
            if name in merged and merged[name] != value:
                raise EnvironmentConflict(
                    f"{name} is {merged[name]!r} for {owner[name]} but {value!r} for {spec.logical_id}; "
                    "all functions share one process locally, so give them the same value"
                )
            merged.setdefault(name, value)
            owner.setdefault(name, spec.logical_id)
    return merged


def prepare_environment(
    specs: Iterable[FunctionSpec],
    endpoint_url: str | None,
    region: str,
    environ: MutableMapping[str, str] | None = None,
) -> dict[str, str]:
    """Set what the functions read from the environment, before any of them is imported."""
    env = os.environ if environ is None else environ
    variables = function_environment(specs)
    env.update(variables)
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    env.setdefault("AWS_REGION", region)
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    env.update(POWERTOOLS_LOCAL_ENV)
    # POWERTOOLS_DEV pretty-prints logs and re-raises in ways Lambda never does.
    env.pop("POWERTOOLS_DEV", None)
    return variables


def layer_root(directory: Path) -> Path:
    """A built layer keeps its packages under python/; a SAM source layer has them at the top."""
    return directory / "python" if (directory / "python").is_dir() else directory


def add_to_sys_path(directories: Iterable[Path]) -> None:
    """Layers go first on sys.path, as /opt/python does in Lambda."""
    for directory in reversed(list(directories)):
        root = layer_root(directory)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))


class FunctionError(Exception):
    """The handler raised, or its environment died; `details` is the traceback as the worker saw it."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class FunctionTimeout(FunctionError):
    """The handler ran past the function's Timeout; like Lambda, its environment is discarded."""


def load_handler(spec: FunctionSpec) -> Any:
    """Import ``<CodeUri>/app.py`` (for Handler ``app.handler``) and return the handler callable."""
    path = spec.module_file
    if not path.is_file():
        raise FileNotFoundError(f"{spec.logical_id}: handler module {path} does not exist")
    module_name = f"localdev_fn_{spec.logical_id}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{spec.logical_id}: cannot import {path}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    # Registered before running it: dataclasses, pydantic and pickle look modules up by name.
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    handler = getattr(module, spec.handler_attribute, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {path} has no callable {spec.handler_attribute!r}")
    return handler


def _serve_invocations(connection: Connection, spec: FunctionSpec, region: str, layer_roots: list[str]) -> None:
    """The worker process: one execution environment serving one invocation at a time, like Lambda's."""
    # Ctrl-C reaches the whole process group; the runner stops its environments itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for root in reversed(layer_roots):
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        handler = load_handler(spec)
    except Exception as error:  # noqa: BLE001 - any import failure is an init error, reported to the runner
        connection.send(("failed", f"{type(error).__name__}: {error}", traceback.format_exc()))
        return
    connection.send(("ready", None, ""))
    while True:
        try:
            message = connection.recv()
        except EOFError:  # the runner is gone
            return
        if message is None:
            return
        try:
            result = handler(message, LambdaContext(spec, region))
        except Exception as error:  # noqa: BLE001 - as the Lambda runtime does, report whatever the handler raised
            connection.send(("raised", f"{type(error).__name__}: {error}", traceback.format_exc()))
        else:
            connection.send(("result", result, ""))


class _Worker:
    """A child process that imported one function (a Lambda execution environment)."""

    def __init__(self, spec: FunctionSpec, region: str, layer_roots: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve_invocations,
            args=(child_end, spec, region, layer_roots),
            name=f"localdev-{spec.logical_id}",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        kind, message, details = self._receive(_COLD_START_LIMIT_S, spec)
        if kind != "ready":
            self.stop()
            raise FunctionError(f"{spec.logical_id} failed to load: {message}", details)

    def _receive(self, timeout: float, spec: FunctionSpec) -> tuple[str, Any, str]:
        if not self.connection.poll(timeout):
            self.kill()
            raise FunctionTimeout(f"{spec.logical_id} did not answer within {timeout:.0f} s")
        try:
            return self.connection.recv()
        except EOFError as error:
            self.kill()
            raise FunctionError(
                f"{spec.logical_id}'s environment exited (exit code {self.process.exitcode})"
            ) from error

    def invoke(self, spec: FunctionSpec, event: Any) -> Any:
        self.connection.send(event)
        kind, payload, details = self._receive(spec.timeout + _TIMEOUT_GRACE_S, spec)
        if kind == "raised":
            raise FunctionError(f"{spec.logical_id} raised {payload}", details)
        return payload

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone
            self.connection.send(None)

    def stop(self) -> None:
        self.ask_to_stop()
        self.process.join(timeout=1)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=1)
        self.connection.close()


_COLD_START_LIMIT_S = 60.0
_WARM_AT_ONCE = max(2, os.cpu_count() or 2)
_TIMEOUT_GRACE_S = 1.0


class FunctionPool:
    """The execution environments of one function, each a process serving one invocation at a time.

    A request takes a free environment or starts a new one (as Lambda scales out) and gives
    it back afterwards. Separate processes matter: libraries keep per-request state in
    process-wide places (Powertools' resolvers keep the current event on a class attribute),
    so two concurrent requests must never share an interpreter.
    """

    def __init__(self, spec: FunctionSpec, region: str, layer_roots: Iterable[str] = ()) -> None:
        self.spec = spec
        self.region = region
        self.layer_roots = list(layer_roots)
        self._free: list[_Worker] = []
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self.loaded = 0

    def _acquire(self) -> _Worker:
        with self._lock:
            while self._free:
                worker = self._free.pop()
                if worker.alive:
                    return worker
        worker = _Worker(self.spec, self.region, self.layer_roots)
        with self._lock:
            self.loaded += 1
            self._all.append(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if worker.alive:
                self._free.append(worker)

    def warm(self) -> None:
        """Start one environment ahead of the first request (a cold start paid at boot)."""
        self._release(self._acquire())

    def invoke(self, event: Any) -> Any:
        worker = self._acquire()
        try:
            return worker.invoke(self.spec, event)
        finally:
            self._release(worker)

    def stop(self) -> None:
        with self._lock:
            workers, self._all, self._free = self._all, [], []
        for worker in workers:  # all asked first, so they wind down together
            worker.ask_to_stop()
        for worker in workers:
            worker.stop()


class Functions:
    """Every function of the template, invocable by logical id."""

    def __init__(self, specs: Iterable[FunctionSpec], region: str, layer_dirs: Iterable[Path] = ()) -> None:
        roots = [str(layer_root(directory)) for directory in layer_dirs]
        self.pools = {spec.logical_id: FunctionPool(spec, region, roots) for spec in specs}
        # Set by stop(): environments still loading are then ended on purpose, not failing.
        self._stopping = threading.Event()

    def invoke(self, function_id: str, event: Any) -> Any:
        return self.pools[function_id].invoke(event)

    def warm(self, function_ids: Iterable[str] | None = None) -> dict[str, BaseException]:
        """Start one environment of each function, a few at a time; returns the failures (also logged).

        A few at a time: dozens of interpreters importing at once would starve the requests that
        arrive meanwhile (on a 2-core machine, past their timeout).
        """
        failures: dict[str, BaseException] = {}

        def warm_one(function_id: str) -> None:
            if self._stopping.is_set():
                return
            try:
                self.pools[function_id].warm()
            except Exception as error:  # noqa: BLE001 - a broken function must not stop the others from loading
                if not self._stopping.is_set():
                    log.error("%s failed to load: %s", function_id, getattr(error, "details", "") or error)
                failures[function_id] = error

        chosen = list(function_ids if function_ids is not None else self.pools)
        with ThreadPoolExecutor(max_workers=_WARM_AT_ONCE, thread_name_prefix="warm") as pool:
            list(pool.map(warm_one, chosen))
        return failures

    def stop(self) -> None:
        self._stopping.set()
        for pool in self.pools.values():
            pool.stop()

    def specs(self) -> Mapping[str, FunctionSpec]:
        return {function_id: pool.spec for function_id, pool in self.pools.items()}

"""Load and invoke the template's functions the way the Lambda Python runtime does.

Each function's handler module is imported from its CodeUri with the layers on sys.path,
in a process of its own: a Lambda execution environment serves one request at a time,
and handlers and their libraries keep per-request state in module- and class-level
objects. Every function has a bounded pool of such environments: a request takes a free
one, starts a new one (as Lambda scales out) or waits for one, and gives it back afterwards.
"""

import contextlib
import importlib.util
import logging
import multiprocessing
import multiprocessing.connection
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
from typing import Any, cast

from localdev.start_gate import DEFAULT_STARTS_AT_ONCE, GateClosed, StartGate
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
        _tell_runner(connection, ("failed", f"{type(error).__name__}: {error}", traceback.format_exc()))
        return
    if not _tell_runner(connection, ("ready", None, "")):
        return
    while True:
        try:
            message = connection.recv()
        except EOFError:  # the runner is gone
            return
        if message is None:
            return
        # The invocation's clock starts now, as Lambda's does when the runtime hands over the event.
        if not _tell_runner(connection, ("started", None, "")):
            return
        try:
            result = handler(message, LambdaContext(spec, region))
        except Exception as error:  # noqa: BLE001 - as the Lambda runtime does, report whatever the handler raised
            answer: tuple[str, Any, str] = ("raised", f"{type(error).__name__}: {error}", traceback.format_exc())
        else:
            answer = ("result", result, "")
        if not _tell_runner(connection, answer):
            return


def _tell_runner(connection: Connection, message: tuple[str, Any, str]) -> bool:
    """Send to the runner; False when it is gone (it stopped while this environment was busy)."""
    try:
        connection.send(message)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


class _Worker:
    """A child process that imports one function (a Lambda execution environment)."""

    def __init__(self, spec: FunctionSpec, region: str, layer_roots: list[str]) -> None:
        self.spec = spec
        self.killed = False  # SIGKILL sent (it may take a moment to be gone)
        self._closing = threading.Lock()
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve_invocations,
            args=(child_end, spec, region, layer_roots),
            name=f"localdev-{spec.logical_id}",
            daemon=True,
        )
        # The child inherits this thread's signal mask: with SIGINT blocked until it ignores the
        # signal itself, a Ctrl-C during its start cannot print a KeyboardInterrupt traceback.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child_end.close()

    def wait_until_ready(self) -> None:
        """The init phase: importing the handler module, with its own limit (not the function's timeout)."""
        kind, message, details = self._receive(_COLD_START_LIMIT_S)
        if kind != "ready":
            self.stop()
            raise FunctionError(f"{self.spec.logical_id} failed to load: {message}", details)

    def _receive(self, timeout: float) -> tuple[str, Any, str]:
        if not self.connection.poll(timeout):
            self.kill()
            raise FunctionTimeout(f"{self.spec.logical_id} did not answer within {timeout:.0f} s")
        try:
            message: tuple[str, Any, str] = self.connection.recv()
        except EOFError as error:
            self.kill()
            raise FunctionError(self._exited()) from error
        return message

    def _exited(self) -> str:
        return f"{self.spec.logical_id}'s environment exited (exit code {self.process.exitcode})"

    def invoke(self, event: Any) -> Any:
        try:
            self.connection.send(event)
        except (OSError, ValueError) as error:  # killed while the event was on its way
            self.kill()
            raise FunctionError(self._exited()) from error
        self._receive(_HANDOVER_LIMIT_S)  # "started"
        kind, payload, details = self._receive(self.spec.timeout + _TIMEOUT_GRACE_S)
        if kind == "raised":
            raise FunctionError(f"{self.spec.logical_id} raised {payload}", details)
        return payload

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    def signal_kill(self) -> None:
        """SIGKILL, without waiting: whoever waits on the environment sees it exit."""
        self.killed = True
        with contextlib.suppress(ValueError):  # the process object is closed: long gone
            self.process.kill()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # asked to exit, unless already gone
            self.connection.send(None)
        self.process.join(timeout=1)
        self.kill()

    def kill(self) -> None:
        """Kill, reap and close: only by the thread that uses the environment (or for an idle one)."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=1)
        with self._closing:
            if not self.connection.closed:
                self.connection.close()


_COLD_START_LIMIT_S = 60.0
# From handing an event to a ready environment until its handler has it: only a starved machine waits.
_HANDOVER_LIMIT_S = 30.0
_TIMEOUT_GRACE_S = 1.0
_STOP_WAIT_S = 2.0
# Environments one function may have at once (its reserved concurrency, locally). Two or more, so
# that concurrent requests to one function still run at once and their conditional writes race.
DEFAULT_MAX_ENVIRONMENTS = 4


class FunctionPool:
    """The execution environments of one function, each a process serving one invocation at a time.

    A request takes a free environment, or starts one (as Lambda scales out) while the function
    has fewer than ``max_environments``, or else waits for one to be given back: requests queue
    rather than fail, and the time spent queueing or starting is not counted in the function's
    timeout. Separate processes matter: libraries keep per-request state in process-wide places
    (Powertools' resolvers keep the current event on a class attribute), so two concurrent
    requests must never share an interpreter.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        region: str,
        layer_roots: Iterable[str] = (),
        *,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
        start_gate: StartGate | None = None,
    ) -> None:
        if max_environments < 1:
            raise ValueError("a function needs at least one environment")
        self.spec = spec
        self.region = region
        self.layer_roots = list(layer_roots)
        self.max_environments = max_environments
        self.start_gate = start_gate or StartGate()
        self._changed = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._starting: set[_Worker] = set()
        self._environments = 0  # idle, busy and starting
        self._stopping = False
        self.loaded = 0

    def _acquire(self, *, urgent: bool) -> _Worker:
        with self._changed:
            while True:
                self._raise_if_stopping()
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        self._busy.add(worker)
                        return worker
                    self._environments -= 1
                if self._environments < self.max_environments:
                    self._environments += 1
                    break
                self._changed.wait()
        try:
            return self._start(urgent=urgent)
        except BaseException:
            with self._changed:
                self._environments -= 1
                self._changed.notify()
            raise

    def _start(self, *, urgent: bool) -> _Worker:
        try:
            with self.start_gate.slot(urgent=urgent):
                self._raise_if_stopping()
                worker = _Worker(self.spec, self.region, self.layer_roots)
                with self._changed:
                    self._starting.add(worker)  # from here on, stop() kills it
                    stopping = self._stopping
                try:
                    if stopping:
                        worker.kill()
                        self._raise_if_stopping()
                    worker.wait_until_ready()
                finally:
                    with self._changed:
                        self._starting.discard(worker)
        except GateClosed as closed:
            raise FunctionError(str(closed)) from None
        with self._changed:
            stopping = self._stopping
            if not stopping:
                self.loaded += 1
                self._busy.add(worker)
        if stopping:
            worker.kill()
            self._raise_if_stopping()
        return worker

    def _raise_if_stopping(self) -> None:
        if self._stopping:
            raise FunctionError(f"{self.spec.logical_id}: the runner is stopping")

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            self._busy.discard(worker)
            if worker.alive and not self._stopping:
                self._idle.append(worker)
            else:
                self._environments -= 1
            self._changed.notify()
        if not worker.alive:
            worker.kill()  # reaps it and closes its end of the pipe

    def warm(self) -> None:
        """Start one environment ahead of the first request (a cold start paid at boot)."""
        self._release(self._acquire(urgent=False))

    def invoke(self, event: Any) -> Any:
        worker = self._acquire(urgent=True)
        try:
            return worker.invoke(event)
        finally:
            self._release(worker)

    @property
    def running(self) -> int:
        """How many environments are running an invocation now."""
        with self._changed:
            return len(self._busy)

    def kill_running(self) -> int:
        """SIGKILL every environment running an invocation; its caller sees the failure, as in Lambda.

        One killed a moment ago may still be busy until its caller notices: it is not counted again.
        """
        with self._changed:
            running = [worker for worker in self._busy if not worker.killed]
        for worker in running:
            worker.signal_kill()
        return len(running)

    def request_stop(self) -> list[_Worker]:
        """Refuse new invocations, wake the queued ones (they fail) and kill every environment, busy,
        idle or starting: nothing in them needs an orderly exit, and dozens of interpreters tearing
        down at once would take seconds. Returns them, to wait for."""
        with self._changed:
            self._stopping = True
            idle, self._idle = self._idle, []
            in_use = [*self._busy, *self._starting]
            self._changed.notify_all()
        for worker in in_use:
            worker.signal_kill()  # the threads using them see them exit, and close them
        for worker in idle:
            worker.kill()
        return in_use

    def stop(self) -> None:
        _wait_for_exit(self.request_stop())


def _wait_for_exit(workers: list[_Worker], timeout: float = _STOP_WAIT_S) -> None:
    """Wait (at most ``timeout`` in all) for killed environments to be gone."""
    sentinels = [worker.sentinel for worker in workers]
    deadline = time.monotonic() + timeout
    while sentinels and (remaining := deadline - time.monotonic()) > 0:
        for sentinel in multiprocessing.connection.wait(sentinels, timeout=remaining):
            sentinels.remove(cast(int, sentinel))


class Functions:
    """Every function of the template, invocable by logical id."""

    def __init__(
        self,
        specs: Iterable[FunctionSpec],
        region: str,
        layer_dirs: Iterable[Path] = (),
        *,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
        starts_at_once: int = DEFAULT_STARTS_AT_ONCE,
    ) -> None:
        roots = [str(layer_root(directory)) for directory in layer_dirs]
        # One gate for all functions: what starves a small machine is interpreters starting at once.
        self.start_gate = StartGate(starts_at_once)
        self.pools = {
            spec.logical_id: FunctionPool(
                spec, region, roots, max_environments=max_environments, start_gate=self.start_gate
            )
            for spec in specs
        }
        # Set by stop(): environments still loading are then ended on purpose, not failing.
        self._stopping = threading.Event()

    def invoke(self, function_id: str, event: Any) -> Any:
        return self.pools[function_id].invoke(event)

    def kill(self, function_id: str) -> int | None:
        """Kill the environments of ``function_id`` running an invocation: how many, or None if unknown."""
        pool = self.pools.get(function_id)
        return None if pool is None else pool.kill_running()

    def warm(self, function_ids: Iterable[str] | None = None) -> dict[str, BaseException]:
        """Start one environment of each function; returns the failures (also logged).

        Warm-ups take the start gate's slots only when no request is waiting for a start.
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
        with ThreadPoolExecutor(max_workers=self.start_gate.capacity, thread_name_prefix="warm") as pool:
            list(pool.map(warm_one, chosen))
        return failures

    def stop(self) -> None:
        """End every environment of every function at once, within a couple of seconds."""
        self._stopping.set()
        self.start_gate.close()
        workers = [worker for pool in self.pools.values() for worker in pool.request_stop()]
        _wait_for_exit(workers)

    def specs(self) -> Mapping[str, FunctionSpec]:
        return {function_id: pool.spec for function_id, pool in self.pools.items()}

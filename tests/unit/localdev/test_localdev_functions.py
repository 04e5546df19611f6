"""Loading handlers like the Lambda runtime: environment, context, one request per instance."""

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from localdev.functions import (
    EnvironmentConflict,
    FunctionError,
    FunctionPool,
    Functions,
    FunctionTimeout,
    LambdaContext,
    _Worker,
    add_to_sys_path,
    function_environment,
    prepare_environment,
)
from localdev.start_gate import StartGate
from localdev.template import FunctionSpec, Template

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def specs(small_template: Template) -> dict[str, FunctionSpec]:
    add_to_sys_path(small_template.layer_dirs().values())
    return {spec.logical_id: spec for spec in small_template.functions()}


def http_event(mode: str = "echo", request_id: str = "r1") -> dict:
    return {"requestContext": {"requestId": request_id}, "queryStringParameters": {"mode": mode}}


def test_function_environment_is_the_union() -> None:
    a = FunctionSpec("A", "a", FIXTURES, "app.handler", 3, 128, {"X": "1", "Y": "2"}, (), "/g", {})
    b = replace(a, logical_id="B", environment={"X": "1", "Z": "3"})
    assert function_environment([a, b]) == {"X": "1", "Y": "2", "Z": "3"}


def test_conflicting_variables_are_an_error() -> None:
    a = FunctionSpec("A", "a", FIXTURES, "app.handler", 3, 128, {"X": "1"}, (), "/g", {})
    b = replace(a, logical_id="B", environment={"X": "2"})
    with pytest.raises(EnvironmentConflict, match="X is '1' for A but '2' for B"):
        function_environment([a, b])


def test_prepare_environment() -> None:
    spec = FunctionSpec("A", "a", FIXTURES, "app.handler", 3, 128, {"TABLE_NAME": "t"}, (), "/g", {})
    environ = {"POWERTOOLS_DEV": "true", "AWS_ACCESS_KEY_ID": "real"}
    prepare_environment([spec], "http://127.0.0.1:1234", "eu-west-1", environ)
    assert environ == {
        "TABLE_NAME": "t",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1234",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "real",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def test_region_already_set_is_kept() -> None:
    environ = {"AWS_REGION": "ap-southeast-2"}
    prepare_environment([], None, "us-east-1", environ)
    assert environ["AWS_REGION"] == environ["AWS_DEFAULT_REGION"] == "ap-southeast-2"
    assert "AWS_ENDPOINT_URL" not in environ


def test_lambda_context(specs: dict[str, FunctionSpec]) -> None:
    spec = specs["EchoFunction"]
    context = LambdaContext(spec, "us-east-1")
    assert context.function_name == spec.function_name
    assert context.function_version == "$LATEST"
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{spec.function_name}"
    assert context.invoked_function_arn == arn
    assert context.memory_limit_in_mb == 256
    assert context.log_group_name == f"/aws/lambda/{spec.function_name}"
    assert context.log_stream_name.count("[$LATEST]") == 1
    assert len(context.aws_request_id) == 36
    assert context.aws_request_id != LambdaContext(spec, "us-east-1").aws_request_id
    remaining = context.get_remaining_time_in_millis()
    assert 4_900 < remaining <= 5_000
    time.sleep(0.05)
    assert context.get_remaining_time_in_millis() < remaining


def test_layer_is_on_sys_path_and_handler_loads_from_code_uri(specs: dict[str, FunctionSpec]) -> None:
    assert str(FIXTURES / "layers" / "shared") in sys.path
    result = FunctionPool(specs["EchoFunction"], "us-east-1").invoke(http_event())
    assert result["statusCode"] == 200
    assert '"greeting": "from the layer"' in result["body"]


def test_functions_with_the_same_file_name_load_separately(specs: dict[str, FunctionSpec]) -> None:
    functions = Functions(specs.values(), "us-east-1")
    try:
        assert functions.warm() == {}
        echoed = functions.invoke("EchoFunction", http_event())
        assert '"greeting": "from the layer"' in echoed["body"]
        assert not any(name.startswith("localdev_fn_") for name in sys.modules), "handlers load in their own process"
    finally:
        functions.stop()


def test_concurrent_invocations_get_their_own_environment(specs: dict[str, FunctionSpec]) -> None:
    pool = FunctionPool(specs["EchoFunction"], "us-east-1", max_environments=6)
    results: dict[str, str] = {}

    def call(request_id: str) -> None:
        result = pool.invoke(http_event("slow", request_id))
        results[request_id] = result["body"]

    threads = [threading.Thread(target=call, args=(f"r{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The handler stores the request id on a module global and on a class of a layer module, and
    # reads both back after sleeping: in a shared interpreter the values would cross.
    try:
        for request_id, body in results.items():
            assert f'"instance_request": "{request_id}"' in body
            assert f'"library_request": "{request_id}"' in body
        assert pool.loaded == 6
        # Once they are free, environments are reused rather than started again.
        pool.invoke(http_event())
        assert pool.loaded == 6
    finally:
        pool.stop()


def test_missing_handler_module_is_reported(specs: dict[str, FunctionSpec]) -> None:
    spec = replace(specs["EchoFunction"], code_dir=FIXTURES / "functions" / "nope")
    with pytest.raises(FunctionError, match=r"FileNotFoundError: .*does not exist"):
        FunctionPool(spec, "us-east-1").invoke({})
    failures = Functions([spec], "us-east-1").warm()
    assert isinstance(failures["EchoFunction"], FunctionError)


def test_missing_handler_attribute_is_reported(specs: dict[str, FunctionSpec]) -> None:
    spec = replace(specs["EchoFunction"], handler="app.nothing_here")
    with pytest.raises(FunctionError, match="no callable 'nothing_here'"):
        FunctionPool(spec, "us-east-1").invoke({})


def test_handler_errors_propagate_and_the_environment_is_reused(specs: dict[str, FunctionSpec]) -> None:
    pool = FunctionPool(specs["EchoFunction"], "us-east-1")
    try:
        with pytest.raises(FunctionError, match="RuntimeError: fixture failure") as raised:
            pool.invoke(http_event("raise"))
        assert "Traceback" in raised.value.details
        pool.invoke(http_event())
        assert pool.loaded == 1
    finally:
        pool.stop()


def test_a_handler_past_its_timeout_is_stopped_and_replaced(specs: dict[str, FunctionSpec]) -> None:
    pool = FunctionPool(replace(specs["EchoFunction"], timeout=0), "us-east-1")
    try:
        with pytest.raises(FunctionTimeout):
            pool.invoke(http_event("hang"))  # sleeps 30 s; the limit is the 0 s timeout + 1 s grace
        assert pool.invoke(http_event())["statusCode"] == 200  # a fresh environment took over
        assert pool.loaded == 2
    finally:
        pool.stop()


# ----------------------------------------------------------------------------- a bounded pool


def slow_init_spec(timeout: int = 3) -> FunctionSpec:
    code_dir = FIXTURES / "functions" / "slow_init"
    return FunctionSpec("SlowInit", "slow-init", code_dir, "app.handler", timeout, 128, {}, (), "/g", {})


def run_at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(i)`` for each i on its own thread, all released together; results or raised exceptions."""
    barrier = threading.Barrier(count)

    def run(index: int) -> Any:
        barrier.wait()
        try:
            return call(index)
        except Exception as error:  # the test looks at what each call ended with
            return error

    with ThreadPoolExecutor(max_workers=count) as executor:
        return list(executor.map(run, range(count)))


def test_requests_beyond_the_bound_queue_instead_of_failing(specs: dict[str, FunctionSpec]) -> None:
    pool = FunctionPool(specs["EchoFunction"], "us-east-1", max_environments=2)
    try:
        results = run_at_once(6, lambda i: pool.invoke(http_event("slow", f"r{i}")))
        assert [result["statusCode"] for result in results] == [200] * 6
        for index, result in enumerate(results):
            assert f'"instance_request": "r{index}"' in result["body"]  # still one request per environment
        assert pool.loaded == 2
    finally:
        pool.stop()


def test_init_and_queueing_are_not_counted_in_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # One environment, 1 s timeout (+1 s grace): the third request waits for a 1.5 s init and two
    # 0.6 s invocations before its own starts, far past its timeout if waiting were counted.
    monkeypatch.setenv("SLOW_INIT_SECONDS", "1.5")
    pool = FunctionPool(slow_init_spec(timeout=1), "us-east-1", max_environments=1)
    try:
        results = run_at_once(3, lambda i: pool.invoke({"sleep": 0.6}))
        assert all(isinstance(result, dict) for result in results), results
        assert len({result["pid"] for result in results}) == 1
        assert all(result["remaining_ms_at_start"] > 900 for result in results)
    finally:
        pool.stop()


def test_environments_start_a_few_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    starts = tmp_path / "starts.log"
    monkeypatch.setenv("SLOW_INIT_SECONDS", "0.5")
    monkeypatch.setenv("SLOW_INIT_LOG", str(starts))
    pool = FunctionPool(slow_init_spec(), "us-east-1", max_environments=6, start_gate=StartGate(2))
    try:
        results = run_at_once(6, lambda i: pool.invoke({"sleep": 1}))
        assert all(isinstance(result, dict) for result in results), results
        intervals = [tuple(map(float, line.split())) for line in starts.read_text().splitlines()]
        assert len(intervals) == 6
        most_at_once = max(sum(1 for s, e in intervals if s <= start < e) for start, _ in intervals)
        assert most_at_once == 2
    finally:
        pool.stop()


def test_a_start_for_a_request_goes_before_a_warm_up() -> None:
    gate = StartGate(1)
    order: list[str] = []

    def take(name: str, urgent: bool) -> None:
        with gate.slot(urgent=urgent):
            order.append(name)

    with gate.slot(urgent=False):
        warm_up = threading.Thread(target=take, args=("warm-up", False))
        warm_up.start()
        wait_until(lambda: gate.waiting == 1)
        request = threading.Thread(target=take, args=("request", True))
        request.start()
        wait_until(lambda: gate.waiting == 2)
    warm_up.join(5)
    request.join(5)
    assert order == ["request", "warm-up"]


def wait_until(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# ----------------------------------------------------------------------------- kill and stop


def test_kill_fails_the_running_invocation_and_the_environment_is_replaced(specs: dict[str, FunctionSpec]) -> None:
    functions = Functions([specs["EchoFunction"]], "us-east-1")
    pool = functions.pools["EchoFunction"]
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            functions.invoke("EchoFunction", http_event("hang"))  # sleeps 30 s
        except FunctionError as error:
            outcome.append(error)

    try:
        assert functions.kill("EchoFunction") == 0  # nothing running yet
        caller = threading.Thread(target=hang)
        caller.start()
        wait_until(lambda: functions.kill("EchoFunction") == 1)
        caller.join(5)
        assert not caller.is_alive()
        assert "environment exited (exit code -9)" in str(outcome[0])
        assert functions.invoke("EchoFunction", http_event())["statusCode"] == 200
        assert pool.loaded == 2
        assert functions.kill("NoSuchFunction") is None
    finally:
        functions.stop()


def test_stop_ends_running_and_queued_invocations_at_once(specs: dict[str, FunctionSpec]) -> None:
    functions = Functions([specs["EchoFunction"]], "us-east-1", max_environments=1)
    outcomes: list[BaseException] = []

    def hang() -> None:
        try:
            functions.invoke("EchoFunction", http_event("hang"))
        except FunctionError as error:
            outcomes.append(error)

    callers = [threading.Thread(target=hang) for _ in range(2)]  # one runs, one waits for the environment
    for caller in callers:
        caller.start()
    wait_until(lambda: functions.pools["EchoFunction"].running == 1)
    started = time.monotonic()
    functions.stop()
    for caller in callers:
        caller.join(5)
    assert time.monotonic() - started < 5  # the handler would sleep 30 s
    assert len(outcomes) == 2


def test_an_environment_whose_runner_is_gone_exits_quietly(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # The runner can exit while an environment still imports (a stop racing a start): when the
    # environment then reports ready, nobody reads it, and it must leave without a traceback.
    monkeypatch.setenv("SLOW_INIT_SECONDS", "0.5")
    worker = _Worker(slow_init_spec(), "us-east-1", [])
    worker.connection.close()  # the runner's end of the pipe, as when its process is gone
    worker.process.join(timeout=30)
    assert worker.process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err

"""Loading handlers like the Lambda runtime: environment, context, one request per instance."""

import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from localdev.functions import (
    EnvironmentConflict,
    FunctionError,
    FunctionPool,
    Functions,
    FunctionTimeout,
    LambdaContext,
    add_to_sys_path,
    function_environment,
    prepare_environment,
)
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
    pool = FunctionPool(specs["EchoFunction"], "us-east-1")
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

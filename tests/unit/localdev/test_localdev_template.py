"""template.yaml loading and intrinsic resolution."""

from pathlib import Path

import pytest

from localdev.template import (
    ACCOUNT_ID,
    NO_VALUE,
    STACK_NAME,
    PhysicalResource,
    Template,
    TemplateError,
    load_yaml,
    merge_globals,
)

FIXTURES = Path(__file__).parent / "fixtures"


def make_template(resources: dict, **sections) -> Template:
    document = {"Resources": resources, **sections}
    return Template(document, FIXTURES, region="eu-west-1")


# ----------------------------------------------------------------------------- YAML short tags


def test_short_tags_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "\n".join(
            [
                "A: !Ref Thing",
                "B: !GetAtt Table.Arn",
                "C: !GetAtt [Table, StreamArn]",
                "D: !Sub ['${X}-y', {X: !Ref Thing}]",
                "E: !If [Cond, !Ref A, !Ref AWS::NoValue]",
                "F: !FindInMap [M, K, V]",
                "G: !Condition IsProd",
                "H: !Not [!Equals [a, b]]",
                "I: !GetAtt Res.Nested.Attr",
            ]
        )
    )
    doc = load_yaml(path)
    assert doc["A"] == {"Ref": "Thing"}
    assert doc["B"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert doc["C"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert doc["D"] == {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Thing"}}]}
    assert doc["E"] == {"Fn::If": ["Cond", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}
    assert doc["F"] == {"Fn::FindInMap": ["M", "K", "V"]}
    assert doc["G"] == {"Condition": "IsProd"}
    assert doc["H"] == {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}
    assert doc["I"] == {"Fn::GetAtt": ["Res", "Nested.Attr"]}


def test_repo_template_loads(repo_template: Template) -> None:
    assert repo_template.resources
    assert repo_template.functions()
    assert repo_template.http_routes()


# ----------------------------------------------------------------------------- Ref / Sub / GetAtt / If


def test_ref_of_parameters_pseudo_parameters_and_resources(small_template: Template) -> None:
    resolver = small_template.resolver()
    assert resolver.resolve({"Ref": "Stage"}) == "dev"
    assert resolver.resolve({"Ref": "AWS::StackName"}) == STACK_NAME
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == ACCOUNT_ID
    assert resolver.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert resolver.resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolver.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert resolver.resolve({"Ref": "Store"}) == f"{STACK_NAME}-Store"
    assert resolver.resolve({"Ref": "Uploads"}) == f"{STACK_NAME}-uploads"
    assert resolver.resolve({"Ref": "Switch"}) == f"/{STACK_NAME}/switch"
    assert resolver.resolve({"Ref": "WorkQueue"}).endswith(f"/{ACCOUNT_ID}/{STACK_NAME}-WorkQueue")


def test_jwt_parameters_default_to_the_local_issuer_and_audience(small_template: Template) -> None:
    resolver = small_template.resolver()
    assert resolver.resolve({"Ref": "Issuer"}) == "clientele-local"
    assert resolver.resolve({"Ref": "Audience"}) == "clientele"


def test_parameter_overrides_and_allowed_values() -> None:
    template = Template.load(FIXTURES / "template.yaml", parameters={"Stage": "prod"})
    assert template.resolver().resolve({"Ref": "Stage"}) == "prod"
    with pytest.raises(TemplateError, match="not one of"):
        Template.load(FIXTURES / "template.yaml", parameters={"Stage": "qa"})
    with pytest.raises(TemplateError, match="unknown template parameter"):
        Template.load(FIXTURES / "template.yaml", parameters={"Nope": "x"})


def test_parameter_without_default_fails_only_when_used() -> None:
    template = make_template({}, Parameters={"Needed": {"Type": "String"}})
    with pytest.raises(TemplateError, match="Needed has no Default"):
        template.resolver().resolve({"Ref": "Needed"})


def test_get_att_plain_and_dotted(small_template: Template) -> None:
    resolver = small_template.resolver()
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{STACK_NAME}-Store"
    assert resolver.resolve({"Fn::GetAtt": ["Store", "Arn"]}) == table_arn
    assert resolver.resolve({"Fn::GetAtt": "Store.Arn"}) == table_arn
    assert resolver.resolve({"Fn::GetAtt": ["WorkQueue", "Arn"]}) == (
        f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{STACK_NAME}-WorkQueue"
    )
    with pytest.raises(TemplateError, match="no such resource"):
        resolver.resolve({"Fn::GetAtt": ["Missing", "Arn"]})


def test_sub_string_list_and_escapes(small_template: Template) -> None:
    resolver = small_template.resolver()
    assert resolver.resolve({"Fn::Sub": "${AWS::StackName}/${Stage}"}) == f"{STACK_NAME}/dev"
    assert resolver.resolve({"Fn::Sub": "${Uploads.Arn}/*"}) == f"arn:aws:s3:::{STACK_NAME}-uploads/*"
    assert resolver.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "AWS::Region"}}]}) == "us-east-1-dev"
    # Variables of the list form win over parameters of the same name.
    assert resolver.resolve({"Fn::Sub": ["${Stage}", {"Stage": "override"}]}) == "override"
    assert resolver.resolve({"Fn::Sub": "${!Literal} stays"}) == "${Literal} stays"


def test_if_equals_not_and_conditions() -> None:
    template = make_template(
        {},
        Parameters={"Stage": {"Type": "String", "Default": "dev"}},
        Conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
    )
    resolver = template.resolver()
    assert resolver.resolve({"Fn::If": ["IsProd", 365, 30]}) == 30
    assert resolver.resolve({"Fn::If": ["IsDev", "yes", "no"]}) == "yes"
    assert resolver.resolve({"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}) is NO_VALUE
    # AWS::NoValue removes the property, or the list element.
    assert resolver.resolve({"A": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}, "B": 2}) == {"B": 2}
    assert resolver.resolve([1, {"Ref": "AWS::NoValue"}, 3]) == [1, 3]
    with pytest.raises(TemplateError, match="condition Missing"):
        resolver.resolve({"Fn::If": ["Missing", 1, 2]})

    prod = Template(template.document, FIXTURES, parameters={"Stage": "prod"})
    assert prod.resolver().resolve({"Fn::If": ["IsProd", 365, 30]}) == 365


def test_join_select_split_find_in_map(small_template: Template) -> None:
    resolver = small_template.resolver()
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-dev"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "memory"]}) == 256


def test_unsupported_intrinsic_fails_on_use_not_on_load() -> None:
    template = make_template({"Thing": {"Type": "AWS::X::Y", "Properties": {"V": {"Fn::ImportValue": "e"}}}})
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        template.resolver().resolve(template.resources["Thing"])


def test_overrides_replace_physical_names(small_template: Template) -> None:
    real = PhysicalResource("http://127.0.0.1:1/123/q", {"Arn": "arn:real"})
    resolver = small_template.resolver({"WorkQueue": real})
    assert resolver.resolve({"Ref": "WorkQueue"}) == "http://127.0.0.1:1/123/q"
    assert resolver.resolve({"Fn::GetAtt": ["WorkQueue", "Arn"]}) == "arn:real"


# ----------------------------------------------------------------------------- functions, routes, events


def test_globals_merge_rules() -> None:
    merged = merge_globals(
        {"Timeout": 10, "Layers": ["g"], "Environment": {"Variables": {"A": "1", "B": "1"}}},
        {"Timeout": 30, "Layers": ["f"], "Environment": {"Variables": {"B": "2", "C": "3"}}},
    )
    assert merged == {
        "Timeout": 30,
        "Layers": ["g", "f"],
        "Environment": {"Variables": {"A": "1", "B": "2", "C": "3"}},
    }
    # An intrinsic is a value, not a map to merge into.
    assert merge_globals({"Ref": "A"}, {"Ref": "B"}) == {"Ref": "B"}


def test_functions_have_globals_and_resolved_environment(small_template: Template) -> None:
    functions = {spec.logical_id: spec for spec in small_template.functions()}
    echo = functions["EchoFunction"]
    assert echo.handler == "app.handler"
    assert echo.module_file == FIXTURES / "functions" / "echo" / "app.py"
    assert echo.handler_attribute == "handler"
    assert echo.timeout == 5
    assert echo.memory_size == 256  # FindInMap beats the Globals value
    assert echo.layers == ("SharedLayer",)
    env = echo.environment
    assert env["TABLE_NAME"] == f"{STACK_NAME}-Store"
    assert env["STAGE_LABEL"] == "development"
    assert env["REGION_LABEL"] == "echo-dev@us-east-1"
    assert env["STORE_ARN"].endswith(f":table/{STACK_NAME}-Store")
    assert env["NOT_IN_PROD"] == "yes"
    assert functions["WorkerFunction"].timeout == 30
    assert "STORE_ARN" not in functions["WorkerFunction"].environment


def test_a_variable_set_from_a_parameter_takes_the_environment_value(
    repo_template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    def workers_lease() -> set[str]:
        functions = {spec.logical_id: spec for spec in repo_template.functions()}
        return {
            functions[name].environment["WORKER_LEASE_SECONDS"] for name in ("RunImportFunction", "RunBulkJobFunction")
        }

    monkeypatch.delenv("WORKER_LEASE_SECONDS", raising=False)
    assert workers_lease() == {"60"}  # the parameter's default
    monkeypatch.setenv("WORKER_LEASE_SECONDS", "10")
    monkeypatch.setenv("TABLE_NAME", "not-from-a-parameter")
    assert workers_lease() == {"10"}
    # Only variables set from a template parameter: a resource's name is never replaced.
    assert {spec.environment["TABLE_NAME"] for spec in repo_template.functions()} == {f"{STACK_NAME}-Table"}


def test_layer_dirs(small_template: Template) -> None:
    assert small_template.layer_dirs() == {"SharedLayer": FIXTURES / "layers" / "shared"}


def test_http_routes(small_template: Template) -> None:
    routes = {route.event_id: route for route in small_template.http_routes()}
    get = routes["GetEcho"]
    assert (get.method, get.path, get.function_id) == ("GET", "/echo/{id}", "EchoFunction")
    assert get.route_key == "GET /echo/{id}"
    assert get.scopes == ("echo:read", "echo:admin")
    assert get.authorizer is not None and get.authorizer.name == "Jwt"
    assert get.authorizer.identity_header == "Authorization"
    assert get.authorizer.issuer == "clientele-local"
    assert get.authorizer.audience == ("clientele",)
    assert routes["PostEcho"].method == "POST"
    assert routes["Files"].route_key == "ANY /files/{proxy+}"
    assert routes["Files"].authorizer is not None  # the API's default authorizer
    assert routes["Files"].scopes == ()
    assert routes["Open"].authorizer is None  # Authorizer: NONE


def test_repo_routes_come_from_the_template(repo_template: Template) -> None:
    routes = repo_template.http_routes()
    events = [
        (function_id, event_id)
        for function_id, resource in repo_template.resources_of_type("AWS::Serverless::Function").items()
        for event_id, event in (resource["Properties"].get("Events") or {}).items()
        if event["Type"] == "HttpApi"
    ]
    assert sorted((route.function_id, route.event_id) for route in routes) == sorted(events)


def test_sqs_event_sources(small_template: Template) -> None:
    (source,) = small_template.sqs_event_sources()
    assert source.function_id == "WorkerFunction"
    assert source.queue_id == "WorkQueue"
    assert source.batch_size == 5
    assert source.report_batch_item_failures is True
    assert source.enabled is True

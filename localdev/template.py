"""template.yaml as the local runner sees it: CloudFormation tags, intrinsics, SAM globals.

The template is the single source of truth, so nothing here knows a route, a function or
a resource by name: everything is read from the document and resolved against a local
context (parameters, pseudo parameters, conditions and local physical names/ARNs).
"""

import base64
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from localdev.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER

STACK_NAME = "clientele-local"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
DEFAULT_REGION = "us-east-1"
LOCAL_API_ID = "localapi"

FUNCTION_TYPES = ("AWS::Serverless::Function",)
LAYER_TYPES = ("AWS::Serverless::LayerVersion",)
HTTP_API_TYPES = ("AWS::Serverless::HttpApi",)
# SAM's implicit HTTP API, used by HttpApi events that name no ApiId.
IMPLICIT_HTTP_API = "ServerlessHttpApi"


class TemplateError(Exception):
    """The template asks for something the local runner cannot provide."""


class _NoValue:
    """``AWS::NoValue``: the enclosing property or list element disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


# ----------------------------------------------------------------------------- YAML


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CloudFormationLoader(_BaseLoader):  # type: ignore[misc, valid-type]  # base chosen at run time (libyaml or not)
    """SafeLoader that turns short tags (``!Ref``, ``!Sub`` …) into their long JSON forms."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise TemplateError(f"!{suffix}: unexpected YAML node {type(node).__name__}")
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        # The dotted short form: !GetAtt Table.Arn (attribute names may contain dots).
        logical_id, _, attribute = value.partition(".")
        value = [logical_id, attribute]
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TemplateError(f"{path}: no such template file")
    with path.open("rb") as stream:
        document = yaml.load(stream, Loader=_CloudFormationLoader)
    if not isinstance(document, dict):
        raise TemplateError(f"{path}: not a CloudFormation template (top level is not a mapping)")
    return document


# ----------------------------------------------------------------------------- facts read from the template


@dataclass(frozen=True)
class PhysicalResource:
    """What ``!Ref`` and ``!GetAtt`` give for one resource in the local stack."""

    ref: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    function_name: str
    code_dir: Path
    handler: str
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    layers: tuple[str, ...]
    log_group: str
    events: Mapping[str, Any]

    @property
    def module_file(self) -> Path:
        """``app.handler`` → ``<CodeUri>/app.py``, as the Lambda Python runtime reads it."""
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    name: str
    identity_header: str
    issuer: Any
    audience: tuple[Any, ...]


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # "/v1/customers/{customer_id}", or "$default"
    function_id: str
    event_id: str
    authorizer: JwtAuthorizerSpec | None  # None: an open route (Authorizer: NONE, or no authorizer at all)
    scopes: tuple[str, ...]

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsEventSource:
    function_id: str
    event_id: str
    queue_id: str
    batch_size: int
    report_batch_item_failures: bool
    batching_window_seconds: float
    enabled: bool


@dataclass(frozen=True)
class StreamEventSource:
    """A DynamoDB event source mapping: a table's stream feeding a function."""

    function_id: str
    event_id: str
    table_id: str
    starting_position: str
    batch_size: int
    batching_window_seconds: float
    report_batch_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int  # -1: until the record expires
    on_failure_queue_id: str | None
    filter_patterns: tuple[dict[str, Any], ...]
    enabled: bool


# ----------------------------------------------------------------------------- the template


class Template:
    """A parsed template plus the parameter values the local stack uses."""

    def __init__(
        self,
        document: dict[str, Any],
        root: Path,
        parameters: Mapping[str, Any] | None = None,
        region: str | None = None,
        path: Path | None = None,
    ) -> None:
        self.document = document
        self.root = root
        self.path = path
        env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        self.region = region or env_region or DEFAULT_REGION
        self.parameter_values = self._parameter_values(parameters or {})

    @classmethod
    def load(
        cls,
        path: str | Path,
        parameters: Mapping[str, Any] | None = None,
        region: str | None = None,
    ) -> "Template":
        template_path = Path(path).resolve()
        return cls(load_yaml(template_path), template_path.parent, parameters, region, template_path)

    # -- sections

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.document.get("Resources") or {}

    def resources_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {logical_id: res for logical_id, res in self.resources.items() if res.get("Type") in types}

    def resolver(self, overrides: Mapping[str, PhysicalResource] | None = None) -> "Resolver":
        return Resolver(self, overrides)

    def _parameter_values(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        declared = self.document.get("Parameters") or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
        values.update(self._local_jwt_parameters())
        values.update(overrides)
        for name, value in values.items():
            allowed = declared[name].get("AllowedValues")
            if allowed is not None and _scalar_text(value) not in [_scalar_text(v) for v in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
        return values

    def _local_jwt_parameters(self) -> dict[str, str]:
        """Parameters feeding a JWT authorizer's issuer/audience take the local token values."""
        local: dict[str, str] = {}
        for api in self._http_api_definitions().values():
            for config in ((api.get("Auth") or {}).get("Authorizers") or {}).values():
                jwt = config.get("JwtConfiguration") or {}
                if _is_ref(jwt.get("issuer")):
                    local[jwt["issuer"]["Ref"]] = LOCAL_ISSUER
                audience = jwt.get("audience")
                for entry in audience if isinstance(audience, list) else [audience]:
                    if _is_ref(entry):
                        local[entry["Ref"]] = LOCAL_AUDIENCE
        declared = self.document.get("Parameters") or {}
        return {name: value for name, value in local.items() if name in declared}

    # -- functions

    def functions(self, resolver: "Resolver | None" = None) -> list[FunctionSpec]:
        resolver = resolver or self.resolver()
        globals_ = ((self.document.get("Globals") or {}).get("Function")) or {}
        specs = []
        for logical_id, resource in self.resources_of_type(*FUNCTION_TYPES).items():
            props = merge_globals(globals_, resource.get("Properties") or {})
            specs.append(self._function_spec(logical_id, props, resolver))
        return specs

    def _function_spec(self, logical_id: str, props: dict[str, Any], resolver: "Resolver") -> FunctionSpec:
        code_uri = resolver.resolve(props.get("CodeUri"))
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local directory, got {code_uri!r}")
        handler = resolver.resolve(props.get("Handler"))
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"{logical_id}: Handler must look like 'module.function', got {handler!r}")
        raw_variables = ((props.get("Environment") or {}).get("Variables")) or {}
        variables = resolver.resolve(raw_variables)
        layers = tuple(
            entry["Ref"]
            for entry in props.get("Layers") or []
            if _is_ref(entry) and self.resources.get(entry["Ref"], {}).get("Type") in LAYER_TYPES
        )
        physical = resolver.physical(logical_id)
        log_group = resolver.resolve((props.get("LoggingConfig") or {}).get("LogGroup"))
        return FunctionSpec(
            logical_id=logical_id,
            function_name=physical.ref,
            code_dir=(self.root / code_uri).resolve(),
            handler=handler,
            timeout=int(resolver.resolve(props.get("Timeout", 3))),
            memory_size=int(resolver.resolve(props.get("MemorySize", 128))),
            environment={name: self._variable_value(name, raw_variables, value) for name, value in variables.items()},
            layers=layers,
            log_group=log_group if isinstance(log_group, str) else f"/aws/lambda/{physical.ref}",
            events=props.get("Events") or {},
        )

    def _variable_value(self, name: str, raw_variables: Mapping[str, Any], value: Any) -> str:
        """The variable's template value; but a variable set from a template parameter (``NAME: !Ref
        Param``) takes ``$NAME`` when it is set, e.g. ``WORKER_LEASE_SECONDS=10 make serve``."""
        raw: Any = raw_variables.get(name) if isinstance(raw_variables, Mapping) else None
        from_parameter = _is_ref(raw) and raw["Ref"] in (self.document.get("Parameters") or {})
        if from_parameter and name in os.environ:
            return os.environ[name]
        return _scalar_text(value)

    def layer_dirs(self) -> dict[str, Path]:
        """Local layer ContentUri directories by logical id, in template order."""
        dirs = {}
        resolver = self.resolver()
        for logical_id, resource in self.resources_of_type(*LAYER_TYPES).items():
            content_uri = resolver.resolve((resource.get("Properties") or {}).get("ContentUri"))
            if not isinstance(content_uri, str):
                raise TemplateError(f"{logical_id}: only a local ContentUri directory is supported")
            dirs[logical_id] = (self.root / content_uri).resolve()
        return dirs

    # -- events

    def _events(self, event_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for function_id, resource in self.resources_of_type(*FUNCTION_TYPES).items():
            for event_id, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
                if event.get("Type") == event_type:
                    yield function_id, event_id, event.get("Properties") or {}

    def _http_api_definitions(self) -> dict[str, dict[str, Any]]:
        declared = self.resources_of_type(*HTTP_API_TYPES)
        apis = {logical_id: res.get("Properties") or {} for logical_id, res in declared.items()}
        apis[IMPLICIT_HTTP_API] = ((self.document.get("Globals") or {}).get("HttpApi")) or {}
        return apis

    def http_routes(self) -> list[HttpRoute]:
        resolver = self.resolver()
        apis = self._http_api_definitions()
        routes = []
        for function_id, event_id, props in self._events("HttpApi"):
            api_ref = props.get("ApiId")
            api_id = api_ref["Ref"] if _is_ref(api_ref) else IMPLICIT_HTTP_API
            if api_id not in apis:
                raise TemplateError(f"{function_id}.{event_id}: ApiId {api_ref!r} is not an HttpApi here")
            api_auth = apis[api_id].get("Auth") or {}
            route_auth = props.get("Auth") or {}
            default_authorizer = api_auth.get("DefaultAuthorizer")
            authorizer_name = resolver.resolve(route_auth.get("Authorizer", default_authorizer))
            authorizer = None
            if authorizer_name is not None and authorizer_name != "NONE":
                authorizer = self._jwt_authorizer(api_id, api_auth, authorizer_name, resolver)
            path = resolver.resolve(props.get("Path", "$default"))
            method = str(resolver.resolve(props.get("Method", "ANY"))).upper()
            scopes = tuple(resolver.resolve(route_auth.get("AuthorizationScopes") or []))
            routes.append(HttpRoute(method, path, function_id, event_id, authorizer, scopes))
        return routes

    @staticmethod
    def _jwt_authorizer(
        api_id: str, api_auth: Mapping[str, Any], name: str, resolver: "Resolver"
    ) -> "JwtAuthorizerSpec":
        config = (api_auth.get("Authorizers") or {}).get(name)
        if config is None:
            raise TemplateError(f"{api_id}: authorizer {name!r} is not defined")
        jwt = config.get("JwtConfiguration")
        if jwt is None:
            raise TemplateError(f"{api_id}: authorizer {name!r} is not JWT; only JWT is emulated")
        source = resolver.resolve(config.get("IdentitySource", "$request.header.Authorization"))
        prefix = "$request.header."
        if not isinstance(source, str) or not source.startswith(prefix):
            raise TemplateError(f"{api_id}: authorizer {name!r}: only header identity sources are emulated")
        audience = resolver.resolve(jwt.get("audience") or [])
        return JwtAuthorizerSpec(
            name=name,
            identity_header=source[len(prefix) :],
            issuer=resolver.resolve(jwt.get("issuer")),
            audience=tuple(audience if isinstance(audience, list) else [audience]),
        )

    def sqs_event_sources(self) -> list[SqsEventSource]:
        resolver = self.resolver()
        queues = self.resources_of_type("AWS::SQS::Queue")
        sources = []
        for function_id, event_id, props in self._events("SQS"):
            queue = props.get("Queue")
            if isinstance(queue, dict) and "Fn::GetAtt" in queue and queue["Fn::GetAtt"][0] in queues:
                queue_id = queue["Fn::GetAtt"][0]
            else:
                arn = resolver.resolve(queue)
                matches = [lid for lid in queues if resolver.get_att(lid, "Arn") == arn]
                if not matches:
                    raise TemplateError(f"{function_id}.{event_id}: queue {queue!r} is not in this template")
                queue_id = matches[0]
            response_types = resolver.resolve(props.get("FunctionResponseTypes") or [])
            batching_window = float(resolver.resolve(props.get("MaximumBatchingWindowInSeconds", 0)))
            sources.append(
                SqsEventSource(
                    function_id=function_id,
                    event_id=event_id,
                    queue_id=queue_id,
                    batch_size=int(resolver.resolve(props.get("BatchSize", 10))),
                    report_batch_item_failures="ReportBatchItemFailures" in response_types,
                    batching_window_seconds=batching_window,
                    enabled=_truthy(resolver.resolve(props.get("Enabled", True))),
                )
            )
        return sources

    def stream_event_sources(self) -> list[StreamEventSource]:
        resolver = self.resolver()
        tables = self.resources_of_type("AWS::DynamoDB::Table")
        queues = self.resources_of_type("AWS::SQS::Queue")
        sources = []
        for function_id, event_id, props in self._events("DynamoDB"):
            stream = props.get("Stream")
            if not (isinstance(stream, dict) and "Fn::GetAtt" in stream and stream["Fn::GetAtt"][0] in tables):
                raise TemplateError(f"{function_id}.{event_id}: only !GetAtt <Table>.StreamArn streams are emulated")
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            failure_queue = _queue_of(queues, on_failure) if on_failure is not None else None
            if on_failure is not None and failure_queue is None:
                raise TemplateError(f"{function_id}.{event_id}: only SQS queues of this template as OnFailure")
            patterns = [
                json.loads(resolver.resolve(entry.get("Pattern")))
                for entry in ((props.get("FilterCriteria") or {}).get("Filters") or [])
            ]
            response_types = resolver.resolve(props.get("FunctionResponseTypes") or [])
            sources.append(
                StreamEventSource(
                    function_id=function_id,
                    event_id=event_id,
                    table_id=stream["Fn::GetAtt"][0],
                    starting_position=str(resolver.resolve(props.get("StartingPosition", "TRIM_HORIZON"))),
                    batch_size=int(resolver.resolve(props.get("BatchSize", 100))),
                    batching_window_seconds=float(resolver.resolve(props.get("MaximumBatchingWindowInSeconds", 0))),
                    report_batch_item_failures="ReportBatchItemFailures" in response_types,
                    bisect_on_error=_truthy(resolver.resolve(props.get("BisectBatchOnFunctionError", False))),
                    maximum_retry_attempts=int(resolver.resolve(props.get("MaximumRetryAttempts", -1))),
                    on_failure_queue_id=failure_queue,
                    filter_patterns=tuple(patterns),
                    enabled=_truthy(resolver.resolve(props.get("Enabled", True))),
                )
            )
        return sources


def _queue_of(queues: Mapping[str, Any], value: Any) -> str | None:
    """The logical id of the queue `!GetAtt <Queue>.Arn` names, if it names one of this template."""
    if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in queues:
        return str(value["Fn::GetAtt"][0])
    return None


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rules: maps merge (the resource wins), lists append, scalars are replaced."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if _is_intrinsic(global_value) or _is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


# ----------------------------------------------------------------------------- intrinsics


class Resolver:
    """Evaluates intrinsic functions against the local stack.

    ``overrides`` replace the default physical names of resources once they are known for
    real (queue URLs come from CreateQueue, ARNs from the endpoint actually used).
    """

    def __init__(self, template: Template, overrides: Mapping[str, PhysicalResource] | None = None) -> None:
        self.template = template
        self.overrides = dict(overrides or {})
        self._physical: dict[str, PhysicalResource] = {}
        self._conditions: dict[str, bool] = {}
        self._in_progress: set[str] = set()

    @property
    def pseudo_parameters(self) -> dict[str, Any]:
        region = self.template.region
        return {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def with_overrides(self, overrides: Mapping[str, PhysicalResource]) -> "Resolver":
        return Resolver(self.template, {**self.overrides, **overrides})

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if _is_intrinsic(value):
                ((name, argument),) = value.items()
                handler = _INTRINSICS.get(name)
                if handler is None:
                    raise TemplateError(f"{name} is not supported by the local runner")
                return handler(self, argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(entry) for entry in value) if item is not NO_VALUE]
        return value

    # -- Ref / GetAtt

    def ref(self, name: str) -> Any:
        pseudo = self.pseudo_parameters
        if name in pseudo:
            return pseudo[name]
        declared = self.template.document.get("Parameters") or {}
        if name in declared:
            if name not in self.template.parameter_values:
                raise TemplateError(f"parameter {name} has no Default; pass a value for the local stack")
            return _parameter_value(declared[name], self.template.parameter_values[name])
        if name in self.template.resources:
            return self.physical(name).ref
        raise TemplateError(f"!Ref {name}: no such parameter, pseudo parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.template.resources:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        attributes = self.physical(logical_id).attributes
        if attribute not in attributes:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: attribute not known to the local runner")
        return attributes[attribute]

    def physical(self, logical_id: str) -> PhysicalResource:
        if logical_id in self.overrides:
            return self.overrides[logical_id]
        if logical_id not in self._physical:
            if logical_id in self._in_progress:
                raise TemplateError(f"{logical_id}: circular reference while naming it")
            self._in_progress.add(logical_id)
            try:
                self._physical[logical_id] = self._default_physical(logical_id)
            finally:
                self._in_progress.discard(logical_id)
        return self._physical[logical_id]

    def _default_physical(self, logical_id: str) -> PhysicalResource:
        resource = self.template.resources[logical_id]
        props = resource.get("Properties") or {}
        namer = _PHYSICAL_NAMERS.get(resource.get("Type", ""), _generic_physical)
        return namer(self, logical_id, props)

    def name_property(self, props: Mapping[str, Any], key: str, default: str) -> str:
        value = self.resolve(props.get(key)) if key in props else None
        return value if isinstance(value, str) and value else default

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        region_part = self.template.region if region else ""
        account_part = ACCOUNT_ID if account else ""
        return f"arn:{PARTITION}:{service}:{region_part}:{account_part}:{resource}"

    # -- conditions

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.document.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"condition {name} is not defined")
            self._conditions[name] = _truthy(self.resolve(conditions[name]))
        return self._conditions[name]


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((name, argument),) = value.items()
    return name == "Ref" or name.startswith("Fn::") or (name == "Condition" and isinstance(argument, str))


def _is_ref(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and len(value) == 1 and "Ref" in value


def _scalar_text(value: Any) -> str:
    """How CloudFormation renders a scalar where it needs a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _parameter_value(spec: Mapping[str, Any], value: Any) -> Any:
    parameter_type = str(spec.get("Type", "String"))
    if parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<"):
        return value if isinstance(value, list) else [item.strip() for item in str(value).split(",")]
    return _scalar_text(value)


def _fn_ref(resolver: Resolver, argument: Any) -> Any:
    return resolver.ref(resolver.resolve(argument))


def _fn_get_att(resolver: Resolver, argument: Any) -> Any:
    resolved = resolver.resolve(argument)
    if isinstance(resolved, str):
        resolved = resolved.split(".", 1)
    if not isinstance(resolved, list) or len(resolved) != 2:
        raise TemplateError(f"Fn::GetAtt needs [LogicalId, Attribute], got {argument!r}")
    return resolver.get_att(resolved[0], resolved[1])


def _fn_sub(resolver: Resolver, argument: Any) -> str:
    if isinstance(argument, list):
        if len(argument) != 2 or not isinstance(argument[1], dict):
            raise TemplateError(f"Fn::Sub list form needs [template, {{variables}}], got {argument!r}")
        text, variables = argument[0], {key: resolver.resolve(value) for key, value in argument[1].items()}
    else:
        text, variables = argument, {}
    if not isinstance(text, str):
        raise TemplateError(f"Fn::Sub needs a string, got {text!r}")
    return _substitute(text, lambda name: _sub_variable(resolver, variables, name))


def _sub_variable(resolver: Resolver, variables: Mapping[str, Any], name: str) -> str:
    if name in variables:
        return _scalar_text(variables[name])
    if "." in name and name.split(".", 1)[0] in resolver.template.resources:
        logical_id, attribute = name.split(".", 1)
        return _scalar_text(resolver.get_att(logical_id, attribute))
    return _scalar_text(resolver.ref(name))


def _substitute(text: str, lookup: Callable[[str], str]) -> str:
    """``${Name}`` → value, ``${!Literal}`` → ``${Literal}``, anything else kept."""
    out = []
    position = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            out.append(text[position:])
            return "".join(out)
        end = text.find("}", start)
        if end < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        name = text[start + 2 : end]
        out.append("${" + name[1:] + "}" if name.startswith("!") else lookup(name.strip()))
        position = end + 1


def _fn_if(resolver: Resolver, argument: Any) -> Any:
    if not isinstance(argument, list) or len(argument) != 3:
        raise TemplateError(f"Fn::If needs [condition, value_if_true, value_if_false], got {argument!r}")
    condition, when_true, when_false = argument
    return resolver.resolve(when_true if resolver.condition(condition) else when_false)


def _fn_equals(resolver: Resolver, argument: Any) -> bool:
    left, right = resolver.resolve(argument)
    return _scalar_text(left) == _scalar_text(right)


def _fn_not(resolver: Resolver, argument: Any) -> bool:
    (value,) = resolver.resolve(argument)
    return not _truthy(value)


def _fn_and(resolver: Resolver, argument: Any) -> bool:
    return all(_truthy(value) for value in resolver.resolve(argument))


def _fn_or(resolver: Resolver, argument: Any) -> bool:
    return any(_truthy(value) for value in resolver.resolve(argument))


def _fn_condition(resolver: Resolver, argument: Any) -> bool:
    return resolver.condition(argument)


def _fn_join(resolver: Resolver, argument: Any) -> str:
    delimiter: str
    values: list[Any]
    delimiter, values = resolver.resolve(argument)
    return delimiter.join(_scalar_text(value) for value in values)


def _fn_select(resolver: Resolver, argument: Any) -> Any:
    index, values = resolver.resolve(argument)
    return values[int(index)]


def _fn_split(resolver: Resolver, argument: Any) -> list[str]:
    delimiter: str
    text: str
    delimiter, text = resolver.resolve(argument)
    return text.split(delimiter)


def _fn_find_in_map(resolver: Resolver, argument: Any) -> Any:
    map_name, top_key, second_key = resolver.resolve(argument)[:3]
    mappings = resolver.template.document.get("Mappings") or {}
    try:
        return mappings[map_name][top_key][second_key]
    except KeyError as missing:
        raise TemplateError(f"Fn::FindInMap {map_name}/{top_key}/{second_key}: {missing} not found") from None


def _fn_base64(resolver: Resolver, argument: Any) -> str:
    return base64.b64encode(str(resolver.resolve(argument)).encode("utf-8")).decode("ascii")


def _fn_get_azs(resolver: Resolver, argument: Any) -> list[str]:
    region = resolver.resolve(argument) or resolver.template.region
    return [f"{region}{zone}" for zone in "abc"]


def _fn_to_json_string(resolver: Resolver, argument: Any) -> str:
    return json.dumps(resolver.resolve(argument), separators=(",", ":"))


_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": _fn_ref,
    "Condition": _fn_condition,
    "Fn::GetAtt": _fn_get_att,
    "Fn::Sub": _fn_sub,
    "Fn::If": _fn_if,
    "Fn::Equals": _fn_equals,
    "Fn::Not": _fn_not,
    "Fn::And": _fn_and,
    "Fn::Or": _fn_or,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Base64": _fn_base64,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::ToJsonString": _fn_to_json_string,
}


# ----------------------------------------------------------------------------- local physical names


def _default_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


def _table_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "TableName", _default_name(logical_id))
    arn = resolver.arn("dynamodb", f"table/{name}")
    return PhysicalResource(name, {"Arn": arn, "StreamArn": f"{arn}/stream/local"})


def _bucket_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    # Bucket names are lower case; CloudFormation lower-cases the generated ones too.
    name = resolver.name_property(props, "BucketName", _default_name(logical_id).lower())
    region = resolver.template.region
    return PhysicalResource(
        name,
        {
            "Arn": resolver.arn("s3", name, region=False, account=False),
            "DomainName": f"{name}.s3.{URL_SUFFIX}",
            "RegionalDomainName": f"{name}.s3.{region}.{URL_SUFFIX}",
            "DualStackDomainName": f"{name}.s3.dualstack.{region}.{URL_SUFFIX}",
            "WebsiteURL": f"http://{name}.s3-website-{region}.{URL_SUFFIX}",
        },
    )


def queue_name(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> str:
    suffix = ".fifo" if _truthy(resolver.resolve(props.get("FifoQueue", False))) else ""
    return resolver.name_property(props, "QueueName", _default_name(logical_id) + suffix)


def _queue_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    # The URL is a placeholder until the queue exists: resources.py overrides it with CreateQueue's answer.
    name = queue_name(resolver, logical_id, props)
    url = f"https://sqs.{resolver.template.region}.{URL_SUFFIX}/{ACCOUNT_ID}/{name}"
    return PhysicalResource(url, {"Arn": resolver.arn("sqs", name), "QueueName": name, "QueueUrl": url})


def _parameter_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "Name", f"CFN-{logical_id}")
    return PhysicalResource(name, {"Type": resolver.resolve(props.get("Type", "String")), "Value": ""})


def _function_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "FunctionName", _default_name(logical_id))
    return PhysicalResource(name, {"Arn": resolver.arn("lambda", f"function:{name}")})


def _layer_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "LayerName", _default_name(logical_id))
    return PhysicalResource(resolver.arn("lambda", f"layer:{name}:1"))


def _log_group_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "LogGroupName", f"/{STACK_NAME}/{logical_id}")
    return PhysicalResource(name, {"Arn": resolver.arn("logs", f"log-group:{name}:*")})


def _secret_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    # Ref gives the ARN in AWS; locally the name, which GetSecretValue accepts as well.
    name = resolver.name_property(props, "Name", _default_name(logical_id))
    return PhysicalResource(name, {"Id": name})


def _event_bus_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    name = resolver.name_property(props, "Name", _default_name(logical_id))
    return PhysicalResource(name, {"Arn": resolver.arn("events", f"event-bus/{name}"), "Name": name})


def _http_api_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    return PhysicalResource(LOCAL_API_ID, {"ApiEndpoint": "http://127.0.0.1"})


def _generic_physical(resolver: Resolver, logical_id: str, props: Mapping[str, Any]) -> PhysicalResource:
    return PhysicalResource(_default_name(logical_id), {"Arn": resolver.arn("local", logical_id)})


_PHYSICAL_NAMERS: dict[str, Callable[[Resolver, str, Mapping[str, Any]], PhysicalResource]] = {
    "AWS::DynamoDB::Table": _table_physical,
    "AWS::S3::Bucket": _bucket_physical,
    "AWS::SQS::Queue": _queue_physical,
    "AWS::SSM::Parameter": _parameter_physical,
    "AWS::SecretsManager::Secret": _secret_physical,
    "AWS::Events::EventBus": _event_bus_physical,
    "AWS::Serverless::Function": _function_physical,
    "AWS::Lambda::Function": _function_physical,
    "AWS::Serverless::LayerVersion": _layer_physical,
    "AWS::Lambda::LayerVersion": _layer_physical,
    "AWS::Logs::LogGroup": _log_group_physical,
    "AWS::Serverless::HttpApi": _http_api_physical,
    "AWS::ApiGatewayV2::Api": _http_api_physical,
}

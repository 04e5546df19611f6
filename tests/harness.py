"""In-process harness: handlers under moto's mock_aws, resources built from template.yaml, events from events/.

Used by the integration tests and by `make bench`. Every caller works in a
tenant of its own, so runs never see each other's data.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
REGION = "us-east-1"

# Settings are read once per process, so the environment is set before any handler is imported.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(
    AWS_DEFAULT_REGION=REGION,
    AWS_REGION=REGION,
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    POWERTOOLS_LOG_LEVEL="WARNING",
)

ALL_SCOPES = (
    "customer:read customer:create customer:update customer:delete customer:import "
    "sku:read sku:write ledger:read ledger:write integration:read integration:write"
)


@dataclass
class Emulated:
    """The session's emulated AWS: resources, clients, the function specs and their loaded modules."""

    resources: Any
    clients: Any
    specs: dict[str, Any]
    modules: dict[str, Any] = field(default_factory=dict)
    stream_pollers: list[Any] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.resources.table

    @property
    def writes_parameter(self) -> str:
        return self.resources.parameters["WritesSwitchParameter"]

    def handler(self, function_dir: str):
        if function_dir not in self.modules:
            spec = self.specs[function_dir]
            loader = importlib.util.spec_from_file_location("fn_" + function_dir.replace("/", "_"), spec.module_file)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
            self.modules[function_dir] = module
        return self.modules[function_dir].handler


@contextmanager
def emulated() -> Iterator[Emulated]:
    """An emulated account with the template's resources, and the functions' environment set."""
    from moto import mock_aws

    from localdev import moto_patches
    from localdev.functions import add_to_sys_path, prepare_environment
    from localdev.resources import AwsClients, create_resources
    from localdev.template import Template

    moto_patches.install()
    with mock_aws():
        template = Template.load(ROOT / "template.yaml", region=REGION)
        clients = AwsClients.create(None, REGION)
        resources = create_resources(template, clients=clients, environ={})
        specs = template.functions(template.resolver(resources.physical))
        prepare_environment(specs, None, REGION)
        add_to_sys_path(template.layer_dirs().values())
        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "ClienteleTests"
        yield Emulated(resources, clients, {spec.code_dir.relative_to(FUNCTIONS).as_posix(): spec for spec in specs})


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    @property
    def etag(self) -> str | None:
        return self.header("ETag")


class _Context:
    def __init__(self, function_dir: str, time_left_ms: int | Callable[[], int] = 10_000) -> None:
        self.function_name = f"clientele-test-{function_dir}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.time_left_ms = time_left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.time_left_ms() if callable(self.time_left_ms) else self.time_left_ms


def sample_event(function_dir: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{function_dir}.json").read_text())


_KEPT_SAMPLE_HEADERS = ("accept", "host", "user-agent")


class Api:
    """Invokes handlers with events built from the samples in events/, as one caller."""

    def __init__(self, aws: Emulated, claims: dict[str, Any]) -> None:
        self.aws = aws
        self.claims = claims

    def as_caller(self, **claims: Any) -> Api:
        merged = {**self.claims, **claims}
        return Api(self.aws, {name: value for name, value in merged.items() if value is not None})

    @property
    def tenant(self) -> str:
        return self.claims["tenant_id"]

    def call(
        self,
        function_dir: str,
        *,
        customer_id: str | None = None,
        address_id: str | None = None,
        path: dict[str, str] | None = None,
        body: Any = None,
        raw_body: str | None = None,
        base64_body: bool = False,
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
        claims: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        time_left_ms: int = 10_000,
    ) -> Reply:
        event = copy.deepcopy(sample_event(function_dir))
        sent = {name: value for name, value in event["headers"].items() if name in _KEPT_SAMPLE_HEADERS}
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        if text is not None and content_type is not None:
            sent["content-type"] = content_type
        sent.update({name.lower(): value for name, value in (headers or {}).items()})
        event["headers"] = sent
        path_parameters = {
            name: value for name, value in (("customer_id", customer_id), ("address_id", address_id)) if value
        }
        path_parameters.update(path or {})
        if path_parameters:
            raw_path = event["routeKey"].split(" ", 1)[1]
            for name, value in path_parameters.items():
                raw_path = raw_path.replace("{" + name + "}", value)
            event["rawPath"] = raw_path
            event["requestContext"]["http"]["path"] = raw_path
            event["pathParameters"] = path_parameters
        if query is not None:
            event["queryStringParameters"] = dict(query) or None
            event["rawQueryString"] = urlencode(query)
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        if "authorizer" in event["requestContext"]:
            event["requestContext"]["authorizer"]["jwt"]["claims"] = self.claims if claims is None else claims
        event.pop("body", None)
        event["isBase64Encoded"] = base64_body
        if text is not None:
            event["body"] = text
        result = self.aws.handler(function_dir)(event, _Context(function_dir, time_left_ms))
        content = result.get("body") or ""
        media = next((v for k, v in result.get("headers", {}).items() if k.lower() == "content-type"), "")
        parsed = json.loads(content) if content and "json" in media else content
        return Reply(result["statusCode"], result.get("headers", {}), parsed, result)

    # -- the customer operations

    def create(self, body: Any, **kwargs: Any) -> Reply:
        return self.call("customers/create", body=body, **kwargs)

    def list(self, **query: Any) -> Reply:
        return self.call("customers/list", query={name: str(value) for name, value in query.items()})

    def walk(self, **query: Any) -> list[dict[str, Any]]:
        """Every item of a list, following next_cursor until has_more is false."""
        items: list[dict[str, Any]] = []
        while True:
            reply = self.list(**query)
            assert reply.status == 200, reply.body
            items.extend(reply.body["data"])
            assert (reply.body["next_cursor"] is None) == (not reply.body["has_more"])
            if not reply.body["has_more"]:
                return items
            query = {**query, "cursor": reply.body["next_cursor"]}

    def get(self, customer_id: str, **kwargs: Any) -> Reply:
        return self.call("customers/get", customer_id=customer_id, **kwargs)

    def patch(self, customer_id: str, body: Any, etag: str | None = None, **kwargs: Any) -> Reply:
        headers = {"If-Match": etag} if etag is not None else {}
        headers.update(kwargs.pop("headers", {}))
        return self.call("customers/update", customer_id=customer_id, body=body, headers=headers, **kwargs)

    def put(self, customer_id: str, body: Any, etag: str | None = None, **kwargs: Any) -> Reply:
        headers = {"If-Match": etag} if etag is not None else {}
        headers.update(kwargs.pop("headers", {}))
        return self.call("customers/replace", customer_id=customer_id, body=body, headers=headers, **kwargs)

    def delete(self, customer_id: str, etag: str | None = None, **kwargs: Any) -> Reply:
        headers = {"If-Match": etag} if etag is not None else {}
        headers.update(kwargs.pop("headers", {}))
        return self.call("customers/delete", customer_id=customer_id, headers=headers, **kwargs)

    def archive(self, customer_id: str, **kwargs: Any) -> Reply:
        return self.call("customers/archive", customer_id=customer_id, **kwargs)

    def unarchive(self, customer_id: str, **kwargs: Any) -> Reply:
        return self.call("customers/unarchive", customer_id=customer_id, **kwargs)

    # -- the address book

    def addresses(self, customer_id: str, **kwargs: Any) -> Reply:
        return self.call("addresses/list", customer_id=customer_id, **kwargs)

    def add_address(self, customer_id: str, body: Any, **kwargs: Any) -> Reply:
        return self.call("addresses/add", customer_id=customer_id, body=body, **kwargs)

    def patch_address(self, customer_id: str, address_id: str, body: Any, **kwargs: Any) -> Reply:
        return self.call("addresses/update", customer_id=customer_id, address_id=address_id, body=body, **kwargs)

    def delete_address(self, customer_id: str, address_id: str, **kwargs: Any) -> Reply:
        return self.call("addresses/delete", customer_id=customer_id, address_id=address_id, **kwargs)

    def set_default(self, customer_id: str, kind: str, body: Any, **kwargs: Any) -> Reply:
        return self.call(f"addresses/set_default_{kind}", customer_id=customer_id, body=body, **kwargs)

    # -- bulk jobs

    def bulk(self, operation: str, body: Any, **kwargs: Any) -> Reply:
        return self.call(f"customers/bulk_{operation}", body=body, **kwargs)

    def job(self, job_id: str) -> Reply:
        return self.call("jobs/get", path={"job_id": job_id})

    def created(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a customer that must succeed; returns its representation."""
        reply = self.create(body)
        assert reply.status == 201, reply.body
        return reply.body


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def admin(aws: Emulated) -> Api:
    """An admin of a fresh tenant with every scope."""
    return Api(aws, {"sub": "user-admin", "tenant_id": new_tenant(), "role": "admin", "scope": ALL_SCOPES})


@contextmanager
def counted_dynamodb_calls() -> Iterator[list[str]]:
    """Names of the DynamoDB API calls the handlers make, recorded by a botocore event hook."""
    from clientele.store.kernel.client import dynamodb

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = dynamodb().meta.events
    events.register("before-call.dynamodb", record, unique_id="count-dynamodb-calls")
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", unique_id="count-dynamodb-calls")


@contextmanager
def counted_put_events() -> Iterator[list[int]]:
    """The entries of each PutEvents call the stream function makes, recorded by a botocore event hook."""
    from clientele.store.change_events.bus import events

    entries: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        entries.append(len(params.get("Entries", [])))

    hooks = events().meta.events
    hooks.register("provide-client-params.events.PutEvents", record, unique_id="count-put-events")
    try:
        yield entries
    finally:
        hooks.unregister("provide-client-params.events.PutEvents", unique_id="count-put-events")


def run_job_worker(aws: Emulated, *, time_left_ms: int | Callable[[], int] = 300_000, max_messages: int = 100) -> int:
    """Deliver the jobs queue's messages to the bulk job worker, as Lambda's SQS integration would."""
    return run_queue(aws, "JobsQueue", "jobs/run_bulk", time_left_ms=time_left_ms, max_messages=max_messages)


def run_import_worker(
    aws: Emulated, *, time_left_ms: int | Callable[[], int] = 900_000, max_messages: int = 100
) -> int:
    """Deliver the import queue's messages (S3 notifications, continuations) to the import worker."""
    return run_queue(aws, "ImportQueue", "imports/run", time_left_ms=time_left_ms, max_messages=max_messages)


def run_change_stream(aws: Emulated) -> int:
    """Deliver the table stream's records (all since the last call, or since the test began) to the
    functions that follow it.

    The local runner's stream poller does it, with the handlers invoked in-process and without
    waiting for batching windows. Returns how many records were delivered.
    """
    return sum(poller.drain() for poller in _stream_pollers(aws))


def skip_change_stream(aws: Emulated) -> None:
    """Leave the records written so far undelivered, so a test's stream work covers its own writes
    only (the session's table stream holds every test's writes)."""
    for poller in _stream_pollers(aws):
        poller.skip_to_latest()


def _stream_pollers(aws: Emulated) -> list[Any]:
    from localdev.streams import StreamPoller
    from localdev.template import Template

    if not aws.stream_pollers:
        by_logical_id = {spec.logical_id: name for name, spec in aws.specs.items()}
        streams = boto3_client("dynamodbstreams")
        for source in Template.load(ROOT / "template.yaml", region=REGION).stream_event_sources():
            function_dir = by_logical_id[source.function_id]

            def invoke(_function_id: str, event: dict[str, Any], function_dir: str = function_dir) -> Any:
                return aws.handler(function_dir)(event, _Context(function_dir))

            aws.stream_pollers.append(
                StreamPoller(
                    source,
                    aws.resources.physical[source.table_id].attributes["StreamArn"],
                    invoke,
                    streams=streams,
                    sqs=aws.clients.sqs,
                    failure_queue_url=aws.resources.queues.get(source.on_failure_queue_id or ""),
                    region=REGION,
                )
            )
    return aws.stream_pollers


def boto3_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # botocore routes DynamoDB (Streams) calls to account-based endpoints moto does not serve.
    config = Config(account_id_endpoint_mode="disabled")
    return boto3.session.Session(region_name=REGION).client(service, config=config)


def run_queue(
    aws: Emulated, queue: str, function_dir: str, *, time_left_ms: int | Callable[[], int], max_messages: int
) -> int:
    """Deliver a queue's messages one at a time to a worker, as Lambda's SQS integration would.

    Messages the worker reports as failed stay on the queue (visible again at once). Returns how
    many were delivered.
    """
    queue_url = aws.resources.queues[queue]
    sqs = aws.clients.sqs
    delivered = 0
    while delivered < max_messages:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"])
        messages = answer.get("Messages", [])
        if not messages:
            return delivered
        delivered += 1
        result = deliver(aws, queue, function_dir, messages, time_left_ms=time_left_ms)
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:  # as if its visibility timeout ran out: it comes again
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    return delivered


def deliver(
    aws: Emulated,
    queue: str,
    function_dir: str,
    messages: list[dict[str, Any]],
    *,
    time_left_ms: int | Callable[[], int] = 300_000,
) -> dict[str, Any]:
    """Invoke a worker with messages received from a queue (an SQS event); returns its answer.

    Deleting the messages afterwards (or not) is the caller's part, as it is the event source's.
    """
    from localdev.poller import sqs_record

    queue_arn = aws.resources.queue_arns[queue]
    event = {"Records": [sqs_record(message, queue_arn, REGION) for message in messages]}
    return aws.handler(function_dir)(event, _Context(function_dir, time_left_ms))

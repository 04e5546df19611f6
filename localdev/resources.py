"""Create the template's data resources on an AWS endpoint, from the template's own properties.

Tables (keys, GSIs, TTL), buckets (with their S3 → SQS notifications), queues (with
redrive to their DLQ), SSM parameters and EventBridge buses (the emulator delivers events put on
a bus to the rules and targets created on it, e.g. an SQS queue a developer subscribes).
Works against the embedded moto server, an external endpoint, or in-process moto (``mock_aws``)
when given plain boto3 clients.
Idempotent: whatever already exists is reused.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from localdev.template import PhysicalResource, Resolver, Template, TemplateError, queue_name

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import FilterRuleTypeDef, NotificationConfigurationTypeDef, QueueConfigurationTypeDef
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType
    from mypy_boto3_ssm import SSMClient

log = logging.getLogger(__name__)

# CloudFormation AWS::SQS::Queue properties that are SQS queue attributes of the same name.
_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
_JSON_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = ("RedrivePolicy", "RedriveAllowPolicy")


@dataclass(frozen=True)
class AwsClients:
    dynamodb: DynamoDBClient
    s3: S3Client
    sqs: SQSClient
    ssm: SSMClient
    secretsmanager: SecretsManagerClient
    events: EventBridgeClient

    @classmethod
    def create(cls, endpoint_url: str | None, region: str) -> AwsClients:
        """Clients for ``endpoint_url`` (None: boto3's default, which is what ``mock_aws`` intercepts)."""
        session = boto3.session.Session(region_name=region)
        return cls(
            dynamodb=session.client("dynamodb", endpoint_url=endpoint_url),
            s3=session.client("s3", endpoint_url=endpoint_url),
            sqs=session.client("sqs", endpoint_url=endpoint_url),
            ssm=session.client("ssm", endpoint_url=endpoint_url),
            secretsmanager=session.client("secretsmanager", endpoint_url=endpoint_url),
            events=session.client("events", endpoint_url=endpoint_url),
        )


@dataclass(frozen=True)
class LocalResources:
    """Physical names of what was created, by logical id."""

    endpoint_url: str | None
    region: str
    physical: Mapping[str, PhysicalResource]
    tables: Mapping[str, str] = field(default_factory=dict)
    buckets: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)  # logical id -> URL
    queue_arns: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)  # logical id -> parameter name
    secrets: Mapping[str, str] = field(default_factory=dict)  # logical id -> secret id
    event_buses: Mapping[str, str] = field(default_factory=dict)  # logical id -> bus name

    @property
    def table(self) -> str | None:
        return next(iter(self.tables.values()), None)

    @property
    def bucket(self) -> str | None:
        return next(iter(self.buckets.values()), None)

    @property
    def event_bus(self) -> str | None:
        return next(iter(self.event_buses.values()), None)

    def describe(self) -> dict[str, Any]:
        """The ``GET /_local/aws`` document."""
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "table": self.table,
            "bucket": self.bucket,
            "queues": dict(self.queues),
            "parameters": dict(self.parameters),
            "tables": dict(self.tables),
            "buckets": dict(self.buckets),
            # Where the stream function puts change events (put rules and targets on it to watch them).
            "event_bus": self.event_bus,
            "event_buses": dict(self.event_buses),
        }


def env_name_for_parameter(parameter: str) -> str:
    """``WritesEnabled`` → ``WRITES_ENABLED``: the env var that overrides an SSM value locally."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", parameter).upper()


def create_resources(
    template: Template,
    endpoint_url: str | None = None,
    region: str | None = None,
    *,
    clients: AwsClients | None = None,
    environ: Mapping[str, str] | None = None,
    visibility_timeout: int | None = None,
) -> LocalResources:
    """Create (or reuse) every table, bucket, queue and SSM parameter of ``template``.

    ``visibility_timeout`` replaces every queue's VisibilityTimeout (a local convenience:
    the template's may be hours, which makes retries unobservable on a laptop).
    """
    region = region or template.region
    clients = clients or AwsClients.create(endpoint_url, region)
    env = os.environ if environ is None else environ
    resolver = template.resolver()

    queues, queue_arns, physical = _create_queues(template, resolver, clients.sqs, visibility_timeout)
    resolver = resolver.with_overrides(physical)
    tables = {}
    for logical_id, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        created = _create_table(logical_id, resource, resolver, clients.dynamodb)
        tables[logical_id], physical[logical_id] = created
    resolver = resolver.with_overrides(physical)
    buckets = {}
    for logical_id, resource in template.resources_of_type("AWS::S3::Bucket").items():
        props = resource.get("Properties") or {}
        buckets[logical_id] = _create_bucket(logical_id, props, resolver, clients.s3, region)
    parameters = {}
    for logical_id, resource in template.resources_of_type("AWS::SSM::Parameter").items():
        parameters[logical_id] = _put_parameter(logical_id, resource, resolver, clients.ssm, env)
    secrets = {
        logical_id: _ensure_secret(logical_id, resource, resolver, clients.secretsmanager)
        for logical_id, resource in template.resources_of_type("AWS::SecretsManager::Secret").items()
    }
    event_buses = {
        logical_id: _ensure_event_bus(logical_id, resolver, clients.events)
        for logical_id in template.resources_of_type("AWS::Events::EventBus")
    }
    return LocalResources(
        endpoint_url=endpoint_url,
        region=region,
        physical=physical,
        tables=tables,
        buckets=buckets,
        queues=queues,
        queue_arns=queue_arns,
        parameters=parameters,
        secrets=secrets,
        event_buses=event_buses,
    )


# ----------------------------------------------------------------------------- SQS


def _create_queues(
    template: Template, resolver: Resolver, sqs: SQSClient, visibility_timeout: int | None
) -> tuple[dict[str, str], dict[str, str], dict[str, PhysicalResource]]:
    declared = template.resources_of_type("AWS::SQS::Queue")
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    physical: dict[str, PhysicalResource] = {}
    # Pass 1: every queue without its redrive policy (its DLQ may not exist yet).
    for logical_id, resource in declared.items():
        props = resource.get("Properties") or {}
        name = queue_name(resolver, logical_id, props)
        attributes = _queue_attributes(resolver, props, visibility_timeout)
        url = _ensure_queue(sqs, name, attributes)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[logical_id], arns[logical_id] = url, arn
        physical[logical_id] = PhysicalResource(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
    # Pass 2: redrive policies, resolved against the real DLQ ARNs.
    resolver = resolver.with_overrides(physical)
    for logical_id, resource in declared.items():
        props = resource.get("Properties") or {}
        json_attributes: dict[QueueAttributeNameType, str] = {
            key: json.dumps(_redrive_policy(resolver.resolve(props[key])))
            for key in _JSON_QUEUE_ATTRIBUTES
            if key in props
        }
        if json_attributes:
            sqs.set_queue_attributes(QueueUrl=urls[logical_id], Attributes=json_attributes)
    return urls, arns, physical


def _queue_attributes(
    resolver: Resolver, props: Mapping[str, Any], visibility: int | None
) -> dict[QueueAttributeNameType, str]:
    attributes: dict[QueueAttributeNameType, str] = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = resolver.resolve(props[key])
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if visibility is not None:
        attributes["VisibilityTimeout"] = str(visibility)
    return attributes


def _redrive_policy(policy: Any) -> Any:
    """CloudFormation takes the policy as an object or JSON text; SQS wants JSON with a numeric count."""
    if isinstance(policy, str):
        policy = json.loads(policy)
    if isinstance(policy, dict) and "maxReceiveCount" in policy:
        policy = {**policy, "maxReceiveCount": int(policy["maxReceiveCount"])}
    return policy


def _ensure_queue(sqs: SQSClient, name: str, attributes: dict[QueueAttributeNameType, str]) -> str:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as error:
        if not _is_missing_queue(error):
            raise
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    # Reused: bring its attributes in line with the template (FifoQueue cannot change).
    settable: dict[QueueAttributeNameType, str] = {
        key: value for key, value in attributes.items() if key != "FifoQueue"
    }
    if settable:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
    return url


def _is_missing_queue(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"} or code.endswith(
        "QueueDoesNotExist"
    )


# ----------------------------------------------------------------------------- DynamoDB


def _create_table(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, dynamodb: DynamoDBClient
) -> tuple[str, PhysicalResource]:
    props = resolver.resolve(resource.get("Properties") or {})
    name = resolver.physical(logical_id).ref
    billing_mode = props.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing_mode,
    }
    throughput = billing_mode != "PAY_PER_REQUEST"
    if throughput:
        request["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [_index(i, throughput) for i in props["GlobalSecondaryIndexes"]]
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [_index(index, False) for index in props["LocalSecondaryIndexes"]]
    stream = props.get("StreamSpecification")
    if stream and stream.get("StreamViewType"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if "DeletionProtectionEnabled" in props:
        request["DeletionProtectionEnabled"] = bool(props["DeletionProtectionEnabled"])
    try:
        description = dynamodb.create_table(**request)["TableDescription"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise
        description = dynamodb.describe_table(TableName=name)["Table"]
        _warn_on_index_drift(name, request, description)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    _ensure_ttl(dynamodb, name, props.get("TimeToLiveSpecification"))
    arn = description.get("TableArn") or resolver.get_att(logical_id, "Arn")
    attributes = {"Arn": arn, "StreamArn": description.get("LatestStreamArn") or f"{arn}/stream/local"}
    return name, PhysicalResource(name, attributes)


def _throughput(value: Mapping[str, Any] | None) -> dict[str, int]:
    value = value or {}
    return {
        "ReadCapacityUnits": int(value.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 5)),
    }


def _index(index: Mapping[str, Any], throughput: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": index.get("Projection") or {"ProjectionType": "ALL"},
    }
    if throughput:
        spec["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
    return spec


def _warn_on_index_drift(name: str, request: Mapping[str, Any], description: Mapping[str, Any]) -> None:
    wanted = {index["IndexName"] for index in request.get("GlobalSecondaryIndexes", [])}
    present = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])}
    if wanted - present:
        missing = ", ".join(sorted(wanted - present))
        log.warning("table %s exists without index(es) %s: recreate it", name, missing)


def _ensure_ttl(dynamodb: DynamoDBClient, name: str, spec: Mapping[str, Any] | None) -> None:
    if not spec or not spec.get("Enabled"):
        return
    current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
        return
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["AttributeName"]}
    )


# ----------------------------------------------------------------------------- S3


def _create_bucket(bucket_id: str, props: dict[str, Any], resolver: Resolver, s3: S3Client, region: str) -> str:
    name = resolver.physical(bucket_id).ref
    request: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    notifications = resolver.resolve(props.get("NotificationConfiguration") or {})
    if notifications:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration=_notification_configuration(bucket_id, notifications)
        )
    return name


def _notification_configuration(logical_id: str, config: Mapping[str, Any]) -> NotificationConfigurationTypeDef:
    for unsupported in ("LambdaConfigurations", "TopicConfigurations", "EventBridgeConfiguration"):
        if config.get(unsupported):
            log.warning("%s: %s are not emulated locally", logical_id, unsupported)
    queue_configurations: list[QueueConfigurationTypeDef] = []
    for entry in config.get("QueueConfigurations") or []:
        queue_config: QueueConfigurationTypeDef = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
        rules = (((entry.get("Filter") or {}).get("S3Key")) or {}).get("Rules")
        if rules:
            filter_rules: list[FilterRuleTypeDef] = [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]
            queue_config["Filter"] = {"Key": {"FilterRules": filter_rules}}
        queue_configurations.append(queue_config)
    return {"QueueConfigurations": queue_configurations} if queue_configurations else {}


# ----------------------------------------------------------------------------- SSM


def _put_parameter(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, ssm: SSMClient, env: Mapping[str, str]
) -> str:
    raw = resource.get("Properties") or {}
    props = resolver.resolve(raw)
    name = resolver.physical(logical_id).ref
    value = _parameter_value(raw.get("Value"), props.get("Value"), resolver.template, env)
    ssm.put_parameter(Name=name, Value=value, Type=props.get("Type", "String"), Overwrite=True)
    return name


def _parameter_value(raw_value: Any, template_value: Any, template: Template, env: Mapping[str, str]) -> str:
    """The template's value, unless it is ``!Ref SomeParameter`` and env ``SOME_PARAMETER`` is set."""
    if isinstance(raw_value, dict) and set(raw_value) == {"Ref"}:
        parameter = raw_value["Ref"]
        declared = (template.document.get("Parameters") or {}).get(parameter)
        override = env.get(env_name_for_parameter(parameter))
        if declared is not None and override is not None:
            allowed = declared.get("AllowedValues")
            if allowed is not None and override not in [str(v) for v in allowed]:
                variable = env_name_for_parameter(parameter)
                raise TemplateError(f"{variable}={override!r}: must be one of {allowed}")
            return override
    if isinstance(template_value, bool):
        return "true" if template_value else "false"
    return str(template_value)


# ----------------------------------------------------------------------------- Secrets Manager


def _ensure_secret(
    logical_id: str, resource: Mapping[str, Any], resolver: Resolver, secretsmanager: SecretsManagerClient
) -> str:
    """Create the secret once (a random value for GenerateSecretString, as CloudFormation does); keep it after."""
    props = resolver.resolve(resource.get("Properties") or {})
    name = resolver.physical(logical_id).ref
    try:
        secretsmanager.describe_secret(SecretId=name)
        return name
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    value = props.get("SecretString")
    if value is None:
        length = int((props.get("GenerateSecretString") or {}).get("PasswordLength", 32))
        value = token_urlsafe(length)[:length]
    secretsmanager.create_secret(Name=name, SecretString=value)
    return name


# ----------------------------------------------------------------------------- EventBridge


def _ensure_event_bus(logical_id: str, resolver: Resolver, events: EventBridgeClient) -> str:
    """Create the bus once; its rules and targets are the developer's (kept when the bus exists)."""
    name = resolver.physical(logical_id).ref
    try:
        events.create_event_bus(Name=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
            raise
    return name

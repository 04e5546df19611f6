"""Resources created from the template's own properties (under moto's in-process mock)."""

import json
from collections.abc import Iterator
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from localdev import moto_patches
from localdev.resources import AwsClients, create_resources, env_name_for_parameter
from localdev.template import Template, TemplateError


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    moto_patches.install()
    with mock_aws():
        yield


def receive_all(queue_url: str) -> list[dict]:
    """Receive and delete what the queue holds (deleted, so a short visibility timeout can't bring it back)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages: list[dict] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        messages.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_table_matches_the_template(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for logical_id, resource in repo_template.resources_of_type("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        table = dynamodb.describe_table(TableName=resources.tables[logical_id])["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        definitions = props["AttributeDefinitions"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(definitions, key=str)
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        created = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
        expected = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
        assert created.keys() == expected.keys()
        for name, index in expected.items():
            assert created[name]["KeySchema"] == index["KeySchema"]
            assert created[name]["Projection"]["ProjectionType"] == index["Projection"]["ProjectionType"]
        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if props.get("TimeToLiveSpecification", {}).get("Enabled"):
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": props["TimeToLiveSpecification"]["AttributeName"],
            }
    assert resources.table == next(iter(resources.tables.values()))


def test_fixture_table_with_keys_only_index(aws: None, small_template: Template) -> None:
    resources = create_resources(small_template)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = dynamodb.describe_table(TableName=resources.table)["Table"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-kind"
    assert index["Projection"]["ProjectionType"] == "KEYS_ONLY"


def test_queues_have_redrive_to_their_dlq(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template)
    sqs = boto3.client("sqs", region_name="us-east-1")
    for logical_id, resource in repo_template.resources_of_type("AWS::SQS::Queue").items():
        props = resource["Properties"]
        attributes = sqs.get_queue_attributes(QueueUrl=resources.queues[logical_id], AttributeNames=["All"])[
            "Attributes"
        ]
        assert attributes["QueueArn"] == resources.queue_arns[logical_id]
        if "VisibilityTimeout" in props:
            assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            policy = json.loads(attributes["RedrivePolicy"])
            dlq_id = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert policy["deadLetterTargetArn"] == resources.queue_arns[dlq_id]
            assert policy["maxReceiveCount"] == props["RedrivePolicy"]["maxReceiveCount"]


def test_the_event_bus_is_created_and_named(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template)

    assert resources.event_buses == {"ChangeEventBus": "clientele-local-changes"}
    assert resources.describe()["event_bus"] == "clientele-local-changes"
    names = [bus["Name"] for bus in boto3.client("events", region_name="us-east-1").list_event_buses()["EventBuses"]]
    assert "clientele-local-changes" in names
    assert create_resources(repo_template).event_buses == resources.event_buses  # reused


def test_visibility_timeout_override(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template, visibility_timeout=2)
    sqs = boto3.client("sqs", region_name="us-east-1")
    for url in resources.queues.values():
        answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        assert answer["Attributes"]["VisibilityTimeout"] == "2"


def test_upload_under_a_notified_prefix_lands_in_the_queue(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template)
    (bucket_id, bucket), *_ = repo_template.resources_of_type("AWS::S3::Bucket").items()
    notification = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0]
    prefix = notification["Filter"]["S3Key"]["Rules"][0]["Value"]
    queue_url = resources.queues[notification["Queue"]["Fn::GetAtt"][0]]
    s3 = boto3.client("s3", region_name="us-east-1")

    # As on AWS, configuring the notification sends a test event first.
    (test_event,) = receive_all(queue_url)
    assert json.loads(test_event["Body"])["Event"] == "s3:TestEvent"

    s3.put_object(Bucket=resources.buckets[bucket_id], Key="elsewhere/x.csv", Body=b"a\n")
    s3.put_object(Bucket=resources.buckets[bucket_id], Key=f"{prefix}x.csv", Body=b"a\n")
    s3.put_object(Bucket=resources.buckets[bucket_id], Key=f"{prefix}sub/my file+1:é.csv", Body=b"a\n")
    records = [json.loads(message["Body"])["Records"][0] for message in receive_all(queue_url)]
    keys = sorted(record["s3"]["object"]["key"] for record in records)
    # Keys arrive form-encoded as S3 sends them: space as +, slashes kept.
    assert keys == sorted([f"{prefix}x.csv", f"{prefix}sub/my+file%2B1%3A%C3%A9.csv"])
    assert unquote_plus(keys[0]) in {f"{prefix}x.csv", f"{prefix}sub/my file+1:é.csv"}
    assert {record["eventName"] for record in records} == {"ObjectCreated:Put"}
    assert {record["s3"]["bucket"]["name"] for record in records} == {resources.buckets[bucket_id]}


def test_fixture_bucket_notifies_its_queue(aws: None, small_template: Template) -> None:
    resources = create_resources(small_template)
    receive_all(resources.queues["WorkQueue"])  # the s3:TestEvent
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=resources.bucket, Key="incoming/a.csv", Body=b"x")
    (message,) = receive_all(resources.queues["WorkQueue"])
    assert json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"] == "incoming/a.csv"


def test_ssm_parameter_takes_the_template_value(aws: None, repo_template: Template) -> None:
    resources = create_resources(repo_template, environ={})
    ssm = boto3.client("ssm", region_name="us-east-1")
    for logical_id, resource in repo_template.resources_of_type("AWS::SSM::Parameter").items():
        value = ssm.get_parameter(Name=resources.parameters[logical_id])["Parameter"]["Value"]
        assert value == repo_template.resolver().resolve(resource["Properties"]["Value"])


def test_ssm_writes_switch_honours_writes_enabled(aws: None, repo_template: Template) -> None:
    """WRITES_ENABLED=false sets the parameter whose value is !Ref WritesEnabled."""
    switched = {
        logical_id: resource["Properties"]["Value"]["Ref"]
        for logical_id, resource in repo_template.resources_of_type("AWS::SSM::Parameter").items()
        if isinstance(resource["Properties"]["Value"], dict)
    }
    assert "WRITES_ENABLED" in {env_name_for_parameter(parameter) for parameter in switched.values()}
    ssm = boto3.client("ssm", region_name="us-east-1")
    resources = create_resources(repo_template, environ={"WRITES_ENABLED": "false"})
    for logical_id in switched:
        assert ssm.get_parameter(Name=resources.parameters[logical_id])["Parameter"]["Value"] == "false"
    # And back (restarting without the variable resets it).
    create_resources(repo_template, environ={})
    for logical_id in switched:
        assert ssm.get_parameter(Name=resources.parameters[logical_id])["Parameter"]["Value"] == "true"


def test_invalid_switch_value_is_refused(aws: None, repo_template: Template) -> None:
    with pytest.raises(TemplateError, match="WRITES_ENABLED='nope'"):
        create_resources(repo_template, environ={"WRITES_ENABLED": "nope"})


def test_env_name_for_parameter() -> None:
    assert env_name_for_parameter("WritesEnabled") == "WRITES_ENABLED"
    assert env_name_for_parameter("SwitchValue") == "SWITCH_VALUE"
    assert env_name_for_parameter("Stage") == "STAGE"


def test_idempotent(aws: None, repo_template: Template) -> None:
    first = create_resources(repo_template)
    second = create_resources(repo_template)
    assert first.describe() == second.describe()
    assert dict(first.physical) == dict(second.physical)


def test_plain_clients_can_be_injected(aws: None, small_template: Template) -> None:
    clients = AwsClients(
        dynamodb=boto3.client("dynamodb", region_name="us-east-1"),
        s3=boto3.client("s3", region_name="us-east-1"),
        sqs=boto3.client("sqs", region_name="us-east-1"),
        ssm=boto3.client("ssm", region_name="us-east-1"),
        secretsmanager=boto3.client("secretsmanager", region_name="us-east-1"),
        events=boto3.client("events", region_name="us-east-1"),
    )
    resources = create_resources(small_template, clients=clients, environ={"SWITCH_VALUE": "off"})
    assert resources.parameters == {"Switch": "/clientele-local/switch"}
    assert clients.ssm.get_parameter(Name="/clientele-local/switch")["Parameter"]["Value"] == "off"


def test_describe_document(aws: None, small_template: Template) -> None:
    document = create_resources(small_template).describe()
    assert document["table"] == "clientele-local-Store"
    assert document["bucket"] == "clientele-local-uploads"
    assert set(document["queues"]) == {"WorkQueue", "WorkDeadLetterQueue"}
    assert document["parameters"] == {"Switch": "/clientele-local/switch"}
    assert document["region"] == "us-east-1"


def test_resolver_overrides_carry_the_real_queue_urls(aws: None, small_template: Template) -> None:
    resources = create_resources(small_template)
    (worker,) = [
        spec
        for spec in small_template.functions(small_template.resolver(resources.physical))
        if spec.logical_id == "WorkerFunction"
    ]
    assert worker.environment["QUEUE_URL"] == resources.queues["WorkQueue"]


def test_generated_secrets_are_random_and_kept(aws: None, repo_template: Template) -> None:
    first = create_resources(repo_template)
    secretsmanager = boto3.client("secretsmanager", region_name="us-east-1")
    (secret_id,) = first.secrets.values()
    value = secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"]
    assert len(value) == 64
    create_resources(repo_template)
    assert secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"] == value

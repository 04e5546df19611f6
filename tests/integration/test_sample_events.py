"""events/ holds one sample event per function, and each is served by its function as written."""

from __future__ import annotations

import json

from tests.harness import ROOT, sample_event


def test_there_is_one_sample_event_per_function(aws):
    events = {
        path.relative_to(ROOT / "events").with_suffix("").as_posix() for path in (ROOT / "events").rglob("*.json")
    }

    assert events == set(aws.specs)


def test_each_sample_event_names_its_function_route(aws):
    from localdev.template import Template

    template = Template.load(ROOT / "template.yaml")
    routes = {route.function_id: route.route_key for route in template.http_routes()}
    queues = {source.function_id for source in template.sqs_event_sources()}
    streams = {source.function_id for source in template.stream_event_sources()}
    for function_dir, spec in aws.specs.items():
        if spec.logical_id in queues:
            assert sample_event(function_dir)["Records"][0]["eventSource"] == "aws:sqs", function_dir
        elif spec.logical_id in streams:
            assert sample_event(function_dir)["Records"][0]["eventSource"] == "aws:dynamodb", function_dir
        else:
            assert sample_event(function_dir)["routeKey"] == routes[spec.logical_id], function_dir


def test_sample_create_event_as_written_creates_a_customer(api):
    reply = api.call("customers/create", body=json.loads(sample_event("customers/create")["body"]))

    assert reply.status == 201
    assert reply.body["code"] == "ACME" and reply.body["default_shipping_address"]["city"] == "Sydney"


def test_sample_get_event_answers_404_for_its_placeholder_id(api):
    assert (
        api.call("customers/get", customer_id=sample_event("customers/get")["pathParameters"]["customer_id"]).status
        == 404
    )


def test_sample_change_stream_event_as_written_is_followed(aws, stored):
    from tests.harness import _Context

    handler = aws.handler("change_stream/process")

    answer = handler(sample_event("change_stream/process"), _Context("change_stream/process"))

    # A creation, a rename and the removal of one customer: in the end only its tombstone marker is left.
    assert answer == {"batchItemFailures": []}
    customer_id = "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C"
    left = [item for item in stored("T#t1#S#") if item.get("cid") == customer_id or item["pk"].endswith(customer_id)]
    assert [(item["pk"], item["sk"]) for item in left] == [(f"T#t1#S#M#{customer_id}", "MARKER")]

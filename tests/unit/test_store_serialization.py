"""The store's attribute serializer gives what boto3's TypeSerializer gives, only faster for common types."""

from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer

from clientele.store.kernel.client import from_item, to_attribute, to_item

VALUES = [
    "",
    "text",
    "ünïcode 𝄞",
    0,
    -7,
    10**29,
    True,
    False,
    None,
    [],
    [1, "a", None, [True]],
    {},
    {"nested": {"list": [1, 2], "none": None, "flag": False}},
    Decimal("12.50"),
    {"only"},
    b"bytes",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_same_as_boto3(value):
    assert to_attribute(value) == TypeSerializer().serialize(value)


def test_floats_become_their_shortest_decimal():
    assert to_attribute(0.3) == {"N": "0.3"}


def test_items_round_trip_and_leave_out_none():
    item = {"s": "x", "n": 3, "b": True, "l": ["a", 1], "m": {"k": "v"}, "gone": None}

    assert from_item(to_item(item)) == {key: value for key, value in item.items() if value is not None}

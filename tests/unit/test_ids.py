"""Opaque, time-sortable ids: a type prefix and a ULID (API.md §1 ids)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientele.domain.kernel.ids import id_pattern, is_customer_id, new_id, new_ulid

CROCKFORD_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
MAX_TIMESTAMP = 2**48 - 1


@pytest.mark.parametrize("prefix", ["cus", "adr", "skm", "job", "ord", "crd", "alc"])
def test_id_is_prefix_underscore_and_26_crockford_characters(prefix):
    value = new_id(prefix)
    assert value.startswith(prefix + "_")
    ulid = value[len(prefix) + 1 :]
    assert CROCKFORD_ULID.fullmatch(ulid)
    assert not set(ulid) & set("ILOU")
    assert id_pattern(prefix).fullmatch(value)


def test_ulid_encodes_the_timestamp_in_its_first_ten_characters():
    # The example of the ULID specification: 01ARYZ6S41 is 1469918176385 ms.
    assert new_ulid(1469918176385)[:10] == "01ARYZ6S41"
    assert new_ulid(0)[:10] == "0000000000"
    assert new_ulid(MAX_TIMESTAMP)[:10] == "7ZZZZZZZZZ"


def test_ids_made_at_one_moment_are_unique():
    assert len({new_id("cus", 1_700_000_000_000) for _ in range(1000)}) == 1000


@given(st.lists(st.integers(min_value=0, max_value=MAX_TIMESTAMP), min_size=2, max_size=20, unique=True))
def test_ids_made_at_increasing_times_sort_in_time_order(times):
    made = [(moment, new_id("cus", moment)) for moment in times]
    assert [moment for moment, _ in sorted(made, key=lambda pair: pair[1])] == sorted(times)


def test_ids_one_millisecond_apart_sort_in_order():
    ids = [new_id("cus", 1_732_384_044_120 + step) for step in range(50)]
    assert ids == sorted(ids)


def test_new_customer_id_is_a_customer_id():
    assert is_customer_id(new_id("cus"))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "cus_",
        "adr_01JD3X5V7R2T8E6Q9M4K1N0B5C",  # other type
        "CUS_01JD3X5V7R2T8E6Q9M4K1N0B5C",
        "cus01JD3X5V7R2T8E6Q9M4K1N0B5C",
        "cus_01jd3x5v7r2t8e6q9m4k1n0b5c",  # lower case
        "cus_01JD3X5V7R2T8E6Q9M4K1N0B5",  # 25 characters
        "cus_01JD3X5V7R2T8E6Q9M4K1N0B5CC",  # 27 characters
        "cus_01JD3X5V7R2T8E6Q9M4K1N0B5I",  # I is not Crockford
        "cus_01JD3X5V7R2T8E6Q9M4K1N0B5U",  # U is not Crockford
        "cus_01JD3X5V7R2T8E6Q9M4K1N0B5C\n",
        " cus_01JD3X5V7R2T8E6Q9M4K1N0B5C",
        "xcus_01JD3X5V7R2T8E6Q9M4K1N0B5C",
    ],
)
def test_anything_else_is_not_a_customer_id(value):
    assert not is_customer_id(value)


def test_the_documented_example_is_a_customer_id():
    assert is_customer_id("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C")

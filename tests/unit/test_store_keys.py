"""Single-table key formats: escaped components never collide, sort values sort as plain text."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientele.store.kernel.keys import escape, guard_key, organization_customers, postal_code_partition, sort_value


def test_hash_in_a_component_cannot_move_the_boundary_between_components():
    assert guard_key("t1", "code", ["a#b", "c"]) != guard_key("t1", "code", ["a", "b#c"])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["a#b", "c"], ["a", "b#c"]),
        (["a%23b", "c"], ["a#b", "c"]),
        (["a%", "23b"], ["a", "%23b"]),
        (["", "a#b"], ["a", "b"]),
        (["x#", ""], ["x", "#"]),
    ],
)
def test_different_components_give_different_guard_keys(first, second):
    assert guard_key("t1", "code", first)["pk"] != guard_key("t1", "code", second)["pk"]


@given(st.lists(st.text(), min_size=2, max_size=2), st.lists(st.text(), min_size=2, max_size=2))
def test_guard_keys_are_equal_only_for_equal_components(first, second):
    assume(first != second)
    assert guard_key("t1", "code", first) != guard_key("t1", "code", second)


def test_guard_keys_are_separated_by_tenant_and_field():
    keys = {
        guard_key("t1", "code", ["", "abc"])["pk"],
        guard_key("t2", "code", ["", "abc"])["pk"],
        guard_key("t1", "external_id", ["abc"])["pk"],
    }
    assert len(keys) == 3


def test_escaping_leaves_no_hash_and_is_reversible():
    for value in ["a#b", "%23", "#%#", "plain"]:
        escaped = escape(value)
        assert "#" not in escaped
        assert escaped.replace("%23", "#").replace("%25", "%") == value


def test_organization_and_postal_partitions_are_escaped():
    partitions = {organization_customers("t1", org, False) for org in ["a#O#b", "a", "a#CUSTOMERS", "a%23CUSTOMERS"]}
    assert len(partitions) == 4
    assert "#O#b" not in organization_customers("t1", "a#O#b", False)
    assert organization_customers("t1", "a", False) != organization_customers("t1", "a", True)
    assert postal_code_partition("t1", "A#B") != postal_code_partition("t1", "A%23B")


def test_sort_value_orders_a_prefix_before_its_extensions():
    assert sort_value("ab", "cus_ZZZZ") < sort_value("ab c", "cus_0000")
    assert sort_value("ab", "cus_ZZZZ") < sort_value("abc", "cus_0000")
    assert sort_value("acme", "cus_ZZZZ") < sort_value("acme inc", "cus_0000") < sort_value("acme ltd", "cus_0000")


def test_sort_value_breaks_ties_by_id():
    assert sort_value("acme", "cus_0001") < sort_value("acme", "cus_0002")


@given(
    st.text().filter(lambda value: "\x00" not in value),
    st.text().filter(lambda value: "\x00" not in value),
    st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=26, max_size=26),
    st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=26, max_size=26),
)
def test_sort_values_sort_like_their_text_whatever_the_ids(first, second, first_id, second_id):
    assume(first != second)
    a, b = sort_value(first, "cus_" + first_id), sort_value(second, "cus_" + second_id)
    assert (a < b) == (first < second)
    # DynamoDB compares UTF-8 bytes: the same order.
    assert (a.encode() < b.encode()) == (first < second)

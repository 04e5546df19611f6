"""RFC 7396 JSON Merge Patch: every example of appendix A, and a few properties."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientele.domain.kernel.merge_patch import apply

# RFC 7396 Appendix A: (original, patch, result)
RFC_7396_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7396_APPENDIX_A)
def test_rfc7396_appendix_a(original, patch, result):
    assert apply(original, patch) == result


def test_apply_does_not_change_the_original_or_the_patch():
    original = {"a": {"b": "c", "keep": 1}, "list": [1, 2]}
    patch = {"a": {"b": None, "new": {"x": 1}}, "list": [3]}
    original_before, patch_before = copy.deepcopy(original), copy.deepcopy(patch)
    assert apply(original, patch) == {"a": {"keep": 1, "new": {"x": 1}}, "list": [3]}
    assert original == original_before
    assert patch == patch_before


def test_arrays_are_replaced_not_merged():
    assert apply({"emails": ["a@x.io", "b@x.io"]}, {"emails": ["c@x.io"]}) == {"emails": ["c@x.io"]}


def test_null_for_an_absent_key_is_a_no_op():
    assert apply({"a": 1}, {"b": None}) == {"a": 1}


def test_empty_patch_changes_nothing():
    assert apply({"a": {"b": 1}}, {}) == {"a": {"b": 1}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=10,
)


@given(json_values, json_values)
def test_applying_a_patch_twice_is_the_same_as_once(target, patch):
    once = apply(target, patch)
    assert apply(once, patch) == once


@given(
    st.dictionaries(st.text(max_size=3), json_values, max_size=4),
    st.dictionaries(st.text(max_size=3), json_values, max_size=4),
)
def test_keys_absent_from_the_patch_are_unchanged(target, patch):
    result = apply(target, patch)
    for key, value in target.items():
        if key not in patch:
            assert result[key] == value

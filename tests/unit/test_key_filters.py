"""The row-key Bloom filter: no false negatives, few false positives, and it survives storage."""

from hypothesis import given
from hypothesis import strategies as st

from clientele.domain.imports.key_filters import KeyFilter


@given(st.sets(st.text(max_size=40), max_size=200))
def test_every_added_key_is_found_also_after_a_round_trip(keys):
    keys_filter = KeyFilter.for_keys(len(keys))
    for key in keys:
        keys_filter.add(key)
    restored = KeyFilter.from_bytes(keys_filter.to_bytes())

    assert all(key in keys_filter and key in restored for key in keys)


def test_false_positives_are_rare():
    keys_filter = KeyFilter.for_keys(20_000)
    for number in range(20_000):
        keys_filter.add(f"code#{number}")

    false_positives = sum(f"other#{number}" in keys_filter for number in range(20_000))

    assert false_positives < 20  # 0.1 %


def test_an_empty_filter_holds_nothing():
    assert "anything" not in KeyFilter.for_keys(0)


def test_garbage_is_refused():
    import pytest

    with pytest.raises(ValueError, match="not a key filter"):
        KeyFilter.from_bytes(b"nope")

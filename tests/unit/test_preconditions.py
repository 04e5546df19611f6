"""Strong ETags and If-Match / If-None-Match parsing (API.md §2 ETag and concurrency, §12)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from clientele.domain.kernel.etags import etag_for
from clientele.http.preconditions import if_match, if_none_match, parse_if_match, parse_if_none_match

CURRENT = etag_for("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", 3)
OTHER = etag_for("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", 2)
THIRD = etag_for("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", 1)

# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE
STRONG_ENTITY_TAG = re.compile(r'"[\x21\x23-\x7e]*"')


# --- etag_for ----------------------------------------------------------------------


def test_etag_is_a_quoted_strong_entity_tag():
    assert STRONG_ENTITY_TAG.fullmatch(CURRENT)
    assert not CURRENT.startswith("W/")
    assert len(CURRENT) > 2


def test_etag_is_stable_for_the_same_id_and_version():
    assert etag_for("cus_A", 7) == etag_for("cus_A", 7)


def test_etag_changes_with_every_version():
    tags = {etag_for("cus_A", version) for version in range(1, 200)}
    assert len(tags) == 199


def test_etag_differs_between_resources_at_the_same_version():
    assert etag_for("cus_A", 1) != etag_for("cus_B", 1)


def test_etag_is_opaque():
    tag = etag_for("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", 42)
    assert "cus_" not in tag
    assert "01JD3X5V7R2T8E6Q9M4K1N0B5C" not in tag


def test_etag_can_be_sent_back_in_if_match():
    assert parse_if_match(CURRENT).matches(CURRENT)


# --- If-Match ------------------------------------------------------------------------


def test_absent_if_match_is_none():
    assert parse_if_match(None) is None


@pytest.mark.parametrize("header", ["*", " * ", "\t*"])
def test_star_matches_any_current_etag(header):
    parsed = parse_if_match(header)
    assert parsed.matches(CURRENT)
    assert parsed.matches(OTHER)


def test_single_strong_tag_matches_only_itself():
    parsed = parse_if_match(CURRENT)
    assert parsed.matches(CURRENT)
    assert not parsed.matches(OTHER)


@pytest.mark.parametrize(
    "header",
    [
        f"{OTHER}, {CURRENT}",
        f"{OTHER},{CURRENT}",
        f"  {CURRENT} ,  {OTHER}  ",
        f"{OTHER}, {THIRD}, {CURRENT}",
        f"{OTHER},, {CURRENT}",
        f'"unrelated", {CURRENT}',
    ],
)
def test_list_of_strong_tags_matches_when_one_does(header):
    assert parse_if_match(header).matches(CURRENT)


def test_list_does_not_match_a_tag_it_does_not_hold():
    assert not parse_if_match(f"{OTHER}, {THIRD}").matches(CURRENT)


@pytest.mark.parametrize("header", [f"W/{CURRENT}", f" W/{CURRENT} ", f"W/{CURRENT}, W/{OTHER}"])
def test_weak_tag_never_matches_for_if_match(header):
    assert not parse_if_match(header).matches(CURRENT)


def test_weak_tag_in_a_list_is_skipped_but_strong_ones_still_match():
    parsed = parse_if_match(f"W/{CURRENT}, {OTHER}")
    assert not parsed.matches(CURRENT)
    assert parsed.matches(OTHER)


@pytest.mark.parametrize("header", [CURRENT.strip('"'), f"{CURRENT.strip('"')}, {OTHER}", f"'{CURRENT.strip('"')}'"])
def test_unquoted_value_never_matches(header):
    parsed = parse_if_match(header)
    assert not parsed.matches(CURRENT)
    assert not parsed.matches(OTHER)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "garbage",
        CURRENT[:-1],  # unterminated
        CURRENT[1:],  # no opening quote
        f"{CURRENT} {OTHER}",  # no comma
        f"{CURRENT}, garbage",
        f"*, {CURRENT}",
        f"w/{CURRENT}",  # W/ is case-sensitive
        f"W/ {CURRENT}",
        f'"{CURRENT}"',
        '"a b"',
        '"a\x00"',
        "\x00",
    ],
)
def test_malformed_header_matches_nothing(header):
    parsed = parse_if_match(header)
    assert not parsed.any
    assert not parsed.matches(CURRENT)
    assert not parsed.matches(OTHER)
    assert not parsed.matches('"a b"')


def test_if_match_is_read_from_the_request_headers():
    app = SimpleNamespace(current_event=SimpleNamespace(headers={"if-match": CURRENT}))
    assert if_match(app).matches(CURRENT)
    absent = SimpleNamespace(current_event=SimpleNamespace(headers={}))
    assert if_match(absent) is None


# --- If-None-Match ------------------------------------------------------------------------


def test_absent_if_none_match_is_none():
    assert parse_if_none_match(None) is None


def test_if_none_match_star_matches_any():
    assert parse_if_none_match("*").matches(CURRENT)


@pytest.mark.parametrize("header", [CURRENT, f"W/{CURRENT}", f"{OTHER}, W/{CURRENT}", f"W/{OTHER},{CURRENT}"])
def test_if_none_match_uses_weak_comparison(header):
    assert parse_if_none_match(header).matches(CURRENT)


@pytest.mark.parametrize("header", [OTHER, f"W/{OTHER}", CURRENT.strip('"'), f"{CURRENT}, garbage", ""])
def test_if_none_match_without_the_current_tag_does_not_match(header):
    assert not parse_if_none_match(header).matches(CURRENT)


def test_if_none_match_is_read_from_the_request_headers():
    app = SimpleNamespace(current_event=SimpleNamespace(headers={"if-none-match": f"W/{CURRENT}"}))
    assert if_none_match(app).matches(CURRENT)

"""ETags, If-Match and If-None-Match (API.md §2 ETag and concurrency, §12)."""

from __future__ import annotations

import pytest


@pytest.fixture
def customer(api):
    return api.created({"name": "Versioned", "code": "V1"})


def test_etag_is_strong_and_changes_on_every_write(api, customer):
    etags = [customer["etag"]]
    for body in ({"branch": "A"}, {"branch": "B"}, {"status": "inactive"}):
        reply = api.patch(customer["id"], body, etags[-1])
        assert reply.status == 200
        assert reply.etag == reply.body["etag"]
        etags.append(reply.etag)
    reply = api.archive(customer["id"])
    etags.append(reply.etag)

    assert len(set(etags)) == len(etags)
    assert all(etag.startswith('"') and etag.endswith('"') for etag in etags)
    assert api.get(customer["id"]).body["version"] == 5


@pytest.mark.parametrize("write", ["patch", "put", "delete"])
def test_writes_without_if_match_are_428(api, customer, write):
    call = getattr(api, write)
    reply = call(customer["id"], {"name": "x"}) if write != "delete" else call(customer["id"])

    assert reply.status == 428
    assert reply.body["type"] == "/problems/precondition-required"
    assert api.get(customer["id"]).body == customer


@pytest.mark.parametrize("write", ["patch", "put", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(api, customer, write):
    fresh = api.patch(customer["id"], {"branch": "moved"}, customer["etag"]).body
    call = getattr(api, write)
    stale = customer["etag"]

    reply = call(customer["id"], {"name": "x"}, stale) if write != "delete" else call(customer["id"], stale)

    assert reply.status == 412
    assert reply.body["type"] == "/problems/precondition-failed"
    assert api.get(customer["id"]).body == fresh


@pytest.mark.parametrize(
    "header",
    [
        "*",
        '"nope", {etag}',
        '{etag},"other"',
        ' "a" , {etag} ',
    ],
)
def test_if_match_star_or_a_list_holding_the_etag_matches(api, customer, header):
    reply = api.patch(customer["id"], {"branch": "ok"}, header.format(etag=customer["etag"]))

    assert reply.status == 200


@pytest.mark.parametrize("header", ["W/{etag}", "{bare}", '"nope"', "", "{bare}, {etag}x"])
def test_weak_unquoted_or_foreign_etags_never_match(api, customer, header):
    bare = customer["etag"].strip('"')

    reply = api.patch(customer["id"], {"branch": "no"}, header.format(etag=customer["etag"], bare=bare))

    assert reply.status == 412


def test_if_match_star_on_a_missing_customer_is_404(api):
    reply = api.patch("cus_01JD3X5V7R2T8E6Q9M4K1N0B5C", {"branch": "x"}, "*")

    assert reply.status == 404


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_answers_304_without_body(api, customer, header):
    reply = api.get(customer["id"], headers={"If-None-Match": header.format(etag=customer["etag"])})

    assert reply.status == 304
    assert reply.body == ""
    assert reply.etag == customer["etag"]


def test_if_none_match_with_an_old_etag_answers_the_customer(api, customer):
    api.patch(customer["id"], {"branch": "new"}, customer["etag"])

    reply = api.get(customer["id"], headers={"If-None-Match": customer["etag"]})

    assert reply.status == 200 and reply.body["branch"] == "new"


def test_archive_honours_if_match_when_sent(api, customer):
    assert api.archive(customer["id"], headers={"If-Match": '"stale"'}).status == 412
    assert api.archive(customer["id"], headers={"If-Match": customer["etag"]}).status == 200
    assert api.unarchive(customer["id"]).status == 200


def test_a_stale_etag_wins_over_a_uniqueness_conflict(api):
    api.created({"name": "Holder", "code": "HELD"})
    customer = api.created({"name": "Mover", "code": "FREE"})
    fresh = api.patch(customer["id"], {"branch": "x"}, customer["etag"]).body

    reply = api.patch(customer["id"], {"code": "HELD"}, customer["etag"])

    assert reply.status == 412
    assert api.get(customer["id"]).body == fresh

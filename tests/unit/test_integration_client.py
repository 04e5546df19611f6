"""The vendors' HTTP client (API.md §13, Calls): retry rules, answers, errors, and the fake WooCommerce store."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from clientele.domain.integrations import client, instances, safety, woocommerce
from clientele.domain.kernel.clock import Deadline
from clientele.domain.kernel.errors import (
    IntegrationCredentialsRejected,
    IntegrationRejected,
    IntegrationUnavailable,
    UnsafeUrl,
)
from localdev.fakes.woocommerce import FakeWooCommerce

# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_rate_limits_and_gateway_failures_are_retried(status):
    assert client.retries_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 422, 500, 501])
def test_other_statuses_are_not_retried(status):
    assert not client.retries_status(status)


def test_retry_after_is_read_in_seconds_or_as_a_date_and_capped_at_60_seconds():
    now = time.time()
    assert client.retry_after_seconds("7") == 7.0
    assert client.retry_after_seconds("0") == 0.0
    assert client.retry_after_seconds("3600") == client.RETRY_AFTER_CAP == 60.0
    assert client.retry_after_seconds(formatdate(now + 10, usegmt=True), now=now) == pytest.approx(10, abs=1)
    assert client.retry_after_seconds(formatdate(now - 10, usegmt=True), now=now) == 0.0
    assert client.retry_after_seconds("soon") is None
    assert client.retry_after_seconds(None) is None


def test_backoff_grows_exponentially_within_its_bounds():
    for failed in range(1, 12):
        ceiling = min(client.BACKOFF_MAX, client.BACKOFF_BASE * 2 ** (failed - 1))
        low = client.backoff_seconds(failed, rand=lambda: 0.0)
        high = client.backoff_seconds(failed, rand=lambda: 1.0)
        assert low == client.BACKOFF_BASE / 2
        assert high == pytest.approx(client.BACKOFF_BASE / 2 + ceiling)
        assert high <= client.BACKOFF_BASE / 2 + client.BACKOFF_MAX
    assert client.backoff_seconds(3, rand=lambda: 0.5) == pytest.approx(0.25 + 0.5 * 2.0)


def test_credentials_are_masked_to_their_last_four_characters():
    assert instances.mask("ck_0123456789abcdef") == "…cdef"


# ---------------------------------------------------------------- calls against the fake store


@pytest.fixture(scope="module")
def fake():
    with FakeWooCommerce(customers=60) as server:
        yield server


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch, fake):
    monkeypatch.setattr(client, "_allow_loopback", lambda: True)
    fake.state.faults.clear()


@pytest.fixture
def sleeps(monkeypatch):
    """The waits between tries, recorded instead of slept."""
    waited: list[float] = []
    real_send = client.send
    monkeypatch.setattr(
        client, "send", lambda call, deadline, words, **_: real_send(call, deadline, words, sleep=waited.append)
    )
    return waited


def connection(fake, credentials=None, base_url=None, settings=None):
    instance = {"id": "int_TEST", "base_url": base_url or fake.base_url, "settings": settings or {}}
    return instances.Connection(instance, credentials or fake.credentials)


def page(fake, conn=None, deadline=None, per_page=10, number=1):
    return woocommerce.customers_page(conn or connection(fake), number, per_page, None, deadline or Deadline.none())


def requests_during(fake, action):
    before = fake.state.api_requests
    action()
    return fake.state.api_requests - before


def test_a_page_is_read_in_id_order_with_its_totals_over_oauth(fake):
    items, total, pages = page(fake, per_page=25, number=2)

    assert [item["id"] for item in items] == list(range(26, 51))
    assert (total, pages) == (60, 3)


def test_roles_customer_leaves_other_roles_out(fake):
    _, total, _ = page(fake, connection(fake, settings={"roles": "customer"}))

    assert total == sum(1 for customer in fake.state.customers if customer["role"] == "customer") < 60


def test_retry_after_is_honoured_and_the_call_then_succeeds(fake, sleeps):
    fake.fail_next("429", times=2, retry_after=3)

    assert requests_during(fake, lambda: page(fake)) == 3
    assert sleeps == [3.0, 3.0]


def test_a_long_retry_after_is_capped_at_60_seconds(fake, sleeps):
    fake.fail_next("429", retry_after=900)

    page(fake)

    assert sleeps == [60.0]


def test_gateway_failures_are_retried_with_backoff_at_most_five_tries(fake, sleeps):
    fake.fail_next("503", times=10)
    before = fake.state.api_requests

    with pytest.raises(IntegrationUnavailable) as failure:
        page(fake)

    assert fake.state.api_requests - before == client.MAX_TRIES == 5
    assert failure.value.upstream == {"status": 503} and failure.value.status == 502
    assert len(sleeps) == 4
    assert all(client.BACKOFF_BASE / 2 <= wait <= client.BACKOFF_BASE / 2 + client.BACKOFF_MAX for wait in sleeps)
    assert fake.state.faults  # five tries, not ten


def test_a_500_is_not_retried(fake, sleeps):
    fake.fail_next("500")
    before = fake.state.api_requests

    with pytest.raises(IntegrationUnavailable) as failure:
        page(fake)

    assert fake.state.api_requests - before == 1 and sleeps == []
    assert failure.value.upstream == {"status": 500}


def test_a_lost_answer_is_retried_for_a_read(fake, sleeps):
    fake.fail_next("drop")

    items, _, _ = page(fake)

    assert len(items) == 10 and len(sleeps) == 1


def test_a_lost_answer_is_not_resent_when_the_request_is_not_repeatable(fake, sleeps):
    fake.fail_next("drop")
    call = woocommerce.request(connection(fake), "/customers", [])
    unrepeatable = client.Call(**{**call.__dict__, "repeatable": False})

    with pytest.raises(IntegrationUnavailable):
        client.send(unrepeatable, Deadline.none(), woocommerce.words)
    assert sleeps == []


def test_a_slow_answer_ends_at_the_deadline(fake):
    fake.fail_next("slow", times=5, delay=3)
    started = time.monotonic()

    with pytest.raises(IntegrationUnavailable):
        page(fake, deadline=Deadline(time.monotonic() + 1.0))

    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(("kind", "said"), [("html", "text/html, not JSON"), ("garbage", "not valid JSON")])
def test_an_answer_that_is_not_json_is_a_clear_error(fake, kind, said):
    fake.fail_next(kind)

    with pytest.raises(IntegrationUnavailable) as failure:
        page(fake)

    assert said in failure.value.detail and failure.value.upstream == {"status": 200}


def test_a_10_mb_answer_is_refused_without_reading_it_all(fake):
    fake.fail_next("huge")

    with pytest.raises(IntegrationUnavailable) as failure:
        page(fake)

    assert "larger than 4 MiB" in failure.value.detail


def test_refused_credentials_carry_the_vendors_words(fake):
    wrong = connection(fake, {"consumer_key": "ck_wrong_key", "consumer_secret": "cs_wrong_secret"})

    with pytest.raises(IntegrationCredentialsRejected) as failure:
        page(fake, wrong)

    assert failure.value.upstream == {
        "status": 401,
        "errors": [
            {
                "message": "Invalid signature - provided signature does not match.",
                "details": "woocommerce_rest_authentication_error",
            }
        ],
    }
    assert "cs_wrong_secret" not in repr(failure.value.extensions()) + failure.value.detail


def test_a_refused_request_is_integration_rejected(fake):
    call = woocommerce.request(connection(fake), "/no-such-thing", [])

    with pytest.raises(IntegrationRejected) as failure:
        client.send(call, Deadline.none(), woocommerce.words)

    assert failure.value.upstream["status"] == 404
    assert failure.value.upstream["errors"][0]["details"] == "rest_no_route"


def test_basic_auth_is_what_https_urls_use(fake):
    call = woocommerce.request(connection(fake, base_url="https://shop.example"), "/customers", [])

    assert call.auth == (fake.credentials["consumer_key"], fake.credentials["consumer_secret"])
    assert call.signer is None


def test_an_address_that_changed_since_the_check_is_refused_at_connection(fake, monkeypatch):
    """DNS rebinding: the name passed the check as a public address, then connects to loopback."""
    monkeypatch.setattr(client, "_allow_loopback", lambda: False)
    monkeypatch.setattr(safety, "resolve", lambda host, port: [safety.ipaddress.ip_address("93.184.215.14")])
    port = fake.base_url.rsplit(":", 1)[1]
    call = woocommerce.request(connection(fake, base_url=f"https://localhost:{port}"), "/customers", [])
    before = fake.state.api_requests

    with pytest.raises(UnsafeUrl):
        client.send(call, Deadline.none(), woocommerce.words)
    assert fake.state.api_requests == before


def test_the_target_is_checked_again_at_each_call(fake, monkeypatch):
    monkeypatch.setattr(client, "_allow_loopback", lambda: False)

    with pytest.raises(UnsafeUrl):
        page(fake)


def test_a_failed_tls_handshake_is_not_retried(fake, sleeps):
    port = fake.base_url.rsplit(":", 1)[1]
    call = woocommerce.request(connection(fake, base_url=f"https://127.0.0.1:{port}"), "/customers", [])

    with pytest.raises(IntegrationUnavailable) as failure:
        client.send(call, Deadline.none(), woocommerce.words)

    assert "TLS" in failure.value.detail and sleeps == []

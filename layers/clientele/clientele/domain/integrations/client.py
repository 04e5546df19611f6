"""The one HTTP client both vendors are called through (API.md §13, Calls).

requests makes the calls (TLS verification, connection reuse, Basic auth); tenacity drives the
retries. Each call checks its target's safety first, and each new connection checks the address
it reached (so DNS rebinding between the two is refused); redirects are never followed. 429, 502,
503, 504 and connection failures are retried with exponential backoff and jitter, honouring
Retry-After (capped at 60 s), at most 5 tries, never past the caller's deadline. Answers are read
up to MAX_ANSWER_BYTES and must be JSON. Vendor failures become the three problem types with the
vendor's words in `upstream`; credentials never reach a log line, an error or an answer.
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from clientele.domain.integrations import safety
from clientele.domain.kernel.clock import Deadline
from clientele.domain.kernel.errors import (
    IntegrationCredentialsRejected,
    IntegrationRejected,
    IntegrationUnavailable,
    UnsafeUrl,
)
from clientele.observability import logger

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
MAX_TRIES = 5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_CAP = 60.0
BACKOFF_BASE = 0.5  # seconds before the second try; doubles per try
BACKOFF_MAX = 20.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024
MAX_WORDS = 10
MAX_WORD_LENGTH = 500

# What a vendor's error body says: [{"message", "details"}] (each vendor reads its own shape).
type Words = Callable[[Any], list[dict[str, str | None]]]
type Method = Literal["GET", "POST", "PUT"]
# Signs one try's URL: (method, url) -> the signed url (OAuth 1.0a in the query string).
type Signer = Callable[[Method, str], str]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class Call:
    """One vendor request. `url_for` builds the URL of a try (OAuth signs each try afresh)."""

    instance_id: str
    method: Method
    base_url: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)
    json_body: Any = None
    auth: tuple[str, str] | None = None  # HTTP Basic
    signer: Signer | None = None
    # Whether a request that may have reached the vendor can be sent again (reads and PUTs can).
    repeatable: bool = True


class _Retryable(Exception):
    """A try that may be retried: a retry status (with its Retry-After) or a connection failure."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


# ---------------------------------------------------------------- retry rules


def retries_status(status: int) -> bool:
    return status in RETRY_STATUSES


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped at RETRY_AFTER_CAP; None if absent or bad."""
    if value is None:
        return None
    text = value.strip()
    seconds: float
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def backoff_seconds(failed_tries: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter after `failed_tries` failures: BASE/2 plus a uniform share of
    min(BACKOFF_MAX, BASE * 2^(n-1)). The floor keeps retries from hammering, the cap bounds the wait."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** max(failed_tries - 1, 0))
    return float(BACKOFF_BASE / 2 + rand() * ceiling)


def wait_for(state: RetryCallState) -> float:
    """tenacity's wait: the vendor's Retry-After when it sent one, else the backoff."""
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, _Retryable) and error.retry_after is not None:
        return error.retry_after
    return backoff_seconds(state.attempt_number)


# ---------------------------------------------------------------- connections


def _check_peer(sock: socket.socket, allow_loopback: bool) -> None:
    try:
        safety.check_address(str(sock.getpeername()[0]), allow_loopback)
    except UnsafeUrl:
        sock.close()
        raise


class _CheckedHTTPConnection(HTTPConnection):
    allow_loopback: ClassVar[bool] = False

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.allow_loopback)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    allow_loopback: ClassVar[bool] = False

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.allow_loopback)
        return sock


class _LoopbackHTTPConnection(_CheckedHTTPConnection):
    allow_loopback = True


class _LoopbackHTTPSConnection(_CheckedHTTPSConnection):
    allow_loopback = True


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _LoopbackHTTPPool(HTTPConnectionPool):
    ConnectionCls = _LoopbackHTTPConnection


class _LoopbackHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _LoopbackHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    """Connections whose peer address is checked; no retries of its own (tenacity does them)."""

    def __init__(self, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        pools: dict[str, type[HTTPConnectionPool]] = (
            {"http": _LoopbackHTTPPool, "https": _LoopbackHTTPSPool}
            if self._allow_loopback
            else {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}
        )
        self.poolmanager.pool_classes_by_scheme = pools


@cache
def _session(allow_loopback: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    adapter = _CheckedAdapter(allow_loopback)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ---------------------------------------------------------------- one call


def _words(body: Any, vendor_words: Words) -> list[dict[str, str | None]]:
    try:
        words = vendor_words(body)
    except (KeyError, TypeError, AttributeError, IndexError):
        words = []
    return [
        {
            "message": (str(word.get("message"))[:MAX_WORD_LENGTH] if word.get("message") is not None else None),
            "details": (str(word.get("details"))[:MAX_WORD_LENGTH] if word.get("details") is not None else None),
        }
        for word in words[:MAX_WORDS]
    ]


def _read_body(response: requests.Response, deadline: Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise IntegrationUnavailable(
                f"the vendor's answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB",
                {"status": response.status_code},
            )
        if deadline.passed():
            raise _Retryable("the answer did not arrive in time", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(response: requests.Response, raw: bytes) -> Any:
    media = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if not (media == "application/json" or media.endswith("+json")):
        raise IntegrationUnavailable(
            f"the vendor answered {media or 'without a content type'}, not JSON", {"status": response.status_code}
        )
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise IntegrationUnavailable(
            "the vendor's answer is not valid JSON", {"status": response.status_code}
        ) from None


def _try(call: Call, deadline: Deadline, vendor_words: Words) -> Answer:
    allow_loopback = _allow_loopback()
    url = call.base_url + call.path
    if call.query:
        url += "?" + urlencode(call.query)
    if call.signer is not None:
        url = call.signer(call.method, url)
    remaining = deadline.at - time.monotonic()
    if remaining <= 0:
        raise IntegrationUnavailable("no time was left to call the vendor", {"status": None})
    started = time.monotonic()
    status: int | None = None
    try:
        response = _session(allow_loopback).request(
            call.method,
            url,
            headers={"Accept": "application/json", **call.headers},
            json=call.json_body,
            auth=call.auth,
            timeout=(min(CONNECT_TIMEOUT, remaining), min(READ_TIMEOUT, remaining)),
            allow_redirects=False,
            stream=True,
        )
        status = response.status_code
        with response:
            raw = _read_body(response, deadline)
    except requests.exceptions.SSLError:
        # A certificate or TLS setup that fails now fails on the next try too.
        raise IntegrationUnavailable(
            "the TLS handshake with the vendor failed (certificate or protocol)", {"status": None}
        ) from None
    except requests.ConnectTimeout:
        raise _Retryable("the vendor could not be reached in time") from None
    except requests.exceptions.ChunkedEncodingError:
        # The answer broke off after the request arrived.
        if not call.repeatable:
            raise IntegrationUnavailable("the vendor's answer broke off", {"status": status}) from None
        raise _Retryable("the vendor's answer broke off", status) from None
    except requests.ConnectionError as error:
        sent = not _unsent(error)
        if sent and not call.repeatable:
            raise IntegrationUnavailable("the connection to the vendor failed", {"status": None}) from None
        raise _Retryable("the connection to the vendor failed") from None
    except requests.Timeout:
        if not call.repeatable:
            raise IntegrationUnavailable("the vendor did not answer in time", {"status": None}) from None
        raise _Retryable("the vendor did not answer in time") from None
    except requests.RequestException:
        raise IntegrationUnavailable("the vendor could not be called", {"status": None}) from None
    finally:
        logger.info(
            "integration call",
            extra={
                "integration_id": call.instance_id,
                "method": call.method,
                "path": call.path,
                "status": status,
                "duration_ms": round((time.monotonic() - started) * 1000),
            },
        )
    return _outcome(call, response, raw, vendor_words)


def _unsent(error: requests.ConnectionError) -> bool:
    """Whether the request never left (no connection was made), so sending it again can't duplicate it."""
    from urllib3.exceptions import NewConnectionError

    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _outcome(call: Call, response: requests.Response, raw: bytes, vendor_words: Words) -> Answer:
    status = response.status_code
    if retries_status(status) and (call.repeatable or status == 429):
        raise _Retryable(
            f"the vendor answered {status}", status, retry_after_seconds(response.headers.get("Retry-After"))
        )
    if 300 <= status < 400:
        raise IntegrationUnavailable(
            f"the vendor answered a redirect ({status}), which is not followed", {"status": status}
        )
    if status >= 500:
        raise IntegrationUnavailable(f"the vendor failed ({status})", {"status": status})
    if status >= 400:
        body = _parse_quietly(response, raw)
        upstream = {"status": status, "errors": _words(body, vendor_words)}
        if status in {401, 403}:
            raise IntegrationCredentialsRejected("the vendor refused the integration's credentials", upstream)
        raise IntegrationRejected("the vendor refused the request", upstream)
    return Answer(status=status, headers=response.headers, body=_parse(response, raw))


def _parse_quietly(response: requests.Response, raw: bytes) -> Any:
    try:
        return _parse(response, raw)
    except IntegrationUnavailable:
        return None


def _allow_loopback() -> bool:
    from clientele.config import get_settings

    return get_settings().allow_loopback_integrations


def send(call: Call, deadline: Deadline, vendor_words: Words, *, sleep: Callable[[float], None] = time.sleep) -> Answer:
    """The vendor's answer to `call`, after the retries; or the API error that says why there is none."""
    try:
        safety.check(call.base_url, _allow_loopback())
    except safety.Unresolvable as error:
        raise IntegrationUnavailable(str(error), {"status": None}) from None

    class _InTime(stop_base):
        """Stop when the next wait would end past the deadline (nothing useful could follow it)."""

        def __call__(self, state: RetryCallState) -> bool:
            return time.monotonic() + (state.upcoming_sleep or 0.0) >= deadline.at

    retrying = Retrying(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(MAX_TRIES) | _InTime(),
        wait=wait_for,
        sleep=sleep,
        reraise=True,
    )
    try:
        answer: Answer = retrying(_try, call, deadline, vendor_words)
    except _Retryable as error:
        raise IntegrationUnavailable(
            f"no usable answer from the vendor after {MAX_TRIES} tries at most: {error.reason}",
            {"status": error.status},
        ) from None
    return answer

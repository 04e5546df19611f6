"""Outbound safety (API.md §13): which integration URLs may be called, checked at save and at each call.

A base_url is `https://` with a host, no user info, query or fragment. Every address its host
resolves to must be a public one: loopback, private, link-local (the instance metadata service
among them), multicast, unspecified, reserved and every other non-global range are refused, for
IPv4, IPv6 and IPv4 embedded in IPv6. The HTTP client checks the address it actually connected to
as well, so a name that resolves elsewhere between the check and the connection (DNS rebinding)
is refused too. `allow_loopback` (local use only) also lets http or https reach loopback addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from clientele.domain.kernel.errors import UnsafeUrl

type IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048


class Unresolvable(Exception):
    """The host has no address now (DNS failed): unsafe when saving, unavailable when calling."""


@dataclass(frozen=True)
class Target:
    """A checked base URL: the URL without a trailing slash, and its host and port."""

    url: str
    host: str
    port: int


def _embedded_v4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), which is what it reaches."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_allowed(address: IpAddress, allow_loopback: bool) -> bool:
    reached = _embedded_v4(address) or address
    if reached.is_loopback:
        return allow_loopback
    # is_global is false for private, link-local, shared (100.64/10), documentation, benchmarking
    # and reserved ranges; multicast and unspecified are refused explicitly as well.
    return reached.is_global and not reached.is_multicast and not reached.is_unspecified


def check_address(text: str, allow_loopback: bool) -> None:
    """Refuse one connected-to address (the client's check of the socket's peer)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        raise UnsafeUrl("the integration's address is not an IP address") from None
    if not address_allowed(address, allow_loopback):
        raise UnsafeUrl("the integration's host resolves to an address that may not be called")


def _parts(url: str) -> SplitResult:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"base_url must be an https URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise UnsafeUrl("base_url is not a valid URL") from None
    if parts.scheme not in {"https", "http"}:
        raise UnsafeUrl("base_url must use https")
    if not parts.hostname:
        raise UnsafeUrl("base_url must name a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrl("base_url must not carry user info")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise UnsafeUrl("base_url must not have a query or a fragment")
    if any(ord(character) < 0x21 or character == "\\" for character in url):
        raise UnsafeUrl("base_url must not contain spaces, control characters or backslashes")
    return parts


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host resolves to now (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"the host {host!r} does not resolve") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise Unresolvable(f"the host {host!r} does not resolve")
    return addresses


def check(url: str, allow_loopback: bool) -> Target:
    """The checked target of `url`, or UnsafeUrl; Unresolvable when its host has no address now."""
    parts = _parts(url)
    host = str(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not all(address_allowed(address, allow_loopback) for address in addresses):
        raise UnsafeUrl("base_url's host resolves to a loopback, private, link-local, multicast or reserved address")
    if parts.scheme == "http" and not (allow_loopback and all(address.is_loopback for address in addresses)):
        raise UnsafeUrl("base_url must use https")
    return Target(url=url.rstrip("/"), host=host, port=port)

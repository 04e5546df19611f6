"""Outbound safety (API.md §13): which integration URLs may be called."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from clientele.domain.integrations import safety
from clientele.domain.kernel.errors import UnsafeUrl

FORBIDDEN = [
    "127.0.0.1",  # loopback
    "127.255.0.9",
    "10.1.2.3",  # RFC 1918
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the instance metadata service
    "169.254.0.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # unspecified
    "0.1.2.3",  # "this network"
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fc00::1",  # unique local
    "fd00:ec2::254",  # the IPv6 instance metadata service
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
]

ALLOWED = ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"]


def literal_url(address: str, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}/"


@pytest.mark.parametrize("address", FORBIDDEN)
def test_every_forbidden_range_is_refused(address):
    with pytest.raises(UnsafeUrl):
        safety.check(literal_url(address), allow_loopback=False)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert safety.check(literal_url(address), allow_loopback=False).host == address


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/",  # not https
        "ftp://93.184.215.14/",
        "https:///path",  # no host
        "https://user:secret@93.184.215.14/",  # user info
        "https://user@93.184.215.14/",
        "https://93.184.215.14/?q=1",  # query
        "https://93.184.215.14/#top",  # fragment
        "https://93.184.215.14:99999/",  # bad port
        "https://93.184.215.14/a b",
        "",
        "https://" + "a" * 3000 + ".com/",
    ],
)
def test_malformed_or_unsafe_shapes_are_refused(url):
    with pytest.raises(UnsafeUrl):
        safety.check(url, allow_loopback=False)


def test_the_loopback_setting_allows_only_loopback_and_then_also_http():
    assert safety.check("http://127.0.0.1:8089", allow_loopback=True).url == "http://127.0.0.1:8089"
    assert safety.check("https://[::1]:8443/", allow_loopback=True).port == 8443
    assert safety.check("http://localhost:1/shop/", allow_loopback=True).url == "http://localhost:1/shop"
    for url in ("http://10.0.0.1/", "https://169.254.169.254/", "http://93.184.215.14/"):
        with pytest.raises(UnsafeUrl):
            safety.check(url, allow_loopback=True)
    with pytest.raises(UnsafeUrl):
        safety.check("http://127.0.0.1:8089", allow_loopback=False)


def _resolving(monkeypatch, table: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    monkeypatch.setattr(safety.socket, "getaddrinfo", getaddrinfo)


def test_a_host_is_checked_by_every_address_it_resolves_to(monkeypatch):
    _resolving(
        monkeypatch,
        {"shop.example": ["93.184.215.14"], "mixed.example": ["93.184.215.14", "10.0.0.7"], "v6.example": ["fe80::1"]},
    )

    assert safety.check("https://shop.example", allow_loopback=False).host == "shop.example"
    for url in ("https://mixed.example", "https://v6.example"):
        with pytest.raises(UnsafeUrl):
            safety.check(url, allow_loopback=False)
    with pytest.raises(safety.Unresolvable):
        safety.check("https://nowhere.example", allow_loopback=False)


def test_the_connected_address_is_checked_too():
    safety.check_address("93.184.215.14", allow_loopback=False)
    safety.check_address("127.0.0.1", allow_loopback=True)
    for address in ("127.0.0.1", "10.0.0.1", "fe80::1%eth0", "not-an-address"):
        with pytest.raises(UnsafeUrl):
            safety.check_address(address, allow_loopback=False)


def test_address_allowed_agrees_with_the_ranges():
    assert not safety.address_allowed(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)
    assert safety.address_allowed(ipaddress.ip_address("::1"), allow_loopback=True)

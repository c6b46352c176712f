"""Keep connectors off the server's own network.

Editors type feed and instance addresses; without this guard a feed at http://127.0.0.1:5432/
or http://169.254.169.254/ (a cloud's metadata service) would make the server fetch from its
own network for them. Connections to addresses that are not globally routable are refused
unless the operator allows them (PARVIS_ALLOW_PRIVATE_ADDRESSES=1, e.g. for an intranet feed).

HTTP is checked on the connected socket's peer address, after DNS resolution, so a name that
resolves to a private address is caught too (and DNS rebinding cannot slip between a check and
the connection). Websockets are checked by resolving the name just before connecting.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import httpx
from django.conf import settings

from parvis.connectors.base import PermanentError


class PrivateAddress(PermanentError):
    """The address is on a private network and the operator has not allowed those."""


def private_allowed() -> bool:
    return bool(getattr(settings, "PARVIS_ALLOW_PRIVATE_ADDRESSES", False))


def is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # "::ffff:127.0.0.1" is the loopback
    return address.is_global and not address.is_multicast


def check(ip: str, host: str) -> None:
    if not private_allowed() and not is_public(ip):
        raise PrivateAddress(
            f"{host} is on a private network: Parvis does not fetch from such addresses "
            "unless the server's operator sets PARVIS_ALLOW_PRIVATE_ADDRESSES=1"
        )


def check_host(host: str, port: int) -> None:
    """Before a connection the HTTP guard cannot see (websockets): every address of the name."""
    if private_allowed():
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return  # the connection will fail on its own, with its own error
    for info in infos:
        check(str(info[4][0]), host)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, refusing connections whose peer is a private address."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.NetworkStream:
        stream = self.inner.connect_tcp(host, port, **kwargs)
        peer = stream.get_extra_info("socket").getpeername()[0]
        try:
            check(peer, host)
        except PrivateAddress:
            stream.close()
            raise
        return stream

    def connect_unix_socket(self, path: str, **kwargs: Any) -> httpcore.NetworkStream:
        raise PrivateAddress("connectors do not connect to local sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def guarded_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx has no public way to give its connection pool a network backend.
    pool = transport._pool
    pool._network_backend = GuardedBackend(pool._network_backend)
    return transport

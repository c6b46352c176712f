"""Keep connectors off the server's own network.

Editors type feed and instance addresses; without this guard a feed at http://127.0.0.1:5432/
or http://169.254.169.254/ (a cloud's metadata service) would make the server fetch from its
own network for them. Connections to addresses that are not globally routable are refused
unless the operator allows them (PARVIS_ALLOW_PRIVATE_ADDRESSES=1, e.g. for an intranet feed).

The name is resolved and every address it resolves to is checked *before* any connection, for
HTTP as for the firehose (websockets); then the connection goes to one of the checked
addresses (the name stays in the Host header and the TLS server name), so DNS rebinding cannot
slip a different address between the check and the connection. Nothing is sent to a refused
address: an open port and a closed one give the same refusal, so the error tells nothing of
the server's network.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from typing import Any

import httpcore
import httpx
from django.conf import settings

from parvis import config
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


def checked_addresses(host: str, port: int) -> list[tuple]:
    """getaddrinfo's answers for `host`, once every address has been found public.
    Raises PrivateAddress, or socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        check(str(info[4][0]), host)
    return infos


def connect_checked(host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP socket to one of the checked addresses of `host` (the first that answers)."""
    error: OSError | None = None
    for family, kind, proto, _, address in checked_addresses(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error or OSError(f"no address for {host}")


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to addresses checked beforehand."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.NetworkStream:
        if private_allowed():
            return self.inner.connect_tcp(host, port, **kwargs)
        try:
            infos = checked_addresses(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        # httpcore gives the origin's name, not this address, to TLS: certificates are
        # still checked against the name.
        error: Exception | None = None
        for ip in dict.fromkeys(str(info[4][0]) for info in infos):
            try:
                return self.inner.connect_tcp(ip, port, **kwargs)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path: str, **kwargs: Any) -> httpcore.NetworkStream:
        raise PrivateAddress("connectors do not connect to local sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: building one loads the CA bundle
    (tens of milliseconds), and publishing a crowded minute opens a client per thread. A
    context is safe to share between threads. httpx reads the trusted certificates from
    SSL_CERT_FILE / SSL_CERT_DIR when set: a change of them makes a new context."""
    return _tls_context(config.env_str("SSL_CERT_FILE"), config.env_str("SSL_CERT_DIR"))


@functools.cache
def _tls_context(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    return httpx.create_ssl_context()


def guarded_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=tls_context())
    # httpx has no public way to give its connection pool a network backend.
    pool = transport._pool
    pool._network_backend = GuardedBackend(pool._network_backend)
    return transport

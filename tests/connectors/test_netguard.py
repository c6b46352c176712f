"""Connectors do not fetch from the server's own network unless the operator allows it."""

from __future__ import annotations

import http.server as stdlib_http
import socket
import threading

import pytest
from django.test import override_settings

from parvis.connectors import http, netguard
from parvis.connectors.base import PermanentError
from parvis.listening.models import SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.20", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_which_addresses_are_public(ip, public):
    assert netguard.is_public(ip) is public


class Feed(stdlib_http.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server():
    server = stdlib_http.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_the_real_client_refuses_a_loopback_server(local_server):
    with http.client() as client, pytest.raises(netguard.PrivateAddress) as caught:
        client.get(local_server)
    assert "PARVIS_ALLOW_PRIVATE_ADDRESSES" in str(caught.value)
    assert isinstance(caught.value, PermanentError)


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_a_name_that_resolves_to_the_loopback_is_refused_too(local_server):
    with http.client() as client, pytest.raises(netguard.PrivateAddress):
        client.get(local_server.replace("127.0.0.1", "localhost"))


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=True)
def test_the_operator_can_allow_private_addresses(local_server):
    with http.client() as client:
        assert client.get(local_server).status_code == 200


@pytest.mark.django_db
@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_a_source_on_a_private_address_is_paused_with_the_reason(workspace, local_server):
    source = do_create_source(workspace, kind="rss", name="intranet", config={"url": local_server})
    run_source(source.pk)  # the real client, no fake transport
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED
    assert "private network" in source.last_error


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def listening_port():
    """A port with a listener that never accepts: a connection would wait in its backlog."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        yield listener


def connections_made(listener: socket.socket) -> int:
    made = 0
    while True:
        try:
            listener.accept()[0].close()
        except BlockingIOError:
            return made
        made += 1


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_open_and_closed_private_ports_are_refused_alike_without_connecting(listening_port):
    errors = []
    for port in (listening_port.getsockname()[1], free_port()):
        with http.client() as client, pytest.raises(PermanentError) as caught:
            client.get(f"http://127.0.0.1:{port}/feed.xml")
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]
    assert errors[0][0] is netguard.PrivateAddress
    assert connections_made(listening_port) == 0


class Resolver:
    """getaddrinfo answering for one made-up name: first `first`, then `later` (a rebinding
    DNS server); other names resolve as usual."""

    def __init__(self, name: str, first: str, later: str) -> None:
        self.name, self.answers, self.calls = name, [first, later], 0
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        ip = self.answers[min(self.calls, 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]


class Recorder(stdlib_http.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:
        Recorder.hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """Stands for a public server: the guard on, but 127.0.0.1 accepted as public."""
    real = netguard.is_public
    monkeypatch.setattr(netguard, "is_public", lambda ip: ip == "127.0.0.1" or real(ip))


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_http_connects_to_the_address_it_checked_and_keeps_the_name(
    monkeypatch, loopback_counts_as_public
):
    server = stdlib_http.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    resolver = Resolver("feed.test", "127.0.0.1", "10.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    Recorder.hosts = []
    try:
        with http.client() as client:
            assert client.get(f"http://feed.test:{port}/").status_code == 204
            resolver.answers[0] = "10.0.0.1"  # the name now points inside: refused
            with pytest.raises(netguard.PrivateAddress):
                client.get(f"http://feed.test:{port}/", headers={"Connection": "close"})
    finally:
        server.shutdown()
        server.server_close()
    assert Recorder.hosts == [f"feed.test:{port}"]


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_firehose_open_and_closed_private_ports_are_refused_alike(listening_port):
    from parvis.connectors.bluesky import firehose

    errors = []
    for port in (listening_port.getsockname()[1], free_port()):
        with pytest.raises(PermanentError) as caught:
            firehose.read_window(f"ws://127.0.0.1:{port}/", seconds=1, max_events=1)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1] and errors[0][0] is netguard.PrivateAddress
    assert connections_made(listening_port) == 0


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_firehose_connects_to_the_address_it_checked(monkeypatch, loopback_counts_as_public):
    from websockets.sync.server import serve

    from parvis.connectors.bluesky import firehose

    hosts = []

    def handle(connection) -> None:
        hosts.append(connection.request.headers["Host"])

    server = serve(handle, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    # Resolved once: a second resolution (the rebinding) would point inside.
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("relay.test", "127.0.0.1", "10.0.0.1"))
    try:
        window = firehose.read_window(f"ws://relay.test:{port}/", seconds=1, max_events=1)
    finally:
        server.shutdown()
    assert window.events == 0 and hosts == [f"relay.test:{port}"]


def self_signed(folder, name: str):
    """A certificate for `name` only, and its key, as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_https_to_the_checked_address_still_verifies_the_certificate_of_the_name(
    tmp_path, monkeypatch, loopback_counts_as_public
):
    import ssl

    cert_file, key_file = self_signed(tmp_path, "feed.test")
    names = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = stdlib_http.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("feed.test", "127.0.0.1", "10.0.0.1"))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trusted by the real client
    Recorder.hosts = []
    try:
        with http.client() as client:
            assert client.get(f"https://feed.test:{port}/").status_code == 204
    finally:
        server.shutdown()
        server.server_close()
    assert names == ["feed.test"] and Recorder.hosts == [f"feed.test:{port}"]


def test_clients_share_one_tls_context_until_the_trusted_certificates_change(tmp_path, monkeypatch):
    import shutil

    import certifi

    # Building a context loads the CA bundle: a crowded minute opens a client per thread.
    first, second = netguard.guarded_transport(), netguard.guarded_transport()
    assert first._pool._ssl_context is second._pool._ssl_context
    monkeypatch.setenv("SSL_CERT_FILE", str(shutil.copy(certifi.where(), tmp_path / "ca.pem")))
    assert netguard.guarded_transport()._pool._ssl_context is not first._pool._ssl_context

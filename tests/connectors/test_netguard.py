"""Connectors do not fetch from the server's own network unless the operator allows it."""

from __future__ import annotations

import http.server as stdlib_http
import threading

import pytest
from django.test import override_settings

from parvis.connectors import http, netguard
from parvis.connectors.base import PermanentError
from parvis.listening.models import SourceStatus
from parvis.listening.sources import do_create_source, run_source


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


@override_settings(PARVIS_ALLOW_PRIVATE_ADDRESSES=False)
def test_websocket_hosts_are_checked_before_connecting():
    with pytest.raises(netguard.PrivateAddress):
        netguard.check_host("localhost", 443)
    netguard.check_host("no-such-host.invalid", 443)  # unresolvable: left to fail on its own

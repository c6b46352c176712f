"""deploy/: the README's server installation, followed by deploy/verify-install.sh; the
units' hardening."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HARDENING = {
    "User": "parvis",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "Restart": "on-failure",
    "ReadWritePaths": "/var/lib/parvis /var/backups/parvis",
    "EnvironmentFile": "/etc/parvis/parvis.env",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
}


@pytest.mark.parametrize("unit", ["parvis-web.service", "parvis-worker.service"])
def test_units_are_hardened(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keep the options' case
    parser.read(DEPLOY / unit)
    service = parser["Service"]
    assert {k: service.get(k) for k in HARDENING} == HARDENING
    assert service["ExecStart"].startswith("/opt/parvis/venv/bin/parvis ")


def test_the_proxy_samples_pass_the_webhooks_and_terminate_tls():
    caddy = (DEPLOY / "Caddyfile").read_text()
    nginx = (DEPLOY / "nginx.conf").read_text()
    for path in ("/hooks/facebook/", "/hooks/instagram/"):
        assert path in caddy and path in nginx
    assert "listen 443 ssl" in nginx and "X-Forwarded-Proto https" in nginx
    # The settings the samples expect are the example's.
    example = (DEPLOY / "parvis.env.example").read_text()
    assert "PARVIS_BEHIND_TLS_PROXY=1" in example
    assert "PARVIS_CSRF_TRUSTED_ORIGINS=https://parvis.example.com" in example


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the script polls with curl")
def test_following_the_install_steps_gives_a_passing_check(tmp_path):
    done = subprocess.run(
        ["bash", str(DEPLOY / "verify-install.sh"), "--venv", sys.prefix],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin", "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout
    assert "ok      worker" in done.stdout
    assert "ok      hosts" in done.stdout

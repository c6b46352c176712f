"""A worker killed between the network's answer and the commit, for real: one process
publishes and dies inside the transaction that records the answer (after its UPDATE, before
its COMMIT); another process, once the claim has expired, reconciles. The network has the
post once, and Parvis records that one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import tests.publishing.pubcore_helpers  # the file network
from django.utils import timezone
from parvis.connectors.services import do_connect_account
from parvis.publishing import engine, services
from parvis.workspaces.services import do_add_member, do_create_user, do_create_workspace

workspace = do_create_workspace("crash", "Crash")
user = do_create_user("cm", "a long enough password 42", email="cm@example.test")
do_add_member(workspace, user, "owner")
account = do_connect_account(
    workspace, user, network="reddit", handle="crash", credentials={"access_token": "x"}
)
post = services.do_create_post(workspace, user, "Bonjour", variants={account.pk: ""})
services.do_schedule(post, user, timezone.now())
variant = post.variants.get()

def die(*args, **kwargs):
    os._exit(9)  # killed: inside record()'s transaction, after its UPDATE, before COMMIT

engine.event = die
engine.publish_variant(variant.pk)
print("not killed")
"""

RECONCILE = """
import datetime as dt
import json
import django
django.setup()
import tests.publishing.pubcore_helpers
from django.utils import timezone
from parvis.publishing import engine
from parvis.publishing.models import Post, PostEvent, Variant

before = Variant.objects.get()
state = [before.status, before.external_id]
outcome = engine.run_due(timezone.now() + engine.CLAIM + dt.timedelta(seconds=5))
again = engine.run_due(timezone.now() + engine.CLAIM + dt.timedelta(minutes=10))
after = Variant.objects.get()
print(json.dumps({
    "before": state,
    "outcome": {str(k): v for k, v in outcome.items()},
    "again": again,
    "after": [after.status, after.external_id, after.attempts],
    "post": Post.objects.get().status,
    "published_events": PostEvent.objects.filter(kind="published").count(),
}))
"""


def run(code: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PARVIS_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="parvis.settings",
        PARVIS_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-c", "import os\n" + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_worker_killed_before_the_commit_publishes_once(tmp_path):
    killed = run(SETUP, tmp_path)
    assert killed.returncode == 9, killed.stdout + killed.stderr
    network = json.loads((tmp_path / "fake_network.json").read_text())
    assert len(network["posts"]) == 1  # the network took it; Parvis did not commit that

    reconciled = run(RECONCILE, tmp_path)
    assert reconciled.returncode == 0, reconciled.stderr
    report = json.loads(reconciled.stdout.strip().splitlines()[-1])
    assert report["before"] == ["publishing", ""]  # the record was rolled back with the crash
    assert report["outcome"] == {"published": 1}
    assert report["again"] == {}
    [(key, post)] = json.loads((tmp_path / "fake_network.json").read_text())["posts"].items()
    assert report["after"][:2] == ["published", post["id"]]
    assert report["post"] == "published" and report["published_events"] == 1
    calls = json.loads((tmp_path / "fake_network.json").read_text())["calls"]
    assert calls == [["publish", key], ["find_post", key]]  # found, never sent twice

"""Test settings: the real settings, in a throw-away data dir, with a fast password hasher."""

import atexit
import os
import shutil
import tempfile

if "PARVIS_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="parvis-test-")
    os.environ["PARVIS_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
# Tests log in over plain http on the loopback, as the demo does.
os.environ.setdefault("PARVIS_DEMO", "1")
# Each test run gets its own queue name, so runs sharing a Redis server do not mix; it is in
# the environment so a worker started by a test (tests/test_worker.py) consumes the same queue.
os.environ.setdefault("PARVIS_QUEUE_NAME", f"parvis-test-{os.getpid()}")

# The test networks (a local Bluesky network, fake servers) live on the loopback; the guard
# against private addresses is tested with this switched off (tests/connectors/test_netguard.py).
os.environ.setdefault("PARVIS_ALLOW_PRIVATE_ADDRESSES", "1")

from parvis.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

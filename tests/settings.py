"""Test settings: the real settings, in a throw-away data dir, with a fast password hasher."""

import os
import tempfile

os.environ.setdefault("PARVIS_DATA_DIR", tempfile.mkdtemp(prefix="parvis-test-"))
# Tests log in over plain http on the loopback, as the demo does.
os.environ.setdefault("PARVIS_DEMO", "1")

from parvis.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run gets its own queue name, so runs sharing a Redis server do not mix.
HUEY = {**HUEY, "name": f"parvis-test-{os.getpid()}"}  # noqa: F405

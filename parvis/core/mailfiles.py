"""Emails written to files (no SMTP server configured): readable by the operator only.

They carry what an email carries (approval links that act without a password, escalations
naming customers), so the folder is 0700 and each file 0600, like the rest of the data dir,
whatever the process umask."""

from __future__ import annotations

import os
from typing import Any

from django.core.mail.backends import filebased


class PrivateFileBackend(filebased.EmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)

    def open(self) -> bool:
        if self.stream is None:
            fd = os.open(self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(fd, 0o600)  # a file that existed keeps no wider mode
            self.stream = os.fdopen(fd, "ab")
            return True
        return False

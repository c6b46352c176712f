"""The worker's daily backup into PARVIS_BACKUP_DIR, keeping the newest PARVIS_BACKUP_KEEP."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from parvis.core.health import BACKUP_LATE_SECONDS, backups, last_backup_age
from parvis.ops import archive

log = logging.getLogger(__name__)

# A day, less the hour between two checks, so the backup's time does not drift later daily.
INTERVAL_SECONDS = 23 * 3600

assert INTERVAL_SECONDS < BACKUP_LATE_SECONDS


def due() -> bool:
    if not settings.BACKUP_DIR:
        return False
    age = last_backup_age()
    return age is None or age >= INTERVAL_SECONDS


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives; returns the deleted paths."""
    found = backups(folder)
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def run_if_due() -> Path | None:
    if not due():
        return None
    folder = Path(str(settings.BACKUP_DIR))
    passphrase = settings.BACKUP_PASSPHRASE or None
    if passphrase is None:
        log.warning(
            "daily backup without the keys (PARVIS_BACKUP_PASSPHRASE is not set): restoring it "
            "means re-entering every connected account's credentials"
        )
    result = archive.backup(folder / archive.default_name(), passphrase)
    removed = prune(folder, settings.BACKUP_KEEP)
    log.info(
        "backup written: %s (%d bytes); %d older removed", result.path, result.size, len(removed)
    )
    return result.path

"""`parvis backup`, `parvis restore` and `parvis check`: the command line's side (parsing
standard input, printing), around archive.py and check.py."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from parvis.ops import archive, keys


def read_passphrase(confirm: bool) -> str:
    """One line of standard input; asked twice at a terminal when making a backup."""
    if sys.stdin.isatty():
        first = getpass.getpass("Passphrase for the keys: ")
        if confirm and getpass.getpass("Same passphrase again: ") != first:
            raise keys.KeysError("the two passphrases differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def backup(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is None:
        out = Path(settings.BACKUP_DIR or ".") / archive.default_name()
    elif out.is_dir():
        out = out / archive.default_name()
    passphrase = None
    if args.without_keys:
        print(
            "parvis: warning: the keys are left out of this backup; after restoring it every "
            "connected account must be connected again (its credentials cannot be decrypted) "
            "and every user signs in again",
            file=sys.stderr,
        )
    else:
        passphrase = read_passphrase(confirm=True)
        keys.check_passphrase(passphrase)
    result = archive.backup(out, passphrase)
    rows = sum(result.manifest.tables.values())
    print(
        f"Backup written to {result.path} ({result.size} bytes, {result.manifest.engine}, "
        f"{len(result.manifest.tables)} tables, {rows} rows, "
        f"{sum(1 for m in result.manifest.members if m.startswith(archive.MEDIA_PREFIX))} files"
        f"{', keys encrypted' if result.manifest.keys else ', no keys'})."
    )
    return 0


def archive_has_keys(path: Path) -> bool:
    import tarfile

    try:
        with tarfile.open(path, "r:*") as tar:
            first = tar.next()
            handle = tar.extractfile(first) if first is not None else None
            if first is None or first.name != archive.MANIFEST or handle is None:
                return False
            return archive.Manifest.from_json(handle.read(1 << 24)).keys
    except (OSError, tarfile.TarError, archive.BackupError):
        return False  # restore() reports what is wrong with it


def restore(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.is_file():
        raise archive.BackupError(f"{path} is not a file")
    passphrase = None
    if not args.without_keys and archive_has_keys(path):
        passphrase = read_passphrase(confirm=False)
    result = archive.restore(path, passphrase, force=args.force, skip_keys=args.without_keys)
    rows = sum(result.manifest.tables.values())
    print(
        f"Restored {path} (Parvis {result.manifest.parvis_version}, made "
        f"{result.manifest.created_at}): {rows} rows, {result.files} files, "
        f"{'keys restored' if result.keys_restored else 'keys not restored'}; migrations applied."
    )
    for warning in result.warnings:
        print(f"parvis: warning: {warning}", file=sys.stderr)
    return 0


def run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return func(args)
    except (archive.BackupError, keys.KeysError) as exc:
        print(f"parvis: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an unwritable --out, a full disk: no traceback, the reason
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"parvis: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1

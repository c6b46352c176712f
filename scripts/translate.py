"""Fill French translations from a JSON object {msgid: msgstr}, then compile.

    python scripts/translate.py fr.json      # after scripts/i18n.sh has collected the msgids

Several people (or helpers) may run this at once: a lock file serialises the whole
collect → fill → compile cycle so that no one's entries are lost.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "parvis/locale/fr/LC_MESSAGES/django.po"
LOCK = Path("/tmp/parvis-i18n.lock")  # noqa: S108  (a lock shared by local processes)


def fill(translations: dict[str, str]) -> list[str]:
    import polib

    po = polib.pofile(str(PO))
    for entry in po:
        if entry.msgid in translations:
            entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    return [e.msgid for e in po if not e.obsolete and (e.fuzzy or not e.translated())]


def main(argv: list[str]) -> int:
    translations = json.loads(Path(argv[1]).read_text()) if len(argv) > 1 else {}
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["bash", str(ROOT / "scripts/i18n.sh")], check=True)  # noqa: S603, S607
        todo = fill(translations)
        subprocess.run(["bash", str(ROOT / "scripts/i18n.sh")], check=True)  # noqa: S603, S607
    for msgid in todo:
        print(f"still untranslated: {msgid!r}")
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

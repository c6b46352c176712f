#!/usr/bin/env bash
# Refresh Parvis's translation catalogues, then compile them.
#
#   scripts/i18n.sh            # makemessages (fr, en) + compilemessages
#   scripts/i18n.sh --check    # same, then fail if a French entry is empty or fuzzy
#
# Run from anywhere; uses the repository's .venv when there is one. After running,
# translate the new empty / fuzzy entries in parvis/locale/fr/LC_MESSAGES/django.po,
# run this script again, and commit both the .po and the .mo files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${VIRTUAL_ENV:-}" && -f "$ROOT/.venv/bin/activate" ]]; then
    # shellcheck disable=SC1091
    . "$ROOT/.venv/bin/activate"
fi

# Django commands need a data dir; a throw-away one keeps the real data untouched.
DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$DATA_DIR"' EXIT
export PARVIS_DATA_DIR="$DATA_DIR"
export DJANGO_SETTINGS_MODULE=parvis.settings

# parvis/intelligence has no UI strings and is maintained separately.
IGNORES=(--ignore='intelligence/*' --ignore='*/migrations/*' --ignore='*/static/*/vendor/*')
# Locations without line numbers: fewer conflicts when several people edit the code.
COMMON=(-l fr -l en --no-obsolete --add-location=file "${IGNORES[@]}")

cd "$ROOT/parvis"
django-admin makemessages -d django "${COMMON[@]}"

# JavaScript strings (gettext() in our own JS, not vendored libraries) only when there are any.
if grep -rlq --include='*.js' --exclude-dir=vendor --exclude-dir=intelligence \
    -E '\b(n|p|np)?gettext\(' . 2>/dev/null; then
    django-admin makemessages -d djangojs "${COMMON[@]}"
fi

django-admin compilemessages --ignore='intelligence/*'

if [[ "${1:-}" == "--check" ]]; then
    python - <<'PY'
import sys

import polib

po = polib.pofile("locale/fr/LC_MESSAGES/django.po")
todo = [e.msgid for e in po if not e.obsolete and (e.fuzzy or not e.translated())]
for msgid in todo:
    print(f"untranslated or fuzzy: {msgid!r}")
sys.exit(1 if todo else 0)
PY
fi

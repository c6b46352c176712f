#!/usr/bin/env bash
# An upgrade keeps every row: the code of an earlier commit (BASE) migrates a fresh SQLite data
# dir, seeds the demo workspaces and imports mentions; then this checkout's code migrates the same
# data dir forward, every table the old code filled must hold as many rows as before, and the
# upgraded Parvis must serve /healthz and the login page and pass `parvis check` but for the
# worker (none runs here).
#
#   bash scripts/upgrade-check.sh [BASE]     default: the last commit before the publishing app
#
# The old code runs from `git archive BASE` with this virtualenv's packages (PYTHONPATH first):
# an old commit's dependencies are a subset of today's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# 7 Dec 2026, before publishing (#13), analytics (#14) and the big-network connectors (#16):
# their migrations, and later ones of older apps, run on the upgrade.
BASE=${1:-64e7216f9c795f371ba5998504b002d0179e1972}
PYTHON=${VIRTUAL_ENV:-$ROOT/.venv}/bin/python
PARVIS=$(dirname "$PYTHON")/parvis

git cat-file -e "$BASE^{commit}" 2>/dev/null || {
    echo "upgrade-check.sh: commit $BASE is not in this clone (a shallow clone?)" >&2
    exit 3
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/parvis-upgrade.XXXXXX")
SERVER=""
cleanup() {
    if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/old"
git archive "$BASE" parvis | tar -x -C "$WORK/old"

# Only this deployment's settings: none of the caller's PARVIS_* (a test run's database...).
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep '^PARVIS_' || true)
unset DJANGO_SETTINGS_MODULE
export PARVIS_DATA_DIR=$WORK/data PARVIS_QUEUE_NAME=upgrade-$$

counts() {
    "$PYTHON" - "$PARVIS_DATA_DIR/parvis.sqlite3" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
names = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
print(json.dumps({n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}))
EOF
}

echo "==> the old code ($(git log -1 --format='%h %cd' --date=short "$BASE")): migrate, demo, ingest"
# From $WORK: run from the checkout, Python would put its parvis/ first on the path.
old() { (cd "$WORK" && PYTHONPATH=$WORK/old "$PYTHON" "$@"); }
old -c 'import parvis, sys; assert parvis.__file__.startswith(sys.argv[1]), parvis.__file__' "$WORK/old"
old -m parvis.cli migrate >/dev/null
old -c 'from parvis.cli import setup_django; setup_django()
from parvis.demo.seed import ensure_demo; ensure_demo()'
"$PYTHON" - >"$WORK/mentions.jsonl" <<'EOF'
import json
for i in range(300):
    print(json.dumps({"network": "bluesky", "external_id": f"at://did:plc:up/app.bsky.feed.post/{i}",
                      "url": f"https://bsky.app/profile/up.bsky.social/post/{i}",
                      "author": {"handle": f"u{i % 13}.bsky.social", "followers": i},
                      "text": f"Les bougies Maison Lumière, avis numéro {i}",
                      "created_at": f"2026-11-{1 + i % 20:02d}T08:{i % 60:02d}:00+00:00",
                      "lang": "fr"}))
EOF
old -m parvis.cli ingest --workspace demo "$WORK/mentions.jsonl" | tail -1
counts >"$WORK/before.json"

echo "==> this checkout: migrate forward"
"$PARVIS" migrate
counts >"$WORK/after.json"
"$PYTHON" - "$WORK/before.json" "$WORK/after.json" <<'EOF'
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:])
# Django's own bookkeeping grows with the new apps and migrations; every other table keeps
# exactly its rows.
GROWING = {"django_migrations", "django_content_type", "auth_permission"}
lost = {
    t: (n, after.get(t))
    for t, n in before.items()
    if after.get(t) is None or after[t] < n or (after[t] != n and t not in GROWING)
}
print(f"{len(before)} tables, {sum(before.values())} rows before; "
      f"{len(after)} tables, {sum(after.values())} rows after")
if lost:
    sys.exit(f"rows changed by the upgrade (before, after): {lost}")
print("every row of every table kept")
EOF

echo "==> the upgraded Parvis answers"
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PARVIS_DEMO=1 "$PARVIS" serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" || { cat "$WORK/serve.log" >&2; exit 1; }
echo
curl -fsS -o /dev/null -w 'login page: %{http_code}\n' "http://127.0.0.1:$PORT/login/"
"$PARVIS" check >"$WORK/check.txt" || true
cat "$WORK/check.txt"
if grep '^error' "$WORK/check.txt" | grep -qv '^error   worker'; then
    echo "upgrade-check.sh: parvis check reports errors after the upgrade" >&2
    exit 1
fi
echo "upgrade-check.sh: $BASE -> $(git rev-parse --short HEAD) keeps every row"

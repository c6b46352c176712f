#!/usr/bin/env bash
# Follows the README's « Installer sur un serveur » steps into a temporary prefix instead of
# /, as a normal user instead of the `parvis` system user, and without systemd: the units'
# own ExecStart lines are run with their EnvironmentFile. Passes when `parvis check` reports
# no error while the web server and the worker run.
#
#   bash deploy/verify-install.sh                 a fresh virtualenv, `pip install .` (minutes)
#   bash deploy/verify-install.sh --venv DIR      reuse a virtualenv where Parvis is installed
#   bash deploy/verify-install.sh --keep          leave the prefix in place to look at it
#
# Paths replaced under the prefix: /opt/parvis, /etc/parvis, /etc/systemd/system,
# /var/lib/parvis, /var/backups/parvis.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="" KEEP=0
while (($#)); do
    case $1 in
    --venv) VENV=$(cd "$2" && pwd); shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "verify-install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/parvis-install.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if ((KEEP)); then echo "prefix kept: $PREFIX"; else rm -rf "$PREFIX"; fi
}
trap cleanup EXIT
step() { printf '\n==> %s\n' "$*"; }
fail() { echo "verify-install.sh: $*" >&2; exit 1; }

# In the files of deploy/, the real paths become paths under the prefix.
relocate() {
    sed -e "s#/opt/parvis#$PREFIX/opt/parvis#g" -e "s#/etc/parvis#$PREFIX/etc/parvis#g" \
        -e "s#/var/lib/parvis#$PREFIX/var/lib/parvis#g" \
        -e "s#/var/backups/parvis#$PREFIX/var/backups/parvis#g" "$1"
}

step "2. the application in /opt/parvis/venv"
mkdir -p "$PREFIX/opt/parvis"
if [[ -n $VENV ]]; then
    [[ -x $VENV/bin/parvis ]] || fail "$VENV/bin/parvis not found"
    ln -s "$VENV" "$PREFIX/opt/parvis/venv"
else
    python3 -m venv "$PREFIX/opt/parvis/venv"
    "$PREFIX/opt/parvis/venv/bin/pip" install --quiet --disable-pip-version-check "$ROOT"
fi
PARVIS=$PREFIX/opt/parvis/venv/bin/parvis

step "3. the settings in /etc/parvis/parvis.env (mode 0640)"
install -d -m 0750 "$PREFIX/etc/parvis"
PORT=$("$PREFIX/opt/parvis/venv/bin/python" -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The example as shipped, but for the port (several runs may share the machine) and the
# queue's name (a Redis server may be shared); the proxy's name stays parvis.example.com.
relocate "$ROOT/deploy/parvis.env.example" >"$PREFIX/etc/parvis/parvis.env"
echo "PARVIS_QUEUE_NAME=verify-install-$$" >>"$PREFIX/etc/parvis/parvis.env"
chmod 0640 "$PREFIX/etc/parvis/parvis.env"

step "4. the data dir and the backups' folder (mode 0700)"
install -d -m 0700 "$PREFIX/var/lib/parvis" "$PREFIX/var/backups/parvis"

as_parvis() {
    # README: runuser -u parvis -- sh -c 'set -a; . /etc/parvis/parvis.env; exec parvis …'
    (set -a && . "$PREFIX/etc/parvis/parvis.env" && set +a && exec "$PARVIS" "$@")
}

step "5. the database: parvis migrate"
as_parvis migrate >/dev/null

step "6. the units in /etc/systemd/system"
install -d "$PREFIX/etc/systemd/system"
for unit in parvis-web.service parvis-worker.service; do
    relocate "$ROOT/deploy/$unit" | sed -e "s#--port 8000#--port $PORT#" \
        >"$PREFIX/etc/systemd/system/$unit"
    for option in User=parvis NoNewPrivileges=yes ProtectSystem=strict Restart=on-failure \
        "ReadWritePaths=$PREFIX/var/lib/parvis"; do
        grep -q "^$option" "$PREFIX/etc/systemd/system/$unit" || fail "$unit lacks $option"
    done
done
if command -v systemd-analyze >/dev/null; then
    # Checks the syntax and that ExecStart exists; the `parvis` user need not exist here.
    out=$(systemd-analyze verify "$PREFIX"/etc/systemd/system/parvis-*.service 2>&1 || true)
    # It exits 0 even on a value it ignores: any line it prints is a finding.
    if grep -v -i -e "user.*parvis" -e "parvis.*user" -e "^$" <<<"$out" | grep -q .; then
        echo "$out" >&2
        fail "systemd-analyze verify found errors in the units"
    fi
    echo "systemd-analyze verify: no error"
fi

step "7. start them (what systemctl enable --now does: each unit's ExecStart)"
for unit in parvis-worker.service parvis-web.service; do
    command=$(sed -n 's/^ExecStart=//p' "$PREFIX/etc/systemd/system/$unit")
    # shellcheck disable=SC2086  # the unit's command line, word-split as systemd does
    (set -a && . "$PREFIX/etc/parvis/parvis.env" && set +a && exec $command) \
        >"$PREFIX/$unit.log" 2>&1 &
    PIDS+=($!)
done
for _ in $(seq 1 120); do
    if curl -fsS -H "Host: parvis.example.com" -H "X-Forwarded-Proto: https" \
        "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
        break
    fi
    sleep 0.5
done
curl -fsS -H "Host: parvis.example.com" -H "X-Forwarded-Proto: https" \
    "http://127.0.0.1:$PORT/healthz" || {
    cat "$PREFIX"/*.log >&2
    fail "the web server does not answer /healthz through the proxy's Host header"
}
echo

step "8. the first user, workspace and owner"
echo "a-long-first-password-42" | as_parvis user create admin --password-stdin
as_parvis workspace create ma-marque --name "Ma marque"
as_parvis member add ma-marque admin --role owner

step "9. parvis check (waits for the worker's first heartbeat)"
status=1
for _ in $(seq 1 60); do
    if as_parvis check >"$PREFIX/check.txt" 2>&1; then
        status=0
        break
    fi
    grep -q "error   worker" "$PREFIX/check.txt" || break # another error: no use waiting
    sleep 1
done
cat "$PREFIX/check.txt"
if ((status != 0)); then
    cat "$PREFIX"/*.log >&2
    fail "parvis check reports errors"
fi
echo
echo "verify-install.sh: the installation steps work (prefix $PREFIX)"

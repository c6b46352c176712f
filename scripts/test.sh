#!/usr/bin/env bash
# Run every check of Parvis: ruff, then the whole test suite twice, first on SQLite with the
# SQLite queue (the default install), then on PostgreSQL with Redis (the production set-up).
# PostgreSQL and Redis are throw-away servers on 127.0.0.1, started here and stopped at exit.
#
#   bash scripts/test.sh                  everything (what CI runs)
#   bash scripts/test.sh -k worker -x     extra arguments go to both pytest runs
#   PARVIS_TEST_PASSES=sqlite bash scripts/test.sh    only the SQLite pass (no PostgreSQL/Redis)
#
# Needs Python >= 3.11 and the Debian packages postgresql, redis-server and chromium.
# Uses the active virtualenv, else .venv (created if missing); installs '.[test]' into it.
# Screenshots, JUnit reports and server logs land in test-artifacts/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
ARTIFACTS=$ROOT/test-artifacts
PASSES=${PARVIS_TEST_PASSES:-sqlite postgres}
PYTEST_ARGS=("$@")
CHROMIUM=/usr/bin/chromium
STARTED=$SECONDS

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() {
    printf 'scripts/test.sh: %s\n' "$*" >&2
    exit 1
}
wants_postgres() { [[ " $PASSES " == *" postgres "* ]]; }

# --- prerequisites ------------------------------------------------------------------------

pg_bindir() {
    # Debian keeps initdb and pg_ctl out of PATH, in /usr/lib/postgresql/<version>/bin.
    local dir
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV) \
        "$(dirname "$(command -v pg_ctl || echo /none/pg_ctl)")"; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

check_prerequisites() {
    local missing=() packages=()
    if [[ -z ${VIRTUAL_ENV:-} && ! -x .venv/bin/python ]] && ! find_python >/dev/null; then
        missing+=("Python >= 3.11 (python3)")
        packages+=(python3 python3-venv)
    fi
    if wants_postgres; then
        if ! PG_BIN=$(pg_bindir); then
            missing+=("PostgreSQL server (initdb, pg_ctl)")
            packages+=(postgresql)
        fi
        if ! command -v redis-server >/dev/null; then
            missing+=("redis-server")
            packages+=(redis-server)
        fi
        if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
            missing+=("the 'postgres' system user (PostgreSQL refuses to run as root)")
            packages+=(postgresql)
        fi
    fi
    if [[ ! -x $CHROMIUM ]]; then
        missing+=("$CHROMIUM (the browser tests drive it)")
        packages+=(chromium)
    fi
    if ((${#missing[@]})); then
        printf 'scripts/test.sh: missing prerequisites:\n' >&2
        printf '  - %s\n' "${missing[@]}" >&2
        printf 'Install them with:  sudo apt-get install %s\n' "${packages[*]}" >&2
        printf 'or run only the SQLite pass:  PARVIS_TEST_PASSES=sqlite bash scripts/test.sh\n' >&2
        printf '(the browser tests still need chromium)\n' >&2
        exit 1
    fi
}

# --- Python environment ---------------------------------------------------------------------

activate_venv() {
    if [[ -n ${VIRTUAL_ENV:-} ]]; then
        PYTHON=$VIRTUAL_ENV/bin/python
    else
        if [[ ! -x .venv/bin/python ]]; then
            say "Creating .venv"
            "$(find_python)" -m venv .venv ||
                die "could not create .venv (on Debian: apt-get install python3-venv)"
        fi
        PYTHON=$ROOT/.venv/bin/python
    fi
    export PATH=$(dirname "$PYTHON"):$PATH
}

install_parvis() {
    # Skipped when pyproject.toml has not changed since the last install into this venv.
    local stamp digest
    stamp=$("$PYTHON" -c 'import sys; print(sys.prefix)')/.parvis-test-install
    digest=$( (cat pyproject.toml; echo "transformers=${PARVIS_TEST_TRANSFORMERS:-0}") | sha256sum | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$digest" ]] && "$PYTHON" -c 'import parvis' 2>/dev/null; then
        echo "parvis[test] already installed for this pyproject.toml"
        return 0
    fi
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --progress-bar off -e '.[test]'
    if [[ ${PARVIS_TEST_TRANSFORMERS:-0} == 1 ]]; then
        # The optional transformer backend's tests (a tiny model built by the test). The CPU
        # build of torch 2.13.0 is pinned: a looser range may pull a multi-GB CUDA build.
        "$PYTHON" -m pip install --quiet --disable-pip-version-check --progress-bar off \
            'torch==2.13.0' 'transformers>=4.40,<6' ||
            echo "torch/transformers could not be installed: the transformer-backend tests skip"
    fi
    echo "$digest" >"$stamp"
}

# --- throw-away servers -----------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parvis-test.XXXXXX")
PG_ROOT=""
REDIS_PID=""

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_postgres() {
    # initdb and postgres refuse to run as root; as a normal user they run as that user.
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

start_postgres() {
    local psql=$PG_BIN/psql
    [[ -x $psql ]] || psql=$(command -v psql) || {
        echo "psql not found (apt-get install postgresql-client)" >&2
        return 1
    }
    PG_PORT=$(free_port)
    PG_PASSWORD=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')
    # Its own short folder (the socket path is limited to ~100 bytes) that postgres can own.
    PG_ROOT=$(mktemp -d /tmp/parvis-pg.XXXXXX)
    if [[ $EUID -eq 0 ]]; then chown postgres: "$PG_ROOT"; fi
    as_postgres "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres -A trust \
        --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync --no-instructions >/dev/null ||
        return 1
    # Durability is pointless for a throw-away cluster: fsync off makes the tests faster.
    if ! as_postgres "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/postgres.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_ROOT" \
        -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
        cat "$PG_ROOT/postgres.log" >&2
        return 1
    fi
    # Through the socket as the superuser (trust); Parvis itself connects over TCP with a
    # password, as in production. CREATEDB: pytest-django creates test_parvis.
    as_postgres "$psql" -h "$PG_ROOT" -p "$PG_PORT" -U postgres -d postgres -qAt \
        -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE parvis LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" \
        -c "CREATE DATABASE parvis OWNER parvis" >/dev/null || return 1
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
    [[ -n $PG_ROOT && -d $PG_ROOT ]] || return 0
    if [[ -f $PG_ROOT/data/postmaster.pid ]]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m immediate -w -t 10 stop >/dev/null ||
            true
    fi
    cp "$PG_ROOT/postgres.log" "$ARTIFACTS/postgres.log" 2>/dev/null || true
    rm -rf "$PG_ROOT"
}

start_redis() {
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK" ||
        return 1
    local deadline=$((SECONDS + 15))
    until [[ -s $WORK/redis.pid ]] && (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; do
        if ((SECONDS > deadline)); then
            cat "$WORK/redis.log" >&2
            return 1
        fi
        sleep 0.1
    done
    REDIS_PID=$(cat "$WORK/redis.pid")
    echo "Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
    [[ -n $REDIS_PID ]] || return 0
    kill "$REDIS_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$REDIS_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -9 "$REDIS_PID" 2>/dev/null || true
    cp "$WORK/redis.log" "$ARTIFACTS/redis.log" 2>/dev/null || true
    REDIS_PID=""
}

start_services() {
    start_postgres && start_redis || return 1
    DATABASE_URL="postgres://parvis:$PG_PASSWORD@127.0.0.1:$PG_PORT/parvis"
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

cleanup() {
    stop_redis
    stop_postgres
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- steps and summary -------------------------------------------------------------------------

SUMMARY=()
FAILED=0

step() {
    # step NAME COMMAND...: runs it, records ok/FAIL and the time; later steps still run.
    local name=$1 start=$SECONDS status=0
    shift
    say "$name"
    "$@" || status=$?
    if ((status == 0)); then
        SUMMARY+=("ok    $name ($((SECONDS - start))s)")
    else
        SUMMARY+=("FAIL  $name (exit $status, $((SECONDS - start))s)")
        FAILED=1
    fi
    return 0
}

pytest_counts() {
    # "N passed, N failed, ..." from the JUnit report (absent if pytest did not get that far).
    "$PYTHON" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    suite = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("no report")
    sys.exit()
suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
total, failures, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
passed = total - failures - errors - skipped
print(f"{passed} passed, {failures} failed, {errors} errors, {skipped} skipped")
EOF
}

run_pytest() {
    # run_pytest LABEL [VAR=value...]: the whole suite with that database and queue. Exit code
    # 5 (no tests collected) is a failure like any other non-zero code.
    local label=$1 status=0
    shift
    rm -f "$ARTIFACTS/junit-$label.xml"
    env -u PARVIS_DATABASE_URL -u PARVIS_REDIS_URL -u PARVIS_QUEUE_NAME -u DJANGO_SETTINGS_MODULE \
        PARVIS_DATA_DIR="$WORK/data-$label" PARVIS_TEST_ARTIFACTS="$ARTIFACTS" \
        PARVIS_REQUIRE_BROWSER=1 "$@" \
        "$PYTHON" -m pytest -p no:cacheprovider --durations=5 \
        --junitxml="$ARTIFACTS/junit-$label.xml" ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} ||
        status=$?
    COUNTS[$label]=$(pytest_counts "$ARTIFACTS/junit-$label.xml")
    return "$status"
}

check_backends() {
    # Proves the PostgreSQL pass really talks to PostgreSQL and Redis, not to a fallback.
    env PARVIS_DATA_DIR="$WORK/data-check" DJANGO_SETTINGS_MODULE=parvis.settings \
        PARVIS_DATABASE_URL="$DATABASE_URL" PARVIS_REDIS_URL="$REDIS_URL" "$PYTHON" -c '
import django; django.setup()
from parvis.core import health
report = health.report()
print(report)
assert report["database"]["vendor"] == "postgresql", report
assert report["queue"]["backend"] == "RedisHuey", report
assert report["status"] == "ok", report
'
}

declare -A COUNTS=()
check_prerequisites
mkdir -p "$ARTIFACTS"
activate_venv
step "install parvis[test] into $(dirname "$(dirname "$PYTHON")")" install_parvis
[[ $FAILED == 0 ]] || die "installing failed; see above"
step "ruff check" "$PYTHON" -m ruff check .
step "ruff format --check" "$PYTHON" -m ruff format --check .
# The one-way layers (contracts in pyproject.toml, [tool.importlinter]; docs/architecture.md).
step "import-linter (layers)" "$(dirname "$PYTHON")/lint-imports"
step "mypy (modules listed in pyproject.toml)" "$PYTHON" -m mypy

for pass in $PASSES; do
    case $pass in
    sqlite)
        # The Bluesky network tests need PostgreSQL + Redis: they run in the PostgreSQL pass.
        step "pytest on SQLite + SQLite queue" run_pytest sqlite PARVIS_BLUESKY_NET=off
        ;;
    postgres)
        step "start PostgreSQL and Redis" start_services
        if [[ -z ${REDIS_URL:-} ]]; then
            SUMMARY+=("FAIL  pytest on PostgreSQL + Redis queue (not run: no servers)")
            continue
        fi
        step "Parvis reaches PostgreSQL and Redis" check_backends
        step "pytest on PostgreSQL + Redis queue" run_pytest postgres \
            PARVIS_DATABASE_URL="$DATABASE_URL" PARVIS_REDIS_URL="$REDIS_URL"
        ;;
    *) die "PARVIS_TEST_PASSES: unknown pass '$pass' (use sqlite and/or postgres)" ;;
    esac
done

say "Summary ($((SECONDS - STARTED))s in all)"
printf '  %s\n' "${SUMMARY[@]}"
for pass in $PASSES; do
    if [[ -n ${COUNTS[$pass]:-} ]]; then printf '  pytest %-9s %s\n' "$pass:" "${COUNTS[$pass]}"; fi
done
if ((FAILED)); then
    printf '\nFAILED: see the steps marked FAIL above. Artifacts: %s\n' "$ARTIFACTS"
    exit 1
fi
printf '\nAll checks passed.\n'

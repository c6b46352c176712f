"""Web latency under real use: a real server (`parvis serve`, waitress, on 127.0.0.1 and a free
port) and N concurrent logged-in users, each with its own session (logged in through the login
form and its CSRF token), looping over the mention list (the filters of benchmarks/explorer.py),
mention detail pages and the overview; optionally a `parvis ingest` running at the same time,
its rate printed beside its rate on the same machine without web load.

    PARVIS_DATA_DIR=/tmp/webload-1m python benchmarks/web_load.py --build 1000000 \
        --users 8 --import-count 100000
    (add PARVIS_DATABASE_URL=... for PostgreSQL; --build fills an empty data dir once, with
    benchmarks/ingest.py's corpus, and is skipped when it holds mentions already)

Bounded: each user stops after --requests requests or --seconds seconds (with an import, when
the import ends or after --seconds). Loopback only. Imported mentions get fresh ids and are
deleted at the end (--keep-imported to keep them). One line per figure at the end.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

TARGETS_MS = {"list": 300, "detail": 300, "overview": 500}
IMPORT_TARGET = 0.7  # import rate under load / quiet rate
USER_PREFIX = "webload-"


def sibling(name: str):
    """benchmarks/<name>.py as a module (the generators and filters are theirs)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- set-up (in this process, through Django) ------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a kept data dir may predate the latest migrations


def pick_workspace(slug: str | None):
    from django.db.models import Count

    from parvis.listening.models import Mention
    from parvis.workspaces.models import Workspace

    if slug:
        return Workspace.objects.get(slug=slug)
    busiest = Mention.objects.values("workspace_id").annotate(n=Count("id")).order_by("-n").first()
    if busiest is None:
        raise SystemExit("no mentions: build a data dir with benchmarks/ingest.py --keep")
    return Workspace.objects.get(pk=busiest["workspace_id"])


def make_users(workspace, count: int) -> list[tuple[str, str]]:
    from django.contrib.auth import get_user_model

    from parvis.workspaces.services import do_add_member

    users = []
    for n in range(count):
        name = f"{USER_PREFIX}{n}"
        password = secrets.token_urlsafe(16)
        user, _ = get_user_model().objects.get_or_create(username=name)
        user.set_password(password)
        user.save(update_fields=["password"])
        if not workspace.memberships.filter(user=user).exists():
            do_add_member(workspace, user, "analyst")
        users.append((name, password))
    return users


def sample_mentions(workspace, count: int = 300) -> list[int]:
    """Ids of existing mentions, spread over the id range (no full scan)."""
    from django.db.models import Max, Min

    from parvis.listening.models import Mention

    mentions = Mention.objects.filter(workspace=workspace)
    bounds = mentions.aggregate(lo=Min("id"), hi=Max("id"))
    rng = random.Random(7)
    wanted = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(count * 2)}
    return sorted(mentions.filter(id__in=wanted).values_list("id", flat=True))[:count]


def overview_period(workspace) -> dict[str, str]:
    """The 30 days ending with the newest mention (the data may be older than today)."""
    import datetime as dt

    from parvis.listening.models import Mention

    newest = Mention.objects.filter(workspace=workspace).order_by("-published_at").first()
    until = newest.published_at.date() if newest else dt.date.today()
    return {"since": str(until - dt.timedelta(days=29)), "until": str(until)}


def list_cases(workspace) -> list[dict[str, str]]:
    from parvis.listening.models import MonitoredQuery

    query = MonitoredQuery.objects.filter(workspace=workspace).order_by("id").first()
    cases = []
    for case in sibling("explorer").LIST_CASES:
        if "QUERY" in case.values() and query is None:
            continue
        cases.append({k: (str(query.pk) if v == "QUERY" else v) for k, v in case.items()})
    return cases


def write_import(count: int, tag: str, seed: int) -> Path:
    """benchmarks/ingest.py's generator, with ids no other run used (new mentions, not
    duplicates dropped early)."""
    ingest = sibling("ingest")
    raw = Path(tempfile.mkdtemp(prefix="parvis-webload-")) / "generated.jsonl"
    ingest.write_jsonl(raw, count, seed=seed)
    path = raw.with_name(f"{tag}.jsonl")
    with raw.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        for line in src:
            item = json.loads(line)
            item["external_id"] = f"{tag}-{item['external_id']}"
            item["url"] = item["url"].replace("example.test/", f"example.test/{tag}/")
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    raw.unlink()
    return path


def delete_imported(workspace, tags: list[str]) -> int:
    """The mentions this run imported, their matches and full-text entries, in chunks. Not
    through Model.delete(): its per-row signal took minutes for 100k mentions."""
    from django.db import transaction
    from django.db.models import Q

    from parvis.listening import search
    from parvis.listening.models import Mention, MentionMatch

    condition = Q()
    for tag in tags:
        condition |= Q(external_id__startswith=f"{tag}-")
    mentions = Mention.objects.filter(workspace=workspace).filter(condition)
    deleted = 0
    while rows := list(mentions.values_list("id", "lang", "title", "text")[:5000]):
        ids = [row[0] for row in rows]
        with transaction.atomic():
            search.unindex(rows)
            MentionMatch.objects.filter(mention_id__in=ids).delete()
            deleted += Mention.objects.filter(id__in=ids)._raw_delete(Mention.objects.db)
    return deleted


def build_data_dir(count: int) -> None:
    """benchmarks/ingest.py's corpus and import phase, into PARVIS_DATA_DIR, unless that
    already holds mentions (a data dir is built once and reused)."""
    if has_mentions():
        print("the data dir holds mentions already: not built again", flush=True)
        return
    path = Path(tempfile.mkdtemp(prefix="parvis-webload-")) / "corpus.jsonl"
    sibling("ingest").write_jsonl(path, count)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / "ingest.py"), "--phase", "ingest", "--file", str(path)],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    path.unlink()
    if out.returncode != 0:
        raise SystemExit(f"building the data dir failed:\n{out.stderr[-4000:]}")
    print(f"built {count} mentions in {time.perf_counter() - started:.0f} s", flush=True)


def has_mentions() -> bool:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'parvis.settings');"
        "django.setup(); from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from parvis.listening.models import Mention; print(Mention.objects.exists())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, check=True
    )
    return out.stdout.strip().endswith("True")


# --- the server and the import (subprocesses) ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RUN_PARVIS = "import sys; from parvis.cli import main; sys.exit(main())"


def parvis_command(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from parvis.cli import main; sys.exit(main())",
        *args,
    ]


def child_env() -> dict[str, str]:
    env = {**os.environ, "PARVIS_ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def start_server(port: int, threads: int) -> subprocess.Popen:
    command = parvis_command("serve", "--host", "127.0.0.1", "--port", str(port))
    server = subprocess.Popen(
        [*command, "--threads", str(threads)],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"parvis serve exited:\n{server.stderr.read()[-4000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("parvis serve did not answer within 60 s")


def run_import(workspace_slug: str, path: Path, count: int, timeout: float) -> dict:
    """`parvis ingest` of `path`, timed from start to exit (start-up included)."""
    start = time.perf_counter()
    out = subprocess.run(
        parvis_command("ingest", "--workspace", workspace_slug, str(path)),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 2):
        raise SystemExit(f"parvis ingest failed:\n{out.stderr[-4000:]}")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    stored = summary.get("stored", count)
    return {"stored": stored, "seconds": round(seconds, 1), "per_s": round(stored / seconds)}


# --- the users (threads, each with its own connection and cookies) ---------------------------


class Browser:
    """A logged-in user: one keep-alive connection, its own cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                # The server closed a kept-alive connection: one reconnection.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"login page: {status}")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token[1]}
        status, _ = self.request("POST", "/login/", form)
        if status != 302:
            raise SystemExit(f"login of {username} answered {status} (throttled?)")


class User(threading.Thread):
    def __init__(self, n: int, port: int, credentials, plan: dict, stop: threading.Event):
        super().__init__(name=f"user-{n}", daemon=True)
        self.browser = Browser(port)
        self.credentials = credentials
        self.plan = plan
        self.stop = stop
        self.rng = random.Random(n)
        self.timings: dict[str, list[float]] = {"list": [], "detail": [], "overview": []}
        self.errors: list[str] = []
        self.ready = threading.Event()

    def pages(self):
        base, plan = self.plan["base"], self.plan
        n = 0
        while True:
            case = plan["cases"][n % len(plan["cases"])]
            yield "list", f"{base}/?{urllib.parse.urlencode(case)}"
            yield "detail", f"{base}/mentions/{self.rng.choice(plan['mention_ids'])}/"
            yield "list", f"{base}/?{urllib.parse.urlencode(plan['cases'][0])}"
            yield "overview", f"{base}/overview/?{urllib.parse.urlencode(plan['period'])}"
            n += 1

    def run(self) -> None:
        self.browser.login(*self.credentials)
        self.ready.set()
        self.plan["start"].wait()
        deadline = time.monotonic() + self.plan["seconds"]
        for count, (kind, path) in enumerate(self.pages()):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            if not self.plan["until_stopped"] and count >= self.plan["requests"]:
                return
            if count and self.plan["think"]:
                time.sleep(self.rng.uniform(0.5, 1.5) * self.plan["think"])
            start = time.perf_counter()
            try:
                status, _ = self.browser.request("GET", path)
            except (http.client.HTTPException, OSError) as exc:
                self.errors.append(f"{path}: {exc}")
                continue
            self.timings[kind].append((time.perf_counter() - start) * 1000)
            if status != 200:
                self.errors.append(f"{path}: HTTP {status}")


def summarize(users: list[User], seconds: float) -> dict:
    result = {}
    for kind in ("list", "detail", "overview"):
        values = [t for u in users for t in u.timings[kind]]
        if values:
            result[kind] = {
                "requests": len(values),
                "p50_ms": round(statistics.median(values)),
                "p95_ms": round(percentile(values, 95)),
                "max_ms": round(max(values)),
            }
    total = sum(r["requests"] for r in result.values())
    result["requests_per_s"] = round(total / seconds, 1) if seconds else 0
    result["errors"] = [e for u in users for e in u.errors][:20]
    return result


def warm_up(browser: Browser, plan: dict) -> None:
    """Each page the users will ask for, once, untimed: the server's cached figures (the
    overview, the list's counts, the networks offered) exist, as they do on a server that has
    been up for more than a minute. A first computation after a restart waits for the
    database (2 s for the overview at 1M mentions); --no-warm-up measures that too."""
    base = plan["base"]
    started = time.perf_counter()
    for case in plan["cases"]:
        browser.request("GET", f"{base}/?{urllib.parse.urlencode(case)}")
    browser.request("GET", f"{base}/overview/?{urllib.parse.urlencode(plan['period'])}")
    browser.request("GET", f"{base}/mentions/{plan['mention_ids'][0]}/")
    print(f"warm-up: {time.perf_counter() - started:.1f} s", flush=True)


def run_load(
    args, port: int, server_pid: int, plan: dict, users_credentials, during=None
) -> tuple[dict, object]:
    """The users' loop; `during` (a callable) runs in this thread meanwhile, and the users
    stop when it returns. Returns (figures, what `during` returned)."""
    stop = threading.Event()
    plan = {**plan, "start": threading.Event(), "until_stopped": during is not None}
    users = [User(n, port, c, plan, stop) for n, c in enumerate(users_credentials)]
    for user in users:
        user.start()
    for user in users:
        if not user.ready.wait(60):
            raise SystemExit("a user could not log in within 60 s")
    if plan.get("warm_up"):
        warm_up(users[0].browser, plan)
    started, cpu = time.perf_counter(), process_cpu(server_pid)
    plan["start"].set()
    outcome = None
    if during is not None:
        outcome = during()
        stop.set()
    for user in users:
        user.join(args.seconds + 120)
    figures = summarize(users, time.perf_counter() - started)
    served = sum(figures[k]["requests"] for k in TARGETS_MS if k in figures)
    if cpu is not None and served:
        spent = process_cpu(server_pid) - cpu
        figures["server_cpu_ms_per_request"] = round(1000 * spent / served)
    return figures, outcome


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process so far; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", help="slug (default: the one with the most mentions)")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument(
        "--requests", type=int, default=120, help="per user, at most (without an import)"
    )
    parser.add_argument(
        "--seconds", type=float, default=120, help="at most, for the load (users stop then)"
    )
    parser.add_argument(
        "--think", type=float, default=0, help="mean pause of a user between two pages (s)"
    )
    parser.add_argument("--threads", type=int, default=8, help="server threads (parvis serve)")
    parser.add_argument("--import-count", type=int, default=0, help="mentions imported under load")
    parser.add_argument("--keep-imported", action="store_true")
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="time the first visit of each page too (cached figures computed then)",
    )
    parser.add_argument(
        "--build",
        type=int,
        metavar="COUNT",
        help="first fill an empty PARVIS_DATA_DIR with COUNT mentions (benchmarks/ingest.py)",
    )
    args = parser.parse_args()
    if not os.environ.get("PARVIS_DATA_DIR"):
        raise SystemExit("set PARVIS_DATA_DIR to a data dir (benchmarks/ingest.py --keep)")
    if args.build:
        build_data_dir(args.build)
    setup_django()
    from django.db import connection, connections

    from parvis.listening.models import Mention

    workspace = pick_workspace(args.workspace)
    plan = {
        "base": f"/w/{workspace.slug}/listening",
        "cases": list_cases(workspace),
        "mention_ids": sample_mentions(workspace),
        "period": overview_period(workspace),
        "requests": args.requests,
        "seconds": args.seconds,
        "think": args.think,
        "warm_up": not args.no_warm_up,
    }
    credentials = make_users(workspace, args.users)
    mentions = Mention.objects.filter(workspace=workspace).count()
    vendor = connection.vendor
    connections.close_all()
    print(
        f"{vendor}, workspace {workspace.slug}: {mentions} mentions, {args.users} users, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    tags: list[str] = []
    quiet = loaded = None
    port = free_port()
    server = start_server(port, args.threads)
    try:
        if args.import_count:
            stamp = f"wl{int(time.time())}"
            tags = [f"{stamp}q", f"{stamp}l"]
            files = [write_import(args.import_count, tag, seed) for seed, tag in enumerate(tags, 2)]
            timeout = max(args.seconds * 5, 600)
            quiet = run_import(workspace.slug, files[0], args.import_count, timeout)
            print(f"quiet import: {json.dumps(quiet)}", flush=True)
            figures, loaded = run_load(
                args,
                port,
                server.pid,
                plan,
                credentials,
                during=lambda: run_import(workspace.slug, files[1], args.import_count, timeout),
            )
            for path in files:
                path.unlink()
        else:
            figures, _ = run_load(args, port, server.pid, plan, credentials)
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps({"vendor": vendor, "mentions": mentions, **figures, "import": loaded}))
    for kind, target in TARGETS_MS.items():
        if kind in figures:
            f = figures[kind]
            ok = "ok" if f["p95_ms"] < target else "MISSED"
            print(
                f"{kind}: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, max {f['max_ms']} ms, "
                f"{f['requests']} requests (target p95 < {target} ms: {ok})"
            )
    print(
        f"throughput: {figures['requests_per_s']} requests/s, server CPU "
        f"{figures.get('server_cpu_ms_per_request', '?')} ms per request, "
        f"errors {len(figures['errors'])}"
    )
    for error in figures["errors"][:5]:
        print(f"  error: {error}")
    if quiet and loaded:
        if loaded["seconds"] > args.seconds:
            print(f"  (the import outlasted --seconds {args.seconds}: its end ran without users)")
        ratio = loaded["per_s"] / quiet["per_s"]
        ok = "ok" if ratio >= IMPORT_TARGET else "MISSED"
        print(
            f"import: {loaded['per_s']} mentions/s under load against {quiet['per_s']} quiet "
            f"(ratio {ratio:.2f}, target >= {IMPORT_TARGET}: {ok})"
        )
    if tags and not args.keep_imported:
        print(f"deleted {delete_imported(workspace, tags)} imported mentions", flush=True)


if __name__ == "__main__":
    main()

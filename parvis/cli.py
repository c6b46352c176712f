"""The `parvis` command: demo, serve, worker and administration."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    from parvis.config import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        sys.exit(f"parvis: configuration error: {exc}")


def call(name: str, *args: str) -> None:
    from django.core.management import call_command

    call_command(name, *args)


# --- servers ------------------------------------------------------------------------------


def load_tasks() -> None:
    """Import every app's tasks module, as Django's run_huey does: a consumer only runs
    tasks registered in its own process."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")


# An idle consumer polls the queue at most this many seconds apart (huey's default, 10 s,
# added up to 10 s at each hop of a chain of tasks: a comment to hide goes through three —
# intake, rules, the network — and must be hidden within a minute).
IDLE_POLL_MAX = 1.0


def start_consumer(workers: int = 2):
    from huey.contrib.djhuey import HUEY

    load_tasks()
    consumer = HUEY.create_consumer(
        workers=workers, worker_type="thread", shutdown_timeout=3, max_delay=IDLE_POLL_MAX
    )
    consumer.start()
    return consumer


def serve_forever(
    host: str,
    port: int,
    threads: int,
    on_stop: Callable[[], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT. The server loop runs in a thread and the signal only
    sets an event: an exception raised from a signal handler can land inside waitress's
    channel code, which swallows it, and the server would keep running."""
    import threading

    from waitress import wasyncore
    from waitress.server import create_server

    from parvis.wsgi import application

    server = create_server(application, host=host, port=port, threads=threads, ident="parvis")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    loop = threading.Thread(target=server.run, name="waitress", daemon=True)
    loop.start()
    if on_ready is not None:
        on_ready()  # the socket is bound: the address printed now answers
    try:
        while loop.is_alive() and not stop.wait(0.5):
            pass
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        wasyncore.close_all(server._map, ignore_all=True)
        loop.join(timeout=2)
        if on_stop is not None:
            on_stop()


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    print(f"Parvis serving on http://{args.host}:{args.port}/", flush=True)
    serve_forever(args.host, args.port, args.threads)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["PARVIS_DEMO"] = "1"
    setup_django()
    from parvis.demo.seed import ensure_demo

    call("migrate", "--no-input", "-v", "0")
    from django.conf import settings

    created = ensure_demo()
    # The consumer's start-up and per-task lines are for operators; in the demo they would
    # bury the banner. Warnings and errors still show.
    logging.getLogger("huey").setLevel(logging.WARNING)
    # No explicit first run: the consumer's scheduler checks the periodic tasks as it starts,
    # and the new demo source is due, so the replay starts at once (a second enqueue here
    # would only lose the race for the source's lease).
    consumer = start_consumer()
    banner = demo_banner(
        created,
        f"http://{args.host}:{args.port}/",
        str(settings.DATA_DIR),
    )
    serve_forever(
        args.host,
        args.port,
        args.threads,
        on_stop=lambda: consumer.stop(graceful=True),
        on_ready=lambda: print(banner, flush=True),
    )
    print("Parvis demo stopped.", flush=True)
    return 0


def demo_banner(created: bool, url: str, data_dir: str) -> str:
    """The lines a newcomer needs, framed and set apart so they stand out of the log."""
    lines = [
        f"Parvis demo {'created' if created else 'ready'} — open {url}",
        "login: demo   password: demo",
        f"data: {data_dir}   (Ctrl-C to stop)",
    ]
    width = max(len(line) for line in lines)
    rule = "=" * (width + 4)
    return "\n".join(["", rule, *(f"  {line}" for line in lines), rule, ""])


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from huey.contrib.djhuey import HUEY

    load_tasks()
    consumer = HUEY.create_consumer(
        workers=args.workers,
        worker_type=args.worker_type,
        shutdown_timeout=30,
        max_delay=IDLE_POLL_MAX,
    )
    consumer.run()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    setup_django()
    call("migrate", "--no-input")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parvis manage", *args.rest])
    return 0


# --- administration -------------------------------------------------------------------------


def fail(message: str) -> int:
    print(f"parvis: {message}", file=sys.stderr)
    return 1


class NotFound(Exception):
    """A workspace or user named on the command line does not exist."""


def workspace_named(slug: str):
    from parvis.workspaces.models import Workspace

    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise NotFound(f"no workspace {slug!r}")
    return workspace


def user_named(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def validation_text(exc: Exception) -> str:
    messages = getattr(exc, "message_dict", None) or {"": getattr(exc, "messages", [str(exc)])}
    return "; ".join(f"{k + ': ' if k else ''}{' '.join(v)}" for k, v in messages.items())


def cmd_workspace_create(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from parvis.workspaces.services import do_create_workspace

    try:
        workspace = do_create_workspace(args.slug, args.name)
    except ValidationError as exc:
        return fail(validation_text(exc))
    print(f"Workspace {workspace.slug} created.")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from parvis.workspaces.services import do_create_user

    if not args.password_stdin:
        return fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        return fail("the password read from standard input is empty")
    try:
        user = do_create_user(args.username, password, email=args.email or "")
    except ValidationError as exc:
        return fail(validation_text(exc))
    print(f"User {user.username} created.")
    return 0


def cmd_member_add(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from parvis.workspaces.services import do_add_member

    try:
        workspace, user = workspace_named(args.slug), user_named(args.username)
    except NotFound as exc:
        return fail(str(exc))
    try:
        membership = do_add_member(workspace, user, args.role)
    except ValidationError as exc:
        return fail(validation_text(exc))
    print(f"{user.username} is {membership.role} of {workspace.slug}.")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from parvis.core.tokens import do_create_token

    try:
        user = user_named(args.username)
        workspace = workspace_named(args.workspace) if args.workspace else None
    except NotFound as exc:
        return fail(str(exc))
    new = do_create_token(user, name=args.name or "", workspace=workspace)
    print("Store this token now: it is not shown again.", file=sys.stderr)
    print(new.raw)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    setup_django()
    import json

    from parvis.listening.ingest import ingest_lines

    try:
        workspace = workspace_named(args.workspace)
    except NotFound as exc:
        return fail(str(exc))
    # Lines are read as bytes: one that is not UTF-8 is quarantined, not the whole import.
    if args.path == "-":
        summary = ingest_lines(workspace, sys.stdin.buffer, origin="stdin")
    else:
        try:
            handle = open(args.path, "rb")  # noqa: SIM115
        except OSError as exc:
            return fail(f"cannot read {args.path}: {exc.strerror}")
        with handle:
            summary = ingest_lines(workspace, handle, origin=os.path.basename(args.path))
    from parvis.core.maintenance import refresh_planner_statistics

    refresh_planner_statistics()  # a big import changes the table's shape
    print(json.dumps(summary.as_dict()))
    return 2 if summary.rejected else 0


def cmd_sources_kinds(args: argparse.Namespace) -> int:
    setup_django()
    from parvis.connectors.base import load_all

    for kind, connector in sorted(load_all().items()):
        capabilities = ",".join(sorted(connector.capabilities)) or "-"
        print(f"{kind}\t{capabilities}\t{connector.label}")
    return 0


def cmd_sources_add(args: argparse.Namespace) -> int:
    setup_django()
    import json

    from django.core.exceptions import ValidationError

    from parvis.connectors.base import ConnectorError
    from parvis.listening.sources import do_create_source

    try:
        workspace = workspace_named(args.workspace)
    except NotFound as exc:
        return fail(str(exc))
    from parvis.connectors.models import ConnectedAccount

    account = None
    if args.account is not None:
        account = ConnectedAccount.objects.filter(workspace=workspace, pk=args.account).first()
        if account is None:
            return fail(f"no connected account {args.account} in {workspace.slug}")
    try:
        config = json.loads(args.config)
        source = do_create_source(
            workspace,
            kind=args.kind,
            name=args.name,
            config=config,
            interval_seconds=args.every,
            account=account,
        )
    except json.JSONDecodeError as exc:
        return fail(f"--config is not JSON: {exc.msg}")
    except (ValueError, ConnectorError) as exc:
        return fail(str(exc))
    except ValidationError as exc:
        return fail(validation_text(exc))
    print(source.pk)
    return 0


def cmd_sources_list(args: argparse.Namespace) -> int:
    setup_django()
    from parvis.listening.models import Source

    sources = Source.objects.select_related("workspace").order_by("workspace__slug", "name")
    if args.workspace:
        sources = sources.filter(workspace__slug=args.workspace)
    for s in sources:
        last_ok = s.last_success_at.isoformat() if s.last_success_at else "never"
        print(
            f"{s.pk}\t{s.workspace.slug}\t{s.kind}\t{s.status}\t{s.items_total}\t{last_ok}\t{s.name}"
        )
    return 0


def cmd_sources_run(args: argparse.Namespace) -> int:
    setup_django()
    import json

    from parvis.listening import runner
    from parvis.listening.tasks import run_source_task

    if args.enqueue:
        run_source_task(args.id)
        print(f"source {args.id} queued")
        return 0
    print(json.dumps(runner.run_source(args.id).as_dict()))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from parvis.intelligence import cli as classify_cli

    return classify_cli.run(args)


def cmd_moderate(args: argparse.Namespace) -> int:
    setup_django()
    try:
        workspace = workspace_named(args.workspace)
    except NotFound as exc:
        return fail(str(exc))
    from parvis.moderation.services import active_rules

    if not active_rules(workspace):
        print(
            f"parvis: no moderation rule is switched on in {workspace.slug}: every line is kept",
            file=sys.stderr,
        )
    # Bytes in: a line that is not UTF-8 gets its error line instead of stopping the run.
    try:
        src = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        return fail(f"cannot read {args.input}: {exc.strerror}")
    try:
        dst = (
            sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        )
    except OSError as exc:
        if src is not sys.stdin.buffer:
            src.close()
        return fail(f"cannot write {args.output}: {exc.strerror}")
    from parvis.moderation.batch import moderate_stream

    try:
        _written, errors = moderate_stream(workspace, src, dst)
    finally:
        if src is not sys.stdin.buffer:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    if errors:
        print(f"{errors} line(s) could not be read; see their 'error' field", file=sys.stderr)
    return 2 if errors else 0


def cmd_detect_spikes(args: argparse.Namespace) -> int:
    from parvis.alerts.spikes_csv import BadInput, detect_csv

    try:
        source = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"parvis: cannot read {args.input}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        target = sys.stdout if args.output == "-" else open(args.output, "w", newline="")  # noqa: SIM115
    except OSError as exc:
        print(f"parvis: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        detect_csv(source, target, counts=args.counts)
    except BadInput as exc:
        where = "standard input" if args.input == "-" else args.input
        print(f"parvis: {where}: {exc}", file=sys.stderr)
        return 2
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if target is not sys.stdout:
            target.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The client report of a period, written here (the generator the worker uses)."""
    import datetime as dt

    setup_django()
    from parvis.analytics import report

    try:
        workspace = workspace_named(args.workspace)
    except NotFound as exc:
        return fail(str(exc))
    try:
        since = dt.date.fromisoformat(args.since)
        until = dt.date.fromisoformat(args.until)
    except ValueError:
        return fail("--from and --to are dates written YYYY-MM-DD")
    try:
        content = report.generate(
            workspace, since, until, args.format, comments=args.comments, language=args.language
        )
    except report.PeriodError as exc:
        return fail(str(exc))
    if args.out == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return 0
    try:
        with open(args.out, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror}")
    print(f"{args.out}: {len(content)} bytes", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    setup_django()
    from parvis.ops import commands

    return commands.run(commands.backup, args)


def cmd_restore(args: argparse.Namespace) -> int:
    setup_django()
    from parvis.ops import commands

    return commands.run(commands.restore, args)


def cmd_check(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parvis.settings")
    import django

    from parvis.config import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        print(f"{'error':<8}{'settings':<12}{exc}\n{'':<20}→ fix the variable it names")
        return 1
    from parvis.ops.check import exit_code, run_checks

    lines = run_checks()
    for line in lines:
        print(line.render())
    errors = sum(line.level == "error" for line in lines)
    warnings = sum(line.level == "warning" for line in lines)
    print(f"\n{errors} errors, {warnings} warnings.")
    return exit_code(lines)


# --- parser ---------------------------------------------------------------------------------


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument("--threads", type=int, default=8, help="web server threads")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parvis", description="Parvis: the self-hosted platform for community managers."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="migrate, create the demo workspace, serve web + worker")
    add_server_options(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the web application (production server)")
    add_server_options(serve)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a background worker (run as many as you like)")
    worker.add_argument("--workers", type=int, default=2, help="tasks run at once")
    worker.add_argument("--worker-type", choices=["thread", "process"], default="thread")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="create or update the database tables").set_defaults(
        func=cmd_migrate
    )

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    workspace = sub.add_parser("workspace", help="manage workspaces")
    ws_sub = workspace.add_subparsers(dest="action", required=True, metavar="ACTION")
    ws_create = ws_sub.add_parser("create", help="create a workspace")
    ws_create.add_argument("slug", help="identifier used in URLs, e.g. maison-lumiere")
    ws_create.add_argument("--name", required=True, help="display name")
    ws_create.set_defaults(func=cmd_workspace_create)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    user_create = user_sub.add_parser("create", help="create a user")
    user_create.add_argument("username")
    user_create.add_argument("--email", help="e-mail address")
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_create.set_defaults(func=cmd_user_create)

    from parvis.workspaces.roles import Role

    member = sub.add_parser("member", help="manage workspace members")
    member_sub = member.add_subparsers(dest="action", required=True, metavar="ACTION")
    member_add = member_sub.add_parser("add", help="add a user to a workspace, or change its role")
    member_add.add_argument("slug", help="workspace identifier")
    member_add.add_argument("username")
    member_add.add_argument("--role", required=True, choices=Role.values)
    member_add.set_defaults(func=cmd_member_add)

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    token_create = token_sub.add_parser(
        "create", help="create an API token; prints it as the last line"
    )
    token_create.add_argument("username")
    token_create.add_argument("--name", help="what the token is for")
    token_create.add_argument("--workspace", help="restrict the token to one workspace")
    token_create.set_defaults(func=cmd_token_create)

    ingest = sub.add_parser(
        "ingest",
        help="import JSON Lines of normalized mentions; prints a JSON summary as the last line",
    )
    ingest.add_argument("--workspace", required=True, help="workspace identifier")
    ingest.add_argument("path", help="a .jsonl file, or - for standard input")
    ingest.set_defaults(func=cmd_ingest)

    src = sub.add_parser("sources", help="listening sources: connectors, schedules, health")
    src_sub = src.add_subparsers(dest="action", required=True, metavar="ACTION")
    src_sub.add_parser("kinds", help="the available connectors and what they can do").set_defaults(
        func=cmd_sources_kinds
    )
    src_add = src_sub.add_parser("add", help="add a source to a workspace; prints its id")
    src_add.add_argument("--workspace", required=True, help="workspace identifier")
    src_add.add_argument("--kind", required=True, help="connector, see `parvis sources kinds`")
    src_add.add_argument("--name", required=True)
    src_add.add_argument("--config", default="{}", help='settings as JSON, e.g. {"url": "…"}')
    src_add.add_argument("--every", type=int, default=900, help="seconds between runs")
    src_add.add_argument(
        "--account", type=int, help="connected account to read through: the id in its page's URL"
    )
    src_add.set_defaults(func=cmd_sources_add)
    src_list = src_sub.add_parser("list", help="sources with their health")
    src_list.add_argument("--workspace", help="only this workspace")
    src_list.set_defaults(func=cmd_sources_list)
    src_run = src_sub.add_parser("run", help="run a source now, in this process")
    src_run.add_argument("id", type=int)
    src_run.add_argument("--enqueue", action="store_true", help="hand the run to a worker")
    src_run.set_defaults(func=cmd_sources_run)

    classify = sub.add_parser(
        "classify", help="analyse texts (JSON Lines with a 'text' field): language, sentiment…"
    )
    from parvis.intelligence import cli as classify_cli  # stdlib only at import time

    classify_cli.add_arguments(classify)
    classify.set_defaults(func=cmd_classify)

    moderate = sub.add_parser(
        "moderate",
        help="what the workspace's switched-on moderation rules decide for JSON Lines of "
        "comments (nothing is hidden, nothing is stored)",
    )
    moderate.add_argument("--workspace", required=True, help="workspace identifier")
    moderate.add_argument("--in", dest="input", default="-", help="JSON Lines file, or - (stdin)")
    moderate.add_argument("--out", dest="output", default="-", help="output file, or - (stdout)")
    moderate.set_defaults(func=cmd_moderate)

    spikes = sub.add_parser(
        "detect-spikes",
        help="anomaly scores (0..1) of a CSV series timestamp,value, by the alerts' detector",
    )
    spikes.add_argument("--in", dest="input", default="-", help="CSV file, or - (stdin)")
    spikes.add_argument("--out", dest="output", default="-", help="output CSV, or - (stdout)")
    spikes.add_argument(
        "--counts",
        action="store_true",
        help="the values are counts (mentions, reach): the alerts' settings for them (noise "
        "growing with the level)",
    )
    spikes.set_defaults(func=cmd_detect_spikes)

    rep = sub.add_parser("report", help="a workspace's client report of a period (PDF, CSV, XLSX)")
    rep.add_argument("--workspace", required=True, help="workspace slug")
    rep.add_argument("--from", dest="since", required=True, help="first day, YYYY-MM-DD")
    rep.add_argument("--to", dest="until", required=True, help="last day, YYYY-MM-DD")
    rep.add_argument("--format", choices=["pdf", "csv", "xlsx"], default="pdf")
    rep.add_argument("--out", required=True, help="output file, or - (stdout)")
    rep.add_argument(
        "--language", choices=["fr", "en"], default="", help="default: the workspace's setting"
    )
    rep.add_argument("--comments", default="", help="your comments, printed at the end")
    rep.set_defaults(func=cmd_report)

    sub.add_parser(
        "check", help="check the deployment: settings, database, queue, worker, keys, TLS…"
    ).set_defaults(func=cmd_check)

    backup = sub.add_parser(
        "backup",
        help="a consistent backup (database, files, keys) into one archive, while Parvis runs",
    )
    backup.add_argument(
        "--out", help="archive path or folder (default: PARVIS_BACKUP_DIR or the current folder)"
    )
    backup.add_argument(
        "--without-keys",
        action="store_true",
        help="leave the keys out (no passphrase; credentials must then be re-entered)",
    )
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="restore a backup into an empty data dir and database, then migrate forward; "
        "the keys' passphrase is read from standard input",
    )
    restore.add_argument("path", help="the archive written by `parvis backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace the data already in the target"
    )
    restore.add_argument(
        "--without-keys", action="store_true", help="do not restore the archive's keys"
    )
    restore.set_defaults(func=cmd_restore)

    from parvis.publishing import draw_cli  # stdlib only: anyone can re-run a draw

    contest = sub.add_parser(
        "contest-draw",
        help="a contest's verifiable draw from a CSV of entries, or --verify one",
        description=draw_cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    draw_cli.add_arguments(contest)
    contest.set_defaults(func=draw_cli.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())

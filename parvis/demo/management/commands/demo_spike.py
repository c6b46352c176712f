"""`parvis manage demo_spike`: a new bad buzz in the running demo (the alert comes live)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from parvis.demo.crisis import replay_spike
from parvis.demo.seed import DEMO_SLUG
from parvis.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Store a burst of negative mentions now in the demo workspace: the alerts see it live."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=90, help="mentions (1 to 1000)")
        parser.add_argument("--workspace", default=DEMO_SLUG)

    def handle(self, *args: Any, count: int, workspace: str, **options: Any) -> None:
        if not 1 <= count <= 1000:
            raise CommandError("--count is between 1 and 1000")
        ws = Workspace.objects.filter(slug=workspace).first()
        if ws is None:
            raise CommandError(f"no workspace {workspace!r} (run `parvis demo` first)")
        stored = replay_spike(ws, count)
        self.stdout.write(
            f"{stored} mentions stored in {ws.slug}; the alert follows within a minute."
        )

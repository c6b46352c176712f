"""The demo's publishing: the brand's Bluesky account, connected without a password, that
publishes through the demo's replay connector (its « network » is a table, read back on a
crash like a real one).

The publishing engine picks, for an account, the kind of a source reading through it
(`publishing.engine.connector_class`): the demo's replay source reads through this account,
so posts scheduled on it go to the demo network, never to Bluesky."""

from __future__ import annotations

from typing import Any

from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Source
from parvis.workspaces.models import Workspace

DEMO_HANDLE = "maisonlumiere.bsky.social"


def ensure_demo_publishing(workspace: Workspace, user: Any, source: Source) -> ConnectedAccount:
    """The demo account (added once, also to older demos), read through by the replay source."""
    account = ConnectedAccount.objects.filter(
        workspace=workspace, network="bluesky", handle=DEMO_HANDLE
    ).first()
    if account is None:
        account = do_connect_account(
            workspace,
            user,
            network="bluesky",
            handle=DEMO_HANDLE,
            display_name="Maison Lumière (démo)",
            credentials={"demo": "replay"},
        )
    if source.account_id is None:
        source.account = account
        source.save(update_fields=["account"])
    return account

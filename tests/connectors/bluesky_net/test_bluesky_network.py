"""Parvis's Bluesky sources against a real Bluesky network running on 127.0.0.1 (PLC, PDS and
AppView from @atproto/dev-env; see conftest.py).

Once per module, the network gets a brand account and two users who post: posts naming the
brand ("Maison Lumière"), a reply thread, mentions of the brand account, posts that only look
related, a post deleted before any ingestion, likes and a follow. Then each test connects the
brand's account with an app password, as a person does in Parvis, creates a source and runs
it like the worker does (run_source with the real HTTP client), and checks exactly what was
stored. Parvis's database is fresh for every test; the network keeps its posts.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from parvis.connectors import base, http
from parvis.connectors.services import do_connect_account, do_refresh_credentials
from parvis.listening.models import Mention, MonitoredQuery, SourceStatus
from parvis.listening.pipeline import Summary
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.connectors.bluesky_net import bsky
from tests.connectors.bluesky_net.bsky import Account, PostRef

pytestmark = pytest.mark.django_db

BRAND_QUERY = '"maison lumière"'


@dataclass
class World:
    net: bsky.Network
    brand: Account
    alice: Account
    bob: Account
    brand_app_password: str
    seq_before: int  # the firehose's last event before any of these posts
    # Posts naming the brand: what search and firehose sources must store, no more.
    brand_posts: dict[str, PostRef] = field(default_factory=dict)
    # Replies to and mentions of the brand account: what its notifications source stores.
    brand_notifications: dict[str, PostRef] = field(default_factory=dict)
    # Posts that neither name the brand nor reply to, mention or quote its account.
    others: dict[str, PostRef] = field(default_factory=dict)
    deleted: dict[str, PostRef] = field(default_factory=dict)

    def uris(self, posts: dict[str, PostRef]) -> set[str]:
        return {p.uri for p in posts.values()}


@pytest.fixture(scope="module")
def world(bluesky_net: bsky.Network, xrpc_http) -> World:
    net, h = bluesky_net, xrpc_http
    brand = bsky.create_account(h, net, "maisonlumiere")
    alice = bsky.create_account(h, net, "alice")
    bob = bsky.create_account(h, net, "bob")
    w = World(
        net=net,
        brand=brand,
        alice=alice,
        bob=bob,
        brand_app_password=bsky.create_app_password(h, net, brand, "Parvis"),
        seq_before=bsky.firehose_seq(net),
    )
    post = lambda author, text, **kw: bsky.create_post(h, net, author, text, **kw)  # noqa: E731

    # The brand's own announcement, a user's reply to it, and a thread between users.
    launch = post(brand, "Nouvelle collection Maison Lumière : bougies d'hiver en atelier.")
    w.brand_posts["launch"] = launch
    w.brand_notifications["reply_to_launch"] = post(
        bob, "Magnifique, j'en veux une pour Noël !", reply_to=launch
    )
    first = post(alice, "Les bougies de Maison Lumière sentent divinement bon 🕯️")
    w.brand_posts["first"] = first
    w.brand_posts["answer"] = post(
        bob, "Tout à fait d'accord, MAISON LUMIERE fait les meilleures.", reply_to=first
    )
    w.brand_posts["answer_to_answer"] = post(
        alice,
        "Et le diffuseur de maison lumière aussi !",
        reply_to=w.brand_posts["answer"],
        root=first,
    )
    w.brand_posts["workshop"] = post(bob, "Atelier Maison Lumière à Lyon samedi, qui vient ?")
    # A mention of the brand's account (a facet), without its name spelled out.
    w.brand_notifications["mention"] = post(
        alice,
        f"Colis reçu, merci @{brand.handle} !",
        mentions={brand.handle: brand.did},
    )
    w.brand_notifications["quote"] = post(alice, "Regardez ce qui arrive !", quote=launch)
    # Not about the brand: its two words apart, another subject, the brand's own small talk.
    w.others["words_apart"] = post(alice, "Une maison en pierre pleine de lumière.")
    w.others["weather"] = post(bob, "Il pleut sur Lyon aujourd'hui.")
    w.others["brand_answers_alice"] = post(
        brand, "Avec plaisir Alice, à bientôt !", reply_to=w.brand_notifications["mention"]
    )
    # Deleted before Parvis reads anything: never to be stored, by any mode.
    gone = post(bob, "Maison Lumière : promo flash, dernière minute !")
    gone_mention = post(
        bob, f"@{brand.handle} vous livrez en Belgique ?", mentions={brand.handle: brand.did}
    )
    # Notifications of other kinds, which a notifications source leaves out.
    bsky.like(h, net, alice, launch)
    bsky.follow(h, net, alice, brand)

    bsky.wait_for_posts(h, net, gone, gone_mention)
    for ref in (gone, gone_mention):
        bsky.delete_post(h, net, bob, ref)
        bsky.wait_until_gone(h, net, ref)
    w.deleted = {"brand_post": gone, "mention": gone_mention}
    everything = [*w.brand_posts.values(), *w.brand_notifications.values(), *w.others.values()]
    bsky.wait_for_posts(h, net, *everything)
    bsky.wait_for_search(h, net, BRAND_QUERY, *w.brand_posts.values())
    bsky.wait_for_notifications(h, net, brand, *w.brand_notifications.values())
    return w


# --- Parvis's side ---------------------------------------------------------------------------


@pytest.fixture
def brand_query(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression=BRAND_QUERY
    )


@pytest.fixture
def brand_account(workspace, owner, world):
    """The brand's account connected as a person does: handle + app password, checked by the
    connector against the PDS, stored encrypted."""
    connector = base.get("bluesky")
    with http.client() as client:
        info = connector.login(
            client,
            {
                "handle": world.brand.handle,
                "app_password": world.brand_app_password,
                "service_url": world.net.pds,
            },
        )
    assert info.handle == world.brand.handle
    assert info.credentials["did"] == world.brand.did
    return do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle=info.handle,
        display_name=info.display_name,
        credentials=info.credentials,
    )


def network_config(world: World, mode: str, **extra) -> dict:
    return {
        "mode": mode,
        "service_url": world.net.pds,
        "appview_url": world.net.appview,
        "appview_did": world.net.appview_proxy,
        "firehose_url": world.net.firehose,
        **extra,
    }


def stored(workspace) -> dict[str, Mention]:
    mentions = Mention.objects.filter(workspace=workspace).select_related("author")
    return {m.external_id: m for m in mentions}


def run(source) -> Summary:
    summary = run_source(source.pk)
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    return summary


def assert_thread(mentions: dict[str, Mention], world: World) -> None:
    """Replies point at their parent and at the thread's first post."""
    first, answer = world.brand_posts["first"].uri, world.brand_posts["answer"].uri
    deeper = mentions[world.brand_posts["answer_to_answer"].uri]
    assert (deeper.parent_external_id, deeper.root_external_id) == (answer, first)
    direct = mentions[answer]
    assert (direct.parent_external_id, direct.root_external_id) == (first, first)
    top = mentions[first]
    assert (top.parent_external_id, top.root_external_id) == ("", "")


def test_search_stores_exactly_the_posts_naming_the_brand(
    workspace, brand_query, brand_account, world
):
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : recherche",
        config=network_config(world, "search"),
        account=brand_account,
    )
    run(source)
    mentions = stored(workspace)
    assert set(mentions) == world.uris(world.brand_posts)
    assert_thread(mentions, world)
    first = mentions[world.brand_posts["first"].uri]
    assert first.text == "Les bougies de Maison Lumière sentent divinement bon 🕯️"
    assert first.author.handle == world.alice.handle
    assert first.lang == "fr" and first.network == "bluesky"
    assert first.url.endswith(world.brand_posts["first"].rkey)
    assert first.published_at.tzinfo is not None
    assert first.matches.filter(query=brand_query).exists()

    # Stopped and run again: nothing new on the network, nothing stored twice.
    cursor = source.cursor
    assert run(source).stored == 0
    assert set(stored(workspace)) == set(mentions)
    assert source.cursor == cursor


def test_search_without_an_account_asks_the_appview(workspace, brand_query, world):
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : recherche publique",
        config=network_config(world, "search"),
    )
    run(source)
    assert set(stored(workspace)) == world.uris(world.brand_posts)


def test_search_for_the_brand_handle_finds_its_posts_and_mentions(workspace, brand_account, world):
    # "@handle" means posts by that account or mentioning it: searched, and read from its feed.
    MonitoredQuery.objects.create(
        workspace=workspace,
        name="Compte",
        kind="brand",
        expression=f"@{world.brand.handle}",
    )
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : compte",
        config=network_config(world, "search"),
        account=brand_account,
    )
    run(source)
    by_the_brand = {world.brand_posts["launch"], world.others["brand_answers_alice"]}
    expected = {p.uri for p in by_the_brand} | {world.brand_notifications["mention"].uri}
    assert set(stored(workspace)) == expected


def test_search_run_again_takes_only_what_is_new(
    workspace, brand_query, brand_account, world, xrpc_http
):
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : recherche",
        config=network_config(world, "search"),
        account=brand_account,
    )
    run(source)
    before = stored(workspace)
    newer = bsky.create_post(
        xrpc_http, world.net, world.bob, "Je viens de commander chez Maison Lumière."
    )
    world.brand_posts["newer"] = newer
    bsky.wait_for_search(xrpc_http, world.net, BRAND_QUERY, newer)
    assert run(source).stored == 1
    after = stored(workspace)
    assert set(after) == set(before) | {newer.uri}
    assert after[newer.uri].ingested_at > max(m.ingested_at for m in before.values())
    assert source.cursor["terms"]  # where each search stopped, kept for the next run


def firehose_source(workspace, world: World, **config):
    """A stream source that was already reading when the world's posts were made. Each page
    reads the stream for 2 s (or `max_events`): replaying the world takes milliseconds, and
    a window that ended early would let a run stop before the deletions."""
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : firehose",
        config=network_config(world, "firehose", window_seconds=2, **config),
    )
    source.cursor = {"seq": world.seq_before}
    source.save(update_fields=["cursor"])
    return source


def test_firehose_stores_exactly_the_posts_naming_the_brand(workspace, brand_query, world):
    source = firehose_source(workspace, world)  # one page: the whole stream since seq_before
    run(source)
    mentions = stored(workspace)
    # The post deleted before ingestion is in the stream twice, created then deleted.
    assert set(mentions) == world.uris(world.brand_posts)
    assert_thread(mentions, world)
    assert mentions[world.brand_posts["workshop"].uri].author.handle == world.bob.handle
    cursor = source.cursor
    assert cursor["seq"] > world.seq_before and not cursor.get("pending")

    # Stopped and run again: the stream resumes after the last event read.
    assert run(source).stored == 0
    assert set(stored(workspace)) == set(mentions)
    assert source.cursor == cursor


def test_firehose_page_by_page(workspace, brand_query, world):
    # Pages of 4 events: a run reads several, each committed with the cursor after it, and a
    # post created on one page and deleted on a later one is still never stored.
    source = firehose_source(workspace, world, max_events=4)
    run(source)
    mentions = stored(workspace)
    assert set(mentions) == world.uris(world.brand_posts)
    assert_thread(mentions, world)
    cursor = source.cursor
    assert run(source).stored == 0
    assert set(stored(workspace)) == set(mentions)
    assert source.cursor == cursor


def test_notifications_store_the_replies_and_mentions_of_the_brand(workspace, brand_account, world):
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : notifications",
        config=network_config(world, "notifications"),
        account=brand_account,
    )
    run(source)
    mentions = stored(workspace)
    # Replies, mentions and quotes of our account are kept, query or not; likes and follows
    # are not posts, and the mention deleted before ingestion is not there.
    assert set(mentions) == world.uris(world.brand_notifications)
    reply = mentions[world.brand_notifications["reply_to_launch"].uri]
    launch = world.brand_posts["launch"].uri
    assert (reply.parent_external_id, reply.root_external_id) == (launch, launch)
    assert reply.author.handle == world.bob.handle
    mention = mentions[world.brand_notifications["mention"].uri]
    assert mention.text == f"Colis reçu, merci @{world.brand.handle} !"

    cursor = source.cursor
    assert run(source).stored == 0
    assert set(stored(workspace)) == set(mentions)
    assert source.cursor == cursor


@pytest.mark.parametrize("mode", ["search", "notifications"])
def test_small_pages_follow_the_services_cursors(
    workspace, brand_query, brand_account, world, mode
):
    # One or two results a request: a run walks the AppView's own page cursors to the end.
    source = do_create_source(
        workspace,
        kind="bluesky",
        name=f"Bluesky : {mode}",
        config=network_config(world, mode, page_size=1 if mode == "notifications" else 2),
        account=brand_account,
    )
    run(source)
    expected = world.brand_posts if mode == "search" else world.brand_notifications
    assert set(stored(workspace)) == world.uris(expected)
    assert run(source).stored == 0


def test_posts_deleted_before_ingestion_are_not_stored(
    workspace, brand_query, brand_account, world
):
    for mode in ("search", "notifications"):
        source = do_create_source(
            workspace,
            kind="bluesky",
            name=f"Bluesky : {mode}",
            config=network_config(world, mode),
            account=brand_account,
        )
        run(source)
    uris = set(stored(workspace))
    assert uris  # the sources did read
    assert not uris & world.uris(world.deleted)
    assert not uris & world.uris(world.others)


def listening_addresses(pid: int) -> set[str]:
    """The local addresses of the TCP sockets process `pid` listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    addresses = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.add(fields[1].rsplit(":", 1)[0])
    return addresses


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux's /proc")
def test_the_network_listens_on_loopback_only(bluesky_net):
    # PLC, PDS, AppView, ozone and the AppView's internal services all called listen(port);
    # loopback.js binds them to 127.0.0.1 (0100007F in /proc) instead of every interface.
    assert listening_addresses(bluesky_net.pid) == {"0100007F"}


def refused(token: str) -> str:
    """The same access token with its signature broken: the PDS answers 400 InvalidToken, as
    for one that expired or was revoked."""
    return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")


def test_a_refused_session_is_refreshed_and_kept(workspace, brand_account, world):
    credentials = brand_account.credentials()
    do_refresh_credentials(brand_account, {"access_jwt": refused(credentials["access_jwt"])})
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : notifications",
        config=network_config(world, "notifications"),
        account=brand_account,
    )
    run(source)
    assert set(stored(workspace)) == world.uris(world.brand_notifications)
    brand_account.refresh_from_db()
    renewed = brand_account.credentials()
    # A new session was kept: the refused token replaced (by one that may equal the first,
    # signed within the same second), the refresh token rotated by refreshSession.
    assert renewed["access_jwt"] != refused(credentials["access_jwt"])
    assert renewed["refresh_jwt"] != credentials["refresh_jwt"]


def test_a_revoked_app_password_pauses_the_source_with_what_to_do(
    workspace, owner, world, xrpc_http
):
    # An account of its own: revoking the brand's app password would break the other tests.
    shop = bsky.create_account(xrpc_http, world.net, "boutique")
    password = bsky.create_app_password(xrpc_http, world.net, shop, "Parvis")
    with http.client() as client:
        info = base.get("bluesky").login(
            client, {"handle": shop.handle, "app_password": password, "service_url": world.net.pds}
        )
    account = do_connect_account(
        workspace, owner, network="bluesky", handle=info.handle, credentials=info.credentials
    )
    bsky.xrpc(
        xrpc_http,
        world.net.pds,
        "com.atproto.server.revokeAppPassword",
        body={"name": "Parvis"},
        headers=shop.auth,
    )
    # Its access token lives on until it expires; expired, it is refused like this one.
    do_refresh_credentials(account, {"access_jwt": refused(info.credentials["access_jwt"])})
    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : notifications",
        config=network_config(world, "notifications"),
        account=account,
    )
    run_source(source.pk)
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED
    assert "app password" in source.last_error
    assert password not in source.last_error


# --- the inbox: a reply sent through the network, exactly once --------------------------------


class Crash(BaseException):
    """The worker dies between the network's answer and the database commit."""


def test_inbox_reply_reaches_the_thread_once_despite_a_crash(
    workspace, brand_account, owner, world, xrpc_http
):
    import datetime as dt

    from django.utils import timezone

    from parvis.inbox import intake, sending
    from parvis.inbox.models import Conversation, Direction, Reply, ReplyState

    source = do_create_source(
        workspace,
        kind="bluesky",
        name="Bluesky : notifications",
        config=network_config(world, "notifications"),
        account=brand_account,
    )
    run(source)
    intake.take_pending(workspace)
    question = world.brand_notifications["reply_to_launch"]
    conversation = Conversation.objects.get(messages__external_id=question.uri)
    assert conversation.author.handle == world.bob.handle
    queued = sending.do_queue_reply(
        conversation, owner, "Merci Bob ! Elle vous attend en boutique.", force=True
    )
    reply = queued.reply
    assert reply is not None

    def crash(sent):
        raise Crash

    with pytest.raises(Crash):
        sending.send_reply(reply.pk, after_send=crash)
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENDING
    # The worker restarts; once the claim has expired the reply is read back, not re-posted.
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert reply.pk in sending.due_replies(later)
    assert sending.send_reply(reply.pk, now=later) == ReplyState.SENT
    reply.refresh_from_db()
    assert reply.external_id.startswith(f"at://{world.brand.did}/app.bsky.feed.post/")

    def brand_replies() -> list[dict]:
        thread = bsky.xrpc(
            xrpc_http,
            world.net.appview,
            "app.bsky.feed.getPostThread",
            params={"uri": question.uri, "depth": 2},
        )["thread"]
        return [
            r["post"]
            for r in thread.get("replies") or []
            if r["post"]["author"]["did"] == world.brand.did
        ]

    posts = bsky.wait_until(lambda: brand_replies() or None, "the brand's reply in the AppView")
    assert len(posts) == 1
    record = posts[0]["record"]
    assert posts[0]["uri"] == reply.external_id
    assert record["text"] == "Merci Bob ! Elle vous attend en boutique."
    assert record["reply"]["parent"]["uri"] == question.uri
    assert record["reply"]["root"]["uri"] == world.brand_posts["launch"].uri
    out = conversation.messages.get(direction=Direction.OUT)
    assert out.external_id == reply.external_id and out.member == owner
    assert Reply.objects.filter(state=ReplyState.SENT).count() == 1

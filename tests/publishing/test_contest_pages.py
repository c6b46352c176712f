"""Contests: the entries (replies stored by listening, read through listening.replies), the
committed seed, the draw once, the exports checked by `parvis contest-draw --verify`, and the
pages."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from parvis.connectors.base import Incoming
from parvis.connectors.services import do_connect_account
from parvis.listening import pipeline
from parvis.listening.models import Mention, Source
from parvis.listening.replies import replies_to
from parvis.publishing import contest_services, contests, draw_cli
from parvis.publishing.models import Contest, ContestEntry, EventKind, PostEvent, Status, Variant
from parvis.publishing.services import do_create_post
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.listening.factories import mention
from tests.publishing.pubcore_fixtures import network  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages are asserted in English (French is the default language); each
    page request still takes its language from the request."""
    from django.utils import translation

    with translation.override("en"):
        yield


POST_ID = "at://did:plc:brand/app.bsky.feed.post/contest1"
T0 = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
CLOSES = T0 + dt.timedelta(days=1)


@pytest.fixture
def bluesky(workspace, owner):
    return do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle="lumiere.bsky.social",
        credentials={"app_password": "x"},
    )


def publish(workspace, owner, account, external_id=POST_ID, text="Concours ! #GagneTaBougie"):
    post = do_create_post(workspace, owner, text, variants={account.pk: ""})
    Variant.objects.filter(post=post).update(
        status=Status.PUBLISHED,
        external_id=external_id,
        url="https://bsky.app/profile/lumiere.bsky.social/post/contest1",
        published_at=T0,
    )
    Post = type(post)
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHED)
    return Variant.objects.get(post=post)


@pytest.fixture
def variant(workspace, owner, bluesky):
    return publish(workspace, owner, bluesky)


def reply(n, handle, text, minutes, *, parent=POST_ID, did=None, followed=None):
    """A Bluesky reply as the notifications source maps it, with the post view as payload."""
    did = did or f"did:plc:{handle.split('.')[0]}"
    uri = f"at://{did}/app.bsky.feed.post/r{n:04d}"
    viewer: dict = {"muted": False}
    if followed:
        viewer["followedBy"] = f"at://{did}/app.bsky.graph.follow/f{n}"
    data = mention(
        n,
        external_id=uri,
        url=f"https://bsky.app/profile/{handle}/post/r{n:04d}",
        author={"handle": handle, "name": handle, "followers": 10},
        text=text,
        created_at=(T0 + dt.timedelta(minutes=minutes)).isoformat(),
        parent_id=parent,
        root_id=POST_ID,
    )
    view = {"uri": uri, "author": {"did": did, "handle": handle, "viewer": viewer}}
    return Incoming(data=data, payload=view)


def store(workspace, items, source=None):
    summary = pipeline.run(workspace, items, source=source)
    assert summary.stored == len(items)


@pytest.fixture
def notifications(workspace, bluesky):
    return Source.objects.create(
        workspace=workspace,
        kind="bluesky",
        name="notifications",
        config={"mode": "notifications"},
        account=bluesky,
    )


@pytest.fixture
def entries(workspace, notifications):
    """Six replies: two by Alice, one late, one without the hashtag, one by the brand, and a
    reply to a reply (not an entry)."""
    store(
        workspace,
        [
            reply(1, "alice.bsky.social", "Je participe #GagneTaBougie", 5, followed=True),
            reply(2, "bob.bsky.social", "Moi aussi ! #gagnetabougie", 10, followed=False),
            reply(3, "alice.bsky.social", "Encore moi #GagneTaBougie", 20, followed=True),
            reply(4, "carla.bsky.social", "J'adore, sans hashtag", 30, followed=True),
            reply(5, "dan.bsky.social", "Trop tard #GagneTaBougie", 60 * 25, followed=True),
            reply(
                6,
                "lumiere.bsky.social",
                "Engagement : abc #GagneTaBougie",
                1,
                did="did:plc:brand",
            ),
            reply(
                7,
                "eve.bsky.social",
                "Réponse à Alice #GagneTaBougie",
                40,
                parent="at://did:plc:alice/app.bsky.feed.post/r0001",
            ),
            reply(8, "fanny.bsky.social", "Pour moi #GagneTaBougie", 50, followed=True),
        ],
        source=notifications,
    )


def create(variant, owner, **rules):
    defaults = {"name": "Bougie de Noël", "closes_at": CLOSES, "winners": 1, "reserves": 1}
    defaults.update(rules)
    return contest_services.do_create_contest(variant, owner, now=T0, **defaults)


# --- the public listening function ------------------------------------------------------------


def test_replies_to_reads_the_direct_replies_stored_by_listening(
    workspace, other_workspace, variant, entries, bluesky
):
    found = replies_to(workspace, "bluesky", POST_ID, account_id=bluesky.pk)
    assert [r.reply_id.rsplit("/", 1)[1] for r in found] == [
        "r0006",
        "r0001",
        "r0002",
        "r0003",
        "r0004",
        "r0008",
        "r0005",
    ]
    by_id = {r.reply_id.rsplit("/", 1)[1]: r for r in found}
    assert by_id["r0001"].author_id == "did:plc:alice"
    assert by_id["r0001"].handle == "alice.bsky.social"
    assert by_id["r0001"].follows is True
    assert by_id["r0002"].follows is False
    assert by_id["r0006"].own is True and by_id["r0001"].own is False
    # Following is read only from what the contest's own account fetched.
    assert all(r.follows is None for r in replies_to(workspace, "bluesky", POST_ID))
    assert replies_to(other_workspace, "bluesky", POST_ID) == []
    assert len(replies_to(workspace, "bluesky", POST_ID, limit=2)) == 2


# --- creating ---------------------------------------------------------------------------------


def test_creation_commits_to_a_seed_it_does_not_show(variant, owner):
    contest = create(variant, owner)
    assert contest.seed == ""
    assert len(contest.commitment) == 64
    seed = contest_services._seed(contest)
    assert hashlib.sha256(seed.encode()).hexdigest() == contest.commitment
    assert seed not in bytes(contest.sealed_seed).decode("latin-1")
    logged = PostEvent.objects.get(kind=EventKind.CONTEST_CREATED)
    assert logged.details["commitment"] == contest.commitment
    assert seed not in json.dumps(logged.details) + logged.message


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"closes_at": T0 - dt.timedelta(minutes=1)}, "closes_at"),
        ({"closes_at": dt.datetime(9999, 1, 1, tzinfo=dt.UTC)}, "closes_at"),
        ({"closes_at": dt.datetime(2030, 1, 1)}, "closes_at"),
        ({"winners": 0}, "winners"),
        ({"winners": 2**64}, "winners"),
        ({"reserves": -1}, "reserves"),
        ({"required_hashtag": "#deux mots"}, "required_hashtag"),
        ({"name": "  "}, "name"),
        ({"name": "a\ud800"}, "name"),
        ({"excluded_handles": ["x" * 301]}, "excluded_handles"),
    ],
)
def test_bad_rules_are_refused_clearly(variant, owner, rules, field):
    with pytest.raises(ValidationError) as caught:
        create(variant, owner, **rules)
    assert field in caught.value.message_dict
    assert not Contest.objects.exists()


def test_a_contest_needs_a_published_post(workspace, owner, bluesky):
    post = do_create_post(workspace, owner, "Brouillon", variants={bluesky.pk: ""})
    with pytest.raises(ValidationError):
        create(post.variants.get(), owner)


# --- the draw ---------------------------------------------------------------------------------


def test_draw_before_the_close_is_refused(variant, owner, entries):
    contest = create(variant, owner)
    with pytest.raises(ValidationError, match="still open"):
        contest_services.do_draw_contest(contest, owner, now=CLOSES - dt.timedelta(seconds=1))
    contest.refresh_from_db()
    assert contest.drawn_at is None and contest.seed == ""
    assert not ContestEntry.objects.exists()


def test_draw_applies_the_rules_and_reveals_the_seed(variant, owner, entries):
    contest = create(
        variant,
        owner,
        required_hashtag="#GagneTaBougie",
        must_follow=True,
        excluded_handles=["@Fanny.bsky.social"],
        winners=1,
        reserves=5,
    )
    contest_services.do_draw_contest(contest, owner, now=CLOSES + dt.timedelta(hours=1))
    contest.refresh_from_db()
    rows = {r.author_handle + r.entry_id[-5:]: r for r in ContestEntry.objects.all()}
    reasons = {k: r.reason_code for k, r in rows.items()}
    assert reasons == {
        "alice.bsky.socialr0001": "",
        "alice.bsky.socialr0003": "duplicate",
        "bob.bsky.socialr0002": "not_following",
        "carla.bsky.socialr0004": "missing_hashtag",
        "dan.bsky.socialr0005": "late",
        "fanny.bsky.socialr0008": "excluded",
    }
    # The brand's own reply and the reply to a reply are not entries.
    assert all("r0006" not in k and "r0007" not in k for k in rows)
    alice = rows["alice.bsky.socialr0001"]
    assert alice.entry_id == "bluesky:at://did:plc:alice/app.bsky.feed.post/r0001"
    assert alice.author_id == "bluesky:did:plc:alice"
    assert alice.winner_rank == 1 and alice.url.startswith("https://bsky.app/")
    assert contest.result["winners"] == [alice.entry_id]
    assert contest.result["reserves"] == []
    assert contests.commit(contest.seed) == contest.commitment
    assert contest.result["rules"]["must_follow"] is True
    drawn = PostEvent.objects.get(kind=EventKind.CONTEST_DRAWN)
    assert drawn.details["winners"] == [alice.entry_id]


def test_a_second_draw_is_refused(variant, owner, entries):
    contest = create(variant, owner)
    after = CLOSES + dt.timedelta(hours=1)
    contest_services.do_draw_contest(contest, owner, now=after)
    first = dict(Contest.objects.values("seed", "result", "drawn_at").get())
    with pytest.raises(ValidationError, match="already been drawn"):
        contest_services.do_draw_contest(contest, owner, now=after + dt.timedelta(hours=1))
    assert dict(Contest.objects.values("seed", "result", "drawn_at").get()) == first


def test_two_workers_holding_the_undrawn_contest_draw_once(variant, owner, entries):
    """Two clicks, two workers: each loaded the contest before either drew. The conditional
    UPDATE lets one through; the other is refused and writes nothing."""
    first = Contest.objects.get(pk=create(variant, owner).pk)
    second = Contest.objects.get(pk=first.pk)
    after = CLOSES + dt.timedelta(hours=1)
    contest_services.do_draw_contest(first, owner, now=after)
    with pytest.raises(ValidationError, match="already been drawn"):
        contest_services.do_draw_contest(second, owner, now=after)
    assert ContestEntry.objects.count() == 6
    assert PostEvent.objects.filter(kind=EventKind.CONTEST_DRAWN).count() == 1


def test_a_failed_draw_leaves_the_contest_drawable(variant, owner, entries, monkeypatch):
    contest = create(variant, owner)

    def broken(*args, **kwargs):
        raise contests.DrawError("boom")

    monkeypatch.setattr(contests, "draw", broken)
    with pytest.raises(ValidationError):
        contest_services.do_draw_contest(contest, owner, now=CLOSES + dt.timedelta(hours=1))
    monkeypatch.undo()
    assert Contest.objects.get().drawn_at is None
    contest_services.do_draw_contest(
        Contest.objects.get(), owner, now=CLOSES + dt.timedelta(hours=1)
    )
    assert Contest.objects.get().drawn_at is not None


def test_follow_rule_not_checked_where_the_network_cannot_tell(workspace, owner, network):  # noqa: F811
    from tests.publishing.pubcore_helpers import threads_account

    account = threads_account(workspace, owner)
    threads = publish(workspace, owner, account, external_id="t-contest")
    contest = create(threads, owner, must_follow=True)
    assert contest_services.follow_checked(contest) is False
    assert contest_services.effective_rules(contest).must_follow is False
    store(
        workspace,
        [
            Incoming(
                data=mention(
                    1,
                    network="threads",
                    external_id="-t1",
                    author={"handle": "zoe"},
                    text="Je joue",
                    created_at=(T0 + dt.timedelta(minutes=3)).isoformat(),
                    parent_id="t-contest",
                )
            )
        ],
    )
    contest_services.do_draw_contest(contest, owner, now=CLOSES + dt.timedelta(hours=1))
    entry = ContestEntry.objects.get()
    # An id starting like a spreadsheet formula is prefixed by the network: the CSV keeps it.
    assert entry.entry_id == "threads:-t1" and entry.eligible and entry.winner_rank == 1
    exported = json.loads(contest_services.export(Contest.objects.get(), "json"))
    assert exported["contest"]["must_follow_asked"] is True
    assert exported["contest"]["must_follow_checked"] is False


# --- exports ----------------------------------------------------------------------------------


def test_exports_verify_and_survive_a_deleted_reply(variant, owner, entries, tmp_path, capsys):
    contest = create(variant, owner, required_hashtag="GagneTaBougie", reserves=2)
    contest_services.do_draw_contest(contest, owner, now=CLOSES + dt.timedelta(hours=1))
    contest.refresh_from_db()
    document = json.loads(contest_services.export(contest, "json"))
    assert document["contest"]["commitment"] == contest.commitment
    assert contests.verify(document["draw"])
    csv_text = contest_services.export(contest, "csv")
    # A reply deleted after the draw: the exports do not move.
    Mention.objects.filter(external_id__endswith="r0001").delete()
    assert contest_services.export(contest, "csv") == csv_text
    assert json.loads(contest_services.export(contest, "json")) == document
    # And the command anyone can run agrees.
    (tmp_path / "draw.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "entries.csv").write_text(csv_text, encoding="utf-8")
    parser = argparse.ArgumentParser()
    draw_cli.add_arguments(parser)
    args = parser.parse_args(
        ["--verify", str(tmp_path / "draw.json"), "--entries", str(tmp_path / "entries.csv")]
    )
    assert draw_cli.run(args) == draw_cli.EXIT_OK, capsys.readouterr().err
    assert "verified" in capsys.readouterr().out
    # A forged winner is caught.
    document["draw"]["winners"] = document["draw"]["reserves"][:1]
    (tmp_path / "draw.json").write_text(json.dumps(document), encoding="utf-8")
    assert draw_cli.run(args) == draw_cli.EXIT_NOT_VERIFIED


def test_export_before_the_draw_shows_the_commitment_not_the_seed(variant, owner, entries):
    contest = create(variant, owner)
    document = json.loads(contest_services.export(contest, "json"))
    seed = contest_services._seed(contest)
    assert document["contest"]["commitment"] == contest.commitment
    assert "draw" not in document
    assert seed not in json.dumps(document)
    assert len(document["entries"]) == 6
    assert seed not in contest_services.export(contest, "csv")


# --- pages ------------------------------------------------------------------------------------


def page(client, name, workspace, *args, lang="fr"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return reverse(f"publishing:{name}", args=[workspace.slug, *args])


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            ["Calendrier", "Le hashtag\u00a0#GagneTaBougie manque", "après la clôture du concours"],
        ),
        ("en", ["Calendar", "The hashtag #GagneTaBougie is missing", "after the contest closed"]),
    ],
)
def test_pages_in_both_languages(workspace, owner, variant, entries, lang, words):
    client = login(owner)
    contest = create(variant, owner, required_hashtag="GagneTaBougie")
    listing = client.get(page(client, "contests", workspace, lang=lang))
    assert listing.status_code == 200
    assert words[0] in listing.content.decode()
    detail = client.get(page(client, "contest", workspace, contest.pk, lang=lang))
    body = detail.content.decode()
    assert detail.status_code == 200
    assert contest.commitment in body
    assert words[1] in body and words[2] in body
    assert contest_services._seed(contest) not in body
    new = client.get(page(client, "contest_new", workspace, lang=lang) + f"?variant={variant.pk}")
    assert new.status_code == 200


def test_create_then_draw_through_the_pages(workspace, owner, variant, entries):
    client = login(owner)
    post_page = client.get(page(client, "post", workspace, variant.post_id))
    assert f"?variant={variant.pk}" in post_page.content.decode()
    closes = (timezone.now() + dt.timedelta(days=2)).date()
    response = client.post(
        page(client, "contest_new", workspace),
        {
            "name": "Noël",
            "variant": str(variant.pk),
            "closes_day": closes.isoformat(),
            "closes_time": "12:00",
            "winners": "2",
            "reserves": "1",
            "one_entry_per_person": "on",
            "required_hashtag": "#GagneTaBougie",
            "excluded_handles": "staff.bsky.social, @stagiaire.bsky.social\nautre",
        },
    )
    contest = Contest.objects.get()
    assert response.status_code == 302
    assert contest.excluded_handles == ["staff.bsky.social", "@stagiaire.bsky.social", "autre"]
    assert contest.winners == 2 and contest.closes_at.date() == closes
    # Still open: the page offers no draw and the service refuses it.
    drawn = client.post(page(client, "contest_draw", workspace, contest.pk, lang="en"), follow=True)
    assert "still open" in drawn.content.decode()
    assert Contest.objects.get().drawn_at is None
    Contest.objects.filter(pk=contest.pk).update(closes_at=CLOSES)
    client.post(page(client, "contest_draw", workspace, contest.pk))
    contest.refresh_from_db()
    assert contest.drawn_at is not None
    body = client.get(page(client, "contest", workspace, contest.pk)).content.decode()
    assert contest.seed in body
    assert "parvis contest-draw --verify" in body
    csv_response = client.get(page(client, "contest_csv", workspace, contest.pk))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    json_response = client.get(page(client, "contest_json", workspace, contest.pk))
    assert contests.verify(json.loads(json_response.content)["draw"])


def test_bad_form_input_is_a_clear_400(workspace, owner, variant):
    client = login(owner)
    response = client.post(
        page(client, "contest_new", workspace),
        {
            "name": "<b>x</b>",
            "variant": str(variant.pk),
            "closes_day": "9999-01-01",
            "closes_time": "12:00",
            "winners": str(2**64),
            "reserves": "0",
        },
    )
    assert response.status_code == 400
    assert not Contest.objects.exists()
    past = client.post(
        page(client, "contest_new", workspace, lang="en"),
        {
            "name": "Passé",
            "variant": str(variant.pk),
            "closes_day": (T0 - dt.timedelta(days=1)).date().isoformat(),
            "closes_time": "12:00",
            "winners": "1",
            "reserves": "0",
        },
    )
    assert past.status_code == 400
    assert "the commitment has to be published before" in past.content.decode()


def test_roles_and_isolation(workspace, owner, variant, member_factory, outsider):
    contest = create(variant, owner)
    client_member = login(member_factory(Role.CLIENT))
    assert (
        client_member.get(page(client_member, "contest", workspace, contest.pk)).status_code == 200
    )
    assert client_member.get(page(client_member, "contest_new", workspace)).status_code == 403
    assert (
        client_member.post(page(client_member, "contest_draw", workspace, contest.pk)).status_code
        == 403
    )
    stranger = login(outsider)
    assert stranger.get(page(stranger, "contest", workspace, contest.pk)).status_code == 404
    owner_client = login(owner)
    for name in ("contest", "contest_csv", "contest_json", "contest_draw"):
        method = owner_client.post if name == "contest_draw" else owner_client.get
        assert method(page(owner_client, name, workspace, 2**64)).status_code == 404


def test_another_workspaces_variant_cannot_be_chosen(
    workspace, other_workspace, owner, outsider, variant
):
    rival_account = do_connect_account(
        other_workspace,
        outsider,
        network="bluesky",
        handle="rival.bsky.social",
        credentials={"app_password": "x"},
    )
    theirs = publish(other_workspace, outsider, rival_account, external_id="at://x/y/z")
    client = login(owner)
    response = client.post(
        page(client, "contest_new", workspace),
        {
            "name": "Vol",
            "variant": str(theirs.pk),
            "closes_day": (timezone.now() + dt.timedelta(days=2)).date().isoformat(),
            "closes_time": "12:00",
            "winners": "1",
            "reserves": "0",
        },
    )
    assert response.status_code == 400
    assert not Contest.objects.exists()


def test_html_in_a_reply_is_escaped(workspace, owner, variant, notifications):
    store(
        workspace,
        [reply(1, "mallory.bsky.social", "<script>alert(1)</script><b>gras</b>", 5)],
        source=notifications,
    )
    contest = create(variant, owner)
    client = login(owner)
    body = client.get(page(client, "contest", workspace, contest.pk)).content.decode()
    assert "<script>alert(1)" not in body and "<b>gras" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- two draws at once, for real (PostgreSQL runs them in parallel) ---------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: the stale-object test above covers it there",
)
def test_two_draws_at_the_same_moment_draw_once(variant, owner, entries, monkeypatch):
    import contextlib
    import threading

    from django.db import connections

    contest_pk = create(variant, owner).pk
    barrier = threading.Barrier(2, timeout=5)
    original = contest_services._seed

    def held(contest):
        seed = original(contest)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # both workers are past every check, about to claim the draw
        return seed

    monkeypatch.setattr(contest_services, "_seed", held)
    results: list = [None, None]

    def worker(i):
        from django.utils import translation

        try:
            contest = Contest.objects.get(pk=contest_pk)
            # A thread starts in the default language (French): the message is asserted in English.
            with translation.override("en"):
                results[i] = contest_services.do_draw_contest(
                    contest, owner, now=CLOSES + dt.timedelta(hours=1)
                )
        except ValidationError as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and "already been drawn" in str(refused[0])
    assert ContestEntry.objects.filter(contest_id=contest_pk).count() == 6
    assert PostEvent.objects.filter(kind=EventKind.CONTEST_DRAWN).count() == 1


def test_the_post_page_offers_a_contest_on_published_variants_to_editors(
    workspace, owner, bluesky, variant, member_factory
):
    editor = login(owner)
    assert (
        "start-contest"
        in editor.get(page(editor, "post", workspace, variant.post_id)).content.decode()
    )
    draft = do_create_post(workspace, owner, "Brouillon", variants={bluesky.pk: ""})
    assert (
        "start-contest"
        not in editor.get(page(editor, "post", workspace, draft.pk)).content.decode()
    )
    reader = login(member_factory(Role.CLIENT))
    body = reader.get(page(reader, "post", workspace, variant.post_id)).content.decode()
    assert "start-contest" not in body

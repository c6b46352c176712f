"""Mastodon connector: mapping of documented payloads, every mode against the fake instance
(tests/connectors/fakes/mastodon.py), rate limits, errors and connecting an account."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone, translation

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater, get
from parvis.connectors.mastodon import MastodonConnector, hashtag
from parvis.connectors.mastodon.api import Api, lowered, normalize_instance
from parvis.connectors.mastodon.mapping import incoming, to_mention
from parvis.connectors.mastodon.streaming import sse_events
from parvis.connectors.services import do_connect_account
from parvis.listening import pipeline
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import fetch_context, run_source
from parvis.listening.sources import do_create_source
from tests.connectors.contract.harness import Post
from tests.connectors.fakes.mastodon import HOST, INSTANCE, STREAMING, TOKEN, Fake, Toot

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"


def now() -> dt.datetime:
    # Read at each call, not at import: the stream mode's first catch-up looks back only
    # LOOKBACK_SECONDS from the real clock, and this module may run minutes after collection.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def recent(minutes_ago: float, **kwargs) -> Toot:
    return Toot(created_at=now() - dt.timedelta(minutes=minutes_ago), **kwargs)


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake):
    spec = fake.account()
    return do_connect_account(
        workspace,
        None,
        network="mastodon",
        handle=spec["handle"],
        credentials=spec["credentials"],
    )


@pytest.fixture
def queries(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )
    MonitoredQuery.objects.create(
        workspace=workspace, name="Tag", kind="topic", expression="#bougie"
    )


def make_source(workspace, account=None, **config) -> Source:
    return do_create_source(
        workspace, kind="mastodon", name="Mastodon", config=config, account=account
    )


def run(source: Source, fake: Fake):
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=http.client(transport=fake.transport()))
    source.refresh_from_db()
    return summary


def connector(source: Source, fake: Fake) -> MastodonConnector:
    source = Source.objects.select_related("account", "workspace").get(pk=source.pk)
    return MastodonConnector(source, http.client(transport=fake.transport()))


def paths(fake: Fake) -> list[str]:
    return [r.url.path for r in fake.requests]


# --- mapping the documented entities ----------------------------------------------------------


def test_status_maps_to_a_mention_with_local_ids_and_a_unique_handle():
    data = to_mention(fixture("status.json"), "piaille.example")
    assert data["network"] == "mastodon"
    # The id on the instance we read through, and the reply's parent in the same scheme.
    assert data["external_id"] == "piaille.example:113547261938475829"
    assert data["parent_id"] == "piaille.example:113546000000000001"
    assert data["url"] == "https://mamot.example/@camille/113547261890000001"
    assert data["author"] == {
        "handle": "@camille@mamot.example",
        "name": "Camille ✨",
        "followers": 842,
        "url": "https://mamot.example/@camille",
    }
    assert data["title"] == "Avis bougie"  # the content warning
    assert data["lang"] == "fr" and data["created_at"] == "2026-11-23T08:14:07.000Z"
    assert data["metrics"] == {"likes": 17, "reposts": 3, "replies": 2}
    assert data["text"].startswith("@maisonlumiere J'ai reçu ma bougie #MaisonLumiere")
    assert "divine\xa0!" in data["text"] and "Merci <3" in data["text"]
    assert "alert(1)" not in data["text"] and "<span" not in data["text"]


def test_local_accounts_get_the_instance_in_their_handle():
    status = fixture("search.json")["statuses"][1]
    assert status["account"]["acct"] == "lea_dupont"
    author = to_mention(status, "piaille.example")["author"]
    assert author["handle"] == "@lea_dupont@piaille.example"


def test_a_reblog_is_the_reblogged_status():
    data = to_mention(fixture("reblog.json"), "piaille.example")
    assert data["external_id"] == "piaille.example:113547300000000777"
    assert data["author"]["handle"] == "@lea_dupont@piaille.example"
    assert data["text"] == "Atelier ouvert samedi chez Maison Lumière, venez nombreux\xa0!"
    assert data["metrics"]["reposts"] == 12


def test_status_without_uri_is_quarantined_with_its_reason():
    broken = fixture("search.json")["statuses"][2]
    item = incoming(broken, "piaille.example")
    assert item.data is None and item.error == "status without id or uri"
    assert json.loads(item.raw)["id"] == "113547320000000999"
    assert incoming("nope", HOST).error == "not a status object"


def test_ids_sort_by_length_then_lexically_and_lookback_only_for_snowflakes():
    from parvis.connectors.mastodon.api import newest_of

    assert newest_of("99", "100", None) == "100"
    snow = str((1_764_000_000_000 << 16) + 5)
    assert int(lowered(snow, 60)) == int(snow) - (60_000 << 16)
    assert lowered("34975861", 60) == "34975861"  # notification ids are not snowflakes


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("@maisonlumiere@piaille.example", "https://piaille.example"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_instance_addresses_are_normalised(given, expected):
    assert normalize_instance(given) == expected


@pytest.mark.parametrize("given", ["", "http://mastodon.social", "ftp://x.example", "a b"])
def test_bad_instance_addresses_are_refused(given):
    with pytest.raises(ValueError):
        normalize_instance(given)


def test_sse_events_skip_heartbeats_and_join_data_lines():
    lines = [":thump", "event: update", 'data: {"a":', "data: 1}", "", "event: delete", "data: 7"]
    # The last event has no blank line yet: it is incomplete and not dispatched.
    assert list(sse_events(lines)) == [("update", '{"a":\n1}')]


def test_listening_stops_at_the_window_or_the_event_cap():
    from parvis.connectors.mastodon.streaming import listen

    event = b'event: update\ndata: {"id": "1"}\n\n:thump\n'

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([event] * 1000))

    api = Api(httpx.Client(transport=httpx.MockTransport(endless)), INSTANCE, TOKEN)
    ticks = iter(range(10_000))
    statuses = listen(
        api,
        STREAMING,
        "/api/v1/streaming/public",
        {},
        window=20,
        max_events=500,
        clock=lambda: next(ticks),
    )
    assert 3 <= len(statuses) <= 10  # one tick per line: 20 ticks are a few events
    capped = listen(
        api, STREAMING, "/api/v1/streaming/public", {}, window=60, max_events=2, clock=lambda: 0
    )
    assert capped == [{"id": "1"}, {"id": "1"}]


# --- settings ------------------------------------------------------------------------------


def test_validate_config_defaults_and_clear_errors():
    assert MastodonConnector.validate_config({}) == {
        "mode": "search",
        "keep_all": False,
        "backfill_days": 7,
    }
    own = MastodonConnector.validate_config({"mode": "notifications", "keep_all": False})
    assert own["keep_all"] is True  # an unticked box in the form does not drop own activity
    stream = MastodonConnector.validate_config(
        {"mode": "stream", "tag": "#Bougie", "instance_url": "piaille.example", "local": "on"}
    )
    assert stream["tag"] == "Bougie" and stream["instance_url"] == "https://piaille.example"
    assert stream["local"] is True and stream["window_seconds"] == 20
    for bad, message in [
        ({"mode": "firehose"}, "search, stream or notifications"),
        ({"instance_url": "ftp://x"}, r"https://mastodon\.social"),
        ({"mode": "stream", "tag": "two words"}, "letters, digits"),
        ({"mode": "stream", "window_seconds": 3600}, "between 1 and 60"),
        ({"backfill_days": "soon"}, "whole number"),
    ]:
        with translation.override("en"), pytest.raises(ValueError, match=message):
            MastodonConnector.validate_config(bad)
    with pytest.raises(ValueError, match="Choisissez quoi lire\xa0: recherche"):
        MastodonConnector.validate_config({"mode": "firehose"})  # French by default


def test_the_add_source_form_gives_valid_settings(workspace, account):
    from parvis.listening.forms import SourceForm

    def submitted(**fields):
        data = {"name": "Mastodon", "every_minutes": 15, "account": account.pk}
        data.update({f"cfg_{k}": v for k, v in fields.items()})
        form = SourceForm(data, workspace=workspace, connector=MastodonConnector)
        assert form.is_valid(), form.errors
        return MastodonConnector.validate_config(form.config())

    stream = submitted(mode="stream", tag="#bougie", window_seconds=10, backfill_days=7)
    assert (stream["tag"], stream["window_seconds"], stream["keep_all"]) == ("bougie", 10, False)
    own = submitted(mode="notifications", backfill_days=30)  # the keep-all box left unticked
    assert own["keep_all"] is True and "tag" not in own
    other = submitted(mode="search", instance_url="piaille.example", keep_all="on")
    assert other["instance_url"] == "https://piaille.example" and other["keep_all"] is True


def test_registered_with_oauth_and_its_settings():
    cls = get("mastodon")
    assert cls is MastodonConnector and cls.network == "mastodon" and cls.auth == "oauth2"
    assert [f.name for f in cls.account_fields()] == ["instance_url"]
    assert {"mode", "instance_url", "keep_all"} <= {f.name for f in cls.settings_fields}
    assert hashtag("#bougie") == "bougie" and hashtag("#maison lumiere") is None


# --- search mode -------------------------------------------------------------------------------


def test_search_reads_words_by_search_and_hashtags_by_their_timeline(
    workspace, queries, account, fake
):
    brand = recent(30, text="Maison Lumière, la plus belle bougie")
    tagged = recent(20, text="Soirée cosy #Bougie", author="camille@mamot.example")
    other = recent(10, text="Rien à voir")
    fake.publish(brand, tagged, other)
    source = make_source(workspace, account)
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 2
    assert set(Mention.objects.values_list("external_id", flat=True)) == {
        fake.external_id(brand),
        fake.external_id(tagged),
    }
    searches = [r for r in fake.requests if r.url.path == "/api/v2/search"]
    query = parse_qs(searches[0].url.query.decode())
    assert query["q"] == ['"maison lumiere"'] and query["type"] == ["statuses"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    assert "/api/v1/timelines/tag/bougie" in paths(fake)
    author = Mention.objects.get(external_id=fake.external_id(tagged)).author
    assert author.handle == "@camille@mamot.example"
    assert set(source.cursor["terms"]) == {'"maison lumiere"', "#bougie"}
    assert source.cursor["queue"] == []


def test_a_lone_handle_is_not_searched(workspace, account, fake):
    MonitoredQuery.objects.create(workspace=workspace, name="Nous", expression="@maisonlumiere")
    source = make_source(workspace, account)
    summary = run(source, fake)
    assert summary.read == 0 and fake.requests == [] and source.status == SourceStatus.OK
    reader = connector(source, fake)
    result = reader.fetch({}, fetch_context(source, reader))
    assert result.notes["skipped_terms"] == ["@maisonlumiere"]


def test_a_hashtag_nobody_used_yet_is_not_an_error(workspace, queries, account, fake):
    run_summary = run(make_source(workspace, account), fake)
    assert run_summary.stored == 0
    assert Source.objects.get().status == SourceStatus.OK


def test_without_account_only_hashtags_are_read_and_no_token_is_sent(workspace, queries, fake):
    fake.publish(recent(5, text="#bougie Maison Lumière"))
    source = make_source(workspace, instance_url=INSTANCE)
    assert run(source, fake).stored == 1
    assert paths(fake) == ["/api/v1/timelines/tag/bougie"] * 2
    assert not any("Authorization" in r.headers for r in fake.requests)


def test_words_without_account_pause_the_source_with_what_to_do(workspace, fake):
    MonitoredQuery.objects.create(workspace=workspace, name="Marque", expression="lumiere")
    source = make_source(workspace, instance_url=INSTANCE)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and fake.requests == []
    assert "needs a connected account" in source.last_error


def test_the_token_never_goes_to_another_instance(workspace, queries, account, fake):
    source = make_source(workspace, account, instance_url="https://other.example")
    run(source, fake)
    assert {r.url.host for r in fake.requests} == {"other.example"}
    assert not any("Authorization" in r.headers for r in fake.requests)


def test_a_crash_mid_sweep_resumes_from_the_stored_position(workspace, queries, account, fake):
    posts = [recent(60 - i, text=f"Maison Lumière n°{i}") for i in range(25)]
    fake.publish(*posts)
    source = make_source(workspace, account)
    reader = connector(source, fake)
    first = reader.fetch({}, fetch_context(source, reader))
    # One page of the first term; its sweep is under way, nothing is "newest" yet.
    state = first.cursor["terms"]['"maison lumiere"']
    assert len(first.items) == 10 and first.more
    assert state["sweep"]["offset"] == 10 and "newest" not in {k for k, v in state.items() if v}
    # That page and its position commit together; then the worker dies. New posts arrive.
    pipeline.run(workspace, first.items, source=source, cursor=first.cursor, keep_unmatched=False)
    later = [recent(1, text="Maison Lumière, tout nouveau")]
    fake.publish(*later)
    summary = run(source, fake)
    # The rest of the sweep: the new post pushed one already stored down (read twice).
    assert (summary.stored, summary.duplicates) == (15, 1)
    assert source.cursor["terms"]['"maison lumiere"'] == {"newest": fake.status_id(posts[-1])}
    # The next sweep starts from the top and finds the new post.
    assert run(source, fake).stored == 1
    assert set(Mention.objects.values_list("external_id", flat=True)) == {
        fake.external_id(p) for p in posts + later
    }


def test_a_late_federated_post_below_the_newest_id_is_still_found(
    workspace, queries, account, fake
):
    fake.publish(recent(10, text="Maison Lumière, premier"))
    source = make_source(workspace, account)
    assert run(source, fake).stored == 1
    # Published 12 minutes ago elsewhere, delivered now: its id is older than the newest seen.
    late = recent(12, text="Maison Lumière, arrivé en retard")
    fake.publish(late)
    assert run(source, fake).stored == 1
    assert Mention.objects.filter(external_id=fake.external_id(late)).exists()


def test_backfill_stops_at_the_configured_window(workspace, queries, account, fake):
    old = Toot(text="Maison Lumière, il y a longtemps", created_at=now() - dt.timedelta(days=9))
    new = recent(60 * 24, text="Maison Lumière, hier")
    fake.publish(old, new)
    source = make_source(workspace, account)
    assert run(source, fake).stored == 1
    assert Mention.objects.get().external_id == fake.external_id(new)


def test_paging_stops_when_the_rate_limit_budget_is_spent(workspace, queries, account, fake):
    fake.publish(*[recent(40 - i, text=f"Maison Lumière {i}") for i in range(25)])
    fake.remaining = 7  # the instance will say 6 left, then 5: the reserve for other sources
    source = make_source(workspace, account)
    summary = run(source, fake)
    assert paths(fake) == ["/api/v2/search", "/api/v1/timelines/tag/bougie"]
    assert summary.stored == 10 and source.status == SourceStatus.OK
    assert source.cursor["queue"] == ['"maison lumiere"']  # the next run goes on from there
    fake.remaining = 300
    assert run(source, fake).stored == 15


def test_429_waits_until_the_documented_reset(workspace, queries, account, fake):
    fake.rate_limit_next(900)
    source = make_source(workspace, account)
    run(source, fake)
    assert source.status == SourceStatus.RETRYING and "rate limit" in source.last_error
    assert (source.next_run_at - source.last_error_at).total_seconds() >= 890


def test_api_errors_are_typed_with_what_to_do():
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    api = Api(client, INSTANCE, "secret-token-xyz", who="@parvis@mastodon.example")

    def answer(status: int, body: dict | None = None, **headers):
        return httpx.Response(
            status,
            json=body,
            headers=headers,
            request=httpx.Request("GET", f"{INSTANCE}/api/v1/notifications"),
        )

    with pytest.raises(PermanentError, match="reconnect the Mastodon account") as refused:
        api.check(answer(401, fixture("error_401.json")))
    assert "The access token is invalid" in str(refused.value)
    assert "secret-token-xyz" not in str(refused.value)
    with pytest.raises(PermanentError, match="no longer exists"):
        api.check(answer(404, fixture("error_404.json")))
    with pytest.raises(PermanentError, match="read permission"):
        api.check(answer(403, fixture("error_403.json")))
    with pytest.raises(RetryLater) as busy:
        api.check(answer(503))
    assert busy.value.retry_after is None
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)).isoformat()
    with pytest.raises(RetryLater) as limited:
        api.check(answer(429, fixture("error_429.json"), **{"X-RateLimit-Reset": reset}))
    assert 110 < limited.value.retry_after <= 120
    with pytest.raises(RetryLater) as unknown_reset:
        api.check(answer(429, fixture("error_429.json")))
    assert unknown_reset.value.retry_after == 300  # one default window


def test_revoked_token_pauses_the_source(workspace, queries, account, fake):
    fake.token = "another"
    source = make_source(workspace, account)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED
    assert "reconnect the Mastodon account" in source.last_error


# --- stream mode ---------------------------------------------------------------------------


def test_stream_catches_up_through_the_timeline_then_listens(workspace, account, fake):
    MonitoredQuery.objects.create(workspace=workspace, name="Marque", expression="lumiere")
    before = recent(2, text="Maison Lumière pendant la pause")
    fake.publish(before, recent(1, text="Sans rapport"))
    live = [recent(0, text="Lumière en direct"), recent(0, text="Autre chose")]
    fake.publish(*live)  # also on the timeline (and read there as duplicates at worst)
    fake.stream(*live)
    source = make_source(workspace, account, mode="stream")
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 2 and summary.skipped >= 2
    assert paths(fake)[:2] == ["/api/v1/timelines/public", "/api/v1/timelines/public"]
    stream = fake.requests[-1]
    assert str(stream.url).startswith(f"{STREAMING}/api/v1/streaming/public")
    assert stream.headers["Authorization"] == f"Bearer {TOKEN}"
    assert source.cursor == {"timeline": {"newest": max(fake.status_id(p) for p in live)}}
    # Next run: nothing new on the timeline, one new status on the stream.
    fake.requests.clear()
    newer = recent(0, text="Lumière encore")
    fake.stream(newer)
    assert run(source, fake).stored == 1
    assert paths(fake)[-1] == "/api/v1/streaming/public"


def test_hashtag_stream_and_its_timeline(workspace, account, fake):
    fake.publish(recent(3, text="#bougie du matin"))
    fake.stream(recent(0, text="#bougie du soir"), recent(0, text="#autre"))
    source = make_source(workspace, account, mode="stream", tag="bougie", keep_all=True)
    assert run(source, fake).stored == 2
    assert "/api/v1/timelines/tag/bougie" in paths(fake)
    assert fake.requests[-1].url.params["tag"] == "bougie"
    assert fake.requests[-1].url.path == "/api/v1/streaming/hashtag"


def test_stream_without_account_pauses_with_what_to_do(workspace, fake):
    source = make_source(workspace, mode="stream", instance_url=INSTANCE)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and "connected account" in source.last_error


# --- notifications mode ------------------------------------------------------------------


def test_notifications_and_conversations_are_all_kept(workspace, account, fake):
    ours = Toot(text="Notre dernier billet", author="maisonlumiere", created_at=now())
    mention = recent(9, text="@maisonlumiere ma commande ?", author="camille@mamot.example")
    quote = recent(8, text="Je recommande !", in_reply_to=ours)
    gone = recent(7, text="supprimé")
    fake.notify(mention)
    fake.notify(quote, "quote")
    fake.notify(gone)
    fake.delete(gone)
    fake.notify(recent(6, text="aimé"), "favourite")  # not asked for
    answer = recent(5, text="Désolés, on renvoie le colis", author="maisonlumiere")
    fake.converse(mention, answer)
    source = make_source(workspace, account, mode="notifications")
    assert source.config["keep_all"] is True
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 3
    stored = set(Mention.objects.values_list("external_id", flat=True))
    assert stored == {fake.external_id(p) for p in (mention, quote, answer)}
    reply = Mention.objects.get(external_id=fake.external_id(quote))
    assert reply.parent_external_id == fake.external_id(ours)
    listed = next(r for r in fake.requests if r.url.path == "/api/v1/notifications")
    query = parse_qs(listed.url.query.decode())
    assert query["types[]"] == ["mention", "quote"] and query["include_filtered"] == ["true"]
    assert "/api/v1/conversations" in paths(fake)
    # Nothing new: nothing stored; a new mention: stored.
    assert run(source, fake).stored == 0
    fake.notify(recent(1, text="encore moi"))
    assert run(source, fake).stored == 1


def test_notifications_payload_as_documented(workspace, account):
    body = fixture("notifications.json")

    def instance(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/notifications":
            link = f'<{INSTANCE}/api/v1/notifications?max_id=34975535>; rel="next"'
            if "max_id" in request.url.params:
                return httpx.Response(200, json=[])
            return httpx.Response(200, json=body, headers={"Link": link})
        if request.url.path == "/api/v1/conversations":
            page = [] if "max_id" in request.url.params else fixture("conversations.json")
            return httpx.Response(200, json=page)
        return httpx.Response(404, json=fixture("error_404.json"))

    source = make_source(workspace, account, mode="notifications", backfill_days=0)
    client = http.client(transport=httpx.MockTransport(instance))
    summary = run_source(source.pk, http_client=client)
    assert summary.stored == 3 and summary.rejected == 0
    ours = Mention.objects.get(external_id=f"{HOST}:113548200000000333")
    assert ours.parent_external_id == f"{HOST}:113548000000000111"
    assert ours.author.handle == f"@maisonlumiere@{HOST}"
    source.refresh_from_db()
    assert source.cursor["feeds"]["notifications"] == {"newest": "34975863"}
    # Conversations page by their last status's id, not by the conversation's.
    assert source.cursor["feeds"]["conversations"] == {"newest": "113548200000000333"}


def test_notifications_through_another_instance_say_what_to_change(workspace, account, fake):
    source = make_source(
        workspace, account, mode="notifications", instance_url="https://other.example"
    )
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and fake.requests == []
    assert "remove the instance from the source settings" in source.last_error


def test_notifications_need_the_account(workspace, fake):
    source = make_source(workspace, mode="notifications", instance_url=INSTANCE)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and "connect the Mastodon account" in (
        source.last_error
    )
    assert QuarantinedItem.objects.count() == 0


# --- connecting an account -----------------------------------------------------------------

REDIRECT = "https://parvis.example/accounts/oauth/callback"


def test_oauth_registers_the_app_and_exchanges_the_code_with_pkce(fake):
    client = http.client(transport=fake.transport())
    url, pending = MastodonConnector.oauth_start(
        client, {"instance_url": "mastodon.example"}, REDIRECT, "state-123"
    )
    registration = parse_qs(fake.requests[0].content.decode())
    assert fake.requests[0].url.path == "/api/v1/apps"
    assert registration == {
        "client_name": ["Parvis"],
        "redirect_uris": [REDIRECT],
        "scopes": ["read write:statuses write:media"],
    }
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{INSTANCE}/oauth/authorize"
    assert query["response_type"] == "code" and query["state"] == "state-123"
    assert (
        query["scope"] == "read write:statuses write:media"
        and query["code_challenge_method"] == "S256"
    )
    assert set(pending) == {"instance_url", "client_id", "client_secret", "code_verifier"}
    code = fake.authorize(url)
    info = MastodonConnector.oauth_finish(client, pending, code, REDIRECT)
    assert info.handle == f"@parvis@{HOST}" and info.display_name == "Parvis"
    assert info.credentials == {
        "instance_url": INSTANCE,
        "client_id": pending["client_id"],
        "client_secret": pending["client_secret"],
        "access_token": TOKEN,
    }
    assert fake.requests[-1].url.path == "/api/v1/accounts/verify_credentials"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_oauth_refuses_a_wrong_code_or_verifier(fake):
    client = http.client(transport=fake.transport())
    url, pending = MastodonConnector.oauth_start(client, {"instance_url": INSTANCE}, REDIRECT, "s")
    fake.authorize(url)
    with pytest.raises(PermanentError, match="grant is invalid") as wrong_code:
        MastodonConnector.oauth_finish(client, pending, "not-the-code", REDIRECT)
    assert "start connecting again" in str(wrong_code.value)
    assert pending["client_secret"] not in str(wrong_code.value)
    code = fake.authorize(url)
    with pytest.raises(PermanentError, match="grant is invalid"):
        MastodonConnector.oauth_finish(client, {**pending, "code_verifier": "x"}, code, REDIRECT)
    with pytest.raises(PermanentError, match="Client authentication failed"):
        MastodonConnector.oauth_finish(client, {**pending, "client_secret": "no"}, code, REDIRECT)


def test_oauth_start_on_something_that_is_not_mastodon():
    def not_mastodon(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="<html>Not Found</html>")

    client = http.client(transport=httpx.MockTransport(not_mastodon))
    with pytest.raises(PermanentError, match=r"example\.org refused to connect Parvis \(HTTP 404"):
        MastodonConnector.oauth_start(client, {"instance_url": "example.org"}, REDIRECT, "s")


def test_oauth_start_needs_an_instance_address(fake):
    with translation.override("en"), pytest.raises(ValueError, match=r"mastodon\.social"):
        MastodonConnector.oauth_start(
            http.client(transport=fake.transport()), {"instance_url": ""}, REDIRECT, "s"
        )
    assert fake.requests == []


def test_documented_payloads_of_the_oauth_flow():
    app, token, me = fixture("app.json"), fixture("token.json"), fixture("verify_credentials.json")

    def instance(request: httpx.Request) -> httpx.Response:
        answers = {
            "/api/v1/apps": app,
            "/oauth/token": token,
            "/api/v1/accounts/verify_credentials": me,
        }
        return httpx.Response(200, json=answers[request.url.path])

    client = http.client(transport=httpx.MockTransport(instance))
    _url, pending = MastodonConnector.oauth_start(
        client, {"instance_url": "piaille.example"}, REDIRECT, "s"
    )
    assert pending["client_id"] == app["client_id"]
    info = MastodonConnector.oauth_finish(client, pending, "code", REDIRECT)
    assert info.handle == "@maisonlumiere@piaille.example"
    assert info.display_name == "Maison Lumière"
    assert info.credentials["access_token"] == token["access_token"]


def test_unknown_post_shape_from_the_contract_is_still_a_status(fake):
    status = fake.status(Post(text="x"))
    assert {"id", "uri", "url", "account", "content", "created_at"} <= set(status)


def test_connecting_through_the_accounts_pages(workspace, owner, fake):
    """The guided flow of the accounts pages with this connector and the fake instance."""
    from unittest import mock

    from parvis.connectors.models import ConnectedAccount
    from tests.conftest import login

    real_client = http.client
    client = login(owner)
    with mock.patch.object(
        http, "client", lambda transport=None: real_client(transport=fake.transport())
    ):
        page = client.post(
            "/w/lumiere/accounts/connect/", {"kind": "mastodon", "instance_url": "mastodon.example"}
        )
        assert page.status_code == 200, page.content[:500]
        url = page.context["url"]
        assert url.startswith(f"{INSTANCE}/oauth/authorize?")
        state = parse_qs(urlsplit(url).query)["state"][0]
        back = client.get("/connect/oauth/callback/", {"code": fake.authorize(url), "state": state})
    assert back.status_code == 302, back.content[:500]
    account = ConnectedAccount.objects.get(workspace=workspace)
    assert (account.network, account.handle) == ("mastodon", f"@parvis@{HOST}")
    assert account.credentials()["access_token"] == TOKEN
    assert account.credentials()["instance_url"] == INSTANCE


def test_a_stream_past_the_body_cap_keeps_what_came_before(workspace, account, fake):
    fake.stream(recent(0, text="#bougie un"), recent(0, text="#bougie deux"))
    fake.stream(recent(0, text="#bougie " + "trop long " * 5_000))  # 50 KB, past the cap
    source = make_source(workspace, account, mode="stream", tag="bougie", keep_all=True)
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    client = http.client(transport=fake.transport(), max_body=20_000)
    summary = run_source(source.pk, http_client=client)
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 2

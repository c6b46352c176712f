"""The LinkedIn connector against its HTTP fake (tests/connectors/fakes/linkedin.py):
connecting a page through the pages, the token's renewal, every error body, reading the
comments of the page's posts (only the posts whose count changed, replies included), replies
as the page found again after a lost answer, deleting, posts with their little-text escapes,
article links, images, documents and statistics."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parvis.connectors import http as connector_http
from parvis.connectors.base import (
    FetchContext,
    MediaFile,
    MetricsContext,
    ModerationAction,
    ModerationContext,
    OutgoingPost,
    PermanentError,
    PublishContext,
    ReplyContext,
    ReplyTarget,
    RetryLater,
)
from parvis.connectors.linkedin import LinkedInConnector, api, mapping, oauth
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account, set_credentials
from parvis.listening.models import Mention, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login
from tests.connectors.fakes.linkedin import (
    CLIENT_ID,
    CLIENT_SECRET,
    MAIN,
    ORG,
    Comment,
    Fake,
    fixture,
)

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client
CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def fake() -> Fake:
    return Fake()


def client_for(fake: Fake) -> httpx.Client:
    return REAL_CLIENT(transport=fake.transport())


@pytest.fixture
def account(workspace, fake) -> ConnectedAccount:
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="linkedin", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def connector(account, fake) -> LinkedInConnector:
    return LinkedInConnector.for_account(account, http=client_for(fake))


def response(status: int, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.linkedin.com/rest/posts")
    return httpx.Response(status, json=fixture(name), headers=headers or {}, request=request)


# --- connecting ------------------------------------------------------------------------------


def test_connect_page_lists_the_permissions(workspace, owner):
    page = login(owner).get(CONNECT, {"kind": "linkedin"}).content.decode()
    for scope in ("r_organization_social", "w_organization_social", "rw_organization_admin"):
        assert scope in page
    assert "Community Management API" in page


def connect(client, fake: Fake, **fields: str):
    with mock.patch.object(connector_http, "client", lambda **_kw: client_for(fake)):
        answer = client.post(
            CONNECT,
            {"kind": "linkedin", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **fields},
        )
        assert answer.status_code == 200, answer.content[:300]
        back = urlsplit(fake.authorize(answer.context["url"]))
        return client.get(CALLBACK, {k: v[0] for k, v in parse_qs(back.query).items()})


def test_connect_end_to_end(workspace, owner, fake):
    done = connect(login(owner), fake)
    assert done.status_code == 302
    account = ConnectedAccount.objects.get(network="linkedin")
    assert account.handle == ORG and account.display_name == "Maison Lumière"
    credentials = account.credentials()
    assert credentials["organization"] == ORG and credentials["refresh_token"]
    ends = oauth.token_expires_at(credentials)
    assert ends is not None and ends - dt.datetime.now(dt.UTC) > dt.timedelta(days=360)
    assert CLIENT_SECRET not in account.display_name


def test_several_pages_need_the_one_to_connect(workspace, owner, fake):
    fake.organizations = ["2414183", "90001"]
    client = login(owner)
    refused = connect(client, fake)
    assert b"several pages" in refused.content and not ConnectedAccount.objects.exists()
    done = connect(client, fake, organization="https://www.linkedin.com/company/maison-lumiere/")
    assert done.status_code == 302
    assert ConnectedAccount.objects.get().handle == ORG


def test_bad_connect_fields_are_refused():
    http = REAL_CLIENT(transport=Fake().transport())
    for fields in (
        {"client_id": "", "client_secret": "s"},
        {"client_id": "a b", "client_secret": "s"},
    ):
        with pytest.raises(ValueError):
            LinkedInConnector.oauth_start(http, fields, "https://p/cb", "state")
    assert oauth.wanted_organization("urn:li:organization:42") == "42"
    assert oauth.wanted_organization("https://www.linkedin.com/company/Maison-Lumiere/about") == (
        "maison-lumiere"
    )


def test_an_expired_access_token_is_renewed_and_stored(account, connector, fake):
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    set_credentials(account, fake.credentials(expires_at=past))
    account.save(update_fields=["credentials_encrypted", "credential_names"])
    ends = dt.datetime.fromisoformat(account.credentials()["refresh_expires_at"])
    connector.fetch({}, FetchContext())
    assert fake.token_calls == 1
    account.refresh_from_db()
    stored = account.credentials()
    assert stored["access_token"] == "AQX-access-2"
    # The refresh token keeps its first year: the renewal does not push it back.
    assert dt.datetime.fromisoformat(stored["refresh_expires_at"]) == ends
    connector.fetch({}, FetchContext())
    assert fake.token_calls == 1


def test_a_dead_refresh_token_says_reconnect(account, connector, fake):
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    set_credentials(account, fake.credentials(expires_at=past, refresh_expires_at=past))
    account.save(update_fields=["credentials_encrypted", "credential_names"])
    with pytest.raises(PermanentError, match="reconnect"):
        connector.fetch({}, FetchContext())
    assert fake.token_calls == 0


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "kind", "words"),
    [
        (401, "error_401.json", PermanentError, "reconnect"),
        (401, "error_401_expired.json", PermanentError, "reconnect"),
        (403, "error_403.json", PermanentError, "administrator of the page"),
        (403, "error_403_comment.json", api.Forbidden, "forbids"),
        (404, "error_404.json", api.NotFound, "not found"),
        (422, "error_422_duplicate.json", api.Duplicate, "duplicate"),
        (426, "error_426.json", PermanentError, "PARVIS_LINKEDIN_VERSION"),
        (500, "error_500.json", RetryLater, "HTTP 500"),
    ],
)
def test_every_error_body_maps_to_what_to_do(status, name, kind, words):
    error = api.refusal(response(status, name))
    assert type(error) is kind and words in str(error)


def test_a_throttle_waits_for_midnight_utc_unless_told():
    now = dt.datetime(2026, 12, 8, 22, 30, tzinfo=dt.UTC)
    error = api.refusal(response(429, "error_429.json"), now=now)
    assert isinstance(error, RetryLater) and error.retry_after == 90 * 60
    told = api.refusal(response(429, "error_429.json", {"Retry-After": "120"}), now=now)
    assert isinstance(told, RetryLater) and told.retry_after == 120


def test_a_duplicate_names_the_post():
    error = api.refusal(response(422, "error_422_duplicate.json"))
    assert isinstance(error, api.Duplicate) and error.urn == MAIN


def test_version_headers_are_sent_and_settable(connector, fake, settings):
    settings.LINKEDIN_VERSION = "202701"
    connector.fetch({}, FetchContext())
    assert {r.headers["LinkedIn-Version"] for r in fake.requests} == {"202701"}
    assert {r.headers["X-Restli-Protocol-Version"] for r in fake.requests} == {"2.0.0"}
    settings.LINKEDIN_VERSION = "nonsense"
    assert api.version() == api.VERSION


def test_the_token_is_never_in_a_url(connector, fake):
    connector.fetch({}, FetchContext())
    assert fake.requests and all("AQX" not in str(r.url) for r in fake.requests)


# --- reading ---------------------------------------------------------------------------------


def source_for(workspace, account, **config):
    return do_create_source(workspace, kind="linkedin", name="Page", config=config, account=account)


def run(source, fake):
    Source.objects.filter(pk=source.pk).update(next_run_at=dt.datetime.now(dt.UTC))
    summary = run_source(source.pk, http_client=client_for(fake))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    return summary


def test_comments_and_their_replies_are_read_with_their_threads(workspace, account, fake):
    top = Comment(text="Quand la bougie revient-elle ?", author="lea_dupont")
    fake.publish(top)
    answer = Comment(
        text="Moi aussi je l'attends", author="bob_durand", parent=fake.external_id(top)
    )
    fake.publish(answer)
    source = source_for(workspace, account)
    assert run(source, fake).stored == 2
    reply = Mention.objects.get(text="Moi aussi je l'attends")
    assert reply.parent_external_id == fake.external_id(top)
    assert reply.root_external_id == MAIN
    assert reply.author.handle.startswith("urn:li:person:")


def test_posts_whose_comment_count_did_not_change_are_not_read_again(workspace, account, fake):
    fake.publish(Comment())
    source = source_for(workspace, account)
    run(source, fake)
    fake.requests.clear()
    assert run(source, fake).stored == 0
    paths = [r.url.path for r in fake.requests]
    assert not any("comments" in p for p in paths), paths
    fake.publish(Comment(text="Une nouvelle question"))
    fake.requests.clear()
    assert run(source, fake).stored == 1


def test_config_is_checked():
    assert LinkedInConnector.validate_config({"posts": "10"}) == {"keep_all": True, "posts": 10}
    for bad in ("0", "101", "dix"):
        with pytest.raises(ValueError):
            LinkedInConnector.validate_config({"posts": bad})


# --- replying and moderating -----------------------------------------------------------------


def target_of(fake: Fake, comment: Comment) -> ReplyTarget:
    raw = fake.comment(comment)
    return ReplyTarget(
        network="linkedin", external_id=fake.external_id(comment), root_external_id=MAIN, raw=raw
    )


def test_a_reply_is_made_as_the_page_under_the_comment(connector, fake):
    comment = Comment()
    fake.publish(comment)
    sent = connector.reply(target_of(fake, comment), "Merci !", ReplyContext())
    [made] = fake.org_comments
    assert made.parent == fake.external_id(comment) and sent.external_id == made.urn
    assert sent.url == api.post_url(MAIN)


def test_a_reply_to_a_reply_goes_under_the_top_comment(connector, fake):
    top = Comment()
    fake.publish(top)
    nested = Comment(parent=fake.external_id(top), author="bob_durand")
    fake.publish(nested)
    connector.reply(target_of(fake, nested), "Bonjour Bob", ReplyContext())
    assert fake.org_comments[0].parent == fake.external_id(top)


def test_a_lost_reply_is_found_again_not_sent_twice(connector, fake):
    comment = Comment()
    fake.publish(comment)
    target = target_of(fake, comment)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        connector.reply(target, "Nous regardons cela", ReplyContext(idempotency_key="k"))
    found = connector.find_reply(target, "Nous  regardons cela ", since, ReplyContext())
    assert found is not None and found.external_id == fake.org_comments[0].urn
    assert connector.find_reply(target, "Autre texte", since, ReplyContext()) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert connector.find_reply(target, "Nous regardons cela", later, ReplyContext()) is None


def test_a_comment_is_deleted_and_deleting_again_is_fine(connector, fake):
    comment = Comment()
    fake.publish(comment)
    target = target_of(fake, comment)
    done = connector.moderate(target, ModerationAction.DELETE, ModerationContext())
    assert done.done and comment.deleted
    again = connector.moderate(target, ModerationAction.DELETE, ModerationContext())
    assert again.done


def test_what_linkedin_will_not_do_is_left_to_a_person(connector, fake):
    comment = Comment()
    fake.publish(comment)
    target = target_of(fake, comment)
    hidden = connector.moderate(target, ModerationAction.HIDE, ModerationContext())
    assert not hidden.done and "cannot hide" in hidden.message and hidden.url
    fake.forbid_deletes = True
    refused = connector.moderate(target, ModerationAction.DELETE, ModerationContext())
    assert not refused.done and "delete it on LinkedIn" in refused.message


# --- publishing ------------------------------------------------------------------------------


def test_reserved_characters_are_escaped_and_hashtags_kept():
    assert mapping.little_text("Soldes (enfin) #Noël à 50% @toi") == (
        "Soldes \\(enfin\\) {hashtag|\\#|Noël} à 50% \\@toi"
    )
    assert mapping.little_text("C# et # seul, a_b") == "C\\# et \\# seul, a\\_b"


def test_a_text_post_reads_as_written(connector, fake):
    text = "Atelier (samedi) #Bougies <3 [places limitées]"
    post = connector.publish(OutgoingPost(text=text), PublishContext())
    assert fake.published_texts() == [text]
    assert post.url == f"https://www.linkedin.com/feed/update/{post.external_id}/"
    assert fake.own[-1].content is None


def test_a_link_becomes_an_article(connector, fake):
    connector.publish(
        OutgoingPost(text="Notre histoire : maison-lumiere.fr/histoire"), PublishContext()
    )
    content = fake.own[-1].content
    assert content == {
        "article": {"source": "https://maison-lumiere.fr/histoire", "title": "maison-lumiere.fr"}
    }


def image(tmp_path, name: str, data: bytes = b"\xff\xd8\xff jpeg") -> MediaFile:
    path = tmp_path / name
    path.write_bytes(data)
    return MediaFile(str(path), "image/jpeg", alt_text="Une bougie", size=len(data))


def test_images_are_uploaded_then_posted(connector, fake, tmp_path):
    one = image(tmp_path, "a.jpg", b"\xff\xd8\xff one")
    connector.publish(OutgoingPost(text="Une photo", media=(one,)), PublishContext())
    content = fake.own[-1].content
    assert fake.images[content["media"]["id"]] == b"\xff\xd8\xff one"
    assert content["media"]["altText"] == "Une bougie"
    two = (image(tmp_path, "b.jpg"), image(tmp_path, "c.jpg"))
    connector.publish(OutgoingPost(text="Deux photos", media=two), PublishContext())
    assert len(fake.own[-1].content["multiImage"]["images"]) == 2


def test_a_pdf_goes_as_a_document_and_other_types_are_refused(connector, fake, tmp_path):
    pdf = tmp_path / "catalogue.pdf"
    pdf.write_bytes(b"%PDF-1.7 catalogue")
    media = MediaFile(str(pdf), "application/pdf", size=18)
    connector.publish(OutgoingPost(text="Notre catalogue", media=(media,)), PublishContext())
    content = fake.own[-1].content["media"]
    assert (
        fake.documents[content["id"]] == b"%PDF-1.7 catalogue" and content["title"] == "catalogue"
    )
    gif = tmp_path / "v.webm"
    gif.write_bytes(b"webm")
    with pytest.raises(PermanentError, match="not video/webm"):
        connector.publish(
            OutgoingPost(text="Vidéo", media=(MediaFile(str(gif), "video/webm"),)),
            PublishContext(),
        )


@pytest.fixture
def no_waiting(monkeypatch):
    from parvis.connectors.linkedin import outgoing

    waits: list[float] = []
    monkeypatch.setattr(outgoing, "sleep", waits.append)
    return waits


def test_a_video_is_sent_in_parts_finalized_and_waited_for(connector, fake, tmp_path, no_waiting):
    data = bytes(range(30))  # four parts of 8 bytes at most
    path = tmp_path / "film.mp4"
    path.write_bytes(data)
    video = MediaFile(str(path), "video/mp4", alt_text="Notre atelier", size=len(data))
    connector.publish(OutgoingPost(text="Notre atelier", media=(video,)), PublishContext())
    content = fake.own[-1].content["media"]
    assert fake.video_bytes(content["id"]) == data and content["title"] == "Notre atelier"
    assert len(fake.videos[content["id"]]["parts"]) == 4
    assert no_waiting == [1, 2]  # read until AVAILABLE


def test_a_video_linkedin_cannot_process_or_is_slow(connector, fake, tmp_path, no_waiting):
    path = tmp_path / "film.mp4"
    path.write_bytes(b"0123456789")
    video = MediaFile(str(path), "video/mp4", size=10)
    fake.video_checks = 100
    with pytest.raises(RetryLater, match="still processing"):
        connector.publish(OutgoingPost(text="Lent", media=(video,)), PublishContext())
    fake.fail_processing = True
    with pytest.raises(PermanentError, match="could not process"):
        connector.publish(OutgoingPost(text="Raté", media=(video,)), PublishContext())
    assert fake.published_texts() == []


def test_a_duplicate_of_an_old_post_is_a_clear_refusal(connector, fake):
    fake.own[0].commentary = "Déjà publié"
    with pytest.raises(PermanentError, match="change the text"):
        connector.publish(OutgoingPost(text="Déjà publié"), PublishContext())


def test_counts_views_and_followers(connector, fake):
    made = connector.publish(OutgoingPost(text="Post"), PublishContext())
    fake.give_counts(made.external_id, likes=5, reposts=2, replies=1)
    [counts] = connector.post_metrics([made.external_id], MetricsContext())
    assert (counts.likes, counts.reposts, counts.replies, counts.views) == (5, 2, 1, 50)
    assert connector.account_metrics(MetricsContext()).followers == 12480

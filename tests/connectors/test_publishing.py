"""Publishing (the `publish` capability): each network's requests (Bluesky createRecord with
facets, blobs and thread refs; Mastodon statuses with Idempotency-Key, media, instance
limits), reading a post back, refusals mapped to typed errors, malformed answers, and a retry
that publishes nothing twice. HTTP is faked at the transport (tests/connectors/fakes/)."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from django.utils import translation

from parvis.connectors import http
from parvis.connectors.base import (
    Capability,
    MediaFile,
    OutgoingPost,
    PermanentError,
    PublishContext,
    PublishedPost,
    ReplyTarget,
    RetryLater,
    get,
)
from parvis.connectors.bluesky import BlueskyConnector, facets
from parvis.connectors.bluesky.replies import rkey_for
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.mastodon import publishing as toot_publishing
from parvis.connectors.services import do_connect_account
from tests.connectors.fakes import bluesky, mastodon

pytestmark = pytest.mark.django_db

KEY = "post-17-account-3"


def png(width: int = 4, height: int = 3, padding: int = 0) -> bytes:
    """A valid PNG of width by height grey pixels (plus an ancillary chunk of `padding` bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def image(tmp_path: Path, name: str = "bougie.png", alt: str = "", **kw) -> MediaFile:
    data = png(padding=kw.pop("padding", 0))
    path = tmp_path / name
    path.write_bytes(data)
    return MediaFile(
        path=str(path),
        mime_type=kw.pop("mime_type", "image/png"),
        alt_text=alt,
        size=len(data),
        width=kw.pop("width", 4),
        height=kw.pop("height", 3),
    )


def connect(workspace, fake):
    spec = fake.account()
    return do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=spec["handle"],
        credentials=spec["credentials"],
    )


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def test_bluesky_mastodon_and_demo_say_they_publish():
    for kind in ("bluesky", "mastodon", "demo"):
        assert Capability.PUBLISH in get(kind).capabilities
    for kind in ("reddit", "youtube", "rss", "hackernews"):
        assert Capability.PUBLISH not in get(kind).capabilities


@pytest.mark.parametrize("cls", [BlueskyConnector, MastodonConnector])
def test_publishing_needs_a_connected_account(workspace, cls):
    from parvis.connectors.base import AccountSettings

    connector = cls(AccountSettings(workspace_id=workspace.pk, account_id=None, account=None))
    with pytest.raises(PermanentError, match="the account to publish as"):
        connector.publish(OutgoingPost(text="Bonjour"), PublishContext(idempotency_key=KEY))


# --- Bluesky facets -------------------------------------------------------------------------


def spans(text: str, found: list[dict]) -> list[tuple[str, str]]:
    """(the facet's text cut from the UTF-8 bytes, its feature) for each facet."""
    data = text.encode("utf-8")
    out = []
    for f in found:
        index = f["index"]
        feature = f["features"][0]
        value = feature.get("uri") or feature.get("did") or feature.get("tag")
        out.append((data[index["byteStart"] : index["byteEnd"]].decode("utf-8"), value))
    return out


def no_one(handle: str) -> str | None:
    return None


def test_facets_count_utf8_bytes_on_hard_text():
    # A family (four people joined by ZWJ, 25 bytes), a candle with its variation selector (7),
    # accents (2 each), CJK (3 each), then the link, the mention and the hashtags.
    text = (
        "👨‍👩‍👧‍👦 🕯️ Noël à Lyon 東京 : https://maison-lumière.fr/ateliers?j=1 avec "
        "@alice.test #Bougies🕯️ #日本語 fin"
    )
    found = facets.detect(text, lambda h: "did:plc:alice" if h == "alice.test" else None)
    assert spans(text, found) == [
        ("https://maison-lumière.fr/ateliers?j=1", "https://maison-lumière.fr/ateliers?j=1"),
        ("@alice.test", "did:plc:alice"),
        ("#Bougies🕯️", "Bougies🕯️"),
        ("#日本語", "日本語"),
    ]
    # The byte offsets themselves, counted by hand: family 25, space 1, candle 7, space 1,
    # « Noël » 5, space 1, « à » 2, space 1, « Lyon » 4, space 1, « 東京 » 6, « : » with
    # its spaces 3 — 57 bytes for 28 code points; the URL is 38 code points, 39 bytes.
    prefix = "👨‍👩‍👧‍👦 🕯️ Noël à Lyon 東京 : "
    assert len(prefix) == 28
    assert found[0]["index"] == {"byteStart": 57, "byteEnd": 96}
    assert [f["features"][0]["$type"] for f in found] == [
        facets.LINK,
        facets.MENTION,
        facets.TAG,
        facets.TAG,
    ]
    assert all(f["$type"] == "app.bsky.richtext.facet" for f in found)


def test_facets_leave_out_what_is_not_one():
    text = (
        "Voir (https://exemple.fr/a_(b)). Écrire à contact@maison.fr, @inconnu.test, @pasunhandle "
        "#1 #2026 #️⃣ https://exemple.fr/page#ancre et #fin."
    )
    found = facets.detect(text, no_one)
    assert spans(text, found) == [
        ("https://exemple.fr/a_(b)", "https://exemple.fr/a_(b)"),
        ("https://exemple.fr/page#ancre", "https://exemple.fr/page#ancre"),
        ("#fin", "fin"),
    ]
    # A combining accent (e + U+0301) in a tag: bytes of the decomposed form.
    decomposed = "Cafe\u0301 #cafe\u0301 !"
    assert spans(decomposed, facets.detect(decomposed, no_one)) == [("#cafe\u0301", "cafe\u0301")]
    assert facets.detect("", no_one) == []
    too_long = "#" + "a" * 65
    assert facets.detect(too_long, no_one) == []


def test_a_handle_that_does_not_resolve_stays_plain_text_and_each_is_asked_once():
    asked: list[str] = []

    def resolve(handle: str) -> str | None:
        asked.append(handle)
        return "did:plc:bob" if handle == "bob.test" else None

    cached = facets.handle_resolver(lambda nsid, params: {"did": "did:plc:x"})
    assert cached("a.test") == "did:plc:x"
    text = "@bob.test @Bob.test @ghost.test."
    assert spans(text, facets.detect(text, resolve)) == [
        ("@bob.test", "did:plc:bob"),
        ("@Bob.test", "did:plc:bob"),
    ]
    assert asked == ["bob.test", "bob.test", "ghost.test"]


# --- Bluesky --------------------------------------------------------------------------------


@pytest.fixture
def sky(workspace):
    fake = bluesky.Fake()
    account = connect(workspace, fake)
    return fake, BlueskyConnector.for_account(account, http=http.client(transport=fake.transport()))


def creates(fake) -> list[dict]:
    return [json.loads(r.content) for r in fake.requests if r.url.path.endswith("createRecord")]


def test_bluesky_publish_writes_a_post_with_facets_langs_and_the_derived_rkey(sky):
    fake, connector = sky
    fake.handles["alice.test"] = "did:plc:alice"
    text = "Atelier 🕯️ samedi avec @alice.test : https://maison-lumiere.fr/atelier #Noël"
    post = connector.publish(
        OutgoingPost(text=text, language="fr"), PublishContext(idempotency_key=KEY)
    )
    [body] = creates(fake)
    did = bluesky.did_of(bluesky.OUR_HANDLE)
    assert body["repo"] == did and body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == rkey_for(KEY)
    record = body["record"]
    assert record["text"] == text and record["langs"] == ["fr"]
    assert record["createdAt"].endswith("Z") and "reply" not in record and "embed" not in record
    assert spans(text, record["facets"]) == [
        ("@alice.test", "did:plc:alice"),
        ("https://maison-lumiere.fr/atelier", "https://maison-lumiere.fr/atelier"),
        ("#Noël", "Noël"),
    ]
    assert fake.resolved == ["alice.test"]
    uri = f"at://{did}/app.bsky.feed.post/{rkey_for(KEY)}"
    cid = fake.own_records[rkey_for(KEY)]["cid"]
    assert post == PublishedPost(
        external_id=uri,
        url=f"https://bsky.app/profile/{bluesky.OUR_HANDLE}/post/{rkey_for(KEY)}",
        published_at=post.published_at,
        raw={"uri": uri, "cid": cid, "root": {"uri": uri, "cid": cid}},
    )
    assert post.published_at is not None


def test_bluesky_images_are_uploaded_as_blobs_and_embedded_with_alt_and_aspect_ratio(sky, tmp_path):
    fake, connector = sky
    first = image(tmp_path, "a.png", alt="Une bougie allumée", width=1200, height=800)
    second = image(tmp_path, "b.jpg", mime_type="image/jpeg", width=None, height=None)
    connector.publish(
        OutgoingPost(text="Nouveautés", media=(first, second)),
        PublishContext(idempotency_key=KEY),
    )
    uploads = [r for r in fake.requests if r.url.path.endswith("uploadBlob")]
    assert [r.headers["Content-Type"] for r in uploads] == ["image/png", "image/jpeg"]
    assert uploads[0].content == Path(first.path).read_bytes()
    embed = creates(fake)[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    one, two = embed["images"]
    assert one["alt"] == "Une bougie allumée" and one["aspectRatio"] == {
        "width": 1200,
        "height": 800,
    }
    assert two["alt"] == "" and "aspectRatio" not in two
    assert one["image"]["$type"] == "blob" and one["image"]["ref"]["$link"] in fake.blobs
    assert one["image"]["mimeType"] == "image/png" and one["image"]["size"] == first.size


def test_bluesky_refuses_what_the_lexicon_refuses_before_writing_anything(sky, tmp_path):
    fake, connector = sky
    big = image(tmp_path, "big.png", padding=1_000_001)
    five = tuple(image(tmp_path, f"{i}.png") for i in range(5))
    mov = MediaFile(path=str(tmp_path / "v.mov"), mime_type="video/quicktime", size=10)
    mp4 = MediaFile(path=str(tmp_path / "v.mp4"), mime_type="video/mp4", size=10)
    pdf = MediaFile(path=str(tmp_path / "a.pdf"), mime_type="application/pdf", size=10)
    missing = MediaFile(path=str(tmp_path / "absent.png"), mime_type="image/png")
    wordy = MediaFile(path=str(tmp_path / "w.png"), mime_type="image/png", alt_text="é" * 5001)
    wordy_video = MediaFile(
        path=str(tmp_path / "w.mp4"), mime_type="video/mp4", alt_text="x" * 10_001
    )
    cases = [
        ((big,), "1,000,000"),
        (five, "at most 4 images"),
        ((mov,), "MP4 only"),
        ((mp4, five[0]), "either images or one video"),
        ((mp4, mp4), "either images or one video"),
        ((pdf,), "JPEG, PNG, GIF or WebP"),
        ((missing,), "cannot be read"),
        ((wordy,), "alt text of 'w.png' is longer"),
        ((wordy_video,), "video's alt text is longer"),
    ]
    for i, (media, words) in enumerate(cases):
        with pytest.raises(PermanentError, match=words):
            connector.publish(
                OutgoingPost(text="x", media=media), PublishContext(idempotency_key=f"k{i}")
            )
    assert creates(fake) == [] and not fake.blobs


def test_bluesky_one_video_is_uploaded_and_embedded_as_a_video(sky, tmp_path):
    fake, connector = sky
    clip = tmp_path / "atelier.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)
    video = MediaFile(
        str(clip), "video/mp4", alt_text="L'atelier en 20 s", size=2012, width=1080, height=1920
    )
    connector.publish(
        OutgoingPost(text="En vidéo", media=(video,)), PublishContext(idempotency_key=KEY)
    )
    [upload] = [r for r in fake.requests if r.url.path.endswith("uploadBlob")]
    assert upload.headers["Content-Type"] == "video/mp4" and upload.content == clip.read_bytes()
    embed = creates(fake)[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "L'atelier en 20 s"
    assert embed["aspectRatio"] == {"width": 1080, "height": 1920}
    assert embed["video"]["mimeType"] == "video/mp4" and embed["video"]["size"] == 2012


def test_bluesky_thread_parts_reply_to_the_previous_part_and_the_first(sky):
    fake, connector = sky
    parts = ["1/3 Le fil de l'atelier", "2/3 On commence à 10 h", "3/3 Fin"]
    previous: PublishedPost | None = None
    published = []
    for i, text in enumerate(parts):
        reply_to = None
        if previous is not None:
            reply_to = ReplyTarget(
                network="bluesky", external_id=previous.external_id, raw=previous.raw
            )
        previous = connector.publish(
            OutgoingPost(text=text, reply_to=reply_to), PublishContext(idempotency_key=f"t{i}")
        )
        published.append(previous)
    records = [c["record"] for c in creates(fake)]
    first = {"uri": published[0].external_id, "cid": published[0].raw["cid"]}
    second = {"uri": published[1].external_id, "cid": published[1].raw["cid"]}
    assert "reply" not in records[0]
    assert records[1]["reply"] == {"root": first, "parent": first}
    assert records[2]["reply"] == {"root": first, "parent": second}
    assert published[2].raw["root"] == first
    # Only the first part's refs were known: nothing read from the AppView.
    assert not any(r.url.path.endswith("getPosts") for r in fake.requests)


def test_bluesky_thread_part_without_the_cid_reads_the_previous_post(sky):
    fake, connector = sky
    root = bluesky.Post()
    fake.own_post(root)
    target = ReplyTarget(network="bluesky", external_id=fake.external_id(root))
    connector.publish(
        OutgoingPost(text="suite", reply_to=target), PublishContext(idempotency_key=KEY)
    )
    ref = {"uri": fake.external_id(root), "cid": fake.cid(root)}
    assert creates(fake)[0]["record"]["reply"] == {"root": ref, "parent": ref}


def test_bluesky_resend_after_a_lost_answer_publishes_once(sky, tmp_path):
    fake, connector = sky
    fake.lose_next_answer = True  # written, then the answer lost (a 502)
    post = OutgoingPost(text="Une seule fois", media=(image(tmp_path),))
    first = connector.publish(post, PublishContext(idempotency_key=KEY))
    assert len(fake.own_records) == 1
    # The worker died before recording it: the next attempt finds it at the derived key and
    # neither uploads nor writes again.
    before = len(fake.requests)
    again = connector.publish(post, PublishContext(idempotency_key=KEY))
    assert again == first and len(fake.own_records) == 1
    paths = [r.url.path.rsplit(".", 1)[-1] for r in fake.requests[before:]]
    assert paths == ["getRecord"]
    # A write refused because the key is taken (the PDS's 500) is also the first post.
    fake.own_records[rkey_for("other")] = dict(fake.own_records[rkey_for(KEY)])
    fake.own_records[rkey_for("other")]["uri"] = first.external_id.replace(
        rkey_for(KEY), rkey_for("other")
    )
    assert connector.publish(post, PublishContext(idempotency_key="other")).external_id.endswith(
        rkey_for("other")
    )


def test_bluesky_find_post_by_key_then_by_the_feed(sky):
    _fake, connector = sky
    start = since()
    post = OutgoingPost(text="À retrouver")
    assert connector.find_post(post, start, PublishContext(idempotency_key=KEY)) is None
    sent = connector.publish(post, PublishContext(idempotency_key=KEY))
    assert connector.find_post(post, start, PublishContext(idempotency_key=KEY)) == sent
    no_key = PublishContext()
    assert connector.find_post(post, start, no_key) == sent
    assert connector.find_post(OutgoingPost(text="autre"), start, no_key) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert connector.find_post(post, later, no_key) is None
    # A thread's part is looked for under its parent only.
    parent = ReplyTarget(network="bluesky", external_id=sent.external_id, raw=sent.raw)
    assert (
        connector.find_post(OutgoingPost(text="À retrouver", reply_to=parent), start, no_key)
        is None
    )


def test_bluesky_errors_are_typed(sky):
    fake, connector = sky
    with pytest.raises(PermanentError, match="300 characters"):
        connector.publish(OutgoingPost(text="x" * 301), PublishContext(idempotency_key="a"))
    fake.rate_limit_next(30)
    with pytest.raises(RetryLater) as waited:
        connector.publish(OutgoingPost(text="ok"), PublishContext(idempotency_key="b"))
    assert 25 <= waited.value.retry_after <= 31
    fake.break_permanently()
    with pytest.raises(PermanentError, match="app password"):
        connector.publish(OutgoingPost(text="ok"), PublishContext(idempotency_key="c"))


@pytest.mark.parametrize(
    ("nsid", "answer", "words"),
    [
        ("uploadBlob", {"blob": {"ref": "bafk"}}, "blob reference"),
        ("uploadBlob", ["not", "an", "object"], "not an object"),
        ("createRecord", {"commit": {}}, "without the new post's uri"),
        ("createRecord", {"uri": "https://not/at", "cid": "bafy"}, "not one"),
    ],
)
def test_bluesky_malformed_answers_are_clear_errors(workspace, tmp_path, nsid, answer, words):
    fake = bluesky.Fake()
    account = connect(workspace, fake)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(nsid):
            fake.requests.append(request)
            return httpx.Response(200, json=answer)
        return fake(request)

    client = http.client(transport=httpx.MockTransport(handler))
    connector = BlueskyConnector.for_account(account, http=client)
    with pytest.raises(RetryLater, match=words):
        connector.publish(OutgoingPost(text="x", media=(image(tmp_path),)), PublishContext())


def test_bluesky_publish_limits_are_the_lexicons(sky):
    _fake, connector = sky
    limits = connector.publish_limits()
    assert (limits.max_characters, limits.max_media, limits.image_size_limit) == (
        300,
        4,
        1_000_000,
    )
    assert limits.video_size_limit == 100_000_000
    assert "video/mp4" in limits.media_types and "image/jpeg" in limits.media_types
    assert "video/quicktime" not in limits.media_types


# --- Mastodon -------------------------------------------------------------------------------


@pytest.fixture
def toots(workspace):
    toot_publishing.forget_limits()
    fake = mastodon.Fake()
    account = connect(workspace, fake)
    return fake, MastodonConnector.for_account(
        account, http=http.client(transport=fake.transport())
    )


@pytest.fixture
def no_wait(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(toot_publishing, "pause", waits.append)
    return waits


def status_posts(fake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == "POST" and r.url.path == "/api/v1/statuses"]


def test_mastodon_publish_sends_the_status_language_and_idempotency_key(toots):
    fake, connector = toots
    text = "Atelier samedi 🕯️ https://maison-lumiere.fr #Noël"
    post = connector.publish(
        OutgoingPost(text=text, language="fr"), PublishContext(idempotency_key=KEY)
    )
    [request] = status_posts(fake)
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Authorization"] == f"Bearer {mastodon.TOKEN}"
    form = {k: v for k, v in parse_qs(request.content.decode()).items()}
    assert form == {"status": [text], "visibility": ["public"], "language": ["fr"]}
    status = fake.sent[0]
    assert post.external_id == f"{mastodon.HOST}:{status['id']}"
    assert post.url == status["url"] and post.published_at is not None
    assert post.raw["id"] == status["id"] and post.raw["visibility"] == "public"


def test_mastodon_retry_sends_the_same_key_and_gets_the_same_status(toots):
    fake, connector = toots
    fake.lose_next_answer = True
    post = OutgoingPost(text="Une seule fois")
    with pytest.raises(RetryLater):
        connector.publish(post, PublishContext(idempotency_key=KEY))
    again = connector.publish(post, PublishContext(idempotency_key=KEY))
    keys = [r.headers["Idempotency-Key"] for r in status_posts(fake)]
    assert keys == [KEY, KEY]
    assert len(fake.sent) == 1 and again.external_id.endswith(fake.sent[0]["id"])


def test_mastodon_media_uploaded_with_description_then_attached(toots, tmp_path, no_wait):
    fake, connector = toots
    first = image(tmp_path, "a.png", alt="Une bougie allumée")
    second = image(tmp_path, "b.png")
    connector.publish(
        OutgoingPost(text="Nouveautés", media=(first, second)), PublishContext(idempotency_key=KEY)
    )
    uploads = [r for r in fake.requests if r.url.path == "/api/v2/media"]
    assert len(uploads) == 2 and uploads[0].headers["Content-Type"].startswith(
        "multipart/form-data"
    )
    ids = list(fake.media)
    assert fake.media[ids[0]]["description"] == "Une bougie allumée"
    assert fake.media[ids[1]]["description"] is None
    assert fake.media_files[ids[0]] == Path(first.path).read_bytes()
    form = parse_qs(status_posts(fake)[0].content.decode())
    assert form["media_ids[]"] == ids
    assert [m["id"] for m in fake.sent[0]["media_attachments"]] == ids
    assert no_wait == []  # ready at once: no polling


def test_mastodon_media_still_processing_is_polled_until_ready(toots, tmp_path, no_wait):
    fake, connector = toots
    fake.processing_polls = 3  # 202, then 206 three times, then 200
    connector.publish(
        OutgoingPost(text="Vidéo", media=(image(tmp_path),)), PublishContext(idempotency_key=KEY)
    )
    polls = [r for r in fake.requests if r.url.path.startswith("/api/v1/media/")]
    assert len(polls) == 4 and len(no_wait) == 4
    assert len(fake.sent) == 1


def test_mastodon_media_polling_is_bounded(toots, tmp_path, no_wait):
    fake, connector = toots
    fake.processing_polls = 1000
    with pytest.raises(RetryLater, match="still processing"):
        connector.publish(
            OutgoingPost(text="Vidéo", media=(image(tmp_path),)),
            PublishContext(idempotency_key=KEY),
        )
    assert len(no_wait) == toot_publishing.MEDIA_POLLS and fake.sent == []


def test_mastodon_thread_part_answers_the_previous_status(toots):
    fake, connector = toots
    first = connector.publish(OutgoingPost(text="1/2 Le fil"), PublishContext(idempotency_key="a"))
    target = ReplyTarget(network="mastodon", external_id=first.external_id, raw=first.raw)
    second = connector.publish(
        OutgoingPost(text="2/2 Fin", reply_to=target), PublishContext(idempotency_key="b")
    )
    form = parse_qs(status_posts(fake)[1].content.decode())
    assert form["in_reply_to_id"] == [first.raw["id"]]
    assert fake.sent[1]["in_reply_to_id"] == first.raw["id"]
    start = since() - dt.timedelta(minutes=1)
    assert (
        connector.find_post(OutgoingPost(text="2/2 Fin", reply_to=target), start, PublishContext())
        == second
    )
    # Not a reply: the second part is not the answer to a top-level post of that text.
    assert connector.find_post(OutgoingPost(text="2/2 Fin"), start, PublishContext()) is None


def test_mastodon_find_post_reads_the_accounts_statuses(toots):
    fake, connector = toots
    start = since()
    # The text comes back as the instance renders it: HTML-looking text escaped, a remote
    # mention as @user only, a long link cut by an ellipsis, a hashtag linked, lines as <br>.
    post = OutgoingPost(
        text="À retrouver <b>vraiment</b> & bien, merci @lea@autre.example !\n"
        "https://www.maison-lumiere.fr/ateliers/noel-2026/inscriptions?ref=parvis #Noël"
    )
    assert connector.find_post(post, start, PublishContext()) is None
    sent = connector.publish(post, PublishContext(idempotency_key=KEY))
    assert 'class="ellipsis"' in fake.sent[0]["content"]
    assert connector.find_post(post, start, PublishContext()) == sent
    assert connector.find_post(OutgoingPost(text="autre"), start, PublishContext()) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert connector.find_post(post, later, PublishContext()) is None


def test_mastodon_refusals_are_typed_with_the_instances_words(toots, tmp_path, no_wait):
    fake, connector = toots
    with pytest.raises(PermanentError, match="Text character limit of 500 exceeded"):
        connector.publish(OutgoingPost(text="x" * 501), PublishContext(idempotency_key="a"))
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(PermanentError, match="File content type is invalid"):
        connector.publish(
            OutgoingPost(text="x", media=(MediaFile(str(pdf), "application/pdf"),)),
            PublishContext(idempotency_key="b"),
        )
    fake.rate_limit_next(120)
    with pytest.raises(RetryLater) as waited:
        connector.publish(OutgoingPost(text="ok"), PublishContext(idempotency_key="c"))
    assert 100 <= waited.value.retry_after <= 121
    fake.break_permanently()
    with pytest.raises(PermanentError, match="reconnect the Mastodon account"):
        connector.publish(OutgoingPost(text="ok"), PublishContext(idempotency_key="d"))


@pytest.mark.parametrize(
    ("status", "body", "raised", "words"),
    [
        (
            422,
            {"error": "Validation failed: Text can't be blank"},
            PermanentError,
            "can't be blank",
        ),
        (500, {"error": "Internal"}, RetryLater, "HTTP 500"),
        (503, "<html>maintenance</html>", RetryLater, "HTTP 503"),
        (403, {"error": "This action is not allowed"}, PermanentError, "write:media"),
        (200, {"no": "id"}, RetryLater, "without a status"),
        (200, "not json", RetryLater, "not JSON"),
    ],
)
def test_mastodon_answers_to_the_status_mapped(workspace, status, body, raised, words):
    fake = mastodon.Fake()
    account = connect(workspace, fake)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/statuses":
            if isinstance(body, dict):
                return httpx.Response(status, json=body)
            return httpx.Response(status, text=body)
        return fake(request)

    client = http.client(transport=httpx.MockTransport(handler))
    connector = MastodonConnector.for_account(account, http=client)
    with pytest.raises(raised, match=words):
        connector.publish(OutgoingPost(text="x"), PublishContext(idempotency_key=KEY))


def test_mastodon_limits_from_the_v2_instance_kept_for_a_while(toots):
    fake, connector = toots
    fake.max_characters = 5000
    limits = connector.publish_limits()
    assert limits.max_characters == 5000 and limits.characters_per_url == 23
    assert limits.max_media == 4
    assert (limits.image_size_limit, limits.video_size_limit) == (16777216, 103809024)
    assert "video/mp4" in limits.media_types and "image/webp" in limits.media_types
    connector.publish_limits()
    assert fake.instance_reads == 1  # kept
    toot_publishing.forget_limits()
    connector.publish_limits()
    assert fake.instance_reads == 2


def test_mastodon_limits_fall_back_to_v1_on_an_older_server(toots):
    fake, connector = toots
    fake.v1_only = True
    limits = connector.publish_limits()
    paths = [r.url.path for r in fake.requests]
    assert paths == ["/api/v2/instance", "/api/v1/instance"]
    assert (limits.max_characters, limits.characters_per_url, limits.max_media) == (500, 23, 4)
    assert limits.image_size_limit == 10485760 and limits.media_types == (
        "image/jpeg",
        "image/png",
        "video/mp4",
    )


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        ({"max_toot_chars": 5000}, (5000, None, None)),  # a fork's v1 field
        ({"configuration": "nope"}, (None, None, None)),
        (
            {
                "configuration": {
                    "statuses": {"max_characters": "500", "max_media_attachments": True},
                    "media_attachments": {"image_size_limit": 10**30, "supported_mime_types": "x"},
                }
            },
            (None, None, None),
        ),
        (
            {"configuration": {"statuses": {"max_characters": -1, "max_media_attachments": 0}}},
            (None, None, None),
        ),
    ],
)
def test_mastodon_odd_instance_answers_give_unknown_limits(instance, expected):
    limits = toot_publishing.limits_from(instance)
    assert (limits.max_characters, limits.max_media, limits.image_size_limit) == expected
    assert limits.media_types == ()
    with pytest.raises(RetryLater, match="unexpected shape"):
        toot_publishing.limits_from(["a", "list"])


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_publishes_once_per_key_and_finds_its_posts(workspace, other_workspace):
    from parvis.connectors.base import AccountSettings
    from parvis.demo.connector import DemoReplayConnector
    from parvis.demo.models import DemoSentPost

    connector = DemoReplayConnector(
        AccountSettings(workspace_id=workspace.pk, account_id=None, account=None)
    )
    start = since()
    context = PublishContext(workspace.pk, idempotency_key="demo-1")
    post = OutgoingPost(text="Bonjour du calendrier")
    assert connector.find_post(post, start, context) is None
    first = connector.publish(post, context)
    assert connector.publish(post, context) == first
    assert first.external_id.startswith("demo-post-") and first.published_at is not None
    assert DemoSentPost.objects.count() == 1
    assert connector.find_post(post, start, context) == first
    assert connector.find_post(post, start, PublishContext(workspace.pk)) == first
    assert connector.find_post(post, start, PublishContext(other_workspace.pk)) is None
    # A thread's next part answers the first.
    target = ReplyTarget(network="demo", external_id=first.external_id, raw=first.raw)
    part = OutgoingPost(text="suite", reply_to=target)
    second = connector.publish(part, PublishContext(workspace.pk, idempotency_key="demo-2"))
    assert DemoSentPost.objects.get(external_id=second.external_id).in_reply_to == (
        first.external_id
    )
    assert connector.find_post(part, start, PublishContext(workspace.pk)) == second
    assert (
        connector.find_post(OutgoingPost(text="suite"), start, PublishContext(workspace.pk)) is None
    )
    with translation.override("en"), pytest.raises(PermanentError, match="idempotency key"):
        connector.publish(post, PublishContext(workspace.pk))


def test_hostile_text_is_refused_before_any_request(sky, toots):
    for fake, connector in (sky, toots):
        before = len(fake.requests)
        with pytest.raises(PermanentError, match="lone surrogate"):
            connector.publish(
                OutgoingPost(text="Bonjour \ud800"), PublishContext(idempotency_key="s")
            )
        writes = [r for r in fake.requests[before:] if r.method == "POST"]
        assert [r.url.path for r in writes if "createSession" not in r.url.path] == []
    fake, connector = sky
    with pytest.raises(PermanentError, match="300 characters"):
        connector.publish(OutgoingPost(text="#é " * 400_000), PublishContext(idempotency_key="l"))
    assert creates(fake) == [] and fake.resolved == []


def test_bluesky_language_that_is_not_a_tag_is_left_out(sky):
    fake, connector = sky
    connector.publish(OutgoingPost(text="a", language="pt-BR"), PublishContext(idempotency_key="1"))
    connector.publish(
        OutgoingPost(text="b", language="français"), PublishContext(idempotency_key="2")
    )
    first, second = (c["record"] for c in creates(fake))
    assert first["langs"] == ["pt-BR"] and "langs" not in second


@pytest.mark.parametrize(
    ("status", "body", "raised", "words"),
    [
        (413, "<html>Request Entity Too Large</html>", PermanentError, "too large"),
        (200, ["a", "list"], RetryLater, "without the attachment's id"),
        (200, "<html>", RetryLater, "not JSON"),
        (
            422,
            {"error": "Validation failed: File file size must be less than"},
            PermanentError,
            "size",
        ),
        (429, {"error": "Too many requests"}, RetryLater, "rate limit"),
    ],
)
def test_mastodon_answers_to_the_upload_mapped(workspace, tmp_path, status, body, raised, words):
    fake = mastodon.Fake()
    account = connect(workspace, fake)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/media":
            if isinstance(body, str):
                return httpx.Response(status, text=body)
            return httpx.Response(status, json=body)
        return fake(request)

    client = http.client(transport=httpx.MockTransport(handler))
    connector = MastodonConnector.for_account(account, http=client)
    with pytest.raises(raised, match=words):
        connector.publish(
            OutgoingPost(text="x", media=(image(tmp_path),)), PublishContext(idempotency_key=KEY)
        )
    assert fake.sent == []

"""Publishing through Parvis's Bluesky connector on a real Bluesky network on 127.0.0.1 (PLC,
PDS, AppView from @atproto/dev-env; see conftest.py), read back from the AppView as any app
shows it: the text, its facets (a link, a mention resolved to a DID, a hashtag, at UTF-8 byte
offsets), an image with its alt text and aspect ratio, a two-part thread, and a resend with the
same idempotency key — after a lost answer too — that publishes nothing new."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import httpx
import pytest

from parvis.connectors import base, http
from parvis.connectors.base import (
    MediaFile,
    OutgoingPost,
    PublishContext,
    ReplyTarget,
    RetryLater,
)
from parvis.connectors.bluesky import BlueskyConnector
from parvis.connectors.bluesky.replies import rkey_for
from parvis.connectors.services import do_connect_account
from tests.connectors.bluesky_net import bsky

pytestmark = pytest.mark.django_db


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xf0\xa0\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class LosesAnswers(httpx.HTTPTransport):
    """The real network, except that the answer to the next createRecord is lost after the PDS
    has done the write (a worker killed, a connection cut)."""

    armed = False
    creates = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("com.atproto.repo.createRecord"):
            self.creates += 1
        if self.armed and request.url.path.endswith("com.atproto.repo.createRecord"):
            self.armed = False
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture(scope="module")
def people(bluesky_net: bsky.Network, xrpc_http):
    """The publishing account and a person it mentions. Nothing they post names « Maison
    Lumière »: the listening tests of the same network count exactly the posts that do."""
    net, h = bluesky_net, xrpc_http
    brand = bsky.create_account(h, net, "atelierbougies")
    claire = bsky.create_account(h, net, "claire")
    password = bsky.create_app_password(h, net, brand, "Parvis publishing")
    return brand, claire, password


@pytest.fixture
def connector(workspace, owner, bluesky_net, people):
    brand, _claire, password = people
    with http.client() as client:
        info = base.get("bluesky").login(
            client,
            {"handle": brand.handle, "app_password": password, "service_url": bluesky_net.pds},
        )
    account = do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle=info.handle,
        credentials=info.credentials,
    )
    transport = LosesAnswers()
    config = {
        "service_url": bluesky_net.pds,
        "appview_url": bluesky_net.appview,
        "appview_did": bluesky_net.appview_proxy,
    }
    connector = BlueskyConnector.for_account(
        account, config=config, http=http.client(transport=transport)
    )
    connector.transport = transport  # type: ignore[attr-defined]
    return connector


def thread(net: bsky.Network, h: httpx.Client, uri: str) -> dict | None:
    """The post's thread as the AppView shows it; None until it has indexed the post."""
    try:
        answer = bsky.xrpc(h, net.appview, "app.bsky.feed.getPostThread", params={"uri": uri})
    except bsky.XrpcError as exc:
        if "NotFound" in str(exc):
            return None
        raise
    return answer["thread"]


def author_posts(net: bsky.Network, h: httpx.Client, did: str) -> list[dict]:
    feed = bsky.xrpc(
        h,
        net.appview,
        "app.bsky.feed.getAuthorFeed",
        params={"actor": did, "filter": "posts_with_replies", "limit": 100},
    )["feed"]
    return [item["post"] for item in feed]


def cut(text: str, facet: dict) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def test_a_post_with_facets_an_image_and_a_thread_read_back_from_the_appview(
    connector, bluesky_net, xrpc_http, people, tmp_path
):
    net, h = bluesky_net, xrpc_http
    brand, claire, _password = people
    start = dt.datetime.now(dt.UTC)
    picture = tmp_path / "atelier.png"
    picture.write_bytes(png(12, 8))
    text = (
        f"Atelier 🕯️ de Noël à Lyon 👩🏽‍🎨 avec @{claire.handle} : "
        "https://atelier-bougies.example/ateliers?j=samedi #Bougies"
    )
    first_post = OutgoingPost(
        text=text,
        language="fr",
        media=(
            MediaFile(
                path=str(picture),
                mime_type="image/png",
                alt_text="Une bougie allumée sur l'établi",
                size=picture.stat().st_size,
                width=1200,
                height=800,
            ),
        ),
    )
    first = connector.publish(first_post, PublishContext(idempotency_key="net-post-1"))
    rkey = rkey_for("net-post-1")
    assert first.external_id == f"at://{brand.did}/app.bsky.feed.post/{rkey}"
    assert first.url == f"https://bsky.app/profile/{brand.handle}/post/{rkey}"
    parent = ReplyTarget(network="bluesky", external_id=first.external_id, raw=first.raw)
    second_post = OutgoingPost(text="2/2 Inscriptions à la boutique, à samedi !", reply_to=parent)
    second = connector.publish(second_post, PublishContext(idempotency_key="net-post-2"))

    shown = bsky.wait_until(
        lambda: (t := thread(net, h, first.external_id)) and t.get("replies") and t,
        "the thread in the AppView",
    )
    post = shown["post"]
    assert post["uri"] == first.external_id and post["cid"] == first.raw["cid"]
    record = post["record"]
    assert record["text"] == text and record["langs"] == ["fr"]
    # The facets as the AppView gives them back, each cut out of the text's UTF-8 bytes.
    features = [(cut(text, f), f["features"][0]) for f in record["facets"]]
    assert features == [
        (f"@{claire.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": claire.did}),
        (
            "https://atelier-bougies.example/ateliers?j=samedi",
            {
                "$type": "app.bsky.richtext.facet#link",
                "uri": "https://atelier-bougies.example/ateliers?j=samedi",
            },
        ),
        ("#Bougies", {"$type": "app.bsky.richtext.facet#tag", "tag": "Bougies"}),
    ]
    # The image: the AppView's view of the embed, with the alt text and the aspect ratio.
    embed = post["embed"]
    assert embed["$type"] == "app.bsky.embed.images#view"
    [image] = embed["images"]
    assert image["alt"] == "Une bougie allumée sur l'établi"
    assert image["aspectRatio"] == {"width": 1200, "height": 800}
    blob = record["embed"]["images"][0]["image"]
    assert blob["mimeType"] == "image/png" and blob["size"] == picture.stat().st_size
    assert blob["ref"]["$link"] in image["fullsize"]
    # The thread: the second part answers the first, which is also its root.
    [reply] = shown["replies"]
    assert reply["post"]["uri"] == second.external_id
    ref = {"uri": first.external_id, "cid": first.raw["cid"]}
    assert reply["post"]["record"]["reply"] == {"root": ref, "parent": ref}
    assert reply["post"]["record"]["text"] == second_post.text
    assert second.raw["root"] == ref

    # Found again by reading back the account's posts, without the key.
    assert connector.find_post(first_post, start, PublishContext()).external_id == (
        first.external_id
    )
    assert connector.find_post(second_post, start, PublishContext()) == second

    # Sent again with the same keys: nothing new on the network.
    assert connector.publish(first_post, PublishContext(idempotency_key="net-post-1")) == first
    assert connector.publish(second_post, PublishContext(idempotency_key="net-post-2")) == second
    # What the PDS answers a second write at a record key already taken: no 409 or
    # « already exists », an HTTP 500 InternalServerError from its repository (checked on
    # @atproto/dev-env 0.3.215), which is why the connector looks the key up on any error.
    session = connector.publish_session()
    with pytest.raises(RetryLater, match=r"HTTP 500 .*InternalServerError"):
        session.procedure(
            "com.atproto.repo.createRecord",
            {
                "repo": brand.did,
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": "doublon",
                    "createdAt": bsky.now_iso(),
                },
            },
        )
    posts = author_posts(net, h, brand.did)
    assert sorted(p["uri"] for p in posts) == sorted([first.external_id, second.external_id])


def test_a_lost_answer_then_a_resend_publishes_once(connector, bluesky_net, xrpc_http, people):
    net, h = bluesky_net, xrpc_http
    brand = people[0]
    before = {p["uri"] for p in author_posts(net, h, brand.did)}
    post = OutgoingPost(text="Une seule fois, même après une coupure #Lumière", language="fr")
    transport = connector.transport
    transport.armed = True
    # The PDS writes the post, its answer is lost: the connector finds the post at the key
    # derived from the idempotency key instead of failing (or writing it again).
    first = connector.publish(post, PublishContext(idempotency_key="net-post-3"))
    assert first.external_id == f"at://{brand.did}/app.bsky.feed.post/{rkey_for('net-post-3')}"
    assert first.raw["cid"] and transport.creates == 1
    # A worker that died before recording it tries again: nothing is written.
    again = connector.publish(post, PublishContext(idempotency_key="net-post-3"))
    assert again == first and transport.creates == 1
    uris = bsky.wait_until(
        lambda: (u := {p["uri"] for p in author_posts(net, h, brand.did)}) - before and u,
        "the post in the author feed",
    )
    assert uris - before == {first.external_id}


def mp4_header() -> bytes:
    """The start of an MP4 file (an ftyp box, brand mp42, then an empty mdat box): what the
    PDS sniffs; nothing here decodes the video."""
    ftyp = b"ftyp" + b"mp42" + b"\x00\x00\x00\x00" + b"mp42isom"
    mdat = b"mdat" + b"\x00" * 4096
    return (len(ftyp) + 4).to_bytes(4, "big") + ftyp + (len(mdat) + 4).to_bytes(4, "big") + mdat


def test_a_video_post_read_back_from_the_appview(
    connector, bluesky_net, xrpc_http, people, tmp_path
):
    net, h = bluesky_net, xrpc_http
    clip = tmp_path / "atelier.mp4"
    clip.write_bytes(mp4_header())
    video = MediaFile(
        path=str(clip),
        mime_type="video/mp4",
        alt_text="L'atelier en vingt secondes",
        size=clip.stat().st_size,
        width=1080,
        height=1920,
    )
    post = connector.publish(
        OutgoingPost(text="L'atelier en vidéo", media=(video,)),
        PublishContext(idempotency_key="net-video-1"),
    )
    shown = bsky.wait_until(
        lambda: bsky.appview_posts(h, net, [post.external_id]).get(post.external_id),
        "the video post in the AppView",
    )
    blob = shown["record"]["embed"]["video"]
    assert blob["mimeType"] == "video/mp4" and blob["size"] == clip.stat().st_size
    embed = shown["embed"]
    assert embed["$type"] == "app.bsky.embed.video#view"
    assert embed["cid"] == blob["ref"]["$link"]
    assert embed["alt"] == "L'atelier en vingt secondes"
    assert embed["aspectRatio"] == {"width": 1080, "height": 1920}

"""A file's description (alt text) edited after the upload, before the post is sent: checked
against each network it goes to, logged, sent back to the approvers; the post's page edits it
in place (htmx). And the one helper the pages read a post's files with."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from parvis.connectors.services import do_connect_account
from parvis.publishing import alttext, approvals, services
from parvis.publishing.models import EventKind, Media, Post, PostEvent, Status
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.publishing.pubui_helpers import png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def mastodon(workspace, owner):
    return do_connect_account(
        workspace,
        owner,
        network="mastodon",
        handle="@lumiere@piaille.fr",
        credentials={"access_token": "x", "instance_url": "https://piaille.fr"},
    )


@pytest.fixture
def bluesky(workspace, owner):
    return do_connect_account(
        workspace, owner, network="bluesky", handle="lumiere.bsky.social", credentials={"a": "x"}
    )


def post_with_image(workspace, owner, accounts, alt="Une bougie"):
    post = services.do_create_post(
        workspace, owner, "Nouvelle bougie", variants={a.pk: "" for a in accounts}
    )
    media = services.do_upload_media(workspace, owner, png(), filename="bougie.png", alt_text=alt)
    services.do_attach_media(post, owner, [media])
    post.refresh_from_db()
    return post, media


def alt_url(workspace, post, media):
    return reverse("publishing:media_alt", args=[workspace.slug, post.pk, media.pk])


def test_edited_logged_and_a_new_version(workspace, owner, mastodon):
    post, media = post_with_image(workspace, owner, [mastodon])
    version = post.version
    services.do_set_alt_text(media, owner, "  Une bougie ambrée sur une table en chêne  ")
    media.refresh_from_db()
    assert media.alt_text == "Une bougie ambrée sur une table en chêne"
    post.refresh_from_db()
    assert post.version == version + 1
    logged = PostEvent.objects.filter(post=post, kind=EventKind.EDITED).latest("id")
    assert logged.actor == owner and "bougie.png" in logged.message
    assert logged.details["alt_before"] == "Une bougie"
    assert logged.details["alt_after"] == "Une bougie ambrée sur une table en chêne"
    assert logged.details["media"] == media.pk
    # The same text again: nothing changes, nothing is logged.
    count = PostEvent.objects.filter(post=post).count()
    services.do_set_alt_text(media, owner, media.alt_text)
    assert PostEvent.objects.filter(post=post).count() == count


def test_mastodon_takes_1500_characters(workspace, owner, mastodon, bluesky):
    _post, media = post_with_image(workspace, owner, [mastodon, bluesky])
    services.do_set_alt_text(media, owner, "a" * 1500)
    with pytest.raises(ValidationError) as error:
        services.do_set_alt_text(media, owner, "a" * 1501)
    assert error.value.message_dict["alt_text"] == [
        "Mastodon takes a description of 1,500 characters at most and this one counts "
        "1,501: remove 1."
    ]
    media.refresh_from_db()
    assert media.alt_text == "a" * 1500


def test_bluesky_counts_graphemes_up_to_2000(workspace, owner, bluesky):
    _post, media = post_with_image(workspace, owner, [bluesky])
    accented = "e\u0301"  # two code points, one grapheme
    services.do_set_alt_text(media, owner, accented * 2000)
    with pytest.raises(ValidationError, match="2,001"):
        services.do_set_alt_text(media, owner, accented * 2001)
    assert alttext.limit_for("bluesky").measure("👨‍👩‍👧" * 3) == 3
    # 600 family emoji are 600 graphemes but 10,800 bytes: more than the connector sends.
    with pytest.raises(ValidationError, match="10,000 bytes"):
        services.do_set_alt_text(media, owner, "👨‍👩‍👧" * 600)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("x" * 1_000_000, "characters at most is kept"),
        ("Une bougie \ud800", "cannot be stored"),
        ("Une bougie \x00", "cannot be stored"),
    ],
)
def test_hostile_text_is_refused_clearly(workspace, owner, bluesky, value, words):
    _post, media = post_with_image(workspace, owner, [bluesky])
    with pytest.raises(ValidationError, match=words):
        services.do_set_alt_text(media, owner, value)
    assert Media.objects.get(pk=media.pk).alt_text == "Une bougie"


def test_approved_then_edited_goes_back_to_approval(workspace, owner, member_factory, bluesky):
    services.do_save_approval_settings(workspace, owner, flow="one", step1_role=Role.CLIENT)
    client = member_factory(Role.CLIENT)
    post, media = post_with_image(workspace, owner, [bluesky])
    approvals.do_submit_for_approval(post, owner)
    approvals.do_approve(post, client, "")
    assert Post.objects.get(pk=post.pk).status == Status.APPROVED
    services.do_set_alt_text(media, owner, "Une autre description")
    assert Post.objects.get(pk=post.pk).status == Status.AWAITING_APPROVAL
    assert PostEvent.objects.filter(post=post, kind=EventKind.BACK_TO_APPROVAL).exists()


def test_not_after_it_is_sent_nor_unattached(workspace, owner, bluesky):
    post, media = post_with_image(workspace, owner, [bluesky])
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHED)
    with pytest.raises(ValidationError, match="can no longer be edited"):
        services.do_set_alt_text(media, owner, "Trop tard")
    loose = services.do_upload_media(workspace, owner, png(3, 3), filename="seule.png")
    with pytest.raises(ValidationError, match="not attached"):
        services.do_set_alt_text(loose, owner, "Seule")


def test_edited_in_place_on_the_post_page(workspace, owner, mastodon):
    post, media = post_with_image(workspace, owner, [mastodon])
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("publishing:post", args=[workspace.slug, post.pk])).content.decode()
    assert f'id="media-{media.pk}"' in page and "Edit the description" in page
    assert "Mastodon: 1,500" in page
    answer = client.post(
        alt_url(workspace, post, media),
        {"alt_text": "Bougie <b>ambrée</b>"},
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and html.startswith('<li id="media-')
    assert "Description saved." in html and "Bougie &lt;b&gt;ambrée&lt;/b&gt;" in html
    assert "<b>ambrée</b>" not in html
    refused = client.post(
        alt_url(workspace, post, media), {"alt_text": "a" * 1501}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "1,500 characters at most" in refused and 'class="errorlist"' in refused
    assert "a" * 1501 in refused  # what was typed stays in the box
    assert Media.objects.get(pk=media.pk).alt_text == "Bougie <b>ambrée</b>"
    huge = client.post(
        alt_url(workspace, post, media), {"alt_text": "x" * 1_000_000}, HTTP_HX_REQUEST="true"
    )
    assert huge.status_code == 200 and "characters at most is kept" in huge.content.decode()
    assert len(huge.content) < 50_000  # what was typed comes back cut, not a megabyte
    # Without htmx: back to the post's page, the message says it.
    plain = client.post(alt_url(workspace, post, media), {"alt_text": "Bougie"})
    assert plain.status_code == 302 and plain["Location"].endswith(f"#media-{media.pk}")


def test_the_composer_links_to_it_and_french_pages_render(workspace, owner, mastodon):
    post, media = post_with_image(workspace, owner, [mastodon])
    client = login(owner)
    edit = client.get(reverse("publishing:edit", args=[workspace.slug, post.pk])).content.decode()
    assert f"#media-{media.pk}" in edit
    page = client.get(reverse("publishing:post", args=[workspace.slug, post.pk])).content.decode()
    assert 'lang="fr"' in page and f'id="media-{media.pk}"' in page


def test_who_may_edit_and_which_file(workspace, owner, member_factory, outsider, mastodon):
    post, media = post_with_image(workspace, owner, [mastodon])
    _other, other_media = post_with_image(workspace, owner, [mastodon], alt="Autre")
    data = {"alt_text": "Changé"}
    assert (
        login(member_factory(Role.CLIENT)).post(alt_url(workspace, post, media), data).status_code
        == 403
    )
    assert login(outsider).post(alt_url(workspace, post, media), data).status_code == 404
    # A file of another post, through this post's URL: not found.
    assert login(owner).post(alt_url(workspace, post, other_media), data).status_code == 404
    assert Media.objects.get(pk=media.pk).alt_text == "Une bougie"
    assert Media.objects.get(pk=other_media.pk).alt_text == "Autre"


def test_one_helper_reads_a_posts_files(workspace, owner, mastodon):
    post, media = post_with_image(workspace, owner, [mastodon])
    second = services.do_upload_media(workspace, owner, png(5, 5), filename="deux.png")
    services.do_attach_media(post, owner, [media, second])
    assert [m.pk for m in services.post_media(post)] == [media.pk, second.pk]
    assert services.media_post(second) == post

"""The publishing pages: calendar, composer, post, approval link."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parvis.connectors.services import do_connect_account
from parvis.publishing import approvals, services
from parvis.publishing.models import EventKind, Media, Post, PostEvent, Status, Variant
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.publishing.pubui_helpers import png

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def bluesky(workspace, owner):
    return do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle="lumiere.bsky.social",
        credentials={"app_password": "x"},
    )


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
def cm(member_factory):
    return member_factory(Role.COMMUNITY_MANAGER)


@pytest.fixture
def client_member(member_factory):
    return member_factory(Role.CLIENT)


@pytest.fixture
def one_step(workspace, owner):
    return services.do_save_approval_settings(workspace, owner, flow="one", step1_role=Role.CLIENT)


@pytest.fixture
def unsafe(workspace):
    """What listening sees right now: « #Iran » is the hashtag of an election and of deaths
    (mentions stored through the real pipeline), so brand safety blocks a promotion on it."""
    from tests.publishing.safety_data import IRAN, store

    store(workspace, IRAN)
    return "#Iran"


def make_post(workspace, owner, accounts, when, text="Bonjour", status=None):
    post = services.do_create_post(
        workspace, owner, text, variants={a.pk: "" for a in accounts}, scheduled_at=when
    )
    if status is not None:
        Post.objects.filter(pk=post.pk).update(status=status)
        Variant.objects.filter(post=post).update(status=status)
        post.refresh_from_db()
    return post


def url(name, workspace, *args):
    return reverse(f"publishing:{name}", args=[workspace.slug, *args])


# --- calendar ---------------------------------------------------------------------------------


def test_month_puts_posts_on_their_paris_day_with_holidays(workspace, owner, bluesky):
    # 23:30 in Paris on 24 Dec is 22:30 UTC: the post belongs to the 24th.
    make_post(workspace, owner, [bluesky], paris(2026, 12, 24, 23, 30), text="Joyeux réveillon")
    response = login(owner).get(url("calendar", workspace) + "?month=2026-12")
    assert response.status_code == 200
    html = response.content.decode()
    day = html.split('data-date="2026-12-24"', 1)[1].split('data-date="2026-12-25"', 1)[0]
    assert "Joyeux réveillon" in day
    assert "23:30" in day
    christmas = html.split('data-date="2026-12-25"', 1)[1].split('data-date="2026-12-26"')[0]
    assert "Noël" in christmas or "Christmas" in christmas


def test_alsace_moselle_holidays_on_request(workspace, owner):
    client = login(owner)
    base = url("calendar", workspace) + "?month=2026-12"
    boxing_day = 'data-date="2026-12-26"'

    def day26(html):
        return html.split(boxing_day, 1)[1].split('data-date="2026-12-27"')[0]

    assert "day-tag public" not in day26(client.get(base).content.decode())
    assert "day-tag public" in day26(client.get(base + "&alsace=on").content.decode())


def test_month_shows_dst_days_and_starts_on_monday(workspace, owner):
    html = login(owner).get(url("calendar", workspace) + "?month=2026-03").content.decode()
    # March 2026 starts on a Sunday: the grid opens on Monday 23 February.
    assert html.index('data-date="2026-02-23"') < html.index('data-date="2026-03-01"')
    march29 = html.split('data-date="2026-03-29"', 1)[1].split('data-date="2026-03-30"')[0]
    assert "23 h" in march29


def test_cadence_row_says_behind_or_ahead(workspace, owner, bluesky, populated):
    # populated: the strategy plans 4 posts a week on Bluesky.
    for day in (7, 8):
        make_post(workspace, owner, [bluesky], paris(2026, 12, day, 10), status=Status.SCHEDULED)
    week = url("calendar", workspace) + "?view=week&week=2026-W50"
    client = login(owner)
    with mock.patch("django.utils.timezone.now", lambda: paris(2026, 12, 21, 9)):
        html = client.get(week).content.decode()
    assert "2/4" in html
    assert 'class="cadence-cell behind"' in html
    # drafts do not count
    make_post(workspace, owner, [bluesky], paris(2026, 12, 9, 10))
    with mock.patch("django.utils.timezone.now", lambda: paris(2026, 12, 21, 9)):
        html = client.get(week).content.decode()
    assert "2/4" in html
    # While the week runs, what is missing is still to plan, not late.
    with mock.patch("django.utils.timezone.now", lambda: paris(2026, 12, 9, 9)):
        html = client.get(week).content.decode()
    assert 'class="cadence-cell to_plan"' in html
    assert html.count('class="cadence-cell behind"') == 1  # the legend's


def test_filters_by_network_status_and_forged_values(workspace, owner, bluesky, mastodon):
    make_post(workspace, owner, [bluesky], paris(2026, 12, 8, 10), text="Sur Bluesky")
    make_post(
        workspace,
        owner,
        [mastodon],
        paris(2026, 12, 9, 10),
        text="Sur Mastodon",
        status=Status.SCHEDULED,
    )
    client = login(owner)
    base = url("calendar", workspace) + "?month=2026-12"
    html = client.get(base + "&network=mastodon").content.decode()
    assert "Sur Mastodon" in html and "Sur Bluesky" not in html
    html = client.get(base + "&status=draft").content.decode()
    assert "Sur Bluesky" in html and "Sur Mastodon" not in html
    html = client.get(base + f"&account={bluesky.pk}").content.decode()
    assert "Sur Bluesky" in html and "Sur Mastodon" not in html
    forged = client.get(base + "&account=99999&status=%00&campaign=x")
    assert forged.status_code == 200
    assert "Sur Bluesky" in forged.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?month=9999-12",
        "?month=2026-13",
        "?view=week&week=2027-W53",
        "?view=list&from=2026-02-30",
        "?month=" + "9" * 5000,
        "?view=list&from=%ED%A0%80",
    ],
)
def test_bad_dates_give_a_clear_page(workspace, owner, query):
    response = login(owner).get(url("calendar", workspace) + query)
    assert response.status_code == 400
    assert "1990" in response.content.decode()


def test_a_thread_shows_once_with_its_length(workspace, owner, bluesky):
    head = make_post(workspace, owner, [bluesky], paris(2026, 12, 10, 9), text="Fil 1/3")
    services.do_create_post(workspace, owner, "Fil 2/3", thread_parent=head)
    services.do_create_post(workspace, owner, "Fil 3/3", thread_parent=head)
    html = login(owner).get(url("calendar", workspace) + "?month=2026-12").content.decode()
    assert html.count('class="post-chip') == 1
    assert "3 posts" in html
    page = login(owner).get(url("post", workspace, head.pk)).content.decode()
    assert "Fil 2/3" in page and "Fil 3/3" in page


def test_list_view_and_undated_drafts(workspace, owner, bluesky):
    make_post(workspace, owner, [bluesky], paris(2026, 12, 10, 9), text="Daté")
    make_post(workspace, owner, [bluesky], None, text="Sans date")
    html = (
        login(owner).get(url("calendar", workspace) + "?view=list&from=2026-12-07").content.decode()
    )
    assert "Daté" in html and "Sans date" in html
    assert 'action="' + url("move", workspace, Post.objects.get(text="Daté").pk) in html


def test_calendar_queries_do_not_grow_with_posts(workspace, owner, bluesky, mastodon, populated):
    client = login(owner)
    page = url("calendar", workspace) + "?month=2026-12"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    for i in range(5):
        make_post(workspace, owner, [bluesky, mastodon], paris(2026, 12, 1 + i, 9))
    queries()  # the first view of a workspace also writes the session
    few = queries()
    for i in range(195):
        make_post(
            workspace,
            owner,
            [bluesky],
            paris(2026, 12, 1 + i % 31, 10, i % 60),
            status=Status.SCHEDULED,
        )
    assert Post.objects.filter(workspace=workspace).count() == 200
    many = queries()
    assert many == few
    assert few <= 12
    # a busy day shows four posts and a link to the others in the list
    html = client.get(page).content.decode()
    busy = html.split('data-date="2026-12-01"', 1)[1].split('data-date="2026-12-02"')[0]
    assert busy.count('class="post-chip') == 4
    assert "?view=list&amp;from=2026-12-01" in busy


def test_agency_view_labels_each_client(workspace, other_workspace, owner, bluesky, member_factory):
    from parvis.workspaces.services import do_add_member

    do_add_member(other_workspace, owner, Role.MANAGER)
    rival = do_connect_account(
        other_workspace,
        owner,
        network="bluesky",
        handle="rival.test",
        credentials={"app_password": "x"},
    )
    now = dt.datetime.now(PARIS).replace(hour=10, minute=0, second=0, microsecond=0)
    make_post(workspace, owner, [bluesky], now, text="Chez Lumière")
    make_post(other_workspace, owner, [rival], now, text="Chez Rival")
    client = login(owner)
    html = client.get(reverse("publishing_agency")).content.decode()
    assert "Chez Lumière" in html and "Chez Rival" in html
    assert "Maison Lumière" in html and "Rival &amp; Co" in html
    assert "Tous mes clients" in client.get(url("calendar", workspace)).content.decode() or (
        "All my clients" in client.get(url("calendar", workspace)).content.decode()
    )
    only = client.get(reverse("publishing_agency") + "?workspace=rival").content.decode()
    assert "Chez Rival" in only and "Chez Lumière" not in only


def test_agency_view_shows_only_the_users_workspaces(
    workspace, other_workspace, outsider, owner, bluesky
):
    make_post(workspace, owner, [bluesky], dt.datetime.now(PARIS), text="Secret Lumière")
    html = login(outsider).get(reverse("publishing_agency")).content.decode()
    assert "Secret Lumière" not in html


# --- moving -----------------------------------------------------------------------------------


def test_move_keeps_the_local_time_across_dst(workspace, owner, bluesky):
    post = make_post(workspace, owner, [bluesky], paris(2027, 3, 27, 10))
    response = login(owner).post(
        url("move", workspace, post.pk), {"day": "2027-03-29", "next": "/evil.test"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.scheduled_at == paris(2027, 3, 29, 10)
    assert post.scheduled_at.astimezone(dt.UTC).hour == 8  # summer time now
    assert PostEvent.objects.filter(post=post, kind=EventKind.RESCHEDULED).exists()


def test_move_with_a_time_and_bad_input(workspace, owner, bluesky):
    post = make_post(workspace, owner, [bluesky], paris(2026, 12, 8, 10))
    client = login(owner)
    client.post(url("move", workspace, post.pk), {"day": "2026-12-10", "time": "18:45"})
    post.refresh_from_db()
    assert post.scheduled_at == paris(2026, 12, 10, 18, 45)
    for bad in ("9999-01-01", "2026-02-30", "x", "2026-12-10\x00"):
        response = client.post(url("move", workspace, post.pk), {"day": bad})
        assert response.status_code == 302
    post.refresh_from_db()
    assert post.scheduled_at == paris(2026, 12, 10, 18, 45)


def test_a_client_cannot_move(workspace, owner, bluesky, client_member):
    post = make_post(workspace, owner, [bluesky], paris(2026, 12, 8, 10))
    response = login(client_member).post(url("move", workspace, post.pk), {"day": "2026-12-10"})
    assert response.status_code == 403


# --- composer ---------------------------------------------------------------------------------


def test_compose_creates_a_post_with_variants_in_the_workspace_zone(
    workspace, cm, bluesky, mastodon
):
    response = login(cm).post(
        url("compose", workspace),
        {
            "text": "Nouvelle collection 🕯️",
            "accounts": [bluesky.pk, mastodon.pk],
            f"own_{mastodon.pk}": "on",
            f"variant_{mastodon.pk}": "Nouvelle collection, version Mastodon",
            f"variant_{bluesky.pk}": "ignored: no own text",
            "day": "2026-12-15",
            "time": "18:30",
            "action": "save",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.scheduled_at == paris(2026, 12, 15, 18, 30)
    texts = {v.account_id: v.text for v in post.variants.all()}
    assert texts == {bluesky.pk: "", mastodon.pk: "Nouvelle collection, version Mastodon"}
    assert response["Location"] == url("edit", workspace, post.pk)
    page = login(cm).get(response["Location"])
    assert page.status_code == 200
    assert "version Mastodon" in page.content.decode()


def test_compose_refuses_what_cannot_be_stored(workspace, cm, bluesky):
    response = login(cm).post(
        url("compose", workspace),
        {
            "text": "bad \x00 text",
            "accounts": [bluesky.pk],
            "day": "9999-01-01",
        },
    )
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_compose_refuses_another_workspaces_account(workspace, other_workspace, owner, cm):
    foreign = do_connect_account(
        other_workspace,
        owner,
        network="bluesky",
        handle="x.test",
        credentials={"app_password": "x"},
    )
    response = login(cm).post(url("compose", workspace), {"text": "Hi", "accounts": [foreign.pk]})
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_compose_uploads_an_image_with_its_alt_text(workspace, cm, bluesky, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_DIR = tmp_path
    client = login(cm)
    data = {"text": "Photo", "accounts": [bluesky.pk], "action": "save"}
    missing_alt = client.post(
        url("compose", workspace),
        {**data, "upload": SimpleUploadedFile("a.png", png(), "image/png")},
    )
    assert missing_alt.status_code == 400
    assert not Post.objects.exists()
    response = client.post(
        url("compose", workspace),
        {
            **data,
            "alt_text": "Une bougie allumée",
            "upload": SimpleUploadedFile("a.png", png(), "image/png"),
        },
    )
    assert response.status_code == 302
    media = Media.objects.get()
    assert media.post == Post.objects.get()
    assert media.alt_text == "Une bougie allumée"
    served = client.get(url("media", workspace, media.pk))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"


def test_send_for_approval_from_the_composer(workspace, cm, bluesky, one_step):
    response = login(cm).post(
        url("compose", workspace),
        {
            "text": "À valider",
            "accounts": [bluesky.pk],
            "day": "2030-01-08",
            "time": "09:00",
            "action": "submit",
        },
    )
    post = Post.objects.get()
    assert response["Location"] == url("post", workspace, post.pk)
    assert post.status == Status.AWAITING_APPROVAL


def test_live_checks_count_per_network(workspace, cm, bluesky, mastodon):
    response = login(cm).post(
        url("live_checks", workspace),
        {
            "text": "x" * 320,
            "accounts": [bluesky.pk, mastodon.pk],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "320 / 300" in html and "320 / 500" in html
    assert html.count('class="live-row over"') == 1
    # The counting rules' own words (parvis/connectors/counting.py), per network.
    assert "Bluesky" in html and "300" in html and "20" in html
    # The length bar: past the limit its scale ends at the length, so the excess shows (a
    # meter clamps its value to its maximum: a full bar read as « fine »).
    assert '<meter min="0" max="320" low="270" high="300" optimum="0" value="320"' in html
    assert 'data-over="20"' in html
    assert '<meter min="0" max="500" low="450" high="500" optimum="0" value="320"' in html


def test_live_checks_count_hashtags_and_unknown_limits(workspace, owner, cm):
    instagram = do_connect_account(
        workspace,
        owner,
        network="instagram",
        handle="maisonlumiere",
        credentials={"access_token": "x"},
    )
    # A network whose counting rules Parvis does not know: a count, no bar, a warning.
    other = do_connect_account(
        workspace, owner, network="hackernews", handle="lumiere", credentials={"token": "x"}
    )
    text = " ".join(f"#tag{i}" for i in range(31))
    client = login(cm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {"text": text, "accounts": [instagram.pk, other.pk]}
    html = client.post(url("live_checks", workspace), data).content.decode()
    assert "Hashtags: 31 / 30" in html
    assert "Instagram takes 30 hashtags at most and this text has 31: remove 1." in html
    assert html.count('class="live-row over"') == 1  # the unknown network is not « over »
    rows = html.split('<div class="live-row')
    unknown = next(r for r in rows if 'data-network="hackernews"' in r)
    assert f"{len(text)} / " not in unknown and "<meter" not in unknown
    assert "does not know how Hacker News counts" in html


def test_live_checks_show_brand_safety(workspace, cm, bluesky, unsafe):
    html = (
        login(cm)
        .post(url("live_checks", workspace), {"text": "Nos soldes #Iran", "accounts": [bluesky.pk]})
        .content.decode()
    )
    assert "#Iran" in html and "élection" in html
    # With the mentions that show why, and the severity that needs an override.
    assert html.count('<li><span class="muted">') == 3
    assert 'class="pill s-negative"' in html


def test_override_needs_a_reason_and_is_logged(workspace, owner, bluesky, unsafe):
    post = make_post(workspace, owner, [bluesky], paris(2030, 1, 8, 9), text="Promo #Iran")
    client = login(owner)
    page = client.get(url("edit", workspace, post.pk)).content.decode()
    assert "élection" in page and 'id="override-form"' in page
    client.post(url("override", workspace, post.pk), {"reason": "   "})
    post.refresh_from_db()
    assert post.safety_overridden == []
    client.post(url("override", workspace, post.pk), {"reason": "Validé avec le client"})
    post.refresh_from_db()
    assert post.safety_override_reason == "Validé avec le client"
    log = client.get(url("post", workspace, post.pk)).content.decode()
    assert "Validé avec le client" in log


# --- post and approvals -----------------------------------------------------------------------


def test_client_approves_from_the_post_page(workspace, cm, client_member, bluesky, one_step):
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9))
    approvals.do_submit_for_approval(post, cm)
    client = login(client_member)
    page = client.get(url("post", workspace, post.pk)).content.decode()
    assert 'id="decide-form"' in page
    # asking for changes needs a comment
    client.post(url("decide", workspace, post.pk), {"decision": "changes", "comment": ""})
    post.refresh_from_db()
    assert post.status == Status.AWAITING_APPROVAL
    client.post(url("decide", workspace, post.pk), {"decision": "approve", "comment": "Parfait"})
    post.refresh_from_db()
    assert post.status == Status.SCHEDULED  # approved with a time and every check passed
    page = client.get(url("post", workspace, post.pk)).content.decode()
    assert "Parfait" in page


def test_approvers_see_what_waits_for_them_on_the_calendar(
    workspace, cm, client_member, bluesky, one_step
):
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9), text="À valider vite")
    approvals.do_submit_for_approval(post, cm)
    html = login(client_member).get(url("calendar", workspace)).content.decode()
    assert 'id="to-approve"' in html and "À valider vite" in html
    assert 'id="to-approve"' not in login(cm).get(url("calendar", workspace)).content.decode()


def test_a_community_manager_cannot_decide(workspace, cm, bluesky, one_step):
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9))
    approvals.do_submit_for_approval(post, cm)
    assert (
        login(cm).post(url("decide", workspace, post.pk), {"decision": "approve"}).status_code
        == 403
    )
    assert 'id="decide-form"' not in login(cm).get(url("post", workspace, post.pk)).content.decode()


def test_failed_variant_shows_what_to_do_and_retries(workspace, owner, bluesky):
    post = make_post(workspace, owner, [bluesky], paris(2030, 1, 8, 9), status=Status.FAILED)
    variant = post.variants.get()
    Variant.objects.filter(pk=variant.pk).update(
        last_error="401 Unauthorized", what_to_do="Reconnectez le compte Bluesky."
    )
    client = login(owner)
    html = client.get(url("post", workspace, post.pk)).content.decode()
    assert "Reconnectez le compte Bluesky." in html and "401 Unauthorized" in html
    client.post(url("retry", workspace, post.pk, variant.pk))
    variant.refresh_from_db()
    assert variant.status == Status.SCHEDULED


def test_published_links_are_shown(workspace, owner, bluesky):
    post = make_post(workspace, owner, [bluesky], paris(2026, 12, 1, 9), status=Status.PUBLISHED)
    Variant.objects.filter(post=post).update(url="https://bsky.app/profile/x/post/1")
    html = login(owner).get(url("post", workspace, post.pk)).content.decode()
    assert 'href="https://bsky.app/profile/x/post/1"' in html


# --- the signed link --------------------------------------------------------------------------


def test_approval_link_works_once_without_login(workspace, cm, bluesky, one_step, client):
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9), text="Pour le client")
    approvals.do_submit_for_approval(post, cm)
    login(cm).post(url("send_link", workspace, post.pk), {"email": "client@lumiere.test"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.split() if "/approve/" in line)
    path = link[link.index("/approve/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert "Pour le client" in page.content.decode()
    done = client.post(path, {"decision": "approve", "comment": ""})
    assert done.status_code == 200
    post.refresh_from_db()
    assert post.status in (Status.APPROVED, Status.SCHEDULED)
    again = client.get(path)
    assert again.status_code == 410
    assert 'id="link-problem"' in again.content.decode()
    assert client.post(path, {"decision": "approve"}).status_code == 410


def test_approval_link_shows_the_posts_image(
    workspace, cm, bluesky, one_step, client, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9))
    media = services.do_upload_media(workspace, cm, png(), filename="a.png", alt_text="Bougie")
    services.do_attach_media(post, cm, [media])
    other = services.do_upload_media(workspace, cm, png(3, 1), filename="b.png")
    approvals.do_submit_for_approval(post, cm)
    _link, token = approvals.do_create_link(post, cm, "c@lumiere.test")
    image = reverse("publishing_approval_media", args=[token, media.pk])
    assert image in client.get(reverse("publishing_approval_link", args=[token])).content.decode()
    assert client.get(image)["Content-Type"] == "image/png"
    # another file of the workspace, or a forged token: nothing
    assert (
        client.get(reverse("publishing_approval_media", args=[token, other.pk])).status_code == 404
    )
    assert client.get(reverse("publishing_approval_media", args=["x", media.pk])).status_code == 404


@pytest.mark.parametrize("token", ["nope", "1:x:y", "a" * 600, "%F0%9F%95%AF"])
def test_forged_links_get_a_clear_page(client, token):
    response = client.get(f"/approve/{token}/")
    assert response.status_code == 410


def test_expired_and_outdated_links(workspace, cm, bluesky, one_step, client):
    post = make_post(workspace, cm, [bluesky], paris(2030, 1, 8, 9))
    approvals.do_submit_for_approval(post, cm)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    _link, token = approvals.do_create_link(post, cm, "c@lumiere.test", now=past)
    assert client.get(reverse("publishing_approval_link", args=[token])).status_code == 410
    _link, fresh = approvals.do_create_link(post, cm, "c@lumiere.test")
    services.do_update_post(post, cm, text="Edited after the link")
    response = client.get(reverse("publishing_approval_link", args=[fresh]))
    assert response.status_code == 410


# --- settings ---------------------------------------------------------------------------------


def test_owner_sets_the_approval_flow(workspace, owner, cm):
    client = login(owner)
    assert client.get(url("settings", workspace)).status_code == 200
    response = client.post(
        url("settings", workspace),
        {"flow": "two", "step1_role": "manager", "step2_role": "client", "link_hours": "48"},
    )
    assert response.status_code == 302
    row = services.get_approval_settings(workspace)
    assert (row.flow, row.step1_role, row.step2_role, row.link_hours) == (
        "two",
        "manager",
        "client",
        48,
    )
    bad = client.post(
        url("settings", workspace),
        {"flow": "two", "step1_role": "analyst", "step2_role": "client", "link_hours": "99999"},
    )
    assert bad.status_code == 400
    # a community manager sees the flow but cannot change it
    assert login(cm).get(url("settings", workspace)).status_code == 200
    denied = login(cm).post(
        url("settings", workspace),
        {"flow": "none", "step1_role": "manager", "step2_role": "client", "link_hours": "1"},
    )
    assert denied.status_code == 403
    assert services.get_approval_settings(workspace).flow == "two"


def test_campaigns_are_added_and_filter_the_calendar(workspace, cm, bluesky):
    client = login(cm)
    client.post(url("campaign_add", workspace), {"name": "Noël 2026"})
    client.post(url("campaign_add", workspace), {"name": "   "})
    from parvis.publishing.models import Campaign

    campaign = Campaign.objects.get(workspace=workspace)
    assert campaign.name == "Noël 2026"
    make_post(workspace, cm, [bluesky], paris(2026, 12, 8, 10), text="Sans campagne")
    post = make_post(workspace, cm, [bluesky], paris(2026, 12, 9, 10), text="Avec campagne")
    services.do_update_post(post, cm, campaign=campaign)
    html = client.get(
        url("calendar", workspace) + f"?month=2026-12&campaign={campaign.pk}"
    ).content.decode()
    assert "Avec campagne" in html and "Sans campagne" not in html


# --- hostile input ----------------------------------------------------------------------------


def test_hostile_ids_and_text(workspace, owner, bluesky):
    client = login(owner)
    huge = 2**64
    for path in (
        url("post", workspace, huge),
        url("edit", workspace, huge),
        url("media", workspace, huge),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(url("move", workspace, huge), {"day": "2026-12-10"}).status_code == 404
    post = make_post(
        workspace, owner, [bluesky], paris(2026, 12, 8, 10), text="<script>alert(1)</script>"
    )
    assert client.post(url("retry", workspace, post.pk, huge)).status_code == 404
    for page in (url("calendar", workspace) + "?month=2026-12", url("post", workspace, post.pk)):
        html = client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    too_long = client.post(url("compose", workspace), {"text": "x" * 1_000_001})
    assert too_long.status_code == 400


def test_preview_marks_links_hashtags_and_mentions():
    from parvis.publishing.pages import preview_parts

    parts = preview_parts("Bonjour @camille@piaille.fr ! #Noël2026 https://ml.fr/a?b=1 <b>x</b>")
    assert parts == [
        ("", "Bonjour "),
        ("mention", "@camille@piaille.fr"),
        ("", " ! "),
        ("tag", "#Noël2026"),
        ("", " "),
        ("link", "https://ml.fr/a?b=1"),
        ("", " <b>x</b>"),
    ]
    assert preview_parts("") == []
    assert preview_parts("a#b c@d") == [("", "a#b c@d")]


def test_preview_is_escaped(workspace, cm, bluesky):
    html = (
        login(cm)
        .post(
            url("live_checks", workspace),
            {"text": "<img src=x onerror=alert(1)> #tag", "accounts": [bluesky.pk]},
        )
        .content.decode()
    )
    assert "<img src=x" not in html
    assert '<span class="pv-tag">#tag</span>' in html

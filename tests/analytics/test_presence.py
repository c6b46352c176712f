"""The presence: profiles read through each connector's fake network, the audit's flags and
the follower-jump rule on hand-made data with known answers."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.analytics import presence
from parvis.analytics.models import AccountSnapshot, ProfileReading
from parvis.analytics.presence import Profile
from parvis.connectors import http
from parvis.connectors.base import MetricsContext, PermanentError, ProfileInfo, RetryLater, get
from parvis.connectors.services import do_connect_account
from tests.connectors.fakes import bluesky, mastodon

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DAY0 = dt.date(2026, 9, 1)


def connect(workspace, fake, handle=None):
    spec = fake.account()
    account = do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=handle or spec["handle"],
        credentials=spec["credentials"],
    )
    connector = get(fake.kind).for_account(account, http=http.client(transport=fake.transport()))
    return account, connector


# --- reading the profiles ---------------------------------------------------------------------


@pytest.mark.django_db
def test_bluesky_reads_the_profile(workspace):
    fake = bluesky.Fake()
    did = bluesky.did_of(bluesky.OUR_HANDLE)
    fake.own_profile = {
        "displayName": "Maison Lumière ✨",
        "description": "Bougies artisanales. Soldes 2025 ! https://lumiere.example/shop.",
        "banner": f"https://cdn.bsky.app/img/banner/plain/{did}/bafkrei@jpeg",
        "pinnedPost": {"uri": f"at://{did}/app.bsky.feed.post/3l6oveex3ii2l", "cid": "bafyrei"},
    }
    _account, connector = connect(workspace, fake)
    found = connector.profile(MetricsContext())
    assert found.name == "Maison Lumière ✨"
    assert found.bio.startswith("Bougies artisanales.")
    assert found.avatar.startswith("https://cdn.bsky.app/img/avatar/")
    assert found.banner.endswith("bafkrei@jpeg")
    assert found.links == ("https://lumiere.example/shop",)
    assert found.pinned == f"https://bsky.app/profile/{did}/post/3l6oveex3ii2l"
    asked = [r for r in fake.requests if r.url.path.endswith("app.bsky.actor.getProfile")]
    assert asked[-1].url.params["actor"] == did


@pytest.mark.django_db
def test_bluesky_fields_left_out_are_none_set(workspace):
    fake = bluesky.Fake()
    fake.own_profile = {"displayName": None, "avatar": None}  # optional in the lexicon
    _account, connector = connect(workspace, fake)
    found = connector.profile(MetricsContext())
    assert found == ProfileInfo(name="", bio="", avatar="", banner="", links=(), pinned="")


@pytest.mark.django_db
def test_mastodon_reads_verify_credentials_as_text(workspace):
    fake = mastodon.Fake()
    fake.own_profile = {
        "display_name": "Maison Lumière",
        "note": "<p>Bougies &amp; déco<br>Nouveautés 2025</p>",
        "header": "https://files.piaille.example/accounts/headers/1/original/a.png",
        "fields": [
            {
                "name": "Site",
                "value": '<a href="https://lumiere.example" rel="me nofollow noopener" '
                'target="_blank"><span class="invisible">https://</span>'
                '<span class="">lumiere.example</span></a>',
                "verified_at": "2026-01-02T10:00:00.000+00:00",
            },
            {"name": "Boutique", "value": "rue des Arts, Lyon"},
        ],
    }
    _account, connector = connect(workspace, fake)
    found = connector.profile(MetricsContext())
    assert found.name == "Maison Lumière"
    assert found.bio == "Bougies & déco\nNouveautés 2025"
    assert found.avatar.startswith("https://files.")
    assert found.banner.endswith("/a.png")
    assert found.links == ("https://lumiere.example",)
    assert found.pinned is None  # not read: another call per account
    assert fake.requests[-1].url.path == "/api/v1/accounts/verify_credentials"


@pytest.mark.django_db
def test_mastodon_missing_header_is_none_set_and_hostile_fields_are_cut(workspace):
    fake = mastodon.Fake()  # the fake's header is Mastodon's missing.png stand-in
    fake.own_profile = {
        "display_name": "a\x00b" + "x" * 5000,
        "note": ["not", "text"],
        "fields": "nope",
    }
    _account, connector = connect(workspace, fake)
    found = connector.profile(MetricsContext())
    assert found.banner == ""
    assert found.name.startswith("abx") and len(found.name) == 640
    assert found.bio == "" and found.links == ()


def test_profile_text_drops_nul_and_lone_surrogates():
    from parvis.connectors.base import profile_text

    assert profile_text(" a\x00b\ud800c ") == "abc"
    assert profile_text(12) is None


@pytest.mark.django_db
@pytest.mark.parametrize("fake_class", [bluesky.Fake, mastodon.Fake])
def test_profile_errors_are_typed(workspace, fake_class):
    fake = fake_class()
    _account, connector = connect(workspace, fake)
    connector.profile(MetricsContext())
    fake.rate_limit_next(60)
    with pytest.raises(RetryLater):
        connector.profile(MetricsContext())
    fake.break_permanently()
    with pytest.raises(PermanentError):
        connector.profile(MetricsContext())


@pytest.mark.django_db
def test_reading_keeps_one_row_and_a_failure_keeps_the_last_good_reading(workspace, monkeypatch):
    fake = mastodon.Fake()
    account, connector = connect(workspace, fake)
    assert presence.read_account(account, NOW, connector)
    fake.own_profile = {"display_name": "Renamed"}
    assert presence.read_account(account, NOW + dt.timedelta(days=1), connector)
    row = ProfileReading.objects.get(account=account)
    assert row.name == "Renamed" and row.workspace_id == workspace.pk and row.pinned is None
    assert row.links == []

    def broken(account, now, connector=None):
        raise RetryLater("429 from piaille.example")

    monkeypatch.setattr(presence, "read_account", broken)
    outcome = presence.read_profiles(NOW + dt.timedelta(days=2), workspace)
    assert list(outcome.failed) == [account.pk]
    row.refresh_from_db()
    assert row.name == "Renamed" and row.error == "429 from piaille.example"
    assert row.read_at == NOW + dt.timedelta(days=1)
    assert ProfileReading.objects.count() == 1


@pytest.mark.django_db
def test_an_account_whose_network_gives_no_profile_is_unsupported(workspace):
    account = do_connect_account(
        workspace, None, network="reddit", handle="u/lumiere", credentials={"token": "x"}
    )
    outcome = presence.read_profiles(NOW, workspace)
    assert outcome.unsupported == [account.pk] and not ProfileReading.objects.exists()


# --- the audit --------------------------------------------------------------------------------


def profile(account_id=1, network="bluesky", **fields) -> Profile:
    values = {
        "handle": f"lumiere-{account_id}",
        "name": "Maison Lumière",
        "bio": "Bougies artisanales depuis 2019.",
        "avatar": "https://img/a.png",
        "banner": "https://img/b.png",
        "links": ("https://lumiere.example",),
        "pinned": "https://post/1",
        "read_at": NOW - dt.timedelta(hours=2),
    }
    values.update(fields)
    return Profile(account_id=account_id, network=network, **values)


def codes(flags) -> list[tuple[str, int | None]]:
    return sorted((f.code, f.account_id) for f in flags)


def test_a_healthy_presence_has_no_flag():
    profiles = [
        profile(1, "bluesky"),
        profile(2, "mastodon", name="maison lumiere 🕯", links=("http://www.lumiere.example/",)),
    ]
    assert presence.audit(profiles, "Maison Lumière", NOW) == []


def test_missing_pieces_are_flagged_and_unknown_ones_are_not():
    profiles = [
        profile(1, avatar="", banner="", bio="", links=(), pinned=""),
        profile(2, "mastodon", avatar=None, banner=None, bio=None, links=None, pinned=None),
    ]
    flags = presence.audit(profiles, "Maison Lumière", NOW)
    assert codes(flags) == [
        ("no_avatar", 1),
        ("no_banner", 1),
        ("no_bio", 1),
        ("no_link", 1),
        ("no_pinned", 1),
    ]
    assert all(f.advice for f in flags)


def test_the_link_that_differs_is_flagged_with_the_usual_one():
    profiles = [
        profile(1, links=("https://lumiere.example/",)),
        profile(2, "mastodon", links=("https://lumiere.example",)),
        profile(3, "x", links=("https://old-lumiere.example/promo",)),
    ]
    flags = presence.audit(profiles, "Maison Lumière", NOW)
    assert codes(flags) == [("link_differs", 3)]
    assert "https://lumiere.example" in flags[0].advice


def test_two_different_links_flag_both():
    profiles = [profile(1, links=("https://a.example",)), profile(2, links=("https://b.example",))]
    assert codes(presence.audit(profiles, "Maison Lumière", NOW)) == [
        ("link_differs", 1),
        ("link_differs", 2),
    ]


def test_a_bio_about_last_year_is_stale_but_history_is_not():
    assert presence.stale_years("Soldes d'hiver 2025 !", NOW.date()) == [2025]
    assert presence.stale_years("Collection 2024 et 2025", NOW.date()) == [2024, 2025]
    assert presence.stale_years("Depuis 2025, à Lyon", NOW.date()) == []
    assert presence.stale_years("Founded in 2024", NOW.date()) == []
    assert presence.stale_years("Since 2010. Collection 2026", NOW.date()) == []
    assert presence.stale_years("Tel 0120251234", NOW.date()) == []
    flags = presence.audit([profile(1, bio="Nouveautés 2025")], "Maison Lumière", NOW)
    assert codes(flags) == [("stale_bio", 1)] and "2025" in flags[0].problem


def test_a_name_other_than_the_brand_is_flagged():
    profiles = [profile(1, name="Lumière Officiel"), profile(2, name="MAISON-LUMIERE")]
    flags = presence.audit(profiles, "Maison Lumière", NOW)
    assert codes(flags) == [("name_differs", 1)]
    # A longer workspace name that holds the display name is the same brand; emoji only is not.
    profiles = [profile(1, name="Maison Lumière"), profile(2, name="🕯️✨"), profile(3, name="Lumi")]
    assert codes(presence.audit(profiles, "Maison Lumière — Lyon", NOW)) == [
        ("name_differs", 2),
        ("name_differs", 3),
    ]


def test_an_old_or_failed_reading_is_said():
    profiles = [
        profile(1, read_at=NOW - dt.timedelta(days=5)),
        profile(2, read_at=NOW - dt.timedelta(hours=1), error="401 token revoked"),
        profile(3, read_at=None, name=None, error=""),
    ]
    flags = presence.audit(profiles, "Maison Lumière", NOW)
    assert codes(flags) == [("not_read", 3), ("old_reading", 1), ("old_reading", 2)]


# --- audience authenticity --------------------------------------------------------------------


def steady(days: int, start: int = 10_000, per_day: int = 20) -> list[tuple[dt.date, int]]:
    # A steady growth with a little noise (a known pattern: +15, +20, +25, …).
    series, count = [], start
    for i in range(days):
        series.append((DAY0 + dt.timedelta(days=i), count))
        count += per_day + (i % 3 - 1) * 5
    return series


def bought(series, day_index: int, extra: int) -> list[tuple[dt.date, int]]:
    return [(d, n + extra if i >= day_index else n) for i, (d, n) in enumerate(series)]


def test_steady_growth_is_not_flagged():
    assert presence.jumps(1, steady(90)) == []
    # A fast but steady growth neither: the usual gain is the account's own.
    assert presence.jumps(1, steady(90, per_day=400)) == []


def test_two_thousand_followers_overnight_are_flagged():
    series = bought(steady(60), 40, 2_000)
    found = presence.jumps(1, series)
    assert [(j.day, j.gain) for j in found] == [(DAY0 + dt.timedelta(days=40), 2_015)]
    assert found[0].usual == 20 and found[0].threshold == 100
    flagged = presence.follower_jumps({1: series}, {}, {})
    assert [j.explained_by for j in flagged] == [""]


def test_the_floor_keeps_small_accounts_quiet():
    # +2 a day, then +45: 22 times the usual, yet under the floor of 50.
    series = steady(30, start=100, per_day=2)
    series = bought(series, 20, 43)
    assert presence.jumps(1, series) == []


def test_a_count_coming_back_is_not_a_jump():
    series = steady(60)
    glitch = [(d, 0 if i == 40 else n) for i, (d, n) in enumerate(series)]
    assert presence.jumps(1, glitch) == []
    # Bought the day after the glitch: still seen.
    assert len(presence.jumps(1, bought(glitch, 41, 2_000))) == 1


def test_too_little_history_is_not_judged():
    series = bought(steady(8), 5, 2_000)
    assert presence.jumps(1, series) == []


def test_a_gap_spreads_the_threshold_over_the_missing_days():
    series = [p for i, p in enumerate(steady(40)) if not 30 <= i < 35]  # 5 days unread
    assert presence.jumps(1, series) == []


def test_a_viral_post_explains_the_day_and_a_mention_spike_too():
    series = bought(steady(60), 40, 2_000)
    day = DAY0 + dt.timedelta(days=40)
    by_post = presence.follower_jumps({1: series}, {1: {day - dt.timedelta(days=1)}}, {})
    assert [j.explained_by for j in by_post] == ["post"]
    mentions = {DAY0 + dt.timedelta(days=i): 4 for i in range(60)}
    mentions[day] = 60
    by_mentions = presence.follower_jumps({1: series}, {}, mentions)
    assert [j.explained_by for j in by_mentions] == ["mentions"]
    # A busy day, but not a spike (3 times the usual at most): still unexplained.
    mentions[day] = 12
    assert [j.explained_by for j in presence.follower_jumps({1: series}, {}, mentions)] == [""]


@pytest.mark.django_db
def test_workspace_jumps_read_the_snapshots_and_the_post_counts(workspace):
    fake = mastodon.Fake()
    account, _ = connect(workspace, fake)
    other, _ = connect(workspace, mastodon.Fake(), handle="@other@piaille.example")
    series = bought(steady(60), 40, 2_000)
    rows = []
    for i, (day, followers) in enumerate(series):
        at = dt.datetime.combine(day, dt.time(12), dt.UTC)
        rows.append(
            AccountSnapshot(
                workspace=workspace, account=account, day=day, at=at, followers=followers, posts=50
            )
        )
        # The other account posted on the day of its jump: explained.
        posts = 50 if i < 40 else 51
        rows.append(
            AccountSnapshot(
                workspace=workspace, account=other, day=day, at=at, followers=followers, posts=posts
            )
        )
    AccountSnapshot.objects.bulk_create(rows)
    found = presence.workspace_jumps(workspace, series[-1][0])
    assert sorted((j.account_id, j.explained_by) for j in found) == sorted(
        [(account.pk, ""), (other.pk, "post")]
    )
    # Outside the window asked for: nothing.
    assert presence.workspace_jumps(workspace, series[-1][0], days=10) == []


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_profiles_flags_and_jumps_escaped(workspace, owner, monkeypatch):
    from django.urls import reverse
    from django.utils import timezone

    from parvis.analytics.presence import store
    from tests.conftest import login

    blue, _ = connect(workspace, bluesky.Fake())
    masto, _ = connect(workspace, mastodon.Fake())
    now = timezone.now()
    store(
        blue,
        ProfileInfo(
            name="Maison Lumière",
            bio="<script>alert(1)</script> Soldes " + str(now.year - 1),
            avatar="javascript:alert(2)",
            banner="",
            links=("https://lumiere.example",),
            pinned="",
        ),
        now,
    )
    store(
        masto,
        ProfileInfo(
            name="Lumi",
            bio="Bougies",
            avatar="https://a.example/x.png",
            banner="https://b/x.png",
            links=("https://other.example",),
            pinned=None,
        ),
        now,
    )
    today = now.date()
    series = bought(steady(60), 50, 2_000)
    AccountSnapshot.objects.bulk_create(
        AccountSnapshot(
            workspace=workspace,
            account=masto,
            day=today - dt.timedelta(days=59 - i),
            at=now,
            followers=followers,
        )
        for i, (_day, followers) in enumerate(series)
    )
    client = login(owner)
    url = reverse("reports:presence", args=[workspace.slug])
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    assert 'href="javascript:' not in body
    for code in ("no_banner", "no_pinned", "stale_bio", "name_differs", "link_differs"):
        assert code in {f.code for f in response.context["page"].flags}
    assert response.context["page"].unexplained == 1
    assert [j.jump.gain for j in response.context["page"].jumps] == [2_020]
    assert "unexplained" in body or "inexpliqu" in body
    # The home panel links to the page.
    home = client.get(reverse("workspaces:dashboard", args=[workspace.slug]))
    assert url in home.content.decode()


@pytest.mark.django_db
def test_reading_now_needs_write_reports(workspace, member_factory, monkeypatch):
    from django.urls import reverse

    from parvis.workspaces.roles import Role
    from tests.conftest import login

    queued = []
    monkeypatch.setattr(presence, "do_read_now", lambda ws: queued.append(ws.pk))
    url = reverse("reports:presence", args=[workspace.slug])
    client = login(member_factory(Role.CLIENT))
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 200
    response = login(member_factory(Role.COMMUNITY_MANAGER)).post(url)
    assert response.status_code == 302 and queued == [workspace.pk]


@pytest.mark.django_db
def test_the_report_lists_the_periods_jumps(workspace):
    from django.utils import translation

    from parvis.analytics import report

    account, _ = connect(workspace, mastodon.Fake())
    series = bought(steady(60), 40, 2_000)
    AccountSnapshot.objects.bulk_create(
        AccountSnapshot(
            workspace=workspace,
            account=account,
            day=day,
            at=dt.datetime.combine(day, dt.time(12), dt.UTC),
            followers=followers,
        )
        for day, followers in series
    )
    jump_day = DAY0 + dt.timedelta(days=40)
    data = report.gather(workspace, jump_day - dt.timedelta(days=5), jump_day, language="en")
    with translation.override("en"):
        audience = next(s for s in report.sections(data) if s.key == "audience")
    table = next(t for t in audience.tables if t.key == "follower_jumps")
    assert table.rows == [
        [jump_day, table.rows[0][1], account.handle, 2_015, "unexplained: bought or bot followers?"]
    ]
    # A period before the jump: the table says why it is empty.
    data = report.gather(workspace, DAY0, jump_day - dt.timedelta(days=1), language="en")
    with translation.override("en"):
        audience = next(s for s in report.sections(data) if s.key == "audience")
    table = next(t for t in audience.tables if t.key == "follower_jumps")
    assert table.rows == [] and "50" in table.note


def test_an_unreadable_network_is_not_a_flag():
    unread = profile(2, "reddit", read_at=None, name=None, supported=False)
    assert presence.audit([profile(1), unread], "Maison Lumière", NOW) == []
    assert presence.cell(unread, "name", set()).state == "unsupported"


@pytest.mark.django_db
def test_the_daily_task_reads_every_workspace(workspace, other_workspace, monkeypatch):
    from parvis.analytics import tasks

    seen = []
    monkeypatch.setattr(
        presence, "read_profiles", lambda now, ws=None: seen.append(ws) or presence.Outcome(read=2)
    )
    assert tasks.read_profiles_task.call_local() == {"read": 2, "failed": 0}
    assert seen == [None]
    assert tasks.read_workspace_profiles_task.call_local(workspace.pk)["read"] == 2
    assert seen[-1] == workspace
    assert tasks.read_workspace_profiles_task.call_local(10**9) == {"read": 0, "failed": 0}


@pytest.mark.django_db
def test_the_demo_account_has_a_profile_with_two_things_to_fix():
    from parvis.demo.seed import ensure_demo
    from parvis.workspaces.models import Workspace

    ensure_demo()
    demo = Workspace.objects.get(slug="demo")
    outcome = presence.read_profiles(NOW, demo)
    assert outcome.read >= 1 and not outcome.failed
    flags = presence.audit(presence.profiles_of(demo), demo.name, NOW)
    assert {f.code for f in flags} == {"stale_bio", "no_banner"}

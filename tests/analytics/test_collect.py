"""The accounts' counts: each connector against its fake network (and an error answer), the
day's row upserted once, one failing account leaving the others alone."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.analytics import collect
from parvis.analytics.models import AccountSnapshot
from parvis.connectors import http
from parvis.connectors.base import AccountMetrics, MetricsContext, PermanentError, RetryLater, get
from parvis.connectors.services import do_connect_account
from parvis.demo.connector import demo_account_metrics
from tests.connectors.fakes import bluesky, mastodon

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


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


def test_bluesky_reads_the_profile_counts(workspace):
    fake = bluesky.Fake()
    fake.followers[bluesky.OUR_HANDLE] = 11_950
    _account, connector = connect(workspace, fake)
    found = connector.account_metrics(MetricsContext())
    assert found == AccountMetrics(followers=11_950, following=80, posts=42)
    asked = [r for r in fake.requests if r.url.path.endswith("app.bsky.actor.getProfile")]
    assert len(asked) == 1
    assert asked[0].url.params["actor"] == bluesky.did_of(bluesky.OUR_HANDLE)


def test_mastodon_reads_verify_credentials(workspace):
    fake = mastodon.Fake()
    fake.own_followers = 3_412
    _account, connector = connect(workspace, fake)
    found = connector.account_metrics(MetricsContext())
    assert found == AccountMetrics(followers=3_412, following=80, posts=1200)
    assert fake.requests[-1].url.path == "/api/v1/accounts/verify_credentials"


@pytest.mark.parametrize("fake_class", [bluesky.Fake, mastodon.Fake])
def test_a_rate_limit_is_retry_later_and_a_refusal_permanent(workspace, fake_class):
    fake = fake_class()
    _account, connector = connect(workspace, fake)
    connector.account_metrics(MetricsContext())  # signed in
    fake.rate_limit_next(60)
    with pytest.raises(RetryLater):
        connector.account_metrics(MetricsContext())
    fake.break_permanently()
    with pytest.raises(PermanentError):
        connector.account_metrics(MetricsContext())


def test_a_hostile_count_is_unknown(workspace, monkeypatch):
    fake = mastodon.Fake()
    entity = fake.account_entity

    def hostile(author, followers=120, local=None):
        body = entity(author, followers, local)
        body.update(followers_count=10**30, following_count="80", statuses_count=-1)
        return body

    monkeypatch.setattr(fake, "account_entity", hostile)
    _account, connector = connect(workspace, fake)
    assert connector.account_metrics(MetricsContext()) == AccountMetrics()


def test_reading_twice_a_day_keeps_one_row_with_the_later_counts(workspace):
    fake = mastodon.Fake()
    account, connector = connect(workspace, fake)
    fake.own_followers = 100
    assert collect.collect_account(account, NOW, connector)
    fake.own_followers = 105
    assert collect.collect_account(account, NOW + dt.timedelta(hours=3), connector)
    rows = list(AccountSnapshot.objects.filter(account=account))
    assert [(r.day, r.followers) for r in rows] == [(NOW.date(), 105)]
    assert rows[0].workspace_id == workspace.pk
    collect.collect_account(account, NOW + dt.timedelta(days=1), connector)
    assert AccountSnapshot.objects.filter(account=account).count() == 2


def test_one_failing_account_does_not_stop_the_others(workspace, monkeypatch):
    good = mastodon.Fake()
    bad = mastodon.Fake()
    bad.break_permanently()
    later = mastodon.Fake()
    later.rate_limit_next(30)
    accounts = {}
    for name, fake in (("a", bad), ("b", later), ("c", good)):
        account, _ = connect(workspace, fake, handle=f"@{name}@piaille.example")
        accounts[account.pk] = fake

    real_collect = collect.collect_account

    def collect_with_fakes(account, now, connector=None):
        # Each account's connector talks to its own fake network.
        cls = collect.metrics_class(account)
        transport = accounts[account.pk].transport()
        connector = cls.for_account(account, http=http.client(transport=transport))
        return real_collect(account, now, connector)

    monkeypatch.setattr(collect, "collect_account", collect_with_fakes)
    outcome = collect.collect(NOW, workspace)
    assert outcome.read == 1
    assert len(outcome.failed) == 2
    assert AccountSnapshot.objects.filter(workspace=workspace).count() == 1
    # The next run reads only the accounts without today's row: the rate-limited one passes.
    outcome = collect.collect(NOW + dt.timedelta(hours=1), workspace)
    assert outcome.read == 1 and len(outcome.failed) == 1
    assert AccountSnapshot.objects.filter(workspace=workspace).count() == 2
    # « Collect now » reads them all again (the broken one still fails), still one row a day.
    outcome = collect.collect(NOW + dt.timedelta(hours=2), workspace, force=True)
    assert outcome.read == 2
    assert AccountSnapshot.objects.filter(workspace=workspace).count() == 2


def test_an_account_whose_network_gives_no_counts_is_unsupported(workspace):
    account = do_connect_account(
        workspace, None, network="reddit", handle="u/lumiere", credentials={"token": "x"}
    )
    outcome = collect.collect(NOW, workspace)
    assert outcome.unsupported == [account.pk] and outcome.read == 0


def test_the_demo_series_is_deterministic_and_grows():
    first = demo_account_metrics("maisonlumiere.bsky.social", NOW)
    assert first == demo_account_metrics("maisonlumiere.bsky.social", NOW)
    month = demo_account_metrics("maisonlumiere.bsky.social", NOW + dt.timedelta(days=30))
    assert first.followers and month.followers and month.followers > first.followers + 300
    assert first.posts and month.posts and month.posts > first.posts


def test_the_tasks_read_the_demo_account(workspace):
    from parvis.analytics import tasks
    from parvis.demo.seed import ensure_demo_listening
    from parvis.listening.models import Source

    account = do_connect_account(
        workspace, None, network="bluesky", handle="maisonlumiere.bsky.social", credentials={}
    )
    source = ensure_demo_listening(workspace)
    Source.objects.filter(pk=source.pk).update(account=account)
    # The demo's replay source speaks for the account, not Bluesky's connector.
    assert collect.metrics_class(account).kind == "demo"
    assert tasks.collect_accounts_task.call_local() == {"read": 1, "failed": 0}
    assert tasks.collect_accounts_task.call_local() == {"read": 0, "failed": 0}  # done today
    assert tasks.collect_workspace_task.call_local(workspace.pk) == {"read": 1, "failed": 0}
    assert AccountSnapshot.objects.filter(account=account).count() == 1
    assert tasks.collect_workspace_task.call_local(10**9) == {"read": 0, "failed": 0}

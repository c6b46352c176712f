"""Sign-in expiry: recorded on the account from its credentials, a refused X refresh marks the
end, the daily task warns the account managers once per account and expiry, and the accounts
page says it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.alerts.models import Notice
from parvis.connectors.expiry import expiry_state
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import (
    do_connect_account,
    do_mark_sign_in_dead,
    do_refresh_credentials,
    do_update_credentials,
)
from parvis.listening import expiry
from parvis.workspaces.roles import Role
from tests.conftest import login

pytestmark = pytest.mark.django_db


def days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def threads_account(workspace, ends: dt.datetime, handle: str = "maisonlumiere"):
    return do_connect_account(
        workspace,
        None,
        network="threads",
        handle=handle,
        credentials={"user_id": "1", "access_token": "t", "token_expires_at": ends.isoformat()},
    )


def test_each_dated_network_records_its_end(workspace):
    ends = days(40).replace(microsecond=0)
    threads = threads_account(workspace, ends)
    assert threads.token_expires_at == ends
    facebook = do_connect_account(
        workspace,
        None,
        network="facebook",
        handle="123",
        credentials={"page_access_token": "p", "user_token_expires_at": ends.isoformat()},
    )
    assert facebook.token_expires_at == ends
    linkedin = do_connect_account(
        workspace,
        None,
        network="linkedin",
        handle="urn:li:organization:1",
        credentials={
            "access_token": "a",
            "expires_at": days(60).isoformat(),
            "refresh_token": "r",
            "refresh_expires_at": ends.isoformat(),
        },
    )
    assert linkedin.token_expires_at == ends
    # X renews forever: no end until a refresh is refused.
    x = do_connect_account(workspace, None, network="x", handle="@ml", credentials={"a": "b"})
    assert x.token_expires_at is None


def test_a_refresh_moves_the_end_and_a_reconnection_clears_a_dead_mark(workspace):
    account = threads_account(workspace, days(3))
    later = days(60).replace(microsecond=0)
    do_refresh_credentials(account, {"token_expires_at": later.isoformat()})
    account.refresh_from_db()
    assert account.token_expires_at == later
    x = do_connect_account(workspace, None, network="x", handle="@ml", credentials={"a": "b"})
    now = timezone.now()
    assert do_mark_sign_in_dead(x, now)
    assert not do_mark_sign_in_dead(x, now + dt.timedelta(hours=1))  # the first end stays
    x.refresh_from_db()
    assert x.token_expires_at == now
    do_update_credentials(x, None, {"access_token": "new"})
    x.refresh_from_db()
    assert x.token_expires_at is None


def test_a_refused_x_refresh_marks_the_sign_in_dead(workspace):
    from parvis.connectors import http
    from parvis.connectors.base import PermanentError
    from parvis.connectors.x import oauth
    from tests.connectors.fakes.x import Fake

    fake = Fake()
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    spec = fake.account()
    account = do_connect_account(
        workspace,
        None,
        network="x",
        handle=spec["handle"],
        credentials={**spec["credentials"], "expires_at": past, "refresh_token": "dead"},
    )
    with pytest.raises(PermanentError):
        oauth.access_token(account, http.client(transport=fake.transport()))
    account.refresh_from_db()
    assert account.token_expires_at is not None and expiry_state(account) == "ended"


def test_managers_are_warned_once_per_account_and_expiry(workspace, owner, member_factory):
    editor = member_factory(Role.COMMUNITY_MANAGER)
    account = threads_account(workspace, days(5))
    threads_account(workspace, days(30), handle="far")  # not yet
    assert expiry.warn_expiring() == 1
    notices = Notice.objects.filter(kind=expiry.KIND)
    assert {n.user_id for n in notices} == {owner.pk}  # the editor cannot reconnect
    assert editor.pk not in {n.user_id for n in notices}
    notice = notices.get()
    assert notice.params["network"] == "Threads" and notice.url.endswith("/accounts/")
    assert expiry.warn_expiring() == 0
    assert Notice.objects.filter(kind=expiry.KIND).count() == 1
    # Refreshed, then nearing its new end: warned again.
    do_refresh_credentials(account, {"token_expires_at": days(6).isoformat()})
    assert expiry.warn_expiring() == 1
    assert Notice.objects.filter(kind=expiry.KIND).count() == 2


def test_accounts_stored_before_get_their_end_from_their_credentials(workspace, owner):
    account = threads_account(workspace, days(2))
    ConnectedAccount.objects.filter(pk=account.pk).update(token_expires_at=None)
    assert expiry.warn_expiring() == 1
    account.refresh_from_db()
    assert account.token_expires_at is not None


def test_the_accounts_page_says_when_to_reconnect(workspace, owner):
    soon = threads_account(workspace, days(3))
    page = login(owner).get(f"/w/{workspace.slug}/accounts/").content.decode()
    assert 'data-expiry="soon"' in page
    ConnectedAccount.objects.filter(pk=soon.pk).update(token_expires_at=days(-1))
    page = login(owner).get(f"/w/{workspace.slug}/accounts/").content.decode()
    assert 'data-expiry="ended"' in page
    ConnectedAccount.objects.filter(pk=soon.pk).update(token_expires_at=days(50))
    page = login(owner).get(f"/w/{workspace.slug}/accounts/").content.decode()
    assert 'data-expiry="later"' in page


def test_the_bell_shows_the_warning_in_the_readers_language(workspace, owner, settings):
    threads_account(workspace, days(2))
    expiry.warn_expiring()
    page = login(owner).get(f"/w/{workspace.slug}/alerts/").content.decode()
    assert "maisonlumiere" in page and "Threads" in page

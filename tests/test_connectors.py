import logging

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from parvis.connectors import crypto
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account, do_update_credentials
from parvis.core.models import AuditEvent
from parvis.workspaces.roles import Role
from tests.conftest import login

pytestmark = pytest.mark.django_db

SECRET = "app-pass-4d2f-SECRET"


@pytest.fixture
def account(workspace, owner):
    return do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle="lumiere.bsky.social",
        credentials={"service_url": "https://bsky.social", "app_password": SECRET},
    )


def test_credentials_are_encrypted_at_rest(account):
    raw = bytes(ConnectedAccount.objects.values_list("credentials_encrypted", flat=True).get())
    assert SECRET.encode() not in raw
    assert account.credentials() == {"service_url": "https://bsky.social", "app_password": SECRET}
    assert SECRET not in repr(account) and SECRET not in str(account)


def test_key_rotation_keeps_old_credentials_readable(account, settings):
    old = settings.CREDENTIALS_KEYS
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), *old]
    fresh = ConnectedAccount.objects.get(pk=account.pk)
    assert fresh.credentials()["app_password"] == SECRET


def test_lost_key_is_a_clear_error(account):
    other_key = [Fernet.generate_key().decode()]
    with (
        override_settings(CREDENTIALS_KEYS=other_key),
        pytest.raises(crypto.CredentialsUnreadable),
    ):
        ConnectedAccount.objects.get(pk=account.pk).credentials()


def test_update_keeps_unchanged_secret_and_audits_without_values(account, owner):
    do_update_credentials(
        account, owner, {"app_password": "", "service_url": "https://pds.example"}
    )
    fresh = ConnectedAccount.objects.get(pk=account.pk)
    assert fresh.credentials()["app_password"] == SECRET
    assert fresh.credentials()["service_url"] == "https://pds.example"
    event = AuditEvent.objects.get(kind="credentials_changed")
    assert event.details["fields"] == ["service_url"]
    for e in AuditEvent.objects.all():
        assert SECRET not in str(e.details)


def test_secret_never_rendered_nor_logged(workspace, owner, caplog):
    client = login(owner)
    caplog.set_level(logging.DEBUG)
    # Pasting a token: for the networks without a connector (TikTok here).
    response = client.post(
        "/w/lumiere/accounts/connect/token/",
        {"network": "tiktok", "handle": "lumiere.test", "cred_access_token": SECRET},
        follow=True,
    )
    assert response.status_code == 200
    assert ConnectedAccount.objects.filter(handle="lumiere.test").exists()
    assert SECRET not in response.content.decode()
    account = ConnectedAccount.objects.get(handle="lumiere.test")
    edit_page = client.get(f"/w/lumiere/accounts/{account.pk}/").content.decode()
    assert SECRET not in edit_page
    assert SECRET not in caplog.text


def test_connect_form_reports_missing_credentials(workspace, owner):
    client = login(owner)
    response = client.post(
        "/w/lumiere/accounts/connect/token/", {"network": "tiktok", "handle": "t.test"}
    )
    assert response.status_code == 200
    assert not ConnectedAccount.objects.exists()
    assert response.context["form"].errors["cred_access_token"]


def test_analyst_cannot_manage_accounts(workspace, member_factory, account):
    client = login(member_factory(Role.ANALYST))
    assert client.get("/w/lumiere/accounts/").status_code == 200
    assert client.get("/w/lumiere/accounts/connect/").status_code == 403
    assert client.post(f"/w/lumiere/accounts/{account.pk}/remove/").status_code == 403
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()

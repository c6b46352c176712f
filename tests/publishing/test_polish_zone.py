"""The workspace's time zone: chosen on the strategy page (checked, audited), read by the
publishing calendar, and the starting zone of the inbox's and alerts' settings made after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parvis.alerts import raising
from parvis.alerts import services as alert_services
from parvis.alerts.models import AlertSettings
from parvis.connectors.services import do_connect_account
from parvis.core.models import AuditEvent
from parvis.inbox import services as inbox_services
from parvis.inbox.models import InboxSettings
from parvis.publishing import services as publishing
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Role
from parvis.workspaces.services import do_set_time_zone
from parvis.workspaces.zones import zone_of
from tests.conftest import login

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def zone_url(workspace):
    return reverse("workspaces:time_zone", args=[workspace.slug])


def calendar(client, workspace, month):
    url = reverse("publishing:calendar", args=[workspace.slug])
    return client.get(url, {"month": month}).content.decode()


def day_of(html, date):
    return html.split(f'data-date="{date}"', 1)[1].split("data-date=", 1)[0]


@pytest.fixture
def bluesky(workspace, owner):
    return do_connect_account(
        workspace, owner, network="bluesky", handle="lumiere.bsky.social", credentials={"a": "x"}
    )


def test_a_montreal_workspace_sees_14_utc_at_9_in_winter_and_10_in_summer(
    workspace, owner, bluesky
):
    do_set_time_zone(workspace, "America/Montreal", actor=owner)
    for when, text in (
        (dt.datetime(2026, 12, 8, 14, 0, tzinfo=UTC), "Hiver à Montréal"),
        (dt.datetime(2026, 7, 8, 14, 0, tzinfo=UTC), "Été à Montréal"),
    ):
        publishing.do_create_post(
            workspace, owner, text, variants={bluesky.pk: ""}, scheduled_at=when
        )
    client = login(owner)
    winter = day_of(calendar(client, workspace, "2026-12"), "2026-12-08")
    assert "Hiver à Montréal" in winter and "09:00" in winter and "14:00" not in winter
    summer = day_of(calendar(client, workspace, "2026-07"), "2026-07-08")
    assert "Été à Montréal" in summer and "10:00" in summer and "14:00" not in summer


def test_the_same_post_in_paris_is_at_15(workspace, owner, bluesky):
    when = dt.datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    publishing.do_create_post(
        workspace, owner, "Paris", variants={bluesky.pk: ""}, scheduled_at=when
    )
    assert "15:00" in day_of(calendar(login(owner), workspace, "2026-12"), "2026-12-08")


def test_set_on_the_strategy_page_and_audited(workspace, owner):
    client = login(owner)
    page = client.get(reverse("workspaces:strategy", args=[workspace.slug])).content.decode()
    assert 'id="time-zone"' in page and "Europe/Paris" in page
    form = client.get(zone_url(workspace)).content.decode()
    assert 'list="zone-names"' in form and '<option value="America/Montreal">' in form
    answer = client.post(zone_url(workspace), {"time_zone": "America/Montreal"})
    assert answer.status_code == 302
    workspace.refresh_from_db()
    assert workspace.time_zone == "America/Montreal"
    assert zone_of(workspace).key == "America/Montreal"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.WORKSPACE_CHANGED, workspace=workspace)
    assert event.actor == owner
    assert event.details == {"fields": ["time_zone"], "before": "", "after": "America/Montreal"}
    # The same zone again changes nothing and logs nothing.
    client.post(zone_url(workspace), {"time_zone": "America/Montreal"})
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.WORKSPACE_CHANGED).count() == 1
    # Empty: back to the installation's zone.
    client.post(zone_url(workspace), {"time_zone": ""})
    workspace.refresh_from_db()
    assert workspace.time_zone == "" and zone_of(workspace).key == "Europe/Paris"


def test_htmx_saves_in_place(workspace, owner):
    answer = login(owner).post(
        zone_url(workspace), {"time_zone": "Asia/Tokyo"}, HTTP_HX_REQUEST="true"
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and 'id="time-zone-saved"' in html and "Asia/Tokyo" in html


@pytest.mark.parametrize(
    "value",
    ["Mars/Olympus", "europe/paris", "Europe/Paris ; DROP", "../../etc/passwd", "x" * 1_000_000],
)
def test_bad_zones_are_refused_clearly(workspace, owner, value):
    client = login(owner)
    client.cookies["django_language"] = "en"
    answer = client.post(zone_url(workspace), {"time_zone": value})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "Unknown time zone" in html or "at most 64 characters" in html
    workspace.refresh_from_db()
    assert workspace.time_zone == ""
    with pytest.raises(ValidationError):
        do_set_time_zone(workspace, value)


def test_a_lone_surrogate_is_refused(workspace, owner):
    with pytest.raises(ValidationError):
        do_set_time_zone(workspace, "Europe/\ud800")
    # Sent as the bytes a browser could send: Django reads them as U+FFFD, not a zone.
    answer = login(owner).post(
        zone_url(workspace),
        data=b"time_zone=Europe%2F%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 400
    assert Workspace.objects.get(pk=workspace.pk).time_zone == ""


def test_french_page(workspace, owner):
    client = login(owner)
    html = client.get(zone_url(workspace)).content.decode()  # French by default
    assert "Fuseau horaire" in html
    client.cookies["django_language"] = "en"
    html = client.get(zone_url(workspace)).content.decode()
    assert "Time zone" in html and "America · Montreal" in html


def test_only_editors_change_it(workspace, member_factory, outsider):
    analyst = member_factory(Role.ANALYST)
    assert login(analyst).post(zone_url(workspace), {"time_zone": "Asia/Tokyo"}).status_code == 403
    assert login(outsider).post(zone_url(workspace), {"time_zone": "Asia/Tokyo"}).status_code == 404
    workspace.refresh_from_db()
    assert workspace.time_zone == ""


def test_new_inbox_and_alert_settings_start_on_the_workspace_zone(workspace, other_workspace):
    # Settings that exist already keep their zone.
    kept = inbox_services.get_settings(other_workspace)
    alert_services.get_settings(other_workspace)
    do_set_time_zone(other_workspace, "America/Montreal")
    assert inbox_services.get_settings(other_workspace).time_zone == kept.time_zone
    assert alert_services.get_settings(other_workspace).time_zone == "Europe/Paris"

    do_set_time_zone(workspace, "America/Montreal")
    assert raising.settings_of(workspace).time_zone == "America/Montreal"  # not stored yet
    assert inbox_services.get_settings(workspace).time_zone == "America/Montreal"
    assert alert_services.get_settings(workspace).time_zone == "America/Montreal"
    assert InboxSettings.objects.get(workspace=workspace).time_zone == "America/Montreal"
    assert AlertSettings.objects.get(workspace=workspace).time_zone == "America/Montreal"

"""A workspace's clock: the calendar, scheduling and reports read dates in its zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings

from parvis.workspaces.models import Workspace


def zone_of(workspace: Workspace) -> ZoneInfo:
    """The workspace's own zone where it has a valid one, else the installation's."""
    name = workspace.time_zone or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # A zone removed from the system's tz database must not break every page.
        return ZoneInfo(settings.TIME_ZONE)


def is_zone_name(name: str) -> bool:
    """A name a workspace may be given: a zone of the IANA database, as spelt there."""
    return name in available_timezones()


def zone_name(workspace: Workspace) -> str:
    """The name of the zone zone_of gives: what settings created for the workspace (the
    inbox's office hours, the alerts' quiet hours) start from."""
    return zone_of(workspace).key


def zone_choices() -> list[str]:
    """Every IANA zone name, sorted: the workspace form's list to search in."""
    return sorted(available_timezones())

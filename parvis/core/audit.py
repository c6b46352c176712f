"""Writing and querying the audit log."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone

from parvis.core.models import AuditEvent


def forwarded_for(header: str) -> str | None:
    """The address our proxy appended to X-Forwarded-For: the last entry. Earlier entries
    come from the client (or proxies we do not know) and can be forged."""
    last = header.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    if settings.BEHIND_TLS_PROXY:
        forwarded = forwarded_for(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    kind: str,
    *,
    actor: AbstractBaseUser | None = None,
    workspace: Any = None,
    request: HttpRequest | None = None,
    username: str = "",
    **details: Any,
) -> AuditEvent:
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        workspace=workspace,
        username=username or (actor.get_username() if actor else ""),
        ip_address=client_ip(request),
        details=details,
    )


def login_is_throttled(username: str, ip: str | None) -> bool:
    """True when this username failed too often recently from this address, or this address
    failed too often whatever the usernames. Someone typing a colleague's name elsewhere
    does not lock the colleague out."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    failures = AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED, created_at__gte=since)
    failures = failures.filter(ip_address=ip) if ip else failures.filter(ip_address__isnull=True)
    if failures.filter(username__iexact=username).count() >= settings.LOGIN_THROTTLE_ATTEMPTS:
        return True
    return failures.count() >= settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS

"""Writing and querying the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from parvis.core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind a TLS proxy, REMOTE_ADDR is the proxy; we do not trust X-Forwarded-For blindly.
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
    """True when this username, or this address, failed too often recently."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    who = Q(username__iexact=username) if username else Q(pk__in=[])
    if ip:
        who |= Q(ip_address=ip)
    failures = AuditEvent.objects.filter(
        who, kind=AuditEvent.Kind.LOGIN_FAILED, created_at__gte=since
    ).count()
    return failures >= settings.LOGIN_THROTTLE_ATTEMPTS

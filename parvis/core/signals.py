from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from parvis.core.audit import record_event
from parvis.core.models import AuditEvent


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(AuditEvent.Kind.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(AuditEvent.Kind.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # Django already masks the password in `credentials`; we keep only the username.
    record_event(
        AuditEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", ""))[:150],
    )

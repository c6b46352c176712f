"""API tokens: creation, revocation and lookup."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from parvis.core.audit import record_event
from parvis.core.models import ApiToken, AuditEvent, hash_token


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once to the user, never stored


def do_create_token(
    user: AbstractBaseUser, *, name: str = "", workspace=None, actor=None
) -> NewToken:
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, workspace=workspace, key_hash=hash_token(raw), hint=raw[:10]
    )
    record_event(
        AuditEvent.Kind.TOKEN_CREATED,
        actor=actor or user,
        workspace=workspace,
        token_id=token.pk,
        token_hint=token.hint,
        for_user=user.get_username(),
    )
    return NewToken(token=token, raw=raw)


def do_revoke_token(token: ApiToken, *, actor: AbstractBaseUser) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        AuditEvent.Kind.TOKEN_REVOKED, actor=actor, token_id=token.pk, token_hint=token.hint
    )


def user_for_token(raw: str) -> ApiToken | None:
    """The live token matching ``raw``, with its user, or None."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write at most once a minute: the API is hot, the timestamp is only informative.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token

"""The rule editor's and the settings' forms: they parse; services.clean_rule decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.alerts.models import Channel, Metric, RuleKind, Severity
from parvis.core.networks import NETWORK_CHOICES
from parvis.listening.models import MonitoredQuery
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Role


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    query = forms.TypedChoiceField(label=_("Query"), required=False, coerce=int, empty_value=None)
    metric = forms.ChoiceField(
        label=_("Measure (spike rules)"), choices=Metric.choices, required=False
    )
    words = forms.CharField(
        label=_("Words (keyword rules)"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas: any of them takes the mention."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    only_negative = forms.BooleanField(label=_("Only negative mentions"), required=False)
    min_followers = forms.IntegerField(
        label=_("Only authors with at least this many followers"),
        required=False,
        min_value=0,
        max_value=10**12,
    )
    network = forms.ChoiceField(
        label=_("Only on this network"),
        required=False,
        choices=[("", _("Every network")), *NETWORK_CHOICES],
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        initial=[Channel.APP],
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    roles = forms.MultipleChoiceField(
        label=_("Every member with the role"),
        choices=Role.choices,
        required=False,
        # A new rule tells the editors unless someone chooses otherwise.
        initial=[Role.OWNER, Role.MANAGER, Role.COMMUNITY_MANAGER],
        widget=forms.CheckboxSelectMultiple,
    )
    emails = forms.CharField(
        label=_("External e-mail addresses"),
        required=False,
        max_length=6000,
        help_text=_("One per line (« la direction », the agency…)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    webhooks = forms.CharField(
        label=_("Webhook URLs"),
        required=False,
        max_length=45000,
        help_text=_(
            "One per line. Start a line with « slack » or « mattermost » for their incoming "
            "webhooks; otherwise Parvis sends its signed JSON."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    secret = forms.CharField(
        label=_("Webhook signing secret"),
        required=False,
        max_length=200,
        help_text=_("Leave empty to keep the current one (a new rule gets one generated)."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    cooldown_minutes = forms.IntegerField(
        label=_("Cool-down (minutes)"), min_value=0, max_value=7 * 24 * 60, initial=30
    )
    digest = forms.BooleanField(
        label=_("Hourly digest instead of one message per alert"), required=False
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queries = MonitoredQuery.objects.filter(workspace=workspace).order_by("name")
        self.fields["query"].choices = [  # type: ignore[attr-defined]
            ("", _("The whole workspace")),
            *[(q.pk, q.name) for q in queries],
        ]
        members = Membership.objects.filter(workspace=workspace).select_related("user")
        self.fields["members"].choices = [  # type: ignore[attr-defined]
            (m.user_id, m.user.get_full_name() or m.user.username) for m in members
        ]

    def data_for_service(self) -> dict[str, Any]:
        from parvis.alerts.services import split_lines, webhooks_from_lines

        c = self.cleaned_data
        return {
            "name": c["name"],
            "kind": c["kind"],
            "is_active": c["is_active"],
            "query_id": c["query"],
            "metric": c["metric"] or Metric.VOLUME,
            "words": c["words"],
            "only_negative": c["only_negative"],
            "min_followers": c["min_followers"],
            "network": c["network"],
            "severity": c["severity"],
            "channels": c["channels"],
            "member_ids": c["members"],
            "roles": c["roles"],
            "emails": split_lines(c["emails"]),
            "webhooks": webhooks_from_lines(c["webhooks"].splitlines()),
            "secret": c["secret"],
            "cooldown_minutes": c["cooldown_minutes"],
            "digest": c["digest"],
        }


def initial_of(rule: Any) -> dict[str, Any]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "is_active": rule.is_active,
        "query": rule.query_id,
        "metric": rule.metric,
        "words": rule.words,
        "only_negative": rule.only_negative,
        "min_followers": rule.min_followers,
        "network": rule.network,
        "severity": rule.severity,
        "channels": rule.channels,
        "members": list(rule.members.values_list("id", flat=True)),
        "roles": rule.roles,
        "emails": "\n".join(rule.emails or []),
        "webhooks": "\n".join(
            (f"{h['format']} {h['url']}" if h.get("format") not in ("", "signed") else h["url"])
            for h in rule.webhooks or []
        ),
        "cooldown_minutes": rule.cooldown_minutes,
        "digest": rule.digest,
    }


class SettingsForm(forms.Form):
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    quiet_hours = forms.BooleanField(label=_("Quiet hours"), required=False)
    quiet_start = forms.TimeField(label=pgettext_lazy("start of a time range", "From"))
    quiet_end = forms.TimeField(label=_("Until"))

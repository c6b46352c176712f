"""Moderation forms: they parse what the pages post into the plain data the services take
(a rule's conditions and actions as the engine's dicts); the services check it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.core.networks import NETWORK_CHOICES
from parvis.moderation import listing
from parvis.moderation.models import ActionKind, ActionState
from parvis.moderation.reasons import Reason
from parvis.workspaces.models import Workspace

MAX_CONDITION_ROWS = 20

CONDITION_KINDS = [
    ("", "—"),
    ("score", _("Score of the text analysis")),
    ("words", _("Words")),
    ("contains", _("Contains")),
    ("author", _("Author")),
    ("network", _("Network")),
    ("item_type", _("Type of item")),
    ("lang", _("Language")),
    ("query", _("Monitored query")),
]
AUTHOR_CHOICES = [
    ("new", _("is new")),
    ("on_list", _("is on the list")),
    ("followers_below", _("has fewer followers than")),
]


def escalation_roles() -> list[tuple[str, Any]]:
    from parvis.inbox.models import EscalationRole

    return list(EscalationRole.choices)


def reason_choices(blank: bool = False) -> list[tuple[str, Any]]:
    choices = list(Reason.choices)
    return [("", "—"), *choices] if blank else choices


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    continue_after = forms.BooleanField(label=_("Then go on with the next rules"), required=False)


def split_values(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


class ConditionForm(forms.Form):
    """One condition row: its kind, « not », and the settings of every kind (the page shows
    those of the chosen kind)."""

    kind = forms.ChoiceField(label=_("Condition"), choices=CONDITION_KINDS, required=False)
    negate = forms.BooleanField(label=_("not"), required=False)
    score = forms.ChoiceField(
        label=_("Score"), choices=list(listing.SCORE_LABELS.items()), required=False
    )
    min = forms.FloatField(label=_("At or above"), min_value=0, max_value=1, required=False)
    review_min = forms.FloatField(label=_("Review from"), min_value=0, max_value=1, required=False)
    words = forms.CharField(
        label=_("Words or phrases, one per line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    avoid_list = forms.BooleanField(label=_("The strategy's words to avoid"), required=False)
    contains = forms.ChoiceField(
        label=_("Contains"), choices=list(listing.CONTAINS_LABELS.items()), required=False
    )
    author = forms.ChoiceField(label=_("The author"), choices=AUTHOR_CHOICES, required=False)
    author_list = forms.CharField(label=_("List"), max_length=80, required=False)
    author_value = forms.IntegerField(
        label=_("Days (new) or followers"), min_value=0, required=False
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"),
        choices=NETWORK_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    item_types = forms.MultipleChoiceField(
        label=_("Types"),
        choices=list(listing.ITEM_TYPE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    langs = forms.CharField(label=_("Language codes (fr, en…)"), max_length=200, required=False)
    query = forms.TypedChoiceField(label=_("Query"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, queries: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["query"].choices = [("", "—"), *queries]

    def config(self) -> dict[str, Any] | None:
        """The condition as the engine takes it; None for an empty row."""
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return None
        config: dict[str, Any] = {"kind": kind, "not": bool(data.get("negate"))}
        if kind == "score":
            config.update(name=data.get("score"), min=data.get("min"))
            if data.get("review_min") is not None:
                config["review_min"] = data["review_min"]
        elif kind == "words":
            config.update(
                words=[w for w in (data.get("words") or "").splitlines() if w.strip()],
                avoid_list=bool(data.get("avoid_list")),
            )
        elif kind == "contains":
            config["what"] = data.get("contains")
        elif kind == "author":
            what = data.get("author") or "new"
            config["what"] = what
            if what == "on_list":
                config["list"] = data.get("author_list") or ""
            elif what == "followers_below":
                config["value"] = data.get("author_value")
            elif data.get("author_value"):
                config["days"] = data["author_value"]
        elif kind == "network":
            config["in"] = list(data.get("networks") or [])
        elif kind == "item_type":
            config["in"] = list(data.get("item_types") or [])
        elif kind == "lang":
            config["in"] = split_values(data.get("langs") or "")
        elif kind == "query":
            config["id"] = data.get("query")
        return config


def condition_initial(config: dict[str, Any]) -> dict[str, Any]:
    """A stored condition as the row's initial values."""
    kind = config.get("kind", "")
    initial: dict[str, Any] = {"kind": kind, "negate": config.get("not", False)}
    if kind == "score":
        initial.update(
            score=config.get("name"), min=config.get("min"), review_min=config.get("review_min")
        )
    elif kind == "words":
        initial.update(
            words="\n".join(config.get("words") or []), avoid_list=config.get("avoid_list")
        )
    elif kind == "contains":
        initial["contains"] = config.get("what")
    elif kind == "author":
        initial["author"] = config.get("what")
        initial["author_list"] = config.get("list", "")
        initial["author_value"] = config.get("value", config.get("days"))
    elif kind == "network":
        initial["networks"] = config.get("in")
    elif kind == "item_type":
        initial["item_types"] = config.get("in")
    elif kind == "lang":
        initial["langs"] = ", ".join(config.get("in") or [])
    elif kind == "query":
        initial["query"] = config.get("id")
    return initial


class ActionsForm(forms.Form):
    """What the rule does: each action at most once."""

    remove = forms.ChoiceField(
        label=_("On the network"),
        choices=[("", _("Leave it")), ("hide", _("Hide")), ("delete", _("Delete"))],
        required=False,
    )
    review = forms.BooleanField(label=_("Send to the review queue"), required=False)
    escalate = forms.BooleanField(label=_("Escalate"), required=False)
    escalate_role = forms.ChoiceField(
        label=pgettext_lazy("escalate to", "To"), choices=[], required=False
    )
    assign = forms.ChoiceField(label=_("Assign to"), choices=[], required=False)
    tag = forms.CharField(label=_("Tag"), max_length=60, required=False)
    reply = forms.TypedChoiceField(
        label=_("Reply with the saved reply"), coerce=int, required=False, empty_value=None
    )
    list_author = forms.CharField(
        label=_("Add the author to the list"), max_length=80, required=False
    )

    def __init__(
        self,
        *args: Any,
        members: list[tuple[str, str]],
        saved_replies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["escalate_role"].choices = [
            ("", _("The workspace's choice")),
            *escalation_roles(),
        ]
        self.fields["assign"].choices = [("", "—"), *members]
        self.fields["reply"].choices = [("", "—"), *saved_replies]

    def actions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        found: list[dict[str, Any]] = []
        if data.get("remove"):
            found.append({"kind": data["remove"]})
        if data.get("review"):
            found.append({"kind": "review"})
        if data.get("escalate"):
            found.append({"kind": "escalate", "role": data.get("escalate_role") or ""})
        if data.get("assign"):
            found.append({"kind": "assign", "username": data["assign"]})
        if data.get("tag", "").strip():
            found.append({"kind": "tag", "name": data["tag"]})
        if data.get("reply"):
            found.append({"kind": "reply", "saved_reply": data["reply"]})
        if data.get("list_author", "").strip():
            found.append({"kind": "list_author", "list": data["list_author"]})
        return found


def actions_initial(actions: list[dict[str, Any]]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for action in actions:
        kind = action.get("kind")
        if kind in ("hide", "delete"):
            initial["remove"] = kind
        elif kind == "review":
            initial["review"] = True
        elif kind == "escalate":
            initial.update(escalate=True, escalate_role=action.get("role", ""))
        elif kind == "assign":
            initial["assign"] = action.get("username")
        elif kind == "tag":
            initial["tag"] = action.get("name")
        elif kind == "reply":
            initial["reply"] = action.get("saved_reply")
        elif kind == "list_author":
            initial["list_author"] = action.get("list")
    return initial


class OnboardingForm(forms.Form):
    escalate_to = forms.ChoiceField(label=_("Escalate to"), choices=[])
    enable = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["escalate_to"].choices = escalation_roles()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("keep", _("Keep")), ("hide", _("Hide")), ("escalate", _("Escalate"))]
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=reason_choices(blank=True), required=False
    )
    teach = forms.BooleanField(label=_("Learn from this decision"), required=False)


class BulkReviewForm(forms.Form):
    """One decision for several waiting items (the selection, or the copies of one text)."""

    decision = forms.ChoiceField(choices=[("keep", _("Keep")), ("hide", _("Hide"))])
    reason = forms.ChoiceField(
        label=_("Reason"), choices=reason_choices(blank=True), required=False
    )


class HideForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=1000, required=False)


class RestoreForm(forms.Form):
    why = forms.CharField(label=_("Why restore it"), max_length=1000, widget=forms.TextInput())


class LogFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", "—"), *ActionKind.choices], required=False
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=reason_choices(blank=True), required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[
            ("", "—"),
            (ActionState.QUEUED, _("queued")),
            (ActionState.DONE, _("done")),
            (ActionState.MANUAL, _("to do by hand")),
            (ActionState.FAILED, _("failed")),
        ],
        required=False,
    )

    def values(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class CharterForm(forms.Form):
    published = forms.BooleanField(label=_("Published"), required=False)
    introduction = forms.CharField(
        label=_("Introduction"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
    )
    appeal = forms.CharField(
        label=_("How to appeal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class ListEntryForm(forms.Form):
    name = forms.CharField(label=_("List"), max_length=80)
    network = forms.ChoiceField(label=_("Network"), choices=NETWORK_CHOICES)
    handle = forms.CharField(label=_("Author's handle"), max_length=300)

    def clean_handle(self) -> str:
        return self.cleaned_data["handle"].strip().lstrip("@")


def workspace_choices(workspace: Workspace) -> dict[str, Any]:
    """The choices the rule editor offers: queries, members, saved replies."""
    from parvis.inbox.models import SavedReply
    from parvis.listening.models import MonitoredQuery
    from parvis.workspaces.models import Membership

    members = [
        (m.user.username, m.user.get_full_name() or m.user.username)
        for m in Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    ]
    return {
        "queries": list(
            MonitoredQuery.objects.filter(workspace=workspace).values_list("id", "name")
        ),
        "members": members,
        "saved_replies": list(
            SavedReply.objects.filter(workspace=workspace).values_list("id", "title")
        ),
    }

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES
from parvis.workspaces.roles import Perm, Role, role_can

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use lowercase letters, digits and dashes (2 to 50 characters)."),
)


class Workspace(models.Model):
    """One brand, or one agency client. Every piece of data belongs to one workspace."""

    slug = models.SlugField(
        _("identifier"), max_length=50, unique=True, validators=[slug_validator]
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    # An IANA zone name ("Europe/Paris"); empty: the installation's TIME_ZONE. The calendar,
    # the scheduling form and the best-time heat map read the workspace's clock through
    # parvis.workspaces.zones.zone_of.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]
        ordering = ["workspace__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"

    def can(self, perm: Perm) -> bool:
        return role_can(self.role, perm)


class WorkspaceScoped(models.Model):
    """Base for every model owned by a workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


# --- Strategy -------------------------------------------------------------------------------


class AddressForm(models.TextChoices):
    VOUS = "vous", _("Vouvoiement (vous)")
    TU = "tu", _("Tutoiement (tu)")


class Register(models.TextChoices):
    FORMAL = "formal", _("Formal")
    NEUTRAL = "neutral", _("Neutral and warm")
    CASUAL = "casual", _("Casual")
    PLAYFUL = "playful", _("Playful")


class Strategy(models.Model):
    """The brand's positioning, editorial line and listening keywords (one per workspace)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="strategy")
    positioning = models.TextField(_("positioning"), blank=True)
    address_form = models.CharField(
        _("address form"), max_length=10, choices=AddressForm.choices, default=AddressForm.VOUS
    )
    language_register = models.CharField(
        _("register"), max_length=10, choices=Register.choices, default=Register.NEUTRAL
    )
    tone = models.TextField(_("tone"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    words_to_use = models.JSONField(_("words to use"), default=list, blank=True)
    words_to_avoid = models.JSONField(_("words to avoid"), default=list, blank=True)
    signature_hashtags = models.JSONField(_("signature hashtags"), default=list, blank=True)
    brand_keywords = models.JSONField(_("brand keywords"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("editorial line")
        verbose_name_plural = _("editorial lines")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ObjectiveKind(models.TextChoices):
    AUDIENCE_GROWTH = "audience_growth", _("Grow the audience")
    AWARENESS = "awareness", _("Awareness (be remembered)")
    IMAGE_CHANGE = "image_change", _("Change the brand's image")
    CUSTOMER_CARE = "customer_care", _("Customer care")
    TRAFFIC = "traffic", _("Traffic and conversions")
    ENGAGEMENT = "engagement", _("Community engagement")


class Objective(WorkspaceScoped):
    kind = models.CharField(_("business goal"), max_length=30, choices=ObjectiveKind.choices)
    title = models.CharField(_("objective"), max_length=200)
    kpi = models.CharField(_("KPI"), max_length=120)
    target_value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    network = models.CharField(_("network"), max_length=30, choices=NETWORK_CHOICES, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["period_end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="objective_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Persona(WorkspaceScoped):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("who they are"), blank=True)
    expectations = models.TextField(_("what they expect from the brand"), blank=True)
    networks = models.JSONField(_("networks they use"), default=list, blank=True)

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        known = {code for code, _ in NETWORK_CHOICES}
        unknown = [n for n in self.networks if n not in known]
        if unknown:
            raise ValidationError({"networks": _("Unknown network: %s") % ", ".join(unknown)})


class NetworkChoice(WorkspaceScoped):
    """A network the brand chose to be on, why, and how often it posts there."""

    network = models.CharField(_("network"), max_length=30, choices=NETWORK_CHOICES)
    # The brand's own account there: its posts are the brand speaking, not mentions of it.
    handle = models.CharField(
        _("our account there"),
        max_length=200,
        blank=True,
        help_text=_("The brand's handle on this network, e.g. maisonlumiere.bsky.social."),
    )
    reason = models.TextField(_("why this network"), blank=True)
    posts_per_week = models.PositiveSmallIntegerField(_("posts per week"), default=3)

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["network"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network"], name="one_choice_per_network")
        ]

    def __str__(self) -> str:
        return self.get_network_display()


class Competitor(WorkspaceScoped):
    name = models.CharField(_("name"), max_length=120)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    handles = models.JSONField(_("accounts"), default=list, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class StrategyChange(WorkspaceScoped):
    """History of the strategy: who changed what, when (field: [before, after])."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        DELETED = "deleted", _("deleted")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    item_type = models.CharField(max_length=40)
    item_id = models.BigIntegerField(null=True)
    item_label = models.CharField(max_length=200)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.item_type} {self.item_label}"

"""The reasons a moderation action gives: a fixed list, shown in the log, on the public
moderation charter and counted in the reports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    INSULT = "insult", _("Insult")
    OBSCENE = "obscene", _("Obscene content")
    HATE = "hate", _("Hate")
    THREAT = "threat", _("Threat")
    SPAM = "spam", _("Spam or advertising")
    SCAM = "scam", _("Scam")
    DEFAMATION = "defamation", _("Defamation")
    PERSONAL_DATA = "personal_data", _("Personal data")
    OFF_TOPIC = "off_topic", _("Off topic")
    LEGAL_THREAT = "legal_threat", _("Legal threat")
    DISTRESS = "distress", _("Signs of distress")
    OTHER = "other", _("Other")


# Reasons for which the shipped rules escalate to a person instead of hiding: hiding a
# threat, a legal notice or a cry for help would hide a problem, not solve it.
ESCALATED = frozenset(
    {Reason.THREAT, Reason.LEGAL_THREAT, Reason.DISTRESS, Reason.DEFAMATION, Reason.PERSONAL_DATA}
)

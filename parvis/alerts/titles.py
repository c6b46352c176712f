"""An alert's title, in the language of whoever reads it.

The title is worded when it is read, from the facts the alert keeps (`Alert.params`: the
episode's kind, bucket, place, value, usual value and the rule's name), so a French alert reads
in English for an English reader. `Alert.title` keeps the words as first written: what the
e-mails and webhooks already carried.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

# The strings of models.EpisodeKind and models.Resolution: this module sits below models.
VOLUME, NEGATIVE, REACH, INFLUENCER = "volume", "negative", "reach", "influencer"
HOUR = "hour"


def title_params(
    kind: str, resolution: str, where: str, value: int, usual: float, rule: str
) -> dict[str, Any]:
    """What `render` needs, as plain JSON (stored with the alert)."""
    return {
        "kind": kind,
        "resolution": resolution,
        "where": where,
        "value": int(value),
        "usual": float(usual),
        "rule": rule,
    }


def render(params: dict[str, Any]) -> str:
    """The title in the active language; "" if the facts are missing or malformed."""
    try:
        kind = str(params["kind"])
        hourly = str(params.get("resolution", "")) == HOUR
        value = int(params["value"])
        usual = float(params.get("usual", 0.0))
        where = str(params.get("where") or "") or _("the whole workspace")
        rule = str(params.get("rule") or "")
    except (KeyError, TypeError, ValueError, OverflowError):
        return ""
    if kind == VOLUME and hourly:
        text = _("Spike of mentions on %(where)s: %(value)s over one hour (usually %(usual)s)")
    elif kind == VOLUME:
        text = _("Spike of mentions on %(where)s: %(value)s per minute (usually %(usual)s)")
    elif kind == NEGATIVE and hourly:
        text = _(
            "Spike of negative mentions on %(where)s: %(value)s over one hour (usually %(usual)s)"
        )
    elif kind == NEGATIVE:
        text = _(
            "Spike of negative mentions on %(where)s: %(value)s per minute (usually %(usual)s)"
        )
    elif kind == REACH:
        text = _("Spike of reach on %(where)s: %(value)s per minute (usually %(usual)s)")
    elif kind == INFLUENCER:
        text = _("%(rule)s: an author with %(value)s followers talks about %(where)s")
    else:
        text = _("%(rule)s: new mention on %(where)s")
    return (
        text
        % {
            "where": where,
            # In the reader's language: « 2,5 » in French, « 12,345 » followers in English.
            "value": formats.number_format(value, force_grouping=True),
            "usual": formats.number_format(usual, 1),
            "rule": rule,
        }
    )[:300]

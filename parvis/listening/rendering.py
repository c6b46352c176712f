"""The explorer's mention cards, drawn in Python.

The list draws 50 cards a page, and the template engine spent most of the page's time on
them (resolving each variable and filter of each card): at a million mentions with eight
users, the list missed its latency target while detail pages met theirs. This draws the
same HTML (`tests/listening/test_rendering.py` compares it with the template
`listening/_mention_item.html`, kept as the reference) with format_html, which escapes
every value as the template does.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from parvis.core.networks import network_label
from parvis.listening.models import Mention
from parvis.listening.templatetags.listening_tags import compact

CARD = (
    '<article class="mention" data-mention="{pk}">\n'
    '  <header class="mention-head">\n'
    '    <span class="who"><strong class="author-name">{shown}</strong>{handle}</span>\n'
    '    <span class="muted">· {network}</span>\n'
    "    {own}\n"
    '    <time class="muted" datetime="{iso}">· {when}</time>\n'
    '    <span class="spacer"></span>\n'
    "    {group}\n"
    "    {sentiment}\n"
    "  </header>\n"
    "  {title}\n"
    '  <p class="mention-text">{text}</p>\n'
    '  <footer class="mention-foot">\n'
    '    <span title="{reach_help}">{reach_label} {reach}</span>\n'
    "    <span>{engagement_label} {engagement}</span>\n"
    "    {lang}\n"
    "    {chips}\n"
    '    <span class="spacer"></span>\n'
    '    <a href="{url}" class="details-link">{details}</a>\n'
    "  </footer>\n"
    "</article>\n"
)
# An absent part: format_html escapes the empty string to itself.
EMPTY = ""


def mention_cards(mentions: Iterable[Mention], slug: str, own_ids: Iterable[int]) -> SafeString:
    """The cards of `mentions` (authors selected, matches with their queries prefetched)."""
    own = set(own_ids)
    labels = {
        "own": format_html('<span class="pill own">{}</span>', gettext("Our account")),
        "reach_help": gettext("Reach: the followers of the author when it was posted"),
        "reach_label": gettext("Reach"),
        "engagement_label": gettext("Engagement"),
        "details": gettext("Details"),
    }
    return format_html_join("", "{}", ((card(m, slug, own, labels),) for m in mentions))


def card(m: Mention, slug: str, own: set[int], labels: dict[str, str]) -> str:
    author = m.author
    local = timezone.localtime(m.published_at)
    size = m.group_size
    group: str = EMPTY
    if size > 1:
        posted = ngettext(
            "Posted %(counter)s time with the same text",
            "Posted %(counter)s times with the same text",
            size,
        ) % {"counter": formats.localize(size)}
        group = format_html(
            '<span class="pill group" title="{}">\u00d7{}</span>', posted, formats.localize(size)
        )
    return format_html(
        CARD,
        pk=formats.localize(m.pk),
        shown=author.name or author.handle,
        handle=format_html(' <span class="muted handle">{}</span>', author.handle)
        if author.name
        else EMPTY,
        network=network_label(m.network),
        own=labels["own"] if m.author_id in own else EMPTY,
        iso=dateformat.format(local, "c"),
        when=formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        group=group,
        sentiment=format_html(
            '<span class="pill s-{}">{}</span>', m.sentiment, m.get_sentiment_display()
        )
        if m.sentiment
        else EMPTY,
        title=format_html('<h3 class="mention-title">{}</h3>', m.title) if m.title else EMPTY,
        text=Truncator(m.text).chars(360),
        reach_help=labels["reach_help"],
        reach_label=labels["reach_label"],
        reach=compact(m.reach),
        engagement_label=labels["engagement_label"],
        engagement=compact(m.engagement),
        lang=format_html("<span>{}</span>", m.lang.upper()) if m.lang else EMPTY,
        chips=format_html_join(
            "", '<span class="chip small">{}</span>', ((x.query.name,) for x in m.matches.all())
        ),
        url=reverse("listening:mention", args=[slug, m.pk]),
        details=labels["details"],
    )

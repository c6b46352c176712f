"""The client report as a branded PDF (reportlab): a cover in the workspace's colour with its
name and the period, then one section per page group — summary, audience, publications,
listening, community management, moderation, crises — and the community manager's comments.
Charts are drawn here (reportlab.graphics), nothing is fetched. Figures and dates are written
in the report's language through Django's formats (« 12 000 », « 1 novembre 2026 » in French).

Everything a user or a network wrote (names, posts, comments) goes through `text()`, which
escapes it: reportlab's paragraphs read a markup language."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from parvis.analytics import display
from parvis.analytics.report import (
    DEFAULT_COLOUR,
    Cell,
    ReportData,
    Section,
    comments_table,
    sections,
)
from parvis.analytics.report import Table as ReportTable

PAGE_W, PAGE_H = A4
MARGIN = 1.8 * cm
WIDTH = PAGE_W - 2 * MARGIN
COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
SENTIMENT_COLOURS = {
    "negative": colors.HexColor("#C0392B"),
    "neutral": colors.HexColor("#95A5A6"),
    "positive": colors.HexColor("#27AE60"),
    "unknown": colors.HexColor("#D5D8DC"),
}
# How the width of some tables is shared among their columns (the texts get the room).
SHARES = {
    "top_posts": [1.3, 2.0, 3.2, 1.15, 1.15, 1.15, 1.15],
    "crises": [2.2, 1.1, 1.6, 1.6, 1.1, 0.8, 2.6],
    "top_authors": [2, 2, 1.2, 1.1, 1.1],
}
# A table in the PDF shows this many rows at most (the CSV and XLSX have them all).
MOST_ROWS = 40


# --- fonts: a TrueType family with accents and most scripts ----------------------------------

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path(reportlab.__file__).parent / "fonts"]
FAMILIES = [("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), ("Vera.ttf", "VeraBd.ttf")]
_fonts: tuple[str, str] | None = None


def fonts() -> tuple[str, str]:
    """(regular, bold): Debian's DejaVu Sans (fonts-dejavu-core) where installed, else the
    Vera fonts that reportlab ships; both hold French accents, unlike the PDF base fonts'
    encoding for some characters (« œ », « € » are fine, but not every name a network sends)."""
    global _fonts
    if _fonts is None:
        _fonts = ("Helvetica", "Helvetica-Bold")
        for regular, bold in FAMILIES:
            for folder in FONT_DIRS:
                if (folder / regular).is_file() and (folder / bold).is_file():
                    pdfmetrics.registerFont(TTFont("ParvisSans", str(folder / regular)))
                    pdfmetrics.registerFont(TTFont("ParvisSans-Bold", str(folder / bold)))
                    _fonts = ("ParvisSans", "ParvisSans-Bold")
                    return _fonts
    return _fonts


@functools.cache
def glyphs() -> frozenset[int] | None:
    """The characters the report's font can draw (None: a base font, assume all): an emoji
    the font lacks would print as an empty box, so it is left out."""
    regular, _bold = fonts()
    try:
        face = pdfmetrics.getFont(regular).face
    except (KeyError, AttributeError):
        return None
    found = getattr(face, "charToGlyph", None)
    return frozenset(found) if found else None


# --- text and figures -------------------------------------------------------------------------


def text(value: Any) -> str:
    """User or network text, safe inside a reportlab paragraph (escaped, line breaks kept,
    characters a PDF string cannot hold dropped)."""
    known = glyphs()
    cleaned = "".join(
        ch
        for ch in str(value)
        if ch in "\n\t"
        or (
            ord(ch) >= 32
            and not 0xD800 <= ord(ch) <= 0xDFFF
            and (known is None or ord(ch) in known)
        )
    )
    return escape(cleaned).replace("\n", "<br/>")


def shown(cell: Cell) -> str:
    """A table cell in the report's language: « 12 000 », « 33,3 »; « — » when unknown."""
    if cell is None:
        return "—"
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int):
        return display.number(cell)
    if isinstance(cell, float):
        return display.number(cell, 1)
    if isinstance(cell, dt.datetime):
        return formats.date_format(cell, "SHORT_DATETIME_FORMAT")
    if isinstance(cell, dt.date):
        return formats.date_format(cell, "SHORT_DATE_FORMAT")
    return str(cell)


def percent(value: float) -> str:
    """« 58,3 % » in French, « 58.3% » in English: one decimal, as the tables show."""
    return display.number(value, 1) + percent_sign()


def percent_sign() -> str:
    return display.PERCENT_SIGN.get((get_language() or "")[:2], "%")


def day_text(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def brand_colour(data: ReportData) -> colors.Color:
    return colors.HexColor(data.colour if COLOUR_RE.match(data.colour or "") else DEFAULT_COLOUR)


def on_colour(colour: colors.Color) -> colors.Color:
    """White on a dark colour, near-black on a light one (the text must stay readable)."""
    luminance = 0.2126 * colour.red + 0.7152 * colour.green + 0.0722 * colour.blue
    return colors.white if luminance < 0.6 else colors.HexColor("#1B1B1B")


class Styles:
    def __init__(self, colour: colors.Color) -> None:
        regular, bold = fonts()
        ink = colors.HexColor("#1B1B1B")
        self.body = ParagraphStyle(
            "body", fontName=regular, fontSize=9.5, leading=13, textColor=ink
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10)
        self.small_bold = ParagraphStyle("small_bold", parent=self.small, fontName=bold)
        self.muted = ParagraphStyle("muted", parent=self.body, textColor=colors.HexColor("#5F6B73"))
        self.h1 = ParagraphStyle(
            "h1",
            parent=self.body,
            fontName=bold,
            fontSize=18,
            leading=22,
            textColor=colour,
            spaceBefore=4,
            spaceAfter=8,
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=self.body,
            fontName=bold,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
        )
        fore = on_colour(colour)
        self.cover_title = ParagraphStyle(
            "cover_title",
            parent=self.body,
            fontName=bold,
            fontSize=28,
            leading=34,
            textColor=fore,
            alignment=TA_LEFT,
        )
        self.cover_sub = ParagraphStyle(
            "cover_sub", parent=self.body, fontSize=14, leading=19, textColor=fore
        )
        self.big = ParagraphStyle(
            "big", parent=self.body, fontName=bold, fontSize=17, leading=21, textColor=colour
        )


# --- the document -------------------------------------------------------------------------


def pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (call inside translation.override(data.language))."""
    colour = brand_colour(data)
    styles = Styles(colour)
    out = io.BytesIO()
    title = _("Activity report — %(name)s") % {"name": data.workspace.name}
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 0.4 * cm,
        bottomMargin=MARGIN,
        title=title,
        author="Parvis",
        subject=period_text(data),
    )
    story: list[Any] = cover(data, styles, colour)
    for section in sections(data):
        story += section_flowables(data, section, styles, colour)
    story += comments_flowables(data, styles)

    def later(canvas: Any, document: Any) -> None:
        regular, _bold = fonts()
        canvas.saveState()
        canvas.setFillColor(colour)
        canvas.rect(0, PAGE_H - 0.5 * cm, PAGE_W, 0.5 * cm, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor("#5F6B73"))
        canvas.setFont(regular, 8)
        name = data.workspace.name
        name = name if len(name) <= 70 else name[:69] + "…"
        canvas.drawString(MARGIN, 1.0 * cm, f"{name} · {period_text(data)}")
        canvas.drawRightString(
            PAGE_W - MARGIN, 1.0 * cm, _("Page %(number)s") % {"number": document.page}
        )
        canvas.restoreState()

    def first(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colour)
        canvas.rect(0, 0, PAGE_W, 0.9 * cm, stroke=0, fill=1)
        canvas.restoreState()

    doc.build(story, onFirstPage=first, onLaterPages=later)
    return out.getvalue()


def period_text(data: ReportData) -> str:
    return _("%(since)s to %(until)s") % {
        "since": day_text(data.since),
        "until": day_text(data.until),
    }


def cover(data: ReportData, styles: Styles, colour: colors.Color) -> list[Any]:
    band = Table(
        [
            [Spacer(1, 3.2 * cm)],
            [Paragraph(text(data.workspace.name), styles.cover_title)],
            [Spacer(1, 0.4 * cm)],
            [Paragraph(text(_("Activity report")), styles.cover_sub)],
            [Paragraph(text(period_text(data)), styles.cover_sub)],
            [Spacer(1, 1.2 * cm)],
        ],
        colWidths=[WIDTH],
    )
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colour),
                ("LEFTPADDING", (0, 0), (-1, -1), 0.9 * cm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0.9 * cm),
            ]
        )
    )
    made = _("Prepared on %(date)s with Parvis.") % {
        "date": day_text(data.generated_at.astimezone(dt.UTC).date())
    }
    top: list[Any] = []
    logo = logo_flowable(data)
    if logo is not None:
        top = [logo, Spacer(1, 0.5 * cm)]
    return [
        *top,
        band,
        Spacer(1, 1.2 * cm),
        key_figures(data, styles),
        Spacer(1, 1 * cm),
        Paragraph(text(made), styles.muted),
        PageBreak(),
    ]


def logo_flowable(data: ReportData) -> Image | None:
    """The workspace's logo at most 5 by 2.5 cm, its proportions kept; None without one (or
    one that no longer reads: the report is still written)."""
    if not data.logo:
        return None
    try:
        reader = ImageReader(io.BytesIO(data.logo))
        width, height = reader.getSize()
    except Exception:  # a stored logo that no longer reads must not stop the report
        return None
    scale = min(5 * cm / width, 2.5 * cm / height)
    found = Image(io.BytesIO(data.logo), width=width * scale, height=height * scale)
    found.hAlign = "LEFT"
    return found


def key_figures(data: ReportData, styles: Styles) -> Table:
    """Four figures a client reads first: mentions, positive share, followers, posts."""
    positive = data.positive_share
    cards = [
        (display.number(data.mentions), _("mentions")),
        (
            percent(positive) if positive is not None else "—",
            _("positive (of the analysed mentions)"),
        ),
        (shown(data.audience.end), _("followers")),
        (shown(data.publications.posts if data.publications else None), _("posts published")),
    ]
    table = Table(
        [
            [Paragraph(text(value), styles.big) for value, _label in cards],
            [Paragraph(text(label), styles.small) for _value, label in cards],
        ],
        colWidths=[WIDTH / 4] * 4,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 1.5, brand_colour(data)),
                ("TOPPADDING", (0, 0), (-1, 0), 8),
            ]
        )
    )
    return table


def section_flowables(
    data: ReportData, section: Section, styles: Styles, colour: colors.Color
) -> list[Any]:
    out: list[Any] = [CondPageBreak(8 * cm), Paragraph(text(section.title), styles.h1)]
    if section.empty:
        out.append(Paragraph(text(section.empty), styles.muted))
    if section.key == "summary":
        out += [Paragraph(text(_("Objectives against their targets")), styles.h2)]
        out += objectives_table(data, styles, colour)
        return out
    for chart in charts(data, section.key):
        out += [chart, Spacer(1, 0.3 * cm)]
    for table in section.tables:
        if section.key == "listening" and table.key == "mentions_daily":
            continue  # the chart shows it; the CSV and XLSX have it day by day
        if section.key == "audience" and table.key == "followers_daily":
            continue
        if not table.rows and section.empty:
            continue
        out += table_flowable(table, styles, colour)
    return out


def objectives_table(data: ReportData, styles: Styles, colour: colors.Color) -> list[Any]:
    if not data.kpis:
        return [
            Paragraph(text(_("No objective of the strategy covers this period.")), styles.muted)
        ]
    rows = [
        [
            Paragraph(text(h), styles.small_bold)
            for h in (_("Objective"), _("KPI"), _("Value"), _("Target"), _("Status"))
        ]
    ]
    for kpi in data.kpis:
        seen = display.shown(kpi)
        status = str(kpi.status_label)
        if kpi.current.value is None and kpi.reason:
            status += f" — {kpi.reason}"
        elif seen.trend:
            status += f" ({seen.trend})"
        rows.append(
            [
                Paragraph(text(kpi.objective.title), styles.small),
                Paragraph(text(kpi.label), styles.small),
                Paragraph(text(seen.value), styles.small_bold),
                Paragraph(text(seen.target), styles.small),
                Paragraph(text(status), styles.small),
            ]
        )
    widths = [0.3, 0.2, 0.13, 0.13, 0.24]
    table = Table(rows, colWidths=[WIDTH * w for w in widths], repeatRows=1)
    table.setStyle(grid_style(colour))
    return [table]


def grid_style(colour: colors.Color) -> TableStyle:
    return TableStyle(
        [
            ("LINEBELOW", (0, 0), (-1, 0), 1, colour),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#D5D8DC")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
    )


def table_flowable(table: ReportTable, styles: Styles, colour: colors.Color) -> list[Any]:
    title = Paragraph(text(table.title), styles.h2)
    if not table.rows:
        return [KeepTogether([title, Paragraph(text(table.note or "—"), styles.muted)])]
    rows = [[Paragraph(text(h), styles.small_bold) for h in table.headers]]
    for row in table.rows[:MOST_ROWS]:
        rows.append([Paragraph(text(shown(c)), styles.small) for c in row])
    columns = len(table.headers)
    share = SHARES.get(table.key, [1.0] * columns)
    widths = [WIDTH * s / sum(share) for s in share]
    grid = Table(rows, colWidths=widths, repeatRows=1)
    grid.setStyle(grid_style(colour))
    flow: list[Any] = (
        [KeepTogether([title, grid])]
        if len(rows) < 15
        else [
            CondPageBreak(4 * cm),
            title,
            grid,
        ]
    )
    if len(table.rows) > MOST_ROWS:
        more = _("%(shown)s rows of %(total)s: the CSV and XLSX files have them all.") % {
            "shown": MOST_ROWS,
            "total": len(table.rows),
        }
        flow.append(Paragraph(text(more), styles.muted))
    return flow


def comments_flowables(data: ReportData, styles: Styles) -> list[Any]:
    comments = comments_table(data)
    out: list[Any] = [CondPageBreak(6 * cm), Paragraph(text(comments.title), styles.h1)]
    if not comments.rows:
        out.append(Paragraph(text(_("No comment was written for this report.")), styles.muted))
        return out
    for paragraph in re.split(r"\n\s*\n", str(comments.rows[0][0]).strip()):
        out.append(Paragraph(text(paragraph.strip()), styles.body))
        out.append(Spacer(1, 0.2 * cm))
    return out


# --- charts -------------------------------------------------------------------------------


def charts(data: ReportData, key: str) -> list[Drawing]:
    if key == "audience":
        return [c for c in [followers_chart(data)] if c is not None]
    if key == "listening":
        return [c for c in [volume_chart(data), sentiment_chart(data), voice_chart(data)] if c]
    return []


def nice_step(highest: float) -> int:
    """A whole step of 1, 2 or 5 times a power of ten giving at most about 5 ticks."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if highest / (factor * step) <= 5:
                return factor * step
        step *= 10


def axis_number(value: float) -> str:
    return display.number(value)


def style_axis(axis: Any, size: float = 7) -> None:
    regular, _bold = fonts()
    axis.labels.fontName = regular
    axis.labels.fontSize = size


def volume_chart(data: ReportData) -> Drawing | None:
    """Mentions per day, stacked by sentiment."""
    days = data.listening.days if data.listening else []
    if not days or not any(d.total for d in days):
        return None
    order = ("negative", "neutral", "positive", "unknown")
    drawing = Drawing(WIDTH, 6.2 * cm)
    chart = VerticalBarChart()
    chart.x, chart.y = 1.2 * cm, 1.3 * cm
    chart.width, chart.height = WIDTH - 1.6 * cm, 4.2 * cm
    chart.data = [[getattr(d, label) for d in days] for label in order]
    chart.categoryAxis.style = "stacked"
    every = max(1, -(-len(days) // 10))
    chart.categoryAxis.categoryNames = [
        formats.date_format(d.day, "SHORT_DATE_FORMAT")[:5] if i % every == 0 else ""
        for i, d in enumerate(days)
    ]
    chart.valueAxis.valueMin = 0
    highest = max(d.total for d in days)
    chart.valueAxis.valueStep = nice_step(highest)
    chart.valueAxis.valueMax = max(highest, chart.valueAxis.valueStep)
    chart.valueAxis.labelTextFormat = axis_number
    chart.barSpacing = 0.5
    chart.groupSpacing = 1
    for index, label in enumerate(order):
        chart.bars[index].fillColor = SENTIMENT_COLOURS[label]
        chart.bars[index].strokeColor = None
    style_axis(chart.categoryAxis)
    style_axis(chart.valueAxis)
    drawing.add(chart)
    drawing.add(legend([(SENTIMENT_COLOURS[k], sentiment_label(k)) for k in order], 6.1 * cm))
    return drawing


def sentiment_label(key: str) -> str:
    return {
        "negative": _("Negative"),
        "neutral": _("Neutral"),
        "positive": _("Positive"),
        "unknown": _("Not analysed"),
    }[key]


def legend(pairs: list[tuple[colors.Color, str]], y: float) -> Legend:
    regular, _bold = fonts()
    found = Legend()
    found.x, found.y = 1.2 * cm, y
    found.alignment = "right"
    found.columnMaximum = 1
    found.fontName = regular
    found.fontSize = 7.5
    found.dx = found.dy = 7
    found.deltax = 80
    found.colorNamePairs = pairs
    return found


def sentiment_chart(data: ReportData) -> Drawing | None:
    counts = data.sentiment()
    shown_keys = [k for k in ("positive", "neutral", "negative") if counts[k]]
    if not shown_keys:
        return None
    drawing = Drawing(WIDTH, 4.6 * cm)
    pie = Pie()
    pie.x, pie.y = 1.2 * cm, 0.3 * cm
    pie.width = pie.height = 4 * cm
    pie.data = [counts[k] for k in shown_keys]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    for index, key in enumerate(shown_keys):
        pie.slices[index].fillColor = SENTIMENT_COLOURS[key]
    drawing.add(pie)
    total = sum(pie.data)
    pairs = [
        (
            SENTIMENT_COLOURS[k],
            _("%(label)s: %(share)s")
            % {"label": sentiment_label(k), "share": percent(100.0 * counts[k] / total)},
        )
        for k in shown_keys
    ]
    key = legend(pairs, 3.6 * cm)
    key.x = 6.5 * cm
    key.alignment = "right"
    drawing.add(key)
    return drawing


def voice_chart(data: ReportData) -> Drawing | None:
    shares = [s for s in (data.listening.share_of_voice if data.listening else []) if s.count]
    if len(shares) < 2:
        return None
    shares = shares[:8]
    height = 0.7 * cm * len(shares) + 1.2 * cm
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 4.5 * cm, 0.6 * cm
    chart.width, chart.height = WIDTH - 5.5 * cm, height - 1 * cm
    chart.data = [[s.percent for s in reversed(shares)]]
    chart.categoryAxis.categoryNames = [
        s.name if len(s.name) <= 28 else s.name[:27] + "…" for s in reversed(shares)
    ]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labelTextFormat = lambda v: display.number(v) + percent_sign()
    chart.bars[0].fillColor = brand_colour(data)
    chart.bars[0].strokeColor = None
    style_axis(chart.categoryAxis, 7.5)
    style_axis(chart.valueAxis)
    drawing.add(chart)
    return drawing


def followers_chart(data: ReportData) -> Drawing | None:
    daily = data.audience.daily
    if len(daily) < 2:
        return None
    drawing = Drawing(WIDTH, 5 * cm)
    chart = HorizontalLineChart()
    chart.x, chart.y = 1.6 * cm, 1 * cm
    chart.width, chart.height = WIDTH - 2 * cm, 3.6 * cm
    chart.data = [[n for _d, n in daily]]
    every = max(1, -(-len(daily) // 10))
    chart.categoryAxis.categoryNames = [
        formats.date_format(d, "SHORT_DATE_FORMAT")[:5] if i % every == 0 else ""
        for i, (d, _n) in enumerate(daily)
    ]
    low, high = min(chart.data[0]), max(chart.data[0])
    spread = max(high - low, 10)
    chart.valueAxis.valueMin = max(0, low - spread // 5)
    chart.valueAxis.valueMax = high + spread // 5
    chart.valueAxis.labelTextFormat = axis_number
    chart.lines[0].strokeColor = brand_colour(data)
    chart.lines[0].strokeWidth = 2
    style_axis(chart.categoryAxis)
    style_axis(chart.valueAxis)
    drawing.add(chart)
    return drawing

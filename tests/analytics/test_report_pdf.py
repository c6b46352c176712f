"""The client report's PDF checked for real: its pages rendered to PNG (pdftoppm, kept in
test-artifacts/reports/ for a person to look at) and its text extracted (pdftotext) and
compared with the figures of the hand-made world; French accents and formats, a long
workspace name, an empty period. Also the CSV and XLSX of the same figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from parvis.analytics import report
from parvis.analytics.models import ReportSettings
from parvis.workspaces.models import Workspace
from tests.analytics import report_world as w

pytestmark = pytest.mark.django_db

ARTIFACTS = (
    Path(os.environ.get("PARVIS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
    / "reports"
)
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("PARVIS_REQUIRE_BROWSER"),
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)
NBSP = "\u00a0"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    # Spaces of any width (French thousands separators are narrow no-break spaces) as one.
    return re.sub(r"[ \u00a0\u202f]+", " ", done.stdout.decode("utf-8"))


def pages_to_png(pdf: bytes, name: str) -> list[Path]:
    """Every page as a PNG under test-artifacts/reports/<name>-N.png (replacing earlier ones)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)],
        check=True, timeout=120,
    )  # fmt: skip
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@needs_poppler
def test_french_pdf_shows_the_figures(workspace, owner, tmp_path):
    w.build(workspace, owner)
    ReportSettings.objects.create(workspace=workspace, colour="#7A2E3B", language="fr")
    comments = (
        "Très bon mois : la bougie « Forêt d'hiver » a plu.\n\nÀ tester : <b>pas du gras</b> & co."
    )
    pdf = report.generate(workspace, w.SINCE, w.UNTIL, "pdf", comments=comments, now=w.NOW)
    assert pdf.startswith(b"%PDF")
    pages = pages_to_png(pdf, "report-fr")
    text = pdf_text(pdf, tmp_path)
    # The cover: the name with its accent, the period in French.
    assert "Maison Lumière" in text
    assert "1 novembre 2026" in text and "30 novembre 2026" in text
    # Followers in French format (thousands separated by a space), the gain.
    assert "1 234" in text
    assert "+234" in text or "234" in text
    # Listening: 16 mentions, 7 positive; share of positive 7 / 12 = 58,3 %.
    assert re.search(r"\b16 mentions\b", text) or "16" in text
    assert "58,3 %" in text
    # Publications: likes 15, views 100; community: 75 % answered, median 30 min.
    assert "75,0" in text or "75 %" in text
    assert "30,0" in text
    # Moderation reasons and the crisis, translated.
    assert "Insulte" in text or "Insult" in text
    assert "Retour au calme" in text
    # The comments, escaped (the markup is shown, not applied) and with accents.
    assert "Très bon mois" in text
    assert "<b>pas du gras</b> & co." in text
    assert len(pages) >= 3
    assert all(png_size(p)[0] > 300 for p in pages)


@needs_poppler
def test_english_pdf(workspace, owner, tmp_path):
    w.build(workspace, owner)
    pdf = report.generate(workspace, w.SINCE, w.UNTIL, "pdf", language="en", now=w.NOW)
    text = pdf_text(pdf, tmp_path)
    assert "Activity report" in text
    assert "Nov. 1, 2026" in text
    assert "1,234" in text
    assert "58.3%" in text
    pages_to_png(pdf, "report-en")


@needs_poppler
def test_long_name_and_empty_period(db, tmp_path):
    name = "Fédération régionale des artisans ciriers, chandeliers et parfumeurs d'intérieur " * 2
    workspace = Workspace.objects.create(slug="long", name=name.strip()[:120])
    since, until = dt.date(2025, 2, 1), dt.date(2025, 2, 28)
    pdf = report.generate(workspace, since, until, "pdf", language="fr")
    text = pdf_text(pdf, tmp_path)
    # The whole name is on the cover, wrapped over lines rather than cut.
    words = " ".join(text.split())
    assert "Fédération régionale des artisans ciriers" in words
    assert "Aucune mention" in words or "No mention" in words
    pages = pages_to_png(pdf, "report-empty")
    assert len(pages) >= 2


def test_csv_and_xlsx_hold_the_same_figures(workspace, owner):
    w.build(workspace, owner)
    raw = report.generate(workspace, w.SINCE, w.UNTIL, "csv", language="en", now=w.NOW)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    figures = {r[0]: r[1] for r in rows if len(r) == 2}
    assert figures["Mentions"] == str(w.MENTIONS + w.COMPETITOR)
    assert figures["Likes"] == str(w.LIKES)
    assert figures["Conversations received"] == str(w.RECEIVED)
    assert figures["Median first response (minutes)"] == "30.0"
    assert figures["Hidden"] == str(w.HIDDEN)
    # A handle starting with « @ » is quoted: a spreadsheet would read it as a formula.
    assert ["Mastodon", "'@lumiere@piaille.example", "1000", "1234", "234"] in rows
    assert ["Mastodon", str(w.POSTS), str(w.LIKES + w.REPOSTS + w.REPLIES), "100"] in rows
    book = load_workbook(io.BytesIO(report.generate(
        workspace, w.SINCE, w.UNTIL, "xlsx", language="en", now=w.NOW, comments="=1+1"
    )))  # fmt: skip
    assert {"summary", "audience", "publications", "listening", "community", "moderation",
            "crises", "comments"} <= set(book.sheetnames)  # fmt: skip
    listening = [row for row in book["listening"].iter_rows(values_only=True)]
    assert ("Mentions", w.MENTIONS + w.COMPETITOR) in [r[:2] for r in listening]
    # Text that a spreadsheet would run as a formula is quoted.
    assert book["comments"]["A2"].value == "'=1+1"


def png(width: int, height: int, colour=(200, 30, 60)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@needs_poppler
def test_the_logo_is_on_the_cover(workspace, owner, tmp_path):
    from parvis.analytics import reports

    reports.do_set_logo(workspace, owner, png(400, 100))
    pdf = report.generate(workspace, w.SINCE, w.UNTIL, "pdf", language="fr", now=w.NOW)
    (tmp_path / "r.pdf").write_bytes(pdf)
    listed = subprocess.run(
        ["pdfimages", "-list", "-f", "1", "-l", "1", str(tmp_path / "r.pdf")],
        capture_output=True, check=True, timeout=60, text=True,
    ).stdout  # fmt: skip
    rows = [line.split() for line in listed.splitlines()[2:]]
    assert [(r[3], r[4]) for r in rows] == [("400", "100")]  # the logo, on page 1
    pages_to_png(pdf, "report-logo")
    reports.do_set_logo(workspace, owner, None)
    pdf = report.generate(workspace, w.SINCE, w.UNTIL, "pdf", language="fr", now=w.NOW)
    (tmp_path / "r.pdf").write_bytes(pdf)
    listed = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "r.pdf")], capture_output=True, check=True,
        timeout=60, text=True,
    ).stdout  # fmt: skip
    assert len(listed.splitlines()) == 2  # the header only: no image


@pytest.mark.parametrize(
    "content",
    [b"", b"not an image", b"GIF89a" + b"\x00" * 20, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50],
)
def test_a_logo_that_is_not_a_png_or_jpeg_is_refused(workspace, content):
    from django.core.exceptions import ValidationError

    from parvis.analytics import reports

    with pytest.raises(ValidationError):
        reports.do_set_logo(workspace, None, content)


def test_a_huge_logo_is_refused(workspace):
    from django.core.exceptions import ValidationError

    from parvis.analytics import reports

    with pytest.raises(ValidationError):
        reports.do_set_logo(workspace, None, png(5000, 10))
    with pytest.raises(ValidationError):
        reports.do_set_logo(workspace, None, b"\x89PNG" + b"\x00" * (600 * 1024))

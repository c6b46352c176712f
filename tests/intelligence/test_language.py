"""Language identification (parvis.intelligence.language, Lingua behind the default backend)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from parvis.intelligence import analyze, language

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def lang(text: str) -> str:
    return analyze([text])[0].lang


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour, vous livrez en Belgique ?", "fr"),
        ("Do you ship to Canada?", "en"),
        ("Me encanta esta vela, huele increíble", "es"),
        ("Adoro queste candele, profumo fantastico", "it"),
        ("Liefert ihr auch nach Deutschland?", "de"),
        ("Adorei a vela, o cheiro é maravilhoso", "pt"),
        ("Verzenden jullie ook naar België?", "nl"),
    ],
)
def test_short_texts_in_the_seven_languages(text, expected):
    assert lang(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Привет, как дела у вас сегодня?",  # noqa: RUF001 (none of the seven languages)
        "مرحبا بكم في متجرنا",
        "😍😍🔥",  # no letters
        "Nickel",  # a word of French, German and English alike
        "ok",
    ],
)
def test_unsure_is_unknown_not_french(text):
    assert lang(text) == "und"


def test_unknown_language_still_reads_with_the_nearer_heads():
    # "und" is what the mention shows; the French heads still read a short French text.
    a = analyze(["Nickel"])[0]
    assert a.lang == "und"
    assert a.toxicity.score < 0.5


def test_detector_is_built_once():
    assert language._detector(True) is language._detector(True)


def test_everyday_set_languages():
    from everyday import load

    rows = load("held")
    got = [a.lang for a in analyze([r.text for r in rows])]
    wrong = [(r.text, g) for r, g in zip(rows, got, strict=True) if g not in (r.lang, "und")]
    unknown = sum(1 for g in got if g == "und")
    # A wrong language is worse than "unknown": it picks the wrong heads and word lists.
    assert len(wrong) <= 2, wrong
    assert unknown <= 0.1 * len(rows)

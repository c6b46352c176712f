"""Lexicon signals: sentiment valence, abusive vocabulary by category, threat and spam cues.

The tables live in ``data/*.tsv`` (see each file's header for its source and licence); the
regular expressions come from ``wordlists``. ``Lexicon.scan`` returns a fixed-length vector of
dense features for the models plus the matched terms, which become the "why" of a decision.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from parvis.intelligence import wordlists
from parvis.intelligence.text import _FOLD

DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def stopword_languages() -> dict[str, frozenset[str]]:
    """Each stop word of ``data/stopwords.tsv``, as written, with the languages it is one of."""
    by_word: dict[str, set[str]] = {}
    for line in (DATA / "stopwords.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            word, lang = line.split("\t")
            by_word.setdefault(word, set()).add(lang)
    return {word: frozenset(langs) for word, langs in by_word.items()}


def stopwords(languages: Iterable[str]) -> frozenset[str]:
    """The stop words of these languages (ISO 639-1 codes), as written."""
    wanted = frozenset(languages)
    return frozenset(w for w, langs in stopword_languages().items() if langs & wanted)


CATEGORIES = ("insult", "obscene", "hate")

DENSE_NAMES = (
    "en_pos",
    "en_neg",
    "fr_pos",
    "fr_neg",
    "emoji_pos",
    "emoji_neg",
    "insult",
    "obscene",
    "hate",
    "threat",
    "spam",
    "exclaim",
    "question",
    "caps",
    "log_len",
    "negation",
    "second_person",
)
N_DENSE = len(DENSE_NAMES)

_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "wont",
        "aint",
        "ne",
        "pas",
        "jamais",
        "rien",
        "personne",
        "aucun",
        "aucune",
        "sans",
        "plus",
    ]
)
_SECOND_PERSON = frozenset(
    [
        "you",
        "u",
        "your",
        "ur",
        "youre",
        "yourself",
        "tu",
        "t",
        "te",
        "toi",
        "ton",
        "ta",
        "tes",
        "vous",
        "votre",
        "vos",
    ]
)


def _read_tsv(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            rows.append(line.split("\t"))
    return rows


def _fold(term: str) -> str:
    return term.lower().translate(_FOLD)


def alternation(patterns: Iterable[str]) -> str:
    """The patterns as one alternation, in their order, with the word boundary that starts
    a run of them tested once: `\\bA|\\bB` is `\\b(?:A|B)`, but Python's engine would otherwise
    try every alternative at every position of the text (the spam list took 46 µs a text)."""
    parts: list[str] = []
    run: list[str] = []
    for pattern in patterns:
        if pattern.startswith(r"\b"):
            run.append(f"(?:{pattern[2:]})")
            continue
        if run:
            parts.append(r"\b(?:" + "|".join(run) + ")")
            run = []
        parts.append(f"(?:{pattern})")
    if run:
        parts.append(r"\b(?:" + "|".join(run) + ")")
    return "|".join(parts)


# (English valence, French valence, emoji valence, abuse entry, negation, second person)
TokenInfo = tuple[float, float, float, tuple[str, str] | None, int, int]


@dataclass
class Hits:
    """Terms that matched, per signal, in one text."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    word_langs: dict[str, str] = field(default_factory=dict)  # single-word abuse hits only

    def count(self, key: str, lang: str) -> int:
        """Matches of ``key``, leaving out single words listed only for another language."""
        return sum(1 for t in self.terms.get(key, ()) if lang in self.word_langs.get(t, lang))

    def add(self, key: str, term: str) -> None:
        self.terms.setdefault(key, []).append(term)


class Lexicon:
    def __init__(self) -> None:
        self.valence_en = {w: float(v) for w, v in _read_tsv("sentiment_en.tsv")}
        self.valence_fr = {_fold(w): float(v) for w, v in _read_tsv("sentiment_fr.tsv")}
        self.emoji = {e: float(v) for e, v in _read_tsv("emoji_sentiment.tsv")}
        # term -> (category, languages whose list has it); hits outside the text's language
        # are ignored by the backend (Spanish "con" is not the French insult).
        self.abuse_words: dict[str, tuple[str, str]] = {}
        phrases: dict[str, list[str]] = {c: [] for c in CATEGORIES}
        for lang in ("en", "fr"):
            for term, category, _source in _read_tsv(f"profanity_{lang}.tsv"):
                term = _fold(term)
                if re.fullmatch(r"\w+", term):
                    prev = self.abuse_words.get(term)
                    langs = lang if prev is None else prev[1] + lang
                    self.abuse_words[term] = (prev[0] if prev else category, langs)
                else:
                    phrases[category].append(term)
        # Longest first so that "fils de pute" wins over "pute".
        self.abuse_phrases = {
            c: re.compile(
                r"(?<!\w)(?:"
                + "|".join(re.escape(p) for p in sorted(ps, key=len, reverse=True))
                + r")(?!\w)"
            )
            for c, ps in phrases.items()
            if ps
        }
        self.threat = re.compile(
            alternation(p for lang in ("en", "fr") for p in wordlists.THREAT_PATTERNS[lang])
        )
        self.spam = re.compile(alternation(wordlists.SPAM_PATTERNS))
        self.tokens = self._token_table()

    def _token_table(self) -> dict[str, TokenInfo]:
        """Every token any list knows -> (English valence, French valence, emoji valence,
        abuse entry, is a negation, is second person): one look-up per token in `scan`
        instead of six, as nearly all tokens are in no list."""
        abuse = dict(self.abuse_words)
        for word, entry in self.abuse_words.items():
            plural = word + "s"
            if len(plural) > 4 and plural not in abuse:
                abuse[plural] = entry  # plurals the lists do not spell out
        keys = set(self.valence_en) | set(self.valence_fr) | set(abuse)
        keys |= {e for e in self.emoji if len(e) == 1} | _NEGATIONS | _SECOND_PERSON
        return {
            k: (
                self.valence_en.get(k, 0.0),
                self.valence_fr.get(k, 0.0),
                self.emoji.get(k, 0.0) if len(k) == 1 else 0.0,
                abuse.get(k),
                int(k in _NEGATIONS),
                int(k in _SECOND_PERSON),
            )
            for k in keys
        }

    def scan(self, raw: str, norm: str, toks: list[str]) -> tuple[list[float], Hits]:
        """Dense features (order of ``DENSE_NAMES``) and matched terms for one text."""
        hits = Hits()
        en_pos = en_neg = fr_pos = fr_neg = emo_pos = emo_neg = 0.0
        counts = dict.fromkeys(CATEGORIES, 0)
        negation = second = 0
        table = self.tokens
        for tok in toks:
            info = table.get(tok)
            if info is None:
                continue
            ve, vf, vm, entry, neg, sec = info
            if ve > 0:
                en_pos += ve
            else:
                en_neg -= ve
            if vf > 0:
                fr_pos += vf
            else:
                fr_neg -= vf
            if vm > 0:
                emo_pos += vm
            else:
                emo_neg -= vm
            if entry is not None:
                counts[entry[0]] += 1
                hits.add(entry[0], tok)
                hits.word_langs[tok] = entry[1]
            negation += neg
            second += sec
        for cat, rx in self.abuse_phrases.items():
            for m in rx.findall(norm):
                counts[cat] += 1
                hits.add(cat, m)
        threats = [m.group(0) for m in self.threat.finditer(norm)]
        for t in threats:
            hits.add("threat", t)
        spam = 0
        for m in self.spam.finditer(norm):
            spam += 1
            hits.add("spam", m.group(0).strip())
        head = raw[:280]  # shouting is visible in the first tweet-length of text
        letters = sum(map(str.isalpha, head))
        caps = sum(map(str.isupper, head)) / letters if letters else 0.0
        feats = [
            en_pos,
            en_neg,
            fr_pos,
            fr_neg,
            emo_pos,
            emo_neg,
            float(counts["insult"]),
            float(counts["obscene"]),
            float(counts["hate"]),
            float(len(threats)),
            float(spam),
            float(min(raw.count("!"), 10)),
            float(min(raw.count("?"), 10)),
            caps,
            math.log1p(len(toks)),
            float(negation),
            float(second),
        ]
        return feats, hits

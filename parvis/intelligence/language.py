"""Language identification with Lingua (``lingua-language-detector``), restricted to the
languages Parvis meets most: French, English, Spanish, Italian, German, Portuguese, Dutch.

The detector (high-accuracy mode; about 180 MB once its models are loaded) is built once per
process, on first use; its models ship inside the wheel, nothing is downloaded. The default
backend asks it only when its own cheap signals are not enough (``decide``): most texts are
plainly French or English and never reach it. Parvis answers ``"und"`` (unknown) rather
than guessing when the text has no letters or mostly non-Latin ones, or when Lingua is not
confident enough (``MIN_CONFIDENCE``, more for one or two words), or when Lingua and the
French-vs-English head disagree on a short text. Lingua's low-accuracy mode (trigrams only,
30 MB, 3x faster) was measured and rejected: on 3-to-6-word tweets it names German or
Portuguese for French with 0.99 confidence (``benchmarks/language.py``).

Only Lingua's single-text calls are used: its ``*_in_parallel`` calls start a Rust thread
pool, which a process forked afterwards (the enrichment helper of listening) would inherit
in a broken state.
"""

from __future__ import annotations

import re
import threading
from typing import Any

LANGUAGES = ("fr", "en", "es", "it", "de", "pt", "nl")
UNKNOWN = "und"
# Chosen on the datasets' train texts and the everyday set's dev half (benchmarks/language.py).
MIN_CONFIDENCE = 0.3
MIN_CONFIDENCE_ONE_WORD = 0.9
SHORT_WORDS = 4
SURE = 0.9
# Lingua's cost grows with the length; the first characters tell the language.
MAX_CHARS = 400

_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]")
# A letter of no Latin alphabet (Cyrillic, Arabic, CJK...): one scan, in C, usually to the end.
_OTHER_SCRIPT = re.compile(r"[^\W\d_A-Za-zÀ-ÖØ-öø-ÿĀ-ɏ]")
_LETTER = re.compile(r"[^\W\d_]")
# Links, mentions and hashtags are not words of any language.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+")

_lock = threading.Lock()
_detectors: dict[bool, Any] = {}


def _detector(high_accuracy: bool) -> Any:
    found = _detectors.get(high_accuracy)
    if found is not None:
        return found
    with _lock:
        if high_accuracy not in _detectors:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            langs = [
                Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGUAGES
            ]
            builder = LanguageDetectorBuilder.from_languages(*langs)
            if not high_accuracy:  # only for benchmarks/language.py
                builder = builder.with_low_accuracy_mode()
            # Lazily loaded language models: about 40 MB less than preloading them all (a
            # short Latin-script text still loads all seven on its first few calls).
            _detectors[high_accuracy] = builder.build()
        return _detectors[high_accuracy]


def _best(detector: Any, text: str) -> tuple[str, float]:
    values = detector.compute_language_confidence_values(text)
    if not values:
        return UNKNOWN, 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), float(top.value)


def _screen(text: str) -> str | None:
    """The text without links, mentions and hashtags, or None when it cannot be one of
    ``LANGUAGES`` (no letters, or mostly non-Latin letters: Arabic, Cyrillic, CJK...)."""
    clean = _NOISE.sub(" ", text[:MAX_CHARS])
    letters = _LETTER.findall(clean)
    if not letters:
        return None
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    return clean if latin >= 0.6 * len(letters) else None


def identify(text: str, min_confidence: float = MIN_CONFIDENCE) -> str:
    """ISO 639-1 code of one text among ``LANGUAGES``, or ``"und"`` when unsure (Lingua's
    high-accuracy mode alone: the reference the cascade below is measured against)."""
    clean = _screen(text)
    if clean is None:
        return UNKNOWN
    lang, confidence = _best(_detector(True), clean)
    return lang if confidence >= min_confidence else UNKNOWN


def decide(text: str, p_fr: float, voted: str | None, n_words: int) -> str:
    """The language of a text analysed by the default backend, given what it computed
    anyway: ``p_fr``, its French-vs-English head (trained on tweets of both languages,
    very reliable between those two on longer texts) and ``voted``, the stop-word vote
    for Spanish, German, Italian, Portuguese or Dutch.

    Lingua (high-accuracy mode) is asked only when these are not enough: a vote for
    another language, a short text (``SHORT_WORDS``), or a head between ``SURE`` and
    1 - ``SURE``. Most ingested texts are long, plainly French or English tweets and
    comments, and never reach Lingua; that keeps ``analyze`` above 5,000 texts/s."""
    head = "fr" if p_fr >= 0.5 else "en"
    sure = voted is None and n_words > SHORT_WORDS and max(p_fr, 1.0 - p_fr) >= SURE
    if sure and (text.isascii() or not _OTHER_SCRIPT.search(text, 0, MAX_CHARS)):
        return head
    clean = _screen(text)
    if clean is None:
        return UNKNOWN
    lang, confidence = _best(_detector(True), clean)
    head_sure = max(p_fr, 1.0 - p_fr) >= SURE
    if lang == head and (head_sure or confidence >= MIN_CONFIDENCE):
        # Lingua's first choice and the head agree; on four English words Lingua's
        # confidence is often low (0.3: English shares its trigrams with every language).
        return lang
    if lang in ("fr", "en") and head_sure:
        # Lingua and a confident head disagree between French and English: the head
        # knows social-media text (hashtags, franglais) better; on a short text, do not guess.
        return UNKNOWN if n_words <= SHORT_WORDS else head
    # One or two words ("Nickel", "ok") are words of several languages: only a clear answer.
    if confidence >= (MIN_CONFIDENCE if n_words > 2 else MIN_CONFIDENCE_ONE_WORD):
        return lang
    return UNKNOWN


def identify_all(texts: list[str], min_confidence: float = MIN_CONFIDENCE) -> list[str]:
    return [identify(t, min_confidence) for t in texts]

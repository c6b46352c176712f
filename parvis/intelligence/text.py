"""Text normalisation and the feature strings fed to the hashing vectoriser.

Everything here is pure Python on purpose: it is the hot loop of ``analyze`` and has to stay
cheap (a few microseconds per short text).
"""

from __future__ import annotations

import html
import re
from itertools import pairwise

# Very long texts are cut: the first characters carry the signal we can use, and an unbounded
# input would make the cost of one call unbounded.
MAX_CHARS = 2000

_URL = re.compile(r"(?:https?://|www\.)\S+|\bhttps?\b|@url\b|\burl\b|<a\s[^>]*>", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_TAG = re.compile(r"</?\w+[^>]*>")
_REPEAT = re.compile(r"(.)\1{2,}")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")

# Accent folding by translation table: far cheaper than unicodedata on every text, and French
# tweets drop accents often enough that folding helps the small French sets.
_FOLD = str.maketrans(
    "àáâãäåçèéêëìíîïñòóôõöùúûüýÿœæ\u2019\u2018\u00b4`",
    "aaaaaaceeeeiiiinooooouuuuyyoe''''",
)


def normalize(text: str) -> str:
    """Lower-case, accent-folded text with links and mentions replaced by placeholders."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    if "&" in text:
        text = html.unescape(text)
    text = text.replace("\ufeff", "")
    text = _URL.sub(" httpurl ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = _MENTION.sub("@user", text)
    text = text.lower().translate(_FOLD)
    return _REPEAT.sub(r"\1\1", text)


def tokens(norm: str) -> list[str]:
    """Word tokens and single punctuation/emoji tokens of a normalised text."""
    return _TOKEN.findall(norm)


def has_letters(text: str) -> bool:
    return _LETTER.search(text) is not None


def token_features(tok: str, char_min: int = 2, char_max: int = 5) -> list[str]:
    """Features of one word: the word itself and its character n-grams (like ``char_wb``)."""
    feats = ["_" + tok]
    if len(tok) == 1 and not tok.isalnum():
        return feats  # punctuation and emoji: the whole token is the feature
    w = " " + tok + " "
    last = len(w)
    for n in range(char_min, min(char_max, last) + 1):
        feats += [w[i : i + n] for i in range(last - n + 1)]
    return feats


def bigrams(toks: list[str]) -> list[str]:
    return [a + " " + b for a, b in pairwise(toks)]

"""Text normalisation shared by the listening module: folding and word tokens.

Pure Python and no Django import: it runs on every ingested mention (and on every query term,
so that both sides of a comparison are folded the same way).

Folding is what a French reader expects: "Société", "SOCIÉTÉ" and "societe" are the same
word; "œuvre" and "oeuvre" too; typographic apostrophes are plain ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "ELISIONS",
    "Tokens",
    "analyse",
    "fold",
    "fold_char",
    "fold_with_offsets",
    "iter_word_spans",
    "tokenize",
    "word_pieces",
]

# Characters whose Unicode decomposition does not give what a reader expects (ligatures,
# letters with a stroke) or that stand for an apostrophe / a quotation mark.
_SPECIAL = {
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "\u0131": "i",  # dotless i
}
# Apostrophes: right/left single quotes, low-9, reversed-9, modifier letters, prime, acute.
_SPECIAL.update(dict.fromkeys("\u2019\u2018\u201a\u201b\u02bc\u02bb\u2032\u00b4", "'"))
# Quotation marks: curly doubles, low-9, reversed-9, guillemets, double prime.
_SPECIAL.update(dict.fromkeys("\u201c\u201d\u201e\u201f«»\u2039\u203a\u2033", '"'))
# Hyphens that are not U+002D ("Saint-Étienne" typed on a Mac has a non-breaking one).
_SPECIAL.update(dict.fromkeys("\u2010\u2011\u2012\u2212", "-"))
_SPECIAL_TABLE = str.maketrans(_SPECIAL)
# Soft hyphens, zero-width spaces and joiners are dropped rather than turned into spaces:
# they are used to dodge filters ("mai\u200bson") far more than to separate words.
_DROPPED_CATEGORIES = {"Mn", "Me", "Cf"}
# Beyond this many distinct characters the cache stops growing (a hostile stream of every
# code point would otherwise make it large); uncached characters are still folded.
_CACHE_LIMIT = 20_000


def fold_char(char: str) -> str:
    """Fold one character (uncached; `fold` caches the result per code point)."""
    special = _SPECIAL.get(char) or _SPECIAL.get(char.lower())
    if special is not None:
        return special
    out = _strip_marks(unicodedata.normalize("NFKD", char)).casefold()
    # casefold() can bring marks back ("İ" -> "i" + combining dot), hence the second pass.
    out = _strip_marks(unicodedata.normalize("NFKD", out))
    # Recompose what decomposition split without marks to drop (Hangul syllables).
    return unicodedata.normalize("NFC", out).translate(_SPECIAL_TABLE)


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)


class _FoldTable(dict):
    """str.translate() table that computes and remembers each new code point's folding."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        if len(self) < _CACHE_LIMIT:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable({code: chr(code).lower() for code in range(128)})


def fold(text: str) -> str:
    """Case-folded text without diacritics, ligatures or typographic apostrophes and quotes.

    Character by character, so positions can be mapped back to the original text
    (see `fold_with_offsets`). ASCII text, the common case, only needs lower().
    """
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each folded character, the index of its source character."""
    pieces: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        pieces.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(pieces), offsets


# French elided words: "l'hôtel" is "l'" + "hôtel" for a French reader. "aujourd'hui",
# "quelqu'un" or "presqu'île" are words of their own and are not in the list.
ELISIONS = frozenset(
    {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"}
)

# One alternative per kind of token, in folded text: URL, hashtag, handle, word. Word
# characters exclude "_" at the edges so that "__" is not a word; inside words, ' - . _ join
# parts ("l'hotel", "saint-etienne", "lumiere.fr", "maison_lumiere"). Possessive quantifiers
# keep the scan linear.
_URL = r"(?:https?://|www\.)\S+"
_TAG = r"(?<![\w@#])\#\w+"
_HANDLE = r"(?<![\w@#])@\w(?:[\w.\-]*\w)?(?:@\w(?:[\w.\-]*\w)?)?"
_WORD = r"[^\W_]++(?:['._\-][^\W_]++)*+"
# Without groups findall() returns plain strings, a third faster than tuples of groups.
_FAST_TOKEN_RE = re.compile("|".join((_URL, _TAG, _HANDLE, _WORD)))
# The same with names, for the (slower) positions of iter_word_spans.
_TOKEN_RE = re.compile(f"(?P<url>{_URL})|(?P<tag>{_TAG})|(?P<handle>{_HANDLE})|(?P<word>{_WORD})")
_JOINERS_RE = re.compile(r"[._\-]")
_PART_RE = re.compile(r"[^._\-]+")
_HANDLE_SERVER_RE = re.compile(r"[.@]")
_HANDLE_PARTS_RE = re.compile(r"[_\-]")
_DOMAIN_RE = re.compile(r"(?:https?://)?(?:www\.)?([\w.\-]+)")


@dataclass(slots=True)
class Tokens:
    """The tokens of a folded text, sorted by what they can be used for.

    sequence: the words in order (compounds as their parts), for phrase matching;
    extras: other forms that are also tokens (compound wholes, URL domains, handles);
    hashtags and handles: folded bodies without "#" / "@".
    """

    sequence: list[str]
    extras: list[str]
    hashtags: list[str]
    handles: list[str]


def analyse(folded: str) -> Tokens:
    """Split already folded text into tokens (see `tokenize` for the rules)."""
    seq: list[str] = []
    extras: list[str] = []
    hashtags: list[str] = []
    handles: list[str] = []
    for token in _FAST_TOKEN_RE.findall(folded):
        if token.isalnum():
            seq.append(token)  # the common case: a plain word
            continue
        first = token[0]
        if first == "#":
            tag = token[1:]
            hashtags.append(tag)
            extras.append(tag)
            seq.extend(p for p in tag.split("_") if p)  # "#black_friday": black, friday
        elif first == "@":
            _add_handle(token[1:], seq, extras, handles)
        elif token.startswith(("http://", "https://", "www.")):
            domain = _domain(token)
            if domain:
                extras.append(domain)
        else:
            _add_word(token, seq, extras)
    return Tokens(seq, extras, hashtags, handles)


def _add_word(word: str, seq: list[str], extras: list[str]) -> None:
    for token, _, _, in_sequence in word_pieces(word):
        (seq if in_sequence else extras).append(token)


def word_pieces(word: str) -> list[tuple[str, int, int, bool]]:
    """(token, start, end, in_sequence) of a word with joiners, offsets within `word`.

    Elisions split off ("l'hotel": l, hotel; inside compounds too: "chef-d'oeuvre": chef,
    d, oeuvre); compounds give their parts in the sequence and the whole as an extra
    ("saint-etienne"); English possessives their stem in the sequence and their whole as an
    extra ("parvis's": parvis, then parvis's).
    """
    pieces: list[tuple[str, int, int, bool]] = []
    lead = 0  # leading elided letters, left out of the compound's whole
    for part in _PART_RE.finditer(word):
        position = part.start()
        chunks = part.group().split("'")
        index = 0
        while index < len(chunks) - 1 and chunks[index] in ELISIONS:
            end = position + len(chunks[index])
            pieces.append((chunks[index], position, end, True))
            position = end + 1
            index += 1
        if part.start() == 0:
            lead = position
        rest = "'".join(chunks[index:])
        # English possessive: "Lumière's" is "lumiere" in the sequence, so that the phrase
        # "maison lumiere" finds "Maison Lumière's"; the whole stays a token of its own.
        # Other apostrophe words stay whole.
        if rest.endswith("'s") and len(rest) > 2:
            pieces.append((rest[:-2], position, position + len(rest) - 2, True))
            pieces.append((rest, position, position + len(rest), False))
        else:
            pieces.append((rest, position, position + len(rest), True))
    if _JOINERS_RE.search(word, lead):
        pieces.append((word[lead:], lead, len(word), False))
    return pieces


def _add_handle(handle: str, seq: list[str], extras: list[str], handles: list[str]) -> None:
    handles.append(handle)
    seq.append(handle)
    extras.append(handle)
    if "@" in handle:  # Mastodon "user@instance": "@user" finds it too
        handles.append(handle.split("@", 1)[0])
    extras.extend(_handle_words(handle))


def _handle_words(handle: str) -> list[str]:
    """The name without its server ("brand" of "brand.bsky.social", "user" of
    "user@mastodon.social") and its parts: the word "lumiere" finds "@maison_lumiere"."""
    local = _HANDLE_SERVER_RE.split(handle, maxsplit=1)[0]
    words = [local] if local != handle else []
    if "_" in local or "-" in local:
        words.extend(p for p in _HANDLE_PARTS_RE.split(local) if p)
    return words


def _domain(url: str) -> str:
    match = _DOMAIN_RE.match(url)
    return match.group(1).strip(".-_") if match else ""


def tokenize(text: str) -> list[str]:
    """Folded word tokens of `text`: the words in order, then the other forms.

    - accents and case folded ("Société" -> "societe");
    - French elisions split ("l'hôtel" -> "l", "hotel"), other apostrophe words kept whole
      ("aujourd'hui"), English possessives also give their stem ("Parvis's" -> "parvis");
    - compounds give their parts and the whole ("Saint-Étienne" -> "saint", "etienne",
      "saint-etienne"; "maison_lumiere", "lumiere.fr" alike);
    - hashtags and @handles give their body ("#Lumière" -> "lumiere");
    - a URL gives its domain only ("https://www.lumiere.fr/x?utm=1" -> "lumiere.fr");
    - numbers are kept, emoji and punctuation dropped.
    """
    tokens = analyse(fold(text))
    return tokens.sequence + tokens.extras


def iter_word_spans(folded: str) -> Iterator[tuple[str, int, int, bool]]:
    """(token, start, end, in_sequence) for every token of folded text, with its place.

    Mirrors `analyse` (in_sequence: the token is one of `Tokens.sequence`, else an extra
    form); slower, used to highlight terms in a preview. Hashtag and handle spans include
    their "#" / "@"; a URL's domain spans the whole URL.
    """
    for match in _TOKEN_RE.finditer(folded):
        start, end = match.span()
        if match.group("url"):
            domain = _domain(match.group())
            if domain:
                yield domain, start, end, False
            continue
        if match.group("handle"):
            handle = match.group()[1:]
            yield handle, start, end, True
            for word in _handle_words(handle):
                yield word, start, end, False
            continue
        if match.group("tag"):
            tag = match.group()[1:]
            yield tag, start, end, False
            for part in re.finditer(r"[^_]+", tag):
                yield part.group(), start + 1 + part.start(), start + 1 + part.end(), True
            continue
        word = match.group()
        if word.isalnum():
            yield word, start, end, True
            continue
        for token, piece_start, piece_end, in_sequence in word_pieces(word):
            yield token, start + piece_start, start + piece_end, in_sequence

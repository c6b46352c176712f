"""The editorial line as a check on a text the brand is about to publish: a reply (inbox) or
a post (publishing) alike.

- the address form the strategy chose (tutoiement / vouvoiement): French texts only, since
  « tu » and « vous » mean nothing of the kind in English (and « te », « ta » are English
  words or fragments);
- the words to avoid, folded for accents and case, as whole words (« pas cher » is found in
  « PAS CHER ! », not in « pascher »);
- the signature hashtags: a post for a network the strategy chose that carries none of them
  (information: not every post needs one);
- the themes and the words to use: information only, when the text uses none of them.

Pure checks on a text and a `Strategy`; the caller decides what a remark costs (the inbox
asks to confirm, publishing turns them into findings of a severity).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from parvis.intelligence.lexicon import stopword_languages
from parvis.workspaces.models import AddressForm, NetworkChoice, Strategy, Workspace

# The elided « t' » is followed by its verb (« je t'envoie »), the other forms by a non-letter.
TU = re.compile(r"\b(?:(?:tu|toi|ton|ta|tes|te)(?=\W|$)|t['\u2019](?=\w))", re.I)
VOUS = re.compile(r"\b(vous|votre|vos)\b", re.I)
# A hashtag as the networks read one: '#' then letters, digits or '_', not inside a word
# (« C#6 » or an URL's « page#top » are not hashtags).
HASHTAG = re.compile(r"(?<![\w#&/])#(\w+)", re.UNICODE)
WORDS = re.compile(r"\w+", re.UNICODE)

# Letters that Unicode decomposition does not split into a letter and accents.
_SPECIAL = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "ß": "ss", "\u2019": "'", "\u02bc": "'"}
)
# Beyond this, the language guess reads only the beginning: enough words to decide.
_GUESS_CHARS = 5_000


@dataclass(frozen=True)
class Remark:
    """One thing the editorial line says about a text.

    `code`: address_form | avoid | signature | themes; `level`: "warn" (the community
    manager should look) or "info" (shown quietly); `subject`: the word, hashtag or form the
    remark is about; `message`: what to tell them, translated.
    """

    code: str
    level: str
    subject: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def fold(text: str) -> str:
    """Lower case without accents: « Société », « SOCIÉTÉ » and « societe » are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def hashtags(text: str) -> list[str]:
    """The text's hashtags as written (without '#'), each once, in order of appearance."""
    seen: dict[str, str] = {}
    for match in HASHTAG.finditer(text):
        seen.setdefault(fold(match.group(1)), match.group(1))
    return list(seen.values())


def contains_word(folded_text: str, word: str) -> bool:
    """Whether `word` (or phrase) appears in the folded text as whole words."""
    target = fold(word).strip()
    return bool(target) and re.search(rf"(?<!\w){re.escape(target)}(?!\w)", folded_text) is not None


def is_english(text: str) -> bool:
    """A guess from stop words: more English ones than French ones. Short texts without
    either (« Merci ! ») are taken as French, the default language of the strategy."""
    languages = stopword_languages()
    english = french = 0
    for word in WORDS.findall(text[:_GUESS_CHARS].casefold()):
        langs = languages.get(word, frozenset())
        english += "en" in langs
        french += "fr" in langs
    return english > french


def address_form(text: str, strategy: Strategy, language: str | None = None) -> list[Remark]:
    """The address form the line chose, against the text (French texts only)."""
    english = language.lower().startswith("en") if language else is_english(text)
    if english:
        return []
    if strategy.address_form == AddressForm.VOUS and (m := TU.search(text)):
        message = _("The editorial line says « vous »: this text says « %(word)s ».")
    elif strategy.address_form == AddressForm.TU and (m := VOUS.search(text)):
        message = _("The editorial line says « tu »: this text says « %(word)s ».")
    else:
        return []
    return [Remark("address_form", "warn", m.group(0), message % {"word": m.group(0)})]


def words_to_avoid(text: str, strategy: Strategy) -> list[Remark]:
    folded = fold(text)
    return [
        Remark(
            "avoid",
            "warn",
            str(word),
            _("« %(word)s » is among the words to avoid.") % {"word": word},
        )
        for word in strategy.words_to_avoid or []
        if contains_word(folded, str(word))
    ]


def signature_hashtags(
    text: str, strategy: Strategy, workspace: Workspace, networks: Iterable[str] | None = None
) -> list[Remark]:
    """A post for a network the strategy chose that carries none of the signature hashtags.
    Without `networks`, the post is taken as going to the networks the strategy chose."""
    signature = [str(h).strip().lstrip("#") for h in strategy.signature_hashtags or []]
    signature = [h for h in signature if h]
    if not signature:
        return []
    chosen = set(
        NetworkChoice.objects.filter(workspace=workspace).values_list("network", flat=True)
    )
    targets = chosen if networks is None else chosen & set(networks)
    if not targets:
        return []
    carried = {fold(h) for h in hashtags(text)}
    if carried & {fold(h) for h in signature}:
        return []
    listed = ", ".join(f"#{h}" for h in signature)
    return [
        Remark(
            "signature",
            "info",
            listed,
            _("None of the signature hashtags (%(hashtags)s) is in this post.")
            % {"hashtags": listed},
        )
    ]


def themes(text: str, strategy: Strategy) -> list[Remark]:
    """Information: the text uses none of the line's themes and words to use."""
    wanted = [str(w) for w in [*(strategy.themes or []), *(strategy.words_to_use or [])]]
    wanted = [w for w in wanted if w.strip()]
    if not wanted:
        return []
    folded = fold(text)
    if any(contains_word(folded, w) for w in wanted):
        return []
    listed = ", ".join(wanted[:5])
    return [
        Remark(
            "themes",
            "info",
            listed,
            _("This text uses none of the editorial line's themes or words (%(words)s).")
            % {"words": listed},
        )
    ]


def check_reply(text: str, strategy: Strategy, language: str | None = None) -> list[Remark]:
    """What the inbox checks on a reply: the address form and the words to avoid."""
    return address_form(text, strategy, language) + words_to_avoid(text, strategy)


def check_post(
    workspace: Workspace,
    text: str,
    *,
    networks: Iterable[str] | None = None,
    language: str | None = None,
) -> list[Remark]:
    """What a post is checked against: everything the line says, warnings first."""
    strategy = Strategy.objects.filter(workspace=workspace).first()
    if strategy is None:
        return []
    return (
        check_reply(text, strategy, language)
        + signature_hashtags(text, strategy, workspace, networks)
        + themes(text, strategy)
    )

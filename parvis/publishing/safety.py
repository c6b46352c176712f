"""Brand safety and the editorial line, checked on every post before it can be scheduled.

`check_post(workspace, text)` returns findings, most serious first:

(a) the post's own hashtags and words against a maintained list of sensitive topics in
    French and English (`data/sensitive_topics.json`: elections, attacks, war, disasters,
    deaths, accidents, epidemics, violence…): a hashtag from the list is a "block", a word
    a "warn";
(b) each hashtag against what listening sees right now: the workspace's mentions of the last
    `WINDOW` that contain it. When they are mostly negative and/or speak of the list's
    topics, the hashtag rides on bad news (the furniture brand that tagged its sofas with
    the trending #Iran during an election): flagged with the shares and up to three
    examples;
(c) the editorial line (parvis/workspaces/editorial.py): address form, words to avoid
    ("warn"), signature hashtags and themes ("info").

Severity decides what publishing asks: "block" needs an explicit override with a reason
(recorded by the caller), "warn" is shown, "info" is shown quietly. Examples are mention
text as the network gave it: plain strings, auto-escaped wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from parvis.listening.topics import recent_mentions_with_term
from parvis.workspaces import editorial
from parvis.workspaces.editorial import HASHTAG, fold
from parvis.workspaces.models import Workspace

DATA = Path(__file__).resolve().parent / "data" / "sensitive_topics.json"

BLOCK, WARN, INFO = "block", "warn", "info"
SEVERITIES = (BLOCK, WARN, INFO)

WINDOW = dt.timedelta(hours=72)
SAMPLE = 200  # the newest mentions of a hashtag read per check
MIN_MENTIONS = 5  # fewer than this says nothing about a hashtag
NEGATIVE_SHARE = 0.5  # "dominated by negative sentiment"
SENSITIVE_SHARE = 0.3  # enough of its mentions speak of a sensitive topic
MOSTLY_SENSITIVE = 0.6
MAX_EXAMPLES = 3
EXCERPT = 160  # characters of an example
AS_WRITTEN_CHARS = 20_000  # past this, a word is shown folded (finding it costs a fold per word)
MAX_HASHTAGS = 15  # hashtags looked up in listening per post (a post has a few)

CATEGORIES = {
    "politics": gettext_lazy("elections and politics"),
    "unrest": gettext_lazy("protests and repression"),
    "terrorism": gettext_lazy("attacks and terrorism"),
    "war": gettext_lazy("war"),
    "disaster": gettext_lazy("disasters"),
    "death": gettext_lazy("deaths and mourning"),
    "accident": gettext_lazy("accidents"),
    "epidemic": gettext_lazy("epidemics"),
    "violence": gettext_lazy("violence against persons"),
    "suicide": gettext_lazy("suicide and self-harm"),
    "hate": gettext_lazy("hate and discrimination"),
}


@dataclass(frozen=True)
class Example:
    """A recent mention that shows why a hashtag was flagged."""

    excerpt: str
    published_at: dt.datetime
    network: str
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "excerpt": self.excerpt,
            "published_at": self.published_at.isoformat(),
            "network": self.network,
            "url": self.url,
        }


@dataclass
class Finding:
    """One thing to tell before a post is scheduled.

    `code`: sensitive_hashtag | sensitive_word | hashtag_context | address_form | avoid |
    signature | themes. `subject`: the hashtag or word concerned. `message`: why, translated.
    """

    code: str
    severity: str
    subject: str
    message: str
    examples: list[Example] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "examples": [e.as_dict() for e in self.examples],
        }


def needs_override(findings: Iterable[Finding]) -> bool:
    """Whether scheduling the post needs an explicit override with a reason."""
    return any(f.severity == BLOCK for f in findings)


# --- the list of sensitive topics ------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    id: str
    category: str
    why: dict[str, str]

    def reason(self) -> str:
        """The topic's why in the active language (French or English, from the data file)."""
        language = (get_language() or "en").split("-")[0]
        return self.why.get(language) or self.why.get("en") or ""

    def label(self) -> str:
        return str(CATEGORIES.get(self.category, self.category))


@dataclass(frozen=True)
class Lexicon:
    topics: dict[str, Topic]
    flagged: re.Pattern[str]  # terms flagged in the post itself
    anywhere: re.Pattern[str]  # those and the context words, read in mentions
    term_topic: dict[str, str]  # folded term -> topic id
    hashtags: dict[str, str]  # folded hashtag -> topic id
    prefixes: tuple[tuple[str, str], ...]  # (folded prefix, topic id)
    compound: tuple[tuple[str, str], ...]  # (long term without spaces, topic id)


def _pattern(terms: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so that « bilan des victimes » wins over « victimes »; the spaces of a
    # phrase match any run of spaces or dashes; a plural s / x / es is allowed.
    ordered = sorted(set(terms), key=len, reverse=True)
    alternatives = "|".join(re.escape(t).replace(r"\ ", r"[\s-]+") for t in ordered)
    return re.compile(rf"(?<!\w)({alternatives})(?:s|x|es)?(?!\w)")


@functools.cache
def lexicon() -> Lexicon:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    topics: dict[str, Topic] = {}
    term_topic: dict[str, str] = {}
    flagged: set[str] = set()
    hashtags: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    for entry in data["topics"]:
        topic = Topic(entry["id"], entry["category"], dict(entry["why"]))
        topics[topic.id] = topic
        for words, flag in ((entry["terms"], True), (entry.get("context", {}), False)):
            for word in (w for lang in words.values() for w in lang):
                # « couvre-feu » is also written « couvre feu »: dashes are spaces here.
                folded = " ".join(re.split(r"[\s-]+", fold(word).strip()))
                term_topic.setdefault(folded, topic.id)
                if flag:
                    flagged.add(folded)
        for tag in entry.get("hashtags", []):
            folded = fold(tag).lstrip("#")
            if folded.endswith("*"):
                prefixes.append((folded[:-1], topic.id))
            else:
                hashtags.setdefault(folded, topic.id)
    compound = tuple(
        (re.sub(r"[\s'-]", "", t), topic)
        for t, topic in term_topic.items()
        if t in flagged and len(re.sub(r"[\s'-]", "", t)) >= 7
    )
    return Lexicon(
        topics=topics,
        flagged=_pattern(flagged),
        anywhere=_pattern(term_topic),
        term_topic=term_topic,
        hashtags=hashtags,
        prefixes=tuple(prefixes),
        compound=compound,
    )


def _topic_of(lex: Lexicon, match: re.Match[str]) -> str:
    return lex.term_topic[" ".join(re.split(r"[\s-]+", match.group(1)))]


def hashtag_topic(tag: str) -> str | None:
    """The sensitive topic a hashtag belongs to, if any: listed whole or by prefix, or made
    of a listed term (« #IranElection », « #seismeturquie »)."""
    lex = lexicon()
    folded = fold(tag)
    if folded in lex.hashtags:
        return lex.hashtags[folded]
    for prefix, topic in lex.prefixes:
        if folded.startswith(prefix):
            return topic
    # CamelCase and digits tell the words apart: « IranElection2026 » → « iran election 2026 ».
    spaced = fold(re.sub(r"(?<=[a-z\d])(?=[A-Z])|(?<=\D)(?=\d)|(?<=\d)(?=\D)|_", " ", tag))
    if match := lex.flagged.search(spaced):
        return _topic_of(lex, match)
    for term, topic in lex.compound:
        if term in folded:
            return topic
    return None


def topics_in(folded_text: str, *, context: bool = True) -> dict[str, str]:
    """Sensitive terms found in folded text → their topic (context words too by default)."""
    lex = lexicon()
    pattern = lex.anywhere if context else lex.flagged
    return {m.group(0): _topic_of(lex, m) for m in pattern.finditer(folded_text)}


# --- the checks --------------------------------------------------------------------------------


def clean(text: str) -> str:
    """The text as a database and a page can take it: a lone surrogate becomes U+FFFD, NUL
    and other control characters (but line breaks and tabs) go."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


def check_post(
    workspace: Workspace,
    text: str,
    now: dt.datetime | None = None,
    *,
    networks: Iterable[str] | None = None,
    language: str | None = None,
) -> list[Finding]:
    """Every finding on a post's text, "block" first. `networks`: where it will go (the
    signature-hashtag check reads them; None: the networks the strategy chose); `language`:
    the post's, when known (the address form is checked in French texts only)."""
    text = clean(text or "")
    now = now or timezone.now()
    tags = editorial.hashtags(text)
    findings = sensitive_hashtags(tags)
    findings += sensitive_words(text)
    findings = _merge(findings, hashtag_context(workspace, tags[:MAX_HASHTAGS], now))
    findings += [
        Finding(r.code, r.level, r.subject, r.message)
        for r in editorial.check_post(workspace, text, networks=networks, language=language)
    ]
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def sensitive_hashtags(tags: Iterable[str]) -> list[Finding]:
    lex = lexicon()
    findings = []
    for tag in tags:
        if (topic_id := hashtag_topic(tag)) is None:
            continue
        topic = lex.topics[topic_id]
        findings.append(
            Finding(
                "sensitive_hashtag",
                BLOCK,
                f"#{tag}",
                _("« #%(tag)s » is a hashtag about %(category)s: %(why)s")
                % {"tag": tag, "category": topic.label(), "why": topic.reason()},
            )
        )
    return findings


def sensitive_words(text: str) -> list[Finding]:
    """Words of the list in the post's text, hashtags aside (they have their own check)."""
    lex = lexicon()
    prose = HASHTAG.sub(" ", text)
    findings = []
    found = topics_in(fold(prose), context=False)
    tokens = _tokens(prose) if found and len(prose) <= AS_WRITTEN_CHARS else []
    for term, topic_id in found.items():
        topic = lex.topics[topic_id]
        word = _as_written(prose, tokens, term)
        findings.append(
            Finding(
                "sensitive_word",
                WARN,
                word,
                _("« %(word)s » is about %(category)s: %(why)s")
                % {"word": word, "category": topic.label(), "why": topic.reason()},
            )
        )
    return findings


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(fold(m.group()), m.start(), m.end()) for m in editorial.WORDS.finditer(text)]


def _as_written(text: str, tokens: list[tuple[str, int, int]], folded: str) -> str:
    """The words of `text` that fold to `folded` (« ÉLECTORALE » for « electorale »)."""
    wanted = editorial.WORDS.findall(folded)
    for i in range(len(tokens) - len(wanted) + 1):
        if all(tokens[i + k][0] == w for k, w in enumerate(wanted)):
            return text[tokens[i][1] : tokens[i + len(wanted) - 1][2]]
    return folded


def hashtag_context(workspace: Workspace, tags: Iterable[str], now: dt.datetime) -> list[Finding]:
    """(b): each hashtag against the workspace's mentions of the last WINDOW holding it."""
    findings = []
    for tag in tags:
        mentions = recent_mentions_with_term(
            workspace.pk, tag, now - WINDOW, until=now, limit=SAMPLE
        )
        if len(mentions) < MIN_MENTIONS:
            continue
        negative = [m for m in mentions if m.sentiment == "negative"]
        sensitive = {}
        for m in mentions:
            if found := topics_in(fold(f"{m.title}\n{m.text}")):
                sensitive[m.pk] = found
        n = len(mentions)
        negative_share, sensitive_share = len(negative) / n, len(sensitive) / n
        dark = negative_share >= NEGATIVE_SHARE
        tragic = sensitive_share >= SENSITIVE_SHARE
        if not (dark or tragic):
            continue
        severity = BLOCK if (dark and tragic) or sensitive_share >= MOSTLY_SENSITIVE else WARN
        findings.append(
            Finding(
                "hashtag_context",
                severity,
                f"#{tag}",
                _context_message(tag, n, negative_share, sensitive, sensitive_share),
                _examples(mentions, sensitive, tag),
            )
        )
    return findings


def _context_message(
    tag: str, count: int, negative: float, sensitive: dict[int, dict[str, str]], share: float
) -> str:
    lex = lexicon()
    # The topics its mentions speak of, commonest first.
    tally: dict[str, int] = {}
    for found in sensitive.values():
        for topic_id in set(found.values()):
            tally[topic_id] = tally.get(topic_id, 0) + 1
    ranked = sorted(tally, key=lambda t: -tally[t])
    values = {
        "tag": tag,
        "count": count,
        "hours": int(WINDOW.total_seconds() // 3600),
        "negative": round(100 * negative),
        "sensitive": round(100 * share),
    }
    if not ranked:
        return (
            _(
                "« #%(tag)s » is carried by bad news right now: of its %(count)s mentions in "
                "the last %(hours)s hours, %(negative)s%% are negative."
            )
            % values
        )
    top = lex.topics[ranked[0]]
    labels = ", ".join(dict.fromkeys(lex.topics[t].label() for t in ranked[:3]))
    return _(
        "« #%(tag)s » is carried by bad news right now: of its %(count)s mentions in the "
        "last %(hours)s hours, %(negative)s%% are negative and %(sensitive)s%% speak of "
        "%(topics)s. A brand post under this hashtag would sit among them: %(why)s"
    ) % {**values, "topics": labels, "why": top.reason()}


def _examples(mentions: list[Any], sensitive: dict[int, dict[str, str]], tag: str) -> list[Example]:
    """Up to MAX_EXAMPLES, those that speak of a sensitive topic and are negative first,
    newest first within each (mentions come newest first)."""
    ranked = sorted(mentions, key=lambda m: (m.pk not in sensitive, m.sentiment != "negative"))
    return [
        Example(
            excerpt=excerpt(clean(f"{m.title} {m.text}".strip()), tag),
            published_at=m.published_at,
            network=m.network,
            url=m.url if m.url.startswith(("https://", "http://")) else "",
        )
        for m in ranked[:MAX_EXAMPLES]
    ]


def excerpt(text: str, around: str, size: int = EXCERPT) -> str:
    """At most `size` characters of `text` on one line, around the first `around`."""
    flat = " ".join(text.split())
    if len(flat) <= size:
        return flat
    found = re.search(re.escape(around), flat, re.IGNORECASE) if around else None
    start = max(0, min(found.start() - size // 3, len(flat) - size)) if found else 0
    cut = flat[start : start + size - 2]
    return ("…" if start else "") + cut + ("…" if start + size - 2 < len(flat) else "")


def _merge(own: list[Finding], context: list[Finding]) -> list[Finding]:
    """A hashtag already blocked for its own sake takes the examples of what listening sees,
    rather than a second finding about the same hashtag."""
    by_subject = {fold(f.subject): f for f in own if f.code == "sensitive_hashtag"}
    merged = list(own)
    for finding in context:
        if (same := by_subject.get(fold(finding.subject))) is not None:
            same.examples = finding.examples
            same.message = f"{same.message} {finding.message}"
        else:
            merged.append(finding)
    return merged

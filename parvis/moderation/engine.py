"""The rules engine: plain data in, a decision out, no database.

A rule holds conditions (all must hold) and actions. Each condition kind is a small class that
checks its settings (`validate`) and tells, for an item, whether it holds, holds in the
uncertain band (a score between a rule's review and action thresholds: the item goes to the
review queue), or does not hold. `evaluate` tries the rules in order: the first that matches
decides, unless it says « continue ».
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

SCORES = ("toxicity", "insult", "obscene", "hate", "threat", "spam")
ITEM_TYPES = ("comment", "reply", "mention", "private")
CONTAINS = ("link", "email", "phone", "only_emoji")
AUTHOR_TESTS = ("new", "on_list", "followers_below")
ACTION_KINDS = ("hide", "delete", "review", "assign", "tag", "escalate", "reply", "list_author")
MAX_WORDS = 500
MAX_WORD_LENGTH = 200  # characters in one word or phrase


class RuleError(ValueError):
    """A rule that cannot be used, with what is wrong in plain words."""


class Verdict(Enum):
    NO = 0
    REVIEW = 1  # holds in the uncertain band
    YES = 2


@dataclass(frozen=True)
class Item:
    """What the engine knows of a comment."""

    text: str
    network: str = ""
    lang: str = ""
    kind: str = "comment"
    author_handle: str = ""
    author_followers: int | None = None
    # When Parvis first saw the author, and how many of their posts it has: « new » authors.
    author_first_seen: dt.datetime | None = None
    author_posts: int | None = None
    author_lists: frozenset[str] = frozenset()
    account_id: int | None = None
    query_ids: frozenset[int] = frozenset()
    scores: dict[str, float] = field(default_factory=dict)
    why: tuple[str, ...] = ()
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Context:
    """What conditions read of the workspace: the strategy's words to avoid."""

    words_to_avoid: tuple[str, ...] = ()


def fold(text: str) -> str:
    """Case and accents folded, so « CONNARD », « connard » and « cônnard » are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    # A phone types a typographic apostrophe (U+2019), a keyboard a straight one: one for the lists.
    return folded.replace("\u2019", "'").replace("\u02bc", "'")


# Domain endings spam and scam links use most, besides the addresses written with http(s)://
# or www. (a list, not any two letters: « ok.merci » is not a link).
TLDS = (
    "com|fr|net|org|io|co|ly|me|xyz|info|biz|shop|site|link|app|be|ch|eu|top|click|store|"
    "online|vip|ru|cn|club|live|pro|tk|ml|ga|cf|gq|icu|buzz|sbs|cfd|cc|tv|ws|gg|to|es|it|de|"
    "uk|nl|pl|pt|ca|us|in|br|cam|rest|bond|win|bid|loan|work|today|fun|space|website|page"
)
LINK = re.compile(rf"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]{{2,}}\.(?:{TLDS})(?:/\S*)?\b")
# Not a Mastodon handle (@user@instance.social): the address does not follow an « @ ».
EMAIL = re.compile(r"(?i)(?<![@\w.%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b")
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78) and other international
# ones: 9 digits or more in a row of digits, spaces, dots and dashes.
PHONE = re.compile(r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{1,4}\)?[\s.-]?){3,6}\d{2,4}(?![\w])")


def has_phone(text: str) -> bool:
    for match in PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group(0))
        if 9 <= digits <= 15:
            return True
    return False


def only_emoji(text: str) -> bool:
    stripped = "".join(text.split())
    if not stripped:
        return False
    return not any(c.isalnum() for c in stripped) and any(
        unicodedata.category(c) in ("So", "Sk") for c in stripped
    )


# --- conditions -----------------------------------------------------------------------------


class Condition:
    kind: ClassVar[str]

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.negate = bool(config.get("not", False))

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {"kind": cls.kind, "not": bool(config.get("not", False))}

    def test(self, item: Item, context: Context) -> Verdict:
        raise NotImplementedError

    def check(self, item: Item, context: Context) -> Verdict:
        verdict = self.test(item, context)
        if not self.negate:
            return verdict
        # « not » of an uncertain band is uncertain too; otherwise plain negation.
        return {Verdict.YES: Verdict.NO, Verdict.NO: Verdict.YES}.get(verdict, Verdict.REVIEW)


CONDITIONS: dict[str, type[Condition]] = {}


def condition(cls: type[Condition]) -> type[Condition]:
    CONDITIONS[cls.kind] = cls
    return cls


def number(config: dict[str, Any], name: str, low: float, high: float) -> float:
    try:
        value = float(config[name])
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: a huge integer
        raise RuleError(f"{name} must be a number between {low} and {high}") from None
    if not low <= value <= high:
        raise RuleError(f"{name} must be a number between {low} and {high}")
    return value


def choices(config: dict[str, Any], name: str, allowed: Sequence[str] | None = None) -> list[str]:
    raw = config.get(name)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise RuleError(f"{name} must be a list of values")
    values = [v.strip() for v in raw if v.strip()]
    if allowed is not None and (bad := [v for v in values if v not in allowed]):
        raise RuleError(f"{name}: unknown value {bad[0]!r} (one of {', '.join(allowed)})")
    return values


@condition
class Score(Condition):
    """A score of the local text analysis at or above `min`; between `review_min` and `min`
    the item goes to review."""

    kind = "score"

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        name = config.get("name")
        if name not in SCORES:
            raise RuleError(f"score: name is one of {', '.join(SCORES)}")
        clean = {**super().validate(config), "name": name, "min": number(config, "min", 0, 1)}
        if config.get("review_min") not in (None, ""):
            clean["review_min"] = number(config, "review_min", 0, 1)
            if clean["review_min"] >= clean["min"]:
                raise RuleError("score: review_min must be below min")
        return clean

    def test(self, item: Item, context: Context) -> Verdict:
        value = item.scores.get(self.config["name"], 0.0)
        if value >= self.config["min"]:
            return Verdict.YES
        review = self.config.get("review_min")
        if review is not None and value >= review:
            return Verdict.REVIEW
        return Verdict.NO


def phrase_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    folded = sorted({fold(w).strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not folded:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in folded)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@condition
class Words(Condition):
    """Words or phrases, whole words only, case and accents folded; optionally the
    strategy's words to avoid too."""

    kind = "words"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.pattern = phrase_pattern(config.get("words") or [])

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        words = config.get("words") or []
        if isinstance(words, str):
            words = [w for w in re.split(r"[,\n]", words)]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise RuleError("words: a list of words or phrases")
        words = [" ".join(w.split()) for w in words if w.strip()]
        avoid = bool(config.get("avoid_list", False))
        if not words and not avoid:
            raise RuleError("words: give at least one word, or use the words to avoid")
        if len(words) > MAX_WORDS:
            raise RuleError(f"words: {MAX_WORDS} at most")
        if any(len(w) > MAX_WORD_LENGTH for w in words):
            raise RuleError(f"words: {MAX_WORD_LENGTH} characters at most each")
        return {**super().validate(config), "words": words, "avoid_list": avoid}

    def test(self, item: Item, context: Context) -> Verdict:
        text = fold(item.text)
        if self.pattern is not None and self.pattern.search(text):
            return Verdict.YES
        if self.config.get("avoid_list"):
            avoid = phrase_pattern(context.words_to_avoid)
            if avoid is not None and avoid.search(text):
                return Verdict.YES
        return Verdict.NO

    def matched_words(self, item: Item) -> list[str]:
        return [m.group(0) for m in self.pattern.finditer(fold(item.text))] if self.pattern else []


@condition
class Contains(Condition):
    kind = "contains"

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        what = config.get("what")
        if what not in CONTAINS:
            raise RuleError(f"contains: what is one of {', '.join(CONTAINS)}")
        return {**super().validate(config), "what": what}

    def test(self, item: Item, context: Context) -> Verdict:
        what = self.config["what"]
        text = item.text
        found = {
            "link": lambda: bool(LINK.search(text)),
            "email": lambda: bool(EMAIL.search(text)),
            "phone": lambda: has_phone(text),
            "only_emoji": lambda: only_emoji(text),
        }[what]()
        return Verdict.YES if found else Verdict.NO


@condition
class Author(Condition):
    """new: first seen by Parvis less than `days` ago with few posts; on_list: on the named
    author list; followers_below: fewer than `value` followers (unknown counts as 0)."""

    kind = "author"

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        what = config.get("what")
        if what not in AUTHOR_TESTS:
            raise RuleError(f"author: what is one of {', '.join(AUTHOR_TESTS)}")
        clean: dict[str, Any] = {**super().validate(config), "what": what}
        if what == "on_list":
            name = str(config.get("list") or "").strip()
            if not name:
                raise RuleError("author: name the list")
            clean["list"] = name
        elif what == "followers_below":
            clean["value"] = int(number(config, "value", 0, 10**12))
        else:
            clean["days"] = int(number({"days": config.get("days", 7)}, "days", 1, 3650))
        return clean

    def test(self, item: Item, context: Context) -> Verdict:
        what = self.config["what"]
        if what == "on_list":
            return Verdict.YES if self.config["list"] in item.author_lists else Verdict.NO
        if what == "followers_below":
            few_followers = (item.author_followers or 0) < self.config["value"]
            return Verdict.YES if few_followers else Verdict.NO
        first, now = item.author_first_seen, item.at or dt.datetime.now(dt.UTC)
        recent = first is None or now - first < dt.timedelta(days=self.config["days"])
        few = item.author_posts is None or item.author_posts <= 2
        return Verdict.YES if recent and few else Verdict.NO


class InList(Condition):
    """The item's `attribute` is one of `values`."""

    attribute: ClassVar[str]
    allowed: ClassVar[Sequence[str] | None] = None

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {**super().validate(config), "in": choices(config, "in", cls.allowed)}

    def test(self, item: Item, context: Context) -> Verdict:
        value = getattr(item, self.attribute)
        return Verdict.YES if str(value) in self.config["in"] else Verdict.NO


@condition
class Network(InList):
    kind = "network"
    attribute = "network"


@condition
class Account(InList):
    """The connected account the item was addressed to (ids)."""

    kind = "account"
    attribute = "account_id"


@condition
class ItemType(InList):
    kind = "item_type"
    attribute = "kind"
    allowed = ITEM_TYPES


@condition
class Language(InList):
    kind = "lang"
    attribute = "lang"


@condition
class Query(Condition):
    """Matched by the monitored query `id`."""

    kind = "query"

    @classmethod
    def validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        try:
            query_id = int(config.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise RuleError("query: the id of a monitored query") from None
        return {**super().validate(config), "id": query_id}

    def test(self, item: Item, context: Context) -> Verdict:
        return Verdict.YES if self.config["id"] in item.query_ids else Verdict.NO


# --- rules ----------------------------------------------------------------------------------


def validate_conditions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise RuleError("a rule needs at least one condition")
    if len(raw) > 20:
        raise RuleError("20 conditions at most")
    clean = []
    for config in raw:
        if not isinstance(config, dict) or config.get("kind") not in CONDITIONS:
            kinds = ", ".join(sorted(CONDITIONS))
            raise RuleError(f"a condition's kind is one of {kinds}")
        clean.append(CONDITIONS[config["kind"]].validate(config))
    return clean


def validate_actions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise RuleError("a rule needs at least one action")
    clean = []
    for config in raw:
        kind = config.get("kind") if isinstance(config, dict) else None
        if kind not in ACTION_KINDS:
            raise RuleError(f"an action's kind is one of {', '.join(ACTION_KINDS)}")
        action: dict[str, Any] = {"kind": kind}
        if kind == "assign":
            action["username"] = str(config.get("username") or "").strip()
            if not action["username"]:
                raise RuleError("assign: whom to")
        elif kind == "tag":
            action["name"] = " ".join(str(config.get("name") or "").split())[:60]
            if not action["name"]:
                raise RuleError("tag: which tag")
        elif kind == "escalate":
            action["role"] = str(config.get("role") or "").strip()
        elif kind == "reply":
            try:
                action["saved_reply"] = int(config.get("saved_reply"))
            except (TypeError, ValueError, OverflowError):
                raise RuleError("reply: which saved reply") from None
        elif kind == "list_author":
            action["list"] = str(config.get("list") or "").strip()
            if not action["list"]:
                raise RuleError("list_author: which list")
        clean.append(action)
    kinds = [a["kind"] for a in clean]
    if "hide" in kinds and "delete" in kinds:
        raise RuleError("hide or delete, not both")
    return clean


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine sees it (from the database, the default set, or a test)."""

    name: str
    conditions: Sequence[dict[str, Any]]
    actions: Sequence[dict[str, Any]]
    reason: str
    continue_after: bool = False
    id: int | None = None


@dataclass
class Outcome:
    rule: RuleSpec
    review: bool  # uncertain: to the review queue instead of the rule's actions
    words: list[str]


@dataclass
class Decision:
    outcomes: list[Outcome]

    @property
    def summary(self) -> str:
        """keep | hide | delete | review | escalate: what happens to the item, in one word."""
        kinds: set[str] = set()
        for outcome in self.outcomes:
            if outcome.review:
                kinds.add("review")
            else:
                kinds |= {a["kind"] for a in outcome.rule.actions}
        for word in ("delete", "hide", "escalate", "review"):
            if word in kinds:
                return word
        return "keep"

    @property
    def first(self) -> Outcome | None:
        return self.outcomes[0] if self.outcomes else None


def compile_rule(spec: RuleSpec) -> list[Condition]:
    return [CONDITIONS[c["kind"]](c) for c in spec.conditions]


def evaluate(
    rules: Sequence[RuleSpec],
    item: Item,
    context: Context | None = None,
    compiled: Callable[[RuleSpec], list[Condition]] = compile_rule,
) -> Decision:
    context = context or Context()
    outcomes = []
    for spec in rules:
        verdicts = []
        conditions = compiled(spec)
        for cond in conditions:
            verdict = cond.check(item, context)
            if verdict is Verdict.NO:
                break
            verdicts.append(verdict)
        else:
            words = [w for c in conditions if isinstance(c, Words) for w in c.matched_words(item)]
            outcomes.append(Outcome(spec, Verdict.REVIEW in verdicts, words or list(item.why)))
            if not spec.continue_after:
                break
    return Decision(outcomes)


class Compiled:
    """Conditions compiled once per rule (word patterns) for many items."""

    def __init__(self) -> None:
        self.cache: dict[int, list[Condition]] = {}

    def __call__(self, spec: RuleSpec) -> list[Condition]:
        key = id(spec)
        if key not in self.cache:
            self.cache[key] = compile_rule(spec)
        return self.cache[key]

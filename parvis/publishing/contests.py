"""Contests (« concours photo »): a post's replies as entries, the rules, a verifiable draw.

Pure Python, no Django and no models: entries and rules come in as dataclasses, the result
goes out as dataclasses, CSV and JSON.

Eligibility (`eligible`) applies the rules to each entry in this order and keeps the first
reason that rejects it: excluded account, late, missing hashtag, following not checked or
not following. Then, with one entry per person, a person's earliest entry that passed every
other rule counts (by `posted_at`, then `entry_id`); their later ones are rejected as
duplicates. A person is their `author_id` (handles change).

The draw (`draw`), algorithm ``parvis-draw-v1``, is exactly:

1. The seed is a text chosen at random before the draw (`new_seed`); its commitment is the
   lowercase hex SHA-256 of its UTF-8 bytes (`commit`), published before the entries close.
2. The canonical list is the eligible entries' `entry_id`s sorted by Unicode code point
   (the order of their UTF-8 bytes), whatever order they came in; ids must be unique.
   Its digest is the hex SHA-256 of the ids joined by "\\n" (UTF-8).
3. A counter starts at 0. To draw one entry out of the n left: block =
   HMAC-SHA256(key = seed's UTF-8 bytes, message = the counter as 8 bytes, big-endian);
   the counter goes up by 1; x = the block read as a big-endian unsigned 256-bit integer.
   If x >= 2**256 - (2**256 mod n), the block is thrown away and another is made (rejection
   sampling: every index is exactly equally likely); else the index is x mod n. The entry
   at that index in the list of those left is drawn and taken out of the list.
4. The first `winners` entries drawn are the winners in order, the next `reserves` the
   reserves in order (fewer when there are fewer entries).

Anyone with the seed and the list of ids can run it again (`verify`, `parvis contest-draw
--verify`) and must get the same winners.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import itertools
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parvis.listening.text import analyse, fold
from parvis.publishing.reasons import Reason, gettext_noop

__all__ = [
    "ALGORITHM",
    "Draw",
    "DrawError",
    "Eligibility",
    "Entry",
    "Rejection",
    "Rules",
    "canonical_ids",
    "commit",
    "draw",
    "eligible",
    "entries_digest",
    "export_csv",
    "export_json",
    "new_seed",
    "normalize_handle",
    "normalize_hashtag",
    "verify",
]

ALGORITHM = "parvis-draw-v1"
MAX_SEED_CHARS = 1000
# A draw of more people than this is a typo, not a contest.
MAX_DRAWN = 10_000


class DrawError(ValueError):
    """A draw that cannot be made as asked (bad seed, duplicate ids, bad counts)."""


@dataclass(frozen=True)
class Entry:
    entry_id: str
    author_id: str
    author_handle: str
    text: str
    posted_at: datetime
    # None: the network did not say (or could not be asked) whether the author follows.
    follows: bool | None = None
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    one_entry_per_person: bool = True
    required_hashtag: str = ""
    must_follow: bool = False
    excluded_handles: frozenset[str] = frozenset()
    closes_at: datetime | None = None
    winners: int = 1
    reserves: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "one_entry_per_person": self.one_entry_per_person,
            "required_hashtag": self.required_hashtag,
            "must_follow": self.must_follow,
            "excluded_handles": sorted(self.excluded_handles),
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "winners": self.winners,
            "reserves": self.reserves,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rules:
        """The rules as `as_dict` wrote them; raises ValueError on anything else."""
        closes = data.get("closes_at")
        closes_at = _aware(datetime.fromisoformat(closes), "closes_at") if closes else None
        excluded = data.get("excluded_handles") or []
        if not isinstance(excluded, list) or not all(isinstance(h, str) for h in excluded):
            raise ValueError("excluded_handles must be a list of texts")
        flags = {
            k: data.get(k, d) for k, d in (("one_entry_per_person", True), ("must_follow", False))
        }
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ValueError("one_entry_per_person and must_follow must be true or false")
        counts = {k: data.get(k, d) for k, d in (("winners", 1), ("reserves", 0))}
        if not all(type(v) is int for v in counts.values()):
            raise ValueError("winners and reserves must be whole numbers")
        tag = data.get("required_hashtag") or ""
        if not isinstance(tag, str):
            raise ValueError("required_hashtag must be a text")
        return cls(
            one_entry_per_person=flags["one_entry_per_person"],
            required_hashtag=tag,
            must_follow=flags["must_follow"],
            excluded_handles=frozenset(excluded),
            closes_at=closes_at,
            winners=counts["winners"],
            reserves=counts["reserves"],
        )


@dataclass(frozen=True)
class Rejection:
    entry: Entry
    reason: Reason


@dataclass(frozen=True)
class Eligibility:
    kept: tuple[Entry, ...]
    rejected: tuple[Rejection, ...]

    def __iter__(self) -> Iterator[Any]:
        """`kept, rejected = eligible(entries, rules)` reads as well."""
        return iter((self.kept, self.rejected))


@dataclass(frozen=True)
class Draw:
    algorithm: str
    seed: str
    commitment: str
    entry_ids: tuple[str, ...]  # the canonical list
    entries_digest: str
    winners: tuple[str, ...]
    reserves: tuple[str, ...]
    rules: Rules | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "commitment": self.commitment,
            "entries_digest": self.entries_digest,
            "entry_count": len(self.entry_ids),
            "winners": list(self.winners),
            "reserves": list(self.reserves),
            "entry_ids": list(self.entry_ids),
        }
        if self.rules is not None:
            record["rules"] = self.rules.as_dict()
        return record


# --- eligibility ------------------------------------------------------------------------------

REASONS = {
    "excluded": gettext_noop("Excluded account (%(handle)s)."),
    "late": gettext_noop("Posted after the contest closed."),
    "missing_hashtag": gettext_noop("The hashtag %(hashtag)s is missing."),
    "follow_unknown": gettext_noop(
        "Following the account is required and could not be checked for this person."
    ),
    "not_following": gettext_noop("Does not follow the account, which is required."),
    "duplicate": gettext_noop("One entry per person: an earlier entry (%(first)s) counts."),
}


def normalize_hashtag(tag: str) -> str:
    """'#Concours_Été' -> 'concours_ete': without '#', case and accents folded."""
    return fold(tag.strip().lstrip("#\uff03"))


def normalize_handle(handle: str) -> str:
    """'@Alice@Mastodon.social' -> 'alice@mastodon.social'."""
    return fold(handle.strip().lstrip("@\uff20"))


def entry_hashtags(entry: Entry) -> set[str]:
    """The entry's hashtags, given by the network or written in its text, normalized."""
    tags = {normalize_hashtag(t) for t in entry.hashtags}
    tags.update(analyse(fold(entry.text)).hashtags)
    tags.discard("")
    return tags


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} has no time zone")
    return moment


def _reason(code: str, **params: Any) -> Reason:
    return Reason(code, REASONS[code], params)


def _first_rule_broken(entry: Entry, rules: Rules, excluded: set[str], tag: str) -> Reason | None:
    if (
        normalize_handle(entry.author_handle) in excluded
        or normalize_handle(entry.author_id) in excluded
    ):
        return _reason("excluded", handle=entry.author_handle)
    if rules.closes_at is not None and entry.posted_at >= rules.closes_at:
        return _reason("late")
    if tag and tag not in entry_hashtags(entry):
        return _reason(
            "missing_hashtag", hashtag="#" + rules.required_hashtag.strip().lstrip("#\uff03")
        )
    if rules.must_follow:
        if entry.follows is None:
            return _reason("follow_unknown")
        if not entry.follows:
            return _reason("not_following")
    return None


def eligible(entries: Iterable[Entry], rules: Rules) -> Eligibility:
    """The entries that the rules keep, and the others each with the reason.

    Both lists are in chronological order (`posted_at`, then `entry_id`), whatever the order
    of `entries`. Raises ValueError on a date without a time zone (it cannot be compared
    with the closing time honestly).
    """
    if rules.closes_at is not None:
        _aware(rules.closes_at, "closes_at")
    ordered = sorted(entries, key=lambda e: (_aware(e.posted_at, "posted_at"), e.entry_id))
    excluded = {normalize_handle(h) for h in rules.excluded_handles} - {""}
    tag = normalize_hashtag(rules.required_hashtag)
    kept: list[Entry] = []
    rejected: list[Rejection] = []
    first_of: dict[str, Entry] = {}
    for entry in ordered:
        reason = _first_rule_broken(entry, rules, excluded, tag)
        if reason is None and rules.one_entry_per_person:
            first = first_of.get(entry.author_id)
            if first is not None:
                reason = _reason("duplicate", first=first.entry_id)
            else:
                first_of[entry.author_id] = entry
        if reason is None:
            kept.append(entry)
        else:
            rejected.append(Rejection(entry, reason))
    return Eligibility(tuple(kept), tuple(rejected))


# --- the draw ---------------------------------------------------------------------------------


def new_seed() -> str:
    """A seed nobody can guess: 32 random bytes from the system, in hex."""
    return secrets.token_hex(32)


def _check_seed(seed: str) -> bytes:
    if not isinstance(seed, str):
        raise DrawError("the seed is not a text")
    if not seed:
        raise DrawError("the seed is empty")
    if len(seed) > MAX_SEED_CHARS:
        raise DrawError(f"the seed is longer than {MAX_SEED_CHARS} characters")
    try:
        return seed.encode("utf-8")
    except UnicodeEncodeError:
        raise DrawError("the seed is not valid text (a lone surrogate)") from None


def commit(seed: str) -> str:
    """The commitment published before the draw: hex SHA-256 of the seed's UTF-8 bytes."""
    return hashlib.sha256(_check_seed(seed)).hexdigest()


def canonical_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """The ids in the draw's order; raises DrawError on a duplicate or an unencodable id."""
    ordered = sorted(ids)
    for previous, current in itertools.pairwise(ordered):
        if previous == current:
            raise DrawError(f"entry id {current[:80]!r} appears twice")
    for entry_id in ordered:
        if not isinstance(entry_id, str) or not entry_id:
            raise DrawError("an entry id is empty")
        try:
            entry_id.encode("utf-8")
        except UnicodeEncodeError:
            raise DrawError(f"entry id {entry_id[:80]!r} is not valid text") from None
    return tuple(ordered)


def entries_digest(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


_SPACE = 2**256


def _indices(key: bytes, sizes: Iterable[int]) -> list[int]:
    """One uniform index in range(n) for each n of `sizes`, from HMAC-SHA256(key, counter)."""
    counter = 0
    chosen = []
    for n in sizes:
        limit = _SPACE - _SPACE % n
        while True:
            block = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
            x = int.from_bytes(block, "big")
            if x < limit:
                chosen.append(x % n)
                break
    return chosen


def draw(
    eligible_entries: Iterable[Entry] | Iterable[str],
    seed: str,
    winners: int,
    reserves: int = 0,
    rules: Rules | None = None,
) -> Draw:
    """Draw `winners` then `reserves` entries out of the eligible ones (entries or their
    ids), deterministically from `seed` (see the module's documentation)."""
    key = _check_seed(seed)
    if type(winners) is not int or type(reserves) is not int or winners < 0 or reserves < 0:
        raise DrawError("winners and reserves must be whole numbers, 0 or more")
    if winners + reserves > MAX_DRAWN:
        raise DrawError(f"more than {MAX_DRAWN} people to draw")
    ids = canonical_ids(e.entry_id if isinstance(e, Entry) else e for e in eligible_entries)
    left = list(ids)
    count = min(winners + reserves, len(left))
    drawn = [left.pop(i) for i in _indices(key, range(len(left), len(left) - count, -1))]
    return Draw(
        algorithm=ALGORITHM,
        seed=seed,
        commitment=commit(seed),
        entry_ids=ids,
        entries_digest=entries_digest(ids),
        winners=tuple(drawn[:winners]),
        reserves=tuple(drawn[winners:]),
        rules=rules,
    )


def verify(record: Draw | Mapping[str, Any]) -> bool:
    """Whether a draw record is what its seed and list of entries give: the seed matches
    the commitment, the digest matches the list, and drawing again gives the same winners
    and reserves in the same order. A malformed record is False, never an exception."""
    try:
        data = record.as_dict() if isinstance(record, Draw) else dict(record)
        if data.get("algorithm") != ALGORITHM:
            return False
        seed, ids = data["seed"], data["entry_ids"]
        winners, reserves = data["winners"], data["reserves"]
        if not (isinstance(ids, list) and isinstance(winners, list) and isinstance(reserves, list)):
            return False
        if not all(isinstance(i, str) for i in [*ids, *winners, *reserves]):
            return False
        if commit(seed) != data["commitment"]:
            return False
        canonical = canonical_ids(ids)
        if list(canonical) != ids or entries_digest(canonical) != data["entries_digest"]:
            return False
        # With the rules in the record, the counts asked are known: a record cannot turn the
        # second winner into a first reserve. Without them, what was drawn must be what
        # asking for that many gives.
        asked = (len(winners), len(reserves))
        if data.get("rules") is not None:
            rules = Rules.from_dict(data["rules"])
            asked = (rules.winners, rules.reserves)
        again = draw(canonical, seed, *asked)
        return again.winners == tuple(winners) and again.reserves == tuple(reserves)
    except (DrawError, KeyError, TypeError, ValueError, AttributeError):
        return False


# --- export -----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(value: str) -> str:
    """Text that any UTF-8 writer takes: lone surrogates become U+FFFD, NUL goes."""
    return _SURROGATES.sub("\ufffd", value).replace("\x00", "")


def csv_cell(value: Any) -> str:
    """A cell that a spreadsheet shows as text: one starting like a formula gets a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = clean(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_COLUMNS = [
    "entry_id",
    "author_id",
    "author_handle",
    "posted_at",
    "follows",
    "hashtags",
    "text",
    "eligible",
    "reason_code",
    "reason",
    "result",
]


def _results(result: Draw | None) -> dict[str, str]:
    if result is None:
        return {}
    places = {eid: f"winner {n}" for n, eid in enumerate(result.winners, 1)}
    places.update({eid: f"reserve {n}" for n, eid in enumerate(result.reserves, 1)})
    return places


def _entry_rows(verdict: Eligibility) -> list[tuple[Entry, Reason | None]]:
    rows: list[tuple[Entry, Reason | None]] = [(e, None) for e in verdict.kept]
    rows += [(r.entry, r.reason) for r in verdict.rejected]
    rows.sort(key=lambda row: (row[0].posted_at, row[0].entry_id))
    return rows


def export_csv(verdict: Eligibility, result: Draw | None = None) -> str:
    """Every entry with its eligibility, reason and place in the draw, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    places = _results(result)
    for entry, reason in _entry_rows(verdict):
        follows = "" if entry.follows is None else entry.follows
        row = [
            entry.entry_id,
            entry.author_id,
            entry.author_handle,
            entry.posted_at.isoformat(),
            follows,
            " ".join(entry.hashtags),
            entry.text,
            reason is None,
            reason.code if reason else "",
            reason.text() if reason else "",
            places.get(entry.entry_id, ""),
        ]
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def export_json(verdict: Eligibility, result: Draw | None = None) -> str:
    """The entries with their eligibility and the draw record, as JSON (UTF-8 clean)."""
    places = _results(result)
    entries = [
        {
            "entry_id": clean(entry.entry_id),
            "author_id": clean(entry.author_id),
            "author_handle": clean(entry.author_handle),
            "posted_at": entry.posted_at.isoformat(),
            "follows": entry.follows,
            "hashtags": [clean(t) for t in entry.hashtags],
            "text": clean(entry.text),
            "eligible": reason is None,
            "reason": None
            if reason is None
            else {
                **reason.as_dict(),
                "params": {k: clean(str(v)) for k, v in reason.params.items()},
                "text": clean(reason.text()),
            },
            "result": places.get(entry.entry_id),
        }
        for entry, reason in _entry_rows(verdict)
    ]
    document: dict[str, Any] = {"entries": entries}
    if result is not None:
        document["draw"] = result.as_dict()
    return json.dumps(document, ensure_ascii=False, indent=2)

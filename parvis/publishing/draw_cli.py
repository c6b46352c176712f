"""`parvis contest-draw`: a contest's verifiable draw from a CSV of entries, and its check.

    parvis contest-draw --new-seed
    parvis contest-draw --entries entries.csv --seed SEED --winners N [--reserves M]
        [--required-hashtag TAG] [--must-follow] [--exclude HANDLE ...] [--closes-at ISO]
        [--commitment HASH] [--out draw.json] [--csv-out entries-out.csv]
    parvis contest-draw --verify draw.json --entries entries.csv

The entries CSV has a header; the columns are entry_id, author_id, posted_at (ISO 8601 with
a time zone) and, optional, author_handle, text, follows (yes/no/true/false/1/0, empty when
not known), hashtags (separated by spaces or commas). A line that cannot be read is reported
on standard error with its line number and left out; the others are kept.

Exit codes:
  0  the draw was made (or verified), every line read;
  1  --verify: the draw does not match its seed, its commitment or the entries;
  2  nothing could be done: a file cannot be read or written, the header lacks a column, an
     option is wrong, the seed does not match --commitment, the draw file is not a draw;
  3  the draw was made (or verified), but some lines were left out (see standard error).

Standard library only, no Django: anyone can re-run a draw with just the two files.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from parvis.publishing.contests import (
    Draw,
    DrawError,
    Entry,
    Rules,
    commit,
    draw,
    eligible,
    export_csv,
    export_json,
    new_seed,
    verify,
)

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 2, 3
REQUIRED = ("entry_id", "author_id", "posted_at")
OPTIONAL = ("author_handle", "text", "follows", "hashtags")
MAX_ID_CHARS = 300
MAX_TEXT_CHARS = 100_000
MAX_DRAW_FILE_BYTES = 200 * 1024 * 1024
YEARS = (1990, 2999)
TRUE = {"yes", "true", "1", "oui", "y"}
FALSE = {"no", "false", "0", "non", "n"}
UNKNOWN = {"", "unknown", "?", "inconnu"}
_TAG_SPLIT = re.compile(r"[\s,;]+")


class BadInput(Exception):
    """The input cannot be used at all (exit 2)."""


@dataclass
class Read:
    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _text(row: dict[str, str], name: str, limit: int) -> str:
    value = row.get(name) or ""
    if "\x00" in value:
        raise ValueError(f"{name} holds a NUL character")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def _entry(row: dict[str, str]) -> Entry:
    entry_id = _text(row, "entry_id", MAX_ID_CHARS).strip()
    author_id = _text(row, "author_id", MAX_ID_CHARS).strip()
    if not entry_id:
        raise ValueError("entry_id is empty")
    if not author_id:
        raise ValueError("author_id is empty")
    stamp = _text(row, "posted_at", 100).strip()
    try:
        posted_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise ValueError(f"posted_at {stamp[:40]!r} is not an ISO 8601 date") from None
    if posted_at.tzinfo is None or posted_at.utcoffset() is None:
        raise ValueError(f"posted_at {stamp[:40]!r} has no time zone (add Z or +01:00)")
    if not YEARS[0] <= posted_at.year <= YEARS[1]:
        raise ValueError(f"posted_at {stamp[:40]!r} is out of range")
    follows_text = _text(row, "follows", 20).strip().lower()
    if follows_text in TRUE:
        follows: bool | None = True
    elif follows_text in FALSE:
        follows = False
    elif follows_text in UNKNOWN:
        follows = None
    else:
        raise ValueError(f"follows {follows_text[:20]!r} is not yes, no or empty")
    tags = _text(row, "hashtags", MAX_TEXT_CHARS)
    return Entry(
        entry_id=entry_id,
        author_id=author_id,
        author_handle=_text(row, "author_handle", MAX_ID_CHARS).strip(),
        text=_text(row, "text", MAX_TEXT_CHARS),
        posted_at=posted_at,
        follows=follows,
        hashtags=tuple(t for t in _TAG_SPLIT.split(tags) if t),
    )


def read_entries(source: IO[bytes]) -> Read:
    """The entries of a CSV read as bytes; each line that cannot be read is an error
    naming its line number. Raises BadInput when the header is missing or lacks a column."""
    result = Read()
    where = {"line": 0, "start": 0}

    def lines() -> Iterator[str]:
        for number, raw in enumerate(source, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                result.errors.append(f"line {number}: not UTF-8 text")
                continue
            where["line"] = number
            if not where["start"]:
                where["start"] = number
            yield text.removeprefix("\ufeff") if number == 1 else text

    reader = csv.reader(lines())
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BadInput("empty file: expected a header line") from None
    except csv.Error as exc:
        raise BadInput(f"line 1: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadInput(f"line 1: the header lacks the column(s) {', '.join(missing)}")
    seen: dict[str, int] = {}
    while True:
        where["start"] = 0
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append(f"line {where['start'] or where['line']}: {exc}")
            continue
        line = where["start"]
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            result.errors.append(
                f"line {line}: {len(row)} fields where the header has {len(header)}"
            )
            continue
        try:
            entry = _entry(dict(zip(header, row, strict=True)))
        except ValueError as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        if entry.entry_id in seen:
            result.errors.append(
                f"line {line}: entry_id {entry.entry_id[:80]!r} already on line "
                f"{seen[entry.entry_id]}"
            )
            continue
        seen[entry.entry_id] = line
        result.entries.append(entry)
    return result


def _open_entries(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None


def _load_entries(path: str) -> Read:
    source = _open_entries(path)
    try:
        return read_entries(source)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    finally:
        if source is not sys.stdin.buffer:
            source.close()


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as target:
            target.write(text)
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}") from None


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _rules(args: argparse.Namespace) -> Rules:
    closes_at = None
    if args.closes_at:
        try:
            closes_at = datetime.fromisoformat(args.closes_at)
        except ValueError:
            raise BadInput(f"--closes-at {args.closes_at[:40]!r} is not an ISO 8601 date") from None
        if closes_at.tzinfo is None:
            raise BadInput("--closes-at needs a time zone (add Z or +01:00)")
    if args.winners < 1 or args.reserves < 0:
        raise BadInput("--winners must be 1 or more and --reserves 0 or more")
    tag = (args.required_hashtag or "").strip()
    if tag and not re.fullmatch(r"#?\w+", tag):
        raise BadInput(f"--required-hashtag {tag[:40]!r} is not a hashtag")
    excluded = {h.strip() for item in args.exclude for h in item.split(",") if h.strip()}
    return Rules(
        one_entry_per_person=not args.several_entries,
        required_hashtag=tag,
        must_follow=args.must_follow,
        excluded_handles=frozenset(excluded),
        closes_at=closes_at,
        winners=args.winners,
        reserves=args.reserves,
    )


def _report_lines(read: Read) -> None:
    for error in read.errors:
        _say(f"parvis: {error}")
    if read.errors:
        _say(f"parvis: {len(read.errors)} line(s) left out, {len(read.entries)} entries read")


def _names(result: Draw, entries: list[Entry]) -> str:
    handles = {e.entry_id: e.author_handle for e in entries}
    return ", ".join(f"{i} ({handles.get(i) or '?'})" for i in result.winners) or "none"


def run_draw(args: argparse.Namespace) -> int:
    if not args.seed:
        raise BadInput("--seed is needed (make one with --new-seed, publish its commitment)")
    if args.winners is None:
        raise BadInput("--winners is needed")
    try:
        commitment = commit(args.seed)
    except DrawError as exc:
        raise BadInput(str(exc)) from None
    if args.commitment and args.commitment.strip().lower() != commitment:
        raise BadInput("the seed does not match --commitment: this is not the seed announced")
    rules = _rules(args)
    read = _load_entries(args.entries)
    _report_lines(read)
    verdict = eligible(read.entries, rules)
    try:
        result = draw(verdict.kept, args.seed, rules.winners, rules.reserves, rules=rules)
    except DrawError as exc:
        raise BadInput(str(exc)) from None
    _write(args.out, export_json(verdict, result) + "\n")
    if args.csv_out:
        _write(args.csv_out, export_csv(verdict, result))
    _say(
        f"{len(read.entries)} entries, {len(verdict.kept)} eligible, "
        f"{len(verdict.rejected)} rejected; winners: {_names(result, read.entries)}"
    )
    if len(result.winners) < rules.winners:
        _say(f"parvis: only {len(result.winners)} eligible entries for {rules.winners} winners")
    return EXIT_PARTIAL if read.errors else EXIT_OK


def _load_record(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as source:
            raw = source.read(MAX_DRAW_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_DRAW_FILE_BYTES:
        raise BadInput(f"{path} is larger than {MAX_DRAW_FILE_BYTES // 2**20} MB")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInput(f"{path} is not JSON in UTF-8") from None
    record = document.get("draw", document) if isinstance(document, dict) else None
    if not isinstance(record, dict) or "seed" not in record or "entry_ids" not in record:
        raise BadInput(f"{path} is not a draw made by parvis contest-draw")
    if not isinstance(record.get("rules"), dict):
        raise BadInput(f"{path} does not hold the contest's rules")
    return record


def run_verify(args: argparse.Namespace) -> int:
    record = _load_record(args.verify)
    try:
        rules = Rules.from_dict(record["rules"])
    except (ValueError, TypeError) as exc:
        raise BadInput(f"{args.verify}: the rules cannot be read: {exc}") from None
    read = _load_entries(args.entries)
    _report_lines(read)
    verdict = eligible(read.entries, rules)
    ids = sorted(e.entry_id for e in verdict.kept)
    recorded = record.get("entry_ids")
    problems = []
    seed = record.get("seed")
    try:
        if not isinstance(seed, str):
            problems.append("the seed is not a text")
        elif commit(seed) != record.get("commitment"):
            problems.append("the seed does not match the commitment")
    except DrawError as exc:
        problems.append(f"the seed cannot be used: {exc}")
    if recorded != ids:
        listed = set(recorded) if isinstance(recorded, list) else set()
        listed = {i for i in listed if isinstance(i, str)}
        extra, missing = sorted(listed - set(ids)), sorted(set(ids) - listed)
        problems.append(
            "the eligible entries differ from the draw's: "
            f"{len(missing)} eligible here and not in the draw {missing[:5]}, "
            f"{len(extra)} in the draw and not eligible here {extra[:5]}"
        )
    if not problems and not verify(record):
        problems.append("drawing again with this seed gives other winners or reserves")
    if problems:
        for problem in problems:
            _say(f"parvis: NOT VERIFIED: {problem}")
        return EXIT_NOT_VERIFIED
    print(
        f"verified: {len(ids)} eligible entries; winners {', '.join(record['winners']) or 'none'}"
        f"; reserves {', '.join(record['reserves']) or 'none'}"
    )
    return EXIT_PARTIAL if read.errors else EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entries", help="CSV of the entries, or - (stdin)")
    parser.add_argument("--seed", help="the secret seed, revealed at the draw")
    parser.add_argument("--commitment", help="the SHA-256 announced before: checked first")
    parser.add_argument("--winners", type=int, help="how many winners")
    parser.add_argument("--reserves", type=int, default=0, help="how many reserves")
    parser.add_argument("--required-hashtag", default="", help="entries must carry it")
    parser.add_argument("--must-follow", action="store_true", help="entrants must follow")
    parser.add_argument(
        "--exclude", action="append", default=[], help="handle(s) left out, repeat or use commas"
    )
    parser.add_argument("--closes-at", help="entries at or after this ISO 8601 time are late")
    parser.add_argument(
        "--several-entries",
        action="store_true",
        help="count every entry of a person (default: only their earliest valid one)",
    )
    parser.add_argument("--out", default="-", help="draw JSON (entries + draw), or - (stdout)")
    parser.add_argument("--csv-out", help="also write the entries and the result as CSV")
    parser.add_argument("--verify", metavar="DRAW_JSON", help="check a draw against --entries")
    parser.add_argument(
        "--new-seed", action="store_true", help="print a new seed and the commitment to publish"
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.new_seed:
            seed = new_seed()
            print(json.dumps({"seed": seed, "commitment": commit(seed)}))
            return EXIT_OK
        if not args.entries:
            raise BadInput("--entries is needed")
        return run_verify(args) if args.verify else run_draw(args)
    except BadInput as exc:
        _say(f"parvis: {exc}")
        return EXIT_ERROR

"""Hostile input through `parvis ingest` and the pipeline: dates out of range, counts past 64
bits, JSON nested thousands deep, lone surrogates, NUL, NaN and Infinity, lines that are not
UTF-8. Each such item is quarantined with its reason; the valid items of its batch are stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from parvis.cli import main as parvis_main
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention, QuarantinedItem
from parvis.listening.normalize import InvalidMention, storable, validate
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

BIG = 2**62  # three of these add up past 2^63


def line(**overrides) -> str:
    return json.dumps(mention(99, **overrides)) + "\n"


def author(**overrides) -> dict:
    return {**mention(99)["author"], **overrides}


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


HOSTILE = {
    "likes 10^30": (line(metrics={"likes": 10**30}), "likes is larger than"),
    "likes 2^63": (line(metrics={"likes": 2**63}), "likes is larger than"),
    "sum past 2^63": (
        line(metrics={"likes": BIG, "reposts": BIG, "replies": BIG}),
        "is larger than",
    ),
    "followers 2^63": (line(author=author(followers=2**63)), "followers is larger than"),
    "year 1 with an offset": (line(created_at="0001-01-01T00:00:00+05:00"), "out of range"),
    "year 9999": (line(created_at="9999-12-31T23:59:59+00:00"), "in the future"),
    "year 9999 west of Greenwich": (
        line(created_at="9999-12-31T23:59:59-05:00"),
        "out of range",
    ),
    "1970": (line(created_at="1970-01-01T00:00:00Z"), "before 1990"),
    "next week": (
        line(created_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()),
        "in the future",
    ),
    "nested 3,000 deep": (nested(3000) + "\n", "nested too deeply"),
    "a field nested 150 deep": (
        line().replace('"lang"', f'"extra": {nested(150)}, "lang"'),
        "deeper than 100",
    ),
    "lone surrogate in text": (line(text="bougie \ud800"), "text contains a lone surrogate"),
    "lone surrogate in handle": (
        line(author=author(handle="\udfff")),
        "handle contains a lone surrogate",
    ),
    "lone surrogate in id": (line(external_id="id-\ud800"), "external_id contains a lone"),
    "lone surrogate in raw": (line(extra={"\ud800": 1}), "item contains a lone surrogate"),
    "NUL in text": (line(text="bou\x00gie"), "text contains a NUL"),
    "NUL in raw": (line(extra="a\x00"), "item contains a NUL"),
    "Infinity in a count": (line(metrics={"likes": float("inf")}), "non-negative integer"),
    "Infinity in raw": (line(extra=float("inf")), "NaN or Infinity"),
    "-Infinity in raw": (line(extra=[1, float("-inf")]), "NaN or Infinity"),
    "NaN in raw": (line(extra={"x": float("nan")}), "NaN or Infinity"),
    "1e400 in raw": (line().replace('"lang"', '"extra": 1e400, "lang"'), "NaN or Infinity"),
    "an integer of 5,000 digits": (
        line().replace('"lang"', f'"extra": {"9" * 5000}, "lang"'),
        "invalid JSON",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_line_is_quarantined_and_the_batch_stored(workspace, case):
    hostile, reason = HOSTILE[case]
    good = lines([mention(1), mention(2)])
    summary = ingest_lines(workspace, [good[0], hostile, good[1]], origin="hostile.jsonl")
    assert summary.as_dict() == {"read": 3, "stored": 2, "duplicates": 0, "rejected": 1}
    item = QuarantinedItem.objects.get()
    assert reason in item.reason, item.reason
    assert item.line_number == 2 and item.raw == storable(hostile.rstrip("\n"))
    assert Mention.objects.count() == 2


def test_a_line_not_in_utf8_is_quarantined(workspace):
    good = [g.encode() for g in lines([mention(1), mention(2)])]
    broken = line(text="caf\u00e9").encode().replace(b"caf\\u00e9", b"caf\xe9")
    assert b"caf\xe9" in broken
    summary = ingest_lines(workspace, [good[0], broken, good[1]])
    assert (summary.stored, summary.rejected) == (2, 1)
    item = QuarantinedItem.objects.get()
    assert item.reason.startswith("invalid UTF-8") and "caf\\xe9" in item.raw


def test_raw_nul_and_surrogates_are_kept_escaped_in_the_quarantine(workspace):
    """PostgreSQL refuses both in text: the raw line is kept with them written as escapes."""
    summary = ingest_lines(workspace, ['{"broken": "\x00', '{"lone": "\ud800 \x00"'])
    assert summary.rejected == 2
    raws = sorted(QuarantinedItem.objects.values_list("raw", flat=True))
    assert raws == ['{"broken": "\\u0000', '{"lone": "\\ud800 \\u0000"']


def test_dates_inside_the_range_are_kept():
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    for created_at in ("1990-01-01T00:00:00Z", "2026-11-21T11:00:00+00:00"):
        assert validate(mention(1, created_at=created_at), now=now).published_at.year >= 1990
    with pytest.raises(InvalidMention, match="in the future"):
        validate(mention(1, created_at="2026-11-21T13:00:00+00:00"), now=now)


def test_counts_at_the_bound_are_kept_and_stored(workspace):
    top = 10**12
    items = [mention(1, metrics={"likes": top, "reposts": top, "replies": top})]
    items[0]["author"]["followers"] = top
    assert ingest_lines(workspace, lines(items)).stored == 1
    stored = Mention.objects.get()
    assert stored.engagement == 3 * top and stored.reach == top


def test_an_escaped_backslash_before_u0000_is_plain_text(workspace):
    text = "un chemin C:\\u0000 qui n'est pas un NUL"
    assert ingest_lines(workspace, lines([mention(1, text=text)])).stored == 1
    assert Mention.objects.get().text == text


def test_cli_ingest_keeps_going_and_exits_2_with_the_summary(workspace, tmp_path, capsys):
    good = lines([mention(n) for n in range(1, 4)])
    hostile = [h for h, _reason in HOSTILE.values()]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(
        "".join([good[0], *hostile, good[1]]).encode("utf-8", "surrogatepass")
        + b'{"not": "utf-8 \xff"}\n'
        + good[2].encode()
    )
    assert parvis_main(["ingest", "--workspace", workspace.slug, str(path)]) == 2
    last = capsys.readouterr().out.strip().splitlines()[-1]
    total = len(hostile) + 4
    assert json.loads(last) == {
        "read": total,
        "stored": 3,
        "duplicates": 0,
        "rejected": len(hostile) + 1,
    }
    assert Mention.objects.count() == 3
    assert QuarantinedItem.objects.count() == len(hostile) + 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("😀 🕯️ 👩🏽‍🎨", ""),
        ("a\ud800", "lone surrogate"),
        ("\udc00b", "lone surrogate"),
        ("\ud83d\ude00\ud800", "lone surrogate"),
        ("\ud800x\udc00", "lone surrogate"),
        ("\udc00\ud800", "lone surrogate"),
        ("\\ud800 \\u0000", ""),  # backslashes followed by text, not escapes
        ("\\\ud800", "lone surrogate"),
        ("\\\\\x00", "NUL"),
        ("\\\\\ud83d\ude00", ""),
    ],
)
def test_what_the_database_cannot_store_is_found_in_json_text(text, problem):
    from parvis.connectors.storable import storable_json

    found = storable_json({"text": text, "nested": [{"t": text}]})[1]
    assert (problem in found) if problem else found == ""

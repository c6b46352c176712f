"""Contests: eligibility with its reasons, the verifiable draw (known answers computed here
with hmac directly), exports safe for spreadsheets, hostile input."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from parvis.publishing.contests import (
    ALGORITHM,
    Draw,
    DrawError,
    Entry,
    Rules,
    commit,
    draw,
    eligible,
    entries_digest,
    export_csv,
    export_json,
    new_seed,
    verify,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def entry(n: int, author: str | None = None, **kw) -> Entry:
    fields = {
        "entry_id": f"e{n:03d}",
        "author_id": author or f"a{n}",
        "author_handle": f"@user{n}",
        "text": "Ma photo #ConcoursPhoto",
        "posted_at": T0 + timedelta(minutes=n),
        "follows": True,
    }
    fields.update(kw)
    return Entry(**fields)


def codes(result) -> dict[str, str]:
    return {r.entry.entry_id: r.reason.code for r in result.rejected}


# --- eligibility ------------------------------------------------------------------------------


def test_each_rule_rejects_with_its_reason():
    rules = Rules(
        required_hashtag="#concoursphoto",
        must_follow=True,
        excluded_handles=frozenset({"@Brand_Staff"}),
        closes_at=T0 + timedelta(hours=1),
    )
    entries = [
        entry(1),
        entry(2, author_handle="brand_staff"),  # excluded, case and "@" ignored
        entry(3, posted_at=T0 + timedelta(hours=1)),  # at the closing time: late
        entry(4, text="Ma photo sans le mot-clé"),
        entry(5, follows=None),
        entry(6, follows=False),
        entry(7, author="a1", posted_at=T0 + timedelta(minutes=30)),  # a1's second
    ]
    result = eligible(entries, rules)
    assert [e.entry_id for e in result.kept] == ["e001"]
    assert codes(result) == {
        "e002": "excluded",
        "e003": "late",
        "e004": "missing_hashtag",
        "e005": "follow_unknown",
        "e006": "not_following",
        "e007": "duplicate",
    }
    texts = {r.entry.entry_id: r.reason.text() for r in result.rejected}
    assert "could not be checked" in texts["e005"]
    assert "#concoursphoto" in texts["e004"]
    assert "e001" in texts["e007"]


def test_hashtag_is_folded_for_accents_and_case_but_must_be_whole():
    rules = Rules(required_hashtag="ConcoursÉté")
    entries = [
        entry(1, text="voilà #concoursete"),
        entry(2, text="VOILÀ #CONCOURSÉTÉ!"),
        entry(3, text="rien", hashtags=("#ConcoursEte",)),  # given by the network
        entry(4, text="#concoursete2026"),  # another hashtag
        entry(5, text="concoursete sans dièse"),
    ]
    result = eligible(entries, rules)
    assert [e.entry_id for e in result.kept] == ["e001", "e002", "e003"]
    assert codes(result) == {"e004": "missing_hashtag", "e005": "missing_hashtag"}


def test_earliest_valid_entry_of_a_person_counts_whatever_the_input_order():
    entries = [
        entry(5, author="alice"),
        entry(1, author="alice", text="oubli du mot-clé"),  # earliest, but not valid
        entry(3, author="alice"),
        entry(4, author="bob"),
    ]
    rules = Rules(required_hashtag="concoursphoto")
    for _ in range(5):
        random.Random(_).shuffle(entries)
        result = eligible(entries, rules)
        assert [e.entry_id for e in result.kept] == ["e003", "e004"]
        assert codes(result) == {"e001": "missing_hashtag", "e005": "duplicate"}


def test_several_entries_per_person_when_allowed():
    entries = [entry(1, author="alice"), entry(2, author="alice")]
    kept, rejected = eligible(entries, Rules(one_entry_per_person=False))
    assert len(kept) == 2 and rejected == ()
    kept, rejected = eligible(entries, Rules())
    assert [e.entry_id for e in kept] == ["e001"] and len(rejected) == 1


def test_excluded_by_author_id_too():
    result = eligible([entry(1, author="did:plc:staff")], Rules(excluded_handles={"did:plc:staff"}))
    assert codes(result) == {"e001": "excluded"}


def test_naive_dates_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        eligible([entry(1, posted_at=datetime(2026, 12, 1))], Rules())
    with pytest.raises(ValueError, match="time zone"):
        eligible([entry(1)], Rules(closes_at=datetime(2026, 12, 2)))


# --- the draw ---------------------------------------------------------------------------------


def reference_draw(ids: list[str], seed: str, count: int) -> list[str]:
    """The algorithm as docs/publishing.md states it, written again from the text."""
    pool = sorted(ids)
    out, counter = [], 0
    while len(out) < count and pool:
        n = len(pool)
        while True:
            mac = hmac.new(seed.encode(), counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
            x = int.from_bytes(mac, "big")
            if x < (2**256 // n) * n:
                break
        out.append(pool.pop(x % n))
    return out


def test_known_answer_vector():
    ids = ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10"]
    seed = "parvis-test-seed"
    result = draw(reversed(ids), seed, winners=3, reserves=2)
    # Computed once from the published algorithm (reference_draw) and frozen here: a change
    # of the algorithm must show as a new version, never as other winners.
    assert list(result.winners + result.reserves) == reference_draw(ids, seed, 5)
    assert result.winners == ("e4", "e9", "e5")
    assert result.reserves == ("e7", "e2")
    assert result.commitment == hashlib.sha256(b"parvis-test-seed").hexdigest()
    assert result.entry_ids == tuple(sorted(ids))  # code point order: e1, e10, e2...
    assert result.entries_digest == hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
    assert result.algorithm == ALGORITHM == "parvis-draw-v1"


def test_first_index_is_the_hmac_of_counter_zero():
    ids = [f"id{i}" for i in range(7)]
    mac = hmac.new(b"s", b"\x00" * 8, hashlib.sha256).digest()
    assert draw(ids, "s", 1).winners == (sorted(ids)[int.from_bytes(mac, "big") % 7],)


def test_commitment_is_sha256_of_the_seed():
    assert commit("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert commit("café") == hashlib.sha256("café".encode()).hexdigest()
    seed = new_seed()
    assert len(seed) == 64 and seed != new_seed()


def test_same_draw_across_runs_and_input_orders():
    entries = [entry(n) for n in range(200)]
    seed = "f" * 64
    first = draw(entries, seed, 5, 5)
    for k in range(5):
        shuffled = entries[:]
        random.Random(k).shuffle(shuffled)
        assert draw(shuffled, seed, 5, 5) == first
    drawn = first.winners + first.reserves
    assert len(set(drawn)) == 10
    assert draw(entries, seed + "x", 5, 5).winners != first.winners


def test_every_entry_can_win_about_as_often():
    ids = [f"e{i}" for i in range(4)]
    wins = {i: 0 for i in ids}
    for k in range(2000):
        wins[draw(ids, f"seed-{k}", 1).winners[0]] += 1
    assert all(400 < count < 600 for count in wins.values()), wins


def test_fewer_entries_than_places():
    result = draw([entry(1), entry(2)], "seed", winners=3, reserves=2)
    assert len(result.winners) == 2 and result.reserves == ()
    assert draw([], "seed", 1).winners == ()


@pytest.mark.parametrize(
    ("seed", "winners", "reserves"),
    [("", 1, 0), ("x" * 1001, 1, 0), ("\ud800", 1, 0), ("s", -1, 0), ("s", 1, -2), ("s", 2**64, 0)],
)
def test_bad_draw_requests(seed, winners, reserves):
    with pytest.raises(DrawError):
        draw([entry(1)], seed, winners, reserves)


def test_duplicate_ids_are_refused():
    with pytest.raises(DrawError, match="twice"):
        draw(["a", "b", "a"], "seed", 1)


def test_verify_accepts_the_record_and_refuses_any_change():
    rules = Rules(winners=2, reserves=2)
    result = draw([entry(n) for n in range(20)], "the seed", 2, 2, rules=rules)
    record = result.as_dict()
    assert verify(result) and verify(record)
    assert verify(json.loads(json.dumps(record)))

    def changed(**kw) -> dict:
        return {**record, **kw}

    assert not verify(changed(winners=[record["winners"][1], record["winners"][0]]))
    assert not verify(changed(winners=record["reserves"]))
    # The same sequence, split otherwise: the rules say 2 winners.
    sequence = record["winners"] + record["reserves"]
    assert not verify(changed(winners=sequence[:3], reserves=sequence[3:]))
    assert not verify(changed(seed="another seed"))
    assert not verify(changed(commitment=commit("another seed")))
    assert not verify(changed(entry_ids=record["entry_ids"][1:]))
    assert not verify(changed(entry_ids=[*record["entry_ids"], "zzz"]))
    assert not verify(changed(algorithm="parvis-draw-v0"))


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"algorithm": ALGORITHM},
        {"algorithm": ALGORITHM, "seed": 3, "entry_ids": [], "winners": [], "reserves": []},
        {
            "algorithm": ALGORITHM,
            "seed": "s",
            "commitment": commit("s"),
            "entry_ids": "abc",
            "winners": [],
            "reserves": [],
            "entries_digest": "",
        },
        {
            "algorithm": ALGORITHM,
            "seed": "s",
            "commitment": commit("s"),
            "entry_ids": [1, 2],
            "winners": [1],
            "reserves": [],
            "entries_digest": "",
        },
        {
            "algorithm": ALGORITHM,
            "seed": "s",
            "commitment": commit("s"),
            "entry_ids": ["a"],
            "entries_digest": entries_digest(["a"]),
            "winners": ["a"],
            "reserves": [],
            "rules": {"winners": "many"},
        },
    ],
)
def test_verify_says_false_to_malformed_records(record):
    assert verify(record) is False


# --- exports and hostile input ----------------------------------------------------------------


def test_csv_export_neutralises_formulas():
    hostile = [
        entry(1, author_handle='=HYPERLINK("http://x")', text="+33 6 12"),
        entry(2, author_handle="@alice", text="-1"),
        entry(3, text="\t=1+1", author_id="=cmd|' /C calc'!A0"),
    ]
    verdict = eligible(hostile, Rules())
    result = draw(verdict.kept, "seed", 1, 1)
    rows = list(csv.reader(io.StringIO(export_csv(verdict, result))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert '\'=HYPERLINK("http://x")' in cells and "'@alice" in cells and "'-1" in cells
    by_id = {row[0]: row for row in rows[1:]}
    assert {by_id[w][-1] for w in result.winners} == {"winner 1"}
    assert {by_id[r][-1] for r in result.reserves} == {"reserve 1"}


def test_exports_list_every_entry_with_reasons_and_the_draw():
    entries = [entry(1), entry(2, follows=None), entry(3, text="\ud800 lone \x00 nul")]
    verdict = eligible(entries, Rules(must_follow=True))
    result = draw(verdict.kept, "seed", 1, rules=Rules(must_follow=True))
    text = export_json(verdict, result)
    text.encode("utf-8")  # no lone surrogate left
    document = json.loads(text)
    assert [e["entry_id"] for e in document["entries"]] == ["e001", "e002", "e003"]
    assert document["entries"][1]["eligible"] is False
    assert document["entries"][1]["reason"]["code"] == "follow_unknown"
    assert document["entries"][2]["text"] == "\ufffd lone  nul"
    assert verify(document["draw"])
    assert document["draw"]["rules"]["must_follow"] is True
    rows = list(csv.DictReader(io.StringIO(export_csv(verdict, result))))
    assert rows[1]["eligible"] == "no" and "could not be checked" in rows[1]["reason"]


def test_hostile_entries_do_not_break_anything():
    entries = [
        entry(1, text="x" * 1_000_000 + " #concoursphoto"),
        entry(2, posted_at=datetime(9999, 12, 31, tzinfo=UTC)),
        entry(3, text="<script>alert(1)</script> #ConcoursPhoto", hashtags=("#", "")),
        entry(4, author_handle="", text=""),
    ]
    verdict = eligible(
        entries, Rules(required_hashtag="#concoursphoto", closes_at=T0 + timedelta(days=30))
    )
    assert [e.entry_id for e in verdict.kept] == ["e001", "e003"]
    assert codes(verdict) == {"e002": "late", "e004": "missing_hashtag"}
    result = draw(verdict.kept, "seed", 1)
    assert verify(result)
    assert isinstance(result, Draw)


def test_a_block_in_the_biased_tail_is_thrown_away(monkeypatch):
    # 2**256 mod 3 == 1: the single value 2**256 - 1 would make index 0 a little likelier.
    # The draw must throw that block away and use the next counter.
    import parvis.publishing.contests as contests

    messages = []
    real_new = hmac.new

    class Forged:
        def __init__(self, key, message, digestmod):
            messages.append(message)
            self.message = message
            self.real = real_new(key, message, digestmod)

        def digest(self) -> bytes:
            return b"\xff" * 32 if self.message == bytes(8) else self.real.digest()

    monkeypatch.setattr(contests.hmac, "new", Forged)
    result = draw(["a", "b", "c"], "seed", 1)
    assert messages == [bytes(8), (1).to_bytes(8, "big")]
    second = real_new(b"seed", (1).to_bytes(8, "big"), hashlib.sha256).digest()
    assert result.winners == (["a", "b", "c"][int.from_bytes(second, "big") % 3],)

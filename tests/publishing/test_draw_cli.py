"""`parvis contest-draw`: a draw anyone can re-run from the entries CSV and the seed; bad
lines named by their number and left out; documented exit codes."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import subprocess

import pytest

from parvis.cli import main
from parvis.publishing.contests import commit
from tests.processes import parvis_command

HEADER = "entry_id,author_id,author_handle,text,posted_at,follows,hashtags\n"


def entries_csv(n: int = 30) -> str:
    lines = [HEADER]
    for i in range(n):
        tag = "#ConcoursPhoto" if i % 5 else "sans mot-clé"
        lines.append(
            f'e{i},a{i % 25},@user{i % 25},"Ma photo, {tag}",'
            f"2026-12-0{1 + i % 5}T10:{i:02d}:00+01:00,{'yes' if i % 7 else ''},\n"
        )
    return "".join(lines)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_draw(tmp_path, text: str, *extra: str) -> tuple[int, dict | None]:
    src = write(tmp_path, "entries.csv", text)
    out = tmp_path / "draw.json"
    code = main(
        [
            "contest-draw",
            "--entries",
            str(src),
            "--seed",
            "graine secrète",
            "--winners",
            "3",
            "--reserves",
            "2",
            "--required-hashtag",
            "#concoursphoto",
            "--out",
            str(out),
            *extra,
        ]
    )
    return code, json.loads(out.read_text()) if out.exists() else None


def test_draw_then_verify(tmp_path, capsys):
    code, document = run_draw(tmp_path, entries_csv())
    assert code == 0
    record = document["draw"]
    assert record["commitment"] == commit("graine secrète")
    assert len(record["winners"]) == 3 and len(record["reserves"]) == 2
    eligible_ids = sorted(e["entry_id"] for e in document["entries"] if e["eligible"])
    assert record["entry_ids"] == eligible_ids
    rejected = {
        e["entry_id"]: e["reason"]["code"] for e in document["entries"] if not e["eligible"]
    }
    assert rejected["e0"] == "missing_hashtag"
    assert rejected["e26"] == "duplicate"  # a1's second entry (e1 came first)
    # The first winner, by hand: HMAC-SHA256(seed, counter 0) mod the number of entries.
    mac = hmac.new("graine secrète".encode(), bytes(8), hashlib.sha256).digest()
    assert record["winners"][0] == eligible_ids[int.from_bytes(mac, "big") % len(eligible_ids)]
    capsys.readouterr()
    draw_file = tmp_path / "draw.json"
    assert (
        main(
            ["contest-draw", "--verify", str(draw_file), "--entries", str(tmp_path / "entries.csv")]
        )
        == 0
    )
    assert "verified" in capsys.readouterr().out


def test_verify_fails_when_anything_changed(tmp_path, capsys):
    code, document = run_draw(tmp_path, entries_csv())
    assert code == 0
    draw_file = tmp_path / "draw.json"
    entries = tmp_path / "entries.csv"

    def verify_with(record: dict, entries_text: str | None = None) -> int:
        forged = write(tmp_path, "forged.json", json.dumps({"draw": record}))
        src = write(tmp_path, "other.csv", entries_text) if entries_text else entries
        return main(["contest-draw", "--verify", str(forged), "--entries", str(src)])

    record = document["draw"]
    assert verify_with(record) == 0
    swapped = {**record, "winners": [record["reserves"][0], *record["winners"][1:]]}
    assert verify_with(swapped) == 1
    assert verify_with({**record, "seed": "another"}) == 1
    # An eligible entry added after the draw: the list differs.
    extra = entries_csv() + "late1,z9,@z,#ConcoursPhoto,2026-12-02T10:00:00+01:00,yes,\n"
    assert verify_with(record, extra) == 1
    err = capsys.readouterr().err
    assert "NOT VERIFIED" in err and "late1" in err
    assert main(["contest-draw", "--verify", str(draw_file), "--entries", str(entries)]) == 0


def test_bad_lines_are_named_and_the_rest_kept(tmp_path, capsys):
    text = entries_csv(10)
    lines = text.splitlines(keepends=True)
    lines.insert(3, "broken,line\n")  # line 4
    lines.insert(5, "e99,a99,@x,hi,not a date,yes,\n")  # line 6
    lines.insert(6, "e98,a98,@x,hi,2026-12-01T10:00:00,yes,\n")  # line 7: no time zone
    lines.insert(7, "e1,a77,@dup,#ConcoursPhoto,2026-12-01T10:00:00Z,yes,\n")  # line 8
    lines.insert(8, "e97,a97,@x,#ConcoursPhoto,2026-12-01T10:00:00Z,peut-être,\n")  # line 9
    code, document = run_draw(tmp_path, "".join(lines))
    assert code == 3
    err = capsys.readouterr().err
    assert "line 4: 2 fields where the header has 7" in err
    assert "line 6: posted_at 'not a date' is not an ISO 8601 date" in err
    assert "line 7: posted_at '2026-12-01T10:00:00' has no time zone" in err
    assert "line 8: entry_id 'e1' already on line" in err
    assert "line 9: follows 'peut-être' is not yes, no or empty" in err
    assert len(document["entries"]) == 10


def test_bytes_that_are_not_utf8_and_huge_fields(tmp_path, capsys):
    good = entries_csv(6).encode()
    bad = b"e50,a50,@x,\xff\xfe,2026-12-01T10:00:00Z,yes,\n"
    huge = ("e51,a51,@x," + "x" * 200_000 + ",2026-12-01T10:00:00Z,yes,\n").encode()
    src = tmp_path / "entries.csv"
    src.write_bytes(good + bad + huge + b"e52,a52,@y,#concoursphoto,2026-12-01T10:00:00Z,yes,\n")
    out = tmp_path / "draw.json"
    code = main(
        ["contest-draw", "--entries", str(src), "--seed", "s", "--winners", "1", "--out", str(out)]
    )
    assert code == 3
    err = capsys.readouterr().err
    assert "line 8: not UTF-8 text" in err
    assert "line 9:" in err
    ids = [e["entry_id"] for e in json.loads(out.read_text())["entries"]]
    assert "e52" in ids and "e50" not in ids and "e51" not in ids


def test_csv_export_is_spreadsheet_safe(tmp_path):
    text = HEADER + "=1+1,=cmd,@evil,+33 6,2026-12-01T10:00:00Z,yes,\n"
    out_csv = tmp_path / "out.csv"
    code, _ = run_draw(tmp_path, text, "--csv-out", str(out_csv), "--required-hashtag", "")
    assert code == 0
    row = list(csv.reader(io.StringIO(out_csv.read_text())))[1]
    assert row[:3] == ["'=1+1", "'=cmd", "'@evil"]
    assert row[-1] == "winner 1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--seed", "s", "--winners", "1", "--commitment", "0" * 64],
            "does not match --commitment",
        ),
        (["--winners", "1"], "--seed is needed"),
        (["--seed", "s"], "--winners is needed"),
        (["--seed", "s", "--winners", "0"], "--winners must be 1 or more"),
        (["--seed", "s", "--winners", "1", "--closes-at", "demain"], "not an ISO 8601 date"),
        (["--seed", "s", "--winners", "1", "--closes-at", "2026-12-05T00:00"], "needs a time zone"),
        (["--seed", "s", "--winners", "1", "--required-hashtag", "deux mots"], "not a hashtag"),
        (["--seed", "x" * 2000, "--winners", "1"], "longer than"),
    ],
)
def test_options_that_cannot_work_exit_2(tmp_path, capsys, args, message):
    src = write(tmp_path, "entries.csv", entries_csv(5))
    assert main(["contest-draw", "--entries", str(src), *args, "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("id,author\n1,2\n", "lacks the column(s) entry_id, author_id, posted_at"),
    ],
)
def test_unusable_files_exit_2(tmp_path, capsys, text, message):
    code, _ = run_draw(tmp_path, text)
    assert code == 2
    assert message in capsys.readouterr().err


def test_verify_refuses_what_is_not_a_draw(tmp_path, capsys):
    entries = write(tmp_path, "entries.csv", entries_csv(5))
    for content in ["not json", "[1, 2]", '{"draw": {"seed": "s"}}', "[" * 5000 + "]" * 5000]:
        bogus = write(tmp_path, "bogus.json", content)
        assert main(["contest-draw", "--verify", str(bogus), "--entries", str(entries)]) == 2
    missing = str(tmp_path / "missing.json")
    assert main(["contest-draw", "--verify", missing, "--entries", str(entries)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_new_seed_prints_its_commitment(capsys):
    assert main(["contest-draw", "--new-seed"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["commitment"] == hashlib.sha256(printed["seed"].encode()).hexdigest()


def test_anyone_can_rerun_it_with_the_installed_command(tmp_path):
    src = write(tmp_path, "entries.csv", entries_csv())
    common = ["contest-draw", "--entries", "-", "--seed", "abc", "--winners", "2"]
    runs = [
        subprocess.run(
            [*parvis_command(), *common], input=text, capture_output=True, text=True, timeout=60
        )
        for text in (
            src.read_text(),
            HEADER + "".join(reversed(src.read_text().splitlines(True)[1:])),
        )
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (json.loads(r.stdout)["draw"] for r in runs)
    assert first["winners"] == second["winners"] and first == second

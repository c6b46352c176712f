"""``parvis classify`` (``parvis.intelligence.cli``): JSON Lines in, JSON Lines out."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

from parvis.intelligence import cli

REPO = Path(__file__).resolve().parents[2]


def classify(lines: list[str]) -> list[dict]:
    out = io.StringIO()
    cli.classify_stream(io.StringIO("".join(line + "\n" for line in lines)), out, batch_size=3)
    return [json.loads(x) for x in out.getvalue().splitlines()]


def test_one_output_per_input_line_in_order_with_errors_in_place():
    lines = [
        json.dumps({"id": 1, "text": "you are an idiot"}),
        "this is not json",
        json.dumps({"id": 3, "user": "bob"}),  # no text
        "",
        json.dumps([1, 2]),
        json.dumps({"id": 6, "text": 12}),
        json.dumps({"id": 7, "text": "Merci pour votre aide !"}),
        json.dumps({"id": 8, "text": ""}),
    ]
    out = classify(lines)
    assert len(out) == len(lines)
    assert out[0]["id"] == 1 and out[0]["lang"] == "en"
    assert out[0]["toxicity"]["categories"]["insult"] >= 0.5
    assert "invalid JSON" in out[1]["error"]
    assert "text" in out[2]["error"] and "id" not in out[2]
    assert out[3] == {"error": "empty line"}
    assert "object" in out[4]["error"]
    assert "string" in out[5]["error"]
    assert out[6]["id"] == 7 and out[6]["lang"] == "fr"
    assert out[7]["id"] == 8 and out[7]["lang"] == "und"
    # Batch boundaries (size 3 here) do not shift answers between lines.
    assert [o.get("id") for o in out] == [1, None, None, None, None, None, 7, 8]


def test_other_fields_pass_through_and_all_fields_present():
    extra = {"id": "abc", "author": {"name": "Zoé"}, "tags": ["a", "b"], "score": 3.5}
    (out,) = classify([json.dumps({**extra, "text": "FREE entry!! call now to win £1000"})])
    for key, value in extra.items():
        assert out[key] == value
    assert set(out) == {*extra, "lang", "sentiment", "toxicity", "spam", "why"}
    assert set(out["sentiment"]) == {"label", "scores"}
    assert set(out["toxicity"]["categories"]) == {"insult", "obscene", "hate", "threat"}
    assert out["spam"]["score"] >= 0.5
    assert out["why"]["spam"]


def test_run_reads_and_writes_files(tmp_path):
    src = tmp_path / "in.jsonl"
    dst = tmp_path / "out.jsonl"
    src.write_text(
        "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["😀", "x" * 50000]))
        + "\n{broken\n",
        encoding="utf-8",
    )
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--in", str(src), "--out", str(dst)])) == 0
    rows = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in rows] == [0, 1, None]
    assert "error" in rows[2]


def test_module_runs_as_a_command_on_stdin_and_stdout():
    proc = subprocess.run(
        [sys.executable, "-m", "parvis.intelligence.cli"],
        input='{"id": 1, "text": "Je vais te tuer"}\nnope\n',
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    first, second = (json.loads(x) for x in proc.stdout.splitlines())
    assert first["id"] == 1 and first["toxicity"]["categories"]["threat"] >= 0.5
    assert "error" in second
    assert "1 line(s)" in proc.stderr


def strict(line: str) -> dict:
    """Standard JSON only: NaN and Infinity are not JSON numbers."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON: {name}")

    return json.loads(line, parse_constant=refuse)


HOSTILE = [
    ("[" * 3000 + "]" * 3000, "nested too deeply"),
    (json.dumps({"id": 2, "text": "bougie \ud800"}), "lone surrogate"),
    (json.dumps({"id": "\udfff", "text": "bougie"}), "lone surrogate"),
    (json.dumps({"id": float("nan"), "text": "bougie"}), "NaN or Infinity"),
    (json.dumps({"id": 5, "score": float("inf"), "text": "bougie"}), "NaN or Infinity"),
    ('{"id": 6, "score": 1e400, "text": "bougie"}', "NaN or Infinity"),
    ('{"id": 7, "score": ' + "9" * 5000 + ', "text": "bougie"}', "invalid JSON"),
]


def test_hostile_lines_get_an_error_and_the_run_goes_on():
    good = json.dumps({"id": "ok", "text": "Merci pour votre aide !"})
    lines = [good, *(line for line, _reason in HOSTILE), good]
    out = io.StringIO()
    written, errors = cli.classify_stream(io.StringIO("\n".join(lines) + "\n"), out, 3)
    rows = [strict(x) for x in out.getvalue().splitlines()]
    assert (written, errors) == (len(lines), len(HOSTILE))
    assert rows[0]["id"] == rows[-1]["id"] == "ok" and rows[-1]["lang"] == "fr"
    for row, (_line, reason) in zip(rows[1:-1], HOSTILE, strict=True):
        assert set(row) == {"error"} and reason in row["error"], row
    out.getvalue().encode("utf-8")  # every line can be written as UTF-8


def test_a_file_with_invalid_utf8_is_read_to_the_end(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(
        json.dumps({"id": 1, "text": "café"}).encode()
        + b'\n{"id": 2, "text": "caf\xe9"}\n'
        + json.dumps({"id": 3, "text": "thé"}, ensure_ascii=False).encode()
        + b"\n"
    )
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--in", str(src), "--out", str(dst)])) == 0
    rows = [strict(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in rows] == [1, None, 3]
    assert rows[1]["error"].startswith("invalid UTF-8")


def test_stdin_with_invalid_utf8_and_a_surrogate_is_read_to_the_end():
    lines = b'{"id": 1, "text": "caf\xe9"}\n{"id": 2, "text": "\\ud800"}\n{"id": 3, "text": "ok"}\n'
    proc = subprocess.run(
        [sys.executable, "-m", "parvis.intelligence.cli"],
        input=lines,
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    rows = [strict(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [r.get("id") for r in rows] == [None, None, 3]
    assert "UTF-8" in rows[0]["error"] and "surrogate" in rows[1]["error"]

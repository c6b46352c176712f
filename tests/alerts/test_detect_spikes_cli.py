"""`parvis detect-spikes`: CSV in, one scored row per row out; a bad row is a clear error
(line number, exit 2), never a traceback."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import datetime, timedelta

import pytest

from parvis.alerts.detector import COUNT_SETTINGS, FIRE_THRESHOLD, SpikeDetector
from parvis.cli import main
from tests.processes import parvis_command


def series_csv(n: int = 900) -> str:
    start = datetime(2015, 3, 1)
    lines = ["timestamp,value"]
    for i in range(n):
        value = 100.0 if i == 800 else float(i % 7)
        lines.append(f"{(start + timedelta(minutes=5 * i)).isoformat(sep=' ')},{value}")
    return "\n".join(lines) + "\n"


def test_files_in_and_out(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text(series_csv())
    out = tmp_path / "out.csv"
    assert main(["detect-spikes", "--in", str(src), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    given = list(csv.DictReader(io.StringIO(series_csv())))
    assert len(rows) == len(given)
    assert [r["timestamp"] for r in rows] == [r["timestamp"] for r in given]
    assert [r["value"] for r in rows] == [r["value"] for r in given]
    scores = [float(r["anomaly_score"]) for r in rows]
    assert all(0.0 <= s <= 1.0 for s in scores)
    # The same detector, with the product's settings, as the alerts use.
    detector = SpikeDetector()
    expected = [
        detector.update(datetime.fromisoformat(r["timestamp"]), float(r["value"])) for r in given
    ]
    assert scores == pytest.approx(expected, abs=1e-6)
    assert scores[800] == max(scores) >= FIRE_THRESHOLD


def test_standard_input_and_output():
    done = subprocess.run(
        [*parvis_command(), "detect-spikes", "--in", "-", "--out", "-"],
        input=series_csv(50),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "timestamp,value,anomaly_score"
    assert len(lines) == 51


BAD_ROWS = [
    ("2015-03-01 00:10:00,abc", "line 4", "not a number"),
    ("2015-03-01 00:10:00,nan", "line 4", "finite"),
    ("2015-03-01 00:10:00,1e400", "line 4", "finite"),
    ("2015-03-01 00:10:00,-inf", "line 4", "finite"),
    ("2015-03-01 00:10:00,-1e200", "line 4", "out of range"),
    ("2015-03-01 00:10:00,0x10", "line 4", "not a number"),
    ("2015-03-01 00:10:00," + "9" * 200_000, "line 4", "field"),
    ("2015-03-01 00:10:00,1\x00", "line 4", "not a number"),
    ("9999-12-31 23:59:59,1", "line 4", "out of range"),
    ("yesterday,1", "line 4", "timestamp"),
    ("2015-03-01 00:10:00", "line 4", "columns"),
    ("2015-03-01 00:10:00+02:00,1", "line 4", "UTC-offset"),
]


@pytest.mark.parametrize("row, where, what", BAD_ROWS)
def test_a_bad_row_is_a_clear_error(tmp_path, capsys, row, where, what):
    src = tmp_path / "in.csv"
    src.write_text(f"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,2\n{row}\n")
    assert main(["detect-spikes", "--in", str(src), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert where in err and what in err
    assert "Traceback" not in err


def test_a_lone_surrogate_is_a_clear_error(tmp_path, capsys):
    src = tmp_path / "in.csv"
    # "\ud800" encoded the way a careless writer does (CESU / surrogatepass): not UTF-8.
    bad = "2015-03-01 00:10:00,1\ud800\n".encode("utf-8", "surrogatepass")
    src.write_bytes(b"timestamp,value\n2015-03-01 00:05:00,2\n" + bad)
    assert main(["detect-spikes", "--in", str(src), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "UTF-8" in err


@pytest.mark.parametrize(
    "text, what",
    [("", "empty"), ("time,val\n1,2\n", "header"), ("value\n1\n", "header")],
)
def test_a_bad_header_is_a_clear_error(tmp_path, capsys, text, what):
    src = tmp_path / "in.csv"
    src.write_text(text)
    assert main(["detect-spikes", "--in", str(src), "--out", str(tmp_path / "o.csv")]) == 2
    assert what in capsys.readouterr().err


def test_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["detect-spikes", "--in", str(tmp_path / "none.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_process_with_a_bad_row_prints_no_traceback():
    done = subprocess.run(
        [*parvis_command(), "detect-spikes"],
        input="timestamp,value\n2015-03-01 00:00:00,x\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "line 2" in done.stderr and "Traceback" not in done.stderr


def test_counts_uses_the_count_settings(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(series_csv())
    plain, counts = tmp_path / "plain.csv", tmp_path / "counts.csv"
    assert main(["detect-spikes", "--in", str(src), "--out", str(plain)]) == 0
    assert main(["detect-spikes", "--counts", "--in", str(src), "--out", str(counts)]) == 0
    given = list(csv.DictReader(io.StringIO(series_csv())))
    detector = SpikeDetector(COUNT_SETTINGS)
    expected = [
        detector.update(datetime.fromisoformat(r["timestamp"]), float(r["value"])) for r in given
    ]
    got = [float(r["anomaly_score"]) for r in csv.DictReader(counts.open())]
    assert got == pytest.approx(expected, abs=1e-6)
    assert got != [float(r["anomaly_score"]) for r in csv.DictReader(plain.open())]

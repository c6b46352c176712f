"""`parvis detect-spikes`: the alerts' detector over a `timestamp,value` CSV."""

from __future__ import annotations


class BadInput(Exception):
    """A CSV row the spike detector cannot take; the message names the line."""


# Timestamps outside these years are typos or sentinels (9999-12-31), not data.
SPIKES_YEARS = (1900, 2999)


def spike_timestamp(text: str, line: int):
    from datetime import datetime

    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"line {line}: timestamp {text[:40]!r} is not an ISO 8601 date") from None
    if not SPIKES_YEARS[0] <= stamp.year <= SPIKES_YEARS[1]:
        raise BadInput(f"line {line}: timestamp {text[:40]!r} is out of range")
    return stamp


def spike_value(text: str, line: int) -> float:
    import math

    from parvis.alerts.detector import MAX_ABS_VALUE

    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"line {line}: value {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise BadInput(f"line {line}: value {text[:40]!r} is not a finite number")
    if abs(value) > MAX_ABS_VALUE:
        raise BadInput(f"line {line}: value {text[:40]!r} is out of range (±{MAX_ABS_VALUE:g})")
    return value


def detect_csv(source, target, counts: bool = False) -> int:
    """Score the `timestamp,value` CSV read from the binary handle `source` into `target`
    (text) as `timestamp,value,anomaly_score`, one row per input row, row by row (a stream
    of any length), with the alerts' detector and settings (`counts`: the settings of count
    series, as the alerts use for mentions and reach). Returns the number of rows; raises
    BadInput on the first bad line."""
    import csv

    from parvis.alerts.detector import COUNT_SETTINGS, DetectorSettings, SpikeDetector

    def lines():
        for number, raw in enumerate(source, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput(f"line {number}: not UTF-8 text") from None
            yield text.removeprefix("\ufeff") if number == 1 else text

    reader = csv.reader(lines())
    writer = csv.writer(target, lineterminator="\n")
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BadInput("empty input: expected a header timestamp,value") from None
    except csv.Error as exc:
        raise BadInput(f"line 1: {exc}") from None
    if "timestamp" not in header or "value" not in header:
        raise BadInput("line 1: the header must name the columns timestamp and value")
    t_col, v_col = header.index("timestamp"), header.index("value")
    width = max(t_col, v_col) + 1
    writer.writerow(["timestamp", "value", "anomaly_score"])
    detector = SpikeDetector(COUNT_SETTINGS if counts else DetectorSettings())
    previous = None
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BadInput(f"line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < width:
            raise BadInput(f"line {line}: expected the columns timestamp and value")
        stamp = spike_timestamp(row[t_col], line)
        value = spike_value(row[v_col], line)
        if previous is not None and (stamp.tzinfo is None) != (previous.tzinfo is None):
            raise BadInput(f"line {line}: timestamps mix local and UTC-offset times")
        previous = stamp
        score = detector.update(stamp, value)
        writer.writerow([row[t_col].strip(), row[v_col].strip(), f"{score:.6f}"])
        rows += 1
    return rows

"""``parvis classify``: JSON Lines in, one JSON object per line out, in order.

Each input line is an object with a ``text`` field; its other fields (``id``...) are copied
to the output. A line that is not a JSON object with a string ``text`` (a blank line, a line
not in UTF-8, JSON nested too deeply, a lone surrogate, NaN or Infinity included) yields
``{"error": "..."}`` at its place and the run goes on, so output line N answers input line N.
Every output line is standard JSON in UTF-8.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO

BATCH = 2048


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--in", dest="input", default="-", help="JSON Lines file, or - (stdin)")
    parser.add_argument("--out", dest="output", default="-", help="output file, or - (stdout)")
    parser.add_argument("--batch-size", type=int, default=BATCH, help=argparse.SUPPRESS)


def _decode(line: str | bytes) -> tuple[str, str | None]:
    if isinstance(line, str):
        return line, None
    try:
        return line.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"invalid UTF-8 (byte {exc.start + 1})"


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parse(raw: str | bytes) -> tuple[dict | None, str | None]:
    line, error = _decode(raw)
    if error:
        return None, error
    if not line.strip():
        return None, "empty line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:  # an integer of more than 4,300 digits
        return None, f"invalid JSON: {exc}"
    if not isinstance(obj, dict):
        return None, "each line must be a JSON object"
    if "text" not in obj:
        return None, "missing 'text' field"
    if obj["text"] is not None and not isinstance(obj["text"], str):
        return None, "'text' must be a string"
    if obj["text"] and _has_lone_surrogate(obj["text"]):
        return None, "'text' holds a lone surrogate (\\ud800-\\udfff), which is not a character"
    return obj, None


def _dumps(out: dict) -> tuple[str, str | None]:
    """The output line, or the error that replaces it: a copied field may hold what standard
    JSON in UTF-8 cannot write."""
    try:
        text = json.dumps(out, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "", "the line holds a lone surrogate (\\ud800-\\udfff), which is not a character"
    except ValueError:
        return "", "the line holds NaN or Infinity, which are not JSON numbers"
    except RecursionError:
        return "", "the line is nested too deeply"
    return text, None


def _chunks(stream: IO[str] | IO[bytes], size: int) -> Iterator[list[str | bytes]]:
    chunk: list[str | bytes] = []
    for line in stream:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def classify_stream(
    src: IO[str] | IO[bytes], dst: IO[str], batch_size: int = BATCH
) -> tuple[int, int]:
    """Classify every line of ``src`` (text, or bytes read as UTF-8) into ``dst``; returns
    (lines written, errors)."""
    from parvis.intelligence import analyze

    written = errors = 0
    for chunk in _chunks(src, batch_size):
        parsed = [_parse(line) for line in chunk]
        texts = [obj.get("text") or "" for obj, err in parsed if err is None]
        results = iter(analyze(texts))
        for obj, err in parsed:
            line = ""
            if err is None:
                extra = {k: v for k, v in obj.items() if k != "text"}
                line, err = _dumps({**extra, **next(results).to_dict()})
            if err is not None:
                line = json.dumps({"error": err}, ensure_ascii=False)
                errors += 1
            dst.write(line + "\n")
            written += 1
    dst.flush()
    return written, errors


def run(args: argparse.Namespace) -> int:
    # Bytes in: a line that is not UTF-8 gets its error line instead of stopping the run.
    src = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    dst = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        _written, errors = classify_stream(src, dst, getattr(args, "batch_size", BATCH))
    finally:
        if src is not sys.stdin.buffer:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    if errors:
        print(f"{errors} line(s) could not be read; see their 'error' field", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parvis classify", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

"""``parvis classify``: JSON Lines in, one JSON object per line out, in order.

Each input line is an object with a ``text`` field; its other fields (``id``...) are copied
to the output. A line that is not a JSON object with a string ``text`` (a blank line
included) yields ``{"error": "..."}`` at its place and the run goes on, so output line N
answers input line N.
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


def _parse(line: str) -> tuple[dict | None, str | None]:
    if not line.strip():
        return None, "empty line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(obj, dict):
        return None, "each line must be a JSON object"
    if "text" not in obj:
        return None, "missing 'text' field"
    if obj["text"] is not None and not isinstance(obj["text"], str):
        return None, "'text' must be a string"
    return obj, None


def _chunks(stream: IO[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in stream:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def classify_stream(src: IO[str], dst: IO[str], batch_size: int = BATCH) -> tuple[int, int]:
    """Classify every line of ``src`` into ``dst``; returns (lines written, errors)."""
    from parvis.intelligence import analyze

    written = errors = 0
    for chunk in _chunks(src, batch_size):
        parsed = [_parse(line) for line in chunk]
        texts = [obj.get("text") or "" for obj, err in parsed if err is None]
        results = iter(analyze(texts))
        for obj, err in parsed:
            if err is not None:
                out = {"error": err}
                errors += 1
            else:
                extra = {k: v for k, v in obj.items() if k != "text"}
                out = {**extra, **next(results).to_dict()}
            dst.write(json.dumps(out, ensure_ascii=False) + "\n")
            written += 1
    dst.flush()
    return written, errors


def run(args: argparse.Namespace) -> int:
    src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")  # noqa: SIM115
    dst = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        _written, errors = classify_stream(src, dst, getattr(args, "batch_size", BATCH))
    finally:
        if src is not sys.stdin:
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

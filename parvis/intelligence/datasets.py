"""Readers for the labelled sets in ``../shared/datasets`` (train and validation splits only).

Every reader returns ``(texts, labels)`` with integer labels. Test splits are held out upstream
and are never read here.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

Split = tuple[list[str], list[int]]

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def default_data_dir() -> Path:
    """``$PARVIS_DATASETS_DIR`` or ``../shared/datasets`` next to the repository root."""
    from parvis.config import datasets_dir

    repo_root = Path(__file__).resolve().parents[2]
    return datasets_dir((repo_root / ".." / "shared" / "datasets").resolve())


def _unescape(text: str) -> str:
    # SemEval tweets keep literal "\u2019"-style escapes; decode only those.
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_txt(folder: Path, split: str) -> Split:
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    # Upstream files may or may not end with a newline; align on the label file.
    labels = [lab for lab in labels if lab.strip()]
    texts = texts[: len(labels)]
    return [_unescape(t.rstrip()) for t in texts], [int(lab) for lab in labels]


def _read_csv(path: Path, text_col: str, label_fn) -> Split:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r[text_col] for r in rows], [label_fn(r) for r in rows]


def load(name: str, split: str, data_dir: Path | None = None) -> Split:
    """Load one split (``train`` or ``val``) of a dataset folder by name."""
    if split not in ("train", "val"):
        raise ValueError("only train and val splits exist here")
    base = (data_dir or default_data_dir()) / name
    if name.startswith(("tweeteval_", "xlmt_")):
        return _read_txt(base, split)
    path = base / f"{split}.csv"
    if name == "youtube_spam":
        return _read_csv(path, "CONTENT", lambda r: int(r["CLASS"]))
    if name == "sms_spam":
        return _read_csv(path, "text", lambda r: int(r["label"] == "spam"))
    if name == "mlma_hate_french":
        return _read_csv(path, "tweet", lambda r: int(r["toxic"]))
    if name == "ftr_racism_french":
        return _read_csv(path, "tweet", lambda r: int(r["label"]))
    raise KeyError(name)

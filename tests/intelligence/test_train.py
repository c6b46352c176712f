"""The training script runs end to end on a tiny synthetic copy of the dataset layout."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from parvis.intelligence import datasets, train
from parvis.intelligence.cpu_backend import DefaultBackend
from parvis.intelligence.model import LinearModels

POS = ["super génial merci", "great love it thanks", "bravo excellent top"]
NEG = ["nul horrible déçu", "awful hate this", "honte catastrophe pire"]
NEU = ["le train part à midi", "the meeting is at noon", "réunion demain matin"]
BAD = ["idiot stupid loser", "connard abruti", "you moron"]
OK = ["nice weather today", "belle journée", "see you soon"]
SPAM = ["win cash now call 0800", "subscribe to my channel", "free prize click here"]


def _rows(rng, good, bad, n=24):
    rows = [(rng.choice(good) + f" {i}", 0) for i in range(n)]
    rows += [(rng.choice(bad) + f" {i}", 1) for i in range(n)]
    rng.shuffle(rows)
    return rows


def _write_txt(folder: Path, split: str, rows) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows), encoding="utf-8")
    (folder / f"{split}_labels.txt").write_text("\n".join(str(y) for _, y in rows))


def _write_csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("datasets")
    rng = random.Random(0)
    for split in ("train", "val"):
        sent = [
            (rng.choice(g) + f" {i}", y) for i in range(20) for y, g in enumerate((NEG, NEU, POS))
        ]
        for name in ("xlmt_sentiment_french", "xlmt_sentiment_english"):
            _write_txt(root / name, split, sent)
        for name in ("tweeteval_offensive", "tweeteval_hate"):
            _write_txt(root / name, split, _rows(rng, OK, BAD))
        _write_txt(root / "tweeteval_sentiment", "val", sent)
        _write_csv(
            root / "youtube_spam" / f"{split}.csv",
            ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS", "VIDEO"],
            [(i, "a", "d", t, y, "Psy") for i, (t, y) in enumerate(_rows(rng, OK, SPAM))],
        )
        _write_csv(
            root / "sms_spam" / f"{split}.csv",
            ["line", "label", "text"],
            [(i, "spam" if y else "ham", t) for i, (t, y) in enumerate(_rows(rng, OK, SPAM))],
        )
        _write_csv(
            root / "mlma_hate_french" / f"{split}.csv",
            ["HITId", "tweet", "sentiment", "toxic"],
            [(i, t, "x", y) for i, (t, y) in enumerate(_rows(rng, OK, BAD))],
        )
        _write_csv(
            root / "ftr_racism_french" / f"{split}.csv",
            ["id", "tweet", "label"],
            [(i, t, y) for i, (t, y) in enumerate(_rows(rng, OK, BAD))],
        )
    return root


def test_datasets_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_DATASETS_DIR", str(tmp_path))
    assert datasets.default_data_dir() == tmp_path
    monkeypatch.delenv("PARVIS_DATASETS_DIR")
    assert datasets.default_data_dir().parts[-2:] == ("shared", "datasets")


def test_test_splits_are_never_read(tiny_data):
    with pytest.raises(ValueError):
        datasets.load("tweeteval_hate", "test", tiny_data)


def test_training_writes_a_loadable_model_that_learned(tiny_data, tmp_path):
    out = tmp_path / "model"
    assert train.main(["--data", str(tiny_data), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"meta.json", "weights.npz"}
    models = LinearModels.load(out)
    assert set(models.heads) == {t.head for t in [*train.TASKS, train.LANG_TASK]}
    for report in models.meta["validation"].values():
        assert 0.0 <= report["val_macro_f1"] <= 1.0
        assert report["C"] in train.C_GRID
    backend = DefaultBackend(out)
    bad, spam = backend.analyze(["stupid idiot loser", "win cash now, free prize"])
    assert bad.toxicity.score > 0.5
    assert spam.spam.score > 0.5


def test_training_is_deterministic(tiny_data, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    train.train(tiny_data, a, log=lambda *_: None)
    train.train(tiny_data, b, log=lambda *_: None)
    assert (a / "weights.npz").read_bytes() == (b / "weights.npz").read_bytes()

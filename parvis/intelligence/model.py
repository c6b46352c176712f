"""The shipped linear models: storage format and batched scoring.

All heads share one feature space, so scoring a batch is one sparse x dense product. On disk
(``models/default/``) the bundle is ``meta.json`` (heads, hyper-parameters, validation figures)
plus ``weights.npz`` holding plain numpy arrays: only the hashed rows that some head uses are
stored, in float16. No pickle is involved, so loading a model file cannot run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parvis.intelligence.features import Batch, Featurizer
from parvis.intelligence.lexicon import Lexicon

DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "default"
FORMAT_VERSION = 1


@dataclass
class Head:
    name: str
    classes: list[str]
    start: int  # first column in the weight matrix
    threshold: float = 0.5  # decision threshold chosen on validation (binary heads)

    @property
    def width(self) -> int:
        return 1 if len(self.classes) == 2 else len(self.classes)


@dataclass
class LinearModels:
    featurizer: Featurizer
    heads: dict[str, Head]
    weights: np.ndarray  # (n_features, n_columns) float32
    dense_weights: np.ndarray  # (n_dense, n_columns)
    bias: np.ndarray  # (n_columns,)
    meta: dict = field(default_factory=dict)

    def logits(self, batch: Batch) -> np.ndarray:
        xs, xd = self.featurizer.weight(batch)
        return np.asarray(xs @ self.weights) + xd @ self.dense_weights + self.bias

    def probabilities(self, batch: Batch) -> dict[str, np.ndarray]:
        """Per head: (n,) positive-class probability, or (n, k) class probabilities."""
        z = self.logits(batch)
        out = {}
        for head in self.heads.values():
            cols = z[:, head.start : head.start + head.width]
            if head.width == 1:
                out[head.name] = 1.0 / (1.0 + np.exp(-cols[:, 0]))
            else:
                e = np.exp(cols - cols.max(axis=1, keepdims=True))
                out[head.name] = e / e.sum(axis=1, keepdims=True)
        return out

    def column(self, head: str, cls: int = 1) -> np.ndarray:
        """Weight column of a head's class (``cls`` ignored for binary heads)."""
        h = self.heads[head]
        return self.weights[:, h.start + (0 if h.width == 1 else cls)]

    # -- storage ---------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        f = self.featurizer
        used = np.flatnonzero(np.abs(self.weights).max(axis=1) > 0).astype(np.int32)
        np.savez_compressed(
            directory / "weights.npz",
            rows=used,
            weights=self.weights[used].astype(np.float16),
            dense_weights=self.dense_weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            idf=f.idf[used].astype(np.float32),
            dense_mean=f.dense_mean.astype(np.float32),
            dense_std=f.dense_std.astype(np.float32),
        )
        meta = {
            **self.meta,
            "format_version": FORMAT_VERSION,
            "n_features": f.n_features,
            "char_ngrams": [f.char_min, f.char_max],
            "idf_unseen": float(f.idf.max()),
            "heads": {
                h.name: {"classes": h.classes, "start": h.start, "threshold": h.threshold}
                for h in self.heads.values()
            },
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIR, lexicon: Lexicon | None = None) -> LinearModels:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported model format in {directory}")
        with np.load(directory / "weights.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        n = int(meta["n_features"])
        cmin, cmax = meta["char_ngrams"]
        feat = Featurizer(lexicon or Lexicon(), cmin, cmax, n)
        # Rows no head uses get the largest IDF: they only matter through the L2 norm.
        idf = np.full(n, meta["idf_unseen"], dtype=np.float32)
        idf[arrays["rows"]] = arrays["idf"]
        feat.idf = idf
        feat.dense_mean = arrays["dense_mean"]
        feat.dense_std = arrays["dense_std"]
        weights = np.zeros((n, arrays["weights"].shape[1]), dtype=np.float32)
        weights[arrays["rows"]] = arrays["weights"]
        heads = {
            name: Head(name, h["classes"], h["start"], h["threshold"])
            for name, h in meta["heads"].items()
        }
        return cls(feat, heads, weights, arrays["dense_weights"], arrays["bias"], meta)

"""Per-workspace adaptation: a small logistic layer over the shared models' scores, fitted on
one workspace's corrections, never on another's.

Each task (sentiment, spam, toxicity) keeps the shared model's logit as an *offset* and
learns only a correction on top of it, ``z = z_shared + W·x + b``, with an L2 penalty that
pulls ``W`` and ``b`` toward zero: with no or few corrections the layer is the shared model
unchanged, and each correction moves it a little. ``x`` is what ``analyze`` returns as
mention columns (sentiment scores, toxicity and its categories, spam): nothing of the text is
stored in the layer, so it can be kept beside the workspace and shown to nobody else.

Fitting is a few hundred L-BFGS steps on at most a few thousand rows: milliseconds, done by
the worker after each correction (``listening.corrections``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

TASKS = ("sentiment", "spam", "toxicity")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
FEATURES = (
    "negative",
    "neutral",
    "positive",
    "toxicity",
    "insult",
    "obscene",
    "hate",
    "threat",
    "spam",
)
# Penalty on the correction's weights (per correction row): chosen on the simulation in
# benchmarks/adaptation.py, on train splits only.
L2 = 0.1
MIN_CORRECTIONS = 5
_EPS = 1e-4


def features(fields: dict[str, Any]) -> np.ndarray:
    """The layer's inputs from a mention's analysis columns (``enrichment.analysis_fields``
    or a stored mention), centred on 0.5 so a zero weight leaves the offset alone."""
    # A stored mention keeps the label and P(pos) - P(neg) only: both paths (a mention being
    # stored, a stored mention corrected) read the same two numbers.
    s = float(fields.get("sentiment_score", 0.0))
    scores = {"negative": max(-s, 0.0), "positive": max(s, 0.0)}
    scores["neutral"] = 1.0 - scores["negative"] - scores["positive"]
    cats = fields.get("toxicity_categories") or {}
    row = [
        float(scores.get("negative", 0.0)),
        float(scores.get("neutral", 0.0)),
        float(scores.get("positive", 0.0)),
        float(fields.get("toxicity", 0.0)),
        float(cats.get("insult", 0.0)),
        float(cats.get("obscene", 0.0)),
        float(cats.get("hate", 0.0)),
        float(cats.get("threat", 0.0)),
        float(fields.get("spam", 0.0)),
    ]
    return np.asarray(row, dtype=np.float64) - 0.5


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def offsets(task: str, x: np.ndarray) -> np.ndarray:
    """The shared model's logits for ``task`` from feature rows (n, len(FEATURES))."""
    p = x + 0.5
    if task == "sentiment":
        return np.log(np.clip(p[:, 0:3], _EPS, 1.0))
    col = FEATURES.index("toxicity" if task == "toxicity" else "spam")
    return _logit(p[:, col])[:, None]


@dataclass
class Layer:
    task: str
    weights: np.ndarray  # (len(FEATURES), k)
    bias: np.ndarray  # (k,)
    n: int = 0
    meta: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return offsets(self.task, x) + x @ self.weights + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Sentiment: (n, 3) probabilities; binary tasks: (n,) P(yes)."""
        z = self.logits(x)
        if self.task == "sentiment":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-z[:, 0]))

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "weights": self.weights.round(6).tolist(),
            "bias": self.bias.round(6).tolist(),
            "n": self.n,
            "features": list(FEATURES),
        }

    @classmethod
    def from_json(cls, data: dict) -> Layer:
        if list(data.get("features", ())) != list(FEATURES):
            raise ValueError("adaptation layer made for other features")
        return cls(
            data["task"],
            np.asarray(data["weights"], dtype=np.float64),
            np.asarray(data["bias"], dtype=np.float64),
            int(data.get("n", 0)),
        )


def fit(task: str, x: np.ndarray, y: np.ndarray, l2: float = L2) -> Layer:
    """Fit the correction on top of the shared model. ``y``: class index (sentiment) or 0/1."""
    from scipy.optimize import minimize

    if task not in TASKS:
        raise ValueError(task)
    n, d = x.shape
    k = 3 if task == "sentiment" else 1
    z0 = offsets(task, x)
    y = np.asarray(y, dtype=np.int64)
    target = y[:, None].astype(np.float64) if k == 1 else np.eye(3)[y]
    # Balanced classes, as the shared heads were fitted: a workspace correcting mostly one
    # way should not learn that everything is that way.
    counts = np.bincount(y, minlength=max(k, 2)).astype(np.float64)
    present = counts > 0
    class_w = np.where(present, n / (present.sum() * np.maximum(counts, 1.0)), 0.0)
    sample_w = class_w[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        z = z0 + x @ w + b
        if k == 1:
            p = 1.0 / (1.0 + np.exp(-z))
            ll = -(
                target * np.log(np.clip(p, 1e-12, 1))
                + (1 - target) * np.log(np.clip(1 - p, 1e-12, 1))
            )
            g = (p - target) * sample_w[:, None]
        else:
            zs = z - z.max(axis=1, keepdims=True)
            logp = zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))
            ll = -(target * logp)
            g = (np.exp(logp) - target) * sample_w[:, None]
        value = float((ll.sum(axis=1) * sample_w).sum()) + 0.5 * l2 * float(theta @ theta)
        grad = np.concatenate([(x.T @ g).ravel(), g.sum(axis=0)]) + l2 * theta
        return value, grad

    theta0 = np.zeros(d * k + k)
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 300})
    theta = res.x
    return Layer(task, theta[: d * k].reshape(d, k), theta[d * k :], n)


def apply(layers: dict[str, Layer], fields: dict[str, Any]) -> dict[str, Any]:
    """The mention columns with each fitted task's score replaced by the adapted one."""
    if not layers:
        return fields
    x = features(fields)[None, :]
    out = dict(fields)
    sent = layers.get("sentiment")
    if sent is not None:
        p = sent.predict(x)[0]
        out["sentiment"] = SENTIMENT_LABELS[int(np.argmax(p))]
        out["sentiment_score"] = round(float(p[2] - p[0]), 4)
    for task, column in (("spam", "spam"), ("toxicity", "toxicity")):
        layer = layers.get(task)
        if layer is not None:
            out[column] = round(float(layer.predict(x)[0]), 4)
    return out

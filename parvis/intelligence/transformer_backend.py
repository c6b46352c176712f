"""Optional backend: Hugging Face sequence-classification models the user has on disk.

Enabled with ``PARVIS_INTELLIGENCE = {"BACKEND": "transformers", "SENTIMENT_MODEL": "/path",
"TOXICITY_MODEL": "/path"}`` (or the ``PARVIS_*`` environment variables). Each path is a
folder written by ``save_pretrained`` (config, weights, tokenizer), e.g. a local copy of a
tweet sentiment model. Nothing is downloaded: loading uses ``local_files_only``. Whatever a
given model does not cover (language, spam, toxicity categories, "why") comes from the
default backend, so the output shape is the same.

Requires ``torch`` and ``transformers`` (not installed by default).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from parvis.intelligence.types import SENTIMENT_LABELS, Analysis, Sentiment

_NOT_TOXIC = re.compile(r"non|not|normal|neutral|clean|^ok|safe|none", re.IGNORECASE)


def _sentiment_index(label: str, position: int, n_labels: int) -> int | None:
    name = label.lower()
    for i, key in enumerate(("neg", "neu", "pos")):
        if key in name:
            return i
    if re.fullmatch(r"label_\d+", name):
        # Unnamed labels: assume the usual order (negative, [neutral,] positive).
        if n_labels == 3:
            return position
        if n_labels == 2:
            return 0 if position == 0 else 2
    return None


class HFClassifier:
    """A local sequence-classification model, scored in CPU batches without gradients."""

    def __init__(self, path: str | Path, batch_size: int = 32, max_length: int = 256) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True
        )
        self.model.eval()
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        self.batch_size = batch_size
        # Longer inputs would overflow the position embeddings of small models.
        positions = getattr(self.model.config, "max_position_embeddings", max_length)
        self.max_length = min(max_length, positions)
        self._lock = threading.Lock()  # one forward pass at a time per model

    def predict(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        torch = self.torch
        for start in range(0, len(texts), self.batch_size):
            chunk = [t if t.strip() else "." for t in texts[start : start + self.batch_size]]
            enc = self.tokenizer(
                chunk,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with self._lock, torch.no_grad():
                logits = self.model(**enc).logits
            probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
            out.extend(probs.tolist())
        return out


class TransformerBackend:
    name = "transformers"

    def __init__(
        self,
        sentiment_model: str | Path | None = None,
        toxicity_model: str | Path | None = None,
        fallback=None,
    ) -> None:
        if sentiment_model is None and toxicity_model is None:
            raise ValueError("the transformers backend needs SENTIMENT_MODEL or TOXICITY_MODEL")
        if fallback is None:
            from parvis.intelligence.cpu_backend import DefaultBackend

            fallback = DefaultBackend()
        self.fallback = fallback
        self.sentiment = HFClassifier(sentiment_model) if sentiment_model else None
        self.toxicity = HFClassifier(toxicity_model) if toxicity_model else None
        if self.sentiment is not None:
            n = len(self.sentiment.labels)
            self._sent_map = [
                _sentiment_index(lab, i, n) for i, lab in enumerate(self.sentiment.labels)
            ]
            if not any(m is not None for m in self._sent_map):
                raise ValueError(f"cannot map labels {self.sentiment.labels} to sentiment")

    def analyze(self, texts: list[str]) -> list[Analysis]:
        results = self.fallback.analyze(texts)
        if self.sentiment is not None:
            for res, probs in zip(results, self.sentiment.predict(texts), strict=True):
                scores = dict.fromkeys(SENTIMENT_LABELS, 0.0)
                for idx, p in zip(self._sent_map, probs, strict=True):
                    if idx is not None:
                        scores[SENTIMENT_LABELS[idx]] += p
                total = sum(scores.values()) or 1.0
                scores = {k: round(v / total, 4) for k, v in scores.items()}
                res.sentiment = Sentiment(label=max(scores, key=scores.__getitem__), scores=scores)
        if self.toxicity is not None:
            toxic_idx = [
                i for i, lab in enumerate(self.toxicity.labels) if not _NOT_TOXIC.search(lab)
            ]
            for res, probs in zip(results, self.toxicity.predict(texts), strict=True):
                model_score = max((probs[i] for i in toxic_idx), default=0.0)
                # Lexicon-backed categories (threat, obscene...) still raise the score.
                res.toxicity.score = round(max(model_score, *res.toxicity.categories.values()), 4)
        return results

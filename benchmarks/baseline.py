"""The plain baseline every figure is shown beside: TF-IDF word (1-2) + character (2-5,
within words) n-grams and a logistic regression, trained on the same train splits as the
shipped heads. C comes from 3-fold cross-validation on the train split (macro-F1); the
validation split is only predicted. (The TF-IDF vocabulary is fitted on the whole train
split before the folds: the usual small shortcut, which only touches the choice of C.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_union

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parvis.intelligence import datasets

C_GRID = (1.0, 4.0, 16.0)


class Baseline:
    def __init__(self, names: list[str], data_dir: Path | None = None) -> None:
        texts: list[str] = []
        labels: list[int] = []
        for name in names:
            t, y = datasets.load(name, "train", data_dir)
            texts += t
            labels += y
        self.vectorizer = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=200_000),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=2,
                max_features=300_000,
            ),
        )
        x = self.vectorizer.fit_transform(texts)
        y = np.asarray(labels)
        folds = StratifiedKFold(3, shuffle=True, random_state=0)
        self.cv = {}
        for c in C_GRID:
            clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            self.cv[c] = float(cross_val_score(clf, x, y, cv=folds, scoring="f1_macro").mean())
        self.c = max(self.cv, key=self.cv.__getitem__)
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=2000)
        self.model.fit(x, y)

    def predict(self, texts: list[str]) -> list[int]:
        return [int(v) for v in self.model.predict(self.vectorizer.transform(texts))]


_fitted: dict[tuple[str, ...], Baseline] = {}


def baseline(names: list[str], data_dir: Path | None = None) -> Baseline:
    key = tuple(names)
    if key not in _fitted:
        _fitted[key] = Baseline(names, data_dir)
    return _fitted[key]

"""Corrections that teach: the per-workspace layer (``parvis.intelligence.adaptation``) after
0, 25, 50, 100 and 200 corrections, in a workspace whose idea of a label differs from the
shared model's.

    python benchmarks/adaptation.py [--seeds 5] [--json OUT]

Simulated workspaces (the team corrects mentions drawn at random from a train split; the
figure is macro-F1 on that set's validation split, mean over seeds):

* "toxic means hateful" (EN): the team flags as toxic only HatEval's hate speech against
  immigrants and women (tweeteval_hate), where the shared toxicity score also flags plain
  swearing and insults (OLID);
* "toxic means racist" (FR): the team flags only racism (ftr_racism_french) while the shared
  French toxicity learnt MLMA's broader hostility;
* "spam means SMS scams" (EN): sms_spam, which the shared spam head saw: a control, where
  there is little to learn.

Beside: a TF-IDF word+char logistic regression trained on the same corrections alone (the
plain baseline a team could fit on its own labels). The penalty L2 is chosen by 5-fold
cross-validation on the first workspace's train split, never on validation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parvis.intelligence import adaptation, datasets
from parvis.listening.enrichment import analyze_texts

WORKSPACES = [
    ("toxic means hateful (EN)", "tweeteval_hate", "toxicity"),
    ("toxic means racist (FR)", "ftr_racism_french", "toxicity"),
    ("spam means SMS scams (EN, control)", "sms_spam", "spam"),
]
STEPS = (0, 25, 50, 100, 200)


def rows(name: str, split: str, cap: int = 3000):
    texts, y = datasets.load(name, split)
    texts, y = texts[:cap], np.asarray(y[:cap])
    x = np.vstack([adaptation.features(f) for f in analyze_texts(texts)])
    return texts, x, y


def macro(y, p) -> float:
    return float(f1_score(y, p, average="macro"))


def draw(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random rows with both classes present (a team corrects both ways)."""
    while True:
        idx = rng.choice(len(y), size=n, replace=False)
        if len(set(y[idx].tolist())) > 1:
            return idx


def baseline(texts, y):
    model = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000),
    )
    return model.fit(texts, y)


def choose_l2(task: str, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    scores = {}
    for l2 in (0.1, 0.3, 1.0, 3.0, 10.0):
        fs = []
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            layer = adaptation.fit(task, x[tr][:200], y[tr][:200], l2=l2 * 1.0)
            fs.append(macro(y[te], layer.predict(x[te]) >= 0.5))
        scores[l2] = round(float(np.mean(fs)), 4)
    return max(scores, key=scores.__getitem__), scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict = {"steps": STEPS, "workspaces": []}
    first = WORKSPACES[0]
    _t, x_tr, y_tr = rows(first[1], "train")
    l2, cv = choose_l2(first[2], x_tr, y_tr)
    report["l2"] = l2
    report["l2_cv_macro_f1"] = cv
    print("L2 by 5-fold CV on", first[1], "train:", cv, "->", l2, flush=True)
    for title, name, task in WORKSPACES:
        t_tr, x_tr, y_tr = rows(name, "train")
        t_va, x_va, y_va = rows(name, "val")
        column = adaptation.FEATURES.index(task)
        shared = macro(y_va, (x_va[:, column] + 0.5) >= 0.5)
        layer_f1, base_f1 = [], []
        for n in STEPS:
            if n == 0:
                layer_f1.append(round(shared, 3))
                base_f1.append(None)
                continue
            lf, bf = [], []
            for seed in range(args.seeds):
                idx = draw(y_tr, n, np.random.default_rng(seed))
                layer = adaptation.fit(task, x_tr[idx], y_tr[idx], l2=l2)
                lf.append(macro(y_va, layer.predict(x_va) >= 0.5))
                model = baseline([t_tr[i] for i in idx], y_tr[idx])
                bf.append(macro(y_va, model.predict(t_va)))
            layer_f1.append(round(float(np.mean(lf)), 3))
            base_f1.append(round(float(np.mean(bf)), 3))
        row = {
            "workspace": title,
            "dataset": name,
            "task": task,
            "n_val": len(y_va),
            "parvis_layer": layer_f1,
            "tfidf_lr_on_corrections_only": base_f1,
        }
        report["workspaces"].append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

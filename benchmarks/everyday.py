"""Everyday brand mentions: how ``analyze`` labels the hand-written set of issue #15.

    python benchmarks/everyday.py [--split dev|held|all] [--show-errors] [--json OUT]

The set (``benchmarks/everyday/mentions.tsv``) was written and labelled before any model was
run on it. Rules may be written while reading the ``dev`` half; the ``held`` half is never
tuned on and is the figure to quote. A TF-IDF word+char n-gram logistic regression trained on
the same train splits as the shipped heads is shown beside (``--baseline``), so a figure is
never read without the plain baseline next to it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SET = Path(__file__).resolve().parent / "everyday" / "mentions.tsv"


@dataclass
class Row:
    id: int
    split: str
    lang: str
    sentiment: str
    spam: int
    toxic: int
    hate: int
    text: str


def load(split: str = "all") -> list[Row]:
    lines = [ln for ln in SET.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    rows = []
    for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        row = Row(
            int(r["id"]),
            r["split"],
            r["lang"],
            r["sentiment"],
            int(r["spam"]),
            int(r["toxic"]),
            int(r["hate"]),
            r["text"],
        )
        if split in ("all", row.split):
            rows.append(row)
    return rows


def score(rows: list[Row], predict) -> dict:
    """Accuracy per field; ``predict(texts)`` returns dicts with lang, sentiment, spam, toxic,
    hate (booleans for the last three)."""
    preds = predict([r.text for r in rows])
    out: dict = {"n": len(rows)}
    for field in ("lang", "sentiment", "spam", "toxic", "hate"):
        ok = [
            getattr(r, field) == (int(p[field]) if field in ("spam", "toxic", "hate") else p[field])
            for r, p in zip(rows, preds, strict=True)
        ]
        out[field] = round(sum(ok) / len(ok), 3)
    # Errors that cost a community manager most: a flag on a harmless mention, a missed scam.
    out["false_toxic"] = sum(
        1 for r, p in zip(rows, preds, strict=True) if p["toxic"] and not r.toxic
    )
    out["missed_spam"] = sum(
        1 for r, p in zip(rows, preds, strict=True) if r.spam and not p["spam"]
    )
    out["false_spam"] = sum(1 for r, p in zip(rows, preds, strict=True) if p["spam"] and not r.spam)
    out["_preds"] = preds
    return out


def parvis_predict(texts: list[str]) -> list[dict]:
    from parvis.intelligence import analyze

    return [
        {
            "lang": a.lang,
            "sentiment": a.sentiment.label,
            "spam": a.spam.score >= 0.5,
            "toxic": a.toxicity.score >= 0.5,
            "hate": a.toxicity.categories["hate"] >= 0.5,
        }
        for a in analyze(texts)
    ]


def baseline_predict(texts: list[str]) -> list[dict]:
    """TF-IDF + LR per task, trained on the train splits the shipped heads use (FR and EN
    together); language is not its task (see benchmarks/language.py)."""
    from baseline import baseline

    inv = {0: "negative", 1: "neutral", 2: "positive"}
    sent = baseline(["xlmt_sentiment_french", "xlmt_sentiment_english"]).predict(texts)
    spam = baseline(["youtube_spam", "sms_spam"]).predict(texts)
    toxic = baseline(["tweeteval_offensive", "mlma_hate_french"]).predict(texts)
    hate = baseline(["tweeteval_hate", "ftr_racism_french"]).predict(texts)
    return [
        {"lang": "", "sentiment": inv[s], "spam": bool(p), "toxic": bool(t), "hate": bool(h)}
        for s, p, t, h in zip(sent, spam, toxic, hate, strict=True)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all", choices=("dev", "held", "all"))
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--baseline", action="store_true", help="also TF-IDF+LR (slow)")
    args = parser.parse_args()
    report = {}
    for split in ("dev", "held") if args.split == "all" else (args.split,):
        rows = load(split)
        res = score(rows, parvis_predict)
        preds = res.pop("_preds")
        report[split] = res
        print(split, json.dumps(res))
        if args.baseline:
            base = score(rows, baseline_predict)
            base.pop("_preds")
            report[split + " tfidf+lr"] = base
            print(split, "tfidf+lr", json.dumps(base))
        if args.show_errors and split == "dev":
            for r, p in zip(rows, preds, strict=True):
                bad = [
                    f"{f}={p[f]!s}"
                    for f in ("lang", "sentiment", "spam", "toxic", "hate")
                    if (int(p[f]) if f in ("spam", "toxic", "hate") else p[f]) != getattr(r, f)
                ]
                if bad:
                    print(f"  #{r.id} {r.text[:70]!r}: {', '.join(bad)}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

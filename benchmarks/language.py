"""Language identification: Lingua (``parvis.intelligence.language``) against the former
hand-written detector (French-vs-English head + stop-word votes), on short texts.

    python benchmarks/language.py [--split train|val] [--json OUT]

Texts: the datasets whose language is known (3 French, 5 English sets; ``--split train``
chose the settings, ``val`` is read once for the report) as written, cut to their first 6
words and to their first 3 words (links, mentions and hashtags removed first: they are not
words of a language), and the everyday set (FR, EN and a few ES/IT/DE/PT/NL). Figures:
accuracy (an « unknown » answer counts as wrong), coverage (share answered) and accuracy on
the answered texts, and texts/s on one core (the hand-written detector and the cascade
include the feature extraction and linear heads they need, which ``analyze`` computes anyway).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parvis.intelligence import datasets, language

FRENCH = ["xlmt_sentiment_french", "mlma_hate_french", "ftr_racism_french"]
ENGLISH = [
    "xlmt_sentiment_english",
    "tweeteval_offensive",
    "tweeteval_hate",
    "youtube_spam",
    "sms_spam",
]
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+|\bhttpurl\b|@user")


def first_words(text: str, n: int) -> str:
    return " ".join(_NOISE.sub(" ", text).split()[:n])


def samples(split: str, per_set: int = 400) -> dict[str, list[tuple[str, str]]]:
    pairs: list[tuple[str, str]] = []
    for names, lang in ((FRENCH, "fr"), (ENGLISH, "en")):
        for name in names:
            texts = datasets.load(name, split)[0][:per_set]
            pairs += [(t, lang) for t in texts]
    out = {
        "datasets, whole": pairs,
        "datasets, 6 words": [(first_words(t, 6), lang) for t, lang in pairs],
        "datasets, 3 words": [(first_words(t, 3), lang) for t, lang in pairs],
    }
    out = {k: [(t, lang) for t, lang in v if t.strip()] for k, v in out.items()}
    from everyday import load

    rows = load("dev" if split == "train" else "held")
    out["everyday"] = [(r.text, r.lang) for r in rows]
    return out


def hand_written(texts: list[str]) -> list[str]:
    """The detector Parvis had before Lingua, rebuilt from the shipped model's parts."""
    from parvis.intelligence import default_backend
    from parvis.intelligence.text import has_letters

    backend = default_backend()
    batch = backend.featurizer.extract(texts)
    p_fr = backend.models.probabilities(batch)["lang"]
    out = []
    for norm, toks, p in zip(batch.norms, batch.toks, p_fr, strict=True):
        if not has_letters(norm.replace("httpurl", "").replace("@user", "")):
            out.append("und")
            continue
        out.append(backend.voter.other_language(toks) or ("fr" if p >= 0.5 else "en"))
    return out


def cascade(texts: list[str]) -> list[str]:
    """What analyze does now: the head and the stop-word vote, Lingua when they are unsure."""
    from parvis.intelligence import default_backend

    backend = default_backend()
    batch = backend.featurizer.extract(texts)
    return backend._languages(batch, backend.models.probabilities(batch)["lang"])


def lingua_only(high: bool, min_conf: float):
    def run(texts: list[str]) -> list[str]:
        det = language._detector(high)
        out = []
        for t in texts:
            lang, conf = language._best(det, t)
            out.append(lang if conf >= min_conf else "und")
        return out

    return run


def measure(name, fn, sets) -> dict:
    row = {"detector": name}
    n_all = t_all = 0.0
    for set_name, pairs in sets.items():
        texts = [t for t, _ in pairs]
        fn(texts[:50])  # warm up (lazy builds)
        t0 = time.perf_counter()
        pred = fn(texts)
        dt = time.perf_counter() - t0
        n_all += len(texts)
        t_all += dt
        gold = [lang for _, lang in pairs]
        answered = [(p, g) for p, g in zip(pred, gold, strict=True) if p != "und"]
        row[set_name] = {
            "n": len(texts),
            "accuracy": round(sum(p == g for p, g in zip(pred, gold, strict=True)) / len(texts), 3),
            "coverage": round(len(answered) / len(texts), 3),
            "accuracy_answered": round(sum(p == g for p, g in answered) / max(len(answered), 1), 3),
        }
    row["texts_per_s"] = round(n_all / t_all)
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train", choices=("train", "val"))
    parser.add_argument("--sweep", action="store_true", help="also the settings not chosen")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sets = samples(args.split)
    rows = [measure("hand-written (before)", hand_written, sets)]
    rows.append(measure("parvis now: head + votes, Lingua high when unsure", cascade, sets))
    rows.append(
        measure(f"Lingua high alone, min {language.MIN_CONFIDENCE}", language.identify_all, sets)
    )
    if args.sweep:
        for high in (False, True):
            for conf in (0.0, 0.3, 0.5, 0.7):
                rows.append(
                    measure(
                        f"lingua {'high' if high else 'low'} min {conf}",
                        lingua_only(high, conf),
                        sets,
                    )
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

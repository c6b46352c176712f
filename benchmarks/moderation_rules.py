"""How well the default moderation rules (parvis/moderation/defaults.py) do on the labelled
brand-page comments of tests/moderation/corpus.py, through the real path: `analyze()` for the
scores, `engine.Item`, `engine.evaluate(default_rules(), ...)`.

    python benchmarks/moderation_rules.py [--half tuning|held_out|all] [--show-errors]

Prints, for the held-out half and for the whole set (or the half asked for): precision and
recall per reason, the share of the labels' comments that got their expected decision, the
share of legitimate complaints and ordinary comments hidden (must be 0) and kept visible, and
the confusion of decisions per label. The thresholds and word lists were chosen looking at
the « tuning » half only: `--show-errors` lists the misses of the tuning half and refuses to
list those of the held-out half (its figures are reported, its texts not looked at).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.moderation import measure
from tests.moderation.corpus import CASES, EXPECTED, SPLIT

DECISIONS = ("keep", "review", "escalate", "hide", "delete")


def report(title: str, cases, show_errors: bool = False) -> None:
    results = measure.run(cases)
    print(f"\n## {title} ({len(cases)} comments)\n")
    print(f"{'reason':<14} {'n':>4} {'flagged':>8} {'precision':>10} {'recall':>7} {'expected':>9}")
    for reason, row in measure.per_reason(results).items():
        print(
            f"{reason:<14} {row['n']:>4} {row['flagged']:>8} {row['precision']:>10.2f} "
            f"{row['recall']:>7.2f} {row['correct']:>9.2f}"
        )
    print("\n(expected: share of the label's comments that got the expected decision;")
    print(" review accepted for abuse and escalations)\n")
    for label in ("complaint", "ordinary"):
        v = measure.visible(results, label)
        print(
            f"{label:<10} n={v['n']:<3} hidden {v['hidden']:.0%}  kept visible "
            f"{1 - v['hidden']:.0%} (keep {v['keep']:.0%}, review {v['review']:.0%}, "
            f"escalate {v['escalate']:.0%})"
        )
    print(f"\n{'label':<14}" + "".join(f"{d:>9}" for d in DECISIONS))
    for label, counts in measure.confusion(results).items():
        print(f"{label:<14}" + "".join(f"{counts.get(d, 0):>9}" for d in DECISIONS))
    if show_errors:
        print("\nmisses:")
        for r in results:
            if not r.correct or (
                EXPECTED[r.case.label][1] and EXPECTED[r.case.label][1] not in r.reasons
            ):
                print(f"  [{r.case.label}] → {r.decision} {r.reasons}: {r.case.text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["tuning", "held_out", "all"])
    parser.add_argument("--show-errors", action="store_true", help="tuning half only")
    args = parser.parse_args()
    if args.show_errors and args.half != "tuning":
        parser.error("--show-errors lists the misses of the tuning half only (--half tuning)")
    if args.half == "tuning":
        report("tuning half", SPLIT["tuning"], args.show_errors)
    elif args.half == "held_out":
        report("held-out half", SPLIT["held_out"])
    elif args.half == "all":
        report("whole set", CASES)
    else:
        report("held-out half", SPLIT["held_out"])
        report("whole set", CASES)
    return 0


if __name__ == "__main__":
    sys.exit(main())

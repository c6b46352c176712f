"""NAB figures of the alerts' spike detector (parvis.alerts.detector) on the validation corpus.

    python benchmarks/crisis.py [--data ../shared/datasets/nab_validation] [--cv] [--json OUT]

Runs `parvis detect-spikes`' code (parvis.alerts.spikes_csv.detect_csv: the product's detector
and settings) over every data file of the corpus into a temporary folder, then scores that
folder with NAB's scorer (`../shared/tools/nab_score.py --profile all`, threshold swept over
the files as NAB does). Beside it, a plain running z-score (min(1, |z| / 6), mean and deviation
of every row so far), computed here the same way.

Speed: points/s of one SpikeDetector fed row by row, process CPU time, one core.

--cv: the settings were chosen on this corpus, so the whole-corpus figure is optimistic. The
cross-validated figure leaves one corpus out at a time: the candidate settings (GRID) and the
threshold are chosen on the other corpora (NAB sweep) and the left-out corpus is scored with
them at that fixed threshold; the left-out raw scores are summed and normalised as one corpus.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.util
import io
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parvis.alerts.detector import FIRE_THRESHOLD, DetectorSettings, SpikeDetector  # noqa: E402
from parvis.alerts.spikes_csv import detect_csv  # noqa: E402

SHARED = ROOT.parent / "shared"
if not SHARED.exists():  # a worktree: /work/wt/<branch> beside /work/shared
    SHARED = ROOT.parents[1] / "shared"
DATA = SHARED / "datasets" / "nab_validation"
SCORER = SHARED / "tools" / "nab_score.py"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
PUBLISHED = {
    "ARTime": 72.1,
    "numenta (HTM)": 70.9,
    "contextOSE": 68.1,
    "relativeEntropy": 52.6,
    "twitterADVec (S-H-ESD)": 42.1,
    "windowedGaussian": 35.0,
    "running z-score (published)": 32.1,
}


def load_scorer():
    spec = importlib.util.spec_from_file_location("nab_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def load_corpus(data_dir: Path) -> dict:
    """{corpus/file.csv: (timestamps as datetimes, values)}"""
    corpus = {}
    for path in sorted(data_dir.glob("*/*.csv")):
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        corpus[str(path.relative_to(data_dir))] = (
            [datetime.fromisoformat(r["timestamp"]) for r in rows],
            [float(r["value"]) for r in rows],
        )
    return corpus


def run_detector(corpus: dict, settings: DetectorSettings | None = None):
    """Scores per file and the process CPU seconds spent in the detector."""
    out = {}
    cpu = 0.0
    for name, (stamps, values) in corpus.items():
        detector = SpikeDetector(settings)
        update = detector.update
        t0 = time.process_time()
        scores = [update(t, v) for t, v in zip(stamps, values, strict=True)]
        cpu += time.process_time() - t0
        out[name] = np.asarray(scores)
    return out, cpu


def running_zscore(values) -> np.ndarray:
    """NAB's plain baseline: |x - mean| / std of all rows so far (Welford), min(1, z / 6)."""
    out = np.zeros(len(values))
    mean, m2 = 0.0, 0.0
    for n, x in enumerate(values, start=1):
        if n > 2:  # n - 1 rows before this one
            sd = math.sqrt(m2 / (n - 2))
            out[n - 1] = min(1.0, abs(x - mean) / sd / 6.0) if sd > 0 else 0.0
        d = x - mean
        mean += d / n
        m2 += d * (x - mean)
    return out


def evaluate(bench, scores: dict, profile: str = "standard", threshold=None) -> dict:
    return bench.evaluate(scores, profile, threshold)


# Candidate settings for the cross-validation: overrides of DetectorSettings' defaults.
GRID: list[dict] = [
    {
        "profile_rate": rate,
        "error_memory": memory,
        "smooth_rows": smooth,
        "suppress_halflife": halflife,
        "smooth_memory": smooth_memory,
    }
    for rate in (0.1, 0.2)
    for memory in (500.0, 1000.0)
    for smooth in (0.0, 12.0)
    for halflife in (100.0, 150.0)
    for smooth_memory in (500.0, 2000.0)
]


def cross_validate(bench, nab, corpus: dict, grid: list[dict]) -> dict:
    runs = [run_detector(corpus, dataclasses.replace(DetectorSettings(), **g))[0] for g in grid]
    groups = sorted({f.split("/")[0] for f in bench.files})
    out = {}
    for profile in PROFILES:
        raw_total = 0.0
        chosen = []
        for held in groups:
            train = [f for f in bench.files if not f.startswith(held + "/")]
            test = [f for f in bench.files if f.startswith(held + "/")]
            best = None
            for k, scores in enumerate(runs):
                layouts = [bench.layout(f, profile) for f in train]
                thr, total, _, _ = nab.sweep(layouts, [scores[f] for f in train])
                if best is None or total > best[0]:
                    best = (total, k, thr)
            _, k, thr = best
            chosen.append((held, k, thr))
            for f in test:
                raw_total += nab.score_layout(bench.layout(f, profile), runs[k][f], thr)[0]
        null, perfect = nab.normaliser([bench.layout(f, profile) for f in bench.files])
        out[profile] = {
            "normalised": nab.normalise(raw_total, null, perfect),
            "chosen": chosen,
        }
    return out


# The hourly series' candidates (parvis.alerts.stream.HOURLY_SETTINGS): seasonal profiles of 24
# bins a day and 168 a week (one per hour), memories and suppression in hours.
HOURLY_BASE = {"day_bins": 24, "week_bins": 168, "warmup": 24, "error_warmup": 24}
HOURLY_GRID: list[dict] = [
    {
        **HOURLY_BASE,
        "profile_rate": rate,
        "error_memory": memory,
        "smooth_rows": smooth,
        "suppress_halflife": halflife,
    }
    for rate in (0.1, 0.2, 0.3)
    for memory in (168.0, 500.0)
    for smooth in (0.0, 6.0)
    for halflife in (24.0, 72.0, 150.0)
]


def hourly_files(corpus: dict) -> list[str]:
    """The corpus's files sampled every 30 minutes or slower (the « hourly-ish » ones)."""
    out = []
    for name, (stamps, _) in corpus.items():
        steps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(stamps))
        if steps and steps[len(steps) // 2] >= 1800:
            out.append(name)
    return sorted(out)


def hourly_cv(bench, nab, corpus: dict, grid: list[dict]) -> dict:
    """Leave one file out over the hourly files: settings and threshold chosen (NAB sweep) on
    the others, the held-out file scored with them; then the settings and threshold chosen on
    all of them (what the product uses)."""
    files = hourly_files(corpus)
    sub = {f: corpus[f] for f in files}
    runs = [run_detector(sub, dataclasses.replace(DetectorSettings(), **g))[0] for g in grid]
    out: dict = {"files": files}
    for profile in PROFILES:
        layouts = {f: bench.layout(f, profile) for f in files}

        def best_on(train, layouts=layouts):
            best = None
            for k, scores in enumerate(runs):
                thr, total, _, _ = nab.sweep(
                    [layouts[f] for f in train], [scores[f] for f in train]
                )
                if best is None or total > best[0]:
                    best = (total, k, thr)
            return best

        raw = 0.0
        folds = []
        for held in files:
            _, k, thr = best_on([f for f in files if f != held])
            raw += nab.score_layout(layouts[held], runs[k][held], thr)[0]
            folds.append((held, k, thr))
        null, perfect = nab.normaliser(list(layouts.values()))
        total, k, thr = best_on(files)
        out[profile] = {
            "cross_validated": nab.normalise(raw, null, perfect),
            "folds": [{"held_out": h, "settings": grid[i], "threshold": t} for h, i, t in folds],
            "all_files": {
                "normalised": nab.normalise(total, null, perfect),
                "settings": grid[k],
                "threshold": thr,
            },
        }
        default = run_detector(sub, dataclasses.replace(DetectorSettings(), **HOURLY_BASE))[0]
        _, total0, _, _ = nab.sweep(list(layouts.values()), [default[f] for f in files])
        out[profile]["defaults_hourly_bins"] = nab.normalise(total0, null, perfect)
    return out


def score_with_cli(data_dir: Path, out_dir: str) -> dict:
    """parvis detect-spikes' code over every file into `out_dir`, scored by NAB's scorer in
    its own process. Returns {profile: result}."""
    for path in sorted(data_dir.glob("*/*.csv")):
        target = Path(out_dir) / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as src, target.open("w", newline="") as dst:
            text = io.StringIO()
            detect_csv(src, text)
            # NAB's scorer reads timestamp and anomaly_score; value rides along.
            dst.write(text.getvalue())
    report = Path(out_dir) / "scores.json"
    subprocess.run(
        [
            sys.executable,
            str(SCORER),
            out_dir,
            "--data-dir",
            str(data_dir),
            "--profile",
            "all",
            "--json",
            str(report),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results = json.loads(report.read_text())["results"]
    return {r["profile"]: r for r in results}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cv", action="store_true", help="also the leave-one-corpus-out figure")
    ap.add_argument("--quick", action="store_true", help="in-process scoring only (tuning)")
    ap.add_argument("--set", action="append", default=[], help="setting=value override")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--hourly", action="store_true", help="only the hourly series' cross-validation"
    )
    ap.add_argument("--keep", type=Path, help="write the detection CSVs here (else a temp dir)")
    args = ap.parse_args(argv)
    os.nice(0)

    nab = load_scorer()
    data_dir = args.data / "data"
    bench = nab.Benchmark(
        str(data_dir),
        str(args.data / "labels" / "combined_windows.json"),
        str(args.data / "profiles.json"),
    )
    corpus = load_corpus(data_dir)
    if args.hourly:
        result = hourly_cv(bench, nab, corpus, HOURLY_GRID)
        print("hourly-ish files: " + ", ".join(result["files"]))
        for profile in PROFILES:
            r = result[profile]
            print(
                f"{profile:20s} leave-one-file-out {r['cross_validated']:5.1f}  "
                f"chosen on all {r['all_files']['normalised']:5.1f} "
                f"(threshold {r['all_files']['threshold']:.4f}, {r['all_files']['settings']}); "
                f"default settings with hourly bins {r['defaults_hourly_bins']:5.1f}"
            )
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
        return 0
    points = sum(len(v) for _, v in corpus.values())
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        kind = type(getattr(DetectorSettings(), key))
        overrides[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    settings = dataclasses.replace(DetectorSettings(), **overrides)
    report: dict = {
        "files": len(corpus),
        "points": points,
        "settings": dataclasses.asdict(settings),
    }

    scores, cpu = run_detector(corpus, settings)
    report["points_per_s"] = points / cpu
    print(f"{len(corpus)} files, {points} points; detector {points / cpu:,.0f} points/s (CPU)")

    baseline = {name: running_zscore(v) for name, (_, v) in corpus.items()}
    rows = []
    for profile in PROFILES:
        ours = evaluate(bench, scores, profile)
        base = evaluate(bench, baseline, profile)
        fixed = evaluate(bench, scores, profile, FIRE_THRESHOLD)
        rows.append((profile, ours, base, fixed))
        report[profile] = {
            "detector": ours["normalised"],
            "threshold": ours["threshold"],
            "at_FIRE_THRESHOLD": fixed["normalised"],
            "running_zscore": base["normalised"],
            "windows_hit": f"{ours['windows_hit']}/{ours['windows']}",
        }
    if not args.quick:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            cli_results = score_with_cli(data_dir, str(args.keep))
        else:
            with tempfile.TemporaryDirectory(prefix="parvis-nab-") as folder:
                cli_results = score_with_cli(data_dir, folder)
        for profile in PROFILES:
            report[profile]["cli_scored_by_nab_score"] = cli_results[profile]["normalised"]
    if args.cv:
        cv = cross_validate(bench, nab, corpus, [*GRID] if GRID else [{}])
        grid = [*GRID] if GRID else [{}]
        for profile in PROFILES:
            report[profile]["cross_validated"] = cv[profile]["normalised"]
            report[profile]["cv_folds"] = [
                {"held_out": held, "settings": grid[k], "threshold": thr}
                for held, k, thr in cv[profile]["chosen"]
            ]
        print("\ncross-validation, standard profile: settings chosen without each corpus")
        for fold in report["standard"]["cv_folds"]:
            print(f"  {fold['held_out']:22s} threshold {fold['threshold']:.4f}  {fold['settings']}")

    print(f"\n{'profile':20s} {'detector':>9s} {'CV':>7s} {'@FIRE':>7s} {'z-score':>8s}  threshold")
    for profile, ours, base, fixed in rows:
        r = report[profile]
        cvs = f"{r['cross_validated']:7.1f}" if "cross_validated" in r else "      -"
        print(
            f"{profile:20s} {ours['normalised']:9.1f} {cvs} {fixed['normalised']:7.1f} "
            f"{base['normalised']:8.1f}  {ours['threshold']:.4f}  windows {r['windows_hit']}"
        )
    if not args.quick:
        print(
            "(scored again from the CLI's CSVs by nab_score.py: "
            + ", ".join(f"{p} {report[p]['cli_scored_by_nab_score']:.1f}" for p in PROFILES)
            + ")"
        )
    print("\npublished (standard): " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

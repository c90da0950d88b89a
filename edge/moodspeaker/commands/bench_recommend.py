"""`moodspeaker bench recommend`: the listener simulator (ours) and the recommendation latency.

Prints skip rates per listener style and method (history only, the seeds' fixed mood table,
content only, our hybrid with learning) and the worst style's skip-rate reduction against the fixed
table after the warm-up, as one JSON object with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from moodspeaker.config import Config

CATALOGUE = Path("spotify-tracks-32k") / "spotify_songs.csv.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", default=None, help="datasets folder (default: $MOODSPEAKER_DATA); needs spotify-tracks-32k/"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="small run for tests (seconds, not minutes)")
    parser.add_argument("--households", type=int, default=None, help="households of three listeners")
    parser.add_argument("--tracks", type=int, default=None, help="tracks per listener (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-latency", action="store_true", help="skip the 100k-track latency run")


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.recommend.evaluate import latency
    from moodspeaker.recommend.evaluate import run as simulate
    from moodspeaker.recommend.simulator import load_spotify

    data = args.data or os.environ.get("MOODSPEAKER_DATA", "")
    path = Path(data) / CATALOGUE if data else None
    if path is None or not path.is_file():
        where = path or "(no --data and no MOODSPEAKER_DATA)"
        print(f"moodspeaker bench recommend: the Spotify catalogue is missing: {where}", file=sys.stderr)
        return 2
    try:
        tracks = load_spotify(path, limit=6000 if args.quick else None)
    except (OSError, ValueError) as exc:
        print(f"moodspeaker bench recommend: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    households = args.households or (1 if args.quick else 6)
    n_tracks = args.tracks or (100 if args.quick else 200)
    result: dict[str, Any] = simulate(
        tracks, households=households, n_tracks=n_tracks, seed=args.seed, cfg=config.recommend
    )
    if not args.no_latency:
        result["latency"] = latency(
            tracks, size=20_000 if args.quick else 100_000, runs=20 if args.quick else 60
        )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print_table(result)
    return 0


def _print_table(r: dict[str, Any]) -> None:
    print(
        f"Listener simulator (ours; see moodspeaker/recommend/simulator.py): {r['listeners']} listeners, "
        f"{r['tracks_per_listener']} tracks each, catalogue {r['catalogue_tracks']} Spotify tracks, "
        f"strategy {r['strategy']}"
    )
    skip = r["skip_rate"]
    styles = [s for s in next(iter(skip.values())) if s != "all"]
    warm, first = r["warmup_tracks"], r["tracks_per_listener"]
    print(f"skip rate after the first {warm} tracks (over all {first} in brackets)")
    print(f"{'method':24s}" + "".join(f"{s:>20s}" for s in [*styles, "all", "atypical days"]))
    for method, by_style in skip.items():
        cells = [
            f"{by_style[s]['after_warmup']:.3f} ({by_style[s]['first_tracks']:.3f})" for s in [*styles, "all"]
        ]
        cells.append(f"{by_style['all']['atypical_days']:.3f}")
        print(f"{method:24s}" + "".join(f"{c:>20s}" for c in cells))
    if "reduction_vs_fixed_table_by_style" in r:
        red = r["reduction_vs_fixed_table_by_style"]
        print(
            "hybrid vs fixed table, skip-rate reduction after warm-up: "
            + ", ".join(f"{k} {v:.0%}" for k, v in red.items())
            + f"; worst {r['skip_rate_reduction_vs_fixed_table']:.0%} (goal >= 40%)"
        )
        single = r["worst_single_listener_reduction_by_style"]
        print(
            "  least helped single listener per style: "
            + ", ".join(f"{k} {v:.0%}" for k, v in single.items())
        )
    if "atypical_days_hybrid_vs_history_only" in r:
        a = r["atypical_days_hybrid_vs_history_only"]
        print(f"atypical-mood days: hybrid {a['hybrid']:.3f} vs history only {a['history_only']:.3f}")
    if "latency" in r:
        lat = r["latency"]
        print(
            f"latency of one plan (top {lat['k']} with reasons) over {lat['catalogue_tracks']} tracks"
            f"{' (Spotify resampled with jitter)' if lat['resampled_with_jitter'] else ''}: "
            f"p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms wall; CPU p50 {lat['cpu_p50_ms']} ms, "
            f"p95 {lat['cpu_p95_ms']} ms (goal <= {lat['goal_ms']:.0f} ms; load average "
            f"{lat['load_average']} on {lat['cpus']} CPUs during the run)"
        )

"""Index query latency and memory at 10k, 100k and 1M tracks.

Catalogues are SYNTHETIC: rows resampled from the Spotify 32k catalogue ($MOODSPEAKER_DATA/
spotify-tracks-32k) with small jitter (valence 2v-1, arousal from Spotify energy 2e-1, brightness
proxied by 1 - acousticness), bulk-inserted straight into a real LibraryIndex database.
Baseline: the same top-k as one SQL query (ORDER BY the weighted distance, LIMIT k).

    MOODSPEAKER_DATA=../shared/datasets .venv/bin/python bench/bench_index.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psutil

from moodspeaker.library.index import COLUMN_SCALES, FEATURE_COLUMNS, LibraryIndex


def spotify_rows(data: Path) -> np.ndarray:
    """(n, 7) FEATURE_COLUMNS from the Spotify catalogue."""
    rows = []
    with gzip.open(data / "spotify-tracks-32k" / "spotify_songs.csv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                v, e, t = float(r["valence"]), float(r["energy"]), float(r["tempo"])
                rows.append((2 * v - 1, 2 * e - 1, e, t, float(r["loudness"]), float(r["mode"]),
                             1 - float(r["acousticness"])))  # fmt: skip
            except (KeyError, ValueError):
                continue
    return np.array(rows)


def resample(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    x: npt.NDArray[np.float64] = base[rng.integers(0, len(base), n)].copy()
    noise = np.array([0.06, 0.06, 0.03, 2.0, 0.5, 0.0, 0.03])
    x += rng.standard_normal(x.shape) * noise
    lo = np.array([-1, -1, 0, 30, -60, 0, 0])
    hi = np.array([1, 1, 1, 250, 3, 1, 1])
    return np.clip(x, lo, hi)


def build(path: Path, x: np.ndarray) -> LibraryIndex:
    index = LibraryIndex(path)
    cols = ", ".join(FEATURE_COLUMNS)
    marks = ",".join("?" * len(FEATURE_COLUMNS))
    with index.batch() as b:
        b.conn.executemany(
            f"INSERT INTO tracks (id, location, title, artist, status, changed, {cols})"
            f" VALUES (?, ?, ?, 'synthetic', 'analysed', 1, {marks})",
            ((f"{i:012x}", f"/synthetic/{i}.ogg", f"track {i}", *map(float, row)) for i, row in enumerate(x)),
        )
    return index


def sql_top_k(index: LibraryIndex, target: dict[str, float], k: int) -> list[str]:
    terms = " + ".join(f"(({c} - ?) / {COLUMN_SCALES[c]}) * (({c} - ?) / {COLUMN_SCALES[c]})" for c in target)
    params: list[object] = []
    for v in target.values():
        params += [v, v]
    rows = index.db.query(f"SELECT id FROM tracks WHERE status='analysed' ORDER BY {terms} LIMIT {k}", params)
    return [r[0] for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    data = Path(os.environ.get("MOODSPEAKER_DATA", "../shared/datasets"))
    if not (data / "spotify-tracks-32k").is_dir():
        print(f"bench_index: SKIPPED - no Spotify catalogue under {data} (set MOODSPEAKER_DATA)")
        return 0
    base = spotify_rows(data)
    rng = np.random.default_rng(0)
    proc = psutil.Process()
    print(f"synthetic catalogues: resampled with jitter from {len(base)} Spotify tracks; k={args.k}, "
          f"{args.queries} queries on (valence, arousal, energy) targets")  # fmt: skip
    print(f"{'tracks':>9} {'insert s':>9} {'matrix s':>9} {'query ms p50':>13} {'p95':>7} "
          f"{'SQL ms p50':>11} {'ratio':>6} {'matrix MB':>10} {'RSS +MB':>8} {'DB MB':>7}")  # fmt: skip
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "library.db"
            t = time.perf_counter()
            index = build(path, resample(base, n, rng))
            insert = time.perf_counter() - t
            rss0 = proc.memory_info().rss
            t = time.perf_counter()
            ids, matrix = index.feature_matrix()
            build_s = time.perf_counter() - t
            rss = (proc.memory_info().rss - rss0) / 1e6
            names = ("valence", "arousal", "energy")
            targets = [
                dict(zip(names, rng.uniform([-1, -1, 0], [1, 1, 1]), strict=True))
                for _ in range(args.queries)
            ]
            lat = []
            for target in targets:
                t = time.perf_counter()
                hits = index.query(target, args.k)
                lat.append((time.perf_counter() - t) * 1000)
            assert len(hits) == args.k
            sql = []
            for target in targets[: max(3, args.queries // (20 if n >= 1_000_000 else 4))]:
                t = time.perf_counter()
                sql_top_k(index, target, args.k)
                sql.append((time.perf_counter() - t) * 1000)
            p50, p95 = statistics.median(lat), float(np.percentile(lat, 95))
            sql50 = statistics.median(sql)
            wal = path.with_name(path.name + "-wal")
            db_mb = (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6
            print(f"{n:>9} {insert:>9.1f} {build_s:>9.2f} {p50:>13.2f} {p95:>7.2f} {sql50:>11.1f} "
                  f"{sql50 / p50:>5.0f}x {matrix.nbytes / 1e6:>10.1f} {rss:>8.0f} {db_mb:>7.0f}")  # fmt: skip
            index.close()
            del ids, matrix
    print("goal: top-k <= 10 ms at 100k tracks. Matrix rebuild happens only after the index changes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

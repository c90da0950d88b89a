"""Analysis throughput on real music: one-time warm-up, tracks/s per worker and with 2 workers.

Music: the Debian soundtrack packages (singularity-music, wesnoth-1.16-music, supertux-data,
lordsawar-data, ...) or any folder given with --music.  Skips with a message when none is there.
Baseline: the same tracks analysed whole instead of as three 20 s excerpts (the default).

    .venv/bin/python bench/bench_analysis.py [--music DIR] [--tracks 32]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from moodspeaker.library.suffixes import AUDIO_SUFFIXES
from moodspeaker.library.workers import AnalysisPool

DEBIAN_MUSIC = [
    "/usr/share/games/singularity/music",
    "/usr/share/games/wesnoth/1.16/data/core/music",
    "/usr/share/games/supertux2/music",
    "/usr/share/games/lordsawar/music",
    "/usr/share/games/xmoto/Textures/Musics",
]


def find_music(folders: list[str]) -> list[str]:
    found: list[str] = []
    for folder in folders:
        root = Path(folder)
        if root.is_dir():
            found += sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    return found


def throughput(
    paths: list[str], workers: int, cache: Path, excerpt_s: float
) -> tuple[float, float, int, float]:
    """(warm-up seconds, steady tracks/s, failures, mean CPU seconds per track) for one pool size."""
    with AnalysisPool(workers, excerpt_s, cache) as pool:
        warm = pool.start()
        t0 = time.perf_counter()
        results = list(pool.analyse(paths))
        rate = len(paths) / (time.perf_counter() - t0)
        cpu = statistics.mean(r.cpu_s for r in results)
        return warm, rate, sum(1 for r in results if r.error), cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--music", action="append", help="folder with audio files (repeatable)")
    ap.add_argument("--tracks", type=int, default=32, help="tracks per measurement (cycled if fewer)")
    ap.add_argument("--excerpt", type=float, default=20.0, help="seconds per excerpt (three excerpts)")
    args = ap.parse_args()
    music = find_music(args.music or DEBIAN_MUSIC)
    if not music:
        print("bench_analysis: SKIPPED - no real music found; `apt-get install singularity-music` "
              "(or wesnoth-1.16-music, supertux-data) or pass --music DIR")  # fmt: skip
        return 0
    paths = [music[i % len(music)] for i in range(args.tracks)]
    print(f"music: {len(music)} files ({Path(music[0]).parent}); {len(paths)} analyses per run")
    print(f"analysis: 3 excerpts x {args.excerpt:.0f} s per track (whole file when shorter)")
    with tempfile.TemporaryDirectory() as tmp:
        cold_cache = Path(tmp) / "numba"
        t = time.perf_counter()
        with AnalysisPool(1, args.excerpt, cold_cache) as pool:
            pool.start()
        cold = time.perf_counter() - t
        print(f"one-time warm-up, empty JIT cache (compile librosa kernels): {cold:.1f} s")
        warm1, rate1, fail1, cpu1 = throughput(paths, 1, cold_cache, args.excerpt)
        print(f"warm-up of a new worker with the cache filled: {warm1:.1f} s")
        print(f"1 worker : {rate1:.2f} tracks/s steady ({1 / rate1:.2f} s per track), failures {fail1}; "
              f"CPU per track {cpu1:.2f} s = {1 / cpu1:.2f} tracks/s per idle core")  # fmt: skip
        warm2, rate2, fail2, cpu2 = throughput(paths, 2, cold_cache, args.excerpt)
        print(f"2 workers: {rate2:.2f} tracks/s steady (x{rate2 / rate1:.2f} of one worker; "
              f"warm-up {warm2:.1f} s), failures {fail2}  [goal >= 2 tracks/s]")  # fmt: skip
        print(f"           CPU per track {cpu2:.2f} s: {2 / cpu2:.2f} tracks/s if both cores were ours")
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores (shared machine)")
        few = paths[: max(4, args.tracks // 4)]
        _, whole, _, cpu_whole = throughput(few, 2, cold_cache, 0.0)
        _, excerpt, _, cpu_ex = throughput(few, 2, cold_cache, args.excerpt)
        print(f"baseline, whole files with 2 workers: {whole:.2f} tracks/s on {len(few)} tracks; "
              f"excerpts are x{excerpt / whole:.1f} faster (CPU x{cpu_whole / cpu_ex:.1f})")  # fmt: skip
        shutil.rmtree(cold_cache, ignore_errors=True)
    print("machine: 2 shared cores (other jobs running); a Raspberry Pi 4 is roughly 3-5x slower")
    return 0


if __name__ == "__main__":
    sys.exit(main())

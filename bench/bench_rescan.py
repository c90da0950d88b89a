"""Incremental re-scan of an unchanged 10k-file tree (goal <= 5 s).

The tree is 10,000 small files with audio suffixes in 100 folders; the index is pre-filled with
rows for them carrying their real size and mtime and synthetic features (analysing 10k tracks is
what bench_analysis measures).  The re-scan walks the tree, stats every file, compares with the
index and finds nothing to do; the OS page cache is warm (a cold NAS mount is slower).

    .venv/bin/python bench/bench_rescan.py [--files 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.scanner import walk
from moodspeaker.library.workers import AnalysisPool


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "music"
        suffixes = (".mp3", ".ogg", ".flac", ".m4a")
        for i in range(args.files):
            folder = root / f"artist{i % 100:03d}" / f"album{i % 7}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"track{i:05d}{suffixes[i % 4]}").write_bytes(os.urandom(64))
        index = LibraryIndex(Path(tmp) / "library.db")
        values = dict(zip(FEATURE_COLUMNS, (0.0, 0.0, 0.5, 120.0, -14.0, 1, 0.5), strict=True))
        t = time.perf_counter()
        walked = walk([root])
        walk_s = time.perf_counter() - t
        with index.batch() as b:
            for f in walked.files:
                b.upsert_file(f.path, f.size, f.mtime_ns, "synthetic", Tags(Path(f.path).stem))
                b.set_analysed(f.path, {}, values)
        print(f"tree: {len(walked.files)} files in 700 folders; plain walk+stat {walk_s:.2f} s")
        pool = AnalysisPool(1)  # never started: nothing is pending
        for run in (1, 2, 3):
            t = time.perf_counter()
            summary = Indexer(index, pool).scan([root])
            took = time.perf_counter() - t
            assert summary.skipped == len(walked.files) and summary.analysed == 0, summary
            print(f"re-scan {run}: {took:.2f} s for {summary.skipped} unchanged files "
                  f"({took / summary.skipped * 1e6:.0f} us per file)  [goal <= 5 s]")  # fmt: skip
        pool.close()
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

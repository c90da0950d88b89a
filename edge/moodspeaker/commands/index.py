"""`moodspeaker index [PATH...]`: scan folders (default: library.folders) and analyse new or changed files.

Exit code 1 when a folder could not be scanned at all (missing, not a folder, or an emptied mount
point); files that failed to decode are listed but are not an error of the scan.
"""

from __future__ import annotations

import argparse
import json
import sys

from moodspeaker.commands import argtypes
from moodspeaker.commands.owner import as_owner_of
from moodspeaker.config import Config, data_dir
from moodspeaker.util.program import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", help="folders to scan (default: the configured library.folders)")
    parser.add_argument("--retry-failed", action="store_true", help="analyse files that failed before again")
    parser.add_argument(
        "--workers", type=argtypes.positive, help="analysis worker processes (default: library.workers)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--reestimate",
        action="store_true",
        help="only recompute valence/arousal of analysed tracks from stored features (after a model update)",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from moodspeaker.library import db_path, numba_cache_dir
    from moodspeaker.library.db import SchemaError
    from moodspeaker.library.index import LibraryIndex
    from moodspeaker.library.indexer import Indexer
    from moodspeaker.library.left_out import failed_earlier
    from moodspeaker.library.workers import AnalysisPool, WorkerStartError

    with as_owner_of(data_dir(config)):  # sudo: the service must still be able to write the index
        folders = args.paths or list(config.library.folders)
        if not folders:
            print("index: no folders given and library.folders is empty", file=sys.stderr)
            return 2
        try:
            index = LibraryIndex(db_path(config))
        except SchemaError as exc:
            print(f"index: {exc}", file=sys.stderr)
            return 2
        bar: tqdm | None = None

        def on_total(total: int) -> None:
            nonlocal bar
            bar = tqdm(
                total=total, unit="track", desc="analysing", file=sys.stderr, disable=args.quiet or None
            )

        def on_done(path: str, error: str | None) -> None:
            if bar is not None:
                bar.update(1)

        if args.reestimate:
            with index, AnalysisPool(1) as idle:  # the pool is never started: no audio is decoded
                count = Indexer(index, idle).reestimate()
            print(f"valence/arousal re-estimated for {count} tracks")
            return 0
        workers = args.workers or config.library.workers
        try:
            with index, AnalysisPool(workers, config.library.excerpt_s, numba_cache_dir(config)) as pool:
                summary = Indexer(index, pool, min_track_s=config.library.min_track_s).scan(
                    folders, retry_failed=args.retry_failed, on_total=on_total, on_done=on_done
                )
                earlier = failed_earlier(index, summary, folders)
        except WorkerStartError as exc:
            print(f"index: {exc}; files found so far stay pending for the next run", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # Ctrl-C: every finished analysis is committed already
            if bar is not None:
                bar.close()
            print(
                "index: interrupted; the tracks analysed so far are kept, run it again to analyse the rest",
                file=sys.stderr,
            )
            return 130
        if bar is not None:
            bar.close()
        if args.json:
            print(json.dumps({
                "files": summary.files, "analysed": summary.analysed, "skipped": summary.skipped,
                "reused": summary.reused, "moved": summary.moved, "removed": summary.removed,
                "short": summary.short,
                "seconds": round(summary.seconds, 2),
                "failed": [{"path": p, "reason": r} for p, r in summary.failed],
                "failed_earlier": earlier,
                "problems": [{"path": p, "kind": k, "reason": r} for p, k, r in summary.problems],
            }))  # fmt: skip
            return _unreachable(summary.problems)
        print(
            f"{summary.files} audio files: {summary.analysed} analysed, {summary.skipped} unchanged, "
            f"{summary.reused} kept from an earlier analysis, {summary.removed} removed, "
            + (f"{summary.moved} moved, " if summary.moved else "")  # renamed/moved: kept their ids
            + f"{summary.short} too short, {len(summary.failed)} failed ({summary.seconds:.1f} s)"
        )
        for path, reason in summary.failed:
            print(f"  failed: {path}: {reason}")
        if earlier:
            print(
                f"  {earlier} failed earlier, not tried again while unchanged: `{command('library stats')}` "
                f"lists them, `{command('index --retry-failed')}` tries them again"
            )
        for path, kind, reason in summary.problems:
            print(f"  {kind}: {path}: {reason}")
        return _unreachable(summary.problems)


#: Problems that mean a whole music folder could not be scanned (not one bad file): a library root
#: missing or empty (an unmounted disk), or a link in it to a folder elsewhere that is not mounted.
UNREACHABLE = frozenset({"missing", "empty", "unmounted-link"})


def _unreachable(problems: list[tuple[str, str, str]]) -> int:
    """Exit code 1 when a music folder could not be scanned at all (a typo'd path, an unmounted disk):
    what was asked was not done, even though the files that were reached are indexed."""
    folders = [path for path, kind, _ in problems if kind in UNREACHABLE]
    if not folders:
        return 0
    print(
        f"index: could not scan {', '.join(folders)}: mount or create it, or check the path "
        "(or library.folders)",
        file=sys.stderr,
    )
    return 1

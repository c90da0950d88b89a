"""The demo's small real library: Debian game soundtracks when installed, else generated clips.

Every file is analysed by the library's own analyser (features, loudness) and its valence/arousal
estimator, and stored in a real LibraryIndex, so the recommender sees exactly what it would see on a
device.  Files already analysed (same size and mtime) are not analysed again on the next demo run.
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Callable
from pathlib import Path

from moodspeaker.config import Config, data_dir
from moodspeaker.demo.clips import to_write, write_all
from moodspeaker.library import db_path, numba_cache_dir
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool, jit_cache_warm

log = logging.getLogger(__name__)

#: Where Debian/Ubuntu packages keep their files; the patterns below search only under it.
SOUNDTRACK_ROOT = "/usr/share"
#: Where Debian/Ubuntu game packages keep their music (e.g. supertux-data, frozen-bubble-data, and
#: wesnoth-1.16-music, README's example, in a versioned folder: games/wesnoth/1.16/data/core/music).
#: Each pattern is a fixed depth (a `*` is one folder), never a walk through all of /usr/share.
SOUNDTRACK_GLOBS = tuple(
    f"{SOUNDTRACK_ROOT}/{pattern}"
    for pattern in (
        "games/*/music/*.ogg",
        "games/*/data/music/*.ogg",
        "games/*/sounds/music/*.ogg",
        "games/*/data/core/music/*.ogg",
        "games/*/*/data/core/music/*.ogg",
        "*/music/*.ogg",
    )
)
MAX_TRACKS = 24
#: The folder, in the demo's data folder, of the clips it generates without soundtracks.
CLIPS = "clips"

Say = Callable[[str], None]


def soundtrack_files(limit: int = MAX_TRACKS, root: Path | None = None) -> list[Path]:
    """Installed soundtrack files (sorted, at most `limit`); [] on a machine without any.
    `root`: searched instead of /usr/share (a test's tree)."""
    patterns = SOUNDTRACK_GLOBS
    if root is not None:
        patterns = tuple(glob.escape(str(root)) + p.removeprefix(SOUNDTRACK_ROOT) for p in patterns)
    found: list[Path] = []
    for pattern in patterns:
        found.extend(Path(p) for p in sorted(glob.glob(pattern)))
    unique = list(dict.fromkeys(p for p in found if p.is_file() and p.stat().st_size > 10_000))
    return unique[:limit]


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def index_files(
    folders: list[Path], index: LibraryIndex, say: Say, numba_cache: Path, min_track_s: float = 0.0
) -> int:
    """Analyse what is new in `folders` with the library's own indexer; returns the analysed count.

    `min_track_s` (library.min_track_s) keeps jingles and effects out as on a speaker: a game's
    music folder may hold a few-second "level done" tune beside its songs."""
    # a cold JIT cache is compiled into first (minutes on a Pi): said only then, not on each start
    first = "" if jit_cache_warm(numba_cache) else " (the first run compiles the analyser)"
    with AnalysisPool(1, 20.0, numba_cache) as pool:
        summary = Indexer(index, pool, min_track_s=min_track_s).scan(
            [str(f) for f in folders],
            on_total=lambda n: say(f"analysing {_count(n, 'new file')}{first}") if n else None,
            on_done=lambda path, error: say(f"  {Path(path).name}: {error or 'analysed'}"),
        )
    for path, reason in summary.failed:
        say(f"  skipped {path}: {reason}")
    for path, kind, reason in summary.problems:
        if kind == "too-short":
            say(f"  skipped {path}: {reason}")
    return sum(1 for t in index.tracks())


def own_folders(folder: Path, files: list[Path] | None = None) -> list[Path]:
    """The folders the demo brings its music from: the installed soundtracks' folders (of `files`,
    `soundtrack_files()` when not given), else `folder`/clips, where it generates its clips.  The
    demo's settings file lists them as library.folders, so its page shows where the music comes from
    and a Rescan scans them (the schema's ~/Music, shown before, was never what the demo played)."""
    files = soundtrack_files() if files is None else files
    if files:
        return sorted({f.parent for f in files})
    return [folder / CLIPS]


def prepare(
    config: Config, say: Say, *, clip_s: float = 45.0, soundtracks: list[Path] | None = None
) -> tuple[LibraryIndex, str]:
    """The demo library: library.folders analysed (the demo's own folders, listed there by the
    demo's settings file, and any the person added on the page), and a sentence saying what it is.
    `soundtracks`: the installed soundtrack files when the caller found them already (the demo's
    start: the packages' folders are searched once), else `soundtrack_files()`.

    The clips are generated when their folder is listed.  They last at least library.min_track_s
    (and some more): shorter ones would be kept out as too short and the demo would have nothing
    to play."""
    minimum = config.library.min_track_s
    folders = [Path(f).expanduser() for f in config.library.folders]
    clips_folder = data_dir(config) / CLIPS
    said: list[str] = []
    if clips_folder in folders:
        seconds = max(clip_s, minimum + 5.0)
        if missing := to_write(clips_folder, seconds):  # said only when it happens: not on each start
            say(f"generating {_count(len(missing), 'demo clip')} (tempo, mode and energy differ)")
        said.append(f"{len(write_all(clips_folder, seconds))} generated clips")
    installed = soundtrack_files() if soundtracks is None else soundtracks
    soundtracks = [f for f in installed if f.parent in folders]
    if soundtracks:
        said.append(f"{len(soundtracks)} soundtrack files from installed Debian packages")
    said += [f"{f}: not found" for f in folders if not f.is_dir()]
    index = LibraryIndex(db_path(config))
    found = [f for f in folders if f.is_dir()]
    count = index_files(found, index, say, numba_cache_dir(config), minimum)
    where = ", ".join(str(f) for f in folders) or "none"
    what = "; ".join(said) or "no demo music"
    return index, f"{what}; {count} tracks in the index (library.folders: {where})"

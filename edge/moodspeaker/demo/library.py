"""The demo's small real library: Debian game soundtracks when installed, else generated clips.

Every file is analysed by the library's own analyser (features, loudness) and its valence/arousal
estimator, and stored in a real LibraryIndex, so the recommender sees exactly what it would see on a
device.  Files already analysed (same size and mtime) are not analysed again on the next demo run.
"""

from __future__ import annotations

import glob
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from moodspeaker.demo.clips import STYLES, write_all
from moodspeaker.library.analysis import AnalysisError, analyse_file
from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags

log = logging.getLogger(__name__)

#: Where Debian/Ubuntu game packages keep their music (e.g. supertux-data, frozen-bubble-data).
SOUNDTRACK_GLOBS = (
    "/usr/share/games/*/music/*.ogg",
    "/usr/share/games/*/data/music/*.ogg",
    "/usr/share/games/*/sounds/music/*.ogg",
    "/usr/share/*/music/*.ogg",
)
MAX_TRACKS = 24

Say = Callable[[str], None]


def soundtrack_files(limit: int = MAX_TRACKS) -> list[Path]:
    """Installed soundtrack files (sorted, at most `limit`); [] on a machine without any."""
    found: list[Path] = []
    for pattern in SOUNDTRACK_GLOBS:
        found.extend(Path(p) for p in sorted(glob.glob(pattern)))
    unique = list(dict.fromkeys(p for p in found if p.is_file() and p.stat().st_size > 10_000))
    return unique[:limit]


def _tags(path: Path, duration_s: float) -> Tags:
    titles = {f"{s.name}.ogg": s.title for s in STYLES}
    title = titles.get(path.name, path.stem.replace("_", " ").replace("-", " ").title())
    artist = "Moodspeaker demo" if path.name in titles else path.parts[-3] if len(path.parts) > 3 else ""
    return Tags(title=title, artist=artist, album="Demo", duration_s=duration_s)


def index_files(files: list[Path], index: LibraryIndex, say: Say) -> int:
    """Analyse and store the files not yet analysed; returns how many tracks the index holds."""
    model = EmotionModel.load()
    known = index.file_states()
    todo = []
    for path in files:
        stat = path.stat()
        state = known.get(str(path))
        unchanged = state is not None and (state.size, state.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        if not (unchanged and state is not None and state.status == "analysed"):
            todo.append(path)
    for n, path in enumerate(todo, 1):
        say(f"analysing {path.name} ({n}/{len(todo)})")
        try:
            analysis = analyse_file(path)
        except (AnalysisError, Exception) as exc:  # a bad file is skipped, never fatal
            say(f"  skipped {path.name}: {exc}")
            continue
        estimate = model.estimate(analysis.features)
        values = {c: float(analysis.features.get(c, 0.0)) for c in FEATURE_COLUMNS}
        values.update(valence=estimate.valence, arousal=estimate.arousal, duration_s=analysis.duration_s)
        stat = path.stat()
        digest = hashlib.sha1(path.read_bytes()[: 1 << 20], usedforsecurity=False).hexdigest()
        with index.batch() as batch:
            batch.upsert_file(
                str(path), stat.st_size, stat.st_mtime_ns, digest, _tags(path, analysis.duration_s)
            )
            batch.set_analysed(str(path), analysis.features, values)
    return len(index.tracks())


def prepare(data_dir: Path, say: Say, *, clip_s: float = 45.0) -> tuple[LibraryIndex, str]:
    """The demo library in `data_dir` and a sentence saying what it is."""
    files = soundtrack_files()
    if files:
        what = f"{len(files)} soundtrack files from installed Debian packages"
    else:
        say("no soundtrack packages installed: generating demo clips (tempo, mode and energy differ)")
        files = write_all(data_dir / "clips", clip_s)
        what = f"{len(files)} generated clips"
    index = LibraryIndex(data_dir / "library.sqlite")
    count = index_files(files, index, say)
    return index, f"{what}, {count} analysed"

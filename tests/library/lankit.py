"""What the LAN library tests share: a served library's tracks, added as a scan would add them."""

from __future__ import annotations

from pathlib import Path

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id


def add_track(index: LibraryIndex, path: Path, valence: float) -> str:
    """`path` (an existing file) indexed and analysed in one batch (one change of the counter), titled
    by its stem; returns its id."""
    values = dict(zip(FEATURE_COLUMNS, (valence, 0.1, 0.5, 120.0, -12.0, 1, 0.4), strict=True))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "h" + path.name, Tags(path.stem, "Artist"))
        b.set_analysed(str(path), {"key": 3.0}, values)
    return track_id(str(path))

"""An unplugged music folder: health says so from the start, and finds its tracks without listing all.

Why: health's `library_state` made a Track of every analysed row (`source.tracks()`) to find whether
a missing folder held any, at every rescan and at health reports after a change, over libraries of
tens of thousands of tracks; it now asks the index (`has_tracks_under`, one lookup on the location's
own index).  And `build_parts` set "ok, N tracks" at start while a configured folder was unplugged,
until the first rescan said "missing"; it now says what health says after a rescan.  A real library
index on SQLite (its tracks() counted), the real `Libraries` merge, the real expression model
(build_parts loads it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.config import Config, with_changes
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags
from moodspeaker.library.track import Track
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.components import Libraries, build_parts
from moodspeaker.service.health import library_state
from moodspeaker.vision.expression import default_model_json


class Counted(LibraryIndex):
    """A real index that counts the calls of tracks() (each builds a Track of every analysed row)."""

    listed = 0

    def tracks(self) -> list[Track]:
        self.listed += 1
        return super().tracks()


def indexed(tmp_path: Path, folder: Path, n: int = 3) -> Counted:
    """An index of `n` analysed tracks in `folder` (which is then not there: an unplugged disk), and
    one in a folder next to it whose name starts the same ("<folder>-2": not inside it)."""
    index = Counted(tmp_path / "library.db")
    files = [folder / f"t{i}.ogg" for i in range(n)] + [Path(f"{folder}-2") / "other.ogg"]
    with index.batch() as b:
        for i, f in enumerate(files):
            b.upsert_file(str(f), 64, 1, f"hash{i}", Tags(f.stem))
            b.set_analysed(str(f), {}, dict(zip(FEATURE_COLUMNS, (0.1 * i, 0.0, 0.5, 100.0, -16.0, 1, 0.5),
                                                strict=True)))  # fmt: skip
    return index


@pytest.mark.parametrize("merged", [False, True])
def test_a_missing_folder_with_tracks_is_found_without_listing_them(tmp_path: Path, merged: bool) -> None:
    usb = tmp_path / "usb"  # never made: unplugged
    index = indexed(tmp_path, usb)
    try:
        source = Libraries([index]) if merged else index
        state, detail = library_state(source, [str(usb)])
        assert state == ComponentState.MISSING and str(usb) in detail, detail
        assert detail.startswith("4 tracks"), detail
        assert index.listed == 0, "every track was built to find the missing folder's"

        (tmp_path / "usb-2").mkdir()  # the other folder is there; an empty missing folder is no problem
        assert library_state(source, [str(tmp_path / "usb-2"), str(tmp_path / "elsewhere")]) == (
            ComponentState.OK,
            "4 tracks",
        )
        assert library_state(source, [str(tmp_path / "us")]) == (ComponentState.OK, "4 tracks")  # a prefix
        assert index.listed == 0
    finally:
        index.close()


def test_build_parts_says_a_music_folder_unplugged_at_start_is_missing(tmp_path: Path) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    (tmp_path / "data").mkdir()
    usb = tmp_path / "usb"
    index = indexed(tmp_path, usb)
    try:
        config = with_changes(
            Config(),
            {"device.data_dir": str(tmp_path / "data"), "library.folders": [str(usb)]},
            source="test",
        )
        parts = build_parts(config, tmp_path / "data", library=index)
        state, detail = parts.states["library"]
        assert state == ComponentState.MISSING and str(usb) in detail, detail  # was "ok", "4 tracks"
        assert index.listed == 0
        parts.recommender.store.close()
    finally:
        index.close()

"""`build_parts` counts the library for health's first `library` state without building every track.

It counted with len(source.tracks()), which makes a Track of every analysed row (the local index
reads each row and its extra features) only to count them, at every start, before the recommender
read the same rows again for its first plan.  It now counts as health's library_state does, from
the ids of the feature matrix the source keeps (and the recommender's first plan uses).  A real
in-memory track source whose tracks() is counted; the real expression model (build_parts loads it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.config import Config, with_changes
from moodspeaker.library.track import Track
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.components import build_parts
from moodspeaker.service.health import NO_TRACKS
from moodspeaker.vision.expression import default_model_json


class Counted(Catalogue):
    """A Catalogue that counts the calls of tracks() (each builds the whole list)."""

    def __init__(self, tracks: list[Track]) -> None:
        super().__init__(tracks)
        self.listed = 0

    def tracks(self) -> list[Track]:
        self.listed += 1
        return super().tracks()


def _config(tmp_path: Path) -> Config:
    return with_changes(Config(), {"device.data_dir": str(tmp_path / "data")}, source="test")


@pytest.mark.parametrize("n", [3, 0])
def test_the_library_is_counted_without_listing_its_tracks(tmp_path: Path, n: int) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    (tmp_path / "data").mkdir()
    source = Counted(
        [Track(id=f"t{i}", location=f"/music/{i}.flac", title=f"t{i}", artist="a") for i in range(n)]
    )
    parts = build_parts(_config(tmp_path), tmp_path / "data", library=source)
    expected = (ComponentState.OK, f"{n} tracks") if n else (ComponentState.EMPTY, NO_TRACKS)
    assert parts.states["library"] == expected
    assert source.listed == 0, "every track was built to count them"

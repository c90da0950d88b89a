"""The local index and LAN mirrors as one source: what the recommender says when nothing is playable."""

from __future__ import annotations

from pathlib import Path

from servicekit import config

from moodspeaker.library.index import LibraryIndex, Tags
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.components import Libraries


def test_an_unanalysed_library_says_tracks_are_waiting_not_empty(tmp_path: Path) -> None:
    local = LibraryIndex(tmp_path / "library.sqlite")
    with local.batch() as batch:
        for name in ("a.ogg", "b.flac"):
            batch.upsert_file(f"/music/{name}", 10, 1, f"hash-{name}", Tags(name))  # found, not analysed
    source = Libraries([local, Catalogue([])])  # with a LAN mirror that has nothing yet
    assert source.stats()["pending"] == 2
    rec = Recommender.from_config(config(tmp_path / "data"), source)
    assert rec.plan(None, "default", "match", 0.0, 3) == []
    assert rec.status == "the library is not analysed yet: 2 tracks waiting for analysis"

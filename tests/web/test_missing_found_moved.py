"""A track that failed to open because its file had just moved is offered again once a rescan finds it.

A moved file keeps its track id (library.moved), and a rescan brings the queued tracks to their new
places (service.moved_tracks).  But a track that came up between the move and the rescan failed to
open and was marked "missing", and that mark went only when the track played again: the moved track,
which plays fine from its new place, stayed out of the picks for three half-lives (weeks).  After a
scan pass the service lifts the marks of tracks whose files it finds again.  The real service
(realkit with `music=`): the library index on SQLite over a real folder, the real indexer and
analysis, the real player (SDL's dummy driver) and the real recommender and its store.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService
from test_moved_while_queued import _scanned, _scanned_service

pytestmark = pytest.mark.timeout(300)


def _missing_marks(service: RealService, track_id: str) -> list[str]:
    store = service.appliance.parts.recommender.store
    return [e.kind for e in store.events() if e.track_id == track_id and e.kind == "missing"]


def _offered(service: RealService, track_id: str) -> bool:
    """Whether a plan of the whole library for the active profile holds the track."""
    recommender = service.appliance.parts.recommender
    profile = service.appliance.conductor.profile
    picks = recommender.plan(None, profile, now=time.time(), k=4)
    return track_id in {p.track.id for p in picks}


def test_a_track_missing_after_its_file_moved_is_offered_again_after_the_rescan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        service.appliance.play()
        service.appliance.pause()
        service.wait_for(
            lambda: (s := service.appliance.player.status()).state == "paused" and s.current and s.queue,
            what="paused on a track with more queued",
        )
        head = service.appliance.player.status().queue[0].track
        new = music / "The Band" / "01 Renamed.ogg"
        new.parent.mkdir()
        os.rename(head.location, new)  # a tagger renames it; no rescan yet

        service.appliance.next_track()  # the moved track comes up before the rescan: it fails
        service.appliance.play()
        service.wait_for(lambda: _missing_marks(service, head.id), what="the moved track's missing mark")
        service.appliance.pause()
        assert not _offered(service, head.id)  # held back while its file is not found

        _scanned(service)  # finds it moved: the same id at its new place
        library: Any = service.appliance.parts.recommender.source  # the index (open_library's)
        assert library.get(head.id).location == str(new)
        assert _offered(service, head.id)  # before: still marked missing, out of the picks for weeks

"""A replay after a file moved opens the track where it is now, not skipped as missing.

A rescan that finds a file moved (same track id, library.moved) brings the player's queue and the
track it resumes up to date (72b69ef), but a replay reopens the item on the deck (the track paused
on) or one of the play history (a track heard before): both still held the old path, so the replay
failed as missing, marked the moved track so, and another track played.  The real service (realkit
with `music=`): the library index on SQLite over a real folder, the real indexer and analysis, the
real player (SDL's dummy driver) and the real recommender and its store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realkit import RealService
from test_moved_while_queued import (
    _first_start_after,
    _missing_marks,
    _moved,
    _paused_with_a_queue,
    _scanned,
    _scanned_service,
)

from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem

pytestmark = pytest.mark.timeout(300)


def _indexed(service: RealService, track_id: str) -> Track:
    """The track as the service's library index has it now (read through an index of the test's own)."""
    index = LibraryIndex(db_path(service.config))
    try:
        track = index.get(track_id)
    finally:
        index.close()
    assert track is not None, track_id
    return track


def _replay_then_play(service: RealService) -> None:
    service.appliance.replay()
    service.appliance.play()


def test_replaying_the_track_paused_on_after_its_file_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        _paused_with_a_queue(service)
        current = service.appliance.player.status().current
        assert current is not None
        new = _moved(current, music, "cur.ogg")
        _scanned(service)  # the rescan finds it moved: same id, new place
        assert service.appliance.player.wait_idle(30)

        started = _first_start_after(service, lambda: _replay_then_play(service))
        assert started.track_id == current.track.id  # before: skipped as missing, another one played
        assert service.appliance.player.wait_idle(30)
        assert service.appliance.player.status().failures == ()
        assert _missing_marks(service, current.track.id) == []
        shown = service.appliance.player.status().current
        assert shown is not None and shown.track.location == str(new)


def test_replaying_a_track_heard_before_its_file_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heard, then paused and skipped (nothing current: a replay goes back to the last track heard);
    its file moves and the library is rescanned: the replay plays it from its new place.  The track
    is neither queued nor current, only in the play history."""
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        first = _first_start_after(service, service.appliance.play, "a track heard")
        service.appliance.pause()
        service.appliance.next_track()  # paused: stopped on nothing, the queue kept
        assert service.appliance.player.wait_idle(30)
        status = service.appliance.player.status()
        assert status.current is None, status
        assert first.track_id not in [i.track.id for i in status.queue]
        assert [p["track_id"] for p in service.appliance.player.plays()["started"]][-1:] == [first.track_id]

        new = _moved(QueueItem(_indexed(service, first.track_id)), music, "heard.ogg")
        _scanned(service)
        assert service.appliance.player.wait_idle(30)
        assert _indexed(service, first.track_id).location == str(new)

        started = _first_start_after(service, lambda: _replay_then_play(service))
        assert started.track_id == first.track_id  # before: skipped as missing, another one played
        assert service.appliance.player.wait_idle(30)
        assert service.appliance.player.status().failures == ()
        assert _missing_marks(service, first.track_id) == []

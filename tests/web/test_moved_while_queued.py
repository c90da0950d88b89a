"""A queued or restored track whose file moved plays from its new place, not skipped as missing.

A moved file keeps its track id (library.moved), but the player's queue and state.json held the
Tracks with the old paths: a track queued (or paused on, restored after a power cut) when a tagger
renamed its folder failed to open, was skipped, and its "missing" mark, now on the id it kept, held
the moved track back from the picks for hours.  The real service (realkit with `music=`): the
library index on SQLite over a real folder, the real indexer and analysis, the real player (SDL's
dummy driver) and the real recommender and its store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService, start_service

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.components import open_library
from moodspeaker.service.events import Event, TrackStarted
from testcache import numba_cache
from tonetracks import write_tone

pytestmark = pytest.mark.timeout(300)

#: no mood read: nothing plays or is planned but what the test asks for
SETTINGS: dict[str, Any] = {"camera.enabled": False}


def _music(tmp_path: Path) -> Path:
    music = tmp_path / "library" / "Unknown Album"
    music.mkdir(parents=True)
    for i, hz in enumerate((262.0, 330.0, 392.0, 494.0)):
        write_tone(music / f"{i + 1:02d}.ogg", hz, 6.0, 0.2)
    return tmp_path / "library"


@contextmanager
def _scanned_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RealService, Path]]:
    """The real service over four tone tracks in tmp_path/library (the numba cache shared), its
    library scanned; the service and the music folder.  Stopped on the way out."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = _music(tmp_path)
    service = start_service(tmp_path, music=music, **SETTINGS)
    try:
        _scanned(service)
        yield service, music
    finally:
        service.appliance.stop()


def _scanned(service: RealService) -> None:
    service.appliance.rescan_library()
    service.wait_for(lambda: not service.control.state()["scan"]["running"], 240, "the rescan's end")


def _paused_with_a_queue(service: RealService) -> None:
    service.appliance.play()
    service.appliance.pause()
    service.wait_for(
        lambda: (s := service.appliance.player.status()).state == "paused" and s.current and s.queue,
        what="paused on a track with more queued",
    )


def _moved(item: QueueItem, music: Path, name: str) -> Path:
    """The item's file moved into another folder under a new name, as a tagger renames it."""
    new = music / "The Band" / name
    new.parent.mkdir(exist_ok=True)
    os.rename(item.track.location, new)
    return new


def _missing_marks(service: RealService, track_id: str) -> list[str]:
    store = service.appliance.parts.recommender.store
    return [e.kind for e in store.events() if e.track_id == track_id and e.kind == "missing"]


def _first_start_after(
    service: RealService, act: Callable[[], None], what: str = "a track to start"
) -> TrackStarted:
    started: list[Event] = []
    unsubscribe = service.bus.subscribe(lambda e: started.append(e) if isinstance(e, TrackStarted) else None)
    try:
        act()
        service.wait_for(lambda: started, what=what)
    finally:
        unsubscribe()
    first = started[0]
    assert isinstance(first, TrackStarted)
    return first


def test_a_queued_track_moved_and_rescanned_plays_from_its_new_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        _paused_with_a_queue(service)
        head = service.appliance.player.status().queue[0]
        new = _moved(head, music, "01 Renamed.ogg")
        _scanned(service)  # the rescan finds it moved: same id, new place
        assert service.appliance.player.wait_idle(30)
        status = service.appliance.player.status()
        assert status.queue[0].track.id == head.track.id
        assert status.queue[0].track.location == str(new)  # before: the old path, which is gone

        def next_then_play() -> None:
            service.appliance.next_track()
            service.appliance.play()

        started = _first_start_after(service, next_then_play)
        assert started.track_id == head.track.id  # before: skipped as missing, the track after it played
        assert service.appliance.player.status().failures == ()
        assert _missing_marks(service, head.track.id) == []


def test_a_track_restored_after_its_file_moved_resumes_from_its_new_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paused on a track, the speaker is switched off; its folder is renamed and the library indexed
    (`moodspeaker index`, or another scan) while it is off.  Back on, state.json names the old paths:
    the track paused on and the one queued after it open from their new places."""
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        _paused_with_a_queue(service)
        status = service.appliance.player.status()
        current, head = status.current, status.queue[0]
        assert current is not None
    new_current = _moved(current, music, "a.ogg")
    new_head = _moved(head, music, "b.ogg")
    index, rescan = open_library(service.config)
    try:
        rescan()
    finally:
        rescan.close()
    assert index.get(current.track.id).location == str(new_current)

    again = start_service(tmp_path, music=music, **SETTINGS)
    try:
        restored = again.control.state()
        assert restored["now_playing"]["track_id"] == current.track.id, restored["now_playing"]
        assert again.appliance.player.wait_idle(30)
        status = again.appliance.player.status()
        assert status.current is not None and status.current.track.location == str(new_current)
        assert [i.track.location for i in status.queue[:1]] == [str(new_head)]
        started = _first_start_after(again, again.appliance.play)
        assert started.track_id == current.track.id  # before: skipped as missing, resumed nothing
        assert again.appliance.player.status().failures == ()
        assert _missing_marks(again, current.track.id) == []
    finally:
        again.appliance.stop()

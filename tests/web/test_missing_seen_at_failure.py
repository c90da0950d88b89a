"""A "missing" mark records the file as it was when the track failed to open, not when the mark is
written.  The mark says what was on disk (service.file_seen): nothing there (a disk unplugged, a file
moved away) lifts it at the first rescan that finds a file; a file there lifts it only once that file
changes (a damaged one would fail again).  The file was looked at on the feedback writer's thread,
when the mark was written: a disk back in between (the writer busy with a write waiting on a locked
database, a slow card) made a file not found at the failure read as there, unchanged, and no rescan
lifted the mark: a good track held back for the whole feedback horizon.  Here the writer is held at a
gate from before the failure until the file is back.

And a failure that is not the file's fault (ffmpeg missing for a while, a decoder killed) left the
file there, unchanged: held back as a damaged file is.  A rescan now opens such a file
(service.file_opens): one that gives audio is offered again.  The real service (realkit with
`music=`): the library index on SQLite over a real folder, the real indexer, player (SDL's dummy
driver), ffmpeg, and recommender and its store."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService
from test_missing_found_moved import _offered
from test_missing_why import _kinds, _queued_next
from test_moved_while_queued import _paused_with_a_queue, _scanned, _scanned_service

from hungkit import ffmpeg_gone
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.component_states import ComponentState
from tonetracks import write_tone

pytestmark = pytest.mark.timeout(300)


@contextmanager
def _writer_held(service: RealService) -> Iterator[None]:
    """The feedback writer thread held on a job of the test's until the block is left."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(120)

    service.appliance._feedback.put(hold)
    service.wait_for(holding.is_set, what="the feedback writer held")
    try:
        yield
    finally:
        release.set()


def test_a_file_back_before_its_mark_is_written_is_lifted_by_the_rescan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, _music):
        appliance = service.appliance
        _paused_with_a_queue(service)
        head = _queued_next(service)
        aside = tmp_path / "aside.ogg"
        os.rename(head.location, aside)  # its disk unplugged
        with _writer_held(service):
            appliance.next_track()  # the track comes up and fails to open: nothing there
            appliance.play()
            service.wait_for(
                lambda: appliance.health.state_of("library") == ComponentState.MISSING,
                what="the track's failure to open",
            )
            appliance.pause()
            os.rename(aside, head.location)  # the disk is back before the mark is written
        service.wait_for(lambda: "missing" in _kinds(service, head.id), what="the track's missing mark")
        assert not _offered(service, head.id)  # held back until a rescan finds it

        _scanned(service)
        assert _offered(service, head.id)  # before: held back, its mark naming the file as there


def _offered_now(service: RealService, track_id: str) -> bool:
    """Whether a plan of the whole library (five tracks here) for the active profile holds the track."""
    recommender = service.appliance.parts.recommender
    picks = recommender.plan(None, service.appliance.conductor.profile, now=time.time(), k=10)
    return track_id in {p.track.id for p in picks}


def _m4a_indexed(service: RealService, music: Path, tmp_path: Path) -> Track:
    """An M4A (AAC: only ffmpeg decodes it) added to the library and scanned; its Track."""
    wav, m4a = tmp_path / "tone.wav", music / "Unknown Album" / "05.m4a"
    write_tone(wav, 440.0, 6.0, 0.2)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    _scanned(service)
    library: Any = service.appliance.parts.recommender.source
    found: Track = next(t for t in library.tracks() if t.location == str(m4a))
    return found


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="an M4A needs ffmpeg to play")
def test_a_file_that_failed_while_ffmpeg_was_missing_is_offered_once_it_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        appliance = service.appliance
        _paused_with_a_queue(service)  # on one of the Ogg files
        m4a = _m4a_indexed(service, music, tmp_path)
        queued = appliance.player.status().queue
        appliance.player.set_queue([QueueItem(m4a), *(i for i in queued if i.track.id != m4a.id)])
        service.wait_for(lambda: appliance.player.status().queue[0].track.id == m4a.id, what="the M4A next")
        ffmpeg_back = ffmpeg_gone(tmp_path, monkeypatch)  # ffmpeg removed for a while
        appliance.next_track()  # the M4A comes up and fails to open, its file there
        appliance.play()
        service.wait_for(lambda: "missing" in _kinds(service, m4a.id), what="the M4A's missing mark")
        appliance.pause()
        _scanned(service)
        assert not _offered_now(service, m4a.id)  # it would fail again: held back

        ffmpeg_back()
        _scanned(service)
        assert _offered_now(service, m4a.id)  # before: held back as long as the file is unchanged

"""A rescan lifts a track's "missing" mark only when its file can be opened again, and for good.

A track that failed to open is marked "missing" and held back from the picks; after each scan pass
the service lifts the marks of the tracks it finds again (rescan.file_back).  It lifted every mark
whose file was there, also of a file that was there all along and failed to decode (damaged): the
track was offered again after each scan and failed again.  Now the mark records the file as it was
when it failed (Recommender.feedback's `seen`): a file that was not found is lifted once it is found,
one that was there only once it changed (re-encoded, its permissions fixed) or moved.  And the lift
was in memory only: a restart replayed the stored mark and held the found track back again until
its first scan; a "found" event now records it.  The real service (realkit with `music=`): the
library index on SQLite over a real folder, the real indexer and analysis, the real player (SDL's
dummy driver) and the real recommender and its store.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from realkit import RealService, start_service
from test_missing_found_moved import _offered
from test_moved_while_queued import SETTINGS, _paused_with_a_queue, _scanned, _scanned_service

from moodspeaker.library.track import Track
from moodspeaker.service.rescan import file_back
from tonetracks import write_tone

pytestmark = pytest.mark.timeout(300)


def _kinds(service: RealService, track_id: str) -> list[str]:
    store = service.appliance.parts.recommender.store
    return [e.kind for e in store.events() if e.track_id == track_id]


def _queued_next(service: RealService) -> Track:
    """The track queued after the one paused on (`_paused_with_a_queue`)."""
    return service.appliance.player.status().queue[0].track


def _skip_to_failing(service: RealService, head: Track) -> None:
    """`head`, queued next and spoilt, comes up and fails to open: it is marked and held back."""
    service.appliance.next_track()  # the spoilt track comes up: it fails to open
    service.appliance.play()
    service.wait_for(lambda: "missing" in _kinds(service, head.id), what="the track's missing mark")
    service.appliance.pause()
    assert not _offered(service, head.id)  # held back while it cannot be opened


def _damage(path: Path) -> None:
    """The file's bytes zeroed, its size and mtime kept: rot on the disk, which a scan does not see.
    (Without ffmpeg, as here, libsndfile's failure to open it is the track's; with ffmpeg it fails at
    ffmpeg's first read, the same failure to the service: test_damaged_with_ffmpeg.)"""
    st = path.stat()
    path.write_bytes(bytes(st.st_size))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_damaged_file_stays_held_back_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, _music):
        monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))  # a speaker without ffmpeg
        _paused_with_a_queue(service)
        head = _queued_next(service)
        path = Path(head.location)
        _damage(path)
        _skip_to_failing(service, head)

        _scanned(service)  # the file is there, unchanged: it would fail again
        assert "missing" in _kinds(service, head.id)
        assert not _offered(service, head.id)  # before: offered again after every scan, failing again

        path.unlink()  # re-encoded: new bytes, a new mtime
        write_tone(path, 262.0, 6.0, 0.2)
        _scanned(service)
        assert _offered(service, head.id)


def _marked_while_away(service: RealService, tmp_path: Path) -> Track:
    """The track queued next fails to open with its file taken away (a disk unplugged) and is
    marked; then its file is back (no rescan yet).  Its Track."""
    _paused_with_a_queue(service)
    head = _queued_next(service)
    aside = tmp_path / "aside.ogg"
    os.rename(head.location, aside)
    _skip_to_failing(service, head)
    os.rename(aside, head.location)
    return head


def test_a_found_track_stays_offered_after_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its file taken away, the track fails and is marked; the file is back and a rescan lifts the
    mark; after a restart, before any scan, the track is offered."""
    with _scanned_service(tmp_path, monkeypatch) as (service, music):
        head = _marked_while_away(service, tmp_path)
        _scanned(service)
        assert _offered(service, head.id)
    again = start_service(tmp_path, music=music, **SETTINGS)
    try:
        assert _offered(again, head.id)  # before: the stored mark held it back until the first scan
    finally:
        again.appliance.stop()


def test_picks_and_feedback_go_on_while_the_marks_are_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library lookups of `found_again` (the index on SQLite, the disk: slow on a Pi's SD card or
    a USB disk waking up) are made without the recommender's lock: a plan and a feedback asked for
    meanwhile from another thread are answered, not held until the lookups are over."""
    with _scanned_service(tmp_path, monkeypatch) as (service, _music):
        head = _marked_while_away(service, tmp_path)
        recommender = service.appliance.parts.recommender
        profile = service.appliance.conductor.profile
        answered: list[str] = []
        in_time: list[list[str]] = []  # what was answered by the end of each lookup

        def meanwhile() -> None:
            recommender.plan(None, profile, now=time.time(), k=2)
            answered.append("plan")
            recommender.feedback(profile, head.id, "completed", None, time.time(), played_s=6.0)
            answered.append("feedback")

        def slow_lookup(track_id: str, seen: str | None = None) -> bool:
            other = threading.Thread(target=meanwhile, name="meanwhile")
            other.start()
            other.join(60)  # held by the lock, it waits until found_again is over: not answered here
            in_time.append(list(answered))
            return file_back(recommender.source, track_id, seen)

        lifted = recommender.found_again(slow_lookup)
        assert in_time == [["plan", "feedback"]]  # before: [[]], both waited for the lookups
        assert lifted == set()  # the track played meanwhile (the feedback): its mark went with that

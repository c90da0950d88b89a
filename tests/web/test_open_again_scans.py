"""A rescan opens a damaged file, unchanged since its track failed, again only when that may now go
otherwise, and a speaker stopping ends its looks at once.

Since a rescan opens such files (service.file_opens: a failure not the file's, ffmpeg missing for a
while, lifted once it opens), every rescan opened every damaged file of the library again, about
80 ms each (up to 10 s for a hung decoder), the scan "running" meanwhile and deaf to a stop: a
thousand of them added minutes to every rescan, for ever.  Now a file that failed here is opened
again only once the ffmpeg on PATH is another (appeared, went, upgraded), and the looks end when the
speaker stops, a hung ffmpeg killed.  The opens are counted (opens_now wrapped), not timed.  The real
service (realkit with `music=`): the library index on SQLite over a real folder, the real indexer,
player (SDL's dummy driver), ffmpeg, and recommender and its store; files damaged as a disk rots them
(damagekit), marked "missing" with the file as it was, as the service marks a track that failed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService, start_service
from test_missing_seen_at_failure import _offered_now
from test_moved_while_queued import SETTINGS, _music, _scanned, _scanned_service

from damagekit import zeroed
from hungkit import HANGS, HungFfmpeg, alive, ffmpeg_gone
from moodspeaker.service import file_opens
from moodspeaker.service.file_seen import file_seen
from polling import until
from testcache import numba_cache

pytestmark = pytest.mark.timeout(300)


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the rescans open again from now on, one entry per open."""
    tried: list[str] = []
    opens_now = file_opens.opens_now

    def counted(location: str, **kwargs: Any) -> bool:
        tried.append(location)
        return opens_now(location, **kwargs)

    monkeypatch.setattr(file_opens, "opens_now", counted)
    return tried


def _damaged_and_marked(service: RealService, count: int) -> dict[str, str]:
    """`count` of the library's files damaged in place (size and mtime kept: the index sees no change)
    and their tracks marked "missing" with the file as it is; track id by file."""
    recommender = service.appliance.parts.recommender
    library: Any = recommender.source
    profile = service.appliance.conductor.profile
    marked = {}
    for track in sorted(library.tracks(), key=lambda t: str(t.location))[:count]:
        zeroed(Path(track.location))
        seen = file_seen(track.location)
        recommender.feedback(profile, track.id, "missing", None, time.time(), seen=seen)
        marked[track.location] = track.id
    return marked


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg appearing is the change looked for")
def test_a_damaged_file_is_opened_again_only_once_ffmpeg_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, _music_folder):
        ffmpeg_back = ffmpeg_gone(tmp_path, monkeypatch)
        marked = _damaged_and_marked(service, 3)
        tried = _counted(monkeypatch)
        _scanned(service)
        assert sorted(tried) == sorted(marked)  # the first look since the start: each opened once
        _scanned(service)
        assert len(tried) == 3  # nothing changed: none opened again (before: all three, every rescan)

        ffmpeg_back()  # ffmpeg appears: it might open them now
        _scanned(service)
        assert sorted(tried[3:]) == sorted(marked)
        _scanned(service)
        assert len(tried) == 6
        assert not any(_offered_now(service, track_id) for track_id in marked.values())  # still damaged


def test_a_speaker_stopping_ends_the_rescans_looks_and_kills_a_hung_ffmpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    service = start_service(tmp_path, music=_music(tmp_path), **SETTINGS)
    ffmpeg: HungFfmpeg | None = None
    stopped = False
    try:
        _scanned(service)
        _damaged_and_marked(service, 2)  # libsndfile cannot open them: handed to ffmpeg, which hangs
        ffmpeg = hung = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
        monkeypatch.setattr(file_opens, "OPEN_TIMEOUT_S", 3600.0)  # only the stop can end the look
        tried = _counted(monkeypatch)
        service.appliance.rescan_library()
        until(lambda: hung.started(1), what="the first look's ffmpeg to hang")
        service.appliance.stop()
        stopped = True
        service.wait_for(lambda: not service.control.state()["scan"]["running"], what="the rescan's end")
        assert len(tried) == 1  # the second file is not looked at (before: it was, after a 10 s hang)
        assert not any(alive(pid) for pid in hung.pids())  # killed, not left behind
    finally:
        if not stopped:
            service.appliance.stop()
        if ffmpeg is not None:
            ffmpeg.kill_all()

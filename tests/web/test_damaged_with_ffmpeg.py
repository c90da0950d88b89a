"""With ffmpeg installed, a damaged file is held back after it fails once, and the music stops.

A file libsndfile could not open was handed to ffmpeg, which failed at its first read; a file whose
header libsndfile could open failed at its first read, or gave no audio at all.  The player reported
those as failures mid-track (not "missing"), or not at all, so nothing held the track back: with the
player stopped and the queue empty, the refill (every second, carrying on because the music had
run out) picked it again and again, and the failed-tracks list gained it about once a second.  A play
that fails (or ends) before any of its audio was decoded is now a failure to open: marked "missing"
with the file as it was (service.file_seen), held back until the file changes; a library of damaged
files stops, its state saying why.  The real service (realkit with `music=`): the library index on
SQLite over a real folder, the real indexer and analysis, the real player (SDL's dummy driver),
the real ffmpeg, and the real recommender and its store.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService
from test_missing_found_moved import _offered
from test_moved_while_queued import _first_start_after, _scanned, _scanned_service

from damagekit import ogg_headers, zeroed
from tonetracks import write_tone

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the defect is ffmpeg's first read failing"),
]


def _ids(service: RealService) -> dict[Path, str]:
    library: Any = service.appliance.parts.recommender.source
    return {Path(t.location): t.id for t in library.tracks()}


def _marked(service: RealService) -> set[str]:
    store = service.appliance.parts.recommender.store
    return {e.track_id for e in store.events() if e.kind == "missing"}


def _refills(service: RealService, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A count of the conductor's refills from now on (housekeeping's, about once a second)."""
    conductor = service.appliance.conductor
    count = [0]
    refill = conductor.refill

    def counted(*args: Any, **kwargs: Any) -> None:
        refill(*args, **kwargs)
        count[0] += 1

    monkeypatch.setattr(conductor, "refill", counted)
    return count


def test_a_library_of_damaged_files_fails_once_each_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scanned_service(tmp_path, monkeypatch) as (service, _music):
        ids = _ids(service)
        paths = sorted(ids)
        # none of it kept (libsndfile cannot open it, ffmpeg fails at its first read), part of the
        # Ogg headers (the same), all of them (libsndfile opens it and reads no audio)
        for path, keep in zip(paths, (0, 200, ogg_headers(paths[2]), 0), strict=True):
            zeroed(path, keep)
        refills = _refills(service, monkeypatch)
        service.appliance.play()
        service.wait_for(lambda: _marked(service) == set(ids.values()), what="every track marked missing")
        after = refills[0]
        service.wait_for(lambda: refills[0] >= after + 4, what="four more refills")

        status = service.appliance.player.status()
        failed = Counter(f["track_id"] for f in status.failures)
        assert failed == Counter(ids.values())  # before: the same tracks again, about once a second
        assert status.state == "stopped" and status.current is None and not status.queue
        recommender = service.control.state()["health"]["components"]["recommender"]
        assert recommender["state"] == "empty", recommender
        assert "4 tracks could not be opened" in recommender["detail"], recommender
        library = service.control.state()["health"]["components"]["library"]
        assert library["state"] == "missing" and "damaged?" in library["detail"], library

        good = paths[0]
        good.unlink()  # re-encoded: new bytes, a new mtime
        write_tone(good, 262.0, 6.0, 0.2)
        assert not _offered(service, ids[good])
        started = _first_start_after(service, lambda: _scanned(service), "the replaced track to play")
        assert started.track_id == ids[good]  # the music carries on with it

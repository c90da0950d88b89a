"""A "missing" mark records the file as it was when the track failed to open, not when the mark is
written.  The mark says what was on disk (service.file_seen): nothing there (a disk unplugged, a file
moved away) lifts it at the first rescan that finds a file; a file there lifts it only once that file
changes (a damaged one would fail again).  The file was looked at on the feedback writer's thread,
when the mark was written: a disk back in between (the writer busy with a write waiting on a locked
database, a slow card) made a file not found at the failure read as there, unchanged, and no rescan
lifted the mark: a good track held back for the whole feedback horizon.  Here the writer is held at a
gate from before the failure until the file is back.  The real service (realkit with `music=`): the
library index on SQLite over a real folder, the real indexer, player (SDL's dummy driver) and
recommender and its store."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from realkit import RealService
from test_missing_found_moved import _offered
from test_missing_why import _kinds, _queued_next
from test_moved_while_queued import _paused_with_a_queue, _scanned, _scanned_service

from moodspeaker.service.component_states import ComponentState

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

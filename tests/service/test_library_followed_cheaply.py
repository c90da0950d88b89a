"""The health report's look at the library: cheap while nothing changed, and never over a newer state.

Why: since b1768ea the library's count follows the index at every health report (every
HEALTH_INTERVAL_S, on the housekeeping thread that also refills and saves).  Each report built every
analysed Track (of the index and of every mirror) to count them, then ran the index's stats queries:
on a Pi with tens of thousands of tracks a steady cost for nothing, as the library rarely changes.
And the count was read before the state was set, with only the state ("ok") checked as it was set:
a rescan that set a newer count in between was overwritten by the report's older one.

The real appliance (not started: the test publishes the health reports on its bus, as its
housekeeping does every 10 s, to know which report ran when) over the real library index, a
subclass that counts the calls reading the whole library and can hold the report's thread.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from librarykit import library_index, scan_finished
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.library.batch import Tags
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.track import FEATURE_COLUMNS, Track
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus, HealthReport

pytestmark = pytest.mark.timeout(120)

T = TypeVar("T")
#: the features an added track has (a Track's defaults)
DEFAULTS = Track(id="", location="", title="", artist="")


class CountedIndex(LibraryIndex):
    """The real index; counts the calls that read the whole library, and holds the thread
    `hold_in` (once) where it has read the library's tracks, until `release`."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: Counter[str] = Counter()
        self.hold_in: threading.Thread | None = None
        self.held, self.release = threading.Event(), threading.Event()

    def tracks(self) -> list[Track]:
        self.calls["tracks"] += 1
        return self._maybe_hold(super().tracks())

    def stats(self) -> dict[str, Any]:
        self.calls["stats"] += 1
        return super().stats()

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        return self._maybe_hold(super().feature_matrix())

    def _maybe_hold(self, read: T) -> T:
        if self.hold_in is threading.current_thread():
            self.hold_in = None
            self.held.set()
            assert self.release.wait(60), "the test never let the report go on"
        return read


class Speaker:
    """An appliance (not started) over a CountedIndex of the five test tracks."""

    def __init__(self, tmp_path: Path) -> None:
        library_index(tmp_path).close()  # the tracks, analysed, in tmp_path/library.sqlite
        self.music = tmp_path / "music"
        self.index = CountedIndex(tmp_path / "library.sqlite")
        cfg = config(tmp_path / "data")
        script = Script(None)
        parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script),
                      Recommender.from_config(cfg, self.index))  # fmt: skip
        self.bus = EventBus()
        self.app = Appliance(cfg, self.bus, parts, tmp_path / "data")
        self.control = ControlAPI(self.app, self.bus)
        self.added = 0

    def library(self) -> tuple[str, str]:
        entry = self.app.health_snapshot()["components"]["library"]
        return entry["state"], entry["detail"]

    def report(self) -> None:
        """One health report, as the housekeeping publishes it."""
        self.bus.publish(HealthReport(ts=time.time(), stats=self.app.health_snapshot()))

    def rescan(self) -> None:
        """A rescan by the service (no folders to scan: it reloads the library and sets its state)."""
        self.app.rescan_library()
        wait_for(lambda: scan_finished(self.control), 60.0, "the rescan to end")

    def add_track(self) -> None:
        """One more analysed track in the index (a copy of a test tone), as a scan by hand adds it."""
        self.added += 1
        song = self.music / f"more{self.added}.ogg"
        shutil.copy(self.music / "calm.ogg", song)
        stat = song.stat()
        with self.index.batch() as batch:
            tags = Tags(f"more {self.added}", "artist-more")
            batch.upsert_file(str(song), stat.st_size, stat.st_mtime_ns, f"hash-more{self.added}", tags)
            values = {c: float(getattr(DEFAULTS, c)) for c in FEATURE_COLUMNS} | {"duration_s": 20.0}
            batch.set_analysed(str(song), {}, values)

    def close(self) -> None:
        self.app.stop()
        self.index.close()


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[Speaker]:
    made = Speaker(tmp_path)
    try:
        yield made
    finally:
        made.index.release.set()
        made.close()


def test_a_report_reads_no_track_list_while_the_library_is_unchanged(speaker: Speaker) -> None:
    speaker.rescan()
    assert speaker.library() == ("ok", "5 tracks")
    speaker.report()
    before = dict(speaker.index.calls)
    for _ in range(3):
        speaker.report()
    assert dict(speaker.index.calls) == before, "reports of an unchanged library read it whole"

    speaker.add_track()  # a scan by hand: the next report follows it
    speaker.report()
    assert speaker.library() == ("ok", "6 tracks")


def test_a_rescan_count_set_during_a_report_stays(speaker: Speaker) -> None:
    speaker.rescan()
    speaker.report()
    speaker.add_track()  # the report reads 6 tracks...
    reporter = threading.Thread(target=speaker.report, name="report")
    speaker.index.hold_in = reporter
    reporter.start()
    assert speaker.index.held.wait(60), "the report never read the library"
    speaker.add_track()  # ...while a 7th comes, and the service's rescan counts it
    speaker.rescan()
    assert speaker.library() == ("ok", "7 tracks")
    speaker.index.release.set()
    reporter.join(60)
    assert not reporter.is_alive()
    assert speaker.library() == ("ok", "7 tracks"), "the report's older count replaced the rescan's"


def test_an_empty_library_keeps_saying_what_to_do(tmp_path: Path) -> None:
    """Without tracks the part says "add music and rescan" at start, after a rescan and after a report
    (the report and the rescan used to set a bare "0 tracks" over the start-up hint)."""
    index = LibraryIndex(tmp_path / "empty.sqlite")
    cfg = config(tmp_path / "data")
    script = Script(None)
    parts = Parts(
        lambda: ScriptSource(script), lambda: ScriptPipeline(script), Recommender.from_config(cfg, index)
    )
    bus = EventBus()
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    control = ControlAPI(app, bus)
    try:

        def library() -> tuple[str, str]:
            entry = app.health_snapshot()["components"]["library"]
            return entry["state"], entry["detail"]

        app.rescan_library()
        wait_for(lambda: scan_finished(control), 60.0, "the rescan to end")
        assert library() == ("empty", "no tracks: add music and rescan")
        bus.publish(HealthReport(ts=time.time(), stats=app.health_snapshot()))
        assert library() == ("empty", "no tracks: add music and rescan")
    finally:
        app.stop()
        index.close()

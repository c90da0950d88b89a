"""The real service over a real music folder, for the library-scan tests: the real library index and
rescan (`open_library`, real analysis workers), a scripted camera and pipeline (no face: the scan is
what is tested), and the helpers that read where the scanning thread is, from its stack, so nothing
is faked or timed.  Also `library_index`: the service's test tracks in a real library index, analysed
already (no scan), for tests of what plays from one."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servicekit import Script, ScriptPipeline, ScriptSource, config, make_tracks

from moodspeaker.config import Config
from moodspeaker.library.batch import Tags
from moodspeaker.library.index import LibraryIndex
from moodspeaker.recommend.content import FEATURE_COLUMNS
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import LibraryRescan, open_library
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus


@dataclass(frozen=True)
class LibraryService:
    """An appliance (not started) scanning `music` with one analysis worker, and what drives it."""

    config: Config
    app: Appliance
    control: ControlAPI
    bus: EventBus
    rescan: LibraryRescan


def library_service(tmp_path: Path, music: Path, **changes: object) -> LibraryService:
    """`changes`: settings on top of servicekit.config's (which indexes files of any length)."""
    cfg = config(tmp_path / "data", **{"library.folders": [str(music)], "library.workers": 1, **changes})
    source, rescan = open_library(cfg)
    script = Script(None)
    parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script),
                  Recommender.from_config(cfg, source), rescan=rescan)  # fmt: skip
    bus = EventBus()
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    return LibraryService(cfg, app, ControlAPI(app, bus), bus, rescan)


@contextmanager
def started_service(tmp_path: Path, music: Path, **changes: object) -> Iterator[LibraryService]:
    """`library_service`, started, and stopped at the end."""
    service = library_service(tmp_path, music, **changes)
    service.app.start()
    try:
        yield service
    finally:
        service.app.stop()


def scan_finished(control: ControlAPI) -> bool:
    scan = control.state()["scan"]
    return bool(scan) and scan["running"] is False


def rescan_thread() -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == "rescan"), None)


def waits_for_the_write_lock(thread: threading.Thread | None) -> bool:
    """`thread` is inside the library database's transaction start (BEGIN IMMEDIATE, which waits while
    another connection writes), read from its stack."""
    frame = sys._current_frames().get(thread.ident or -1) if thread is not None else None
    if frame is None:
        return False
    return frame.f_code.co_name == "transaction" and Path(frame.f_code.co_filename).name == "db.py"


def library_index(tmp_path: Path) -> LibraryIndex:
    """The five test tracks in a real library index, analysed (their features as the kit pins them)."""
    index = LibraryIndex(tmp_path / "library.sqlite")
    with index.batch() as batch:
        for t in make_tracks(tmp_path / "music"):
            stat = os.stat(t.location)
            batch.upsert_file(
                t.location, stat.st_size, stat.st_mtime_ns, f"hash-{t.id}", Tags(t.title, t.artist)
            )
            values = {c: float(getattr(t, c)) for c in FEATURE_COLUMNS} | {"duration_s": t.duration_s}
            batch.set_analysed(t.location, {}, values)
    return index

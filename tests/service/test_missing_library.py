"""A library disk unplugged while its tracks are queued: the speaker skips them, says so in health
(naming the file), and carries on with the music it can still reach, even with nobody in view (the
listener pressed Play; no mood is needed to keep going)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, build, config, wait_for

from moodspeaker.library.index import FEATURE_COLUMNS, Tags
from moodspeaker.library.scanner import content_hash
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import open_library
from moodspeaker.service.events import ErrorReported, Event, EventBus, StateChanged, TrackStarted


def test_music_carries_on_past_tracks_that_are_gone_and_health_names_the_file(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script(None), track_s=1.0)
    started: list[str] = []
    bus.subscribe(lambda e: started.append(e.track_id) if isinstance(e, TrackStarted) else None)
    errors: list[Event] = []
    bus.subscribe(lambda e: errors.append(e) if e.kind == "error" else None)
    tracks = {t.id: t for t in app.parts.recommender.source.tracks()}
    for gone in ("happy1", "happy2"):
        Path(tracks[gone].location).unlink()  # on the disk that was unplugged
    app.start()
    try:
        app.player.set_queue([QueueItem(tracks[t], "queued") for t in ("sad1", "happy1", "happy2")])
        wait_for(lambda: len(app.player.status().queue) == 3, what="the queue")  # not one play() plans
        app.play()
        wait_for(lambda: "sad1" in started, what="the first track")
        try:
            wait_for(lambda: len(started) >= 2, what="music after the queue ran into missing tracks")
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}: {started}, {app.player.status()}, {app.health_snapshot()}"
            ) from None
        assert started[1] in {"sad2", "calm"}, started
        library = app.health_snapshot()["components"]["library"]
        assert library["state"] == "missing" and "happy2.ogg" in library["detail"], library  # the latest
        # reported once, not per track
        assert sum(isinstance(e, ErrorReported) and e.component == "library" for e in errors) == 1
    finally:
        app.stop()


@pytest.mark.parametrize("how", ["empty mount point", "mount point gone"])
def test_a_rescan_while_the_disk_is_still_gone_keeps_health_saying_so(tmp_path: Path, how: str) -> None:
    """The scan keeps an unplugged disk's tracks (so they come back with it): the track count alone
    would look healthy, so health's library stays 'missing', naming the folder, until it is back."""
    usb = tmp_path / "usb"
    usb.mkdir()
    for i in range(3):  # indexed as analysed below: the scan only stats and hashes them
        (usb / f"t{i}.ogg").write_bytes(bytes([i]) * 64)
    cfg = config(tmp_path / "data", **{"library.folders": [str(usb)]})
    source, rescan = open_library(cfg)
    with source.batch() as b:
        for i, f in enumerate(sorted(usb.iterdir())):
            st = f.stat()
            b.upsert_file(str(f), st.st_size, st.st_mtime_ns, content_hash(str(f), st.st_size), Tags(f.stem))
            b.set_analysed(str(f), {}, dict(zip(FEATURE_COLUMNS, (0.1 * i, 0.0, 0.5, 100.0, -16.0, 1, 0.5),
                                                strict=True)))  # fmt: skip
    parts = Parts(lambda: ScriptSource(Script(None)), lambda: ScriptPipeline(Script(None)),
                  Recommender.from_config(cfg, source), rescan=rescan)  # fmt: skip
    bus = EventBus()
    results: list[object] = []
    bus.subscribe(
        lambda e: results.append(e.value) if isinstance(e, StateChanged) and e.key == "library" else None
    )
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    app.start()
    try:
        app.rescan_library()
        wait_for(lambda: len(results) == 1, what="a rescan")
        assert app.health.state_of("library") == "ok"
        shutil.rmtree(usb)
        if how == "empty mount point":
            usb.mkdir()
        app.rescan_library()
        wait_for(lambda: len(results) == 2, what="a rescan with the disk gone")
        library = app.health_snapshot()["components"]["library"]
        assert library["state"] == "missing" and str(usb) in library["detail"], library
        assert library["detail"].startswith("3 tracks"), library  # kept for when the disk is back
        assert str(usb) in str(results[1]), results  # the scan's result (shown on the page) says so too
    finally:
        app.stop()

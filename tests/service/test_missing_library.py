"""A library disk unplugged while its tracks are queued: the speaker skips them, says so in health
(naming the file), and carries on with the music it can still reach, even with nobody in view (the
listener pressed Play; no mood is needed to keep going)."""

from __future__ import annotations

from pathlib import Path

from servicekit import Script, build, wait_for

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event


def test_music_carries_on_past_tracks_that_are_gone_and_health_names_the_file(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script(None), track_s=1.0)
    started: list[str] = []
    bus.subscribe(lambda e: started.append(e.track_id) if e.kind == "track_started" else None)
    errors: list[Event] = []
    bus.subscribe(lambda e: errors.append(e) if e.kind == "error" else None)
    tracks = {t.id: t for t in app.parts.recommender.source.tracks()}
    for gone in ("happy1", "happy2"):
        Path(tracks[gone].location).unlink()  # on the disk that was unplugged
    app.start()
    try:
        app.player.set_queue([QueueItem(tracks[t], "queued") for t in ("sad1", "happy1", "happy2")])
        app.player.wait_idle()
        app.play()
        wait_for(lambda: "sad1" in started, what="the first track")
        wait_for(lambda: len(started) >= 2, what="music after the queue ran into missing tracks")
        assert started[1] in {"sad2", "calm"}, started
        library = app.health_snapshot()["components"]["library"]
        assert library["state"] == "missing" and "happy2.ogg" in library["detail"], library  # the latest
        assert sum(e.component == "library" for e in errors) == 1  # reported once, not per track
    finally:
        app.stop()

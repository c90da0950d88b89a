"""The mirror's notes of downloads that failed under the privacy retention, delete-everything and export.

Why: a library server's track that cannot be downloaded when it is to be played (the server off) is
noted in the speaker's mirror of that server (`lan-cache/<server>/index.db`, table `problems`: the
track and when), and the note stays until the track downloads: a record of when the track was to be
played.  Neither the retention nor "delete everything" reached it, and the mirror deleted nothing
with `secure_delete` or a scrub, so a deleted note stayed readable in the file and its log.  Now the
retention deletes the notes older than its cut-off, "delete everything" all of them, each time
scrubbed from the files; the export lists them; the mirror's files are the owner's alone.  The real
wiring (`build_parts` from the config, a scripted camera), a real library server on the loopback,
switched off before the plays, and the real player on SDL's dummy driver.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.components import build_parts
from moodspeaker.service.events import EventBus
from moodspeaker.vision.expression import default_model_json
from tonetracks import write_tone

sys.path.append(str(Path(__file__).resolve().parents[1] / "library"))
from lankit import add_track

pytestmark = pytest.mark.timeout(180)
DAY_S = 86400.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LibraryServer, list[str]]]:
    """A running library server offering two analysed tone tracks, and the tracks' ids."""
    music = tmp_path / "music"
    music.mkdir()
    index = LibraryIndex(tmp_path / "server.db")
    ids = []
    for name, hz in (("a", 440), ("b", 550)):
        song = music / f"{name}.ogg"
        write_tone(song, hz, 0.8, 0.2)
        ids.append(add_track(index, song, 0.2))
    srv = LibraryServer(index, "127.0.0.1", 0)
    srv.start()
    try:
        yield srv, ids
    finally:
        srv.stop()
        index.close()


def _service(data: Path, url: str) -> tuple[Appliance, LanLibrary]:
    """A service on `url` built as `moodspeaker run` builds it, its tracks mirrored; no automatic
    picks (strategy off): only the tracks a test queues are fetched."""
    cfg = config(data, **{"library.servers": [url], "library.folders": [], "recommend.strategy": "off"})
    parts = build_parts(cfg, data)
    script = Script(None)
    parts.make_source, parts.make_pipeline = lambda: ScriptSource(script), lambda: ScriptPipeline(script)
    assert parts.rescan is not None
    assert "2 updated" in parts.rescan(None)
    assert isinstance(parts.downloads, ServerDownloads)
    [client] = parts.downloads.clients
    assert isinstance(client, LanLibrary)
    return Appliance(cfg, EventBus(), parts, data), client


def _fail_to_play(app: Appliance, client: LanLibrary, track: str) -> None:
    """Queue the track and press Play with its server off: its download fails and is noted, and the
    player skips the track as unplayable."""
    [found] = [t for t in app.parts.recommender.source.tracks() if t.id == track]
    app.player.set_queue([QueueItem(found, "queued")])
    wait_for(lambda: [i.track.id for i in app.player.status().queue] == [track], what="the queue")
    app.play()
    wait_for(lambda: track in _noted(client), what="the failed download noted")
    wait_for(lambda: not app.player.status().queue and app.player.status().current is None, what="idle")


def _noted(client: LanLibrary) -> dict[str, float]:
    """The mirror's notes of failed downloads, by track: when each failed (read as any reader of the
    file would)."""
    with contextlib.closing(sqlite3.connect(client.root / "index.db")) as db:
        rows = db.execute("SELECT path, seen_at FROM problems WHERE kind = 'stream'").fetchall()
    return {str(path).rpartition("/")[2]: float(at) for path, at in rows}


def _on_disk(client: LanLibrary, text: str) -> list[str]:
    """The mirror's files (the database, its log) holding `text`."""
    return [p.name for p in client.root.glob("index.db*") if text.encode() in p.read_bytes()]


def test_retention_and_delete_everything_reach_the_notes_of_failed_downloads(
    tmp_path: Path, server: tuple[LibraryServer, list[str]]
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    srv, (old, recent) = server
    app, client = _service(tmp_path / "data", srv.url)
    app.start()
    try:
        wait_for(lambda: app.retention.runs >= 1, what="the retention at start")
        srv.stop()  # the server is off: the plays' downloads fail
        for track in (old, recent):
            _fail_to_play(app, client, track)
        assert all(abs(at - time.time()) < DAY_S for at in _noted(client).values())
        assert set(_noted(client)) == {old, recent}
        notes = {t: f"{client.source}/{t}" for t in (old, recent)}  # how the mirror names each note
        assert _on_disk(client, notes[old]), "the note is not where this test looks for it"
        mode = (client.root / "index.db").stat().st_mode & 0o777
        assert mode == 0o600, f"the mirror (failed plays, and when) is open to others: {mode:o}"

        # the first play was 40 days ago (retention_days 30): its note says so, as it did
        with sqlite3.connect(client.root / "index.db") as db:
            db.execute(
                "UPDATE problems SET seen_at = ? WHERE path = ?", (time.time() - 40 * DAY_S, notes[old])
            )
        runs = app.retention.runs
        app.retention.run_now()
        wait_for(lambda: app.retention.runs > runs, what="a retention run")
        assert set(_noted(client)) == {recent}, "a failed play older than 30 days is kept"
        assert not _on_disk(client, notes[old]), "the retention's deletion left the note readable"
        exported = {f["track_id"]: f["failed_at"] for f in app.export_data()["failed_downloads"]}
        assert exported == _noted(client)  # the export shows what the mirror keeps, and when

        app.delete_data()
        assert _noted(client) == {}, "delete everything left the notes of failed plays (and when)"
        assert not _on_disk(client, notes[recent]), "delete everything left the note readable"
        assert app.export_data()["failed_downloads"] == []
        assert len(client.tracks()) == 2  # the mirror itself is kept: the music plays on
    finally:
        app.stop()
        client.close()

"""The mirror's notes of downloads that failed under the privacy retention, delete-everything and export.

Why: a library server's track that cannot be downloaded when it is to be played (the server off) is
noted in the speaker's mirror of that server (`lan-cache/<server>/index.db`, table `problems`: the
track and when), and the note stays until the track downloads: a record of when the track was to be
played.  Neither the retention nor "delete everything" reached it, and the mirror deleted nothing
with `secure_delete` or a scrub, so a deleted note stayed readable in the file and its log.  Now the
retention deletes the notes older than its cut-off, "delete everything" all of them, each time
scrubbed from the files; the export lists them; the mirror's files are the owner's alone.  An
OpenSubsonic server's song is noted the same way (it was not noted at all).  The real wiring
(`build_parts` from the config, a scripted camera), a real library server or the OpenSubsonic server
of subsonickit on the loopback, switched off before the plays, and the real player on SDL's dummy
driver.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lanservicekit import RemoteService, lan_service, queue_and_play, running_server, subsonic_service
from servicekit import wait_for

from moodspeaker.library.lan.mirror import MirroredLibrary
from moodspeaker.service.app import Appliance
from moodspeaker.vision.expression import default_model_json
from subsonickit import Songs, serve
from tonetracks import write_tone

pytestmark = pytest.mark.timeout(180)
DAY_S = 86400.0


@pytest.fixture(params=["library server", "OpenSubsonic"])
def speaker(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[RemoteService[Any], Callable[[], None]]]:
    """A service (not started) on a running server of either kind offering two analysed tone tracks,
    synced; and how to switch the server off."""
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    if request.param == "library server":
        with running_server(tmp_path) as (srv, _ids):
            service: RemoteService[Any] = lan_service(tmp_path / "data", srv.url, synced=2)
            try:
                yield service, srv.stop
            finally:
                service.close()
        return
    music = tmp_path / "music"
    music.mkdir()
    songs: Songs = {}
    for sid, hz in (("a", 440), ("b", 550)):
        write_tone(music / f"{sid}.wav", hz, 0.8, 0.2)
        songs[sid] = {
            "title": sid,
            "artist": "Tone",
            "duration": 0.8,
            "suffix": "wav",
            "path": music / f"{sid}.wav",
        }
    sub = serve(songs)
    try:
        service = subsonic_service(tmp_path / "data", sub.url, synced=2)
        try:
            yield service, sub.stop
        finally:
            service.close()
    finally:
        sub.stop()


def _fail_to_play(app: Appliance, client: MirroredLibrary, track: str) -> None:
    """Queue the track and press Play with its server off: its download fails and is noted, and the
    player skips the track as unplayable."""
    queue_and_play(app, track)
    wait_for(lambda: track in _noted(client), what="the failed download noted")
    wait_for(lambda: not app.player.status().queue and app.player.status().current is None, what="idle")


def _noted(client: MirroredLibrary) -> dict[str, float]:
    """The mirror's notes of failed downloads, by track: when each failed (read as any reader of the
    file would)."""
    with contextlib.closing(sqlite3.connect(client.root / "index.db")) as db:
        rows = db.execute("SELECT path, seen_at FROM problems WHERE kind = 'stream'").fetchall()
    return {str(path).rpartition("/")[2]: float(at) for path, at in rows}


def _on_disk(client: MirroredLibrary, text: str) -> list[str]:
    """The mirror's files (the database, its log) holding `text`."""
    return [p.name for p in client.root.glob("index.db*") if text.encode() in p.read_bytes()]


def test_retention_and_delete_everything_reach_the_notes_of_failed_downloads(
    speaker: tuple[RemoteService[Any], Callable[[], None]],
) -> None:
    service, switch_off = speaker
    app, client = service.app, service.client
    old, recent = sorted(t.id for t in client.tracks())  # the mirror's ids: those the player plays
    client.audio.forget_uses()  # no copy left from the sync (an OpenSubsonic song's analysis made one)
    app.start()
    wait_for(lambda: app.retention.runs >= 1, what="the retention at start")
    switch_off()  # the server is off: the plays' downloads fail
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
        db.execute("UPDATE problems SET seen_at = ? WHERE path = ?", (time.time() - 40 * DAY_S, notes[old]))
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

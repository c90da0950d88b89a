"""What the LAN library tests share: a served library's tracks, added as a scan would add them; a
server answering as an older release; the speaker's downloaded audio on disk; the mirror's files
holding a text; an OpenSubsonic song as subsonickit's server lists it; two syncs of one mirror at
once; a client reading the mirror while another's first sync makes it and fails."""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import synth
from flask import Response, request

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id, track_row
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.mirror import MirroredLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import sync_remote
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from polling import until


def needs_ipv6_loopback() -> None:
    """Skips the test, saying why, where the IPv6 loopback ::1 cannot be listened on (a container
    without it)."""
    if not socket.has_ipv6:
        pytest.skip("Python built without IPv6 (socket.has_ipv6 is false)")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError as exc:
        pytest.skip(f"cannot bind the IPv6 loopback ::1: {exc}")


def add_track(index: LibraryIndex, path: Path, valence: float) -> str:
    """`path` (an existing file) indexed and analysed in one batch (one change of the counter), titled
    by its stem; returns its id."""
    values = dict(zip(FEATURE_COLUMNS, (valence, 0.1, 0.5, 120.0, -12.0, 1, 0.4), strict=True))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "h" + path.name, Tags(path.stem, "Artist"))
        b.set_analysed(str(path), {"key": 3.0}, values)
    return track_id(str(path))


def as_older_release(server: LibraryServer) -> LibraryServer:
    """`server` (not started yet) answering `info` as a release from before the database identity
    did: without `library_id`.  The rest of what it serves is the real server's."""

    @server.app.after_request
    def without_identity(response: Response) -> Response:
        if request.path.endswith("/info"):
            data = response.get_json()
            data.pop("library_id", None)
            response.set_data(json.dumps(data))
        return response

    return server


def cut_streams(server: LibraryServer, times: int | None = None) -> list[str]:
    """`server` (before it answers its first request) sends half of each stream asked of it, the
    first `times` (None: all), and hangs up: a server gone mid-stream, its Content-Length the whole
    file's.  The paths of the streams cut, as they are (the list is filled as they come)."""
    cut: list[str] = []

    @server.app.after_request
    def cut_short(response: Response) -> Response:
        if "/stream/" not in request.path or (times is not None and len(cut) >= times):
            return response
        cut.append(request.path)
        response.direct_passthrough = False
        body = response.get_data()
        response.close()  # the file it was sending
        response.response = _then_gone(body[: len(body) // 2])
        return response

    return cut


def _then_gone(body: bytes) -> Iterator[bytes]:
    yield body
    raise ConnectionAbortedError("the library server went away")


def cached_files(lan: LanLibrary) -> dict[str, list[str]]:
    """The speaker's downloaded audio on disk, by track id (file names; a track may have several:
    versions, a partial download)."""
    out: dict[str, list[str]] = {}
    if lan.audio_dir.is_dir():
        for path in sorted(lan.audio_dir.iterdir()):
            out.setdefault(path.name.split(".")[0], []).append(path.name)
    return out


def on_disk(mirror: MirroredLibrary, text: str) -> list[str]:
    """The names of the mirror's files (the database, its log) holding `text`: what a deletion or a
    scrub must leave unreadable there."""
    return [p.name for p in mirror.root.glob("index.db*") if text.encode() in p.read_bytes()]


def noted_then_downloaded(lan: LanLibrary, index: LibraryIndex, music: Path) -> str:
    """A track of `index` (the library server's) whose first download failed (not served yet: a note
    in `lan`'s mirror) and then came (the note deleted, its scrub owed).  Returns the note's path,
    checked to be still readable in the mirror's files (else the test would show nothing)."""
    song = synth.write(music / "late.wav", synth.chord(synth.C_MAJOR, 1.0))
    tid = track_id(str(song))
    lan.sync()
    with pytest.raises(LanError):  # not served yet: the download fails, and is noted
        lan.fetch(tid)
    note = f"{lan.source}/{tid}"
    assert add_track(index, song, 0.1) == tid
    assert lan.fetch(tid).is_file()  # downloaded now: the note is deleted, its scrub owed
    assert lan.cache.stats()["problems"] == []
    assert on_disk(lan, note), "the note was not left in the files: this test shows nothing"
    return note


def older_mirror(lib: SubsonicLibrary, song_id: str) -> tuple[str, str]:
    """Make `lib`'s one mirrored song look as a mirror made before the credential fix kept it: its
    location the stream URL with the user's salted token.  Returns (that location, the token), the
    token checked to be in the mirror's files (else the test would show nothing)."""
    [track] = lib.tracks()
    old = lib.api.url("stream", id=song_id, format="raw")  # what the mirror kept before
    with lib.cache.batch() as b:
        b.put_remote({**track_row(track), "location": old}, lib.source)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(old).query)["t"][0]
    assert on_disk(lib, token), "the older mirror's token is not in its files: this test shows nothing"
    return old, token


def tone_song(path: Path, title: str, *, amp: float = 0.3, **fields: Any) -> dict[str, Any]:
    """A song for subsonickit's `Songs`: `title` by Synth, listed with `fields` too (`duration`...),
    streaming 2 s of C major at `amp` written to `path` as FLAC."""
    audio = synth.write(path, synth.chord(synth.C_MAJOR, 2.0, amp=amp))
    return {"title": title, "artist": "Synth", **fields, "suffix": "flac", "path": audio}


def second_sync_meanwhile(
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    held: Callable[[], bool],
    let_go: Callable[[], None],
    caplog: pytest.LogCaptureFixture,
    what: str,
) -> dict[str, object]:
    """`first` (a sync) run in a thread until it is `held` (`what` names where); `second` started in
    another meanwhile, and `let_go()` called once the second finished or logged that it waits for
    the one in progress (MirroredLibrary._one_sync): no timing.  Both joined; returns each one's
    result or what it raised, by "first" and "second", for the test to judge."""
    results: dict[str, object] = {}

    def run(name: str, sync: Callable[[], object]) -> None:
        try:
            results[name] = sync()
        except BaseException as exc:  # judged by the test
            results[name] = exc

    caplog.set_level(logging.INFO, logger="moodspeaker.library.lan.synclock")  # (logs the wait)
    threads = [threading.Thread(target=run, args=("first", first)),
               threading.Thread(target=run, args=("second", second))]  # fmt: skip
    threads[0].start()
    try:
        until(held, timeout=300, what=what)
        threads[1].start()
        until(lambda: "second" in results or "waiting for another sync" in caplog.text, timeout=300,
              what="the second sync to finish or wait for the first")  # fmt: skip
    finally:
        let_go()
        for t in threads:
            t.join(timeout=600)
    return results


@contextmanager
def read_during_a_failed_first_sync(
    index: LibraryIndex, cache: Path
) -> Iterator[tuple[LibraryServer, LanLibrary]]:
    """A LibraryServer of `index` and a client of `cache` (the reader, as the service's planner) that
    read the mirror (no tracks, the mirror there: open now) while another client's first sync
    (sync_remote) was held at its request for changes; that request is then answered with garbage,
    once, and the first sync is checked to have failed keeping nothing (it removed the mirror).
    Yields (the server, the reader); both clients closed and the server stopped on the way out."""
    server = LibraryServer(index, "127.0.0.1", 0)
    held, go = threading.Event(), threading.Event()

    @server.app.before_request
    def hold_then_fail_once() -> Response | None:
        if request.path.endswith("/changes") and not held.is_set():
            held.set()
            assert go.wait(300), "the test never let the first sync go on"
            return Response("<html>not a library server</html>", 200)
        return None

    server.start()
    first, reader = LanLibrary(server.url, cache), LanLibrary(server.url, cache)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            sync_remote(first)
        except BaseException as exc:  # judged below
            failed.append(exc)

    try:
        thread = threading.Thread(target=run)
        thread.start()
        try:
            until(held.is_set, timeout=300, what="the first sync to ask for changes")
            assert reader.tracks() == [] and reader.has_mirror()  # open now, as the planner's
        finally:
            go.set()
            thread.join(timeout=300)
        assert len(failed) == 1 and getattr(failed[0], "kept", 0) is None, failed
        yield server, reader
    finally:
        first.close()
        reader.close()
        server.stop()

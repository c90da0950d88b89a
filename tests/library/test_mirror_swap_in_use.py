"""A mirror another process deleted is swapped without failing a play that holds the old one.

Why: a play's thread takes the mirror (`cache`) and writes to it after (a failed download's note),
holding no sync lock.  When another process deleted the mirror folder (its failed first sync, a
prune), this process's next use of it (a sync here) closed the index open here (`_current`), as
does a failed first sync's `discard`; a play between the two steps then failed with sqlite3.ProgrammingError
(closed database) instead of its own LanError.  The old index is now closed by its last user.  The
play's thread is held right before its write (the index's `batch`, wrapped to wait for an event);
a real library server on the loopback, the deletion by the function another process runs.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import synth
from lankit import add_track

from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.mirror import delete_mirror
from moodspeaker.library.lan.server import LibraryServer

_PLAY = "play"


@pytest.mark.parametrize("swap", ["sync after a deletion elsewhere", "discard"])
def test_a_play_holding_the_mirror_survives_its_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: str
) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        song = synth.write(tmp_path / "music" / "kept.wav", synth.chord(synth.C_MAJOR, 1.0))
        add_track(index, song, 0.1)
        lan.sync()
        old = lan.cache
        reached, go = threading.Event(), threading.Event()
        real = LibraryIndex.batch

        def held(self: LibraryIndex, now: float | None = None) -> object:
            if threading.current_thread().name == _PLAY and not reached.is_set():
                reached.set()  # the play took the mirror and is about to write its note
                assert go.wait(120), "the test never let the play go on"
            return real(self, now)

        monkeypatch.setattr(LibraryIndex, "batch", held)
        errors: list[BaseException] = []

        def play() -> None:
            try:
                lan.fetch(track_id(str(tmp_path / "not served.wav")))
            except BaseException as exc:  # what the play saw, for the assertion
                errors.append(exc)

        thread = threading.Thread(target=play, name=_PLAY, daemon=True)
        thread.start()
        assert reached.wait(120), "the play never wrote its note"
        if swap == "discard":
            lan.discard()
        else:
            assert delete_mirror(lan.root)  # another process's prune (or its failed first sync)
            lan.sync()  # takes the mirror on disk: the one open here is shut
        assert lan.cache is not old
        go.set()
        thread.join(120)
        assert not thread.is_alive()
        [error] = errors
        assert isinstance(error, LanError), f"the play failed with {error!r}"
        with pytest.raises(sqlite3.ProgrammingError):  # closed by its last user: not left open
            old.meta("answered_at")
    finally:
        lan.close()
        server.stop()
        index.close()

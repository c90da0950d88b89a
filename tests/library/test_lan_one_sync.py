"""Two syncs of one library server run one after the other, in one process or two.

Why: a sync that copies a replaced server's library whole (client.LanLibrary._copy_whole) makes its
copy in a staging database beside the mirror (`recopy.db`) and first deletes what a copy cut short
left there.  A second sync at the same time (the service's rescan beside a `library sync` run by
hand) deleted the first one's database while it was being written, and the first sync failed with
SQLite's "attempt to write a readonly database" (not a LanError: a first sync's mirror was removed,
the service's rescan ended in a traceback).  Now a sync waits for the one in progress
(`MirroredLibrary._one_sync`, as an OpenSubsonic client's).  The first sync is held at its first
`changes` request (the server waits there for the test), the second is started and the test goes
on once it either finished or says it waits; no timing.  A real library server on the loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from flask import request
from lankit import add_track, second_sync_meanwhile

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary, SyncResult
from moodspeaker.library.lan.server import LibraryServer


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LibraryIndex]:
    with LibraryIndex(tmp_path / "server.db") as idx:
        for i in range(3):
            add_track(
                idx, synth.write(tmp_path / "music" / f"s{i}.wav", synth.chord(synth.C_MAJOR, 1.0)), 0.1 * i
            )
        yield idx


def test_a_second_sync_waits_for_a_whole_copy_in_progress(
    tmp_path: Path, index: LibraryIndex, caplog: pytest.LogCaptureFixture
) -> None:
    server = LibraryServer(index, "127.0.0.1", 0)
    armed, held, go = threading.Event(), threading.Event(), threading.Event()

    @server.app.before_request
    def hold_the_first_copy() -> None:
        if request.path.endswith("/changes") and armed.is_set() and not held.is_set():
            held.set()
            assert go.wait(300), "the test never let the first copy go on"

    server.start()
    cache = tmp_path / "cache"
    first, second = LanLibrary(server.url, cache), LanLibrary(server.url, cache)
    try:
        assert first.sync().updated == 3
        with first.cache.batch() as b:
            b.set_meta("lan_recopy", "1")  # as when the server's counter went back: copied whole
        armed.set()
        results = second_sync_meanwhile(
            first.sync,
            second.sync,
            held=held.is_set,
            let_go=go.set,
            caplog=caplog,
            what="the first sync's whole copy to ask for changes",
        )
        assert all(isinstance(r, SyncResult) for r in results.values()), f"a sync failed: {results}"
        assert {t.title for t in second.tracks()} == {"s0", "s1", "s2"}
    finally:
        first.close()
        second.close()
        server.stop()

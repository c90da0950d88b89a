"""A sync waiting for another sync of its server gives up when the speaker stops.

Why: the sync's lock (a flock on the mirror folder's sync.lock) was waited for in one blocking
flock, which nothing in the process can interrupt: a service stopping while its rescan waited for a
long `library sync` run by hand gave up on its join timeout and left the thread waiting.  Now the
wait polls the lock and asks the caller's check (`waiting`) before each try; the service's rescan
passes its progress callback, which raises when the speaker stops.  The other sync is a lock held by
the test (flock locks conflict between two opens in one process as between processes), the
"stopping" an event the check looks at; a real library server on the loopback, and the service's
own rescan (`open_library`) with the progress callback that raises as service.rescan's does.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import pytest
import synth
from lankit import add_track

from moodspeaker.config import Config, with_changes
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.mirror import SYNC_LOCK
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import sync_remote
from moodspeaker.service.components import open_library
from moodspeaker.service.rescan import ScanStoppedError


def _stoppable(stop: threading.Event, asked: threading.Event) -> Callable[..., None]:
    """A check (or progress callback) that notes it was asked and raises once `stop` is set."""

    def check(*_: object) -> None:
        asked.set()
        if stop.is_set():
            raise ScanStoppedError  # as service.rescan's progress does

    return check


def _run(target: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # what the sync ended with, for the assertions
            errors.append(exc)

    thread = threading.Thread(target=run, name="sync", daemon=True)
    thread.start()
    return thread, errors


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LibraryServer]:
    index = LibraryIndex(tmp_path / "server.db")
    song = synth.write(tmp_path / "music" / "one.wav", synth.chord(synth.C_MAJOR, 1.0))
    add_track(index, song, 0.1)
    srv = LibraryServer(index, "127.0.0.1", 0).start()
    yield srv
    srv.stop()
    index.close()


def _held(root: Path) -> BinaryIO:
    """The sync lock of the mirror folder `root`, taken (another sync in progress)."""
    root.mkdir(parents=True, exist_ok=True)
    lock = (root / SYNC_LOCK).open("ab")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def test_a_sync_waiting_for_the_lock_gives_up_when_stopped(tmp_path: Path, server: LibraryServer) -> None:
    lan = LanLibrary(server.url, tmp_path / "cache")
    lock = _held(lan.root)
    stop, asked = threading.Event(), threading.Event()
    try:
        thread, errors = _run(lambda: sync_remote(lan, waiting=_stoppable(stop, asked)))
        assert asked.wait(120), "the sync never asked whether to go on while it waited"
        asked.clear()
        assert asked.wait(120), "the sync asked only once: it does not poll"
        stop.set()
        thread.join(120)
        assert not thread.is_alive(), "the sync still waits for the lock after the stop"
        assert [type(e) for e in errors] == [ScanStoppedError]
        assert not lan.has_mirror()  # it made nothing: the lock was never its
    finally:
        lock.close()  # (before the fix: lets the waiting sync go on and end)
        lan.close()


def test_a_sync_that_waited_goes_on_when_the_lock_is_let_go(tmp_path: Path, server: LibraryServer) -> None:
    lan = LanLibrary(server.url, tmp_path / "cache")
    lock = _held(lan.root)
    stop, asked = threading.Event(), threading.Event()
    try:
        thread, errors = _run(lambda: sync_remote(lan, waiting=_stoppable(stop, asked)))
        assert asked.wait(120), "the sync never asked whether to go on while it waited"
        lock.close()  # the other sync ends
        thread.join(120)
        assert not thread.is_alive()
        assert errors == []
        assert len(lan.tracks()) == 1
    finally:
        lock.close()
        lan.close()


def test_the_service_rescan_waiting_for_a_sync_by_hand_stops_with_the_speaker(
    tmp_path: Path, server: LibraryServer
) -> None:
    data = tmp_path / "data"
    changes = {"device.data_dir": str(data), "library.servers": [server.url], "library.folders": []}
    source, rescan = open_library(with_changes(Config(), changes))
    [lan] = source.parts[1:]
    lock = _held(lan.root)  # `library sync` run by hand, in progress
    stop, asked = threading.Event(), threading.Event()
    check = _stoppable(stop, asked)

    def progress(phase: str, counts: Mapping[str, int]) -> None:
        if phase == "syncing":
            check()

    try:
        thread, errors = _run(lambda: rescan(progress))
        assert asked.wait(120), "the rescan never reached its sync"
        asked.clear()
        assert asked.wait(120), "the rescan's sync does not ask its progress while it waits"
        stop.set()
        thread.join(120)
        assert not thread.is_alive(), "the rescan still waits for the lock after the speaker stopped"
        assert [type(e) for e in errors] == [ScanStoppedError]
    finally:
        lock.close()
        rescan.close()
        for part in source.parts:
            part.close()

"""A mirror folder that cannot be locked (flock's ENOLCK: an NFS mount without lockd) fails its
server's sync with a SyncError that says what and where, and the rescan syncs the other servers.

Before, the OSError escaped sync_remote as a traceback: `library sync` crashed and the service's
rescan stopped there, the servers after it never synced.  No NFS mount here: flock's failure is
faked at that one boundary (below), for one server's lock file only; the servers, the mirrors, the
rescan are real.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import synth
from lankit import add_track

from moodspeaker.config import Config, with_changes
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.mirror import SYNC_LOCK
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import SyncError, open_remote, sync_remote
from moodspeaker.service.components import open_library

Servers = list[tuple[LibraryServer, LibraryIndex]]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    """Two real library servers on loopback, one track each."""
    out: Servers = []
    for n in range(2):
        index = LibraryIndex(tmp_path / f"server{n}.db")
        add_track(index, synth.write(tmp_path / f"music{n}" / "a.wav", synth.chord(synth.C_MAJOR, 1.0)), 0.1)
        out.append((LibraryServer(index, "127.0.0.1", 0).start(), index))
    yield out
    for server, index in out:
        server.stop()
        index.close()


def _no_locks_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """FAKED (no NFS mount here): flock on a sync lock file in `folder` fails as on NFS without lockd
    (ENOLCK); every other flock is the real one."""
    real = fcntl.flock

    def flock(fd: IO[Any] | int, op: int) -> None:
        name = getattr(fd, "name", "")
        if isinstance(name, str) and Path(name) == folder / SYNC_LOCK:
            raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))
        real(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)  # (mirror.py calls fcntl.flock through the module)


def test_a_sync_that_cannot_lock_says_what_and_where(
    tmp_path: Path, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers[0][0]
    lan = open_remote(server.url, tmp_path / "cache")
    assert sync_remote(lan).updated == 1  # a mirror synced once
    _no_locks_in(monkeypatch, lan.root)
    with pytest.raises(SyncError) as failed:
        sync_remote(lan)
    message = str(failed.value)
    assert str(lan.root / SYNC_LOCK) in message and os.strerror(errno.ENOLCK) in message
    assert failed.value.kept == 1 and lan.tracks()  # the mirror is kept, still playable
    lan.close()


def test_the_rescan_syncs_the_other_servers(
    tmp_path: Path, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [s.url for s, _ in servers]
    config = with_changes(
        Config(),
        {
            "device.data_dir": str(tmp_path / "data"),
            "library.folders": [str(tmp_path / "no-music")],
            "library.servers": urls,
        },
    )
    source, rescan = open_library(config)
    first = open_remote(urls[0], tmp_path / "data" / "lan-cache")
    _no_locks_in(monkeypatch, first.root)
    text = rescan(None)
    rescan.close()
    assert f"{urls[0]}: lan:{urls[0]}: cannot lock {first.root / SYNC_LOCK}" in text, text
    assert f"{urls[1]}: 1 updated" in text  # the next server synced all the same
    assert len(source.tracks()) == 1


@pytest.mark.parametrize("cache_before", ["none", "another server's mirror"])
def test_a_first_sync_that_cannot_lock_leaves_nothing(
    tmp_path: Path, servers: Servers, monkeypatch: pytest.MonkeyPatch, cache_before: str
) -> None:
    """The first sync made the folders and the lock file, then failed to lock: it left an empty
    mirror folder holding only `sync.lock` (and the cache folder it made).  What it made goes again;
    what was there before stays."""
    cache = tmp_path / "cache"
    if cache_before != "none":
        (cache / "other-server-8765").mkdir(parents=True)
        (cache / "other-server-8765" / "index.db").write_bytes(b"mirror")
    before = sorted(str(p.relative_to(tmp_path)) for p in cache.rglob("*"))
    lan = open_remote(servers[0][0].url, cache)
    _no_locks_in(monkeypatch, lan.root)
    with pytest.raises(SyncError) as failed:
        sync_remote(lan)
    assert failed.value.kept is None and str(lan.root / SYNC_LOCK) in str(failed.value)
    assert not lan.root.exists(), sorted(p.name for p in lan.root.iterdir())
    assert sorted(str(p.relative_to(tmp_path)) for p in cache.rglob("*")) == before
    assert cache.exists() == (cache_before != "none")  # made by the sync: gone too
    assert not lan.has_mirror() and lan.tracks() == []
    lan.close()

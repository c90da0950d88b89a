"""What marks a download in the download cache as played (library.lan.audiocache), and what does not.

Why: a download no play asked for (an OpenSubsonic song's analysis copy, `use=False`) is set aside:
the first to go when room is needed, so it never pushes out a song the listener played.  A second
such download of the same song that found the first one being written waited for it and then took
it as a play (it stamped the file as used), so the analysis copy outranked the played songs and a
sweep deleted a played song's copy for it.  The cache is the real one on a temporary folder; the
other download is this test writing through the cache's own `writing`, and the waiting one is held
on the partial download's lock, seen in /proc/locks (no timing).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from moodspeaker.library.lan.audiocache import ASIDE, PART, AudioCache
from polling import until

#: never asked: every download here is found or written by the test
_NO_SERVER = "http://127.0.0.1:9/never"


def _put(cache: AudioCache, track_id: str, data: bytes, *, use: bool) -> Path:
    """A download of `track_id` (version "v") as a play (`use`) or an analysis makes it."""
    with cache.writing(track_id, "v") as out:
        assert out is not None
        out.write(data)
        out.flush()
        return cache.finish(track_id, "v", use=use)


def _waiting_on(path: Path) -> bool:
    """Someone waits for a flock on `path` (a blocked request is listed with '->' in /proc/locks)."""
    inode = os.stat(path).st_ino
    with open("/proc/locks") as locks:
        return any("->" in line and line.split()[6].endswith(f":{inode}") for line in locks)


def test_an_analysis_download_that_waited_for_another_is_not_a_play(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path / "audio", max_bytes=150)
    played = _put(cache, "played", b"p" * 100, use=True)
    got: list[Path] = []
    with cache.writing("aside", "v") as out:  # the analysis download of one sync...
        assert out is not None
        out.write(b"a" * 100)
        out.flush()
        waiter = threading.Thread(  # ...and another's of the same song, which waits for it
            target=lambda: got.append(cache.get(_NO_SERVER, "aside", "v", timeout_s=30.0, use=False)[0])
        )
        waiter.start()
        until(lambda: _waiting_on(cache.folder / ("aside.v" + PART)), what="the second download to wait")
        aside = cache.finish("aside", "v", use=False)
    waiter.join(timeout=60)
    assert got == [aside], "the waiting download did not find the first one's file"

    cache.sweep(lambda ids: {i: "v" for i in ids})  # room for one: the analysis copy goes first
    assert played.is_file(), "the played song's copy was deleted for an analysis copy"
    assert not aside.is_file()


def test_the_retention_goes_by_a_set_aside_copys_real_age(tmp_path: Path) -> None:
    """An analysis copy made now outlives a retention pass that deletes the plays of two days ago
    (it was stamped older than the oldest file, so it went with them), and it still goes first
    when room is needed, until its first play."""
    cache = AudioCache(tmp_path / "audio", max_bytes=250)
    old = _put(cache, "old", b"o" * 100, use=True)
    two_days_ago = time.time_ns() - 2 * 86400 * 10**9
    os.utime(old, ns=(two_days_ago, two_days_ago))  # played two days ago
    aside = _put(cache, "aside", b"a" * 100, use=False)
    assert cache.forget_uses(before=time.time() - 86400) == 1  # a retention of one day
    assert aside.is_file(), "a new analysis copy went with the plays older than the retention"
    assert not old.is_file()

    played = _put(cache, "played", b"p" * 100, use=True)  # played after the analysis copy was made
    _put(cache, "more", b"m" * 100, use=True)  # 300 bytes now: one has to go
    cache.sweep(lambda ids: {i: "v" for i in ids})
    assert not aside.is_file() and played.is_file(), "the set-aside copy did not go first"

    again = _put(cache, "again", b"g" * 100, use=False)
    assert cache.find("again", "v") == again  # its first play: a played copy now, and the newest
    _put(cache, "last", b"l" * 100, use=True)
    cache.sweep(lambda ids: {i: "v" for i in ids})
    assert again.is_file() and not played.is_file(), "a played copy kept its set-aside mark"
    assert sorted(p.name for p in cache.folder.iterdir()) == ["again.v", "last.v"]  # no mark left


def test_a_copy_finished_during_a_sweep_keeps_its_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep drops the marks of copies gone; it looked for the finished file before the partial
    one, so a copy finished between its two looks (finish renames the partial download in one step)
    lost its mark and ranked as played.  The finish is made to happen right after the sweep's first
    look at this copy's files (the file system's own check, then the rename)."""
    cache = AudioCache(tmp_path / "audio", max_bytes=1000)
    final = str(cache.path("aside", "v"))
    looks = [final, final + PART]
    real = os.path.lexists
    finished: list[bool] = []

    def look(path: str) -> bool:
        found = real(path)
        if path in looks and not finished:  # the first look, then the download finishes
            os.replace(final + PART, final)
            finished.append(True)
        return found

    with cache.writing("aside", "v", use=False) as out:
        assert out is not None
        out.write(b"a" * 100)
        out.flush()
        (cache.folder / ("aside.v" + ASIDE)).touch()  # as finish makes it, before the rename
        monkeypatch.setattr(os.path, "lexists", look)
        cache.sweep(lambda ids: {i: "v" for i in ids})
        monkeypatch.undo()
    assert finished, "the sweep never looked for the copy's files: this test shows nothing"
    assert (cache.folder / ("aside.v" + ASIDE)).exists(), "a copy finished during a sweep lost its mark"


def test_a_copy_moved_in_over_a_partial_download_leaves_none(tmp_path: Path) -> None:
    """A play's download of the song cut short (a power cut) left its partial download; the analysis
    copy moved in (`adopt`) over it kept it, stranded: counted toward the bound, never resumed."""
    cache = AudioCache(tmp_path / "audio", max_bytes=1000)
    cache.folder.mkdir(parents=True)
    (cache.folder / ("song.v" + PART)).write_bytes(b"half")
    (cache.folder / "song.v.etag").write_text('"e1"')
    made = tmp_path / "made"
    made.write_bytes(b"w" * 100)
    cache.adopt(made, "song", "v")
    assert sorted(p.name for p in cache.folder.iterdir()) == ["song.v", "song.v" + ASIDE]
    assert (cache.folder / "song.v").read_bytes() == b"w" * 100

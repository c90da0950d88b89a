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
from pathlib import Path

from moodspeaker.library.lan.audiocache import PART, AudioCache
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

"""An analysis copy moved into the download cache (`AudioCache.adopt`) while its staging folder is
cleared (library.lan.audiocache, library.lan.subsonic).

Why: the sync let go of its hold on a staged copy before `adopt` took the cache's lock on that
version; a clear of the staging folder in between (a second sync, "delete everything" from the web
page) deleted it, and adopt went on: it emptied a play's partial download of the song, made a
set-aside mark, and the rename failed, leaving the mark.  Now adopt holds the copy itself under
that lock before the caller's hold goes, checks it is there before changing anything, and takes
the mark back when the rename fails.  The caches are real ones on a temporary folder; the clear
runs when adopt takes its lock (the flock call, at the OS boundary: no timing).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.library.lan.audiocache import ASIDE, PART, AudioCache


def _caches(tmp_path: Path) -> tuple[AudioCache, AudioCache, Path]:
    """The download cache (with a play's partial download of the song, cut short) and the
    staging folder with the song's analysis copy."""
    cache = AudioCache(tmp_path / "audio", max_bytes=10_000)
    staging = AudioCache(tmp_path / "staging", max_bytes=10_000)
    cache.folder.mkdir()
    staging.folder.mkdir()
    (cache.folder / ("song.v" + PART)).write_bytes(b"half")
    made = staging.path("song", "v")
    made.write_bytes(b"w" * 100)
    return cache, staging, made


def test_a_clear_while_the_copy_moves_in_does_not_delete_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, staging, made = _caches(tmp_path)
    real = fcntl.flock
    cleared: list[int] = []

    def flock(handle: Any, op: int) -> None:
        if op == fcntl.LOCK_EX and not cleared and Path(handle.name).parent == cache.folder:
            cleared.append(staging.clear())  # adopt takes the cache's lock: the other thread clears
        real(handle, op)

    monkeypatch.setattr(fcntl, "flock", flock)  # (audiocache calls fcntl.flock)
    with contextlib.ExitStack() as held:
        assert held.enter_context(staging.hold(made))  # the sync's hold, as during the analysis
        cache.adopt(made, "song", "v", release=held.close)
    assert cleared == [0], "the clear did not run while the copy was moved in: this test shows nothing"
    assert (cache.folder / "song.v").read_bytes() == b"w" * 100
    assert sorted(p.name for p in cache.folder.iterdir()) == ["song.v", "song.v" + ASIDE]


def test_a_copy_deleted_before_it_moves_in_changes_nothing_in_the_cache(tmp_path: Path) -> None:
    cache, staging, made = _caches(tmp_path)
    assert staging.clear() == 1  # (nothing held it)
    with pytest.raises(FileNotFoundError):
        cache.adopt(made, "song", "v")
    assert (cache.folder / ("song.v" + PART)).read_bytes() == b"half", "a play's partial download was emptied"
    assert sorted(p.name for p in cache.folder.iterdir()) == ["song.v" + PART]


def test_a_failed_move_takes_its_set_aside_mark_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, _, made = _caches(tmp_path)

    def replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", replace)  # (audiocache calls os.replace)
    with pytest.raises(OSError, match="No space"):
        cache.finish("song", "v", use=False, made=made)
    assert not (cache.folder / ("song.v" + ASIDE)).exists(), "a mark with no download was left"
    assert made.exists()

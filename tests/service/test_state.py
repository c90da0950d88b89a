"""Persistence of the speaker's state: round trip, corrupt files, a full disk."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.state import Snapshot, StateStore


def _item(n: int) -> QueueItem:
    return QueueItem(Track(id=f"t{n}", location=f"/music/{n}.flac", title=f"T{n}", artist="A"), f"r{n}")


def _snap() -> Snapshot:
    return Snapshot(
        current=_item(1),
        position_s=42.5,
        queue=(_item(2), _item(3)),
        playing=True,
        volume=0.4,
        profile="ana",
        strategy="match",
        camera=False,
        saved_at=1000.0,
        picked_for={"t1": "happy", "t2": "sad"},
        picked_at={"t1": 990.0},  # t2's time not known (a state saved before notes had times)
    )


def test_round_trip_and_no_rewrite_when_unchanged(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.load() == (Snapshot(), "")
    assert store.save(_snap())
    mtime = store.path.stat().st_mtime_ns
    assert store.save(_snap())
    assert store.path.stat().st_mtime_ns == mtime
    loaded, notice = StateStore(tmp_path).load()
    assert notice == "" and loaded == _snap()
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp files left


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"version": 1, "queue": [', "not valid JSON"),
        (b"\x00\x00\x00\x00", "not valid JSON"),
        (b"\xff\xfe garbage", "cannot be read"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"version": 99}', "unknown version"),
        (b'{"version": 1, "volume": 7}', "outside 0..1"),
        (b'{"version": 1, "queue": [{"track": {"id": 1}}]}', "'id' missing"),
        (b'{"version": 1, "camera": "yes"}', "'camera' has the wrong type"),
        (b'{"version": 1, "picked_at": {"t1": NaN}}', "'picked_at' is not an object of times"),
    ],
)
def test_corrupt_file_starts_clean_keeps_a_copy_and_says_so(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / "state.json").write_bytes(content)
    store = StateStore(tmp_path)
    snap, notice = store.load()
    assert snap == Snapshot()
    assert "corrupt" in notice and problem in notice and "starting clean" in notice
    copies = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(copies) == 1 and copies[0].read_bytes() == content and str(copies[0]) in notice
    assert store.save(_snap()) and StateStore(tmp_path).load()[0] == _snap()


@contextlib.contextmanager
def _tiny_filesystem(path: Path) -> Iterator[Path]:
    path.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)], check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs to fill ({exc}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_keeps_running_reports_and_recovers(tmp_path: Path) -> None:
    with _tiny_filesystem(tmp_path / "data") as data:
        store = StateStore(data)
        assert store.save(_snap())
        filler = data / "filler"
        with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:  # fill the disk to the last byte
                handle.write(b"\0" * 512)
        changed = Snapshot(volume=0.9, saved_at=2.0)
        assert not store.save(changed)
        assert "No space left on device" in store.last_error
        assert StateStore(data).load()[0] == _snap()  # the old snapshot is intact
        assert sorted(p.name for p in data.iterdir()) == ["filler", "state.json"]  # no temp debris
        os.unlink(filler)
        assert store.save(changed) and store.last_error == ""
        assert StateStore(data).load()[0] == changed

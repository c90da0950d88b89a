"""Storage faults with real parts: kill -9 at random moments of index, feedback and config writes, a
full disk (a real tmpfs, root only), the library disk gone or unmounted during a scan.

The device faults (camera, Edge TPU) are in test_stress_device_faults.py, the broker killed mid-run
in test_stress_broker_kill.py. Bounded: every loop has a fixed number of rounds and generous
timeouts; nothing asserts a duration.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.config import Config, load
from moodspeaker.library.index import LibraryIndex
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue

KID = Path(__file__).with_name("crashkid.py")
ROUNDS = {"index": 16, "feedback": 16, "config": 12}  # + CLI config saves below: >= 50 kills in all
CLI_ROUNDS = 6


def kill_at_random(
    mode: str, folder: Path, start: int, rng: random.Random, *, after_first_ack: bool = False
) -> list[int]:
    """Start the child, let it write for a random moment, kill -9 it; the writes it acknowledged.
    With `after_first_ack` the moment starts at its first acknowledged write instead of at `ready`:
    on a loaded machine a first write can take longer than the whole random moment."""
    proc = subprocess.Popen(
        [sys.executable, str(KID), mode, str(folder), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == "ready", first + (proc.stderr.read() if proc.stderr else "")
    early = proc.stdout.readline() if after_first_ack else ""  # blocks until that write returned
    assert early.startswith("ack ") or not after_first_ack, early + (
        proc.stderr.read() if proc.stderr else ""
    )
    time.sleep(rng.uniform(0.0, 0.25))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    return [int(line.split()[1]) for line in (early + out).splitlines() if line.startswith("ack ")]


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.timeout(300)
def test_kill9_during_index_feedback_and_config_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    kills = 0
    # (a) library index batches
    acked_index: list[int] = []
    for r in range(ROUNDS["index"]):
        acked_index += kill_at_random("index", tmp_path, 1000 * r, rng)
        kills += 1
        assert integrity(tmp_path / "library.db") == "ok"
    index = LibraryIndex(tmp_path / "library.db")
    have = {t.location for t in index.tracks()}
    index.close()
    missing = [i for i in acked_index if any(f"/music/{i}/{j}.ogg" not in have for j in range(20))]
    assert not missing, f"acknowledged index batches lost after kill -9: {missing[:10]}"
    # (b) recommender feedback
    acked_feedback: list[int] = []
    for r in range(ROUNDS["feedback"]):
        acked_feedback += kill_at_random("feedback", tmp_path, 1000 * r, rng)
        kills += 1
        assert integrity(tmp_path / "recommend.sqlite") == "ok"
    rec = Recommender.from_config(Config(), Catalogue([]), tmp_path / "recommend.sqlite")
    stored = {int(e["ts"]) for e in rec.export_profile("default")["feedback"]}
    lost = sorted(set(acked_feedback) - stored)
    assert not lost, f"acknowledged feedback lost after kill -9: {lost[:10]}"
    # (c) config saves, in a tight loop of the real save() ...
    path = tmp_path / "config.toml"
    saved = False  # a save was acknowledged: from then on the file is there, whole, every time
    for r in range(ROUNDS["config"]):
        # until one save is acknowledged, the kill waits for it (the check below needs one on record)
        acked = kill_at_random("config", tmp_path, 1000 * r, rng, after_first_ack=not saved)
        kills += 1
        saved = saved or bool(acked)
        if not saved and not path.exists():  # killed before its first save (a busy machine): nothing lost
            continue
        name = load(path).device.name  # valid TOML and a valid config, every time
        if acked:
            assert name in {f"Name {acked[-1]}", f"Name {acked[-1] + 1}"}, (name, acked[-3:])
    assert saved, "no config save was acknowledged in any round"
    # ... and through `moodspeaker config set` killed at a random moment of its run
    for r in range(CLI_ROUNDS):
        before = load(path).device.name
        proc = subprocess.Popen(
            [sys.executable, "-m", "moodspeaker", "-c", str(path), "config", "set", f"device.name=CLI {r}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        kills += 1
        assert load(path).device.name in {before, f"CLI {r}"}
    assert kills >= 50
    print(
        f"{kills} kills; {len(acked_index)} index batches, {len(acked_feedback)} feedback events "
        f"acknowledged and all present; temp files left by killed config saves: "
        f"{sum(1 for p in tmp_path.iterdir() if p.name.endswith('.tmp'))}"
    )


def _in_tiny_disk(mode: str, size: str, folder: Path) -> str:
    """Run crashkid `mode` in a private mount namespace on a tmpfs of `size` (root only)."""
    folder.mkdir()
    script = 'mount -t tmpfs -o size="$4" tmpfs "$1" && exec "$2" "$3" "$5" "$1" 1'
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, str(KID), size, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root for a private tmpfs mount"
)
def test_disk_full_while_saving_state_config_and_feedback(tmp_path: Path) -> None:
    out = _in_tiny_disk("state", "64k", tmp_path / "state")
    fail = [ln for ln in out.splitlines() if ln.startswith("fail ")]
    assert fail, out[-500:]  # the disk did fill up
    last_ack = max(int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("ack "))
    assert f"loaded {last_ack} note '' leftovers 0" in out  # the previous state is intact, nothing left over
    out = _in_tiny_disk("full-config", "64k", tmp_path / "config")
    assert "error OSError: No space left on device" in out and "name Before leftovers 0" in out, out
    out = _in_tiny_disk("full-feedback", "2m", tmp_path / "feedback")
    assert "error OperationalError: database or disk is full" in out, out
    assert "integrity ok" in out and " lost 0 after True" in out, out


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root for a private tmpfs mount"
)
@pytest.mark.timeout(180)
def test_like_on_a_full_disk_is_a_clear_refusal_on_the_page(tmp_path: Path) -> None:
    folder = tmp_path / "disk"
    folder.mkdir()
    script = 'mount -t tmpfs -o size=4m tmpfs "$1" && exec "$2" "$3" "$1"'
    kid = str(Path(__file__).with_name("diskfull_web.py"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, kid],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "after 200" in proc.stdout, proc.stdout  # with room again, likes work
    status = next(line for line in proc.stdout.splitlines() if line.startswith("status "))
    assert status.startswith("status 400") and "disk" in status.lower(), status


# --- the library disk unmounted during a scan -----------------------------------------------------


def _indexed_tree(tmp_path: Path) -> tuple[Path, LibraryIndex]:
    """20 files under <tmp>/mnt/music, indexed as analysed (their features set directly: the
    analysis itself is not what is tested here)."""
    from moodspeaker.library.index import FEATURE_COLUMNS, Tags  # noqa: PLC0415
    from moodspeaker.library.scanner import walk  # noqa: PLC0415

    root = tmp_path / "mnt" / "music"
    for i in range(20):
        f = root / f"album{i % 3}" / f"t{i}.ogg"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(os.urandom(64))
    index = LibraryIndex(tmp_path / "library.db")
    values = dict(zip(FEATURE_COLUMNS, (0.0, 0.0, 0.5, 120.0, -14.0, 1, 0.5), strict=True))
    with index.batch() as b:
        for entry in walk([root]).files:
            b.upsert_file(
                entry.path, entry.size, entry.mtime_ns, f"h-{entry.path}", Tags(Path(entry.path).stem)
            )
            b.set_analysed(entry.path, {}, values)
    return root, index


def _rescan(index: LibraryIndex, root: Path) -> Any:
    from moodspeaker.library.indexer import Indexer  # noqa: PLC0415
    from moodspeaker.library.workers import AnalysisPool  # noqa: PLC0415

    pool = AnalysisPool(1)  # never started: nothing is left to analyse
    try:
        return Indexer(index, pool).scan([str(root)])
    finally:
        pool.close()


def test_library_folder_gone_during_a_scan_keeps_the_index(tmp_path: Path) -> None:
    root, index = _indexed_tree(tmp_path)
    shutil.move(str(tmp_path / "mnt"), str(tmp_path / "elsewhere"))  # the mount point itself is gone
    summary = _rescan(index, root)
    assert len(index.tracks()) == 20 and summary.removed == 0
    assert any(kind == "missing" for _, kind, _ in summary.problems), summary.problems
    shutil.move(str(tmp_path / "elsewhere"), str(tmp_path / "mnt"))
    assert _rescan(index, root).skipped == 20  # back: nothing to redo
    index.close()


def test_library_disk_unmounted_leaving_an_empty_mount_point_keeps_the_index(tmp_path: Path) -> None:
    root, index = _indexed_tree(tmp_path)
    shutil.rmtree(root)
    root.mkdir()  # what an unmounted disk leaves behind: the empty mount point
    summary = _rescan(index, root)
    kept = len(index.tracks())
    index.close()
    assert kept == 20, f"{summary.removed} tracks removed because their disk was unmounted"
    assert any(kind == "empty" for _, kind, _ in summary.problems), summary.problems

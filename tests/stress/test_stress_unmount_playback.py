"""The library disk unmounted during playback (the scan side is in test_stress_faults.py).

A child process in a private mount namespace (`unshare -rm`) mounts a real tmpfs as the "USB disk",
writes five tracks on it and three on a second library folder that stays, and runs the real appliance
(player on SDL's dummy driver, recommender, feedback writer, housekeeping; see unmountkid.py) with the
listener's queue usb0 (playing), usb1, usb2, nas0, usb3, usb4.  Mid-usb0 the disk goes (`umount -l`).
The speaker must not crash or hang, must name each file it cannot open (events and health), skip
them, and keep playing what it can still reach, also after the queue ran into the vanished tracks and
after the three tracks left have all played (a library smaller than the no-repeat window goes round
again instead of going silent).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

KID = Path(__file__).with_name("unmountkid.py")


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _namespaces_work(), reason="needs `unshare -rm` (user and mount namespaces) for a private tmpfs"
)


def run_kid(folder: Path) -> dict[str, Any]:
    usb = folder / "usb"
    usb.mkdir(parents=True)
    script = 'mount -t tmpfs -o size=16m tmpfs "$1" && exec "$2" "$3" "$4"'
    env = {**os.environ, "PYTHONPATH": str(KID.parent), "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(usb), sys.executable, str(KID), str(folder)],
        capture_output=True,
        text=True,
        timeout=150,  # a hung player fails here instead of hanging the suite
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    report["log"] = proc.stderr
    return report


@pytest.mark.timeout(180)
def test_disk_unmounted_mid_track_skips_what_is_gone_and_plays_on(tmp_path: Path) -> None:
    r = run_kid(tmp_path)
    where = {k: v for k, v in r.items() if k not in {"health", "log"}}
    assert r["umount"] == [0, ""], where
    assert "timeout" not in r, where  # the remaining library played twice over after the unmount
    assert r["liveness"] == "" and r["player_alive"] and r["playing"], where
    # the track playing at the unmount ends (its open file stays readable after a lazy unmount),
    # it does not hang the player
    assert r["ended"][0]["id"] == "usb0", where
    # nothing from the vanished disk starts again; the other library plays on, also after the queue
    # ran into the last two vanished tracks (nas0 was queued; what follows it the speaker chose), and
    # round again once all three have played: nas0, nas1, nas2 in some order, then the same order
    started = r["started"]
    assert all(t.startswith("nas") for t in started), where
    assert started[0] == "nas0" and len(started) >= 6, where
    assert sorted(started[:3]) == ["nas0", "nas1", "nas2"] and started[3:6] == started[:3], where
    # each file it could not open is named: in the events, the log and health's failed tracks; usb0
    # too, which played to its end from the file left open and, heard longest ago, was tried again
    gone = [str(tmp_path / "usb" / f"usb{i}.ogg") for i in range(5)]
    for path in gone:
        assert any(path in e for e in r["errors"]), (path, r["errors"])
        assert f"{path}: no such file" in r["log"], path
    failed = {f["track_id"]: f["error"] for f in r["health"]["failed_tracks"]}
    assert failed == {f"usb{i}": f"{gone[i]}: no such file" for i in range(5)}, failed
    # and health's library component says what is wrong, once, with the file
    library = r["health"]["components"]["library"]
    assert library["state"] == "missing" and str(tmp_path / "usb") in library["detail"], library
    assert sum(e.startswith("library:") for e in r["errors"]) == 1, r["errors"]
    print(f"unmounted at {r['position_at_unmount']:.1f} s into usb0; then played {r['started']} in "
          f"{r['seconds']} s; skipped {sorted(failed)}")  # fmt: skip

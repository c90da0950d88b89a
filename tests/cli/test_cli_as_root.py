"""Commands run with sudo on the device write into the data folder as the folder's owner (the
service's user), so the service can still read what they wrote."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodspeaker.cli import main
from moodspeaker.commands.owner import as_owner_of
from moodspeaker.service.datalock import hold_data_folder

#: A user that exists on every Debian system; it stands in for the service's user (moodspeaker).
NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as `sudo moodspeaker ...`")


@pytest.fixture
def service_data() -> Iterator[Path]:
    """A data folder owned by another user, like /var/lib/moodspeaker (0750 moodspeaker)."""
    top = Path(tempfile.mkdtemp(prefix="moodspeaker-root-"))  # pytest's tmp_path is root-only (0700)
    try:
        top.chmod(0o755)
        data = top / "data"
        data.mkdir(mode=0o750)
        os.chown(data, NOBODY, NOBODY)
        yield data
    finally:
        shutil.rmtree(top)


def _owners(folder: Path) -> set[tuple[str, int, int]]:
    return {(str(p.relative_to(folder)), p.stat().st_uid, p.stat().st_gid) for p in folder.rglob("*")}


def _services_all(folder: Path) -> set[tuple[str, int, int]]:
    """The files of `folder` with their owners (_owners), asserted to be all the service's (nobody's
    here)."""
    owners = _owners(folder)
    assert all(uid == NOBODY and gid == NOBODY for _, uid, gid in owners), owners
    return owners


@pytest.mark.parametrize("reset", [False, True])
def test_sudo_setup_code_leaves_files_the_service_can_read(
    service_data: Path, reset: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    if reset:  # the page has a password, set on the page (the service's user's files)
        web = service_data / "web"
        web.mkdir(mode=0o700)
        (web / "auth.json").write_text("{}", encoding="utf-8")
        for path in (web, web / "auth.json"):
            os.chown(path, NOBODY, NOBODY)
    args = ["--set", f"device.data_dir={service_data}", "setup-code", *(["--reset"] if reset else [])]
    assert main(args) == 0
    assert "Setup code:" in capsys.readouterr().out
    owners = _services_all(service_data)
    assert ("web/setup-code", NOBODY, NOBODY) in owners
    assert os.geteuid() == 0 and os.getegid() == 0  # root again afterwards


def test_root_owned_data_folder_stays_roots(tmp_path: Path) -> None:
    assert main(["--set", f"device.data_dir={tmp_path}", "setup-code"]) == 0
    assert (tmp_path / "web" / "setup-code").stat().st_uid == 0


def test_sudo_index_leaves_an_index_the_service_can_write(
    service_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sudo moodspeaker index` made library.db root's: the service then failed with 'attempt to
    write a readonly database' on its next scan or feedback."""
    monkeypatch.delenv("NUMBA_CACHE_DIR")  # the tests' shared cache is root's: sudo has none set
    music = service_data.parent / "music"
    music.mkdir()
    assert main(["--set", f"device.data_dir={service_data}", "index", "--quiet", str(music)]) == 0
    assert "0 audio files" in capsys.readouterr().out
    owners = _services_all(service_data)
    assert ("library.db", NOBODY, NOBODY) in owners


def test_sudo_calibrate_neutral_leaves_a_file_the_service_owns(
    service_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sudo moodspeaker calibrate-neutral --profile ann` wrote calibration/ as root's."""
    data = pytest.importorskip("skimage.data")
    bgr = np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # Eileen Collins, NASA, public domain
    frames = service_data.parent / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(bgr, 4 * i, axis=1))
    args = ["--set", f"device.data_dir={service_data}", "--set", "detector.type=haar"]
    # --force: the photo smiles, which calibrate-neutral refuses as a resting face; what is tested
    # here is the file's owner, not the face
    calibrate = ["calibrate-neutral", "--profile", "ann", "--source", str(frames), "--frames", "3", "--force"]
    assert main([*args, *calibrate]) == 0
    assert "saved" in capsys.readouterr().out
    owners = _services_all(service_data)
    assert ("calibration/neutral-ann.json", NOBODY, NOBODY) in owners


def test_sudo_library_stats_leaves_the_index_to_the_service(
    service_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sudo moodspeaker library stats` before the first scan created library.db as root's.  It now
    creates no index at all before the first scan (tests/library/test_stats_no_index.py)."""
    assert main(["--set", f"device.data_dir={service_data}", "library", "stats"]) == 0
    assert "no library indexed yet" in capsys.readouterr().out
    owners = _services_all(service_data)
    assert not any(name.startswith("library.db") for name, _, _ in owners), owners


def _hold_as_owner(folder: Path) -> bool:
    """Take the folder's speaker lock as its owner (the service's user); whether the lock file was
    opened for writing."""
    with as_owner_of(folder):
        held = hold_data_folder(folder)
    with held:
        return held.writable()


def test_the_service_user_locks_a_folder_whose_lock_file_root_made(service_data: Path) -> None:
    """`sudo moodspeaker run` leaves `speaker.lock` root's, 0644: the service, as its own user, could
    not open it for writing and refused to start at all.  A lock needs no write: taken read-only."""
    lock = service_data / "speaker.lock"
    lock.write_text("4242\n", encoding="utf-8")  # root's, 0644: what `sudo moodspeaker run` leaves
    lock.chmod(0o644)
    assert _hold_as_owner(service_data) is False  # taken read-only: the pid is not written


def test_the_service_user_writes_its_pid_into_its_own_lock_file(service_data: Path) -> None:
    assert _hold_as_owner(service_data) is True
    assert (service_data / "speaker.lock").read_text(encoding="utf-8") == f"{os.getpid()}\n"

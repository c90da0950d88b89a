"""The service's user can lock a data folder whose lock file root left behind.

Why: `sudo moodspeaker run` (a test by hand on the device) makes `speaker.lock` root's, 0644; the
service, run as its own user, could not open it for writing and refused to start at all ("Permission
denied") until someone deleted the file.  A lock needs no write: it is taken on the file read-only.
The lock taken with another user's effective ids (nobody), as the service's user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.service.datalock import hold_data_folder

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as `sudo moodspeaker run`")


@pytest.fixture
def service_data() -> Iterator[Path]:
    top = Path(tempfile.mkdtemp(prefix="moodspeaker-lock-"))
    try:
        top.chmod(0o755)
        data = top / "data"
        data.mkdir(mode=0o750)
        os.chown(data, NOBODY, NOBODY)
        yield data
    finally:
        shutil.rmtree(top)


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    """This process with nobody's effective ids for the block (the service's user stands in)."""
    os.setegid(NOBODY)
    try:
        os.seteuid(NOBODY)
        try:
            yield
        finally:
            os.seteuid(0)
    finally:
        os.setegid(0)


def _hold_as_nobody(folder: Path) -> bool:
    """Take the folder's lock as nobody; whether the lock file was opened for writing."""
    with as_nobody():
        held = hold_data_folder(folder)
    with held:
        return held.writable()


def test_the_service_user_locks_a_folder_whose_lock_file_root_made(service_data: Path) -> None:
    lock = service_data / "speaker.lock"
    lock.write_text("4242\n", encoding="utf-8")  # root's, 0644: what `sudo moodspeaker run` leaves
    lock.chmod(0o644)
    assert _hold_as_nobody(service_data) is False  # taken read-only: the pid is not written


def test_the_service_user_writes_its_pid_into_its_own_lock_file(service_data: Path) -> None:
    assert _hold_as_nobody(service_data) is True
    assert (service_data / "speaker.lock").read_text(encoding="utf-8") == f"{os.getpid()}\n"

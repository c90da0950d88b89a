"""A save is saved once its new file is renamed into place: what fails after the rename is a warning.

edit.save and util/atomic.atomic_write_bytes ran two steps after the rename: the folder's fsync and,
as root, the chown that gives the file back to its owner.  Either raising OSError made `moodspeaker
config set` (and the page's Settings, through the same config.edit.update) say "nothing was saved"
about a file that had changed.

Neither failure can be produced on demand with real files (an fsync fails on an I/O error or a
filesystem that refuses it for folders; a chown on NFS with root_squash), so each test injects it at
the os function's boundary, for that one call only (the folder's fsync, the chown of that file): the
files, the write and the rename are real.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import load, with_changes
from moodspeaker.config.edit import update
from moodspeaker.util.atomic import atomic_write_bytes

#: A user that exists on every Debian system (the service user stands in for it).
NOBODY_UID = 65534


def _folder_fsync_fails(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """os.fsync raises EIO for a folder (the sync after the rename), works for files; returns the
    folder fds it refused, so a test can see the failure did happen."""
    real: Callable[[int], None] = os.fsync
    refused: list[int] = []

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            refused.append(fd)
            raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return refused


def test_a_failed_folder_sync_after_the_rename_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")
    refused = _folder_fsync_fails(monkeypatch)
    with caplog.at_level(logging.WARNING):
        atomic_write_bytes(path, b"new", mode=0o600)  # raised OSError before
    assert refused, "the folder's fsync was not reached"
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in m and "syncing its folder" in m and "Input/output" in m for m in warned), warned


def test_update_returns_the_saved_config_when_the_folder_sync_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config.edit.update is the page's save and `config set`'s: it must report what the file holds."""
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    _folder_fsync_fails(monkeypatch)
    _, saved = update(path, lambda now: with_changes(now, {"player.volume": 0.3}))
    assert saved.player.volume == 0.3 == load(path).player.volume


def test_config_set_says_saved_when_the_folder_sync_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    _folder_fsync_fails(monkeypatch)
    assert main(["-c", str(path), "config", "set", "player.volume=0.3"]) == 0
    out, err = capsys.readouterr()
    assert f"saved {path}" in out and "nothing was saved" not in err, (out, err)
    assert load(path).player.volume == 0.3


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: only root's save gives the file back to its owner")
def test_a_failed_chown_after_the_rename_is_a_warning_not_nothing_saved(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`sudo moodspeaker config set` on a file of the service's user: the chown back fails (EPERM, as
    on NFS with root_squash); the new value is in the file, so the command says saved and warns
    which file is root's now and how to fix it."""
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    os.chown(path, NOBODY_UID, NOBODY_UID)
    real_chown = os.chown
    refused: list[str] = []

    def chown(target: str | os.PathLike[str], uid: int, gid: int) -> None:
        if Path(target) == path:
            refused.append(str(target))
            raise PermissionError(errno.EPERM, "Operation not permitted", str(target))
        real_chown(target, uid, gid)

    monkeypatch.setattr(os, "chown", chown)
    with caplog.at_level(logging.WARNING):
        assert main(["-c", str(path), "config", "set", "player.volume=0.3"]) == 0  # 1 before
    out, err = capsys.readouterr()
    assert refused, "the chown was not reached"
    assert f"saved {path}" in out and "nothing was saved" not in err, (out, err)
    assert load(path).player.volume == 0.3
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        str(path) in m and "owner" in m and "not permitted" in m and f"chown {NOBODY_UID}:{NOBODY_UID}" in m
        for m in warned
    ), warned

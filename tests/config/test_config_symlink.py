"""A config file reached through a symlink is saved where the link points, under that file's lock.

Why: `save` and `update` (`config set`, the page's Settings, the demo) renamed the new file over the
path they were given, so `moodspeaker -c link.toml config set ...` put a regular file in the link's
place: the file it pointed at kept its old values, and the command then said the speaker follows
that file, not this one.  And the lock was taken on the link's folder, so a writer through the link
and one on the file itself did not keep each other out.  Real symlinks (one relative, from another
folder), the real CLI.
"""

from __future__ import annotations

import fcntl
import os
import tomllib
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, load, save, with_changes
from moodspeaker.config.edit import locked, update


def _folder_locked(folder: Path) -> bool:
    """Whether another open of `folder` finds its lock (config.edit.locked) taken."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """(cfg/c.toml with a comment header, link.toml: a relative symlink to it from another folder)."""
    (tmp_path / "cfg").mkdir()
    target = tmp_path / "cfg" / "c.toml"
    target.write_text(f'# the owner\'s note\n[device]\ndata_dir = "{tmp_path / "data"}"\n')
    link = tmp_path / "link.toml"
    link.symlink_to(Path("cfg") / "c.toml")
    return target, link


def test_config_set_through_a_link_saves_the_file_it_points_to(
    linked: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    target, link = linked
    assert main(["-c", str(link), "config", "set", "player.volume=0.7"]) == 0
    assert link.is_symlink() and link.resolve() == target
    assert load(target).player.volume == 0.7
    assert target.read_text().startswith("# the owner's note\n")
    out = capsys.readouterr()
    assert out.out.startswith(f"saved {link}: no speaker runs"), out
    assert "not this file" not in out.err
    assert main(["-c", str(target), "config", "set", "player.crossfade_s=2"]) == 0
    assert link.is_symlink() and load(link).player.crossfade_s == 2.0


def test_save_and_update_through_a_link_lock_and_write_the_file_it_points_to(
    linked: tuple[Path, Path],
) -> None:
    target, link = linked
    seen: list[bool] = []

    def change(now: Config) -> Config:
        seen.append(_folder_locked(target.parent))  # the lock a save on the file itself takes
        return with_changes(now, {"player.volume": 0.5})

    update(link, change)
    assert seen == [True]
    with locked(link):
        assert _folder_locked(target.parent)
    save(with_changes(load(link), {"player.crossfade_s": 2.5}), link)  # the demo's and the page's save
    assert link.is_symlink()
    saved = tomllib.loads(target.read_text())["player"]
    assert (saved["volume"], saved["crossfade_s"]) == (0.5, 2.5)


def test_a_link_to_a_file_not_made_yet_makes_that_file(tmp_path: Path) -> None:
    """The page saves with missing_ok (a file deleted, or never made): through a link, the file made is
    the one it points to, and the link stays."""
    (tmp_path / "cfg").mkdir()
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "cfg" / "c.toml")
    update(link, lambda now: with_changes(now, {"player.volume": 0.4}), missing_ok=True)
    assert link.is_symlink()
    assert load(tmp_path / "cfg" / "c.toml").player.volume == 0.4

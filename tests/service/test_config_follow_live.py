"""The running speaker follows its config file without ever taking a file half written, writing it, or
undoing a save from its page.

Why: a file written in place (nano, `cat > f`, a script's `echo a > f; echo b >> f`) is empty or
partial for a moment, and still valid TOML; the follower took every setting it no longer had as set
back to its default and applied that through the page's save, which wrote the defaults over the
owner's finished file (the camera came on, data_dir and web.host were written over).  And it read
the file, then applied what it read later: a page save landing in between was undone.

The real service run by the runner with its page (followkit), the real `config set`; the follower's
passes are made by the test (`held_follower`), so each interleaving is the one named, never a race.
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path
from unittest import mock

import pytest
from followkit import held_follower, serving

from moodspeaker.cli import main
from moodspeaker.config import Config
from moodspeaker.config.follow import FileFollower
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, StateChanged
from moodspeaker.service.file_settings import FollowedFile


def _passes(followed: FollowedFile, count: int) -> None:
    for _ in range(count):
        followed.step()


def _camera_off_crossfade_2(app: Appliance, followed: FollowedFile, path: Path) -> str:
    """`config set camera.enabled=false player.crossfade_s=2` taken (two passes: the file the same at
    both); the file's text then."""
    assert main(["-c", str(path), "config", "set", "camera.enabled=false", "player.crossfade_s=2"]) == 0
    _passes(followed, 2)
    assert app.stage.enabled is False
    assert app.config.player.crossfade_s == 2.0
    return path.read_text()


def _camera_switched_on(events: list[Event]) -> bool:
    return any(isinstance(e, StateChanged) and e.key == "camera" and e.value is True for e in events)


def _as_running(app: Appliance, page_config: Config) -> None:
    """The owner's settings still in force, in the service and on the page."""
    for config in (app.config, page_config):
        assert config.camera.enabled is False
        assert config.web.host == "127.0.0.1"
    assert app.stage.enabled is False


def test_a_file_rewritten_in_place_is_taken_only_once_written(tmp_path: Path) -> None:
    with held_follower() as got, serving(tmp_path, web=True) as (app, faces, path, events):
        followed, ctx = got[0], faces.web.ctx
        full = _camera_off_crossfade_2(app, followed, path)
        edited = full.replace("crossfade_s = 2.0", "crossfade_s = 1.5")
        assert edited != full
        del events[:]
        with path.open("w") as editor:  # truncated (O_TRUNC), as nano or `cat > f` write
            _passes(followed, 3)  # empty and the same at each pass: still not a file of defaults
            assert path.read_bytes() == b""  # the follower never writes the file
            _as_running(app, ctx.config)
            cut = edited.index("crossfade_s = 1.5") + len("crossfade_s = 1")
            editor.write(edited[:cut])  # the value cut short: 1 (of 1.5)
            editor.flush()
            _passes(followed, 1)
            assert app.config.player.crossfade_s == 2.0  # not the same at two passes: not taken
            editor.write(edited[cut:])
        _passes(followed, 1)
        assert app.config.player.crossfade_s == 2.0
        _passes(followed, 1)
        assert app.config.player.crossfade_s == 1.5 == ctx.config.player.crossfade_s
        assert path.read_text() == edited
        _as_running(app, ctx.config)
        assert not _camera_switched_on(events)


def test_a_two_step_script_and_a_removed_line_change_nothing_until_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with held_follower() as got, serving(tmp_path, web=True) as (app, faces, path, events):
        followed, ctx = got[0], faces.web.ctx
        full = _camera_off_crossfade_2(app, followed, path)
        del events[:]
        path.write_text("# provisioning\n")  # a script's first line; the rest comes later
        _passes(followed, 3)
        _as_running(app, ctx.config)
        assert app.config.recommend.queue_length == 3  # the one-run override stays too
        path.write_text(full)
        _passes(followed, 2)
        _as_running(app, ctx.config)
        # the owner removes the line by hand: kept until a restart, said in the log
        assert full.count("enabled = false\n") == 1  # camera.enabled's line
        path.write_text(full.replace("enabled = false\n", ""))
        _passes(followed, 2)
        _as_running(app, ctx.config)
        assert not _camera_switched_on(events)
        assert "no longer sets camera.enabled" in caplog.text
        assert "camera.enabled" in ctx.restart_waiting()  # the page says its default comes at the restart
        assert path.read_text() == full.replace("enabled = false\n", "")
        # set in the file again, to another value: that is a change, applied
        path.write_text(full.replace("enabled = false\n", "enabled = true\n"))
        _passes(followed, 2)
        assert app.stage.enabled is True
        assert app.config.camera.enabled is True
        assert "camera.enabled" not in ctx.restart_waiting()


@pytest.mark.parametrize("after_read", [1, 2])
def test_a_page_save_made_after_the_follower_read_the_file_stays(tmp_path: Path, after_read: int) -> None:
    """The owner saves crossfade 4 on the page right after the follower's first or second read of the
    file `config set` wrote with crossfade 2 (the second is the read it takes the file on)."""
    with held_follower() as got, serving(tmp_path, web=True) as (app, faces, path, _events):
        followed, ctx = got[0], faces.web.ctx
        assert main(["-c", str(path), "config", "set", "player.crossfade_s=2"]) == 0
        written = path.read_bytes()
        reads: list[bytes] = []
        read = FileFollower._read_bytes

        def then_save(self: FileFollower) -> bytes | None:
            data = read(self)
            if data == written:
                reads.append(data)
                if len(reads) == after_read:
                    ctx.save_changes({"player.crossfade_s": 4.0})
            return data

        with mock.patch.object(FileFollower, "_read_bytes", then_save):
            for _ in range(4):
                followed.step()
                if len(reads) >= after_read:  # saved: from then on the page's value, everywhere
                    assert tomllib.loads(path.read_text())["player"]["crossfade_s"] == 4.0
                    assert ctx.config.player.crossfade_s == 4.0
                    assert app.config.player.crossfade_s == 4.0
        assert len(reads) >= after_read


def test_a_page_save_waits_while_the_follower_applies(tmp_path: Path) -> None:
    """A save from the page while the follower works out its change (holding the lock a save
    takes): the save waits, then is the last word, in the file, the page and the service."""
    with held_follower() as got, serving(tmp_path, web=True) as (app, faces, path, _events):
        followed, ctx = got[0], faces.web.ctx
        assert main(["-c", str(path), "config", "set", "player.crossfade_s=2"]) == 0
        page = threading.Thread(target=ctx.save_changes, args=({"player.crossfade_s": 4.0},))
        parse = FileFollower._parse

        def parse_then_save(self: FileFollower, data: bytes) -> object:
            if not page.is_alive() and page.ident is None:
                page.start()  # blocks on the lock the follower holds
            return parse(self, data)

        followed.step()
        with mock.patch.object(FileFollower, "_parse", parse_then_save):
            followed.step()
        assert page.ident is not None  # the save was made while the follower worked
        page.join(30)
        assert not page.is_alive()
        assert tomllib.loads(path.read_text())["player"]["crossfade_s"] == 4.0
        assert ctx.config.player.crossfade_s == 4.0 == app.config.player.crossfade_s

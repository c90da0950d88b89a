"""An entry of library.servers that cannot be used as written is refused when saved, but a config file
that already holds one still starts the speaker, which skips that server.

Such entries: an OpenSubsonic URL without a user name (`subsonic+http://:pw@nas:4533`: it cannot log
in), and a Moodspeaker library server's URL with a user name or password (`http://bob:pw@nas:8765`:
the server asks for no login, urllib took `bob:pw@nas` for the host, and the URL, password and all,
named the server's mirror folder and its errors).  4c3e162 refused the first in the config's own
check, which made a file holding one (saved before that check) refused at every start: the speaker
did not start at all, nor its page, where it had started and skipped that server.  Now a save that
sets library.servers refuses them (`config set`, `--set`, the page), while a file holding one loads
(config.rules.kept): a warning, once, naming library.servers and the entry with its password masked;
the speaker skips that server; `config check` and `doctor` fail on it; the running speaker following
its file takes it as its start does; a save of another setting leaves its line as written.

The real CLI, the real `build_parts` and Appliance as `moodspeaker run` builds them (the real
expression model), the real follower of the runner (followkit) and the settings page's form.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from followkit import held_follower, serving

from moodspeaker.cli import main
from moodspeaker.config import load
from moodspeaker.config.load import describe
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.service.app import Appliance
from moodspeaker.service.components import build_parts
from moodspeaker.service.events import EventBus
from moodspeaker_web.input_checks import extra_checks

SECRET = "hunter2pw"
NO_USER = f"subsonic+http://:{SECRET}@127.0.0.1:9"
LOGIN = f"http://bob:{SECRET}@127.0.0.1:9"
GOOD = "http://127.0.0.1:9"  # a library server's URL as it should be (nobody answers there)
MASKED = ("'subsonic+http://:********@127.0.0.1:9' has a password but no user name",
          "'http://bob:********@127.0.0.1:9' has a user name or password")  # fmt: skip


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'# the owner\'s notes\n[device]\ndata_dir = "{tmp_path / "data"}"\n\n[camera]\nenabled = false\n\n'
        f"[library]\nservers = {json.dumps([NO_USER, LOGIN, GOOD])}  # the NAS\n"
    )
    return path


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_file_holding_one_starts_the_speaker_which_skips_that_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _file(tmp_path)
    caplog.set_level(logging.INFO)
    config = load(path)  # as `moodspeaker run` loads it: it exited 2 here
    assert config.library.servers == (NO_USER, LOGIN, GOOD)  # nothing of the file lost
    warned = _warnings(caplog)
    assert len(warned) == 2, warned
    for warning, masked in zip(warned, MASKED, strict=True):
        assert warning.startswith(f"{path}: library.servers: {masked}"), warning
        assert "the speaker skips that server" in warning and "config set" in warning, warning
    load(path)  # read again (the page reads it for each Settings page): said once
    assert len(_warnings(caplog)) == 2

    data = tmp_path / "data"
    data.mkdir()
    parts = build_parts(config, data)  # as `moodspeaker run` builds them
    app = Appliance(config, EventBus(), parts, data)
    app.start()
    try:
        assert parts.rescan is not None
        said = parts.rescan()  # the good server is synced (nobody answers); the other two skipped
    finally:
        app.stop()
        close = getattr(parts.rescan, "close", None)
        if close is not None:
            close()
    assert f"{GOOD}: " in said and "bob" not in said, said
    skipped = [r.getMessage() for r in caplog.records if "library server skipped" in r.getMessage()]
    assert len(skipped) == 2, skipped
    everything = caplog.text + said
    assert SECRET not in everything
    assert not [p.name for p in (data / "lan-cache").glob("*") if "bob" in p.name or SECRET in p.name]


def test_config_check_and_doctor_fail_on_it_and_a_save_keeps_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path)
    assert main(["-c", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err
    for masked in MASKED:
        assert f"{path}: library.servers: {masked}" in err, err
    assert main(["-c", str(path), "doctor", "--json", "--only", "config"]) == 1
    (check,) = json.loads(capsys.readouterr().out)["checks"]
    assert check["status"] == "fail" and MASKED[0] in check["summary"], check
    assert len(check["details"]["problems"]) == 2, check
    # another setting saved: the servers' line stays as written (the entries are the owner's to mend)
    before = path.read_text()
    assert main(["-c", str(path), "config", "set", "player.volume=0.5"]) == 0
    after = path.read_text()
    assert "volume = 0.5" in after and load(path).player.volume == 0.5, after
    assert after.replace("[player]\nvolume = 0.5\n", "").strip() == before.strip(), after
    assert SECRET not in capsys.readouterr().err


def test_a_save_that_sets_library_servers_refuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[device]\ndata_dir = "{tmp_path / "data"}"\n')
    for url, masked in zip((NO_USER, LOGIN), MASKED, strict=True):
        assert main(["-c", str(path), "config", "set", f"library.servers={GOOD},{url}"]) == 2
        err = capsys.readouterr().err
        assert "nothing was saved" in err and f"library.servers: {masked}" in err, err
        assert SECRET not in err
        assert main(["-c", str(path), "--set", f"library.servers={url}", "config", "show"]) == 2
        assert "library.servers: " in capsys.readouterr().err
    assert "servers" not in path.read_text()
    assert main(["-c", str(path), "config", "set", f"library.servers={GOOD}"]) == 0
    # the page's Settings form refuses them in the servers field, masked
    servers = next(info for info in describe() if info.dotted == "library.servers")
    for url, masked in zip((NO_USER, LOGIN), MASKED, strict=True):
        problem = extra_checks(servers, (GOOD, url))
        assert problem is not None and masked in problem and SECRET not in problem, problem
    assert extra_checks(servers, (GOOD, "subsonic+http://alice:pw@127.0.0.1:4533")) is None
    # and a library server's client refuses a login in its URL (`library sync URL`), masked
    with pytest.raises(ValueError, match="has a user name or password") as refused:
        LanLibrary(LOGIN, tmp_path / "cache")
    assert SECRET not in str(refused.value)
    assert main(["-c", str(path), "library", "sync", LOGIN]) == 2
    out = capsys.readouterr()
    assert MASKED[1] in out.err and SECRET not in out.out + out.err, out


def test_the_running_speaker_follows_a_file_that_gains_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A hand edit adding such an entry does not stop the follower (the file did not load, and
    nothing the file changed was taken until the entry was mended): the entry is taken as the start
    takes it (with its warning, waiting for a restart like any library.servers change), and the
    settings changed with it and after it are applied."""
    with held_follower() as got, serving(tmp_path, web=False) as (app, _faces, path, _events):
        followed = got[0]
        text = path.read_text()
        path.write_text(
            text.replace("[library]\n", f"[library]\nservers = {json.dumps([NO_USER])}\n", 1)
            .replace("queue_length = 4", "queue_length = 5")
        )  # fmt: skip
        followed.step()
        followed.step()
        assert app.config.recommend.queue_length == 5
        assert app.config.library.servers == (NO_USER,)
        assert any(f"{path}: library.servers: {MASKED[0]}" in w for w in _warnings(caplog))
        path.write_text(path.read_text().replace("queue_length = 5", "queue_length = 6"))
        followed.step()
        followed.step()
        assert app.config.recommend.queue_length == 6
    assert SECRET not in caplog.text

"""A library server's password is never printed: every message that shows a server URL masks it.

Why: `config set 'library.servers=subsonic+http://:hunter2pw@nas.lan:4533'` was saved, and `library
sync` then printed "... needs a user name ...: 'http://:hunter2pw@nas.lan:4533'" (the service logged
the same), and a sync's report line began with the URL in full, password and all.  Now such a URL is
refused when the setting is saved (naming library.servers; a file holding one loads, the server
skipped: test_unusable_server_file), and every message showing a server URL masks its password
(util.net.mask_url): the OpenSubsonic client's refusals, a library server URL of the wrong form,
`library sync`'s lines, a refused config value (a secret setting's too) and the settings page's URL
checks.

The real CLI (config set, library sync) against a real OpenSubsonic server (tests/subsonickit.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config.load import describe
from moodspeaker_web.input_checks import extra_checks
from subsonickit import served

SECRET = "hunter2pw"


def said(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_a_subsonic_url_without_a_user_is_refused_when_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[device]\ndata_dir = "{tmp_path / "data"}"\n')
    before = config.read_text()
    code = main(
        ["-c", str(config), "config", "set", f"library.servers=subsonic+http://:{SECRET}@nas.lan:4533"]
    )
    text = said(capsys)
    assert code == 2, text
    assert "library.servers" in text and "has a password but no user name" in text, text
    assert "subsonic+http://:********@nas.lan:4533" in text and SECRET not in text, text
    assert config.read_text() == before  # nothing saved

    # a file that holds one (written by hand, or saved before this check) loads, with a warning (the
    # speaker skips that server: tests/service/test_unusable_server_file.py); a sync says why not
    config.write_text(before + f'[library]\nservers = ["subsonic+http://:{SECRET}@nas.lan:4533"]\n')
    assert main(["-c", str(config), "library", "sync"]) == 2
    text = said(capsys)
    assert "needs a user name" in text and SECRET not in text, text


def test_library_sync_never_prints_a_server_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ["--set", f"device.data_dir={tmp_path / 'data'}"]
    # given on the command line, not through the config: the client's own refusals mask it
    assert main([*settings, "library", "sync", f"subsonic+http://:{SECRET}@127.0.0.1:9"]) == 2
    text = said(capsys)
    assert "needs a user name" in text and "http://:********@127.0.0.1:9" in text and SECRET not in text
    assert main([*settings, "library", "sync", f"ftp://me:{SECRET}@nas.lan/music"]) == 2
    text = said(capsys)
    assert "is not a library server URL" in text and SECRET not in text, text

    with served({}, user="alice", password="right-pw") as server:
        port = server.server_port
        # a wrong password: the sync fails, and its line names the server with the password masked
        wrong = f"subsonic+http://alice:{SECRET}@127.0.0.1:{port}"
        assert main([*settings, "library", "sync", wrong]) == 1
        text = said(capsys)
        assert f"subsonic+http://alice:********@127.0.0.1:{port}: sync failed" in text, text
        assert SECRET not in text
        # the right one: the report line masks it too
        assert main([*settings, "library", "sync", f"subsonic+http://alice:right-pw@127.0.0.1:{port}"]) == 0
        text = said(capsys)
        assert f"subsonic+http://alice:********@127.0.0.1:{port}: 0 new or updated" in text, text
        assert "right-pw" not in text


def test_doctor_json_masks_the_servers_passwords(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`doctor --json`'s library check listed library.servers as written, passwords and all (its
    output is what an owner pastes into a bug report)."""
    server = f"subsonic+http://ann:{SECRET}@127.0.0.1:9"
    settings = ["--set", f"device.data_dir={tmp_path / 'data'}", "--set", f"library.servers={server}"]
    main([*settings, "doctor", "--json", "--only", "library"])
    out = capsys.readouterr().out
    (check,) = json.loads(out)["checks"]
    assert check["details"]["servers"] == ["subsonic+http://ann:********@127.0.0.1:9"], check
    assert SECRET not in out


def test_refusals_of_secret_values_mask_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[device]\ndata_dir = "{tmp_path / "data"}"\n[mqtt]\npassword = 987654321\n')
    assert main(["-c", str(config), "config", "show"]) == 2  # a number where text is expected
    text = said(capsys)
    assert "mqtt.password = '********' is invalid" in text and "987654321" not in text, text


def test_the_page_s_server_url_checks_mask_the_password() -> None:
    servers = next(info for info in describe() if info.dotted == "library.servers")
    problem = extra_checks(servers, (f"subsonic+http://bob:{SECRET}@nas.lan:99999",))
    assert problem is not None and "invalid port" in problem and SECRET not in problem, problem
    problem = extra_checks(servers, (f"http://bob:{SECRET}@[nas.lan:4533",))
    assert problem is not None and "is not a URL" in problem and SECRET not in problem, problem

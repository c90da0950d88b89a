""" "Waiting for a restart" is worked out only where it is shown, and the config file is parsed only
when it changed.

Every /api/state (the owner's status page polls it every two seconds) and every /api/guest (every
three) re-read and parsed the config file and compared all settings, the guest's to throw it away;
Settings did it twice and read the file a third time.  Now only /api/state and Settings work it out,
once each, and the file is parsed again only when its bytes changed: also when a change leaves its
size, modification time and inode as they were.

The in-memory household speaker behind the page (webkit); `config set` is the real command; the
parse is counted by wrapping the page's reader of the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from webkit import Page

from moodspeaker.cli import main
from moodspeaker.config import Config
from moodspeaker.config.edit import read
from moodspeaker_web import context


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The config files parsed by the page, one entry a parse."""
    seen: list[Path] = []

    def counted(path: Any, *, missing_ok: bool = False) -> Config:
        seen.append(Path(path))
        return read(path, missing_ok=missing_ok)

    monkeypatch.setattr(context, "read", counted)
    return seen


def _waiting(owner: Page) -> Any:
    return owner.client.get("/api/state").get_json()["restart_waiting"]["settings"]


def test_polls_of_an_unchanged_file_parse_it_once(owner: Page, parses: list[Path]) -> None:
    assert main(["-c", str(owner.config_path), "config", "set", "mood.half_life_s=5"]) == 0
    for _ in range(5):
        assert _waiting(owner) == ["mood.half_life_s"]
    assert parses == [owner.config_path]  # the first poll after the change, then none
    assert main(["-c", str(owner.config_path), "config", "set", "library.workers=3"]) == 0
    assert _waiting(owner) == ["mood.half_life_s", "library.workers"]  # a changed file is read again
    assert len(parses) == 2


def test_a_change_that_keeps_size_time_and_inode_is_read(owner: Page, parses: list[Path]) -> None:
    assert main(["-c", str(owner.config_path), "config", "set", "mood.half_life_s=5"]) == 0
    assert _waiting(owner) == ["mood.half_life_s"]
    before = os.stat(owner.config_path)
    text = owner.config_path.read_text(encoding="utf-8")
    assert "half_life_s = 5.0" in text, text
    with owner.config_path.open("r+", encoding="utf-8") as file:  # in place: the same inode
        file.write(text.replace("half_life_s = 5.0", "half_life_s = 6.0"))
    os.utime(owner.config_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(owner.config_path)
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (
        before.st_mtime_ns,
        before.st_size,
        before.st_ino,
    )
    assert owner.ctx.saved_config().mood.half_life_s == 6.0
    assert len(parses) == 2


def test_settings_parses_once_and_guests_never(owner: Page, parses: list[Path]) -> None:
    assert main(["-c", str(owner.config_path), "config", "set", "mood.half_life_s=5"]) == 0
    text = owner.client.get("/settings").get_data(as_text=True)
    assert "Waiting for a restart: Half life (Mood smoothing)." in text
    assert parses == [owner.config_path]  # was three: state(), restart_waiting() and saved_config()
    assert main(["-c", str(owner.config_path), "config", "set", "web.guest_view=true"]) == 0
    owner.ctx.config = owner.ctx.saved_config()  # the page's guest view on, as a save from here does
    del parses[:]
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    for _ in range(3):
        answer = owner.client.get("/api/guest")
        assert answer.status_code == 200 and "restart_waiting" not in answer.get_json()
    assert parses == []

"""The page and the CLI say each `moodspeaker ...` command as it can be typed on the speaker.

In a checkout `moodspeaker` is .venv/bin/moodspeaker, not on PATH: the demo's console said so
(util.program), but Settings' "page turned off" note, the privacy page's calibrate-neutral, the
settings' help (`moodspeaker doctor --only audio`), `config schema` and the CLI's hints still said a
bare `moodspeaker`, which the shell answers with "command not found".  The page-off note also said
`config set` without the speaker's config file, which set another file (/etc/moodspeaker/config.toml,
or none) when the speaker runs with its own (the demo's).  Here this process is taken for
`.venv/bin/moodspeaker run` in the checkout (programkit), and each command is run as a person pastes it
into a shell whose PATH lacks the venv.  The page in front of the in-memory speaker (webkit).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from formkit import form_data
from webkit import Page

from moodspeaker.cli import main
from moodspeaker.config import load
from programkit import as_console_script, bare_path, run_line


def _said(text: str) -> list[str]:
    """The commands in backticks in a page's text (or a printed line)."""
    return re.findall(r"`([^`]+)`", html.unescape(text))


def test_the_page_off_note_names_a_command_that_turns_the_page_back_on(
    owner: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "run")
    form = form_data(owner.client.get("/settings").get_data(as_text=True), "/settings/web")
    answer = owner.client.post("/settings/web", data={**form, "web.enabled": ["false"]})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert load(owner.config_path).web.enabled is False
    notes = owner.client.get(answer.headers["Location"]).get_data(as_text=True)
    command = next(c for c in _said(notes) if "web.enabled=true" in c)
    assert command.startswith(f"{typed} --config "), command  # the speaker's own file, not /etc's
    done = run_line(command, here, shell)
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert load(owner.config_path).web.enabled is True

    monkeypatch.setenv("MOODSPEAKER_CONFIG", str(owner.config_path))  # the file `config set` finds
    form = form_data(owner.client.get("/settings").get_data(as_text=True), "/settings/web")
    answer = owner.client.post("/settings/web", data={**form, "web.enabled": ["false"]})
    notes = owner.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"`{typed} config set web.enabled=true`" in html.unescape(notes)  # so it need not be named


def test_privacy_and_settings_help_say_the_command_as_typed(
    owner: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "run")
    privacy = owner.client.get("/privacy").get_data(as_text=True)
    words = f"<span>{html.escape(typed)}</span> <span>calibrate-neutral</span>"
    assert words in privacy, re.findall(r'<code class="command">.*?</code>', privacy)
    done = run_line(f"{typed} calibrate-neutral --help", here, shell)
    assert done.returncode == 0 and "neutral" in done.stdout, done.stderr

    settings = owner.client.get("/settings").get_data(as_text=True)
    help_text = re.search(r'id="f-player-audio-device-help">(.*?)</p>', settings, re.S)
    assert help_text, "no help under the audio device"
    assert f"<span>{html.escape(typed)}</span> <span>doctor</span>" in help_text.group(1), help_text.group(1)
    done = run_line(f"{typed} doctor --help", here, shell)
    assert done.returncode == 0, done.stderr


def test_config_schema_and_cli_hints_say_the_command_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare_path(monkeypatch)
    _, typed = as_console_script(monkeypatch, "config", "schema")
    assert main(["config", "schema"]) == 0
    rows = {row["key"]: row for row in json.loads(capsys.readouterr().out)}
    assert f"`{typed} doctor --only audio`" in rows["player.audio_device"]["help"]
    assert not [k for k, row in rows.items() if "`moodspeaker " in row["help"]]

    assert main(["--set", f"device.data_dir={tmp_path}", "library", "serve"]) != 0
    assert f"(run {typed} index first)" in capsys.readouterr().err

"""The commands the log, `doctor` and the CLI's errors tell a person to run are said as they can be
typed on that machine (util.program), with the config file the speaker runs with where `config set`
would not find it by itself.

In a checkout `moodspeaker` is .venv/bin/moodspeaker, not on PATH: doctor's fixes (`moodspeaker config
check`, `config set library.folders=...`, `config set player.audio_device=...`, `moodspeaker index`), the
followed file's "no longer sets" line, the start profile's warning, a newer library database's advice,
a calibration made for other classes and `run`'s taken port said a bare `moodspeaker`, which the shell
answers with "command not found"; the followed file's line and `run`'s port said `config set` without
the file the speaker runs with, which set another one.  Here this process is taken for
`.venv/bin/moodspeaker` in the checkout (programkit), and a command said is run as a person pastes it
into a shell whose PATH lacks the venv.
"""

from __future__ import annotations

import re
import socket
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from doctorkit import PI_WITH_DAC_CARDS, alsa_machine
from moodspeaker.config import Config, load, save, with_changes
from moodspeaker.config.follow import FileFollower
from moodspeaker.config.rules import kept
from moodspeaker.library.db import SCHEMA_VERSION, SchemaError
from moodspeaker.library.index import LibraryIndex
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.service.calibration import load_calibration
from moodspeaker.system import doctor
from programkit import as_console_script, bare_path, run_line


def _in_backticks(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def test_doctor_says_its_fixes_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "doctor")
    broken = doctor.check_config(Config(), "config.toml", broken=["a rule broken"])
    assert f"({typed} config check lists every problem)" in broken.fix, broken.fix
    empty = tmp_path / "music"
    empty.mkdir()
    assert (
        f"then run `{typed} index`"
        in doctor.check_library(with_changes(Config(), {"library.folders": [str(empty)]})).fix
    )
    fix = doctor.check_library(with_changes(Config(), {"library.folders": []})).fix
    assert fix == f"{typed} config set library.folders=/path/to/music", fix
    config = tmp_path / "config.toml"
    config.write_text("")  # the speaker's file, found by $MOODSPEAKER_CONFIG
    done = run_line(f"MOODSPEAKER_CONFIG={config} {fix}", here, shell)  # pasted as said
    assert done.returncode == 0, (fix, done.stderr)
    assert load(config).library.folders == ("/path/to/music",)


def test_doctors_audio_fix_says_its_commands_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare_path(monkeypatch)
    _, typed = as_console_script(monkeypatch, "doctor")
    result = doctor.check_audio(Config(), alsa_machine(tmp_path, PI_WITH_DAC_CARDS))
    if result.status != "warn":
        pytest.skip(f"SDL's ALSA driver cannot open ALSA's default here: {result.summary}")
    assert f"name the card to play on: {typed} config set player.audio_device=sndrpihifiberry " in result.fix
    assert result.fix.endswith(f"then {typed} doctor --only audio"), result.fix


def test_the_followed_files_line_names_a_config_set_that_sets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shell = bare_path(monkeypatch)  # no $MOODSPEAKER_CONFIG: `config set` alone sets another file
    here, typed = as_console_script(monkeypatch, "run")
    path = tmp_path / "config.toml"
    path.write_text("[camera]\nenabled = false\n")
    follower = FileFollower(path)
    path.write_text("")
    for _ in range(2):  # the first look sees it once: it may be half written
        data = follower.look()
        if data is not None:
            follower.take(data)
    (said,) = [c for c in _in_backticks(caplog.text) if "config set" in c]
    assert said.startswith(f"{typed} --config "), said
    done = run_line(f"{said} camera.enabled=false", here, shell)
    assert done.returncode == 0, (said, done.stderr)
    assert load(path).camera.enabled is False


def test_the_start_profiles_warning_says_config_set_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    bare_path(monkeypatch)
    _, typed = as_console_script(monkeypatch, "config", "check")
    start = Config()
    _, (warning,) = kept(replace(start, recommend=replace(start.recommend, profiles=("alex",))))
    assert f"the next save ({typed} config set, the page's Settings)" in warning, warning


def test_a_newer_library_database_says_index_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.db"
    LibraryIndex(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    bare_path(monkeypatch)
    _, typed = as_console_script(monkeypatch, "index")
    with pytest.raises(SchemaError) as caught:
        LibraryIndex(path)
    assert f"`{typed} index` makes the library again" in str(caught.value), caught.value


def test_a_calibration_for_other_classes_says_calibrate_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = calibration_file(tmp_path, "Sam Lee")
    file.parent.mkdir(parents=True)
    file.write_text(NeutralCalibration.identity(("happy", "neutral")).to_json())
    shell = bare_path(monkeypatch)
    here, typed = as_console_script(monkeypatch, "run")
    calibration, notice = load_calibration(tmp_path, "Sam Lee", ("happy", "neutral", "sad"))
    assert calibration is None and notice, notice
    (said,) = _in_backticks(notice)
    assert said == f"{typed} calibrate-neutral --profile 'Sam Lee'", notice
    done = run_line(f"{said} --help", here, shell)  # a name with a space stays one argument
    assert done.returncode == 0, (said, done.stderr)


def test_runs_taken_port_names_the_file_it_runs_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shell = {**bare_path(monkeypatch), "SDL_AUDIODRIVER": "dummy"}
    here, typed = as_console_script(monkeypatch, "run")
    config = tmp_path / "config.toml"
    save(with_changes(Config(), {"web.host": "127.0.0.1", "device.data_dir": str(tmp_path / "data")}), config)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = run_line(f"{typed} --config {config} run --port {port} --no-mqtt", here, shell)
    assert done.returncode == 1, done.stderr
    (said,) = [c for c in _in_backticks(done.stderr) if "web.port=N" in c]
    assert said.startswith(f"{typed} --config "), said
    done = run_line(said.replace("web.port=N", "web.port=8123"), here, shell)
    assert done.returncode == 0, (said, done.stderr)
    assert load(config).web.port == 8123

"""The commands the demo prints can be run as printed, where `moodspeaker` is not on PATH.

In a checkout the command is .venv/bin/moodspeaker; the demo's console (and its page) said "run
`moodspeaker setup-code`", which the shell answered with "command not found".  Now the command is
said as this process was started (util.program): the console script's path, relative to the current
directory when inside it, or `PYTHON -m moodspeaker`; the printed lines are run here in a shell
whose PATH lacks `moodspeaker`.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from moodspeaker.commands.demo import _setup_note, commands_note, demo_config
from moodspeaker.config import Config
from moodspeaker.util.program import program
from programkit import BARE_PATH, PACKAGE_MAIN, SCRIPT, as_console_script, bare_path, run_line


def test_the_console_script_is_named_by_its_path_relative_to_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = bare_path(monkeypatch)
    here, expected = as_console_script(monkeypatch, "demo")
    assert program() == expected  # e.g. .venv/bin/moodspeaker
    assert program(public=True) == expected  # relative: it names nothing of the machine's layout

    folder = tmp_path / "my demo"
    folder.mkdir()
    _, settings = demo_config(Config(), folder)
    note = commands_note(settings)
    line = note.split(": ", 1)[1].split(" (e.g.", maxsplit=1)[0].replace("COMMAND", "library stats")
    assert line.startswith(f"{expected} -c "), note
    done = run_line(line, here, shell)
    assert done.returncode == 0 and "no library indexed yet" in done.stdout, (line, done.stderr)

    setup = _setup_note(folder)  # "page setup code: CODE (shown again by: COMMAND)"
    code = setup.split("page setup code: ", 1)[1].split(" ", 1)[0]
    again = setup.split("shown again by: ", 1)[1].rstrip(")")
    done = run_line(again, here, shell)
    assert done.returncode == 0 and code in done.stdout, (again, done.stdout, done.stderr)


def test_python_dash_m_is_named_so_and_a_page_leaves_absolute_paths_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = bare_path(monkeypatch)
    monkeypatch.chdir(tmp_path)  # outside the venv: the interpreter's path is absolute
    monkeypatch.setattr(sys, "argv", [str(PACKAGE_MAIN), "demo"])
    command = program()
    assert command == f"{shlex.quote(os.path.abspath(sys.executable))} -m moodspeaker", command
    done = run_line(f"{command} --version", tmp_path, shell)
    assert done.returncode == 0, done.stderr
    assert program(public=True) == "moodspeaker"  # a page read on the LAN: no /home/USER/...
    monkeypatch.setattr(sys, "argv", ["/usr/lib/some/runner", "x"])  # started otherwise: the plain name
    assert program() == "moodspeaker"


def test_on_path_it_is_the_plain_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tmp_path / "moodspeaker"
    found.write_text("#!/bin/sh\n")
    found.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{BARE_PATH}")
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "demo"])
    assert program() == "moodspeaker"

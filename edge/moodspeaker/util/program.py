"""How to type `moodspeaker` here, for the commands the demo's console and the page tell a person to run.

In a checkout the command lives in the virtual environment (.venv/bin/moodspeaker) and is not on PATH,
so "run `moodspeaker setup-code`" failed with "command not found" for a newcomer trying the demo.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

NAME = "moodspeaker"


def program(*, public: bool = False) -> str:
    """`moodspeaker` when that is on PATH; else the command this process was started as: the console
    script's path (sys.argv[0]), or `PYTHON -m moodspeaker` when started so, each relative to the
    current directory when inside it (`.venv/bin/moodspeaker`).  Started some other way (a test
    runner, an embedding program), `moodspeaker` as well: there is nothing better to say.

    `public`: for a page anyone on the LAN may read, an absolute path (which names the user and the
    layout of the machine) is left out too: `moodspeaker`."""
    if shutil.which(NAME):
        return NAME
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    command = ""
    if argv0 is not None and argv0.name == NAME:
        command = _as_typed(argv0)
    elif argv0 is not None and argv0.name == "__main__.py" and argv0.parent.name == NAME:
        command = f"{_as_typed(Path(sys.executable))} -m {NAME}"
    if not command or (public and command.startswith("/")):
        return NAME
    return command


def _as_typed(path: Path) -> str:
    """The path relative to the current directory when inside it (with a slash, so that the shell
    does not look it up on PATH), else absolute; quoted for a shell."""
    absolute = Path(os.path.abspath(path))  # not resolved: a venv's python is a link to the system's
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(absolute))
    text = str(relative)
    return shlex.quote(text if "/" in text else f"./{text}")


def command(words: str, *, public: bool = False) -> str:
    """`moodspeaker WORDS` as it can be typed here (`program`): "calibrate-neutral" ->
    ".venv/bin/moodspeaker calibrate-neutral" in a checkout."""
    return f"{program(public=public)} {words}"


def commands_in(text: str, *, public: bool = False) -> str:
    """`text` with each command written in backticks that starts with `moodspeaker ` (the schema's
    help, a hint) said as it can be typed here (`program`)."""
    name = program(public=public)
    return text if name == NAME else text.replace(f"`{NAME} ", f"`{name} ")

"""A refused command's answer echoes at most MAX_NAME_CHARS of its name.

The name comes from outside (a web request's body of up to 64 KiB, an MQTT topic level); before the
fix ControlAPI's "unknown command" sentence repeated all of it, so a huge name made a huge answer (the
MQTT inbox already cut names to the same limit).  Real appliance behind the ControlAPI (not started: an
unknown command never reaches it), its real bus.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Script, build

from moodspeaker.service.control import COMMANDS, MAX_NAME_CHARS, CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, Event

#: What an answer may hold besides the echoed name: its sentence, its length and the known commands.
SENTENCE = 80 + len(", ".join(COMMANDS))


def test_an_unknown_command_echoes_its_name_cut(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"))
    events: list[Event] = []
    bus.subscribe(events.append)
    control = ControlAPI(app, bus)
    huge = "x" * MAX_NAME_CHARS + "y" * 60_000
    with pytest.raises(CommandError, match="unknown command") as refused:
        control.execute(huge, source="web")
    error = str(refused.value)
    assert "x" * MAX_NAME_CHARS in error and "xy" not in error, error[:300]  # the first 100 characters
    assert len(error) < MAX_NAME_CHARS + SENTENCE, len(error)
    assert "play" in error and "set_volume" in error  # still says what is known
    rejected = [e for e in events if isinstance(e, CommandRejected)]
    assert [(e.command, e.error, e.source) for e in rejected] == [("x" * MAX_NAME_CHARS, error, "web")]

    at_limit = "z" * MAX_NAME_CHARS  # a name no longer than the limit is echoed whole, quoted as before
    with pytest.raises(CommandError, match=f"unknown command '{at_limit}'; known: "):
        control.execute(at_limit)
    with pytest.raises(CommandError, match="unknown command 'explode'; known: "):
        control.execute("explode")

"""A refused command's answer echoes at most MAX_NAME_CHARS of its name, and of its arguments' names
and values.

They come from outside (a web request's body of up to 64 KiB, an MQTT topic level or payload); before
the fix ControlAPI's "unknown command" sentence repeated all of the name, and the argument refusals
("unexpected argument(s) ...", "... got '...'") all of the arguments, so a huge one made a huge answer
(the MQTT inbox already cut names to the same limit).  Real appliance behind the ControlAPI (not
started: a refused command never reaches it), its real bus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


HUGE = "x" * MAX_NAME_CHARS + "y" * 60_000

#: (command, arguments) whose refusal would echo something huge: an argument's name, many names, or the
#: value of a choice, mood, profile, number (as text, as a list, as a number of 4000 digits) or switch.
REFUSED = [
    pytest.param("pause", {HUGE: 1}, id="argument name"),
    pytest.param("set_volume", {"volume": 0.5, HUGE: 1}, id="argument name beside a good one"),
    pytest.param("pause", {f"a{i}": 1 for i in range(20_000)}, id="many argument names"),
    pytest.param("set_strategy", {"strategy": HUGE}, id="choice"),
    pytest.param("correct_mood", {"mood": HUGE}, id="mood"),
    pytest.param("set_profile", {"profile": HUGE}, id="profile"),
    pytest.param("set_volume", {"volume": HUGE}, id="number as text"),
    pytest.param("set_volume", {"volume": [0.5] * 20_000}, id="number as a list"),
    pytest.param("set_volume", {"volume": 10**4000}, id="number of 4001 digits"),
    pytest.param("set_camera", {"enabled": HUGE}, id="switch"),
]


@pytest.mark.parametrize(("name", "args"), REFUSED)
def test_a_refused_argument_is_echoed_cut(tmp_path: Path, name: str, args: dict[str, Any]) -> None:
    app, bus = build(tmp_path, Script("happy"))
    events: list[Event] = []
    bus.subscribe(events.append)
    with pytest.raises(CommandError) as refused:
        ControlAPI(app, bus).execute(name, args, source="web")
    error = str(refused.value)
    assert error.startswith(f"{name}: "), error[:300]
    assert len(error) < MAX_NAME_CHARS + 200, (len(error), error[:300])
    if "x" * MAX_NAME_CHARS + "y" in str(args):  # the cut keeps the first 100 characters of what was sent
        assert "x" * MAX_NAME_CHARS in error and "xy" not in error, error[:300]
    rejected = [e for e in events if isinstance(e, CommandRejected)]
    assert [(e.command, e.error) for e in rejected] == [(name, error)]


def test_a_short_argument_is_echoed_whole_as_before(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script("happy"))
    control = ControlAPI(app, bus)
    at_limit = "z" * MAX_NAME_CHARS
    with pytest.raises(CommandError, match=f"^set_strategy: strategy must be one of .*; got '{at_limit}'$"):
        control.execute("set_strategy", {"strategy": at_limit})
    with pytest.raises(CommandError, match=r"^set_volume: volume must be between 0 and 1, got 2$"):
        control.execute("set_volume", {"volume": 2})
    with pytest.raises(CommandError, match=r"^pause: unexpected argument\(s\) now, soon$"):
        control.execute("pause", {"soon": 1, "now": 2})

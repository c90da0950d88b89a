"""The web API's answer to an unknown command echoes at most MAX_NAME_CHARS of its name, as MQTT's does,
and a refused argument at most as much of its name or value.

Before the fix the page's JSON answer (and the CommandRejected event) repeated a name or value as long
as the request body allows (64 KiB).  The page app in front of the ControlAPI and the in-memory speaker.
"""

from __future__ import annotations

from webkit import Page

from moodspeaker.service.control import MAX_NAME_CHARS
from moodspeaker.service.events import CommandRejected, Event


def test_an_unknown_command_with_a_huge_name_gets_a_short_answer(owner: Page) -> None:
    events: list[Event] = []
    owner.bus.subscribe(events.append)
    huge = "x" * MAX_NAME_CHARS + "y" * 50_000
    response = owner.post_json("/api/command", {"command": huge})
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["ok"] is False and answer["error"].startswith("unknown command 'xxx")
    assert "x" * MAX_NAME_CHARS in answer["error"] and "xy" not in answer["error"]
    assert len(response.get_data()) < 1000, len(response.get_data())
    rejected = [e for e in events if isinstance(e, CommandRejected)]
    assert [(e.command, e.error, e.source) for e in rejected] == [
        ("x" * MAX_NAME_CHARS, answer["error"], "web")
    ]
    assert not owner.speaker.playing  # and nothing changed


def test_a_huge_argument_gets_a_short_answer(owner: Page) -> None:
    huge = "x" * MAX_NAME_CHARS + "y" * 50_000
    for args in ({"strategy": huge}, {"strategy": "uplift", huge: 1}):
        response = owner.post_json("/api/command", {"command": "set_strategy", "args": args})
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error.startswith("set_strategy: ") and "x" * MAX_NAME_CHARS in error and "xy" not in error
        assert len(response.get_data()) < 1000, len(response.get_data())

"""The listener's profile gone from under the running service: another program on the same feedback
database deleted it (a second process, sqlite3 by hand; the service's own "delete everything" and
switches never leave a deleted listener active since 8b5d6d8, test_switch_delete_race).  The
recommender refuses its feedback (it no longer makes the profile again, test_feedback_unknown_profile),
and the service says so.  The feedback the service records by itself (a track's end, on the feedback
writer's thread) says it once, a warning and an incident naming the profile, and the speaker carries
on with a listener who exists, switched to as a switch does (announced, saved): before, every track's
end logged an error with its traceback ("recording feedback failed") and added an incident, without
end.  A command's feedback refused so does the same at once: a Like is refused with the reason (a
CommandError the page and MQTT show), Next still skips (the listener asked to skip, not to record
anything), and either replaces the listener as it answers; before, the switch waited for the track's
end, minutes later, and every Like until then was refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.recommend.store import FeedbackStore
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError
from moodspeaker.service.events import StateChanged, TrackEnded


def _deleted_by_another_program(app: Appliance, *profiles: str) -> None:
    """`profiles` deleted through a connection of its own to the service's feedback database."""
    other = FeedbackStore(app.parts.recommender.store.path)
    try:
        for profile in profiles:
            other.delete_profile(profile)
    finally:
        other.close()


def _rows(app: Appliance, profile: str) -> int:
    return sum(1 for _ in app.parts.recommender.store.events(profile))


#: what the incident says was refused, by command
REFUSED = {"like": "like", "next": "skip", "steer": "calmer"}


@pytest.mark.parametrize("command", list(REFUSED))
def test_a_command_s_feedback_refused_replaces_the_listener_at_once(tmp_path: Path, command: str) -> None:
    settings = {"recommend.profiles": ["default", "Sam"]}
    with running(tmp_path, Script("happy"), **settings) as (app, api, events):
        api.execute("set_profile", {"profile": "Sam"})
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        recommender = app.parts.recommender
        playing = app.state()["now_playing"]["track_id"]
        _deleted_by_another_program(app, "Sam")
        if command == "like":
            with pytest.raises(CommandError, match="no profile named 'Sam': the like was not recorded"):
                api.execute("like")
        elif command == "steer":  # no request kept for a name with no profile (recommend.hybrid)
            with pytest.raises(CommandError, match="no profile named 'Sam': the calmer music asked for"):
                api.execute("steer", {"direction": "calmer"})
        else:  # it skips all the same
            api.execute("next")
        # at once: before, 'Sam' until the track's end (a 20 s track here), each Like refused
        assert app.state()["profile"] == "default"
        assert not [
            e for e in events if isinstance(e, TrackEnded) and e.track_id == playing and not e.skipped
        ]
        said = [e["message"] for e in app.health.snapshot()["incidents"] if "Sam" in e["message"]]
        assert len(said) == 1 and "the listener is 'default' now" in said[0], said
        assert said[0].startswith(f"no profile named 'Sam': the {REFUSED[command]}")
        switched = [e.value for e in events if isinstance(e, StateChanged) and e.key == "profile"]
        assert switched == ["Sam", "default"]  # announced: the page, MQTT
        if command == "like":
            api.execute("like")  # the listener now: recorded
            assert [e.kind for e in recommender.store.events("default")] == ["like"]
        assert "Sam" not in recommender.profiles()
        assert list(recommender.store.events("Sam")) == []


def test_track_ends_say_it_once_and_carry_on_with_the_start_profile(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = {"recommend.profiles": ["default", "Sam"]}
    with running(tmp_path, Script("happy"), track_s=1.0, **settings) as (app, api, events):
        api.execute("set_profile", {"profile": "Sam"})
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        _deleted_by_another_program(app, "Sam")
        # before: Sam stayed the listener, every track's end refused
        wait_for(lambda: app.state()["profile"] == "default", what="the start profile active")
        wait_for(lambda: _rows(app, "default") >= 1, what="a track's end recorded for 'default'")
        recorded = _rows(app, "default")
        wait_for(lambda: _rows(app, "default") > recorded, what="one more track's end recorded")

        said = [e["message"] for e in app.health.snapshot()["incidents"] if "Sam" in e["message"]]
        assert len(said) == 1, said  # before: one per track's end
        assert said[0].startswith("no profile named 'Sam': the completed was not recorded"), said
        assert "the listener is 'default' now" in said[0], said
        warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        gone = [m for m in warned if "deleted by another program" in m]
        assert len(gone) == 1, warned  # said once; naming no one: the journal outlives the data
        assert not [r.getMessage() for r in caplog.records if "Sam" in r.getMessage()]
        assert not [r for r in caplog.records if "recording feedback failed" in r.getMessage()]
        switched = [e for e in events if isinstance(e, StateChanged) and e.key == "profile"]
        assert [e.value for e in switched] == ["Sam", "default"]  # announced: the page, MQTT
        saved = json.loads((tmp_path / "data" / "state.json").read_text())
        assert saved["profile"] == "default"
        assert "Sam" not in app.parts.recommender.profiles()


@pytest.mark.parametrize(
    ("deleted", "instead"),
    [
        (("Sam", "Ann"), "Bob"),  # the start profile gone too: the first configured listener left
        (("Sam", "Ann", "Bob"), "Ann"),  # none left: the start profile, made again
    ],
)
def test_without_the_start_profile_the_next_listener_there_is(
    tmp_path: Path, deleted: tuple[str, ...], instead: str
) -> None:
    settings = {"recommend.profile": "Ann", "recommend.profiles": ["Ann", "Bob", "Sam"]}
    with running(tmp_path, Script("happy"), track_s=1.0, **settings) as (app, api, _):
        api.execute("set_profile", {"profile": "Sam"})
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        _deleted_by_another_program(app, *deleted)
        wait_for(lambda: app.state()["profile"] == instead, what=f"{instead!r} active")
        wait_for(lambda: _rows(app, instead) >= 1, what=f"a track's end recorded for {instead!r}")
        assert "Sam" not in app.parts.recommender.profiles()

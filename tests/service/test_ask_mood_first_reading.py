"""Music of a mood asked for just as the camera comes on (nobody read yet) is not cancelled by the
camera settling on its first mood: that is no change of the listener's mood, only the first one read.

Why: `ask_mood` ("play happy songs") sent just after the camera came on ended within a second, since
the filter's first mood after `unknown` counted as "the camera reads a change", which ends a mood
told.  A real change after that still ends it.  Real appliance, real mood filter and recommender on
SQLite, player on SDL's dummy driver; only the camera is scripted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.events import MoodChanged, MoodObserved

pytestmark = pytest.mark.timeout(120)


def test_the_first_mood_read_does_not_end_a_mood_asked_for(tmp_path: Path) -> None:
    script = Script(None)  # the camera is on, nobody read yet: unknown
    with running(tmp_path, script) as (app, control, events):
        wait_for(lambda: any(isinstance(e, MoodObserved) for e in events), what="a first capture")
        assert app.state()["mood"] == "unknown"
        control.execute("ask_mood", {"mood": "happy"}, source="web:tell")
        seen = len(events)
        script.mood = "sad"  # the listener comes into view: the filter settles on its first mood
        wait_for(
            lambda: any(isinstance(e, MoodObserved) and e.mood == "sad" for e in events[seen:]),
            what="the first mood read",
        )
        assert app.state()["mood"] == "happy"  # still the music asked for
        assert [e.mood for e in events[seen:] if isinstance(e, MoodChanged)] == []
        script.mood = "neutral"  # a real change of the listener's mood ends it
        wait_for(lambda: app.state()["mood"] == "neutral", what="the change read")
        changes = [(e.mood, e.previous) for e in events[seen:] if isinstance(e, MoodChanged)]
        assert changes == [("neutral", "happy")], changes

"""The listener's profile gone from under the service (a switch to it that raced "delete everything",
which the switch's own check of the name let through): the recommender refuses its feedback (it no
longer makes the profile again, test_feedback_unknown_profile), and the service says so as commands'
refusals do.  A Like is refused with the reason, a CommandError the page and MQTT show; Next still
skips (the listener asked to skip, not to record anything), with the refusal reported.  Before, the
recommender's ProfileError came out of both commands as an internal error, and Next did not skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.control import CommandError


def test_like_is_refused_naming_the_profile_and_next_still_skips(tmp_path: Path) -> None:
    with running(tmp_path, Script("happy"), **{"recommend.profiles": ["default", "Sam"]}) as (app, api, _):
        api.execute("set_profile", {"profile": "Sam"})
        api.execute("play")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing")
        recommender = app.parts.recommender
        recommender.delete_profile("Sam")  # as the switch racing "delete everything" leaves it
        with pytest.raises(CommandError, match="no profile named 'Sam': the like was not recorded"):
            api.execute("like")
        playing = app.state()["now_playing"]["track_id"]
        api.execute("next")
        wait_for(
            lambda: (now := app.state()["now_playing"]) is not None and now["track_id"] != playing,
            what="the next track",
        )
        said = [e["message"] for e in app.health.snapshot()["incidents"]]
        assert "no profile named 'Sam': the skip was not recorded" in said, said
        assert "Sam" not in recommender.profiles()
        assert list(recommender.store.events("Sam")) == []

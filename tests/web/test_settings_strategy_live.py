"""Settings' strategy (`recommend.strategy`, the household default) applies at once, as the Now tab's
picker does.

The picker's choice is planned and played at once (set_strategy), which shows the running speaker can
change strategy; but the save of Settings' strategy said "Strategy takes effect when the speaker
restarts", and the speaker kept planning with the old one until then.  Now the default changes at once:
the active listener, when they never chose their own, plays with it (planned as a choice on the picker,
not stored with their profile: they keep following the default); a listener who chose their own keeps
it; others who never chose follow it when they become active.

The real service behind the page, handed the saved config as `moodspeaker run` does
(Appliance.apply_config); what the Now tab reads is /api/state.
"""

from __future__ import annotations

from pathlib import Path

from formkit import ok_notes, save_settings
from realkit import owned_live_page


def test_the_default_strategy_saved_in_settings_is_played_at_once(tmp_path: Path) -> None:
    with owned_live_page(tmp_path) as (service, owner):  # recommend.strategy "match" (realkit)
        assert service.control.state()["strategy"] == "match"
        page = save_settings(owner.client, "recommend", recommend__strategy="steady")
        assert ok_notes(page) == ["Music choice and profiles: saved."], ok_notes(page)  # no "restarts"
        assert "Waiting for a restart" not in page
        service.wait_for(lambda: service.control.state()["strategy"] == "steady", what="the new default")
        state = owner.client.get("/api/state").get_json()
        assert state["strategy"] == "steady"  # what the Now tab's picker shows
        assert state["restart_waiting"]["settings"] == [], state["restart_waiting"]
        assert service.appliance.conductor.strategy_of("default") == "steady"  # not stored: the default
        assert service.appliance._recommender.store.strategy("default") is None

        service.control.execute("set_profile", {"profile": "Sam"})  # Sam chooses his own
        service.control.execute("set_strategy", {"strategy": "uplift"})
        save_settings(owner.client, "recommend", recommend__strategy="off")
        assert service.control.state()["strategy"] == "uplift"  # his choice is kept
        service.control.execute("set_profile", {"profile": "default"})  # who never chose: the default
        assert service.control.state()["strategy"] == "off"

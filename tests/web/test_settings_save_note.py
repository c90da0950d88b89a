"""A save's note names only what this save leaves waiting for a restart.

The port saved as 80, then put back to the 8080 the page listens on, with Guest view ticked in the
same save: the note said "This page: saved. Port takes effect when the speaker restarts.", though
the speaker runs with 8080 already and nothing waits.  A setting put back as the speaker started
waits for nothing; one still changed keeps its note.

The real service behind the page, handed the saved config as `moodspeaker run` does
(Appliance.apply_config, which names what waits for a restart).
"""

from __future__ import annotations

from pathlib import Path

from formkit import ok_notes, save_settings
from realkit import owned_live_page


def test_a_setting_put_back_as_the_speaker_started_waits_for_nothing(tmp_path: Path) -> None:
    with owned_live_page(tmp_path) as (service, owner):
        started = service.config.web.port
        page = save_settings(owner.client, "web", web__port=str(started + 10))
        assert ok_notes(page) == ["This page: saved. Port takes effect when the speaker restarts."]
        notes = ok_notes(save_settings(owner.client, "web", web__port=str(started), web__guest_view="true"))
        assert notes == ["This page: saved."], notes

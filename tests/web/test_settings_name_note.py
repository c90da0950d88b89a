"""Saving a new speaker name says what is true of it.

The header showed the new name at once while the note said "Name takes effect when the speaker
restarts" (device.name is not one of the service's LIVE_SETTINGS: Home Assistant's device keeps the old
name until then).  The note now says that the page (and its LAN announcement) use it now and Home
Assistant after a restart; another setting saved with it keeps its plain "takes effect" note.  The
"Waiting for a restart" line above says Home Assistant's part alone: "Name (Speaker)" under that note
said both.

The real service behind the page, handed the saved config as `moodspeaker run` does
(Appliance.apply_config, which names what waits for a restart).
"""

from __future__ import annotations

import re
from pathlib import Path

from formkit import ok_notes, save_settings
from realkit import owned_live_page


def test_the_note_for_a_new_name_is_true(tmp_path: Path) -> None:
    with owned_live_page(tmp_path) as (service, owner):
        page = save_settings(owner.client, "device", device__name="Attic")
        assert ok_notes(page) == [
            "Speaker: saved. This page and its announcement on the LAN use the new name now; Home "
            "Assistant sees it after the speaker restarts."
        ]
        assert "Attic" in page  # the header: the page does use it now
        line = r'<p class="hint intro" id="restart-waiting" role="status">([^<]*)</p>'
        waiting = re.findall(line, page)
        assert waiting == ["Waiting for a restart: Name (Speaker) in Home Assistant."]  # not the page
        assert service.appliance.config.device.name == "Attic"
        page = save_settings(owner.client, "device", page, device__name="Loft", device__id="loft")
        assert ok_notes(page) == [
            "Speaker: saved. ID takes effect when the speaker restarts. This page and its announcement "
            "on the LAN use the new name now; Home Assistant sees it after the speaker restarts."
        ]

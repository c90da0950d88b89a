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

import html
import re
from pathlib import Path

from formkit import form_data
from realkit import start_service
from webkit import AppPage

from moodspeaker_web.app import create_app


def test_the_note_for_a_new_name_is_true(tmp_path: Path) -> None:
    service = start_service(tmp_path)
    try:
        app = create_app(
            service.control,
            service.bus,
            **service.page_settings(),
            on_config_change=service.appliance.apply_config,
        )
        try:
            owner = AppPage(app, app.test_client(), service.bus, service.data_dir, service.config_path, [])
            owner.setup_owner()
            form = form_data(owner.client.get("/settings").get_data(as_text=True), "/settings/device")
            answer = owner.client.post("/settings/device", data={**form, "device.name": ["Attic"]})
            assert answer.status_code == 302, answer.get_data(as_text=True)
            page = html.unescape(owner.client.get(answer.headers["Location"]).get_data(as_text=True))
            notes = re.findall(r'<p class="flash flash-ok" role="status">([^<]*)</p>', page)
            assert notes == [
                "Speaker: saved. This page and its announcement on the LAN use the new name now; Home "
                "Assistant sees it after the speaker restarts."
            ]
            assert "Attic" in page  # the header: the page does use it now
            line = r'<p class="hint intro" id="restart-waiting" role="status">([^<]*)</p>'
            waiting = re.findall(line, page)
            assert waiting == ["Waiting for a restart: Name (Speaker) in Home Assistant."]  # not the page
            assert service.appliance.config.device.name == "Attic"
            form = form_data(page, "/settings/device")
            answer = owner.client.post(
                "/settings/device", data={**form, "device.name": ["Loft"], "device.id": ["loft"]}
            )
            page = html.unescape(owner.client.get(answer.headers["Location"]).get_data(as_text=True))
            assert re.findall(r'<p class="flash flash-ok" role="status">([^<]*)</p>', page) == [
                "Speaker: saved. ID takes effect when the speaker restarts. This page and its announcement "
                "on the LAN use the new name now; Home Assistant sees it after the speaker restarts."
            ]
        finally:
            app.extensions["moodspeaker"].close()
    finally:
        service.appliance.stop()

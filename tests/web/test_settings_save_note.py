"""A save's note names only what this save leaves waiting for a restart.

The port saved as 80, then put back to the 8080 the page listens on, with Guest view ticked in the
same save: the note said "This page: saved. Port takes effect when the speaker restarts.", though
the speaker runs with 8080 already and nothing waits.  A setting put back as the speaker started
waits for nothing; one still changed keeps its note.

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


def _save(owner: AppPage, section: str, **edits: str) -> list[str]:
    """The notes the saved section shows after saving `edits` ({"web__port": "8090"})."""
    form = form_data(owner.client.get("/settings").get_data(as_text=True), f"/settings/{section}")
    data = {**form, **{key.replace("__", "."): [value] for key, value in edits.items()}}
    answer = owner.client.post(f"/settings/{section}", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = html.unescape(owner.client.get(answer.headers["Location"]).get_data(as_text=True))
    return re.findall(r'<p class="flash flash-ok" role="status">([^<]*)</p>', page)


def test_a_setting_put_back_as_the_speaker_started_waits_for_nothing(tmp_path: Path) -> None:
    service = start_service(tmp_path)
    started = service.config.web.port
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
            assert _save(owner, "web", web__port=str(started + 10)) == [
                "This page: saved. Port takes effect when the speaker restarts."
            ]
            notes = _save(owner, "web", web__port=str(started), web__guest_view="true")
            assert notes == ["This page: saved."], notes
        finally:
            app.extensions["moodspeaker"].close()
    finally:
        service.appliance.stop()

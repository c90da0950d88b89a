"""Settings says what the speaker runs with where it was started otherwise than its file says.

The demo forces camera.type = replay and web.zeroconf off (and `run --set` does the like), but
Settings showed the file alone: Camera "Automatic" while a face was replayed, Zeroconf ticked while
nothing was announced.  The field still shows (and saves) the file's value, and says "Set for this
run: …" beside it; a setting saved since over its override is run as saved, and says nothing more.
The real service behind the page app (realkit.owned_page_after), the form as the page renders it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from formkit import form_data
from realkit import RealService, owned_page_after

from moodspeaker.config import save, with_changes


def _file_says_otherwise(service: RealService) -> None:
    """The file as the demo's is: camera on automatic, zeroconf on; the speaker was started with the
    demo's own values on top (replay, zeroconf off)."""
    save(with_changes(service.config, {"camera.type": "auto", "web.zeroconf": True}), service.config_path)


def _notes(text: str) -> dict[str, str]:
    """{input id: the field's "Set for this run" note}."""
    found = re.findall(r'<p class="help this-run" id="(f-[a-z-]+)-run">(.*?)</p>', text)
    return {key: html.unescape(re.sub(r"<[^>]+>", "", note)) for key, note in found}


def test_settings_say_the_value_set_for_this_run(tmp_path: Path) -> None:
    overrides = {"camera.type": "replay", "web.zeroconf": False}
    with owned_page_after(tmp_path, _file_says_otherwise, **overrides) as (_service, owner):
        text = owner.client.get("/settings").get_data(as_text=True)
        notes = _notes(text)
        assert set(notes) == {"f-camera-type", "f-web-zeroconf"}, notes
        assert notes["f-camera-type"].startswith("Set for this run: Recorded video"), notes
        assert notes["f-web-zeroconf"].startswith("Set for this run: off"), notes
        assert '<option value="auto" selected>' in text  # the field shows the file's value, saved as is
        assert 'aria-describedby="f-camera-type-help f-camera-type-run"' in text

        form = form_data(text, "/settings/camera")
        answer = owner.client.post("/settings/camera", data={**form, "camera.type": ["replay"]})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        notes = _notes(owner.client.get("/settings").get_data(as_text=True))
        assert set(notes) == {"f-web-zeroconf"}, notes  # saved as it runs: nothing to say any more

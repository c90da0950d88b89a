"""Settings and /api/state say which saved settings wait for a restart, until it comes.

"Port takes effect when the speaker restarts" was said once, in the note after the save, and then
forgotten: an owner who came back later had no way to see that the speaker still ran with the old port
or workers.  The page now keeps the list (the config file as it is against the file the speaker
started with, by the service's own rule of what applies at once) and shows "Waiting for a restart: …"
on Settings and in /api/state; a setting put back as it was leaves the list, one changed with
`moodspeaker config set` joins it, and one applied at once (the guest view) is never on it.

The in-memory household speaker behind the page (webkit); the form as the page renders it (formkit);
`config set` is the real command.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

from formkit import save_settings
from webkit import Page

from moodspeaker.cli import main
from moodspeaker.system.listen import listening_socket


def _save(owner: Page, section: str, **edits: str) -> None:
    save_settings(owner.client, section, **edits)


def _shown(owner: Page) -> str:
    """The Settings view's line (empty: none)."""
    text = owner.client.get("/settings").get_data(as_text=True)
    match = re.search(r'<p class="hint intro" id="restart-waiting" role="status">([^<]*)</p>', text)
    return html.unescape(match.group(1)) if match else ""


def _state(owner: Page) -> Any:
    return owner.client.get("/api/state").get_json()["restart_waiting"]


def _free_port() -> int:
    with listening_socket("0.0.0.0", 0) as sock:
        return int(sock.getsockname()[1])


def test_saved_settings_wait_for_a_restart_until_it_comes(owner: Page) -> None:
    assert _shown(owner) == ""
    assert _state(owner) == {"settings": [], "text": ""}
    port = _free_port()
    _save(owner, "web", web__port=str(port), web__guest_view="true")
    _save(owner, "library", library__workers="3")
    said = "Waiting for a restart: Workers (Music library), Port (This page)."
    assert _shown(owner) == said  # the guest view, applied at once, does not wait
    assert _state(owner) == {"settings": ["library.workers", "web.port"], "text": said}
    _save(owner, "web", web__port="8080")  # put back as the speaker runs it: nothing waits for it
    assert _state(owner)["settings"] == ["library.workers"]
    assert main(["-c", str(owner.config_path), "config", "set", "mood.half_life_s=5"]) == 0
    said = "Waiting for a restart: Half life (Mood smoothing), Workers (Music library)."  # the schema's order
    assert _shown(owner) == said
    assert _state(owner) == {"settings": ["mood.half_life_s", "library.workers"], "text": said}


def test_guests_do_not_see_it(owner: Page) -> None:
    _save(owner, "web", web__guest_view="true", web__port=str(_free_port()))
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    assert "restart_waiting" not in owner.client.get("/api/guest").get_json()


def test_a_live_setting_whose_line_is_gone_waits_for_the_restart(owner: Page) -> None:
    """The running speaker keeps a live setting whose line was removed from the file (config.follow);
    its default comes with the next start, so the list says so until then."""
    _save(owner, "player", player__volume="40")
    assert _state(owner)["settings"] == []  # applied at once
    text = owner.config_path.read_text(encoding="utf-8")
    owner.config_path.write_text(re.sub(r"(?m)^volume = .*\n", "", text), encoding="utf-8")
    said = "Waiting for a restart: Start volume (Audio)."
    assert _shown(owner) == said
    assert _state(owner) == {"settings": ["player.volume"], "text": said}
    assert main(["-c", str(owner.config_path), "config", "set", "player.volume=0.4"]) == 0
    assert _state(owner)["settings"] == []  # the file says what the speaker runs with again


def test_a_one_run_override_does_not_wait(owner: Page) -> None:
    """`run --set player.volume=0.1` with no volume in the file: the file was never its source."""
    ctx = owner.ctx
    ctx.config = ctx._started = dataclasses.replace(
        ctx.config, player=dataclasses.replace(ctx.config.player, volume=0.1)
    )
    assert _state(owner)["settings"] == []

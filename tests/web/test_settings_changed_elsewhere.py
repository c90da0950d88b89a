"""A save on the page's Settings applies only the fields the person changed there, onto the config file
as it is now; a field changed elsewhere (`moodspeaker config set` over SSH) since the page was loaded is
refused with a word to reload, not overwritten.

The page saved its whole config from memory, so a value `config set` wrote while the page was open (or
since the speaker started) went back to its old value at the next save of any other field, silently;
and one-run overrides of the running speaker (`--set`, `run --no-mqtt`) were written into the file.
The Flask client posts the form as the page rendered it (formkit); `config set` is the real command.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import needs_chromium
from formkit import form_data
from realkit import owner_phone
from webkit import Page

from moodspeaker.cli import main
from moodspeaker.config import load
from moodspeaker.config.schema import PlayerConfig

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

#: What the browser reports for the refusal the test makes on purpose (a 400 answer).
REFUSED = ("400 ", "Failed to load resource: the server responded with a status of 400")


def _loaded(owner: Page, section: str) -> dict[str, list[str]]:
    """The section's form as a browser holds it after loading /settings."""
    return form_data(owner.client.get("/settings").get_data(as_text=True), f"/settings/{section}")


def _submit(owner: Page, section: str, form: dict[str, list[str]], **edits: str) -> Any:
    data = {**form, **{key.replace("__", "."): [value] for key, value in edits.items()}}
    return owner.client.post(f"/settings/{section}", data=data)


def _config_set(owner: Page, *changes: str) -> None:
    assert main(["-c", str(owner.config_path), "config", "set", *changes]) == 0


def test_a_save_keeps_what_config_set_changed_since_the_page_was_loaded(owner: Page) -> None:
    form = _loaded(owner, "player")
    _config_set(owner, "player.volume=0.9", "device.name=Attic")
    answer = _submit(owner, "player", form, player__crossfade_s="2")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    saved = load(owner.config_path)
    assert saved.player.crossfade_s == 2.0
    assert saved.player.volume == pytest.approx(0.9)  # the form showed the start volume, sent back untouched
    assert saved.device.name == "Attic"
    assert owner.saved_configs[-1].player.crossfade_s == 2.0  # the service hears the page's change


def test_the_same_field_changed_elsewhere_since_the_page_was_loaded_is_refused(owner: Page) -> None:
    form = _loaded(owner, "player")
    _config_set(owner, "player.crossfade_s=5")
    before = owner.config_path.read_bytes()
    answer = _submit(owner, "player", form, player__crossfade_s="2", player__target_lufs="-14")
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "changed elsewhere since this page was loaded" in html and "eload" in html, html
    assert owner.config_path.read_bytes() == before  # all or nothing: target_lufs was not saved either
    assert owner.saved_configs == []
    # the refusal's page shows the file as it is now, with what was typed: saving it again is a choice
    again = form_data(html, "/settings/player")
    assert again["player.crossfade_s"] == ["2"] and again["player.target_lufs"] == ["-14"]
    assert _submit(owner, "player", again).status_code == 302
    assert load(owner.config_path).player.crossfade_s == 2.0


def test_a_clash_is_still_caught_after_a_refusal_of_what_was_typed(owner: Page) -> None:
    """The page shown with a refusal (a value out of range) carries on what the fields were loaded
    with: the corrected save is then refused as a clash, not saved over the value set elsewhere."""
    form = _loaded(owner, "player")
    _config_set(owner, "player.crossfade_s=5")
    answer = _submit(owner, "player", form, player__crossfade_s="99")
    assert answer.status_code == 400 and "changed elsewhere" not in answer.get_data(as_text=True)
    again = form_data(answer.get_data(as_text=True), "/settings/player")
    answer = _submit(owner, "player", again, player__crossfade_s="2")
    assert answer.status_code == 400 and "changed elsewhere" in answer.get_data(as_text=True)
    assert load(owner.config_path).player.crossfade_s == 5.0


def test_a_field_changed_elsewhere_to_what_was_typed_is_no_conflict(owner: Page) -> None:
    form = _loaded(owner, "player")
    _config_set(owner, "player.crossfade_s=2")
    answer = _submit(owner, "player", form, player__crossfade_s="2")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert load(owner.config_path).player.crossfade_s == 2.0


def test_a_saved_password_changed_elsewhere(owner: Page) -> None:
    """A secret is never shown, so the form carries a keyed digest of it: a password typed on the page
    is refused when `config set` changed the saved one meanwhile; left empty, the new one stays."""
    _config_set(owner, "mqtt.password=first")
    form = _loaded(owner, "mqtt")
    assert not any("first" in value for values in form.values() for value in values)
    _config_set(owner, "mqtt.password=second")
    answer = _submit(owner, "mqtt", form, mqtt__password="third")
    assert answer.status_code == 400 and "changed elsewhere" in answer.get_data(as_text=True)
    assert load(owner.config_path).mqtt.password == "second"
    answer = _submit(owner, "mqtt", form, mqtt__port="1884")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    saved = load(owner.config_path)
    assert saved.mqtt.password == "second" and saved.mqtt.port == 1884


def test_one_run_overrides_of_the_running_speaker_are_not_written(owner: Page) -> None:
    """`run --no-mqtt --set player.volume=0.1`: the page's config holds both for this run only."""
    _config_set(owner, "mqtt.enabled=true")
    ctx = owner.ctx
    running = load(owner.config_path)
    ctx.config = dataclasses.replace(
        running,
        mqtt=dataclasses.replace(running.mqtt, enabled=False),
        player=dataclasses.replace(running.player, volume=0.1),
    )
    answer = _submit(owner, "device", _loaded(owner, "device"), device__name="Hall")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    saved = load(owner.config_path)
    assert saved.device.name == "Hall" and saved.mqtt.enabled and saved.player.volume == PlayerConfig().volume
    heard = owner.saved_configs[-1]  # the running speaker keeps its overrides, with the new name
    assert heard.device.name == "Hall" and not heard.mqtt.enabled and heard.player.volume == 0.1


def test_a_file_broken_since_the_page_was_loaded_is_not_overwritten(owner: Page) -> None:
    form = _loaded(owner, "player")
    owner.config_path.write_text(owner.config_path.read_text() + "\n[player]\nvolume = 'loud'\n")
    before = owner.config_path.read_bytes()
    answer = _submit(owner, "player", form, player__crossfade_s="2")
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "Nothing was saved" in html and "player.volume" in html, html
    assert owner.config_path.read_bytes() == before


@needs_chromium
@pytest.mark.timeout(240)
def test_in_chromium_a_save_keeps_config_set_and_refuses_a_clash(tmp_path: Path, browser: Browser) -> None:
    """The real service and its page in headless Chromium, `moodspeaker config set` run while the page is
    open: a save of another field keeps its value; a save of the same field is refused, says to
    reload, and the reloaded page shows the value set elsewhere."""
    changes: dict[str, Any] = {"player.volume": 0.3}
    with owner_phone(tmp_path, browser, path=None, **changes) as (service, server, page, problems):
        path = service.config_path
        page.locator("#s-player").evaluate("e => { e.open = true; }")
        assert page.input_value("#f-player-volume") == "30"
        assert main(["-c", str(path), "config", "set", "player.volume=0.9"]) == 0  # over SSH, say
        page.fill("#f-player-crossfade-s", "2")
        page.click("#save-player")
        page.wait_for_url("**/settings?saved=player*")
        saved = load(path)
        assert saved.player.crossfade_s == 2.0 and saved.player.volume == pytest.approx(0.9)
        page.locator("#s-player").evaluate("e => { e.open = true; }")
        assert page.input_value("#f-player-volume") == "90"  # the page shows the file as it is

        assert main(["-c", str(path), "config", "set", "player.crossfade_s=5"]) == 0
        before = path.read_bytes()
        page.fill("#f-player-crossfade-s", "4")
        with page.expect_navigation():
            page.click("#save-player")
        error = page.locator("#f-player-crossfade-s-err").inner_text()
        assert "changed elsewhere since this page was loaded (it is now 5.0 s)" in error, error
        assert "reload the settings" in error, error
        assert "Reload the settings" in page.locator("#s-player [role=alert]").first.inner_text()
        assert path.read_bytes() == before
        page.goto(f"{server.url}/settings")
        page.locator("#s-player").evaluate("e => { e.open = true; }")
        assert page.input_value("#f-player-crossfade-s") == "5.0"
        assert [p for p in problems if not p.startswith(REFUSED)] == []

"""Setup pages generated from the config schema: rendering, saving, refusing, never half-saving."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from webkit import Page

from moodspeaker.config import Config, describe, load
from moodspeaker.service.events import StateChanged
from moodspeaker_web import forms


def _post(owner: Page, section: str, data: dict[str, str | list[str]]) -> Any:
    token = owner.csrf("/settings")
    return owner.client.post(f"/settings/{section}", data={"csrf_token": token, **data})


def test_every_shown_setting_of_the_schema_has_an_input(owner: Page) -> None:
    html = owner.client.get("/settings").get_data(as_text=True)
    text = re.sub(r"</?(?:code|span)\b[^>]*>", "", html)  # a help's `command` is shown as code, a box a word
    for info in describe():
        if info.dotted in forms.HIDDEN:
            assert f'name="{info.dotted}"' not in html
        else:
            assert f'name="{info.dotted}"' in html, info.dotted
            helped = info.help.replace("`", "").split(";")[0][:30]
            assert helped.replace("'", "&#39;").replace('"', "&#34;") in text, info.dotted
    assert 'name="device.data_dir"' not in html


def test_saving_changes_writes_the_file_and_tells_the_service(owner: Page) -> None:
    response = _post(owner, "camera", {"camera.interval_s": "2.5", "camera.type": "replay"})
    assert response.status_code == 302
    saved = load(owner.config_path)
    assert saved.camera.interval_s == 2.5 and saved.camera.type == "replay"
    assert saved.device.name == "Kitchen"  # other sections untouched
    assert owner.saved_configs[-1].camera.interval_s == 2.5
    assert "saved" in owner.client.get("/settings").get_data(as_text=True)
    cases: list[tuple[str, dict[str, str | list[str]], Callable[[Config], bool]]] = [
        (
            "mood",
            {"mood.smoothing": "rolling", "mood.half_life_s": "4"},
            lambda c: c.mood.smoothing == "rolling",
        ),
        ("recommend", {"recommend.strategy": "match"}, lambda c: c.recommend.strategy == "match"),
        (
            "player",
            {"player.crossfade_s": "0", "player.audio_device": "hw:1"},
            lambda c: c.player.crossfade_s == 0,
        ),
        (
            "library",
            {"library.folders": "/srv/music\n~/Music, live\n", "library.servers": "http://nas.local:8765"},
            lambda c: c.library.folders == ("/srv/music", "~/Music, live"),
        ),
        ("privacy", {"privacy.retention_days": "7"}, lambda c: c.privacy.retention_days == 7),
        ("web", {"web.guest_view": ["false", "true"]}, lambda c: c.web.guest_view),
    ]
    for section, data, check in cases:
        assert _post(owner, section, data).status_code == 302, section
        assert check(load(owner.config_path)), section
    assert owner.ctx.config.web.guest_view  # the page's own settings act at once


def test_checkbox_unticked_turns_a_setting_off(owner: Page) -> None:
    _post(owner, "web", {"web.guest_view": ["false", "true"]})
    assert load(owner.config_path).web.guest_view
    _post(owner, "web", {"web.guest_view": ["false"]})
    assert not load(owner.config_path).web.guest_view


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("camera.interval_s", "abc", "a number from 0 to 60"),
        ("camera.interval_s", "61", "a number from 0 to 60"),
        ("camera.interval_s", "1e999", "a number"),
        ("camera.interval_s", "nan", "a number"),
        ("camera.type", "webcam", "one of"),
        ("camera.width", "640.5", "whole number"),
    ],
)
def test_invalid_values_are_refused_with_the_fields_error_and_nothing_is_saved(
    owner: Page, field: str, value: str, message: str
) -> None:
    before = owner.config_path.read_bytes()
    # a valid change in the same form must not be saved either: all or nothing
    response = _post(owner, "camera", {"camera.replay_path": "/srv/faces", field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    input_id = "f-" + field.replace(".", "-").replace("_", "-")
    error = re.search(rf'id="{input_id}-err" role="alert">([^<]+)<', html)
    assert error and message in error.group(1)
    assert "Nothing was saved" in html
    assert owner.config_path.read_bytes() == before
    assert owner.ctx.config.camera.replay_path == ""
    assert not owner.saved_configs


@pytest.mark.parametrize(
    "folder",
    [
        "../../etc",
        "/srv/music/../../etc/shadow",
        "music",
        "/etc",
        "/proc/self",
        "/srv/./music",
        "~/../root",
        "/srv/mu\x00sic",
        "/",
    ],
)
def test_library_folders_refuse_traversal_relative_and_system_paths(owner: Page, folder: str) -> None:
    before = owner.config_path.read_bytes()
    response = _post(owner, "library", {"library.folders": f"/srv/music\n{folder}"})
    assert response.status_code == 400
    assert 'id="f-library-folders-err"' in response.get_data(as_text=True)
    assert owner.config_path.read_bytes() == before


@pytest.mark.parametrize(
    "server", ["ftp://nas", "nas.local:8765", "http://", "http://nas:99999", "javascript:alert(1)"]
)
def test_library_servers_must_be_http_urls(owner: Page, server: str) -> None:
    response = _post(owner, "library", {"library.servers": server})
    assert response.status_code == 400 and 'id="f-library-servers-err"' in response.get_data(as_text=True)


def test_profiles_keep_the_active_one_and_have_sane_names(owner: Page) -> None:
    assert _post(owner, "recommend", {"recommend.profiles": "Sam\nAlex"}).status_code == 400
    assert _post(owner, "recommend", {"recommend.profiles": "default\n<b>x</b>"}).status_code == 400
    assert _post(owner, "recommend", {"recommend.profiles": ""}).status_code in {302, 400}
    assert load(owner.config_path).recommend.profiles == ("default",)
    assert _post(owner, "recommend", {"recommend.profiles": "default\nSam\nAlex"}).status_code == 302
    assert load(owner.config_path).recommend.profiles == ("default", "Sam", "Alex")


def test_mqtt_password_is_never_echoed_back(owner: Page) -> None:
    secret = "hunter2-very-secret"
    response = _post(
        owner,
        "mqtt",
        {
            "mqtt.host": "broker.lan",
            "mqtt.tls": ["false", "true"],
            "mqtt.username": "speaker",
            "mqtt.password": secret,
        },
    )
    assert response.status_code == 302
    assert load(owner.config_path).mqtt.password == secret
    for path in ("/settings", "/privacy/export", "/health", "/api/state"):
        assert secret not in owner.client.get(path).get_data(as_text=True), path
    html = owner.client.get("/settings").get_data(as_text=True)
    assert "saved: leave empty to keep it" in html
    # saving the section again with the field left empty keeps it
    assert _post(owner, "mqtt", {"mqtt.host": "broker2.lan", "mqtt.password": ""}).status_code == 302
    assert load(owner.config_path).mqtt.password == secret
    # a refused form does not echo it either
    response = _post(owner, "mqtt", {"mqtt.port": "0", "mqtt.password": "another-secret"})
    assert response.status_code == 400 and "another-secret" not in response.get_data(as_text=True)
    # and it can be removed on purpose
    _post(owner, "mqtt", {"mqtt.password": "", "mqtt.password:clear": "1"})
    assert load(owner.config_path).mqtt.password == ""


def test_mqtt_host_with_spaces_is_refused(owner: Page) -> None:
    assert _post(owner, "mqtt", {"mqtt.host": "evil host/x"}).status_code == 400


def test_fields_missing_from_a_form_are_left_alone(owner: Page) -> None:
    assert _post(owner, "camera", {}).status_code == 302
    assert owner.config_path.read_bytes().count(b"[camera]") == 0


def test_without_a_config_file_nothing_can_be_saved(owner: Page) -> None:
    owner.ctx.config_path = None
    html = owner.client.get("/settings").get_data(as_text=True)
    assert "cannot be saved" in html
    response = _post(owner, "camera", {"camera.interval_s": "3"})
    assert response.status_code == 400 and "Nothing was saved" in response.get_data(as_text=True)
    assert owner.ctx.config.camera.interval_s == 1.0


def test_rescan_button_and_progress(owner: Page) -> None:
    response = owner.post_json("/api/rescan", {})
    assert response.status_code == 200 and owner.speaker.scans == 1
    assert response.get_json()["scan"] == {"running": True, "done": 3, "total": 10}
    html = owner.client.get("/settings").get_data(as_text=True)
    assert "Scanning… analysed 3 of 10" in html and "Library now: 42 tracks" in html


def test_rescan_without_progress_figures_follows_the_services_event(
    owner: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(owner.speaker, "state", _without_scan(owner.speaker.state))
    assert owner.post_json("/api/rescan", {}).get_json()["scan"]["running"] is True
    assert "Scanning the library" in owner.client.get("/settings").get_data(as_text=True)
    owner.bus.publish(StateChanged(ts=owner.clock.now, key="library", value="rescanned"))
    assert owner.client.get("/api/state").get_json()["scan"]["running"] is False
    assert "Scan finished (rescanned)" in owner.client.get("/settings").get_data(as_text=True)


def _without_scan(state_fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def state() -> dict[str, Any]:
        s = state_fn()
        s.pop("scan", None)
        return s

    return state


def test_parse_section_is_pure_and_reports_every_bad_field(owner: Page) -> None:
    config = owner.ctx.config
    changes, errors = forms.parse_section(
        config,
        "camera",
        {"camera.interval_s": ["-1"], "camera.width": ["huge"], "camera.replay_loop": ["false"]},
    )
    assert set(errors) == {"camera.interval_s", "camera.width"}
    assert changes == {"camera.replay_loop": False}


def test_server_passwords_are_shown_masked_and_kept(owner: Page) -> None:
    secret_url = "subsonic+http://anna:s3cret-pw@navidrome.local:4533"
    response = _post(owner, "library", {"library.servers": f"http://nas.local:8765\n{secret_url}"})
    assert response.status_code == 302
    assert load(owner.config_path).library.servers == ("http://nas.local:8765", secret_url)
    for path in ("/settings", "/privacy/export"):
        body = owner.client.get(path).get_data(as_text=True)
        assert "s3cret-pw" not in body and "anna:********@navidrome.local" in body, path
    # sending the page back unchanged keeps the password
    masked = "http://nas.local:8765\nsubsonic+http://anna:********@navidrome.local:4533"
    assert _post(owner, "library", {"library.servers": masked, "library.workers": "3"}).status_code == 302
    saved = load(owner.config_path).library
    assert saved.servers == ("http://nas.local:8765", secret_url) and saved.workers == 3
    # a new server with the mask in place of a password cannot be saved
    response = _post(owner, "library", {"library.servers": "subsonic+http://bob:********@other.local"})
    assert response.status_code == 400 and "password again" in response.get_data(as_text=True)
    # a new password replaces the old one
    _post(owner, "library", {"library.servers": "subsonic+http://anna:new-pw@navidrome.local:4533"})
    assert load(owner.config_path).library.servers == ("subsonic+http://anna:new-pw@navidrome.local:4533",)


@pytest.mark.parametrize(
    ("typed", "saved", "error"),
    [
        ("45", 0.45, None),
        ("45 %", 0.45, None),
        ("0", 0.0, None),
        ("100", 1.0, None),
        ("0.5 %", 0.005, None),  # half of one per cent, said outright (0.5 alone: test_start_volume)
        ("150", None, "Start volume must be a number from 0 to 100 %, not 150."),
        ("-5", None, "Start volume must be a number from 0 to 100 %, not -5."),
        ("loud", None, "Start volume must be a number from 0 to 100 %, not “loud”."),
        ("nan", None, "Start volume must be a number from 0 to 100 %, not “nan”."),
    ],
)
def test_the_volume_is_typed_as_a_percentage(
    owner: Page, typed: str, saved: float | None, error: str | None
) -> None:
    """Settings takes the volume in % (as the Now tab shows it) and gives the schema its 0-1."""
    changes, errors = forms.parse_section(owner.ctx.config, "player", {"player.volume": [typed]})
    if error is None:
        assert errors == {} and changes.get("player.volume", owner.ctx.config.player.volume) == pytest.approx(
            saved
        )
    else:
        assert errors == {"player.volume": error} and changes == {}

"""Fuzzing the web page: JSON bodies and forms (logged-in owner, valid CSRF token) into the real appliance.

Only one appliance lives at a time in a test process: pygame's mixer is process-global, so each
fuzz module that needs one has its own module-scoped appliance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzzkit import arg_names, fuzz, json_value, names, valid_state
from hypothesis import given
from hypothesis import strategies as st
from stresskit import CLASSES, ScriptedFace, appliance
from werkzeug.datastructures import MultiDict

from moodspeaker.config import Config, describe, load, save
from moodspeaker.service.control import STRATEGIES, ControlAPI

# --- the web page -------------------------------------------------------------------------------


class WebRig:
    def __init__(self, tmp: Path) -> None:
        from moodspeaker_web.app import create_app  # noqa: PLC0415
        from moodspeaker_web.auth import LoginLimiter  # noqa: PLC0415
        from moodspeaker_web.setup_code import read_setup_code  # noqa: PLC0415

        self.face = ScriptedFace("happy")
        self.app, self.bus, cfg = appliance(tmp, self.face)
        self.app.start()
        self.config_path = tmp / "config.toml"
        save(cfg, self.config_path)
        self.saved: list[Config] = []
        self.flask = create_app(
            ControlAPI(self.app, self.bus),
            self.bus,
            config=cfg,
            config_path=self.config_path,
            data_dir=tmp / "data",
            on_config_change=self.saved.append,
            limiter=LoginLimiter(max_failures=1000, window_s=1, global_max=1000),
        )
        self.flask.config["PROPAGATE_EXCEPTIONS"] = True  # an unhandled exception fails the test loudly
        self.client = self.flask.test_client()
        token = self.csrf("/setup")
        code = read_setup_code(tmp / "data")
        password = "correct horse battery"
        r = self.client.post(
            "/setup", data={"csrf_token": token, "code": code, "password": password, "confirm": password}
        )
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.token = self.csrf("/")

    def csrf(self, path: str) -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def close(self) -> None:
        self.flask.extensions["moodspeaker"].close()
        self.app.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebRig]:
    rig = WebRig(tmp_path_factory.mktemp("web-fuzz"))
    yield rig
    rig.close()


def _answer_ok(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:400])
    if response.status_code == 400 and response.is_json:
        body = response.get_json()
        assert body["ok"] is False and str(body.get("error", "")).strip(), body


valid_commands = st.one_of(
    st.sampled_from(["play", "pause", "next", "like", "dislike", "rescan"]).map(lambda n: {"command": n}),
    st.floats(0, 1).map(lambda v: {"command": "set_volume", "args": {"volume": v}}),
    st.booleans().map(lambda v: {"command": "set_camera", "args": {"enabled": v}}),
    st.sampled_from(STRATEGIES).map(lambda v: {"command": "set_strategy", "args": {"strategy": v}}),
    st.sampled_from(CLASSES).map(lambda v: {"command": "correct_mood", "args": {"mood": v}}),
)


@fuzz(150)
@given(
    body=json_value
    | st.fixed_dictionaries({"command": names, "args": st.dictionaries(arg_names, json_value, max_size=3)})
    | st.fixed_dictionaries({"command": json_value, "args": json_value})
    | valid_commands
)
def test_web_command_json(web: WebRig, body: Any) -> None:
    raw = json.dumps(body, allow_nan=True)
    r = web.client.post(
        "/api/command", data=raw, content_type="application/json", headers={"X-CSRFToken": web.token}
    )
    _answer_ok(r, {200, 400})
    if r.status_code == 200:
        assert r.get_json()["ok"] is True
    valid_state(web.app.state(), web.app.profiles())


@fuzz(80)
@given(body=json_value | st.fixed_dictionaries({"text": st.text(max_size=250)}), raw=st.binary(max_size=40))
def test_web_tell_and_raw_bodies(web: WebRig, body: Any, raw: bytes) -> None:
    r = web.client.post("/api/tell", json=body, headers={"X-CSRFToken": web.token})
    _answer_ok(r, {200, 400})
    r = web.client.post(
        "/api/command", data=raw, content_type="application/json", headers={"X-CSRFToken": web.token}
    )
    _answer_ok(r, {400})
    valid_state(web.app.state(), web.app.profiles())


@fuzz(60)
@given(minutes=st.text(max_size=12), command=names, volume=st.text(max_size=10), choice=st.text(max_size=20))
def test_web_forms_control_and_history(
    web: WebRig, minutes: str, command: str, volume: str, choice: str
) -> None:
    _answer_ok(web.client.get("/api/history", query_string={"minutes": minutes}), {200, 400})
    form = {
        "csrf_token": web.token,
        "command": command,
        "volume": volume,
        "strategy": choice,
        "profile": choice,
    }
    _answer_ok(web.client.post("/control", data=form), {302})
    form = {"csrf_token": web.token, "confirm": choice}
    _answer_ok(web.client.post("/privacy/camera", data={**form, "enabled": choice}), {302, 400})
    valid_state(web.app.state(), web.app.profiles())


SETTINGS_BY_SECTION: dict[str, list[Any]] = {}
for _info in describe():
    SETTINGS_BY_SECTION.setdefault(_info.section, []).append(_info)


@st.composite
def settings_form(draw: st.DrawFn) -> tuple[str, dict[str, list[str]]]:
    section = draw(st.sampled_from(sorted(SETTINGS_BY_SECTION)))
    infos = SETTINGS_BY_SECTION[section]
    chosen = draw(st.lists(st.sampled_from(infos), max_size=4, unique_by=lambda i: i.dotted))
    text = st.text(max_size=30) | st.sampled_from(
        ["", "0", "-1", "1e309", "nan", "true", "on", "/etc", "http://x"]
    )
    form = {info.dotted: draw(st.lists(text, min_size=1, max_size=2)) for info in chosen}
    if draw(st.booleans()):
        form[draw(st.text(max_size=15))] = [draw(text)]
    return section, form


@fuzz(120)
@given(case=settings_form())
def test_web_settings_forms(web: WebRig, case: tuple[str, dict[str, list[str]]]) -> None:
    section, form = case
    data = MultiDict([("csrf_token", web.token)] + [(k, v) for k, values in form.items() for v in values])
    saves = len(web.saved)
    r = web.client.post(f"/settings/{section}", data=data)
    _answer_ok(r, {302, 400})
    if r.status_code == 400:
        assert "error" in r.get_data(as_text=True).lower()
    load(web.config_path)  # whatever was saved is a valid config file
    assert len(web.saved) in {saves, saves + 1}


@fuzz(25)  # argon2 makes each wrong password cost a fraction of a second, on purpose
@given(
    password=st.text(max_size=300),
    nxt=st.text(max_size=40),
    host=st.sampled_from(["localhost", "evil.example"]),
)
def test_web_login_form_from_a_stranger(web: WebRig, password: str, nxt: str, host: str) -> None:
    stranger = web.flask.test_client()
    html = stranger.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert token
    r = stranger.post(
        "/login",
        query_string={"next": nxt},
        data={"csrf_token": token.group(1), "password": password},
        headers={"Host": host},
    )
    assert r.status_code in {200, 302, 400, 401, 403, 429}, r.status_code
    if r.status_code == 302:  # only the right password logs in, and never off-site
        location = r.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
    assert stranger.get("/api/state").status_code in {302, 401, 403}

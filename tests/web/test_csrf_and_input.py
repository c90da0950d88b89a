"""CSRF on every state-changing request, and bad input: sizes, types, escaping."""

from __future__ import annotations

import re

import pytest
from webkit import Page

#: Every POST route of the page with a body that would be accepted given a valid token.
POSTS = [
    ("/logout", {}),
    ("/control", {"command": "pause"}),
    ("/settings/device", {"device.name": "Hall"}),
    ("/settings/password", {"current": "correct horse battery", "password": "x" * 12, "confirm": "x" * 12}),
    ("/privacy/camera", {"enabled": "off"}),
    ("/privacy/delete", {"confirm": "delete"}),
]
JSON_POSTS = [
    ("/api/command", {"command": "pause"}),
    ("/api/tell", {"text": "pause"}),
    ("/api/rescan", {}),
]


@pytest.mark.parametrize(("path", "form"), POSTS)
def test_form_posts_without_or_with_a_wrong_token_change_nothing(
    owner: Page, path: str, form: dict[str, str]
) -> None:
    owner.speaker.playing = True
    before = owner.config_path.read_bytes()
    for token in (None, "forged-token"):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        response = owner.client.post(path, data=data)
        assert response.status_code == 400, path
        assert "security token" in response.get_data(as_text=True)
    assert owner.speaker.playing and owner.speaker.camera
    assert owner.config_path.read_bytes() == before
    assert owner.client.get("/").status_code == 200  # still logged in: logout needs the token too


@pytest.mark.parametrize(("path", "body"), JSON_POSTS)
def test_json_posts_need_the_token_header(owner: Page, path: str, body: dict[str, str]) -> None:
    owner.speaker.playing = True
    assert owner.post_json(path, body, token="").status_code == 400
    response = owner.client.post(path, json=body)
    assert response.status_code == 400 and "security token" in response.get_json()["error"]
    assert owner.speaker.playing and owner.speaker.scans == 0


def test_a_token_from_another_session_is_refused(owner: Page) -> None:
    stranger = owner.app.test_client()
    html = stranger.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on /login"
    foreign = match.group(1)
    assert owner.post_json("/api/command", {"command": "pause"}, token=foreign).status_code == 400


def test_oversized_bodies_are_refused(owner: Page) -> None:
    token = owner.csrf("/settings")
    huge = "a" * (70 * 1024)
    response = owner.client.post("/settings/device", data={"csrf_token": token, "device.name": huge})
    assert response.status_code == 413
    response = owner.client.post(
        "/api/tell",
        data='{"text": "' + huge + '"}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 413 and response.get_json()["ok"] is False
    assert owner.ctx.config.device.name == "Kitchen"


@pytest.mark.parametrize(
    "body",
    [
        {"command": "set_volume", "args": {"volume": "loud"}},
        {"command": "set_volume", "args": {"volume": 7}},
        {"command": "set_volume", "args": {"volume": True}},
        {"command": "set_camera", "args": {"enabled": "yes"}},
        {"command": "set_strategy", "args": {"strategy": "<script>"}},
        {"command": "set_profile", "args": {"profile": "nobody"}},
        {"command": "format_disk"},
        {"command": ["pause"]},
        {"command": "pause", "args": ["x"]},
        {"command": "pause", "args": {"extra": 1}},
        ["pause"],
        "pause",
    ],
)
def test_commands_with_wrong_types_are_refused_with_a_reason(owner: Page, body: object) -> None:
    owner.speaker.volume = 0.6
    response = owner.post_json("/api/command", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error and "Traceback" not in error
    assert owner.speaker.volume == 0.6 and owner.speaker.camera and owner.speaker.strategy == "uplift"


def test_non_json_body_to_the_api(owner: Page) -> None:
    token = owner.csrf("/")
    response = owner.client.post(
        "/api/command", data="command=pause", content_type="text/plain", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400 and "JSON object" in response.get_json()["error"]
    response = owner.client.post(
        "/api/tell", data="{not json", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400


def test_html_in_names_is_escaped_everywhere(owner: Page) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    token = owner.csrf("/settings")
    response = owner.client.post("/settings/device", data={"csrf_token": token, "device.name": evil})
    assert response.status_code == 302
    assert owner.ctx.config.device.name == evil  # stored as typed...
    for path in ("/", "/settings", "/privacy", "/health"):
        html = owner.client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path  # ...shown escaped
        assert "&lt;script&gt;" in html
    owner.speaker.profile_names.append(evil)
    html = owner.client.get("/").get_data(as_text=True)
    assert "<script>alert" not in html


def test_unknown_pages_and_methods(owner: Page) -> None:
    assert owner.client.get("/no/such/page").status_code == 404
    assert owner.client.get("/api/nothing").get_json()["ok"] is False
    assert owner.client.get("/privacy/delete").status_code == 405
    token = owner.csrf("/settings")
    assert owner.client.post("/settings/nosuchsection", data={"csrf_token": token}).status_code == 404
    assert owner.client.get("/static/../auth.json").status_code == 404


def test_control_form_without_javascript(owner: Page) -> None:
    token = owner.csrf("/")
    assert owner.client.post("/control", data={"csrf_token": token, "command": "play"}).status_code == 302
    assert owner.speaker.playing
    owner.client.post("/control", data={"csrf_token": token, "command": "set_volume", "volume": "30"})
    assert owner.speaker.volume == pytest.approx(0.3)
    response = owner.client.post(
        "/control",
        data={"csrf_token": token, "command": "set_volume", "volume": "abc"},
        follow_redirects=True,
    )
    assert "volume must be a number" in response.get_data(as_text=True)
    owner.client.post("/control", data={"csrf_token": token, "command": "set_strategy", "strategy": "match"})
    assert owner.speaker.strategy == "match"
    owner.client.post("/control", data={"csrf_token": token, "command": "set_profile", "profile": "Sam"})
    assert owner.speaker.profile == "Sam"

"""Choosing a listener on the page while the speaker's profile database is corrupt: a clear refusal
(400 naming what failed, or the reason shown after the plain form), never a 500; the page keeps its
picker and the previous listener stays active.  The real service behind the page (the `real` fixture,
realkit); the database really is damaged on disk while it runs (see tests/service/test_profile_storage.py)."""

from __future__ import annotations

import html

import pytest
from realkit import RealService
from webkit import AppPage

from sqlitefaults import corrupt

pytestmark = pytest.mark.timeout(120)


def test_choosing_a_listener_with_a_corrupt_profile_database_is_refused_clearly(
    real: tuple[RealService, AppPage],
) -> None:
    service, page = real
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay")
    corrupt(service.data_dir / "recommend.sqlite")

    answer = page.post_json("/api/command", {"command": "set_profile", "args": {"profile": "Sam"}})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert (
        error == "set_profile: the listener profiles cannot be read: storage error (file is not a database)"
    )

    plain = page.client.post(
        "/control", data={"command": "set_profile", "profile": "Sam", "csrf_token": page.csrf()}
    )
    assert plain.status_code == 302  # back to the status page, which says why
    status = page.client.get("/")
    assert status.status_code == 200
    text = html.unescape(status.get_data(as_text=True))
    assert "the listener profiles cannot be read" in text
    assert '<option value="Sam">' in text and '<option value="default" selected>' in text  # picker kept

    state = page.client.get("/api/state")
    assert state.status_code == 200
    body = state.get_json()
    assert body["profile"] == "default" and sorted(body["profiles"]) == ["Sam", "default"]
    assert body["playing"]  # the music goes on
    health = page.client.get("/health")
    assert health.status_code == 200 and "file is not a database" in html.unescape(
        health.get_data(as_text=True)
    )

"""A session's age and last use are the speaker's record, not the cookie's.  The cookie said when the
session was last used, and the page believed it: a cookie claiming a recent use (a replayed copy
rewritten by anyone holding the device's key, or a browser's stale copy) kept a session unused for
weeks alive.  Now the session list records each use and ends a session unused for the idle time, and
the last use survives a restart (written at most hourly, so a restart can end a session early, never
late).  Flask's test client: the cookie is copied and rewritten by hand, which a browser cannot show."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from test_sessions import cookie_of, phone, refused, restart
from webkit import Page

from moodspeaker_web.sessions import SEEN_SAVE_S, sessions_path

DAY = 86400.0
WEEK = 7 * DAY


def rewritten(app: Flask, cookie: str, **fields: Any) -> str:
    """`cookie` with `fields` changed, signed with the device's own key (as a forger with it would)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    data = serializer.loads(cookie)
    data.update(fields)
    signed: str = serializer.dumps(data)
    return signed


def in_use(client: FlaskClient) -> bool:
    name = client.application.config["SESSION_COOKIE_NAME"]  # named per speaker
    return client.get("/").status_code == 200 and client.get_cookie(name) is not None


def test_a_cookie_claiming_a_recent_use_does_not_keep_an_unused_session_alive(owner: Page) -> None:
    cookie = cookie_of(owner.client)
    owner.clock.now += WEEK + 60  # nobody used the session for a week
    now = owner.clock.now
    claims = rewritten(owner.app, cookie, seen=now, login_at=now)
    assert refused(phone(owner.app, claims))
    assert refused(owner.client)  # the session has ended on the speaker, for every copy
    assert owner.login().status_code == 302 and owner.client.get("/").status_code == 200


def test_a_use_by_any_copy_of_the_session_counts_and_the_speaker_keeps_it(owner: Page) -> None:
    """Idle is a property of the session on the speaker: a use six days in keeps it live for another
    week, whichever copy of the cookie comes next, and a restart remembers that use."""
    copy = cookie_of(owner.client)
    owner.clock.now += 6 * DAY
    assert in_use(owner.client)
    saved = json.loads(sessions_path(owner.data_dir).read_text())["sessions"]
    assert [record["seen"] for record in saved.values()] == [owner.clock.now]  # hourly at most, so now
    restart(owner)
    owner.clock.now += 6 * DAY  # twelve days after login, six after the last use
    assert in_use(phone(owner.app, copy))
    owner.clock.now += WEEK + 60
    assert refused(phone(owner.app, copy))


def test_the_last_use_is_written_at_most_hourly(owner: Page) -> None:
    """Polling every few seconds must not rewrite the session list each time."""
    path = sessions_path(owner.data_dir)
    owner.clock.now += SEEN_SAVE_S
    assert in_use(owner.client)
    written = path.read_bytes()
    for _ in range(5):
        owner.clock.now += 60
        assert in_use(owner.client)
    assert path.read_bytes() == written


def test_a_session_list_from_before_keeps_its_logins_with_the_login_as_last_use(owner: Page) -> None:
    """The file used to list id -> login time; such a session stays live, counted as last used at login."""
    path = sessions_path(owner.data_dir)
    cookie = cookie_of(owner.client)
    listed = json.loads(path.read_text())["sessions"]
    path.write_text(json.dumps({"sessions": {sid: record["login"] for sid, record in listed.items()}}))
    owner.clock.now += 6 * DAY
    restart(owner)
    assert in_use(phone(owner.app, cookie))
    owner.clock.now += WEEK + 60
    assert refused(phone(owner.app, cookie))
